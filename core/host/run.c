/* SPDX-License-Identifier: Apache-2.0 */
/* run.c — the scheduler. For each model path (normalised, excluded ones
 * skipped): load it (a model that cannot be loaded still yields its
 * load/... findings), run every enabled rule in id order through its
 * engine with a rule_ctx (ctx.c), free the model. Then the findings
 * pipeline (findings.c), the artifacts each model's findings point at,
 * and the notifications, sorted. The result is what the writers in sarif/
 * read. */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/fsutil.h"
#include "host/ctx_priv.h"
#include "host/run.h"
#include "host/util.h"
#include "ir/model.h"

typedef struct run_priv {
    run_result pub;            /* must stay first */
    char *cwd;
    char *root;                /* source_root when it is not the cwd */
} run_priv;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int cmp_note(const void *pa, const void *pb) {
    return notes_cmp(*(notification *const *)pa, *(notification *const *)pb);
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
    free(p->root);
    free(p);
}

int run_exit_code(const run_result *r) {
    int fail_on = r && r->fail_on >= LEVEL_NOTE ? r->fail_on : LEVEL_ERROR;
    for (size_t i = 0; r && i < r->n_findings; i++)
        if (!r->findings[i]->suppressed && r->findings[i]->level >= fail_on) return 1;
    return 0;
}

static bool known_loader_id(const registry *reg, const char *id) { return id && registry_find(reg, id); }

/* (*root)["model"][path] = facts (owned from here). 0, or -1. */
static int put_facts(cJSON **root, const char *path, cJSON *facts) {
    if (!*root && !(*root = cJSON_CreateObject())) {
        cJSON_Delete(facts);
        return -1;
    }
    cJSON *per = cJSON_GetObjectItemCaseSensitive(*root, "model");
    if (!cJSON_IsObject(per)) {
        cJSON_DeleteItemFromObjectCaseSensitive(*root, "model");
        per = cJSON_AddObjectToObject(*root, "model");
    }
    if (!per) {
        cJSON_Delete(facts);
        return -1;
    }
    /* appended without a lookup by key, which is linear in the models so
     * far: each path is checked once (discovery keeps one of each) */
    return cJSON_AddItemToObject(per, path, facts) ? 0 : (cJSON_Delete(facts), -1);
}

/* The compiled stage folders read as part of a pipeline (real paths,
 * owned): a folder search lists a compiled model's marked subfolders too,
 * since only the loader knows which of them are its stages; those it read
 * are not checked again on their own. */
typedef struct stage_set {
    host_strset set;
    char **own;
    size_t n, cap;
} stage_set;

static void stages_add(stage_set *s, const lmodel *lm) {
    for (size_t i = 0; i < lm->n_stage_dirs; i++) {
        if (host_strset_has(&s->set, lm->stage_dirs[i])) continue;
        if (s->n == s->cap) {
            size_t nc = s->cap ? 2 * s->cap : 16;
            char **nv = realloc(s->own, nc * sizeof *nv);
            if (!nv) return;   /* without memory a stage is only checked twice */
            s->own = nv, s->cap = nc;
        }
        char *k = host_strdup(lm->stage_dirs[i]);
        if (!k || host_strset_add(&s->set, k) < 0) {
            free(k);
            return;
        }
        s->own[s->n++] = k;
    }
}

static bool stages_has(const stage_set *s, const char *path) {
    if (!s->n) return false;
    char *real = fs_realpath(path);
    bool in = real && host_strset_has(&s->set, real);
    free(real);
    return in;
}

static void stages_free(stage_set *s) {
    for (size_t i = 0; i < s->n; i++) free(s->own[i]);
    free(s->own);
    host_strset_free(&s->set);
}

static void check_one_model(registry *reg, const run_opts *o, const char *path, fvec *out, run_model *rm,
                            cJSON **props, stage_set *stages) {
    run_profile *pr = o->profile;
    double t0 = pr ? host_now_s() : 0;
    lmodel *lm = loader_load(path, NULL);
    if (pr) {
        pr->load_s += host_now_s() - t0;
        pr->n_models++;
    }
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
        if (lm->unreadable && !r->eng->sees_unreadable && !rule_has_tag(r, "unreadable-models"))
            continue;
        rule_ctx ctx = {.reg = reg,
                        .scope = &scope,
                        .rule = r,
                        .model = m,
                        .model_path = path,
                        .target = o->target,
                        .limits = o->limits,
                        .level_set = registry_level_configured(reg, r),
                        .out = out};
        double c0 = pr ? host_now_s() : 0;
        int rc = r->eng->check(r, m, &ctx);
        if (pr && pr->rules) {
            double s = host_now_s() - c0 - ctx.shared_s;
            run_rule_time *rt = &pr->rules[i];
            rt->rule = r;
            rt->check_s += s;
            pr->shared_s += ctx.shared_s;
            rt->vm_instructions += ctx.vm_instructions;
            rt->counted |= ctx.counted;
            rt->findings += ctx.n_reported;
            pr->rules_s += s;
        }
        if (rc < 0 && !ctx.notified)
            ctx_notify(&ctx, "rule/error", LEVEL_ERROR, "the rule failed (error %d) and was skipped for this model", rc);
    }
    /* after the rules; no rule may write the key "model" (ctx.c prop_key_ok) */
    if (o->model_facts) {
        cJSON *facts = o->model_facts(m);
        if (facts && put_facts(props, path, facts) != 0)
            registry_notify(reg, NULL, "rule/error", LEVEL_ERROR, NULL, 0, "out of memory describing '%s'", path);
    }
    for (size_t i = 0; i < scope.n_loaded; i++) loader_free(scope.loaded[i]);
    free(scope.loaded);
    stages_add(stages, lm);
    loader_free(lm);
}

/* a model folder's files (fs_list_files): a package holds a handful; a
 * hostile one is read no further than this */
#define RUN_MODEL_FILES_MAX 4096

typedef struct mfiles {
    char **v;
    size_t n;
    bool listed;
} mfiles;

/* A suppression that matched no finding is a note naming it (ESLint's
 * --report-unused-disable-directives), when it could have: its rule is
 * enabled and a model it names was checked. Pre-commit checks a few models
 * at a time; a suppression of another model is not unused. */
static void report_unused_suppressions(registry *reg, const config *cfg, const run_result *r, const fvec *out,
                                       const char *cwd, uint64_t budget) {
    if (!cfg || !cfg->n_supps) return;
    /* which suppressions covered a finding: one pass over the findings,
     * not one per suppression */
    bool *covered = calloc(cfg->n_supps, sizeof *covered);
    if (!covered) return;
    for (size_t k = 0; k < out->n; k++) {
        const config_supp *sp = out->v[k]->suppressed ? out->v[k]->supp : NULL;
        if (sp && sp >= cfg->supps && sp < cfg->supps + cfg->n_supps) covered[sp - cfg->supps] = true;
    }
    /* what is left of the budget of matching them (findings_finish): a
     * config cannot make the two cost more together; those this pass does
     * not reach get no note of their own */
    size_t unchecked = 0;
    /* the files inside each model folder, listed when a suppression's path
     * first needs them: what a path may name besides the model */
    mfiles *mf = calloc(r->n_models + 1, sizeof *mf);
    if (!mf) {
        free(covered);
        return;
    }
    for (size_t i = 0; i < cfg->n_supps; i++) {
        const config_supp *s = &cfg->supps[i];
        if (covered[i]) continue;
        bool rule_on = false, reached = false;
        for (size_t k = 0; k < r->n_rules && !rule_on && budget; k++)
            rule_on = host_glob_match_n(s->rule, r->rules[k]->id, false, &budget);
        for (size_t k = 0; k < r->n_models && rule_on && !reached && budget; k++) {
            if (s->path && !mf[k].listed) {
                mf[k].n = fs_list_files(r->models[k]->path, RUN_MODEL_FILES_MAX, &mf[k].v);
                mf[k].listed = true;
            }
            reached = config_suppression_reaches(cfg, s, r->models[k]->path, mf[k].v, mf[k].n, cwd, &budget);
        }
        /* a match that spent the last step still answered; one that ran
         * out did not (the budget reads 0 and the answer is false) */
        if (!budget && !(rule_on && reached)) {
            unchecked = cfg->n_supps - i;
            break;
        }
        if (rule_on && reached)
            registry_notify(reg, NULL, "config/unused-suppression", LEVEL_NOTE, cfg->file, s->line,
                            "suppression %zu (rule '%s'%s%s%s%s%s%s) matched no finding: remove it, or correct "
                            "its rule, path or op",
                            i + 1, s->rule, s->path ? ", path '" : "", s->path ? s->path : "", s->path ? "'" : "",
                            s->op ? ", op '" : "", s->op ? s->op : "", s->op ? "'" : "");
        if (!budget) {
            unchecked = cfg->n_supps - i - 1;
            break;
        }
    }
    if (unchecked)
        registry_notify(reg, NULL, "config/unused-suppression", LEVEL_NOTE, cfg->file, 0,
                        "suppressions %zu to %zu were not checked for use: matching the suppressions against these "
                        "findings and models would take more than %llu steps",
                        cfg->n_supps - unchecked + 1, cfg->n_supps, (unsigned long long)FINDINGS_SUPP_BUDGET);
    for (size_t k = 0; k < r->n_models; k++) fs_free_list(mf[k].v, mf[k].n);
    free(mf);
    free(covered);
}

static int cmp_finding_model(const void *a, const void *b) {
    return strcmp((*(const finding *const *)a)->model_path, (*(const finding *const *)b)->model_path);
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
    if (o->baseline && findings_baseline_read(o->baseline, &fps, &n_fps, err, errlen) != 0) return NULL;

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
    p->root = host_repo_root(p->cwd);
    r->source_root = p->root ? p->root : p->cwd;
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
    run_profile *pr = o->profile;
    if (pr) {
        /* indexed by the registry's order while the models run, then
         * packed to the rules that ran */
        memset(pr, 0, sizeof *pr);
        pr->rules = calloc(registry_count(reg) + 1, sizeof *pr->rules);
        oom |= !pr->rules;
    }

    host_strset seen = {0};   /* the models' paths: a scan per path was quadratic in 80,000 models */
    uint64_t excl_budget = FINDINGS_SUPP_BUDGET;
    bool excl_spent = false;
    stage_set stages = {0};
    for (size_t i = 0; !oom && i < n_paths; i++) {
        char *norm = host_path_normalize(paths[i], p->cwd);
        if (!norm) {
            oom = true;
            break;
        }
        bool dup = host_strset_has(&seen, norm) || stages_has(&stages, norm);
        int ex = dup || excl_spent ? 0 : config_excluded(o->cfg, norm, p->cwd, &excl_budget);
        if (ex < 0 && !excl_spent) {
            excl_spent = true;   /* the rest are checked: a model is never left out unseen */
            registry_notify(reg, NULL, "config/excludes-too-costly", LEVEL_ERROR, o->cfg ? o->cfg->file : NULL, 0,
                            "matching the configuration's exclude patterns against the model paths took more than "
                            "%llu glob steps; '%s' and the models after it were checked without them: use fewer "
                            "patterns", (unsigned long long)FINDINGS_SUPP_BUDGET, norm);
        }
        if (dup || ex > 0) {
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
        oom |= host_strset_add(&seen, norm) < 0;
        check_one_model(reg, o, norm, &out, rm, &r->run_properties, &stages);
        st.models++;
    }

    double f0 = pr ? host_now_s() : 0;
    findings_stats fst;
    oom |= findings_finish(&out, fps, n_fps, o->cfg, p->cwd, r->source_root, &fst) != 0;
    if (fst.supp_budget_spent)
        registry_notify(reg, NULL, "config/suppressions-too-costly", LEVEL_ERROR, o->cfg ? o->cfg->file : NULL, 0,
                        "matching the configuration's suppressions against the findings took more than %llu glob "
                        "steps; the findings not reached stand unsuppressed: use fewer suppressions, or patterns "
                        "that do not start with '*' against long op names",
                        (unsigned long long)FINDINGS_SUPP_BUDGET);
    else if (!oom)
        report_unused_suppressions(reg, o->cfg, r, &out, p->cwd, fst.supp_budget_left);
    st.suppressed = fst.suppressed;
    st.baselined = fst.baselined;
    r->n_baselined = fst.baselined;
    st.duplicates = fst.duplicates;
    for (size_t i = 0; i < n_fps; i++) free(fps[i]);
    free(fps);
    r->findings = out.v;
    r->n_findings = out.n;

    /* artifacts per model */
    host_strset_free(&seen);
    stages_free(&stages);
    /* the findings by model path, then each model's run of them (a scan of
     * every finding per model was quadratic) */
    const finding **byp = out.n ? malloc(out.n * sizeof *byp) : NULL;
    oom |= out.n && !byp;
    for (size_t i = 0; byp && i < out.n; i++) byp[i] = out.v[i];
    if (byp) qsort(byp, out.n, sizeof *byp, cmp_finding_model);
    for (size_t k = 0; byp && k < r->n_models; k++) {
        run_model *m = r->models[k];
        size_t cap = 0, lo = 0, hi = out.n;
        while (lo < hi) {   /* the first finding of this model */
            size_t mid = lo + (hi - lo) / 2;
            if (strcmp(byp[mid]->model_path, m->path) < 0) lo = mid + 1;
            else hi = mid;
        }
        for (size_t i = lo; i < out.n && !strcmp(byp[i]->model_path, m->path); i++) {
            const finding *f = byp[i];
            oom |= add_artifact(m, f->loc.artifact, &cap) != 0;
            for (size_t j = 0; j < f->n_related; j++) oom |= add_artifact(m, f->related[j].loc.artifact, &cap) != 0;
        }
        if (m->n_artifacts) qsort(m->artifacts, m->n_artifacts, sizeof *m->artifacts, cmp_str);
    }
    free(byp);

    /* notifications, sorted */
    size_t nn = registry_n_notes(reg), n0 = o->notes_from < nn ? o->notes_from : nn;
    r->notes = calloc(nn - n0 + 1, sizeof *r->notes);
    for (size_t i = n0; r->notes && i < nn; i++) r->notes[r->n_notes++] = (notification *)registry_note(reg, i);
    if (r->n_notes) qsort(r->notes, r->n_notes, sizeof *r->notes, cmp_note);
    oom |= !r->notes;
    /* SOURCE: SARIF 2.1.0 §3.20.14 (executionSuccessful: false when the
     * tool is known to have failed) — a rule that failed, a rule file that
     * did not load, a plugin that could not be used or a usage error leave
     * the report incomplete, with or without --keep-going (which only
     * decides the exit code) */
    r->execution_successful =
        notes_failures(registry_notes(reg), NULL, NULL) == 0 && !notes_has(registry_notes(reg), NOTE_USAGE, LEVEL_NONE);

    if (pr && pr->rules) {
        size_t k = 0;
        for (size_t i = 0; i < registry_count(reg); i++)
            if (pr->rules[i].rule) pr->rules[k++] = pr->rules[i];
        pr->n_rules = k;
        pr->finish_s = host_now_s() - f0;
    }
    if (oom) {
        snprintf(err, errlen, "out of memory");
        run_result_free(r);
        return NULL;
    }
    if (stats) *stats = st;
    return r;
}

void run_profile_free(run_profile *pr) {
    if (!pr) return;
    free(pr->rules);
    memset(pr, 0, sizeof *pr);
}
