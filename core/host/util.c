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
static bool kebab(const char *s, const char *e) {
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
    return kebab(id, slash) && kebab(slash + 1, slash + strlen(slash));
}

bool host_is_glob(const char *s) { return s && strpbrk(s, "*?") != NULL; }

bool host_rule_pattern_valid(const char *pattern) {
    if (!pattern || !*pattern) return false;
    if (!host_is_glob(pattern)) return rule_id_valid(pattern);
    for (const char *p = pattern; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("*?/-", *p))) return false;
    return true;
}

/* Backtracking matcher with a step budget, so a hostile pattern
 * ("*a*a*a*a*b") cannot take exponential time. */
static bool gm(const char *p, const char *s, bool pm, long *budget) {
    while (*p) {
        if (--*budget < 0) return false;
        if (*p == '*') {
            bool dbl = p[1] == '*';
            const char *q = p + 1;
            while (*q == '*') q++;
            bool cross = dbl || !pm;
            if (dbl && pm && *q == '/' && gm(q + 1, s, pm, budget)) return true; /* "**" + "/" = no folder */
            if (!*q) return cross || !strchr(s, '/');
            for (const char *t = s;; t++) {
                if (gm(q, t, pm, budget)) return true;
                if (!*t || (!cross && *t == '/') || *budget < 0) return false;
            }
        }
        if (*p == '?') {
            if (!*s || (pm && *s == '/')) return false;
            p++;
            s++;
            continue;
        }
        if (*p == '\\' && p[1]) p++;
        if (*p != *s) return false;
        p++;
        s++;
    }
    return *s == 0;
}

bool host_glob_match(const char *pattern, const char *s, bool path_mode) {
    if (!pattern || !s) return false;
    long budget = 200000;
    return gm(pattern, s, path_mode, &budget);
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
        if (len && !(len == 1 && p[0] == '.')) {
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
