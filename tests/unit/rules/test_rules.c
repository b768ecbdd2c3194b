/* SPDX-License-Identifier: Apache-2.0 */
#define _DEFAULT_SOURCE
/* test_rules.c — every bundled rule against models that must fire it and
 * models that must not, and the exact findings over the real corpus.
 *
 * 1. tests/rules/cases_*.tsv: one line per case,
 *      RULE-ID  fire|pass  MODEL  [target=iOS16] [msg=substring] [fix=substring] [count=N] [level=L]
 *      [opt=NAME:JSON]...   (msg= and fix= must hold for one finding)
 *    MODEL is relative to the build folder (rule-fixtures/..., examples/...)
 *    or "corpus:NAME" for ../shared/corpus/NAME. opt= (up to 4) sets the
 *    rule's option NAME to the JSON value for that case only
 *    ("opt=max_bytes:1000"), so thresholds can be tested on small models.
 *    count=N: the rule reports exactly N findings (a finding reported once,
 *    not once per pipeline stage); level=L: every one of them at level L.
 *    Every bundled rule that is not load/... must have at least one fire
 *    and one pass case.
 * 2. tests/rules/corpus_expected.tsv: every finding of every bundled rule
 *    (defaults, --target iOS16) over every corpus model, as
 *      MODEL  RULE-ID  LEVEL  COUNT
 *    compared exactly. CML_UPDATE_EXPECTED=1 rewrites the file (review the
 *    diff: each line is a claim about a real model).
 * All rules run through the same registry, config and scheduler as the CLI. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include "check.h"
#include "cli/sources.h"
#include "host/ctx.h"
#include "host/lua/engine.h"
#include "host/run.h"
#include "host/so/engine.h"
#include "host/util.h"
#include "ir/model.h"

static const char *build_dir, *source_dir, *corpus_dir;

#define TCASE_MAX_OPTS 4

typedef struct tcase {
    char rule[128], kind[8], model[512], target[32], msg[256], level[16], fix[256];
    long count;   /* -1: any */
    char opts[TCASE_MAX_OPTS][256];   /* "NAME:JSON" */
    int n_opts;
    char file[256];
    int line;
} tcase;

static registry *make_registry(bool all_on) {
    registry *reg = registry_new();
    sources src = {0};
    sources_load(reg, &src);
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *n = registry_note(reg, i);
        fprintf(stderr, "  bundled rule problem: %s: %s\n", n->kind, n->message);
        check_failures_++;
    }
    /* cases: every rule on, opt-in ones too (each case names its rule);
     * corpus: the shipped defaults */
    char err[512];
    CHECK(config_apply(NULL, reg, NULL, err, sizeof err) == 0);
    for (size_t i = 0; all_on && i < registry_count(reg); i++) registry_rule(reg, i)->enabled = true;
    return reg;
}

static run_result *run_one(registry *reg, const char *path, const char *target) {
    run_opts o = {.target = target && *target ? target : NULL};
    run_stats st;
    char err[512] = "";
    const char *paths[1] = {path};
    run_result *r = run_check(reg, &o, paths, 1, &st, err, sizeof err);
    if (!r) fprintf(stderr, "  run_check(%s): %s\n", path, err);
    return r;
}

static int resolve(const char *model, char *out, size_t n) {
    if (!strncmp(model, "corpus:", 7)) {
        if (!corpus_dir) return -1;
        snprintf(out, n, "%s/%s", corpus_dir, model + 7);
    } else {
        snprintf(out, n, "%s/%s", build_dir, model);
    }
    return 0;
}

static size_t read_cases(tcase **out) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/rules", source_dir);
    DIR *d = opendir(dir);
    size_t n = 0, cap = 0;
    tcase *cs = NULL;
    if (!d) return 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "cases_", 6) != 0 || !strstr(e->d_name, ".tsv")) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        char line[2048];
        int ln = 0;
        while (fgets(line, sizeof line, f)) {
            ln++;
            if (line[0] == '#' || line[0] == '\n') continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                cs = realloc(cs, cap * sizeof *cs);
            }
            tcase *c = &cs[n];
            memset(c, 0, sizeof *c);
            snprintf(c->file, sizeof c->file, "%s", e->d_name);
            c->line = ln;
            c->count = -1;
            char *save = NULL, *tok;
            int col = 0;
            for (tok = strtok_r(line, "\t\n", &save); tok; tok = strtok_r(NULL, "\t\n", &save), col++) {
                if (col == 0) snprintf(c->rule, sizeof c->rule, "%s", tok);
                else if (col == 1) snprintf(c->kind, sizeof c->kind, "%s", tok);
                else if (col == 2) snprintf(c->model, sizeof c->model, "%s", tok);
                else if (!strncmp(tok, "target=", 7)) snprintf(c->target, sizeof c->target, "%s", tok + 7);
                else if (!strncmp(tok, "msg=", 4)) snprintf(c->msg, sizeof c->msg, "%s", tok + 4);
                else if (!strncmp(tok, "fix=", 4)) snprintf(c->fix, sizeof c->fix, "%s", tok + 4);
                else if (!strncmp(tok, "count=", 6)) c->count = strtol(tok + 6, NULL, 10);
                else if (!strncmp(tok, "level=", 6)) snprintf(c->level, sizeof c->level, "%s", tok + 6);
                else if (!strncmp(tok, "opt=", 4) && c->n_opts < TCASE_MAX_OPTS)
                    snprintf(c->opts[c->n_opts++], sizeof c->opts[0], "%s", tok + 4);
            }
            if (col >= 3) n++;
        }
        fclose(f);
    }
    closedir(d);
    *out = cs;
    return n;
}

/* Set a case's opt= values in the rule's effective options; old[] receives
 * the detached previous values and *n_set how many were set, for
 * case_opts_restore. */
static int case_opts_set(host_rule *hr, const tcase *c, cJSON **old, int *n_set) {
    *n_set = 0;
    if (!hr->options_config) hr->options_config = cJSON_CreateObject();
    for (int i = 0; i < c->n_opts; i++) {
        old[i] = NULL;
        char name[256];
        snprintf(name, sizeof name, "%s", c->opts[i]);
        char *colon = strchr(name, ':');
        cJSON *val = colon ? cJSON_Parse(colon + 1) : NULL;
        if (!val) {
            fprintf(stderr, "  %s:%d: bad opt=%s (want NAME:JSON)\n", c->file, c->line, c->opts[i]);
            return -1;
        }
        *colon = '\0';
        old[i] = cJSON_DetachItemFromObjectCaseSensitive(hr->options_config, name);
        cJSON_AddItemToObject(hr->options_config, name, val);
        *n_set = i + 1;
    }
    return 0;
}

static void case_opts_restore(host_rule *hr, const tcase *c, cJSON **old, int n_set) {
    for (int i = n_set - 1; i >= 0; i--) {
        char name[256];
        snprintf(name, sizeof name, "%s", c->opts[i]);
        char *colon = strchr(name, ':');
        if (!colon) continue;
        *colon = '\0';
        cJSON_DeleteItemFromObjectCaseSensitive(hr->options_config, name);
        if (old[i]) cJSON_AddItemToObject(hr->options_config, name, old[i]);
        old[i] = NULL;
    }
}

static void test_cases(void) {
    tcase *cs = NULL;
    size_t n = read_cases(&cs);
    CHECK(n > 0);
    registry *reg = make_registry(true);
    for (size_t i = 0; i < n; i++) {
        tcase *c = &cs[i];
        char path[4096];
        if (resolve(c->model, path, sizeof path) != 0) {
            fprintf(stderr, "  skip %s:%d (%s): corpus absent\n", c->file, c->line, c->model);
            continue;
        }
        host_rule *hr = registry_find(reg, c->rule);
        if (!hr) {
            fprintf(stderr, "  %s:%d: no rule '%s'\n", c->file, c->line, c->rule);
            check_failures_++;
            continue;
        }
        cJSON *old_opts[TCASE_MAX_OPTS] = {NULL};
        int n_set = 0;
        if (case_opts_set(hr, c, old_opts, &n_set) != 0) {
            case_opts_restore(hr, c, old_opts, n_set);
            check_failures_++;
            continue;
        }
        /* only the rule under test runs: cases stay independent and fast
         * (the probe rules execute the model) */
        for (size_t k = 0; k < registry_count(reg); k++) {
            host_rule *other = registry_rule(reg, k);
            other->enabled = other == hr;
        }
        run_result *r = run_one(reg, path, c->target);
        case_opts_restore(hr, c, old_opts, n_set);
        CHECK(r != NULL);
        if (!r) continue;
        size_t hits = 0, msg_hits = 0, level_misses = 0;
        for (size_t k = 0; k < r->n_findings; k++) {
            const finding *f = r->findings[k];
            if (strcmp(f->rule_id, c->rule)) continue;
            hits++;
            /* msg= and fix= on the same finding */
            if ((c->msg[0] || c->fix[0]) && (!c->msg[0] || strstr(f->message, c->msg)) &&
                (!c->fix[0] || (f->fix && strstr(f->fix, c->fix))))
                msg_hits++;
            if (c->level[0] && strcmp(level_name(f->level), c->level)) level_misses++;
        }
        for (size_t k = 0; k < r->n_notes; k++)
            if (r->notes[k]->rule_id && !strcmp(r->notes[k]->rule_id, c->rule)) {
                fprintf(stderr, "  %s:%d: %s on %s: notification %s: %s\n", c->file, c->line, c->rule, c->model,
                        r->notes[k]->kind, r->notes[k]->message);
                check_failures_++;
            }
        int ok = !strcmp(c->kind, "fire") ? hits > 0 && ((!c->msg[0] && !c->fix[0]) || msg_hits > 0) : hits == 0;
        if (c->count >= 0 && (long)hits != c->count) ok = 0;
        if (level_misses) ok = 0;
        if (!ok) {
            fprintf(stderr, "  %s:%d: %s should %s on %s%s%s (count %ld, level %s); it reported %zu finding(s):\n",
                    c->file, c->line, c->rule, !strcmp(c->kind, "fire") ? "fire" : "not fire", c->model,
                    c->msg[0] ? " with " : "", c->msg[0] ? c->msg : "", c->count, c->level[0] ? c->level : "any",
                    hits);
            for (size_t k = 0; k < r->n_findings; k++)
                if (!strcmp(r->findings[k]->rule_id, c->rule))
                    fprintf(stderr, "      %s\n", r->findings[k]->message);
            check_failures_++;
        }
        run_result_free(r);
    }
    /* coverage: each bundled rule other than load/... has both kinds of case */
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *hr = registry_rule(reg, i);
        if (!strncmp(hr->id, "load/", 5)) continue;
        int fire = 0, pass = 0;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(cs[k].rule, hr->id)) continue;
            if (!strcmp(cs[k].kind, "fire")) fire++;
            else pass++;
        }
        if (!fire || !pass) {
            fprintf(stderr, "  rule %s has %d fire and %d pass cases (need both)\n", hr->id, fire, pass);
            check_failures_++;
        }
    }
    registry_free(reg);
    free(cs);
}

typedef struct row {
    char model[256], rule[128], level[16];
    size_t count;
} row;

static int row_cmp(const void *a, const void *b) {
    const row *x = a, *y = b;
    int c = strcmp(x->model, y->model);
    if (!c) c = strcmp(x->rule, y->rule);
    if (!c) c = strcmp(x->level, y->level);
    return c;
}

static void test_corpus_expected(void) {
    if (!corpus_dir) {
        fprintf(stderr, "  corpus absent: expected corpus findings not checked\n");
        return;
    }
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s", corpus_dir);
    DIR *d = opendir(mpath);
    CHECK(d != NULL);
    if (!d) return;
    char *names[128];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < 128)
        if (fs_has_suffix(e->d_name, ".mlmodel") || fs_has_suffix(e->d_name, ".mlpackage"))
            names[nn++] = strdup(e->d_name);
    closedir(d);
    registry *reg = make_registry(false);
    row *rows = NULL;
    size_t nr = 0, cap = 0;
    for (size_t i = 0; i < nn; i++) {
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", corpus_dir, names[i]);
        run_result *r = run_one(reg, p, "iOS16");
        CHECK(r != NULL);
        if (!r) continue;
        for (size_t k = 0; k < r->n_notes; k++) {
            fprintf(stderr, "  %s: notification %s: %s\n", names[i], r->notes[k]->kind, r->notes[k]->message);
            check_failures_++;
        }
        for (size_t k = 0; k < r->n_findings; k++) {
            const finding *f = r->findings[k];
            const char *lv = level_name(f->level);
            size_t j;
            for (j = 0; j < nr; j++)
                if (!strcmp(rows[j].model, names[i]) && !strcmp(rows[j].rule, f->rule_id) &&
                    !strcmp(rows[j].level, lv))
                    break;
            if (j == nr) {
                if (nr == cap) {
                    cap = cap ? cap * 2 : 128;
                    rows = realloc(rows, cap * sizeof *rows);
                }
                memset(&rows[nr], 0, sizeof rows[nr]);
                snprintf(rows[nr].model, sizeof rows[nr].model, "%s", names[i]);
                snprintf(rows[nr].rule, sizeof rows[nr].rule, "%s", f->rule_id);
                snprintf(rows[nr].level, sizeof rows[nr].level, "%s", lv);
                nr++;
            }
            rows[j].count++;
        }
        run_result_free(r);
    }
    qsort(rows, nr, sizeof *rows, row_cmp);
    char epath[4096];
    snprintf(epath, sizeof epath, "%s/tests/rules/corpus_expected.tsv", source_dir);
    if (getenv("CML_UPDATE_EXPECTED")) {
        FILE *f = fopen(epath, "w");
        CHECK(f != NULL);
        if (f) {
            fprintf(f, "# Findings of every bundled rule (defaults, --target iOS16) over ../shared/corpus.\n"
                       "# model\trule\tlevel\tcount — regenerate with CML_UPDATE_EXPECTED=1 and review the diff.\n");
            for (size_t j = 0; j < nr; j++)
                fprintf(f, "%s\t%s\t%s\t%zu\n", rows[j].model, rows[j].rule, rows[j].level, rows[j].count);
            fclose(f);
        }
    } else {
        FILE *f = fopen(epath, "r");
        CHECK(f != NULL);
        row *want = NULL;
        size_t nw = 0, wcap = 0;
        char line[1024];
        while (f && fgets(line, sizeof line, f)) {
            if (line[0] == '#' || line[0] == '\n') continue;
            if (nw == wcap) {
                wcap = wcap ? wcap * 2 : 128;
                want = realloc(want, wcap * sizeof *want);
            }
            row *w = &want[nw];
            memset(w, 0, sizeof *w);
            if (sscanf(line, "%255s\t%127s\t%15s\t%zu", w->model, w->rule, w->level, &w->count) == 4) nw++;
        }
        if (f) fclose(f);
        qsort(want, nw, sizeof *want, row_cmp);
        size_t a = 0, b = 0;
        while (a < nw || b < nr) {
            int c = a == nw ? 1 : b == nr ? -1 : row_cmp(&want[a], &rows[b]);
            if (c < 0) {
                fprintf(stderr, "  expected but not found: %s %s %s x%zu\n", want[a].model, want[a].rule,
                        want[a].level, want[a].count);
                check_failures_++;
                a++;
            } else if (c > 0) {
                fprintf(stderr, "  found but not expected: %s %s %s x%zu\n", rows[b].model, rows[b].rule,
                        rows[b].level, rows[b].count);
                check_failures_++;
                b++;
            } else {
                if (want[a].count != rows[b].count) {
                    fprintf(stderr, "  %s %s %s: expected %zu findings, found %zu\n", rows[b].model, rows[b].rule,
                            rows[b].level, want[a].count, rows[b].count);
                    check_failures_++;
                }
                a++;
                b++;
            }
        }
        free(want);
        if (check_failures_) fprintf(stderr, "  (if the change is intended: CML_UPDATE_EXPECTED=1 %s, then review)\n",
                                     "build/tests/test_rules");
    }
    free(rows);
    registry_free(reg);
    for (size_t i = 0; i < nn; i++) free(names[i]);
}

int main(void) {
    build_dir = getenv("CML_BUILD_DIR");
    source_dir = getenv("CML_SOURCE_DIR");
    corpus_dir = getenv("CML_CORPUS_DIR");
    char p[4096];
    if (corpus_dir) {
        snprintf(p, sizeof p, "%s/manifest.json", corpus_dir);
        if (!fs_is_file(p)) corpus_dir = NULL;
    }
    if (!build_dir || !source_dir) SKIP_ALL("CML_BUILD_DIR / CML_SOURCE_DIR not set (run through ctest)");
    RUN(test_cases);
    RUN(test_corpus_expected);
    return CHECK_DONE();
}
