/* SPDX-License-Identifier: Apache-2.0 */
/* util.c — small pieces every part of the rule host shares: level
 * names, the life cycle of a host_rule (rule_new/rule_free), the rule id
 * syntax, the glob matcher used for rule ids, model paths and logical
 * locations, and the normalisation of paths as users gave them. No state;
 * nothing here prints. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include "coreml-lint/hash.h"
#include "host/rule.h"
#include "host/util.h"

const char *level_name(int level) {
    switch (level) {
    case LEVEL_NOTE: return "note";
    case LEVEL_WARNING: return "warning";
    case LEVEL_ERROR: return "error";
    default: return "none";
    }
}

int level_parse(const char *s) {
    if (!s) return -1;
    if (!strcmp(s, "note")) return LEVEL_NOTE;
    if (!strcmp(s, "warning")) return LEVEL_WARNING;
    if (!strcmp(s, "error")) return LEVEL_ERROR;
    if (!strcmp(s, "none")) return LEVEL_NONE;
    return -1;
}

bool host_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (!a || !b || !*a || !*b || stat(a, &sa) != 0 || stat(b, &sb) != 0) return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *host_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

host_rule *rule_new(void) {
    host_rule *r = calloc(1, sizeof *r);
    if (r) r->enabled = true;
    return r;
}

void rule_free(host_rule *r) {
    if (!r) return;
    if (r->eng && r->eng->free_rule) r->eng->free_rule(r);
    free(r->id);
    free(r->name);
    free(r->summary);
    free(r->description);
    free(r->help_md);
    free(r->help_uri);
    free(r->precision);
    for (size_t i = 0; i < r->n_tags; i++) free(r->tags ? r->tags[i] : NULL);
    free(r->tags);
    for (size_t i = 0; i < r->n_confirmed_by; i++) free(r->confirmed_by ? r->confirmed_by[i] : NULL);
    free(r->confirmed_by);
    for (size_t i = 0; r->options && i < r->n_options; i++) {
        free(r->options[i].name);
        free(r->options[i].doc);
        cJSON_Delete(r->options[i].default_value);
    }
    free(r->options);
    free(r->origin);
    cJSON_Delete(r->options_config);
    free(r);
}

bool rule_precision_valid(const char *s) {
    return s && (!strcmp(s, "very-high") || !strcmp(s, "high") || !strcmp(s, "medium") || !strcmp(s, "low"));
}

const char *rule_precision(const host_rule *r) {
    if (rule_precision_valid(r->precision)) return r->precision;
    for (size_t i = 0; i < r->n_tags; i++)
        if (r->tags[i] && (!strcmp(r->tags[i], "estimate") || !strcmp(r->tags[i], "heuristic"))) return "medium";
    return "high";
}

#ifndef CML_DOCS_URL
#define CML_DOCS_URL "https://github.com/coreml-lint/coreml-lint/blob/main/docs"
#endif

char *rule_help_uri(const host_rule *r) {
    if (!r) return NULL;
    if (r->bundled && r->id && strchr(r->id, '/')) {
        size_t n = strlen(CML_DOCS_URL) + strlen(r->id) + 16;
        char *s = malloc(n);
        if (s) snprintf(s, n, "%s/rules/%s.md", CML_DOCS_URL, r->id);
        return s;
    }
    return r->help_uri && *r->help_uri ? host_strdup(r->help_uri) : NULL;
}

/* [a-z0-9]+(-[a-z0-9]+)* over [s, e) */
bool rule_id_part_valid(const char *s, const char *e) {
    if (s == e || *s == '-' || e[-1] == '-') return false;
    for (const char *p = s; p < e; p++) {
        if (*p == '-') {
            if (p[1] == '-') return false;
        } else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
            return false;
        }
    }
    return true;
}

bool rule_id_valid(const char *id) {
    if (!id) return false;
    const char *slash = strchr(id, '/');
    if (!slash || strchr(slash + 1, '/')) return false;
    return rule_id_part_valid(id, slash) && rule_id_part_valid(slash + 1, slash + strlen(slash));
}

bool host_is_glob(const char *s) { return s && strpbrk(s, "*?") != NULL; }

bool host_rule_pattern_valid(const char *pattern) {
    if (!pattern || !*pattern) return false;
    if (!host_is_glob(pattern)) return rule_id_valid(pattern);
    for (const char *p = pattern; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("*?/-", *p))) return false;
    return true;
}

/* Globs run as a set of pattern positions over the string (a Thompson NFA
 * held as a bitset, 64 positions a word): time |string| x |pattern| / 64
 * whatever the pattern, where a backtracking matcher takes exponential time
 * on "*a*a*a*a*b" (and one with a step budget answers "no match" for a
 * pattern that does match). Tokens: a literal ("\x" for x), '?', '*' (in
 * paths not across '/'), "**" (across '/'), and in paths "**" + "/":
 * nothing, or "**" then '/' (G_SKIP3, G_DSTAR, '/'). A star and G_SKIP3
 * lead, by matching nothing, only to later positions. */
enum { G_LIT, G_ONE, G_SKIP3, G_STAR, G_DSTAR };

/* the tokens of p (kinds into k, literals into c; room for strlen(p): "**"
 * + "/" is three characters and three tokens); their count */
static size_t glob_compile(const char *p, bool pm, unsigned char *k, unsigned char *c) {
    size_t m = 0;
    while (*p) {
        if (*p == '*') {
            size_t stars = 0;
            while (*p == '*') p++, stars++;
            if (stars >= 2 && pm && *p == '/') {
                k[m++] = G_SKIP3;
                k[m++] = G_DSTAR;
                k[m] = G_LIT;
                c[m++] = '/';
                p++;
            } else {
                k[m++] = stars >= 2 || !pm ? G_DSTAR : G_STAR;
            }
            continue;
        }
        if (*p == '?') {
            k[m++] = G_ONE;
            p++;
            continue;
        }
        if (*p == '\\' && p[1]) p++;
        k[m] = G_LIT;
        c[m++] = (unsigned char)*p++;
    }
    return m;
}

typedef uint64_t gword;
#define GBIT(v, i) ((v)[(i) >> 6] & ((gword)1 << ((i) & 63)))
#define GSET(v, i) ((v)[(i) >> 6] |= (gword)1 << ((i) & 63))

/* v |= (v & mask) shifted up by `by` positions (1..63), over w words;
 * whether a bit was added */
static bool gshift_or(gword *v, const gword *mask, unsigned by, size_t w) {
    gword carry = 0, added = 0;
    for (size_t i = 0; i < w; i++) {
        gword x = v[i] & mask[i], nv = v[i] | (x << by) | carry;
        added |= nv ^ v[i];
        v[i] = nv;
        carry = x >> (64 - by);
    }
    return added != 0;
}

/* add what matching nothing reaches (stars one on, G_SKIP3 one and three).
 * Without G_SKIP3 one step does it (runs of '*' are one token, so a star
 * never leads to another); with it each round moves a step, and the set
 * only grows. */
static void gclose(gword *v, const gword *eps1, const gword *eps3, size_t w, bool skip3) {
    if (!skip3) {
        gshift_or(v, eps1, 1, w);
        return;
    }
    for (;;) {
        bool one = gshift_or(v, eps1, 1, w), three = gshift_or(v, eps3, 3, w);
        if (!one && !three) return;
    }
}

bool host_glob_match_n(const char *pattern, const char *s, bool path_mode, uint64_t *budget) {
    if (!pattern || !s) return false;
    size_t n = strlen(pattern), m;
    /* per literal byte a mask, for the bytes the pattern uses: slot[byte]
     * (0: none); masks: [0] any non-'/' step ('?'), [1] stay on a non-'/'
     * byte, [2] stay on '/', [3] eps1, [4] eps3, [5] cur, [6] next, then
     * one per distinct literal */
    unsigned char kbuf[128], cbuf[128], slot[256];
    unsigned char *k = n <= sizeof kbuf ? kbuf : malloc(n), *c = n <= sizeof cbuf ? cbuf : malloc(n);
    gword *mem = NULL, sbuf[16 * 3];
    bool hit = false;
    if (!k || !c) goto out;
    m = glob_compile(pattern, path_mode, k, c);
    size_t w = (m + 1 + 63) / 64, lits = 0;
    memset(slot, 0, sizeof slot);
    for (size_t i = 0; i < m; i++)
        if (k[i] == G_LIT && !slot[c[i]]) slot[c[i]] = (unsigned char)++lits;
    /* (255 distinct literal bytes at most: NUL ends the pattern) */
    size_t words = (7 + lits) * w;
    mem = words <= sizeof sbuf / sizeof *sbuf ? sbuf : calloc(words, sizeof *mem);
    if (!mem) goto out;
    memset(mem, 0, words * sizeof *mem);
    gword *one = mem, *stay = mem + w, *stay_slash = mem + 2 * w, *eps1 = mem + 3 * w, *eps3 = mem + 4 * w,
          *cur = mem + 5 * w, *next = mem + 6 * w, *lit = mem + 7 * w;
    bool skip3 = false;
    for (size_t i = 0; i < m; i++) {
        skip3 |= k[i] == G_SKIP3;
        switch (k[i]) {
        case G_LIT: if (slot[c[i]]) GSET(lit + (slot[c[i]] - 1) * w, i); break;
        case G_ONE: GSET(one, i); break;
        case G_SKIP3: GSET(eps1, i); GSET(eps3, i); break;
        case G_STAR: GSET(stay, i); GSET(eps1, i); break;
        case G_DSTAR: GSET(stay, i); GSET(stay_slash, i); GSET(eps1, i); break;
        }
    }
    GSET(cur, 0);
    gclose(cur, eps1, eps3, w, skip3);
    const unsigned char *p = (const unsigned char *)s;
    if (w == 1 && !skip3) {
        /* one word: the common case, in registers (patterns up to 63 tokens) */
        gword v = cur[0], e1 = eps1[0], st = stay[0], sts = stay_slash[0], o = one[0];
        for (; *p && v; p++) {
            bool slash = path_mode && *p == '/';
            gword acc = (slot[*p] ? lit[slot[*p] - 1] : 0) | (slash ? 0 : o);
            v = (v & (slash ? sts : st)) | ((v & acc) << 1);
            v |= (v & e1) << 1;
        }
        hit = !*p && (v >> m) & 1;
        /* charged for the bytes read (one match may overrun the budget by its
         * string; the caller stops at the next) */
        uint64_t used = (uint64_t)(p - (const unsigned char *)s);
        if (budget && *budget < used) hit = false, *budget = 0;
        else if (budget) *budget -= used;
        goto out;
    }
    for (; *p; p++) {
        if (budget) {
            if (*budget < w) {
                *budget = 0;
                goto out;   /* not matched: the caller sees the budget spent */
            }
            *budget -= w;
        }
        bool slash = path_mode && *p == '/';
        const gword *acc = slot[*p] ? lit + (slot[*p] - 1) * w : NULL;
        /* next = the stars that stay, and every position whose token
         * takes this byte, moved on by one */
        gword any = 0, carry = 0;
        for (size_t i = 0; i < w; i++) {
            gword x = cur[i] & ((acc ? acc[i] : 0) | (slash ? 0 : one[i]));
            next[i] = (cur[i] & (slash ? stay_slash[i] : stay[i])) | (x << 1) | carry;
            carry = x >> 63;
        }
        gclose(next, eps1, eps3, w, skip3);
        for (size_t i = 0; i < w; i++) any |= next[i];
        gword *sw = cur;
        cur = next;
        next = sw;
        if (!any) goto out;
    }
    hit = GBIT(cur, m) != 0;
out:
    if (k != kbuf) free(k);
    if (c != cbuf) free(c);
    if (mem != sbuf) free(mem);
    return hit;
}

bool host_glob_match(const char *pattern, const char *s, bool path_mode) {
    return host_glob_match_n(pattern, s, path_mode, NULL);
}

/* keys are model paths: keyed (coreml-lint/hash.h) */
static size_t strset_hash(const char *k) { return (size_t)cml_hash_str(k); }

int host_strset_add(host_strset *s, const char *key) {
    if (2 * (s->n + 1) > s->cap) {
        size_t nc = s->cap ? 2 * s->cap : 64;
        const char **nk = calloc(nc, sizeof *nk);
        if (!nk) return -1;
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->keys[i]) continue;
            size_t h = strset_hash(s->keys[i]) & (nc - 1);
            while (nk[h]) h = (h + 1) & (nc - 1);
            nk[h] = s->keys[i];
        }
        free(s->keys);
        s->keys = nk;
        s->cap = nc;
    }
    size_t h = strset_hash(key) & (s->cap - 1);
    for (; s->keys[h]; h = (h + 1) & (s->cap - 1))
        if (!strcmp(s->keys[h], key)) return 0;
    s->keys[h] = key;
    s->n++;
    return 1;
}

bool host_strset_has(const host_strset *s, const char *key) {
    if (!s->cap) return false;
    for (size_t h = strset_hash(key) & (s->cap - 1); s->keys[h]; h = (h + 1) & (s->cap - 1))
        if (!strcmp(s->keys[h], key)) return true;
    return false;
}

void host_strset_free(host_strset *s) {
    free(s->keys);
    memset(s, 0, sizeof *s);
}

/* May "dir/.." be dropped from out[0..o)? Only when the last component is
 * a name (not "..") and not a symbolic link: "link/.." is the parent of
 * where the link points, which the name alone does not say. */
static bool can_pop(char *out, size_t o, bool abs, size_t *start) {
    size_t b = o;
    while (b > 0 && out[b - 1] != '/') b--;
    if (b == o) return false;                           /* nothing (or "/") to pop */
    if (o - b == 2 && out[b] == '.' && out[b + 1] == '.') return false;
    char saved = out[o];
    out[o] = 0;
    struct stat st;
    bool link = lstat(out, &st) == 0 && S_ISLNK(st.st_mode);
    out[o] = saved;
    if (link) return false;
    *start = b > (size_t)abs ? b - 1 : b;               /* drop the '/' before it too */
    return true;
}

char *host_path_normalize(const char *path, const char *cwd) {
    if (!path) return NULL;
    size_t n = strlen(path);
    char *out = malloc(n + 2);
    if (!out) return NULL;
    bool abs = path[0] == '/';
    size_t o = 0;
    if (abs) out[o++] = '/';
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *e = p;
        while (*e && *e != '/') e++;
        size_t len = (size_t)(e - p);
        size_t start;
        if (len == 2 && p[0] == '.' && p[1] == '.' && abs && o == 1) {
            /* "/.." is "/" */
        } else if (len == 2 && p[0] == '.' && p[1] == '.' && can_pop(out, o, abs, &start)) {
            o = start;                                  /* "a/b/.." is "a" */
        } else if (len && !(len == 1 && p[0] == '.')) {
            if (o && out[o - 1] != '/') out[o++] = '/';
            memcpy(out + o, p, len);
            o += len;
        }
        p = e;
    }
    if (!o) out[o++] = '.';
    out[o] = 0;
    if (abs && cwd && cwd[0] == '/') {
        char *c = host_path_normalize(cwd, NULL);
        if (!c) {
            free(out);
            return NULL;
        }
        size_t cn = strlen(c);
        if (!strcmp(out, c)) {
            strcpy(out, ".");
        } else if (cn == 1) {          /* cwd is "/" */
            memmove(out, out + 1, strlen(out));
        } else if (!strncmp(out, c, cn) && out[cn] == '/') {
            memmove(out, out + cn + 1, strlen(out + cn + 1) + 1);
        }
        free(c);
    }
    return out;
}

char *host_join_path(const char *dir, const char *path) {
    size_t n = strlen(dir) + strlen(path) + 2;
    char *j = malloc(n);
    if (j) snprintf(j, n, "%s/%s", dir, path);
    return j;
}

char *host_repo_root(const char *dir) {
    if (!dir || dir[0] != '/') return NULL;
    char *d = host_path_normalize(dir, NULL);
    if (!d) return NULL;
    /* one stat per folder up to "/": as many as the path has components */
    for (;;) {
        size_t n = strlen(d);
        char *g = malloc(n + 6);
        if (!g) break;
        snprintf(g, n + 6, "%s%s.git", d, n > 1 ? "/" : "");
        struct stat st;
        bool hit = lstat(g, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode));
        free(g);
        if (hit) return d;
        char *slash = strrchr(d, '/');
        if (!slash || n == 1) break;
        if (slash == d) slash[1] = 0;   /* "/a" -> "/" */
        else *slash = 0;
    }
    free(d);
    return NULL;
}

const char *host_opt_type_name(opt_type t) {
    switch (t) {
    case OPT_BOOL: return "bool";
    case OPT_INT: return "int";
    case OPT_NUMBER: return "number";
    case OPT_STRING: return "string";
    case OPT_STRINGS: return "strings";
    }
    return "?";
}

bool host_option_type_ok(const cJSON *v, opt_type t) {
    switch (t) {
    case OPT_BOOL: return cJSON_IsBool(v);
    case OPT_INT: {
        if (!cJSON_IsNumber(v)) return false;
        double d = v->valuedouble;
        return d > -9.2e18 && d < 9.2e18 && d == (double)(long long)d;
    }
    case OPT_NUMBER: return cJSON_IsNumber(v);
    case OPT_STRING: return cJSON_IsString(v);
    case OPT_STRINGS: {
        if (!cJSON_IsArray(v)) return false;
        const cJSON *e;
        cJSON_ArrayForEach(e, v) {
            if (!cJSON_IsString(e)) return false;
        }
        return true;
    }
    }
    return false;
}

bool rule_has_tag(const host_rule *r, const char *tag) {
    for (size_t i = 0; r && i < r->n_tags; i++)
        if (r->tags[i] && !strcmp(r->tags[i], tag)) return true;
    return false;
}

double host_now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
