/* SPDX-License-Identifier: Apache-2.0 */
/* config.c — `.coreml-lint.json`: finding it (upward from the working
 * directory), parsing it strictly (an unknown key anywhere is a tool error
 * that names the key, the file and the line), and applying it to the
 * registry: enable/disable lists and per-rule levels and options, with ids
 * or globs ("ane/" plus "*"), the most specific pattern winning and the command
 * line's --enable/--disable applied last. Rule options are validated
 * against each rule's declared options (name and type). Also answers the
 * two path questions the run asks: is this model excluded, and which
 * suppression (rule + model path + op, with a required reason) covers a
 * finding. Config problems are tool errors (exit 2), never notifications. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "coreml-lint/coreml_facts.h"
#include "format/fsutil.h"
#include "format/nesting.h"
#include "host/config.h"
#include "host/util.h"

#define CONFIG_MAX_BYTES (4u << 20)
#define CONFIG_NAME ".coreml-lint.json"

/* ---- rule sets ("extends") -------------------------------------------------------- */

/* The shipped rule sets, as ESLint's eslint:recommended and Ruff's defaults:
 * "recommended" is the default configuration itself (every rule on by
 * default at its default level: findings worth keeping in CI, house policy
 * such as meta/missing-metadata as notes); "strict" adds the opt-in static
 * rules, raises the policy notes to warnings and fails on warnings. The
 * runtime probe's rules stay opt-in in both (they execute the model). The
 * file decides first; the set only where the file says nothing about a
 * rule (a file disabling every perf rule beats the set enabling one). */
typedef struct preset_rule {
    const char *pattern;
    int level;
} preset_rule;

static const char *const STRICT_ENABLE[] = {"perf/ane-layout"};
static const preset_rule STRICT_RULES[] = {
    {"meta/missing-metadata", LEVEL_WARNING},
};

const char *const *config_rule_sets(size_t *n) {
    static const char *const sets[] = {"recommended", "strict"};
    if (n) *n = sizeof sets / sizeof sets[0];
    return sets;
}

/* The set's own entries, consulted only where the file decides nothing for
 * a rule: a file's glob beats the set's exact id. */
static int apply_rule_set(config *c) {
    if (!c->extends || strcmp(c->extends, "strict") != 0) return 0;
    size_t ne = sizeof STRICT_ENABLE / sizeof *STRICT_ENABLE, nr = sizeof STRICT_RULES / sizeof *STRICT_RULES;
    c->set_enable = calloc(ne, sizeof *c->set_enable);
    c->set_rules = calloc(nr, sizeof *c->set_rules);
    if (!c->set_enable || !c->set_rules) return -1;
    for (size_t i = 0; i < ne; i++) c->set_enable[c->n_set_enable++] = host_strdup(STRICT_ENABLE[i]);
    for (size_t i = 0; i < nr; i++) {
        c->set_rules[i].pattern = host_strdup(STRICT_RULES[i].pattern);
        c->set_rules[i].level = STRICT_RULES[i].level;
        c->n_set_rules++;
    }
    if (c->fail_on < 0) {
        c->fail_on = LEVEL_WARNING;
        c->fail_on_from_set = true;
    }
    return 0;
}

static void strv_free(char **v, size_t n);

int config_use_rule_set(config *c, const char *name, char *err, size_t errlen) {
    size_t ns;
    const char *const *sets = config_rule_sets(&ns);
    bool known = false;
    for (size_t i = 0; name && i < ns; i++) known = known || !strcmp(name, sets[i]);
    if (!known) {
        snprintf(err, errlen, "--rule-set must be \"recommended\" or \"strict\", not '%s'", name ? name : "");
        return -1;
    }
    /* forget the file's set, keep what the file itself says */
    strv_free(c->set_enable, c->n_set_enable);
    for (size_t i = 0; i < c->n_set_rules; i++) free(c->set_rules[i].pattern);
    free(c->set_rules);
    c->set_enable = NULL;
    c->set_rules = NULL;
    c->n_set_enable = c->n_set_rules = 0;
    if (c->fail_on_from_set) {
        c->fail_on = -1;
        c->fail_on_from_set = false;
    }
    free(c->extends);
    c->extends = host_strdup(name);
    if (!c->extends || apply_rule_set(c) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void config_init(config *c) {
    memset(c, 0, sizeof *c);
    c->fail_on = -1;
    c->limits = host_limits_default();
}

bool config_target_valid(const char *t) {
    /* The platform spelled as Apple spells it ("iOS16", not "ios16": a
     * config is read by people) and a version of one to three numbers
     * joined by '.'; the parsing itself is coreml_facts.h's. */
    cml_platform p;
    if (!t || strchr(t, '_') || !cml_target_parse(t, &p, NULL)) return false;
    const char *name = cml_platform_name(p);
    return strncmp(t, name, strlen(name)) == 0;
}

/* ---- key -> line table ------------------------------------------------
 * cJSON keeps no positions, so a small scanner walks the (already valid)
 * text and records the line of every object key under its JSON pointer
 * ("/rules/ane~1x/options/limit"). */

typedef struct keyline {
    char *ptr;
    uint32_t line;
} keyline;

struct config_lines {
    keyline *v;
    size_t n, cap;
};

typedef struct scan {
    const char *s, *end;
    uint32_t line;
    config_lines *out;
    int depth;
} scan;

/* Whitespace as cJSON skips it: every byte up to ' ', NUL included (a NUL
 * inside the text once made the loops below spin forever). */
static void sc_ws(scan *z) {
    while (z->s < z->end && (unsigned char)*z->s <= ' ') {
        if (*z->s == '\n') z->line++;
        z->s++;
    }
}

/* Reads a string token; writes its (simply) decoded text to buf. */
static void sc_string(scan *z, char *buf, size_t cap) {
    size_t o = 0;
    if (z->s < z->end && *z->s == '"') z->s++;
    while (z->s < z->end && *z->s != '"') {
        char ch = *z->s++;
        if (ch == '\\' && z->s < z->end) {
            ch = *z->s++;
            if (ch == 'n') ch = '\n';
            else if (ch == 't') ch = '\t';
        }
        if (ch == '\n') z->line++;
        if (buf && o + 1 < cap) buf[o++] = ch;
    }
    if (z->s < z->end) z->s++;
    if (buf) buf[o] = 0;
}

static void ptr_append(char *ptr, size_t cap, const char *key) {
    size_t o = strlen(ptr);
    if (o + 1 < cap) ptr[o++] = '/';
    for (const char *k = key; *k && o + 2 < cap; k++) {
        if (*k == '~' || *k == '/') {
            ptr[o++] = '~';
            ptr[o++] = *k == '~' ? '0' : '1';
        } else {
            ptr[o++] = *k;
        }
    }
    ptr[o] = 0;
}

static void lines_add(config_lines *L, const char *ptr, uint32_t line) {
    if (L->n == L->cap) {
        size_t nc = L->cap ? L->cap * 2 : 64;
        keyline *nv = realloc(L->v, nc * sizeof *nv);
        if (!nv) return;
        L->v = nv;
        L->cap = nc;
    }
    char *p = host_strdup(ptr);
    if (!p) return;
    L->v[L->n].ptr = p;
    L->v[L->n].line = line;
    L->n++;
}

/* Every loop turn below consumes at least one byte, whatever the bytes are:
 * the text is valid JSON to cJSON, which is not quite the same thing (a NUL
 * byte in an array once made this scanner spin forever). */
static void sc_value(scan *z, char *ptr, size_t cap) {
    sc_ws(z);
    if (z->s >= z->end || z->depth >= CML_MAX_NESTING) return;
    z->depth++;
    size_t base = strlen(ptr);
    if (*z->s == '{' || *z->s == '[') {
        bool obj = *z->s == '{';
        size_t i = 0;
        z->s++;
        while (z->s < z->end) {
            const char *turn = z->s;
            sc_ws(z);
            if (z->s >= z->end || *z->s == (obj ? '}' : ']')) break;
            if (*z->s == ',') {
                z->s++;
                continue;
            }
            if (obj) {
                char key[256];
                uint32_t line = z->line;
                sc_string(z, key, sizeof key);
                ptr_append(ptr, cap, key);
                lines_add(z->out, ptr, line);
                sc_ws(z);
                if (z->s < z->end && *z->s == ':') z->s++;
            } else {
                /* an element's line is where its value starts (an error about
                 * a whole suppression points there) */
                char idx[32];
                snprintf(idx, sizeof idx, "%zu", i++);
                ptr_append(ptr, cap, idx);
                lines_add(z->out, ptr, z->line);
            }
            sc_value(z, ptr, cap);
            ptr[base] = 0;
            if (z->s == turn) z->s++;
        }
        if (z->s < z->end) z->s++;
    } else if (*z->s == '"') {
        sc_string(z, NULL, 0);
    } else {
        /* a number, true, false or null: up to a delimiter or whitespace */
        while (z->s < z->end && *z->s != ',' && *z->s != ']' && *z->s != '}' && (unsigned char)*z->s > ' ') z->s++;
    }
    z->depth--;
}

/* line_of() looks a key up once per rule and per suppression; a linear scan
 * made a config with 100k rules quadratic (seconds of strcmp). The keys are
 * sorted once by pointer, then line, so a binary search finds the earliest
 * key of that pointer: the scan adds keys in text order, lines never go
 * down, so the smallest line is the one the first match in text order had. */
static int keyline_cmp(const void *a, const void *b) {
    const keyline *x = a, *y = b;
    int d = strcmp(x->ptr, y->ptr);
    return d ? d : (x->line > y->line) - (x->line < y->line);
}

static void lines_sort(config_lines *L) {
    if (L->n > 1) qsort(L->v, L->n, sizeof *L->v, keyline_cmp);
}

static uint32_t line_of(const config *c, const char *ptr) {
    if (!c || !c->lines || !ptr) return 0;
    size_t lo = 0, hi = c->lines->n;
    while (lo < hi) {   /* the first entry not below ptr */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(c->lines->v[mid].ptr, ptr) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->lines->n && !strcmp(c->lines->v[lo].ptr, ptr) ? c->lines->v[lo].line : 0;
}

/* ---- errors ---------------------------------------------------------------- */

static int cfg_err(const config *c, const char *ptr, char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int cfg_err(const config *c, const char *ptr, char *err, size_t errlen, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    uint32_t line = line_of(c, ptr);
    const char *file = c && c->file ? c->file : "configuration";
    if (err && errlen) {
        if (c && c->from_flag) snprintf(err, errlen, "%s", msg);
        else if (line) snprintf(err, errlen, "%s:%u: %s", file, line, msg);
        else snprintf(err, errlen, "%s: %s", file, msg);
    }
    return -1;
}

/* ---- parsing ------------------------------------------------------------- */

static void strv_free(char **v, size_t n) {
    for (size_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void config_free(config *c) {
    if (!c) return;
    free(c->file);
    free(c->dir);
    free(c->extends);
    strv_free(c->set_enable, c->n_set_enable);
    for (size_t i = 0; i < c->n_set_rules; i++) free(c->set_rules[i].pattern);
    free(c->set_rules);
    strv_free(c->enable, c->n_enable);
    strv_free(c->disable, c->n_disable);
    for (size_t i = 0; i < c->n_rules; i++) {
        free(c->rules[i].pattern);
        cJSON_Delete(c->rules[i].options);
    }
    free(c->rules);
    free(c->target);
    strv_free(c->rules_dirs, c->n_rules_dirs);
    strv_free(c->plugins, c->n_plugins);
    strv_free(c->exclude, c->n_exclude);
    for (size_t i = 0; i < c->n_supps; i++) {
        free(c->supps[i].rule);
        free(c->supps[i].path);
        free(c->supps[i].op);
        free(c->supps[i].reason);
    }
    free(c->supps);
    if (c->lines) {
        for (size_t i = 0; i < c->lines->n; i++) free(c->lines->v[i].ptr);
        free(c->lines->v);
        free(c->lines);
    }
    memset(c, 0, sizeof *c);
    c->fail_on = -1;
}

static void mkptr(char *buf, size_t cap, const char *a, const char *b, const char *d) {
    buf[0] = 0;
    if (a) ptr_append(buf, cap, a);
    if (b) ptr_append(buf, cap, b);
    if (d) ptr_append(buf, cap, d);
}

/* An earlier sibling with the same key? Linear in the siblings before item:
 * fine where a parse stops at the first unknown key (the top level, limits),
 * but not per entry of 'rules', which dup_flags() serves. */
static bool dup_key(const cJSON *parent, const cJSON *item) {
    for (const cJSON *p = parent->child; p && p != item; p = p->next)
        if (p->string && item->string && !strcmp(p->string, item->string)) return true;
    return false;
}

typedef struct keyidx {
    const char *key;
    size_t i;
} keyidx;

static int keyidx_cmp(const void *a, const void *b) {
    const keyidx *x = a, *y = b;
    int d = strcmp(x->key, y->key);
    return d ? d : (x->i > y->i) - (x->i < y->i);
}

/* dup_key() for every child at once: flags[i] says the i-th child repeats an
 * earlier sibling's key. Calling dup_key() per entry made 'rules' with 100k
 * entries quadratic; sorting once by key, then position, is n log n. NULL
 * when out of memory. */
static bool *dup_flags(const cJSON *parent, size_t n) {
    bool *flags = calloc(n ? n : 1, sizeof *flags);
    keyidx *v = calloc(n ? n : 1, sizeof *v);
    if (!flags || !v) {
        free(flags);
        free(v);
        return NULL;
    }
    size_t m = 0, i = 0;
    for (const cJSON *p = parent->child; p && i < n; p = p->next, i++)
        if (p->string) v[m++] = (keyidx){p->string, i};
    qsort(v, m, sizeof *v, keyidx_cmp);
    for (size_t j = 1; j < m; j++)
        if (!strcmp(v[j - 1].key, v[j].key)) flags[v[j].i] = true;
    free(v);
    return flags;
}

/* A path glob as users write it: "./a/b/" -> "a/b". */
static char *clean_glob(const char *s) {
    while (s[0] == '.' && s[1] == '/') s += 2;
    char *d = host_strdup(s);
    if (!d) return NULL;
    size_t n = strlen(d);
    while (n > 1 && d[n - 1] == '/') d[--n] = 0;
    return d;
}

static char *resolve(const config *c, const char *p) {
    if (p[0] == '/' || !c->dir) return host_strdup(p);
    size_t n = strlen(c->dir) + strlen(p) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", c->dir, p);
    return s;
}

typedef enum { STR_PLAIN, STR_PATTERN, STR_PATH, STR_GLOB } strkind;

static int parse_strings(config *c, const cJSON *item, strkind kind, char ***out, size_t *n, char *err,
                         size_t errlen) {
    char ptr[512];
    mkptr(ptr, sizeof ptr, item->string, NULL, NULL);
    if (!cJSON_IsArray(item))
        return cfg_err(c, ptr, err, errlen, "'%s' must be an array of strings", item->string);
    size_t cnt = (size_t)cJSON_GetArraySize(item);
    char **v = calloc(cnt ? cnt : 1, sizeof *v);
    if (!v) return cfg_err(c, ptr, err, errlen, "out of memory");
    *out = v;
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, item) {
        if (!cJSON_IsString(e) || !*e->valuestring)
            return cfg_err(c, ptr, err, errlen, "'%s' entry %zu must be a non-empty string", item->string, i + 1);
        if (kind == STR_PATTERN && !host_rule_pattern_valid(e->valuestring))
            return cfg_err(c, ptr, err, errlen,
                           "'%s': '%s' is not a rule id (category/kebab-name) or a glob of ids (\"ane/*\")",
                           item->string, e->valuestring);
        v[i] = kind == STR_PATH ? resolve(c, e->valuestring)
               : kind == STR_GLOB ? clean_glob(e->valuestring)
                                  : host_strdup(e->valuestring);
        if (!v[i]) return cfg_err(c, ptr, err, errlen, "out of memory");
        *n = ++i;
    }
    return 0;
}

/* The entries of 'rules', in order; dup[i]: the i-th repeats an earlier key. */
static int parse_rule_entries(config *c, const cJSON *item, const bool *dup, char *err, size_t errlen) {
    char ptr[512];
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, item) {
        mkptr(ptr, sizeof ptr, "rules", e->string, NULL);
        if (dup[i++]) return cfg_err(c, ptr, err, errlen, "rule '%s' appears twice in 'rules'", e->string);
        if (!host_rule_pattern_valid(e->string))
            return cfg_err(c, ptr, err, errlen,
                           "'rules': '%s' is not a rule id (category/kebab-name) or a glob of ids (\"ane/*\")",
                           e->string);
        if (!cJSON_IsObject(e))
            return cfg_err(c, ptr, err, errlen, "'rules.%s' must be an object with \"level\" and/or \"options\"",
                           e->string);
        config_rule *cr = &c->rules[c->n_rules++];
        cr->level = -1;
        cr->line = line_of(c, ptr);
        cr->pattern = host_strdup(e->string);
        if (!cr->pattern) return cfg_err(c, ptr, err, errlen, "out of memory");
        const cJSON *k;
        cJSON_ArrayForEach(k, e) {
            char kp[512];
            mkptr(kp, sizeof kp, "rules", e->string, k->string);
            if (!strcmp(k->string, "level")) {
                int lv = cJSON_IsString(k) ? level_parse(k->valuestring) : -1;
                if (lv < 0)
                    return cfg_err(c, kp, err, errlen, "'rules.%s.level' must be \"note\", \"warning\", \"error\" or \"none\"",
                                   e->string);
                cr->level = lv;
            } else if (!strcmp(k->string, "options")) {
                if (!cJSON_IsObject(k))
                    return cfg_err(c, kp, err, errlen, "'rules.%s.options' must be an object", e->string);
                cJSON_Delete(cr->options);
                cr->options = cJSON_Duplicate(k, 1);
            } else {
                return cfg_err(c, kp, err, errlen, "unknown key '%s' in 'rules.%s' (expected \"level\" or \"options\")",
                               k->string, e->string);
            }
        }
    }
    return 0;
}

static int parse_rules(config *c, const cJSON *item, char *err, size_t errlen) {
    char ptr[512];
    mkptr(ptr, sizeof ptr, "rules", NULL, NULL);
    if (!cJSON_IsObject(item))
        return cfg_err(c, ptr, err, errlen, "'rules' must be an object: rule id or glob -> {\"level\", \"options\"}");
    size_t cnt = (size_t)cJSON_GetArraySize(item);
    c->rules = calloc(cnt ? cnt : 1, sizeof *c->rules);
    if (!c->rules) return cfg_err(c, ptr, err, errlen, "out of memory");
    bool *dup = dup_flags(item, cnt);
    if (!dup) return cfg_err(c, ptr, err, errlen, "out of memory");
    int rc = parse_rule_entries(c, item, dup, err, errlen);
    free(dup);
    return rc;
}

static int parse_supps(config *c, const cJSON *item, char *err, size_t errlen) {
    char ptr[512];
    mkptr(ptr, sizeof ptr, "suppressions", NULL, NULL);
    if (!cJSON_IsArray(item))
        return cfg_err(c, ptr, err, errlen, "'suppressions' must be an array of {rule, path, op, reason}");
    size_t cnt = (size_t)cJSON_GetArraySize(item);
    c->supps = calloc(cnt ? cnt : 1, sizeof *c->supps);
    if (!c->supps) return cfg_err(c, ptr, err, errlen, "out of memory");
    const cJSON *e;
    size_t i = 0;
    cJSON_ArrayForEach(e, item) {
        char idx[32];
        snprintf(idx, sizeof idx, "%zu", i);
        mkptr(ptr, sizeof ptr, "suppressions", idx, NULL);
        if (!cJSON_IsObject(e))
            return cfg_err(c, ptr, err, errlen, "suppression %zu must be an object {rule, path, op, reason}", i + 1);
        config_supp *s = &c->supps[c->n_supps++];
        {   /* the line of its 'rule' key, for warnings about the suppression */
            char rp[512];
            mkptr(rp, sizeof rp, "suppressions", idx, "rule");
            s->line = line_of(c, rp);
        }
        const cJSON *k;
        cJSON_ArrayForEach(k, e) {
            char kp[512];
            mkptr(kp, sizeof kp, "suppressions", idx, k->string);
            char **slot = !strcmp(k->string, "rule")     ? &s->rule
                          : !strcmp(k->string, "path")   ? &s->path
                          : !strcmp(k->string, "op")     ? &s->op
                          : !strcmp(k->string, "reason") ? &s->reason
                                                         : NULL;
            if (!slot)
                return cfg_err(c, kp, err, errlen,
                               "unknown key '%s' in suppression %zu (expected rule, path, op, reason)", k->string, i + 1);
            if (!cJSON_IsString(k))
                return cfg_err(c, kp, err, errlen, "'%s' of suppression %zu must be a string", k->string, i + 1);
            free(*slot);
            *slot = slot == &s->path ? clean_glob(k->valuestring) : host_strdup(k->valuestring);
            if (!*slot) return cfg_err(c, kp, err, errlen, "out of memory");
        }
        if (!s->rule)
            return cfg_err(c, ptr, err, errlen, "suppression %zu has no 'rule' (a rule id or glob)", i + 1);
        if (!host_rule_pattern_valid(s->rule))
            return cfg_err(c, ptr, err, errlen, "suppression %zu: '%s' is not a rule id or a glob of ids", i + 1,
                           s->rule);
        const char *r = s->reason;
        while (r && (*r == ' ' || *r == '\t')) r++;
        if (!r || !*r) {
            char rp[512];   /* a blank reason's own line, else the suppression's */
            mkptr(rp, sizeof rp, "suppressions", idx, "reason");
            return cfg_err(c, s->reason ? rp : ptr, err, errlen,
                           "suppression %zu (rule '%s') needs a 'reason': say why it is accepted", i + 1, s->rule);
        }
        i++;
    }
    return 0;
}

static int parse_limits(config *c, const cJSON *item, char *err, size_t errlen) {
    if (!cJSON_IsObject(item)) return cfg_err(c, "/limits", err, errlen, "'limits' must be an object");
    const cJSON *v;
    cJSON_ArrayForEach(v, item) {
        char ptr[512], why[256];
        mkptr(ptr, sizeof ptr, "limits", v->string, NULL);
        if (dup_key(item, v)) return cfg_err(c, ptr, err, errlen, "key '%s' appears twice", v->string);
        if (host_limit_set(&c->limits, v->string, v, why, sizeof why) != 0)
            return cfg_err(c, ptr, err, errlen, "%s", why);
    }
    return 0;
}

/* ---- the top-level keys ------------------------------------------------------------- */

/* One parser per key: item is the value, ptr its JSON pointer (for the line
 * of a message; NULL for a command-line flag's value), name how messages
 * call it ("'fail_on'" in the file, "--fail-on" on the command line). */
typedef int key_parser(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen);

static int key_schema(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    return cJSON_IsString(item) ? 0 : cfg_err(c, ptr, err, errlen, "%s must be a string", name);
}

static int key_extends(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    size_t ns;
    const char *const *sets = config_rule_sets(&ns);
    bool known = false;
    for (size_t i = 0; cJSON_IsString(item) && i < ns; i++) known = known || !strcmp(item->valuestring, sets[i]);
    if (!known) return cfg_err(c, ptr, err, errlen, "%s must be \"recommended\" or \"strict\"", name);
    free(c->extends);
    return (c->extends = host_strdup(item->valuestring)) ? 0 : cfg_err(c, NULL, err, errlen, "out of memory");
}

static int key_enable(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_strings(c, item, STR_PATTERN, &c->enable, &c->n_enable, err, errlen);
}
static int key_disable(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_strings(c, item, STR_PATTERN, &c->disable, &c->n_disable, err, errlen);
}
static int key_rules(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_rules(c, item, err, errlen);
}

static int key_target(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    bool str = cJSON_IsString(item);
    if (!str || !config_target_valid(item->valuestring))
        return cfg_err(c, ptr, err, errlen,
                       "%s must be a deployment target such as \"iOS16\", \"iOS17.4\", \"macOS13\", \"tvOS17\", "
                       "\"watchOS10\" or \"visionOS2\"%s%s%s",
                       name, str ? ", not \"" : "", str ? item->valuestring : "", str ? "\"" : "");
    free(c->target);
    return (c->target = host_strdup(item->valuestring)) ? 0 : cfg_err(c, NULL, err, errlen, "out of memory");
}

static int key_rules_dirs(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_strings(c, item, STR_PATH, &c->rules_dirs, &c->n_rules_dirs, err, errlen);
}
static int key_plugins(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_strings(c, item, STR_PATH, &c->plugins, &c->n_plugins, err, errlen);
}
static int key_exclude(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_strings(c, item, STR_GLOB, &c->exclude, &c->n_exclude, err, errlen);
}
static int key_suppressions(config *c, const cJSON *item, const char *ptr, const char *name, char *err,
                            size_t errlen) {
    (void)ptr, (void)name;
    return parse_supps(c, item, err, errlen);
}

static int key_fail_on(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    int lv = cJSON_IsString(item) ? level_parse(item->valuestring) : -1;
    if (lv < LEVEL_NOTE)
        return cfg_err(c, ptr, err, errlen, "%s must be \"note\", \"warning\" or \"error\"%s%s%s", name,
                       cJSON_IsString(item) ? ", not '" : "", cJSON_IsString(item) ? item->valuestring : "",
                       cJSON_IsString(item) ? "'" : "");
    c->fail_on = lv;
    c->fail_on_from_set = false;
    return 0;
}

static int key_limits(config *c, const cJSON *item, const char *ptr, const char *name, char *err, size_t errlen) {
    (void)ptr, (void)name;
    return parse_limits(c, item, err, errlen);
}

typedef struct key_row {
    const char *name;
    key_parser *parse;
    const char *about;        /* what it sets, for the man page; NULL: not listed */
    bool scalar;              /* one value that a flag may replace (config_set); the lists and
                                 objects are the file's alone */
} key_row;

/* Every top-level key: the parser, the "allowed:" list of an unknown key,
 * the man page and the schema test read this one table. A key is one row
 * here, its parser, its member of `config` and its property in
 * schema/coreml-lint.schema.json (test_config checks the two agree). */
static const key_row KEYS[] = {
    {"$schema", key_schema, NULL, false},
    {"extends", key_extends, "the rule set to start from: recommended (the default) or strict", false},
    {"enable", key_enable, "rule ids or globs to turn on", false},
    {"disable", key_disable, "rule ids or globs to turn off", false},
    {"rules", key_rules, "per-rule levels and options", false},
    {"target", key_target, "the app's deployment target (iOS16, macOS13, ...)", true},
    {"rules_dirs", key_rules_dirs, "extra folders of Lua rules (loaded only when trusted)", false},
    {"plugins", key_plugins, "plugins to load (only when trusted)", false},
    {"exclude", key_exclude, "model paths not to check", false},
    {"suppressions", key_suppressions, "findings to suppress, each with a reason", false},
    {"fail_on", key_fail_on, "the level at which the exit is 1: note, warning or error", true},
    {"limits", key_limits, "bounds on rules: Lua memory and instructions, plugin time-out and isolation", false},
};
#define N_KEYS (sizeof KEYS / sizeof KEYS[0])

static const key_row *key_find(const char *name) {
    for (size_t i = 0; name && i < N_KEYS; i++)
        if (!strcmp(KEYS[i].name, name)) return &KEYS[i];
    return NULL;
}

/* "extends, enable, ..." of every key but $schema, for an unknown key's message */
static const char *key_list(void) {
    static char list[512];
    if (!list[0])
        for (size_t i = 0, u = 0; i < N_KEYS && u < sizeof list; i++) {
            if (KEYS[i].name[0] == '$') continue;
            int k = snprintf(list + u, sizeof list - u, "%s%s", u ? ", " : "", KEYS[i].name);
            u = k < 0 ? sizeof list : u + (size_t)k;
        }
    return list;
}

const char *config_key(size_t i, const char **about) {
    if (i >= N_KEYS) return NULL;
    if (about) *about = KEYS[i].about;
    return KEYS[i].name;
}

int config_set(config *c, const char *key, const cJSON *value, const char *flag, char *err, size_t errlen) {
    const key_row *k = key_find(key);
    if (!k || !k->scalar) {
        snprintf(err, errlen, "%s: no configuration key '%s' that a flag can set", flag, key);
        return -1;
    }
    /* the flag's value is no line of the file: its messages name the flag */
    c->from_flag = true;
    int rc = k->parse(c, value, NULL, flag, err, errlen);
    c->from_flag = false;
    return rc;
}

static uint32_t line_at(const char *text, size_t off) {
    uint32_t line = 1;
    for (size_t i = 0; i < off; i++) line += text[i] == '\n';
    return line;
}

/* What is wrong where cJSON stopped (off), in the words of the usual
 * mistakes in a hand-written file; the file's own bytes appear only as a
 * printable ASCII character (the file may come from a pull request). */
static void json_error_hint(const char *text, size_t len, size_t off, char *buf, size_t cap) {
    size_t at = off;
    while (at < len && (text[at] == ' ' || text[at] == '\t' || text[at] == '\r' || text[at] == '\n')) at++;
    size_t before = off;
    while (before > 0 && (text[before - 1] == ' ' || text[before - 1] == '\t' || text[before - 1] == '\r' ||
                          text[before - 1] == '\n'))
        before--;
    char prev = before > 0 ? text[before - 1] : 0;
    /* brackets left open, outside strings: the file ends too early */
    long depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char ch = text[i];
        if (in_str) {
            if (ch == '\\') i++;
            else if (ch == '"') in_str = false;
        } else if (ch == '"') {
            in_str = true;
        } else {
            depth += (ch == '{' || ch == '[') - (ch == '}' || ch == ']');
        }
    }
    /* brackets left open where cJSON stopped at an opening one: the
     * file ends too early (elsewhere the character itself is the error) */
    if (at >= len || in_str || (depth > 0 && (text[at] == '{' || text[at] == '['))) {
        snprintf(buf, cap, "the text ends before the value does (an unclosed '{', '[' or string)");
        return;
    }
    unsigned char c = (unsigned char)text[at];
    if (prev == ',' && (c == '}' || c == ']'))
        snprintf(buf, cap, "a comma before '%c' (JSON allows no trailing comma)", c);
    else if (c == '/' || c == '#')
        snprintf(buf, cap, "a comment (JSON has none)");
    else if (c == '\'' || prev == '\'')
        snprintf(buf, cap, "a single quote (JSON strings take double quotes)");
    else if (c >= 0x21 && c < 0x7f)
        snprintf(buf, cap, "unexpected '%c' (a missing comma, colon or quote before it?)", c);
    else
        snprintf(buf, cap, "unexpected byte 0x%02x", c);
}

int config_parse(config *c, const char *text, size_t len, const char *name, const char *dir, char *err,
                 size_t errlen) {
    config_init(c);
    c->file = host_strdup(name ? name : "configuration");
    c->dir = host_strdup(dir);
    size_t deep_at = 0;
    if (json_nesting(text, len, CML_MAX_NESTING, &deep_at)) {
        snprintf(err, errlen, "%s:%u: arrays and objects nest deeper than %d levels", c->file, line_at(text, deep_at),
                 CML_MAX_NESTING);
        return -1;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    /* the whole text is one value: "{...}}" is a typo, not a file (checked
     * here: cJSON 1.7.15's require_null_terminated refuses a text whose
     * length ends at the value's whitespace) */
    size_t bad = SIZE_MAX;
    char why[160];
    if (!root) {
        bad = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        json_error_hint(text, len, bad, why, sizeof why);
    } else if (end && end >= text && end <= text + len) {
        size_t off = (size_t)(end - text);
        while (off < len && (unsigned char)text[off] <= ' ') off++;   /* cJSON's whitespace: every byte <= ' ' */
        if (off < len) {
            bad = off;
            snprintf(why, sizeof why, "text after the end of the value (one '}' too many?)");
        }
    }
    if (bad != SIZE_MAX) {
        size_t col = 1;
        for (size_t i = bad; i > 0 && text[i - 1] != '\n'; i--) col++;
        snprintf(err, errlen, "%s:%u:%zu: not valid JSON: %s", c->file, line_at(text, bad), col, why);
        cJSON_Delete(root);
        return -1;
    }
    c->lines = calloc(1, sizeof *c->lines);
    if (c->lines) {
        scan z = {text, text + len, 1, c->lines, 0};
        char ptr[1024] = "";
        sc_value(&z, ptr, sizeof ptr);
        lines_sort(c->lines);
    }
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = cfg_err(c, NULL, err, errlen, "the configuration must be a JSON object");
        goto out;
    }
    const cJSON *item;
    const key_row *key;
    cJSON_ArrayForEach(item, root) {
        char ptr[512];
        mkptr(ptr, sizeof ptr, item->string, NULL, NULL);
        const char *k = item->string;
        if (dup_key(root, item)) rc = cfg_err(c, ptr, err, errlen, "key '%s' appears twice", k);
        else if (!(key = key_find(k))) rc = cfg_err(c, ptr, err, errlen, "unknown key '%s' (allowed: %s)", k, key_list());
        else {
            char quoted[64];
            snprintf(quoted, sizeof quoted, "'%s'", k);
            rc = key->parse(c, item, ptr, quoted, err, errlen);
        }
        if (rc) break;
    }
    if (!rc && apply_rule_set(c) != 0) rc = cfg_err(c, NULL, err, errlen, "out of memory");
out:
    cJSON_Delete(root);
    return rc;
}

int config_load(config *c, const char *path, char *err, size_t errlen) {
    config_init(c);
    int fd = fs_open_regular(path);   /* a FIFO named .coreml-lint.json would block forever */
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "%s: cannot read the configuration: %s", path, fs_strerror(e));
        return -1;
    }
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    bool bad = ferror(f);
    fclose(f);
    if (!buf || bad || n > CONFIG_MAX_BYTES) {
        snprintf(err, errlen, "%s: %s", path,
                 !buf ? "out of memory" : bad ? "read error" : "the configuration is larger than 4 MiB");
        free(buf);
        return -1;
    }
    buf[n] = 0;
    /* relative paths in the file resolve against its folder */
    char *copy = host_strdup(path), *dir = NULL;
    if (copy) {
        char *slash = strrchr(copy, '/');
        const char *d = slash ? (slash == copy ? "/" : (*slash = 0, copy)) : ".";
        char real[PATH_MAX];
        dir = host_strdup(realpath(d, real) ? real : d);
    }
    int rc = config_parse(c, buf, n, path, dir, err, errlen);
    free(copy);
    free(dir);
    free(buf);
    return rc;
}

char *config_find(const char *start_dir) {
    char cur[PATH_MAX];
    if (!start_dir || !realpath(start_dir, cur)) return NULL;
    for (;;) {
        char cand[PATH_MAX + 32];
        snprintf(cand, sizeof cand, "%s%s" CONFIG_NAME, cur, strcmp(cur, "/") ? "/" : "");
        struct stat st;
        /* anything but a folder is the configuration: a FIFO or a device
         * there is refused when it is read (an error), never skipped */
        if (stat(cand, &st) == 0 && !S_ISDIR(st.st_mode)) return host_strdup(cand);
        char *slash = strrchr(cur, '/');
        if (!slash || !strcmp(cur, "/")) return NULL;
        if (slash == cur) slash[1] = 0;
        else *slash = 0;
    }
}

/* ---- applying to the registry ---------------------------------------------- */

/* How specific a pattern is: an exact id beats every glob; among globs
 * the one with more literal characters wins. */
static long specificity(const char *pat) {
    if (!host_is_glob(pat)) return LONG_MAX;
    long n = 0;
    for (const char *p = pat; *p; p++) n += *p != '*' && *p != '?';
    return n;
}

static bool rule_matches(const host_rule *r, const char *pat) { return host_glob_match(pat, r->id, false); }

static const rule_option *find_option(const host_rule *r, const char *name) {
    for (size_t i = 0; i < r->n_options; i++)
        if (!strcmp(r->options[i].name, name)) return &r->options[i];
    return NULL;
}

/* Remove from c's rule options those that `drop` refuses for some rule the
 * pattern covers; their names into names (cap bytes), their count back. */
static size_t drop_options(config *c, const registry *reg, char *names, size_t cap,
                           bool (*drop_it)(const rule_option *opt, const cJSON *v)) {
    size_t n = 0, used = 0;
    if (cap) names[0] = 0;
    for (size_t k = 0; c && k < c->n_rules; k++) {
        config_rule *cr = &c->rules[k];
        cJSON *o = cr->options ? cr->options->child : NULL;
        while (o) {
            cJSON *next = o->next;
            bool drop = false;
            for (size_t i = 0; !drop && i < registry_count(reg); i++) {
                const host_rule *r = registry_rule(reg, i);
                const rule_option *opt = rule_matches(r, cr->pattern) ? find_option(r, o->string) : NULL;
                drop = opt && drop_it(opt, o);
            }
            if (drop) {
                if (used < cap) {
                    /* the option's name: a declared one, so an identifier */
                    int w = snprintf(names + used, cap - used, "%s%s", n ? ", " : "", o->string);
                    used = w < 0 ? cap : used + (size_t)w;
                }
                cJSON_Delete(cJSON_DetachItemViaPointer(cr->options, o));
                n++;
            }
            o = next;
        }
    }
    return n;
}

static bool names_a_file(const rule_option *opt, const cJSON *v) {
    (void)v;
    return opt->names_file;
}

/* a limit set looser than its default: larger, or 0 / negative (none) */
static bool loosens(const rule_option *opt, const cJSON *v) {
    if (!opt->limit) return false;
    if (!cJSON_IsNumber(v)) return false;   /* a type error: config_apply says so */
    double d = cJSON_IsNumber(opt->default_value) ? opt->default_value->valuedouble : 0;
    return !(v->valuedouble > 0) || v->valuedouble > d;
}

size_t config_drop_file_options(config *c, const registry *reg, char *names, size_t cap) {
    return drop_options(c, reg, names, cap, names_a_file);
}

size_t config_drop_loose_limits(config *c, const registry *reg, char *names, size_t cap) {
    return drop_options(c, reg, names, cap, loosens);
}

static void declared_list(const host_rule *r, char *buf, size_t cap) {
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < r->n_options && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", r->options[i].name);
    if (!r->n_options) snprintf(buf, cap, "none");
}

/* A rule file or plugin failed to load: an id the config names may be
 * one of its rules, and the notification already says what went wrong. */
static bool load_problems(const registry *reg) {
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const char *k = registry_note(reg, i)->kind;
        if (!strcmp(k, "rule/load-error") || !strcmp(k, "plugin/unusable") || !strcmp(k, "config/untrusted-code"))
            return true;
    }
    return false;
}

static int check_known_id(const config *c, const registry *reg, const char *ptr, const char *where,
                          const char *pat, char *err, size_t errlen) {
    if (host_is_glob(pat) || registry_find(reg, pat) || registry_was_refused(reg, pat) || load_problems(reg))
        return 0;
    if (ptr) return cfg_err(c, ptr, err, errlen, "%s: unknown rule '%s' (see `coreml-lint rules`)", where, pat);
    snprintf(err, errlen, "%s: unknown rule '%s' (see `coreml-lint rules`)", where, pat);
    return -1;
}

/* A glob of rule ids that names no loaded rule is most likely a typo (the
 * category "comprss" for "compress"): a warning, not an error (an exact
 * unknown id is one), as a configuration shared by several invocations may
 * name rules one of them does not load. */
static void warn_unmatched(registry *reg, const char *file, uint32_t line, const char *where, const char *pat) {
    if (!host_is_glob(pat) || load_problems(reg)) return;
    for (size_t i = 0; i < registry_count(reg); i++)
        if (rule_matches(registry_rule(reg, i), pat)) return;
    registry_notify(reg, NULL, "config/unmatched-pattern", LEVEL_WARNING, file, line,
                    "%s: '%s' matches no rule (see `coreml-lint rules`)", where, pat);
}

static int validate_options(const config *c, const registry *reg, const config_rule *cr, char *err,
                            size_t errlen) {
    if (!cr->options) return 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, cr->options) {
        char ptr[512];
        mkptr(ptr, sizeof ptr, "rules", cr->pattern, "options");
        ptr_append(ptr, sizeof ptr, o->string);
        size_t declaring = 0, matched = 0;
        const host_rule *first = NULL;
        for (size_t i = 0; i < registry_count(reg); i++) {
            const host_rule *r = registry_rule(reg, i);
            if (!rule_matches(r, cr->pattern)) continue;
            matched++;
            if (!first) first = r;
            const rule_option *opt = find_option(r, o->string);
            if (!opt) continue;
            declaring++;
            if (!host_option_type_ok(o, opt->type))
                return cfg_err(c, ptr, err, errlen, "option '%s' of rule '%s' must be of type %s", o->string, r->id,
                               host_opt_type_name(opt->type));
        }
        if (matched && !declaring) {
            char decl[512];
            if (host_is_glob(cr->pattern))
                return cfg_err(c, ptr, err, errlen, "unknown option '%s': no rule matching '%s' declares it",
                               o->string, cr->pattern);
            declared_list(first, decl, sizeof decl);
            return cfg_err(c, ptr, err, errlen, "unknown option '%s' for rule '%s' (its options: %s)", o->string,
                           first->id, decl);
        }
    }
    return 0;
}

/* -1 no decision, 0 disable, 1 enable; ties go to disable. extra: rules
 * entries whose level is none count as disables. */
static int decide(const char *id, char *const *en, size_t ne, char *const *dis, size_t nd, const config_rule *extra,
                  size_t nx) {
    long best = -1;
    int d = -1;
    for (size_t i = 0; i < ne; i++)
        if (host_glob_match(en[i], id, false) && specificity(en[i]) > best) {
            best = specificity(en[i]);
            d = 1;
        }
    for (size_t i = 0; i < nd; i++)
        if (host_glob_match(dis[i], id, false) && specificity(dis[i]) >= best) {
            best = specificity(dis[i]);
            d = 0;
        }
    for (size_t i = 0; i < nx; i++)
        if (extra[i].level == LEVEL_NONE && host_glob_match(extra[i].pattern, id, false) &&
            specificity(extra[i].pattern) >= best) {
            best = specificity(extra[i].pattern);
            d = 0;
        }
    return d;
}

int config_decision(const config *c, const config_overlay *ov, const char *id) {
    int d = -1;
    if (c) {
        /* the file, then the rule set it extends */
        d = decide(id, c->enable, c->n_enable, c->disable, c->n_disable, c->rules, c->n_rules);
        if (d < 0) d = decide(id, c->set_enable, c->n_set_enable, NULL, 0, c->set_rules, c->n_set_rules);
    }
    /* then the command line */
    int cli = ov ? decide(id, (char *const *)ov->enable, ov->n_enable, (char *const *)ov->disable, ov->n_disable,
                          NULL, 0)
                 : -1;
    return cli >= 0 ? cli : d;
}

/* The overlay's options: each must be declared, with its type, by a rule
 * the overlay's pattern matches. */
static int validate_overlay(const registry *reg, const config_overlay *ov, char *err, size_t errlen) {
    const cJSON *o;
    cJSON_ArrayForEach(o, ov->options) {
        size_t declaring = 0;
        for (size_t i = 0; i < registry_count(reg); i++) {
            const host_rule *r = registry_rule(reg, i);
            if (!rule_matches(r, ov->options_rules)) continue;
            const rule_option *opt = find_option(r, o->string);
            if (!opt) continue;
            declaring++;
            if (!host_option_type_ok(o, opt->type)) {
                snprintf(err, errlen, "option '%s' of rule '%s' must be of type %s", o->string, r->id,
                         host_opt_type_name(opt->type));
                return -1;
            }
        }
        if (!declaring) {
            snprintf(err, errlen, "no loaded rule matching '%s' has the option '%s'", ov->options_rules, o->string);
            return -1;
        }
    }
    return 0;
}

int config_apply(const config *c, registry *reg, const config_overlay *ov, char *err, size_t errlen) {
    static const config empty_cfg = {.fail_on = -1};
    static const config_overlay empty_ov = {0};
    if (!c) c = &empty_cfg;
    if (!ov) ov = &empty_ov;
    const char *const *cli_enable = ov->enable, *const *cli_disable = ov->disable;
    size_t n_cli_enable = ov->n_enable, n_cli_disable = ov->n_disable;
    char ptr[512];
    /* names that must exist */
    for (size_t i = 0; i < c->n_enable && !ov->some_rules_only; i++) {
        if (check_known_id(c, reg, "/enable", "'enable'", c->enable[i], err, errlen)) return -1;
        warn_unmatched(reg, c->file, line_of(c, "/enable"), "'enable'", c->enable[i]);
    }
    for (size_t i = 0; i < c->n_disable && !ov->some_rules_only; i++) {
        if (check_known_id(c, reg, "/disable", "'disable'", c->disable[i], err, errlen)) return -1;
        warn_unmatched(reg, c->file, line_of(c, "/disable"), "'disable'", c->disable[i]);
    }
    for (size_t i = 0; i < c->n_rules; i++) {
        mkptr(ptr, sizeof ptr, "rules", c->rules[i].pattern, NULL);
        if (!ov->some_rules_only && check_known_id(c, reg, ptr, "'rules'", c->rules[i].pattern, err, errlen))
            return -1;
        if (!ov->some_rules_only) warn_unmatched(reg, c->file, line_of(c, ptr), "'rules'", c->rules[i].pattern);
        if (validate_options(c, reg, &c->rules[i], err, errlen)) return -1;
    }
    /* a suppression's rule too: a misspelt id suppressed nothing, silently */
    for (size_t i = 0; i < c->n_supps && !ov->some_rules_only; i++) {
        const config_supp *sp = &c->supps[i];
        snprintf(ptr, sizeof ptr, "/suppressions/%zu/rule", i);
        if (check_known_id(c, reg, ptr, "'suppressions'", sp->rule, err, errlen)) return -1;
        warn_unmatched(reg, c->file, sp->line, "'suppressions'", sp->rule);
    }
    for (size_t i = 0; i < n_cli_enable; i++) {
        if (!host_rule_pattern_valid(cli_enable[i])) {
            snprintf(err, errlen, "--enable: '%s' is not a rule id or a glob of ids (\"ane/*\")", cli_enable[i]);
            return -1;
        }
        if (check_known_id(c, reg, NULL, "--enable", cli_enable[i], err, errlen)) return -1;
        if (!ov->some_rules_only) warn_unmatched(reg, NULL, 0, "--enable", cli_enable[i]);
    }
    for (size_t i = 0; i < n_cli_disable; i++) {
        if (!host_rule_pattern_valid(cli_disable[i])) {
            snprintf(err, errlen, "--disable: '%s' is not a rule id or a glob of ids (\"ane/*\")", cli_disable[i]);
            return -1;
        }
        if (check_known_id(c, reg, NULL, "--disable", cli_disable[i], err, errlen)) return -1;
        if (!ov->some_rules_only) warn_unmatched(reg, NULL, 0, "--disable", cli_disable[i]);
    }
    if (ov->options && ov->options_rules && validate_overlay(reg, ov, err, errlen)) return -1;

    for (size_t i = 0; i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        /* level: the most specific entry that sets one (later wins a tie) */
        long best = -1;
        int level = -1;
        for (size_t k = 0; k < c->n_rules; k++) {
            const config_rule *cr = &c->rules[k];
            if (cr->level < 0 || !rule_matches(r, cr->pattern)) continue;
            if (specificity(cr->pattern) >= best) {
                best = specificity(cr->pattern);
                level = cr->level;
            }
        }
        /* the rule set's level where the file sets none (a set names rules
         * that may not be loaded, e.g. with --no-bundled: never an error) */
        if (level < 0) {
            long sb = -1;
            for (size_t k = 0; k < c->n_set_rules; k++) {
                const config_rule *cr = &c->set_rules[k];
                if (cr->level < 0 || !rule_matches(r, cr->pattern) || specificity(cr->pattern) < sb) continue;
                sb = specificity(cr->pattern);
                level = cr->level;
            }
        }
        bool level_set = level > LEVEL_NONE;
        r->level = level_set ? level : r->default_level;
        /* options: defaults, then entries from least to most specific */
        cJSON *opts = cJSON_CreateObject();
        for (size_t k = 0; opts && k < r->n_options; k++)
            if (r->options[k].default_value)
                cJSON_AddItemToObject(opts, r->options[k].name, cJSON_Duplicate(r->options[k].default_value, 1));
        for (int pass = 0; pass < 2; pass++) {      /* globs first, then exact ids */
            for (size_t k = 0; opts && k < c->n_rules; k++) {
                const config_rule *cr = &c->rules[k];
                if (!cr->options || host_is_glob(cr->pattern) == (pass == 1) || !rule_matches(r, cr->pattern))
                    continue;
                const cJSON *o;
                cJSON_ArrayForEach(o, cr->options) {
                    if (!find_option(r, o->string)) continue;
                    cJSON_DeleteItemFromObjectCaseSensitive(opts, o->string);
                    cJSON_AddItemToObject(opts, o->string, cJSON_Duplicate(o, 1));
                }
            }
        }
        if (opts && ov->options && ov->options_rules && rule_matches(r, ov->options_rules)) {
            const cJSON *o;
            cJSON_ArrayForEach(o, ov->options) {
                if (!find_option(r, o->string)) continue;
                cJSON_DeleteItemFromObjectCaseSensitive(opts, o->string);
                cJSON_AddItemToObject(opts, o->string, cJSON_Duplicate(o, 1));
            }
        }
        if (opts) {
            cJSON_Delete(r->options_config);
            r->options_config = opts;
        }
        /* enabled: engine default, then the file, then the command line */
        int d = config_decision(c, ov, r->id);
        if (d >= 0) r->enabled = d == 1;
        registry_set_level_configured(reg, r, level_set);
    }
    return 0;
}

/* ---- paths --------------------------------------------------------------- */

bool config_path_match(const char *pattern, const char *path) {
    if (!pattern || !path) return false;
    if (host_glob_match(pattern, path, true)) return true;
    size_t n = strlen(path);
    char *tmp = malloc(n + 1);
    if (!tmp) return false;
    bool hit = false;
    bool has_slash = strchr(pattern, '/') != NULL;
    for (size_t i = 0; i < n && !hit; i++) {
        if (path[i] != '/') continue;
        memcpy(tmp, path, i);        /* leading folders: "vendor" covers vendor/x.mlmodel */
        tmp[i] = 0;
        hit = host_glob_match(pattern, tmp, true);
    }
    if (!hit && !has_slash) {       /* a bare name matches any component */
        const char *p = path;
        while (!hit && *p) {
            const char *e = strchr(p, '/');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            memcpy(tmp, p, len);
            tmp[len] = 0;
            hit = host_glob_match(pattern, tmp, true);
            p += len + (e != NULL);
        }
    }
    free(tmp);
    return hit;
}

/* The model path relative to the config's folder, when it lies below it. */
static char *rel_to_config(const config *c, const char *path, const char *cwd) {
    if (!c->dir || !path) return NULL;
    char *abs;
    if (path[0] == '/' || !cwd) abs = host_path_normalize(path, NULL);
    else {
        char *j = host_join_path(cwd, path);
        if (!j) return NULL;
        abs = host_path_normalize(j, NULL);
        free(j);
    }
    char *rel = abs ? host_path_normalize(abs, c->dir) : NULL;
    free(abs);
    if (rel && rel[0] == '/') {
        free(rel);
        return NULL;
    }
    return rel;
}

static bool path_matches(const config *c, const char *pattern, const char *path, const char *cwd) {
    if (config_path_match(pattern, path)) return true;
    char *rel = rel_to_config(c, path, cwd);
    bool hit = rel && strcmp(rel, path) && config_path_match(pattern, rel);
    free(rel);
    return hit;
}

/* what matching the glob pattern against path costs in host_glob_match_n's
 * steps (a byte of the path per 64 pattern positions): config_path_match
 * matches each leading part (n * parts / 2 bytes in all) and each
 * component (n), path_matches twice */
static uint64_t path_cost(const char *pattern, const char *path) {
    uint64_t n = strlen(path) + 1, parts = 1;
    for (const char *p = path; *p; p++) parts += *p == '/';
    return n * (parts + 2) * (strlen(pattern) / 64 + 1);
}

/* charges cost to *budget; false (and *budget 0) when it does not hold it */
static bool charge(uint64_t *budget, uint64_t cost) {
    if (*budget < cost) return (*budget = 0, false);
    *budget -= cost;
    return true;
}

int config_excluded(const config *c, const char *model_path, const char *cwd, uint64_t *budget) {
    if (!c || !c->n_exclude || !model_path) return 0;
    /* the path relative to the config once per model, not once per pattern */
    char *rel = rel_to_config(c, model_path, cwd);
    if (rel && !strcmp(rel, model_path)) {
        free(rel);
        rel = NULL;
    }
    int hit = 0;
    for (size_t i = 0; i < c->n_exclude && !hit; i++) {
        const char *pat = c->exclude[i];
        if (!charge(budget, path_cost(pat, model_path) + (rel ? path_cost(pat, rel) : 0))) {
            hit = -1;
            break;
        }
        hit = config_path_match(pat, model_path) || (rel && config_path_match(pat, rel));
    }
    free(rel);
    return hit;
}

bool config_suppression_reaches(const config *c, const config_supp *s, const char *model_path,
                                char *const *files, size_t n_files, const char *cwd, uint64_t *budget) {
    if (!s->path) return true;
    if (!charge(budget, path_cost(s->path, model_path))) return false;
    if (path_matches(c, s->path, model_path, cwd)) return true;
    for (size_t i = 0; i < n_files; i++) {
        char *full = host_join_path(model_path, files[i]);
        bool hit = full && charge(budget, path_cost(s->path, full)) && path_matches(c, s->path, full, cwd);
        free(full);
        if (hit) return true;
        if (!*budget) return false;
    }
    return false;
}

const config_supp *config_suppression_for(const config *c, const finding *f, const char *cwd, uint64_t *budget) {
    for (size_t i = 0; c && f && i < c->n_supps; i++) {
        const config_supp *s = &c->supps[i];
        if (!host_glob_match_n(s->rule, f->rule_id, false, budget)) {
            if (!*budget) return NULL;
            continue;
        }
        if (s->path) {
            if (!charge(budget, path_cost(s->path, f->model_path))) return NULL;
            bool hit = path_matches(c, s->path, f->model_path, cwd);
            if (!hit && f->loc.artifact && *f->loc.artifact) {
                size_t n = strlen(f->model_path) + strlen(f->loc.artifact) + 2;
                char *full = malloc(n);
                if (full) {
                    snprintf(full, n, "%s/%s", f->model_path, f->loc.artifact);
                    if (!charge(budget, path_cost(s->path, full))) {
                        free(full);
                        return NULL;
                    }
                    hit = path_matches(c, s->path, full, cwd);
                    free(full);
                }
            }
            if (!hit) continue;
        }
        if (s->op && !host_glob_match_n(s->op, f->loc.logical ? f->loc.logical : "", false, budget)) {
            if (!*budget) return NULL;
            continue;
        }
        return s;
    }
    return NULL;
}
