/* run.c — the scheduler and the findings pipeline. For each model path
 * (normalised, excluded ones skipped): load it (a model that cannot be
 * loaded still yields its load/... findings), run every enabled rule in id
 * order through its engine with a rule_ctx, free the model. Rules report
 * through ctx_report (strings copied, location defaulting to the model,
 * level from the config, a flood cap per rule and model) and complain
 * through ctx_notify. Then the findings are post-processed: fingerprints,
 * suppressions from the config (kept, marked), the --baseline SARIF
 * (known fingerprints dropped), a deterministic sort and deduplication.
 * Rules may also attach JSON facts about a model to the run's properties
 * (ctx_add_property: properties[key][model path]) and load further models
 * (ctx_load_model), which live until the model's last rule has run.
 * The result is what the writers in sarif/ read. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"
#include "ir/model.h"
#include "format/sha256.h"

#define BASELINE_MAX_BYTES ((size_t)256 << 20)

typedef struct fvec {
    finding **v;
    size_t n, cap;
} fvec;

/* What lives as long as one model's checks: models rules loaded
 * (ctx_load_model), freed after the last rule. */
typedef struct model_scope {
    lmodel **loaded;
    size_t n_loaded, cap_loaded;
    cJSON **props;             /* the run's properties object (created on demand) */
} model_scope;

struct rule_ctx {
    registry *reg;
    model_scope *scope;        /* NULL outside check_one_model */
    host_rule *rule;
    const cml_model *model;
    const char *model_path;
    const char *target;
    bool level_set;
    size_t n_reported;
    bool capped;
    bool notified;
    fvec *out;
};

typedef struct run_priv {
    run_result pub;            /* must stay first */
    char *cwd;
} run_priv;

/* ---- findings ---------------------------------------------------------------- */

static void finding_free(finding *f) {
    if (!f) return;
    free(f->rule_id);
    free(f->message);
    free(f->fix);
    free(f->model_path);
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

static int fvec_push(fvec *v, finding *f) {
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

/* Copy a location; artifact defaults to dflt_artifact ("" = the model file). */
static int loc_copy(cml_loc *dst, const cml_loc *src, const char *dflt_artifact) {
    *dst = *src;
    dst->artifact = host_strdup(src->artifact ? src->artifact : dflt_artifact ? dflt_artifact : "");
    dst->logical = src->logical && *src->logical ? host_strdup(src->logical) : NULL;
    if (!dst->artifact || (src->logical && *src->logical && !dst->logical)) return -1;
    return 0;
}

static const char *derive_kind(const char *logical, const char *asked) {
    if (asked) {
        if (!strcmp(asked, "function")) return "function";
        if (!strcmp(asked, "member")) return "member";
        if (!strcmp(asked, "module")) return "module";
    }
    if (logical && (strchr(logical, '/') || strstr(logical, "layer["))) return "member";
    return "module";
}

/* ---- rule_ctx ------------------------------------------------------------------ */

void ctx_notify(rule_ctx *ctx, const char *kind, int level, const char *fmt, ...) {
    if (!ctx) return;
    ctx->notified = true;
    const char *file = ctx->rule && ctx->rule->origin && *ctx->rule->origin ? ctx->rule->origin : NULL;
    va_list ap;
    va_start(ap, fmt);
    registry_vnotify(ctx->reg, ctx->rule ? ctx->rule->id : NULL, kind ? kind : "rule/error", level,
                     ctx->model_path, file, 0, fmt, ap);
    va_end(ap);
}

int ctx_report(rule_ctx *ctx, const report_args *a) {
    cJSON *props = a ? a->props : NULL;
    if (!ctx || !ctx->out) {
        cJSON_Delete(props);
        return -1;
    }
    if (!a || !a->message || !*a->message) {
        ctx_notify(ctx, "rule/error", LEVEL_WARNING, "a report without a message was refused");
        cJSON_Delete(props);
        return -1;
    }
    if (a->level < LEVEL_NONE || a->level > LEVEL_ERROR) {
        ctx_notify(ctx, "rule/error", LEVEL_WARNING, "a report with level %d was refused (levels: 1 note, 2 warning, 3 error)",
                   a->level);
        cJSON_Delete(props);
        return -1;
    }
    if (ctx->n_reported >= CTX_MAX_FINDINGS_PER_RULE) {
        if (!ctx->capped)
            ctx_notify(ctx, "rule/too-many-findings", LEVEL_WARNING,
                       "more than %u findings on one model; the rest were dropped", CTX_MAX_FINDINGS_PER_RULE);
        ctx->capped = true;
        cJSON_Delete(props);
        return -1;
    }
    finding *f = calloc(1, sizeof *f);
    if (!f) {
        cJSON_Delete(props);
        return -1;
    }
    const host_rule *r = ctx->rule;
    const char *model_art = ctx->model && ctx->model->loc.artifact ? ctx->model->loc.artifact : "";
    cml_loc model_loc = {.artifact = model_art};
    f->props = props;
    f->rule = r;
    f->rule_id = host_strdup(r->id);
    int lv = ctx->level_set ? r->level : a->level ? a->level : r->level;
    f->level = lv >= LEVEL_NOTE ? lv : r->default_level;
    f->message = host_strdup(a->message);
    f->fix = a->fix && *a->fix ? host_strdup(a->fix) : NULL;
    f->model_path = host_strdup(ctx->model_path);
    int bad = !f->rule_id || !f->message || !f->model_path || (a->fix && *a->fix && !f->fix);
    bad |= loc_copy(&f->loc, a->at ? a->at : &model_loc, model_art);
    f->logical_kind = derive_kind(f->loc.logical, a->logical_kind);
    if (a->n_related && a->related) {
        f->related = calloc(a->n_related, sizeof *f->related);
        if (!f->related) bad = 1;
        for (size_t i = 0; f->related && i < a->n_related; i++) {
            f->related[i].message = host_strdup(a->related[i].message ? a->related[i].message : "");
            bad |= loc_copy(&f->related[i].loc, &a->related[i].loc, model_art);
            f->n_related = i + 1;
            bad |= !f->related[i].message;
        }
    }
    if (bad || fvec_push(ctx->out, f) != 0) {
        finding_free(f);
        return -1;
    }
    ctx->n_reported++;
    return 0;
}

const cJSON *ctx_options(const rule_ctx *ctx) {
    static cJSON empty_obj = {.type = cJSON_Object};
    return ctx && ctx->rule && ctx->rule->options_config ? ctx->rule->options_config : &empty_obj;
}

static bool prop_key_ok(const char *k) {
    if (!k || !*k) return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_')) return false;
    return true;
}

/* (*root)[key][path] = v (v owned from here). 0, or -1. */
static int props_put(cJSON **root, const char *key, const char *path, cJSON *v) {
    if (!*root && !(*root = cJSON_CreateObject())) {
        cJSON_Delete(v);
        return -1;
    }
    cJSON *per = cJSON_GetObjectItemCaseSensitive(*root, key);
    if (!cJSON_IsObject(per)) {
        cJSON_DeleteItemFromObjectCaseSensitive(*root, key);
        per = cJSON_AddObjectToObject(*root, key);
    }
    if (!per) {
        cJSON_Delete(v);
        return -1;
    }
    if (cJSON_GetObjectItemCaseSensitive(per, path))
        return cJSON_ReplaceItemInObjectCaseSensitive(per, path, v) ? 0 : (cJSON_Delete(v), -1);
    return cJSON_AddItemToObject(per, path, v) ? 0 : (cJSON_Delete(v), -1);
}

int ctx_add_property(rule_ctx *ctx, const char *key, const char *json) {
    if (!ctx || !ctx->scope || !ctx->scope->props || !prop_key_ok(key) || !json || !ctx->model_path) return -1;
    cJSON *v = cJSON_Parse(json);
    if (!v) return -1;
    return props_put(ctx->scope->props, key, ctx->model_path, v);
}

const cml_model *ctx_load_model(rule_ctx *ctx, const char *path) {
    if (!ctx || !ctx->scope || !path) return NULL;
    model_scope *sc = ctx->scope;
    if (sc->n_loaded == sc->cap_loaded) {
        size_t nc = sc->cap_loaded ? sc->cap_loaded * 2 : 4;
        lmodel **nl = realloc(sc->loaded, nc * sizeof *nl);
        if (!nl) return NULL;
        sc->loaded = nl;
        sc->cap_loaded = nc;
    }
    lmodel *lm = loader_load(path, NULL);
    if (!lm || !lm->model) {
        loader_free(lm);
        return NULL;
    }
    sc->loaded[sc->n_loaded++] = lm;
    return lm->model;
}

const cml_model *ctx_loaded_model(const rule_ctx *ctx, size_t i) {
    if (!ctx || !ctx->scope || i >= ctx->scope->n_loaded) return NULL;
    return ctx->scope->loaded[i]->model;
}

const char *ctx_target(const rule_ctx *ctx) { return ctx ? ctx->target : NULL; }
const host_rule *ctx_rule(const rule_ctx *ctx) { return ctx ? ctx->rule : NULL; }
const cml_model *ctx_model(const rule_ctx *ctx) { return ctx ? ctx->model : NULL; }

/* ---- fingerprints and baseline ------------------------------------------------ */

void run_fingerprint(finding *f) {
    sha256_ctx c;
    unsigned char d[32];
    char hex[65];
    const char *art = f->loc.artifact ? f->loc.artifact : "";
    const char *logical = f->loc.logical ? f->loc.logical : "";
    sha256_init(&c);
    sha256_update(&c, f->rule_id, strlen(f->rule_id) + 1);          /* id + NUL */
    sha256_update(&c, f->model_path, strlen(f->model_path));
    if (*art) {
        sha256_update(&c, "/", 1);
        sha256_update(&c, art, strlen(art));
    }
    sha256_update(&c, "", 1);
    sha256_update(&c, logical, strlen(logical));
    if (!*logical) {            /* model-level findings stay distinct by message */
        sha256_update(&c, "", 1);
        sha256_update(&c, f->message, strlen(f->message));
    }
    sha256_final(&c, d);
    sha256_to_hex(d, hex);
    memcpy(f->fingerprint, hex, 32);
    f->fingerprint[32] = 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

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

int run_baseline_read(const char *path, char ***fps, size_t *n, char *err, size_t errlen) {
    *fps = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "--baseline: cannot read '%s': %s", path, strerror(errno));
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
    cJSON *root = cJSON_ParseWithLength(buf, len);
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

static int cmp_note(const void *pa, const void *pb) {
    const notification *a = *(notification *const *)pa, *b = *(notification *const *)pb;
    int c;
    if ((c = scmp(a->rule_id, b->rule_id))) return c;
    if ((c = scmp(a->kind, b->kind))) return c;
    if ((c = scmp(a->model_path, b->model_path))) return c;
    if ((c = scmp(a->file, b->file))) return c;
    if ((c = ucmp(a->line, b->line))) return c;
    return scmp(a->message, b->message);
}

/* ---- the run --------------------------------------------------------------------- */

static void model_free(run_model *m) {
    if (!m) return;
    free(m->path);
    for (size_t i = 0; i < m->n_artifacts; i++) free(m->artifacts[i]);
    free(m->artifacts);
    free(m);
}

void run_result_free(run_result *r) {
    if (!r) return;
    run_priv *p = (run_priv *)r;
    for (size_t i = 0; i < r->n_findings; i++) finding_free(r->findings[i]);
    free(r->findings);
    free(r->rules);
    free(r->notes);
    for (size_t i = 0; i < r->n_models; i++) model_free(r->models[i]);
    free(r->models);
    cJSON_Delete(r->run_properties);
    free(p->cwd);
    free(p);
}

int run_exit_code(const run_result *r) {
    int fail_on = r && r->fail_on >= LEVEL_NOTE ? r->fail_on : LEVEL_ERROR;
    for (size_t i = 0; r && i < r->n_findings; i++)
        if (!r->findings[i]->suppressed && r->findings[i]->level >= fail_on) return 1;
    return 0;
}

static bool known_loader_id(const registry *reg, const char *id) { return id && registry_find(reg, id); }

static bool rule_has_tag(const host_rule *r, const char *tag) {
    for (size_t i = 0; i < r->n_tags; i++)
        if (r->tags[i] && !strcmp(r->tags[i], tag)) return true;
    return false;
}

static void check_one_model(registry *reg, const run_opts *o, const char *path, fvec *out, run_model *rm,
                            cJSON **props) {
    lmodel *lm = loader_load(path, NULL);
    if (!lm || !lm->model) {
        registry_notify(reg, NULL, "rule/error", LEVEL_ERROR, NULL, 0, "out of memory loading '%s'", path);
        loader_free(lm);
        return;
    }
    const cml_model *m = lm->model;
    rm->format = cml_format_name(m->format);
    for (size_t i = 0; i < m->n_diags; i++)
        if (!known_loader_id(reg, m->diags[i]->rule_id)) {
            rule_ctx tmp = {.reg = reg, .model_path = path};
            ctx_notify(&tmp, "rule/error", LEVEL_WARNING, "the loader reported a problem under the unknown id '%s': %s",
                       m->diags[i]->rule_id ? m->diags[i]->rule_id : "(none)", m->diags[i]->message);
        }
    model_scope scope = {.props = props};
    for (size_t i = 0; i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        if (!r->enabled || r->level == LEVEL_NONE || !r->eng || !r->eng->check) continue;
        /* a model that could not be read at all is only its load problems:
         * other rules would report facts of an empty stand-in, unless a
         * rule declares (tag "unreadable-models") that it looks at the
         * container itself, as compat/encrypted does */
        if (lm->unreadable && strcmp(r->eng->name, "builtin") != 0 && !rule_has_tag(r, "unreadable-models"))
            continue;
        rule_ctx ctx = {.reg = reg,
                        .scope = &scope,
                        .rule = r,
                        .model = m,
                        .model_path = path,
                        .target = o->target,
                        .level_set = registry_level_configured(reg, r),
                        .out = out};
        int rc = r->eng->check(r, m, &ctx);
        if (rc < 0 && !ctx.notified)
            ctx_notify(&ctx, "rule/error", LEVEL_ERROR, "the rule failed (error %d) and was skipped for this model", rc);
    }
    /* after the rules, so a rule's property of the same key cannot stand in for it */
    if (o->model_facts) {
        cJSON *facts = o->model_facts(m);
        if (facts && props_put(props, "model", path, facts) != 0)
            registry_notify(reg, NULL, "rule/error", LEVEL_ERROR, NULL, 0, "out of memory describing '%s'", path);
    }
    for (size_t i = 0; i < scope.n_loaded; i++) loader_free(scope.loaded[i]);
    free(scope.loaded);
    loader_free(lm);
}

static int add_artifact(run_model *m, const char *a, size_t *cap) {
    if (!a) return 0;
    for (size_t i = 0; i < m->n_artifacts; i++)
        if (!strcmp(m->artifacts[i], a)) return 0;
    if (m->n_artifacts == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        char **na = realloc(m->artifacts, nc * sizeof *na);
        if (!na) return -1;
        m->artifacts = na;
        *cap = nc;
    }
    char *s = host_strdup(a);
    if (!s) return -1;
    m->artifacts[m->n_artifacts++] = s;
    return 0;
}

run_result *run_check(registry *reg, const run_opts *o, const char *const *paths, size_t n_paths,
                      run_stats *stats, char *err, size_t errlen) {
    static const run_opts no_opts = {0};
    run_stats st = {0};
    if (!o) o = &no_opts;
    char **fps = NULL;
    size_t n_fps = 0;
    if (o->baseline && run_baseline_read(o->baseline, &fps, &n_fps, err, errlen) != 0) return NULL;

    run_priv *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        for (size_t i = 0; i < n_fps; i++) free(fps[i]);
        free(fps);
        return NULL;
    }
    run_result *r = &p->pub;
    char cwd[PATH_MAX];
    p->cwd = host_strdup(getcwd(cwd, sizeof cwd) ? cwd : ".");
    r->working_dir = p->cwd;
    r->tool_version = CML_VERSION;
    r->execution_successful = true;
    r->timestamps = o->timestamps;
    r->fail_on = o->fail_on >= LEVEL_NOTE ? o->fail_on : LEVEL_ERROR;

    /* enabled rules, already sorted by id */
    r->rules = calloc(registry_count(reg) + 1, sizeof *r->rules);
    for (size_t i = 0; r->rules && i < registry_count(reg); i++) {
        host_rule *h = registry_rule(reg, i);
        if (h->enabled && h->level != LEVEL_NONE) r->rules[r->n_rules++] = h;
    }
    r->models = calloc(n_paths + 1, sizeof *r->models);
    fvec out = {0};
    bool oom = !r->rules || !r->models;

    for (size_t i = 0; !oom && i < n_paths; i++) {
        char *norm = host_path_normalize(paths[i], p->cwd);
        if (!norm) {
            oom = true;
            break;
        }
        bool dup = false;
        for (size_t k = 0; k < r->n_models && !dup; k++) dup = !strcmp(r->models[k]->path, norm);
        if (dup || config_excluded(o->cfg, norm, p->cwd)) {
            st.excluded += !dup;
            free(norm);
            continue;
        }
        run_model *rm = calloc(1, sizeof *rm);
        if (!rm) {
            free(norm);
            oom = true;
            break;
        }
        rm->path = norm;
        rm->format = "unknown";
        r->models[r->n_models++] = rm;
        check_one_model(reg, o, norm, &out, rm, &r->run_properties);
        st.models++;
    }

    /* fingerprints, suppressions, baseline */
    size_t keep = 0;
    for (size_t i = 0; i < out.n; i++) {
        finding *f = out.v[i];
        run_fingerprint(f);
        if (n_fps && bsearch(&(const char *){f->fingerprint}, fps, n_fps, sizeof *fps, cmp_str)) {
            st.baselined++;
            finding_free(f);
            continue;
        }
        const config_supp *s = config_suppression_for(o->cfg, f, p->cwd);
        if (s) {
            f->suppressed = true;
            f->suppress_reason = host_strdup(s->reason);
            st.suppressed++;
        }
        out.v[keep++] = f;
    }
    out.n = keep;
    for (size_t i = 0; i < n_fps; i++) free(fps[i]);
    free(fps);

    /* sort, then drop later copies of (fingerprint, message) */
    if (out.n) qsort(out.v, out.n, sizeof *out.v, cmp_finding);
    fref *refs = out.n ? malloc(out.n * sizeof *refs) : NULL;
    if (refs) {
        for (size_t i = 0; i < out.n; i++) refs[i] = (fref){out.v[i], i};
        qsort(refs, out.n, sizeof *refs, cmp_dup);
        /* within a run of equal (fingerprint, message) keep the first in
         * report order; free only after the scan (refs point at them) */
        const finding *head = refs[0].f;
        for (size_t i = 1; i < out.n; i++) {
            if (!strcmp(refs[i].f->fingerprint, head->fingerprint) && !strcmp(refs[i].f->message, head->message)) {
                refs[i].f = NULL;
                st.duplicates++;
            } else {
                head = refs[i].f;
            }
        }
        for (size_t i = 1; i < out.n; i++)
            if (!refs[i].f) {
                finding_free(out.v[refs[i].i]);
                out.v[refs[i].i] = NULL;
            }
        free(refs);
        keep = 0;
        for (size_t i = 0; i < out.n; i++)
            if (out.v[i]) out.v[keep++] = out.v[i];
        out.n = keep;
    } else if (out.n) {
        oom = true;
    }
    r->findings = out.v;
    r->n_findings = out.n;
    st.suppressed = 0;          /* recount after deduplication */
    for (size_t i = 0; i < out.n; i++) st.suppressed += out.v[i]->suppressed;

    /* artifacts per model */
    for (size_t k = 0; k < r->n_models; k++) {
        run_model *m = r->models[k];
        size_t cap = 0;
        for (size_t i = 0; i < out.n; i++) {
            const finding *f = out.v[i];
            if (strcmp(f->model_path, m->path)) continue;
            oom |= add_artifact(m, f->loc.artifact, &cap) != 0;
            for (size_t j = 0; j < f->n_related; j++) oom |= add_artifact(m, f->related[j].loc.artifact, &cap) != 0;
        }
        if (m->n_artifacts) qsort(m->artifacts, m->n_artifacts, sizeof *m->artifacts, cmp_str);
    }

    /* notifications, sorted */
    size_t nn = registry_n_notes(reg);
    r->notes = calloc(nn + 1, sizeof *r->notes);
    for (size_t i = 0; r->notes && i < nn; i++) r->notes[r->n_notes++] = (notification *)registry_note(reg, i);
    if (r->n_notes) qsort(r->notes, r->n_notes, sizeof *r->notes, cmp_note);
    oom |= !r->notes;

    if (oom) {
        snprintf(err, errlen, "out of memory");
        run_result_free(r);
        return NULL;
    }
    if (stats) *stats = st;
    return r;
}
