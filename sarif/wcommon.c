/* SPDX-License-Identifier: Apache-2.0 */
/* wcommon.c — helpers shared by the sarif/ writers: level names, joining a
 * model path with an artifact, RFC 3986 percent-encoding and normalisation
 * of paths into SARIF URIs (repo-relative where possible, file:// otherwise),
 * text-artifact detection, the display message that names the op, UTF-8
 * cleaning (JSON parsers and terminals must never see invalid bytes or
 * control characters from a hostile model), truncation at code-point
 * boundaries, summary counts and the final flush/error check. Everything
 * here is pure string work on the run_result; nothing touches the IR. */
#include "sarif/wcommon.h"

#include "format/sanitize.h"

#include <stdarg.h>
#include <stdint.h>
#include <math.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double sarif_jnum(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

const char *sarif_jstr(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *sarif_plural(size_t n) { return n == 1 ? "" : "s"; }

const char *sarif_rule_id(const finding *f) {
    if (f->rule_id && *f->rule_id) return f->rule_id;
    if (f->rule && f->rule->id && *f->rule->id) return f->rule->id;
    return "unknown/unknown";
}


char *sarif_strdup(const char *s) {
    if (!s) s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

char *sarif_printf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

char *sarif_join_path(const char *model, const char *artifact) {
    if (!model) model = "";
    if (!artifact || !*artifact) return sarif_strdup(model);
    size_t ml = strlen(model);
    while (ml > 1 && model[ml - 1] == '/') ml--;   /* "Foo.mlpackage/" + artifact */
    if (ml == 0) return sarif_strdup(artifact);
    size_t al = strlen(artifact);
    bool slash = model[ml - 1] != '/';
    char *s = malloc(ml + (slash ? 1 : 0) + al + 1);
    if (!s) return NULL;
    memcpy(s, model, ml);
    if (slash) s[ml] = '/';
    memcpy(s + ml + (slash ? 1 : 0), artifact, al + 1);
    return s;
}

char *sarif_finding_path(const finding *f) {
    return sarif_join_path(f->model_path, f->loc.artifact);
}

static bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *sarif_uri_encode(const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    if (!path) path = "";
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) n += (unreserved(*p) || *p == '/') ? 1 : 3;
    char *s = malloc(n + 1), *o = s;
    if (!s) return NULL;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if (unreserved(*p) || *p == '/') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = 0;
    return s;
}

/* Segments of a '/'-separated path after normalisation: pointers into a
 * private copy. Leading ".." are kept (ups) unless absolute. */
typedef struct segs {
    char *buf;
    char **v;
    size_t n;
} segs;

static int segs_push_path(segs *s, char *p, size_t cap, bool absolute) {
    char *save = p;
    while (*save) {
        char *seg = save;
        char *slash = strchr(seg, '/');
        if (slash) {
            *slash = 0;
            save = slash + 1;
        } else {
            save = seg + strlen(seg);
        }
        if (!*seg || strcmp(seg, ".") == 0) continue;
        if (strcmp(seg, "..") == 0) {
            if (s->n > 0 && strcmp(s->v[s->n - 1], "..") != 0) {
                s->n--;
                continue;
            }
            if (absolute) continue;             /* "/.." is "/" */
        }
        if (s->n >= cap) return -1;
        s->v[s->n++] = seg;
    }
    return 0;
}

static char *segs_join(const segs *s, bool absolute) {
    size_t len = 1;
    for (size_t i = 0; i < s->n; i++) len += strlen(s->v[i]) + 1;
    char *out = malloc(len + 1), *o = out;
    if (!out) return NULL;
    if (absolute) *o++ = '/';
    for (size_t i = 0; i < s->n; i++) {
        size_t l = strlen(s->v[i]);
        if (i) *o++ = '/';
        memcpy(o, s->v[i], l);
        o += l;
    }
    *o = 0;
    if (!absolute && o == out) {          /* everything cancelled out */
        out[0] = '.';
        out[1] = 0;
    }
    return out;
}

/* Normalise path (relative to base when base != NULL and path relative). */
static char *normalise(const char *base, const char *path, bool absolute) {
    size_t bl = base ? strlen(base) : 0, pl = strlen(path);
    segs s = {0};
    s.buf = malloc(bl + pl + 2);
    s.v = malloc(sizeof *s.v * (bl + pl + 2));
    char *res = NULL;
    if (!s.buf || !s.v) goto out;
    memcpy(s.buf, base ? base : "", bl);
    s.buf[bl] = 0;
    memcpy(s.buf + bl + 1, path, pl + 1);
    if (base && segs_push_path(&s, s.buf, bl + pl + 2, true) < 0) goto out;
    if (segs_push_path(&s, s.buf + bl + 1, bl + pl + 2, absolute) < 0) goto out;
    res = segs_join(&s, absolute);
out:
    free(s.buf);
    free(s.v);
    return res;
}

static char *file_uri(const char *abs_norm, bool dir) {
    char *enc = sarif_uri_encode(abs_norm);
    if (!enc) return NULL;
    size_t l = strlen(enc);
    char *u = sarif_printf("file://%s%s", enc, dir && (l == 0 || enc[l - 1] != '/') ? "/" : "");
    free(enc);
    return u;
}

/* Split a normalised absolute path (modified in place) into its segments. */
static size_t split_abs(char *p, char **v) {
    size_t n = 0;
    for (char *t = p; *t;) {
        while (*t == '/') *t++ = 0;
        if (!*t) break;
        v[n++] = t;
        while (*t && *t != '/') t++;
    }
    return n;
}

/* path relative to dir (both absolute and normalised): ".." for every
 * segment of dir past their common prefix, then the rest of path. */
static char *relative_to(const char *path, const char *dir) {
    size_t pl = strlen(path), dl = strlen(dir);
    char *pc = malloc(pl + 1), *dc = malloc(dl + 1), *out = NULL;
    char **pv = malloc(sizeof *pv * (pl + 1)), **dv = malloc(sizeof *dv * (dl + 1));
    if (!pc || !dc || !pv || !dv) goto done;
    memcpy(pc, path, pl + 1);
    memcpy(dc, dir, dl + 1);
    size_t np = split_abs(pc, pv), nd = split_abs(dc, dv), common = 0;
    while (common < np && common < nd && strcmp(pv[common], dv[common]) == 0) common++;
    out = malloc((nd - common) * 3 + pl + 2);
    if (!out) goto done;
    char *o = out;
    for (size_t k = common; k < nd; k++) {
        memcpy(o, "../", 3);
        o += 3;
    }
    for (size_t k = common; k < np; k++) {
        size_t l = strlen(pv[k]);
        memcpy(o, pv[k], l);
        o += l;
        *o++ = '/';
    }
    if (o == out) *o++ = '.';
    else o--;                       /* drop the last '/' */
    *o = 0;
done:
    free(pc);
    free(dc);
    free(pv);
    free(dv);
    return out;
}

/* An absolute directory, or NULL. */
static const char *abs_dir(const char *d) { return d && d[0] == '/' ? d : NULL; }

/* path (relative to working_dir when not absolute) relative to base (NULL:
 * working_dir), normalised; NULL when out of memory or when path is
 * absolute and neither directory is known */
static char *rebased(const char *path, const char *working_dir, const char *base) {
    working_dir = abs_dir(working_dir);
    base = abs_dir(base) ? base : working_dir;
    /* relative to the working directory, which is the base or unknown */
    if (path[0] != '/' && (!working_dir || !strcmp(base, working_dir))) return normalise(NULL, path, false);
    if (!base) return NULL;
    char *abs = normalise(path[0] == '/' ? NULL : working_dir, path, true);
    char *b = normalise(NULL, base, true);
    char *n = abs && b ? relative_to(abs, b) : NULL;
    free(abs);
    free(b);
    return n;
}

char *sarif_path_uri(const char *path, const char *working_dir, const char *base, bool *relative) {
    if (!path) path = "";
    *relative = true;
    if (path[0] == '/' && !abs_dir(working_dir) && !abs_dir(base)) {
        /* nothing to make it relative to */
        char *n = normalise(NULL, path, true);
        char *u = n ? file_uri(n, false) : NULL;
        free(n);
        *relative = false;
        return u;
    }
    /* a file outside the source root stays relative ("../../x" under
     * %SRCROOT%): GitHub code scanning rejects a whole log whose result
     * locations are absolute file URIs (its GH1006), while a relative one
     * it cannot place only goes without a location */
    char *n = rebased(path, working_dir, base);
    char *u = n ? sarif_uri_encode(n) : NULL;
    free(n);
    return u;
}

char *sarif_root_path(const run_result *r, const char *path) {
    if (!path) return sarif_strdup("");
    const char *wd = abs_dir(r->working_dir), *root = abs_dir(r->source_root);
    if (!wd) return sarif_strdup(path);
    /* also when the run is at the root: a configuration found upward, a
     * rule folder or a model named by its absolute path is still made
     * relative to the root, where GitHub places annotations */
    char *n = rebased(path, wd, root ? root : wd);
    if (n && !strncmp(n, "../", 3)) {
        /* outside the repository: GitHub cannot place it either way, and
         * the absolute path at least names the file */
        free(n);
        n = path[0] == '/' ? normalise(NULL, path, true) : normalise(wd, path, true);
    }
    return n ? n : sarif_strdup(path);
}

char *sarif_dir_uri(const char *dir) {
    char *n = normalise(NULL, dir ? dir : "/", true);
    if (!n) return NULL;
    char *u = file_uri(n, true);
    free(n);
    return u;
}

static bool has_suffix(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    if (a < b) return false;
    for (size_t i = 0; i < b; i++) {
        char c = s[a - b + i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != suf[i]) return false;
    }
    return true;
}

bool sarif_is_text_artifact(const char *path) {
    if (!path) return false;
    return has_suffix(path, ".mil") || has_suffix(path, ".json") || has_suffix(path, ".txt") ||
           has_suffix(path, ".yaml") || has_suffix(path, ".yml");
}

bool sarif_loc_has_text_pos(const cml_loc *loc) {
    return loc->line > 0 && loc->artifact && sarif_is_text_artifact(loc->artifact);
}

bool sarif_has_text_pos(const finding *f) {
    return sarif_loc_has_text_pos(&f->loc);
}

const char *sarif_logical_name(const char *logical) {
    if (!logical) return "";
    const char *seg = strrchr(logical, '/');
    seg = seg ? seg + 1 : logical;
    const char *colon = strchr(seg, ':');
    if (colon && colon > seg && colon[-1] == ']' && colon[1]) return colon + 1;   /* layers[3]:conv1 */
    return *seg ? seg : logical;
}

/* Does msg hold w as a word of its own (not inside a longer name: an input
 * 'x' is not named by "maximum")? */
static bool names_word(const char *msg, const char *w) {
    size_t n = strlen(w);
    if (!n) return false;
    for (const char *p = msg; (p = strstr(p, w)) != NULL; p++) {
        bool before = p == msg || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        bool after = !(isalnum((unsigned char)p[n]) || p[n] == '_');
        if (before && after) return true;
    }
    return false;
}

char *sarif_display_message(const finding *f) {
    const char *msg = f->message ? f->message : "";
    const char *lg = f->loc.logical;
    if (!lg || !*lg) return sarif_strdup(msg);
    const char *name = sarif_logical_name(lg);
    /* a feature's location, "input:NAME" or "output:NAME": its name, and
     * nothing else, names it */
    size_t feat = !strncmp(name, "input:", 6) ? 6 : !strncmp(name, "output:", 7) ? 7 : 0;
    if (feat) return names_word(msg, name + feat) ? sarif_strdup(msg) : sarif_printf("%s (in %s)", msg, lg);
    if (strstr(msg, name)) return sarif_strdup(msg);
    /* "op:arg" (a weight argument of an op): naming the op is enough */
    const char *seg = strrchr(lg, '/');
    seg = seg ? seg + 1 : lg;
    const char *colon = strchr(seg, ':');
    if (colon && colon > seg) {
        size_t n = (size_t)(colon - seg);
        for (const char *p = msg; (p = strchr(p, *seg)) != NULL; p++)
            if (strncmp(p, seg, n) == 0) return sarif_strdup(msg);
    }
    return sarif_printf("%s (in %s)", msg, lg);
}

char *sarif_clean(const char *s, bool one_line) { return san_str(s, one_line ? SAN_LINE : SAN_UTF8); }

void sarif_truncate_utf8(char *s, size_t max) {
    if (!s || max < 4 || strlen(s) <= max) return;
    size_t cut = max - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80) cut--;
    memcpy(s + cut, "...", 4);
}

/* s cleaned as one line, with every ':' that `which` picks (given what
 * follows it) written as U+FF1A FULLWIDTH COLON; malloc'd */
static char *fullwidth_colons(const char *s, bool (*which)(const char *after)) {
    char *c = sarif_clean(s, true);
    if (!c) return NULL;
    size_t n = strlen(c), picked = 0;
    for (size_t i = 0; i < n; i++) picked += c[i] == ':' && which(c + i + 1);
    if (!picked) return c;
    char *o = malloc(n + 2 * picked + 1), *q = o;
    if (o) {
        for (const char *p = c; *p; p++) {
            if (*p == ':' && which(p + 1)) {
                memcpy(q, "\xef\xbc\x9a", 3);   /* U+FF1A */
                q += 3;
            } else {
                *q++ = *p;
            }
        }
        *q = 0;
    }
    free(c);
    return o;
}

static bool any_colon(const char *after) {
    (void)after;
    return true;
}

char *sarif_diag_path(const char *s) { return fullwidth_colons(s, any_colon); }

/* Does p (just after a ':') hold DIGITS[:DIGITS]": error|warning|note: "? */
static bool forged_diag_head(const char *p) {
    if (!isdigit((unsigned char)*p)) return false;
    while (isdigit((unsigned char)*p)) p++;
    if (p[0] == ':' && isdigit((unsigned char)p[1]))
        for (p++; isdigit((unsigned char)*p); p++) {}
    if (p[0] != ':' || p[1] != ' ') return false;
    p += 2;
    static const char *const levels[] = {"error:", "warning:", "note:"};
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++)
        if (!strncmp(p, levels[i], strlen(levels[i]))) return true;
    return false;
}

char *sarif_diag_text(const char *s) { return fullwidth_colons(s, forged_diag_head); }

void sarif_count(const run_result *r, sarif_counts *c) {
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < r->n_findings; i++) {
        const finding *f = r->findings[i];
        if (!f) continue;
        if (f->suppressed) c->suppressed++;
        else if (f->level == LEVEL_ERROR) c->errors++;
        else if (f->level == LEVEL_WARNING) c->warnings++;
        else c->notes++;
    }
}

int sarif_put_json(FILE *out, const cJSON *root) {
    char *txt = cJSON_Print(root);
    char *safe = txt ? san_json(txt) : NULL;
    cJSON_free(txt);
    if (!safe) return -1;
    fputs(safe, out);
    fputc('\n', out);
    free(safe);
    return 0;
}

typedef struct sv_ref {
    const finding *f;
    size_t i;   /* its place in the report */
} sv_ref;

static int sv_path_cmp(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

static int sv_ref_cmp(const void *pa, const void *pb) {
    const sv_ref *a = pa, *b = pb;
    int c = sv_path_cmp(a->f->model_path, b->f->model_path);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

typedef struct sv_model {
    const char *path;
    size_t i;   /* its place in run_result.models */
} sv_model;

static int sv_model_cmp(const void *pa, const void *pb) {
    const sv_model *a = pa, *b = pb;
    int c = sv_path_cmp(a->path, b->path);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* where the first model of that path is in byp (sorted by path) */
static size_t sv_find_model(const sv_model *byp, size_t n, const char *path) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sv_path_cmp(byp[mid].path, path) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

int sarif_view_init(sarif_view *v, const run_result *r) {
    memset(v, 0, sizeof *v);
    size_t nf = 0;
    for (size_t i = 0; i < r->n_findings; i++) nf += r->findings[i] != NULL;
    sv_ref *refs = nf ? malloc(nf * sizeof *refs) : NULL;
    v->findings = nf ? malloc(nf * sizeof *v->findings) : NULL;
    v->models = r->n_models ? calloc(r->n_models, sizeof *v->models) : NULL;
    sv_model *byp = r->n_models ? malloc(r->n_models * sizeof *byp) : NULL;
    if ((nf && (!refs || !v->findings)) || (r->n_models && (!v->models || !byp))) {
        free(refs);
        free(byp);
        sarif_view_free(v);
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        if (r->findings[i]) refs[k++] = (sv_ref){r->findings[i], i};
    if (nf) qsort(refs, nf, sizeof *refs, sv_ref_cmp);
    for (size_t i = 0; i < nf; i++) v->findings[i] = refs[i].f;
    free(refs);
    v->n_findings = nf;
    v->n_models = r->n_models;
    for (size_t i = 0; i < r->n_models; i++) byp[i] = (sv_model){r->models[i]->path, i};
    if (r->n_models) qsort(byp, r->n_models, sizeof *byp, sv_model_cmp);
    /* each model's run of findings, and its counts */
    for (size_t m = 0; m < r->n_models; m++) {
        const char *path = r->models[m]->path;
        size_t lo = 0, hi = nf;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (sv_path_cmp(v->findings[mid]->model_path, path) < 0) lo = mid + 1;
            else hi = mid;
        }
        size_t end = lo;
        sarif_counts *c = &v->models[m].counts;
        for (; end < nf && !sv_path_cmp(v->findings[end]->model_path, path); end++) {
            const finding *f = v->findings[end];
            if (f->suppressed) c->suppressed++;
            else if (f->level == LEVEL_ERROR) c->errors++;
            else if (f->level == LEVEL_WARNING) c->warnings++;
            else c->notes++;
        }
        v->models[m].lo = lo;
        v->models[m].hi = end;
    }
    /* the facts: one pass over each properties object (every model of a
     * path gets its facts, as a lookup by key did) */
    static const char *const keys[2] = {"model", "probe"};
    for (int kk = 0; kk < 2 && r->run_properties; kk++) {
        const cJSON *per = cJSON_GetObjectItemCaseSensitive(r->run_properties, keys[kk]), *o;
        if (!cJSON_IsObject(per)) continue;
        cJSON_ArrayForEach(o, per) {
            if (!o->string || !cJSON_IsObject(o)) continue;
            for (size_t t = sv_find_model(byp, r->n_models, o->string);
                 t < r->n_models && !sv_path_cmp(byp[t].path, o->string); t++) {
                const cJSON **slot = kk ? &v->models[byp[t].i].probe : &v->models[byp[t].i].facts;
                if (!*slot) *slot = o;
            }
        }
    }
    for (size_t m = 0; m < r->n_models; m++) v->any_facts |= v->models[m].facts != NULL;
    free(byp);
    return 0;
}

void sarif_view_free(sarif_view *v) {
    free(v->findings);
    free(v->models);
    memset(v, 0, sizeof *v);
}

bool sarif_safe_url(const char *u) {
    if (!u || (strncmp(u, "https://", 8) && strncmp(u, "http://", 7))) return false;
    for (const char *p = u; *p; p++)
        if (*p <= ' ' || *p == ')' || *p == '(' || *p == '<' || *p == '>' || *p == '"' || *p == '[' || *p == ']' ||
            (unsigned char)*p >= 0x7f)
            return false;
    return true;
}

int sarif_finish(FILE *out) {
    if (fflush(out) != 0) return -1;
    return ferror(out) ? -1 : 0;
}

int sarif_gh_escape(FILE *out, const char *s, bool prop) {
    char *c = san_str(s ? s : "", SAN_LINES);
    if (!c) return -1;
    for (const char *p = c; *p; p++) {
        switch (*p) {
        case '%': fputs("%25", out); break;
        case '\r': fputs("%0D", out); break;
        case '\n': fputs("%0A", out); break;
        case ':':
            if (prop) fputs("%3A", out);
            else fputc(':', out);
            break;
        case ',':
            if (prop) fputs("%2C", out);
            else fputc(',', out);
            break;
        default: fputc(*p, out);
        }
    }
    free(c);
    return 0;
}
