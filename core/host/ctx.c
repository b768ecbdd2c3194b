/* SPDX-License-Identifier: Apache-2.0 */
/* ctx.c — what engines report to: a rule_ctx is one rule checking one
 * model. Reports are copied (strings, locations defaulting to the model),
 * levelled (the configured level wins when the config set one) and capped
 * per rule and model; notifications go to the registry's list; rules may
 * attach JSON facts to the run's properties and load further models,
 * which live until the model's last rule has run. */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sched.h>
#endif

#include "format/nesting.h"
#include "host/ctx_priv.h"
#include "host/util.h"
#include "ir/model.h"
#include "ir/weights.h"
#include "coreml-lint/walk.h"

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

static void ctx_vnotify(rule_ctx *ctx, const char *kind, int level, uint32_t line, const char *fmt, va_list ap) {
    if (!ctx) return;
    ctx->notified = true;
    /* a usage error is the user's flag or path, not the rule's: naming the
     * rule (or its plugin file) that happened to run first would mislead */
    bool usage = kind && !strcmp(kind, NOTE_USAGE);
    const char *file = !usage && ctx->rule && ctx->rule->origin && *ctx->rule->origin ? ctx->rule->origin : NULL;
    registry_vnotify(ctx->reg, !usage && ctx->rule ? ctx->rule->id : NULL, kind ? kind : "rule/error", level,
                     ctx->model_path, file, file ? line : 0, fmt, ap);
}

void ctx_notify(rule_ctx *ctx, const char *kind, int level, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ctx_vnotify(ctx, kind, level, 0, fmt, ap);
    va_end(ap);
}

void ctx_notify_line(rule_ctx *ctx, const char *kind, int level, uint32_t line, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ctx_vnotify(ctx, kind, level, line, fmt, ap);
    va_end(ap);
}

/* The level a report gets: the configured one, else the report's, else
 * the rule's */
static int effective_level(const rule_ctx *ctx, int asked) {
    const host_rule *r = ctx->rule;
    int lv = ctx->level_set ? r->level : asked ? asked : r->level;
    if (lv < LEVEL_NOTE) lv = r->default_level;
    if (lv < LEVEL_NOTE || lv > LEVEL_ERROR) lv = LEVEL_WARNING;   /* a rule table always has one */
    return lv;
}

/* The cap at an effective level lv: CTX_CAPPED (notified once), else 0. */
static int cap_at(rule_ctx *ctx, int lv) {
    if (ctx->n_at_level[lv] < CTX_MAX_FINDINGS_PER_RULE) return 0;
    if (!ctx->capped_at[lv])
        ctx_notify(ctx, "rule/too-many-findings", LEVEL_WARNING,
                   "more than %u %s findings on one model; the rest at that level were dropped",
                   CTX_MAX_FINDINGS_PER_RULE, level_name(lv));
    ctx->capped_at[lv] = true;
    return CTX_CAPPED;
}

int ctx_cap_check(rule_ctx *ctx, int level) {
    if (!ctx || !ctx->rule || level < LEVEL_NONE || level > LEVEL_ERROR) return 0;
    return cap_at(ctx, effective_level(ctx, level));
}

bool ctx_capped(const rule_ctx *ctx) {
    for (int i = 0; ctx && i <= LEVEL_ERROR; i++)
        if (ctx->capped_at[i]) return true;
    return false;
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
    const host_rule *r = ctx->rule;
    int lv = effective_level(ctx, a->level);
    if (cap_at(ctx, lv) == CTX_CAPPED) {
        cJSON_Delete(props);
        return CTX_CAPPED;
    }
    finding *f = calloc(1, sizeof *f);
    if (!f) {
        cJSON_Delete(props);
        return -1;
    }
    const char *model_art = ctx->model && ctx->model->loc.artifact ? ctx->model->loc.artifact : "";
    cml_loc model_loc = {.artifact = model_art};
    f->props = props;
    f->rule = r;
    f->rule_id = host_strdup(r->id);
    f->level = lv;
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
    ctx->n_at_level[lv]++;
    return 0;
}

const cJSON *ctx_options(const rule_ctx *ctx) {
    static cJSON empty_obj = {.type = cJSON_Object};
    return ctx && ctx->rule && ctx->rule->options_config ? ctx->rule->options_config : &empty_obj;
}

/* [a-z0-9_]+, and not "model": the host adds the model's own facts under it
 * after the rules (run.c put_facts), which a rule must not stand in for */
static bool prop_key_ok(const char *k) {
    if (!k || !*k || !strcmp(k, "model")) return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '_')) return false;
    return true;
}

int ctx_add_property(rule_ctx *ctx, const char *key, const char *json) {
    if (!ctx || !ctx->scope || !ctx->scope->props || !prop_key_ok(key) || !json || !ctx->model_path) return -1;
    cJSON *v = json_nesting(json, strlen(json), CML_MAX_NESTING, NULL) ? NULL : cJSON_Parse(json);
    if (!v) return -1;
    cJSON **root = ctx->scope->props;
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
    /* models are checked one after another, so this model's entry, if any,
     * is the last one (cJSON keeps the tail as the head's prev): looking the
     * path up among all of them was linear per call, quadratic per run */
    cJSON *last = per->child ? per->child->prev : NULL;
    if (last && last->string && !strcmp(last->string, ctx->model_path))
        return cJSON_ReplaceItemInObjectCaseSensitive(per, ctx->model_path, v) ? 0 : (cJSON_Delete(v), -1);
    return cJSON_AddItemToObject(per, ctx->model_path, v) ? 0 : (cJSON_Delete(v), -1);
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


const host_limits *ctx_limits(const rule_ctx *ctx) {
    static host_limits dflt;
    static bool dflt_set;
    if (ctx && ctx->limits) return ctx->limits;
    if (!dflt_set) {
        dflt = host_limits_default();
        dflt_set = true;
    }
    return &dflt;
}

void ctx_account(rule_ctx *ctx, uint64_t vm_instructions) {
    if (!ctx) return;
    ctx->vm_instructions += vm_instructions;
    ctx->counted = true;
}

/* the CPUs this process may run on (its affinity: `taskset -c 0` is one) */
static long usable_cpus(void) {
#if defined(__linux__)
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
#endif
    return sysconf(_SC_NPROCESSORS_ONLN);
}

/* w is a weight of m or of one of its sub-models */
static bool model_has_weight(const cml_model *m, const cml_weight *w, int depth) {
    if (!m || depth >= CML_WALK_MAX_DEPTH) return false;
    for (size_t i = 0; i < m->n_weights; i++)
        if (m->weights[i] == w) return true;
    for (size_t i = 0; i < m->n_sub_models; i++)
        if (model_has_weight(m->sub_models[i], w, depth + 1)) return true;
    return false;
}

void ctx_count_weights(rule_ctx *ctx, const cml_weight *w) {
    if (!ctx || !ctx->scope || !ctx->model || ctx->scope->weights_counted) return;
    if (!model_has_weight(ctx->model, w, 0)) return;
    ctx->scope->weights_counted = true;
    long cpus = usable_cpus();
    /* below 8 MiB, threads cost more than they save */
    ir_weight_stats_all(ctx->model, cpus > 4 ? 4 : cpus < 1 ? 1 : (int)cpus, (uint64_t)8 << 20);
}

void ctx_account_shared(rule_ctx *ctx, double seconds) {
    if (ctx) ctx->shared_s += seconds;
}
