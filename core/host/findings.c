/* SPDX-License-Identifier: Apache-2.0 */
/* findings.c — the findings pipeline after the checks: fingerprints (rule
 * id + artifact path + logical location + the message's shape), the --baseline SARIF (known
 * fingerprints dropped), suppressions from the config (kept, marked), a
 * deterministic sort and deduplication of (fingerprint, message). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fsutil.h"
#include "format/nesting.h"
#include "format/sha256.h"
#include "host/config.h"
#include "host/findings.h"
#include "host/util.h"

#define BASELINE_MAX_BYTES ((size_t)256 << 20)

void finding_free(finding *f) {
    if (!f) return;
    free(f->rule_id);
    free(f->message);
    free(f->fix);
    free(f->model_path);
    free(f->root_path);
    free((char *)f->loc.artifact);
    free((char *)f->loc.logical);
    for (size_t i = 0; i < f->n_related; i++) {
        free(f->related[i].message);
        free((char *)f->related[i].loc.artifact);
        free((char *)f->related[i].loc.logical);
    }
    free(f->related);
    cJSON_Delete(f->props);
    free(f->suppress_reason);
    free(f);
}

int fvec_push(fvec *v, finding *f) {
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 64;
        finding **nv = realloc(v->v, nc * sizeof *nv);
        if (!nv) return -1;
        v->v = nv;
        v->cap = nc;
    }
    v->v[v->n++] = f;
    return 0;
}

/* ---- fingerprints and baseline ------------------------------------------------ */

/* What identifies a finding beyond rule and place: its message with every
 * number and every quoted name blanked, so the figures and the example names
 * a message carries ("2 of 13 ops", "e.g. 'conv_3'") can change with
 * unrelated edits of the model without changing the fingerprint, while two
 * different findings of one rule on one place ("unbounded range" and "uses
 * a shape range" on input 'image') keep different ones. */
static void hash_message_shape(sha256_ctx *c, const char *m) {
    char buf[256];
    size_t n = 0;
    char quote = 0;
    for (const char *p = m; *p; p++) {
        char ch = *p;
        if (quote) {
            if (ch == quote) quote = 0;
            else continue;
        } else if ((ch == '\'' || ch == '"') && strchr(p + 1, ch)) {
            quote = ch;
        } else if (ch >= '0' && ch <= '9') {
            while ((p[1] >= '0' && p[1] <= '9') || (p[1] == '.' && p[2] >= '0' && p[2] <= '9')) p++;
            ch = '#';
        }
        buf[n++] = ch;
        if (n == sizeof buf) {
            sha256_update(c, buf, n);
            n = 0;
        }
    }
    sha256_update(c, buf, n);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void fingerprint_into(const finding *f, bool raw_message, char out[33]) {
    sha256_ctx c;
    unsigned char d[32];
    char hex[65];
    const char *art = f->loc.artifact ? f->loc.artifact : "";
    const char *logical = f->loc.logical ? f->loc.logical : "";
    sha256_init(&c);
    sha256_update(&c, f->rule_id, strlen(f->rule_id) + 1);          /* id + NUL */
    const char *path = f->root_path ? f->root_path : f->model_path;
    sha256_update(&c, path, strlen(path));
    if (*art) {
        sha256_update(&c, "/", 1);
        sha256_update(&c, art, strlen(art));
    }
    sha256_update(&c, "", 1);
    sha256_update(&c, logical, strlen(logical));
    sha256_update(&c, "", 1);
    if (raw_message) sha256_update(&c, f->message, strlen(f->message));
    else hash_message_shape(&c, f->message);
    sha256_final(&c, d);
    sha256_to_hex(d, hex);
    memcpy(out, hex, 32);
    out[32] = 0;
}

static void fingerprint_with(finding *f, bool raw_message) {
    fingerprint_into(f, raw_message, f->fingerprint);
    f->fingerprint_raw = raw_message;
}

void findings_fingerprint(finding *f) { fingerprint_with(f, false); }

/* Is f in the baseline? By its fingerprint, or, when that is its message's
 * shape, by its whole message too: a baseline written while another
 * finding of the same shape stood beside it holds that fingerprint, and
 * fixing the other must not bring this one back as new. (The converse,
 * a finding that took its whole message because a new one appeared, is
 * not matched by shape: the shape may be the new one's, and a baseline
 * must not hide a new finding.) */
static bool in_baseline(const finding *f, char *const *fps, size_t n_fps) {
    if (!n_fps) return false;
    if (bsearch(&(const char *){f->fingerprint}, fps, n_fps, sizeof *fps, cmp_str)) return true;
    if (f->fingerprint_raw) return false;
    char raw[33];
    fingerprint_into(f, true, raw);
    return bsearch(&(const char *){raw}, fps, n_fps, sizeof *fps, cmp_str) != NULL;
}


static int add_fps(const cJSON *obj, char ***fps, size_t *n, size_t *cap) {
    const cJSON *v;
    cJSON_ArrayForEach(v, obj) {
        if (!cJSON_IsString(v) || !*v->valuestring) continue;
        if (*n == *cap) {
            size_t nc = *cap ? *cap * 2 : 64;
            char **nf = realloc(*fps, nc * sizeof *nf);
            if (!nf) return -1;
            *fps = nf;
            *cap = nc;
        }
        char *s = host_strdup(v->valuestring);
        if (!s) return -1;
        char *colon = strchr(s, ':');
        if (colon) *colon = 0;
        (*fps)[(*n)++] = s;
    }
    return 0;
}

/* a SARIF baseline of 100,000 findings holds a few million values */
#define BASELINE_MAX_VALUES ((size_t)8 << 20)

int findings_baseline_read(const char *path, char ***fps, size_t *n, char *err, size_t errlen) {
    *fps = NULL;
    *n = 0;
    int fd = fs_open_regular(path);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0) close(fd);
        snprintf(err, errlen, "--baseline: cannot read '%s': %s", path, fs_strerror(e));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len == cap) {
            if (cap >= BASELINE_MAX_BYTES) break;
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (!got) break;
    }
    bool rd_err = ferror(f);
    fclose(f);
    if (!buf || rd_err || len >= BASELINE_MAX_BYTES) {
        snprintf(err, errlen, "--baseline: cannot read '%s'%s", path,
                 !buf ? ": out of memory" : rd_err ? ": read error" : ": larger than 256 MiB");
        free(buf);
        return -1;
    }
    /* (cJSON builds a node per value before anything is looked at:
     * 255 MiB of "0," took 10 GB) */
    size_t nv = 0;
    bool deep = json_scan(buf, len, CML_MAX_NESTING, NULL, &nv) != 0;
    if (!deep && nv > BASELINE_MAX_VALUES) {
        snprintf(err, errlen, "--baseline: '%s' holds more than %zu JSON values", path, BASELINE_MAX_VALUES);
        free(buf);
        return -1;
    }
    cJSON *root = deep ? NULL : cJSON_ParseWithLength(buf, len);
    free(buf);
    const cJSON *runs = root ? cJSON_GetObjectItemCaseSensitive(root, "runs") : NULL;
    if (!cJSON_IsArray(runs)) {
        snprintf(err, errlen, "--baseline: '%s' is not a SARIF log (no \"runs\" array)", path);
        cJSON_Delete(root);
        return -1;
    }
    size_t fcap = 0;
    const cJSON *run, *res;
    cJSON_ArrayForEach(run, runs) {
        const cJSON *results = cJSON_GetObjectItemCaseSensitive(run, "results");
        cJSON_ArrayForEach(res, results) {
            const cJSON *pf = cJSON_GetObjectItemCaseSensitive(res, "partialFingerprints");
            const cJSON *fp = cJSON_GetObjectItemCaseSensitive(res, "fingerprints");
            if ((cJSON_IsObject(pf) && add_fps(pf, fps, n, &fcap)) || (cJSON_IsObject(fp) && add_fps(fp, fps, n, &fcap))) {
                snprintf(err, errlen, "--baseline: out of memory");
                cJSON_Delete(root);
                return -1;
            }
        }
    }
    cJSON_Delete(root);
    if (*n) qsort(*fps, *n, sizeof **fps, cmp_str);
    return 0;
}

/* ---- ordering ------------------------------------------------------------------ */

static int scmp(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int ucmp(uint64_t a, uint64_t b) { return a < b ? -1 : a > b; }

static int cmp_finding(const void *pa, const void *pb) {
    const finding *a = *(finding *const *)pa, *b = *(finding *const *)pb;
    int c;
    if ((c = scmp(a->model_path, b->model_path))) return c;
    if ((c = scmp(a->loc.artifact, b->loc.artifact))) return c;
    if ((c = ucmp(a->loc.line, b->loc.line))) return c;
    if ((c = scmp(a->loc.logical, b->loc.logical))) return c;
    if ((c = scmp(a->rule_id, b->rule_id))) return c;
    if ((c = scmp(a->message, b->message))) return c;
    if ((c = ucmp(a->loc.column, b->loc.column))) return c;
    if ((c = ucmp(a->loc.has_bytes, b->loc.has_bytes))) return c;
    if ((c = ucmp(a->loc.byte_offset, b->loc.byte_offset))) return c;
    if ((c = ucmp(a->loc.byte_length, b->loc.byte_length))) return c;
    if ((c = a->level - b->level)) return c;
    if ((c = scmp(a->fix, b->fix))) return c;
    return ucmp(a->n_related, b->n_related);
}

typedef struct fref {
    const finding *f;
    size_t i;
} fref;

static int cmp_dup(const void *pa, const void *pb) {
    const fref *a = pa, *b = pb;
    int c = strcmp(a->f->fingerprint, b->f->fingerprint);
    if (!c) c = strcmp(a->f->message, b->f->message);
    if (!c) c = ucmp(a->i, b->i);
    return c;
}

/* ---- findings one rule restates for another (host_rule.confirmed_by) ---------- */

static int cmp_nstr(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

/* candidates ordered by (rule id, model, artifact, logical location) */
static int cmp_cand(const void *a, const void *b) {
    const finding *x = ((const fref *)a)->f, *y = ((const fref *)b)->f;
    int c = strcmp(x->rule_id, y->rule_id);
    if (!c) c = cmp_nstr(x->model_path, y->model_path);
    if (!c) c = cmp_nstr(x->loc.artifact, y->loc.artifact);
    if (!c) c = cmp_nstr(x->loc.logical, y->loc.logical);
    return c;
}

/* sorted as cmp_cand, the least severe first within a place */
static int cmp_cand_level(const void *a, const void *b) {
    int c = cmp_cand(a, b);
    return c ? c : ucmp((uint64_t)((const fref *)a)->f->level, (uint64_t)((const fref *)b)->f->level);
}

/* The first candidate not yet folded from position i on: nxt[] skips the
 * folded ones, with path halving (stepping over them one by one made
 * thousands of findings at one place quadratic). */
static size_t cand_next_free(size_t *nxt, size_t i) {
    while (nxt[i] != i) {
        nxt[i] = nxt[nxt[i]];
        i = nxt[i];
    }
    return i;
}

/* the least severe candidate of rule `id` at (model, loc) not yet folded,
 * other than finding `self`, when it is no more severe than max_level; or
 * NULL */
static fref *cand_find(fref *c, size_t *nxt, size_t n, size_t self, const char *id, const char *model,
                       const cml_loc *loc, int max_level) {
    if (!loc->logical || !*loc->logical) return NULL;
    finding key = {.rule_id = (char *)id, .model_path = (char *)model, .loc = *loc};
    fref kr = {&key, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) {   /* the first position not below the key */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_cand(&c[mid], &kr) < 0) lo = mid + 1;
        else hi = mid;
    }
    lo = cand_next_free(nxt, lo);
    if (lo < n && c[lo].i == self) lo = cand_next_free(nxt, lo + 1);   /* not itself */
    if (lo < n && !cmp_cand(&c[lo], &kr) && c[lo].f->level <= max_level) {
        nxt[lo] = lo + 1;   /* taken */
        return &c[lo];
    }
    return NULL;
}

/* S takes P in: P's message and place become one of S's related locations
 * ("confirmed by RULE: ..."), P's rule id goes into S's property
 * confirmed_by, and P is freed. 0, or -1 when out of memory (nothing moved). */
static int fold_into(finding *s, finding *p) {
    size_t n = strlen(p->rule_id) + strlen(p->message) + 32;
    char *msg = malloc(n);
    related_loc *rl = realloc(s->related, (s->n_related + 1) * sizeof *rl);
    if (rl) s->related = rl;
    if (!s->props) s->props = cJSON_CreateObject();
    cJSON *ids = s->props ? cJSON_GetObjectItemCaseSensitive(s->props, "confirmed_by") : NULL;
    if (s->props && !ids) ids = cJSON_AddArrayToObject(s->props, "confirmed_by");
    cJSON *id = ids ? cJSON_CreateString(p->rule_id) : NULL;
    if (!msg || !rl || !id || !cJSON_IsArray(ids)) {
        free(msg);
        cJSON_Delete(id);
        return -1;
    }
    cJSON_AddItemToArray(ids, id);
    snprintf(msg, n, "confirmed by %s: %s", p->rule_id, p->message);
    s->related[s->n_related].message = msg;
    s->related[s->n_related].loc = p->loc;   /* its strings move with it */
    s->related[s->n_related].confirmation = true;
    s->n_related++;
    p->loc.artifact = p->loc.logical = NULL;
    finding_free(p);
    return 0;
}

/* Fold every finding a rule's confirmed_by names, on the same model and at
 * the finding's place or one of its related places, into that finding; one
 * more severe than the finding it restates stays as it is.
 * Sorted candidates and a binary search per place: a rule may report
 * thousands of findings. */
static int fold_confirmations(fvec *out, size_t *folded) {
    bool any = false;
    for (size_t i = 0; i < out->n && !any; i++) any = out->v[i]->rule && out->v[i]->rule->n_confirmed_by;
    if (!any) return 0;
    fref *c = malloc(out->n * sizeof *c);
    /* pairs (S, P) found first, folded after: the search reads the
     * candidates' keys, which a fold moves and frees */
    size_t *pairs = malloc(2 * out->n * sizeof *pairs), np = 0;
    bool *taken = calloc(out->n, sizeof *taken);
    size_t *nxt = malloc((out->n + 1) * sizeof *nxt);
    if (!c || !pairs || !taken || !nxt) {
        free(c);
        free(pairs);
        free(taken);
        free(nxt);
        return -1;
    }
    for (size_t i = 0; i < out->n; i++) c[i] = (fref){out->v[i], i};
    for (size_t i = 0; i <= out->n; i++) nxt[i] = i;
    qsort(c, out->n, sizeof *c, cmp_cand_level);
    for (size_t i = 0; i < out->n; i++) {
        const finding *s = out->v[i];
        if (taken[i] || !s->rule) continue;   /* folded into another: not a place of its own */
        for (size_t k = 0; k < s->rule->n_confirmed_by; k++) {
            const char *id = s->rule->confirmed_by[k];
            for (size_t j = 0; j <= s->n_related; j++) {
                fref *hit = cand_find(c, nxt, out->n, i, id, s->model_path, j ? &s->related[j - 1].loc : &s->loc,
                                      s->level);
                if (!hit) continue;
                taken[hit->i] = true;
                pairs[np++] = i;
                pairs[np++] = hit->i;
                hit->i = SIZE_MAX;
            }
        }
    }
    int rc = 0;
    for (size_t q = 0; q < np; q += 2) {
        size_t si = pairs[q], pi = pairs[q + 1];
        if (fold_into(out->v[si], out->v[pi]) != 0) {
            rc = -1;   /* out of memory: it stays a finding of its own */
            continue;
        }
        out->v[pi] = NULL;
        (*folded)++;
    }
    free(c);
    free(pairs);
    free(taken);
    free(nxt);
    size_t keep = 0;
    for (size_t i = 0; i < out->n; i++)
        if (out->v[i]) out->v[keep++] = out->v[i];
    out->n = keep;
    return rc;
}

int findings_finish(fvec *out, char *const *fps, size_t n_fps, const config *cfg, const char *cwd,
                    const char *root, findings_stats *st) {
    findings_stats s = {0};
    int oom = 0;
    /* fingerprints (of the path from the source root), baseline, suppressions */
    bool rebase = root && cwd && cwd[0] == '/' && strcmp(root, cwd);
    const finding *prev = NULL;   /* findings come model by model: one path per model */
    for (size_t i = 0; i < out->n; i++) {
        finding *f = out->v[i];
        if (rebase && f->model_path && !f->root_path) {
            if (prev && !strcmp(prev->model_path, f->model_path)) {
                f->root_path = host_strdup(prev->root_path);
            } else {
                char *abs = f->model_path[0] == '/' ? host_strdup(f->model_path) : host_join_path(cwd, f->model_path);
                f->root_path = abs ? host_path_normalize(abs, root) : NULL;
                free(abs);
            }
            if (!f->root_path) oom = 1;
            else prev = f;
        }
        findings_fingerprint(f);
    }
    /* two different messages of one rule on one place that differ only in
     * numbers or names would share a fingerprint (and GitHub would merge
     * their alerts): those take their whole message into it */
    if (out->n > 1) {
        fref *byfp = malloc(out->n * sizeof *byfp);
        if (byfp) {
            for (size_t i = 0; i < out->n; i++) byfp[i] = (fref){out->v[i], i};
            qsort(byfp, out->n, sizeof *byfp, cmp_dup);
            for (size_t i = 0; i < out->n;) {
                size_t j = i + 1;
                while (j < out->n && !strcmp(byfp[j].f->fingerprint, byfp[i].f->fingerprint)) j++;
                bool differ = false;
                for (size_t k = i + 1; k < j; k++) differ = differ || strcmp(byfp[k].f->message, byfp[i].f->message);
                if (differ)
                    for (size_t k = i; k < j; k++) fingerprint_with(out->v[byfp[k].i], true);
                i = j;
            }
            free(byfp);
        } else {
            oom = 1;
        }
    }

    /* before the baseline and the suppressions: a finding folded into the
     * one it restates goes with it (a baseline written since holds only
     * that one's fingerprint: folded after the baseline, the restating
     * finding would come back as new once the other was dropped) */
    if (fold_confirmations(out, &s.confirmed) != 0) oom = 1;

    size_t keep = 0;
    uint64_t budget = FINDINGS_SUPP_BUDGET;
    for (size_t i = 0; i < out->n; i++) {
        finding *f = out->v[i];
        if (in_baseline(f, fps, n_fps)) {
            s.baselined++;
            finding_free(f);
            continue;
        }
        /* once the budget is spent the rest stay unsuppressed: a config can
         * make a run show more, never hide a finding by being costly */
        const config_supp *sp = budget ? config_suppression_for(cfg, f, cwd, &budget) : NULL;
        if (!budget) s.supp_budget_spent = true;
        if (sp) {
            f->suppressed = true;
            f->suppress_reason = host_strdup(sp->reason);
            f->supp = sp;
        }
        out->v[keep++] = f;
    }
    out->n = keep;

    /* sort, then drop later copies of (fingerprint, message) */
    if (out->n) qsort(out->v, out->n, sizeof *out->v, cmp_finding);
    fref *refs = out->n ? malloc(out->n * sizeof *refs) : NULL;
    if (refs) {
        for (size_t i = 0; i < out->n; i++) refs[i] = (fref){out->v[i], i};
        qsort(refs, out->n, sizeof *refs, cmp_dup);
        /* within a run of equal (fingerprint, message) keep the first in
         * report order; free only after the scan (refs point at them) */
        const finding *head = refs[0].f;
        for (size_t i = 1; i < out->n; i++) {
            if (!strcmp(refs[i].f->fingerprint, head->fingerprint) && !strcmp(refs[i].f->message, head->message)) {
                refs[i].f = NULL;
                s.duplicates++;
            } else {
                head = refs[i].f;
            }
        }
        for (size_t i = 1; i < out->n; i++)
            if (!refs[i].f) {
                finding_free(out->v[refs[i].i]);
                out->v[refs[i].i] = NULL;
            }
        free(refs);
        keep = 0;
        for (size_t i = 0; i < out->n; i++)
            if (out->v[i]) out->v[keep++] = out->v[i];
        out->n = keep;
    } else if (out->n) {
        oom = 1;
    }
    for (size_t i = 0; i < out->n; i++) s.suppressed += out->v[i]->suppressed;
    s.supp_budget_left = budget;
    if (st) *st = s;
    return oom ? -1 : 0;
}
