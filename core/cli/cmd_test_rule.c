/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_test_rule.c — `test-rule RULE.lua CASES_DIR`: a house rule's test
 * loop, as ESLint's RuleTester or `semgrep --test` give one. The rule is
 * loaded alone (with the builtin load/... rules registered but off, so the
 * loader's problems are known ids) and run over each case model on its own:
 * CASES_DIR/fire/ holds models that must get at least one finding of the
 * rule, CASES_DIR/pass/ models that must get none; MODEL.expect beside a
 * fire case lists text (one per line, # comments) that some finding's
 * message must contain, and the directives count=N, level=L and target=T
 * (a pass case's .expect takes target= only). A case fails too when its model does not load (a
 * pass case would pass for nothing) or the rule fails on it. One line per
 * case, then a count; exit 0 all pass, 1 a case failed, 2 the rule did not
 * load (its notifications name the file and line) or there are no cases. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "format/fsutil.h"
#include "format/sanitize.h"
#include "cli/discover.h"
#include "cli/sources.h"
#include "cli/target.h"
#include "coreml-lint/coreml_facts.h"
#include "host/config.h"
#include "host/run.h"
#include "host/util.h"
#include "ir/model.h"

#define EXPECT_MAX_BYTES (64u << 10)

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* One result line on stdout. Case names, findings, notifications and the
 * .expect text are the case author's (often a pull request's): the line goes
 * through the sanitizer (format/sanitize.h) like every other output. */
static void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void outf(const char *fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    san_fputs(buf, stdout);
    fputc('\n', stdout);
}

static void print_notes(const registry *reg, const char *model_path) {
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *n = registry_note(reg, i);
        if (model_path && (!n->model_path || strcmp(n->model_path, model_path))) continue;
        char at[600] = "";
        if (n->file) snprintf(at, sizeof at, " (%s%s%.0u)", n->file, n->line ? ":" : "", n->line);
        cli_errorf("coreml-lint: %s: %s%s [%s]", level_name(n->level), n->message, at, n->kind);
    }
}

/* The case's name as the user sees it: relative to CASES_DIR. */
static const char *case_name(const char *path, const char *cases) {
    size_t n = strlen(cases);
    while (n > 1 && cases[n - 1] == '/') n--;
    return !strncmp(path, cases, n) && path[n] == '/' ? path + n + 1 : path;
}

/* Lines of MODEL.expect (malloc'd text, *n lines pointed into it), or NULL. */
static char *read_expect(const char *model, const char **lines, size_t max, size_t *n) {
    char p[4200];
    *n = 0;
    if (snprintf(p, sizeof p, "%s.expect", model) >= (int)sizeof p) return NULL;
    /* a regular file only: a FIFO named like it would block the run */
    int fd = fs_open_regular(p);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        if (fd >= 0) close(fd);
        return NULL;
    }
    char *text = calloc(1, EXPECT_MAX_BYTES + 1);
    size_t got = text ? fread(text, 1, EXPECT_MAX_BYTES, f) : 0;
    fclose(f);
    if (!text) return NULL;
    text[got] = 0;
    for (char *l = text; *l && *n < max;) {
        char *e = strchr(l, '\n');
        if (e) *e = 0;
        size_t len = strlen(l);
        while (len && (l[len - 1] == '\r' || l[len - 1] == ' ' || l[len - 1] == '\t')) l[--len] = 0;
        while (*l == ' ' || *l == '\t') l++;
        if (*l && *l != '#') lines[(*n)++] = l;
        if (!e) break;
        l = e + 1;
    }
    return text;
}

typedef struct tally {
    size_t pass, fail;
} tally;

/* An X.expect below dir (fire/) whose X is no case model found: its case
 * was never run (a typo in the name, a model that was not committed), so
 * the suite fails rather than pass without it. */
static void orphan_expects(const char *dir, const host_strset *found, int depth, tally *t) {
    DIR *d = depth <= 12 ? opendir(dir) : NULL;
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char p[4200];
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= (int)sizeof p) continue;
        struct stat st;
        if (lstat(p, &st) != 0) continue;
        size_t n = strlen(p);
        if (S_ISDIR(st.st_mode) && !fs_has_suffix(p, ".mlpackage") && !fs_has_suffix(p, ".mlmodelc")) {
            orphan_expects(p, found, depth + 1, t);
        } else if (S_ISREG(st.st_mode) && n > 7 && !strcmp(p + n - 7, ".expect")) {
            p[n - 7] = 0;
            bool have = host_strset_has(found, p);   /* a scan per file was quadratic in 16,000 cases */
            struct stat ms;
            bool exists = lstat(p, &ms) == 0;
            if (!have && !(exists && S_ISLNK(ms.st_mode))) {   /* a link: the search's own line says it */
                outf("FAIL %s.expect: %s", p, exists ? "what it names is not a case model (a .mlmodel file, an "
                                                       ".mlpackage or .mlmodelc folder)"
                                                     : "there is no case model of that name beside it");
                t->fail++;
            }
        }
    }
    closedir(d);
}

/* Run one case; prints its line. */
static void run_case(registry *reg, const host_rule *rule, const run_opts *ro, const char *model, const char *shown,
                     bool must_fire, tally *t) {
    /* a model that does not load would pass a pass case for nothing */
    lmodel *lm = loader_load(model, NULL);
    if (!lm || !lm->model || (lm->unreadable && !rule_has_tag(rule, "unreadable-models"))) {
        const char *why = lm && lm->model && lm->model->n_diags ? lm->model->diags[0]->message : "out of memory";
        outf("FAIL %s: the case model does not load: %s", shown, why);
        loader_free(lm);
        t->fail++;
        return;
    }
    loader_free(lm);
    /* MODEL.expect: text the messages must contain, one per line, and the
     * directives count=N (exactly N findings), level=L (every finding at
     * L) and target=T (this case's deployment target); a pass case takes
     * target= only */
    const char *lines[64];
    size_t n_lines = 0, n_text = 0;
    char *expect = read_expect(model, lines, 64, &n_lines);
    long want_count = -1;
    int want_level = LEVEL_NONE;
    const char *text[64], *bad_line = NULL;
    run_opts cro = *ro;
    for (size_t k = 0; k < n_lines; k++) {
        const char *l = lines[k];
        if (!strncmp(l, "count=", 6)) {
            char *end;
            want_count = strtol(l + 6, &end, 10);
            /* a must-fire case wants at least one finding */
            if (end == l + 6 || *end || want_count < (must_fire ? 1 : 0)) bad_line = l;
        } else if (!strncmp(l, "level=", 6)) {
            want_level = !strcmp(l + 6, "note") ? LEVEL_NOTE : !strcmp(l + 6, "warning") ? LEVEL_WARNING
                         : !strcmp(l + 6, "error") ? LEVEL_ERROR : LEVEL_NONE;
            if (want_level == LEVEL_NONE) bad_line = l;
        } else if (!strncmp(l, "target=", 7)) {
            cml_platform pl;
            if (!cml_target_parse(l + 7, &pl, NULL)) bad_line = l;
            cro.target = l + 7;
        } else {
            text[n_text++] = l;
        }
        if (!must_fire && strncmp(l, "target=", 7)) bad_line = l;
    }
    if (bad_line) {
        outf("FAIL %s: %s.expect: '%s' is not %s", shown, shown, bad_line,
             must_fire ? "count=N (N >= 1), level=note|warning|error or target=PLATFORMVERSION"
                       : "target=PLATFORMVERSION (a must-not-fire case takes only that)");
        free(expect);
        t->fail++;
        return;
    }
    char err[1024];
    run_stats st;
    cro.notes_from = registry_n_notes(reg);   /* this case's notifications only */
    run_result *res = run_check(reg, &cro, &model, 1, &st, err, sizeof err);
    if (!res) {
        outf("FAIL %s: %s", shown, err);
        free(expect);
        t->fail++;
        return;
    }
    size_t n = 0;
    const finding *first = NULL, *off_level = NULL;
    for (size_t i = 0; i < res->n_findings; i++)
        if (!strcmp(res->findings[i]->rule_id, rule->id)) {
            if (!n++) first = res->findings[i];
            if (want_level != LEVEL_NONE && res->findings[i]->level != want_level && !off_level)
                off_level = res->findings[i];
        }
    /* the rule failed on this model */
    const notification *broke = NULL;
    const char *mp = res->n_models ? res->models[0]->path : model;
    for (size_t i = 0; i < res->n_notes && !broke; i++) {
        const notification *nt = res->notes[i];
        if (nt->rule_id && !strcmp(nt->rule_id, rule->id) && nt->level >= LEVEL_WARNING && nt->model_path &&
            !strcmp(nt->model_path, mp))
            broke = nt;
    }
    const char *missing = NULL;
    for (size_t k = 0; k < n_text && !missing; k++) {
        bool hit = false;
        for (size_t i = 0; i < res->n_findings && !hit; i++)
            hit = !strcmp(res->findings[i]->rule_id, rule->id) && strstr(res->findings[i]->message, text[k]);
        if (!hit) missing = text[k];
    }
    if (broke) {
        /* where in the rule file, as `check` says it */
        char at[600] = "";
        if (broke->file && *broke->file)
            snprintf(at, sizeof at, " (%s%s%.0u)", broke->file, broke->line ? ":" : "", broke->line);
        outf("FAIL %s: the rule failed: %s%s [%s]", shown, broke->message, at, broke->kind);
        t->fail++;
    } else if (must_fire && !n) {
        outf("FAIL %s: no finding of %s, wanted at least one", shown, rule->id);
        t->fail++;
    } else if (missing) {
        outf("FAIL %s: no finding says \"%s\" (%s.expect); first: %s", shown, missing, shown,
               first ? first->message : "-");
        t->fail++;
    } else if (want_count >= 0 && (long)n != want_count) {
        outf("FAIL %s: %zu finding%s, wanted %ld (%s.expect); first: %s", shown, n, n == 1 ? "" : "s", want_count,
             shown, first ? first->message : "-");
        t->fail++;
    } else if (off_level) {
        outf("FAIL %s: a finding at level %s, wanted %s (%s.expect): %s", shown, level_name(off_level->level),
             level_name(want_level), shown, off_level->message);
        t->fail++;
    } else if (!must_fire && n) {
        outf("FAIL %s: %zu finding%s, wanted none: %s", shown, n, n == 1 ? "" : "s", first->message);
        t->fail++;
    } else {
        if (n) outf("ok   %s: %zu finding%s (%s)", shown, n, n == 1 ? "" : "s", first->message);
        else outf("ok   %s: no finding", shown);
        t->pass++;
    }
    free(expect);
    run_result_free(res);
}

int cmd_test_rule(const cli_command *c, cli_opts *o) {
    (void)c;
    if (o->args.n != 2) {
        fprintf(stderr, "coreml-lint test-rule: give the rule file and the cases folder (coreml-lint test-rule "
                        "--help)\n");
        return 2;
    }
    const char *rule_path = o->args.v[0], *cases = o->args.v[1];
    char fire[4200], pass[4200];
    snprintf(fire, sizeof fire, "%s/fire", cases);
    snprintf(pass, sizeof pass, "%s/pass", cases);
    if (!is_dir(fire) && !is_dir(pass)) {
        cli_errorf("coreml-lint test-rule: '%s' has no fire/ or pass/ folder of case models", cases);
        return 2;
    }
    config cfg;
    config_init(&cfg);
    char err[2048];
    if (o->config && config_load(&cfg, o->config, err, sizeof err) != 0) {
        cli_errorf("coreml-lint: %s", err);
        config_free(&cfg);
        return 2;
    }
    registry *reg = registry_new();
    host_limits lim = cfg.limits;
    int added = reg ? sources_load_rule_file(reg, rule_path, &lim) : 0;
    host_rule *rule = NULL;
    size_t n_file_rules = 0;
    for (size_t i = 0; reg && i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        if (r->origin && !strcmp(r->origin, rule_path)) {
            rule = r;
            n_file_rules++;
        }
    }
    int rc = 0;
    if (added <= 0 || !rule) {
        cli_errorf("coreml-lint test-rule: '%s' did not load:", rule_path);
        if (reg) print_notes(reg, NULL);
        rc = 2;
    } else if (n_file_rules > 1) {
        cli_errorf("coreml-lint test-rule: '%s' declares %zu rules; test-rule tests a file with one", rule_path,
                n_file_rules);
        rc = 2;
    } else if (config_apply(&cfg, reg, &(config_overlay){.some_rules_only = true}, err, sizeof err) != 0) {
        /* (the project's own config names its other rules: not an error here) */
        cli_errorf("coreml-lint: %s", err);
        rc = 2;
    }
    char target[128];
    const char *tgt = NULL;
    if (!rc && o->target) {
        if (!target_from_flag(o->target, target, sizeof target)) {
            cli_errorf("coreml-lint: %s", target);
            rc = 2;
        } else {
            tgt = target;
        }
    } else if (!rc) {
        tgt = cfg.target;
    }
    path_list models[2] = {{0}, {0}};
    if (!rc) {
        /* the rule alone, at its configured level (its default unless set) */
        for (size_t i = 0; i < registry_count(reg); i++) registry_rule(reg, i)->enabled = false;
        rule->enabled = true;
        if (rule->level == LEVEL_NONE) rule->level = rule->default_level;
        const char *dirs[2] = {fire, pass};
        for (int k = 0; k < 2; k++)
            if (is_dir(dirs[k])) {
                discover_status ds = discover_path(dirs[k], &models[k]);
                if (ds != DISCOVER_OK && ds != DISCOVER_NO_MODEL) {
                    discover_complain("test-rule", dirs[k], ds);
                    rc = 2;
                }
            }
        if (!rc && !models[0].n && !models[1].n) {
            cli_errorf("coreml-lint test-rule: no case models under '%s/fire' or '%s/pass'", cases, cases);
            rc = 2;
        }
    }
    if (!rc) {
        outf("test-rule %s (%s): %zu must fire, %zu must not", rule->id, rule_path, models[0].n, models[1].n);
        run_opts ro = {.cfg = NULL, .target = tgt, .fail_on = LEVEL_NOTE, .limits = &lim};
        tally t = {0};
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < models[k].n; i++)
                run_case(reg, rule, &ro, models[k].items[i], case_name(models[k].items[i], cases), k == 0, &t);
            /* a case the search could not take (a link, a folder too deep)
             * fails: a suite that tests nothing must not pass */
            for (size_t i = 0; i < models[k].n_skipped; i++) {
                outf("FAIL %s", models[k].skipped[i]);
                t.fail++;
            }
        }
        for (int k = 0; k < 2; k++) {
            host_strset found = {0};
            for (size_t i = 0; i < models[k].n; i++)
                if (host_strset_add(&found, models[k].items[i]) < 0) t.fail++;   /* out of memory: not a pass */
            orphan_expects(k ? pass : fire, &found, 0, &t);
            host_strset_free(&found);
        }
        outf("%zu of %zu cases pass", t.pass, t.pass + t.fail);
        rc = t.fail ? 1 : 0;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) rc = 2;   /* ferror: a write that failed earlier */
    for (int k = 0; k < 2; k++) path_list_free(&models[k]);
    registry_free(reg);
    config_free(&cfg);
    return rc;
}
