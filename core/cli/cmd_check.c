/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_check.c — `check` (the default command), and `probe` and `compare`,
 * which are `check` with more rules turned on (the command's `enables`,
 * whose options the probe flags set through the configuration overlay).
 * Expand the paths (folders are searched for models), run, write the
 * report through the writer table to stdout or -o FILE, exit 0 (nothing at
 * or above --fail-on), 1 (findings at or above it) or 2 (usage or tool
 * error: bad flag or configuration, unwritable output, a rule that found
 * the user's own input to it unusable, NOTE_USAGE, or a rule or plugin
 * that failed, unless --keep-going).
 * stdout carries only the report; notifications and the summary go to
 * stderr unless --quiet. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/discover.h"
#include "cli/facts.h"
#include "cli/session.h"
#include "cli/target.h"
#include "host/run.h"
#include "host/util.h"
#include "sarif/writers.h"

static bool want_color(const cli_opts *o, FILE *out) {
    if (o->no_color) return false;
    if (o->color) return true;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc) return false;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb")) return false;
    return out == stdout && isatty(fileno(stdout));
}

static void summary(const run_result *r, const run_stats *st) {
    size_t per[4] = {0};
    for (size_t i = 0; i < r->n_findings; i++)
        if (!r->findings[i]->suppressed) per[r->findings[i]->level & 3]++;
    fprintf(stderr, "coreml-lint: %zu model%s checked: %zu error%s, %zu warning%s, %zu note%s", st->models,
            st->models == 1 ? "" : "s", per[LEVEL_ERROR], per[LEVEL_ERROR] == 1 ? "" : "s", per[LEVEL_WARNING],
            per[LEVEL_WARNING] == 1 ? "" : "s", per[LEVEL_NOTE], per[LEVEL_NOTE] == 1 ? "" : "s");
    if (st->suppressed) fprintf(stderr, "; %zu suppressed", st->suppressed);
    if (st->baselined) fprintf(stderr, "; %zu in the baseline", st->baselined);
    if (st->excluded) fprintf(stderr, "; %zu model%s excluded", st->excluded, st->excluded == 1 ? "" : "s");
    if (r->n_notes) fprintf(stderr, "; %zu rule notification%s", r->n_notes, r->n_notes == 1 ? "" : "s");
    fputc('\n', stderr);
}

/* Notifications that say a rule or plugin failed: error level, kind rule/...
 * or plugin/... (a plugin's own log lines aside). */
/* A count of Lua VM instructions as the budget counts them (to its hook
 * period, 1000): "-" for none, "<1k", "12.3k", "4.56M". */
static const char *instr_text(char *buf, size_t cap, uint64_t n, bool counted) {
    if (!counted) snprintf(buf, cap, "-");
    else if (n < 1000) snprintf(buf, cap, "<1k");
    else if (n < 1000000) snprintf(buf, cap, "%.1fk", (double)n / 1e3);
    else snprintf(buf, cap, "%.2fM", (double)n / 1e6);
    return buf;
}

static int cmp_rule_time(const void *pa, const void *pb) {
    const run_rule_time *a = pa, *b = pb;
    if (a->check_s != b->check_s) return a->check_s < b->check_s ? 1 : -1;
    return strcmp(a->rule->id, b->rule->id);
}

/* --profile: the phases, then every rule that ran, slowest first. On
 * stderr: the report itself stays the same bytes. Rule ids are checked
 * ([a-z0-9/-]), so they print as they are. */
static void profile_print(run_profile *pr, double startup_s, double discover_s, double report_s, double total_s,
                          size_t n_loaded, size_t n_paths) {
    FILE *e = stderr;
    fprintf(e, "coreml-lint: profile (wall-clock ms)\n");
    fprintf(e, "  %9.2f  start-up: configuration, the rule set (%zu rule%s) and plugins\n", startup_s * 1e3, n_loaded,
            n_loaded == 1 ? "" : "s");
    fprintf(e, "  %9.2f  finding the models (%zu path%s)\n", discover_s * 1e3, n_paths, n_paths == 1 ? "" : "s");
    fprintf(e, "  %9.2f  loading %zu model%s\n", pr->load_s * 1e3, pr->n_models, pr->n_models == 1 ? "" : "s");
    fprintf(e, "  %9.2f  running %zu rule%s\n", pr->rules_s * 1e3, pr->n_rules, pr->n_rules == 1 ? "" : "s");
    if (pr->shared_s > 0)
        fprintf(e, "  %9.2f  counting every weight's values once, for the rules that ask\n", pr->shared_s * 1e3);
    fprintf(e, "  %9.2f  findings and the report\n", (pr->finish_s + report_s) * 1e3);
    fprintf(e, "  %9.2f  total\n", total_s * 1e3);
    if (!pr->n_rules) return;
    qsort(pr->rules, pr->n_rules, sizeof *pr->rules, cmp_rule_time);
    fprintf(e, "  %9s %6s %10s %8s  %s\n", "ms", "%", "Lua instr", "findings", "rule");
    for (size_t i = 0; i < pr->n_rules; i++) {
        const run_rule_time *t = &pr->rules[i];
        char ib[32];
        fprintf(e, "  %9.2f %6.1f %10s %8zu  %s\n", t->check_s * 1e3,
                pr->rules_s > 0 ? 100.0 * t->check_s / pr->rules_s : 0.0,
                instr_text(ib, sizeof ib, t->vm_instructions, t->counted), t->findings, t->rule->id);
    }
}

/* --target (a bare version takes its platform from PLATFORM_NAME), else
 * the configuration's, else the one of the Xcode build phase we run in. */
static const char *run_target(const cli_opts *o, const config *cfg, char *buf, size_t cap) {
    if (o->target) return target_from_flag(o->target, buf, cap) ? buf : NULL;
    if (cfg->target) return cfg->target;
    char names[256];
    if (!target_from_xcode_env(buf, cap, names, sizeof names)) return NULL;
    if (!o->quiet) fprintf(stderr, "coreml-lint: deployment target %s from Xcode's build settings (%s)\n", buf, names);
    return buf;
}

static bool exists(const char *p) {
    struct stat st;
    return lstat(p, &st) == 0;
}

/* The command's extra rules are on (at their level) whatever the config
 * says; 0, or 2 when none was loaded. */
static int enable_command_rules(const cli_command *c, registry *reg) {
    if (!c->enables) return 0;
    size_t n = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        if (!host_glob_match(c->enables, r->id, false)) continue;
        n++;
        r->enabled = true;
        if (r->level == LEVEL_NONE) r->level = r->default_level;
    }
    if (!n) {
        fprintf(stderr, "coreml-lint: %s\n", c->needs ? c->needs : "no rule of this command was loaded");
        return 2;
    }
    return 0;
}

/* A run in which every rule is off checks nothing, and its exit 0 would
 * pass CI quietly (clang-tidy refuses "no checks enabled" the same way):
 * the usual cause is a pattern that matches nothing, or a configuration's
 * rules_dirs that were not trusted, which the notifications name. 0, or 2. */
static int some_rule_enabled(session *s, const cli_opts *o) {
    for (size_t i = 0; i < registry_count(s->reg); i++) {
        const host_rule *r = registry_rule(s->reg, i);
        if (r->enabled && r->level != LEVEL_NONE) return 0;
    }
    if (!o->quiet) session_print_notes(s);
    cli_errorf("coreml-lint: no rule is enabled, so nothing would be checked: the configuration, --disable and --enable "
               "turn every rule off (`coreml-lint rules` lists them)");
    return 2;
}

int cmd_check(const cli_command *c, cli_opts *o) {
    const char *fmt = o->format ? o->format : "text";
    const report_writer *w = report_writer_find(fmt);
    if (!w) {
        fprintf(stderr, "coreml-lint %s: --format %s is not a report format of this command\n", c->name, fmt);
        return 2;
    }
    size_t first_model = 0;
    if (c->first_arg_option) {
        if (o->args.n != 2) {
            fprintf(stderr, "coreml-lint %s: give two models, the baseline then the model to compare with it\n",
                    c->name);
            return 2;
        }
        if (!exists(o->args.v[0])) {
            cli_errorf("coreml-lint %s: '%s' does not exist", c->name, o->args.v[0]);
            return 2;
        }
        if (!o->rule_options) o->rule_options = cJSON_CreateObject();
        cJSON_AddItemToObject(o->rule_options, c->first_arg_option, cJSON_CreateString(o->args.v[0]));
        first_model = 1;
    } else if (!o->args.n) {
        fprintf(stderr, "coreml-lint: no model paths given (coreml-lint --help)\n");
        return 2;
    }
    /* a path that does not exist is the user's mistake, not a model's */
    for (size_t i = first_model; i < o->args.n; i++)
        if (!exists(o->args.v[i])) {
            /* `coreml-lint chek Models`: the word was read as a path */
            const char *cmd = i == 0 && !o->command_given ? cli_command_like(o->args.v[i]) : NULL;
            if (cmd)
                cli_errorf("coreml-lint %s: '%s' does not exist; did you mean the command '%s'?", c->name,
                           o->args.v[i], cmd);
            else
                cli_errorf("coreml-lint %s: '%s' does not exist", c->name, o->args.v[i]);
            return 2;
        }
    double t_start = host_now_s();
    session s;
    int rc = session_open(&s, o, true, c->enables);
    run_profile prof = {0};
    if (!rc) rc = enable_command_rules(c, s.reg);
    if (!rc) rc = some_rule_enabled(&s, o);
    double t_opened = host_now_s(), t_found = t_opened;
    path_list paths = {0};
    run_result *res = NULL;
    report_file out = {0};
    if (!rc) {
        /* a path that does not exist or holds no model is a usage error,
         * found before anything runs */
        for (size_t i = first_model; i < o->args.n; i++) {
            discover_status ds = discover_path(o->args.v[i], &paths);
            if (ds != DISCOVER_OK) {
                discover_complain(NULL, o->args.v[i], ds);
                rc = 2;
            }
        }
        for (size_t i = 0; !rc && i < paths.n_skipped; i++)
            registry_notify(s.reg, NULL, "discover/skipped", LEVEL_WARNING, NULL, 0, "%s", paths.skipped[i]);
        if (!rc && session_output_open(&out, o->output) != 0) rc = 2;
        t_found = host_now_s();
    }
    run_stats st = {0};
    char target[128];
    if (!rc) {
        char err[2048];
        run_opts ro = {.cfg = &s.cfg,
                       .target = run_target(o, &s.cfg, target, sizeof target),
                       .fail_on = s.cfg.fail_on >= LEVEL_NOTE ? s.cfg.fail_on : LEVEL_ERROR,
                       .baseline = o->baseline,
                       .timestamps = o->timestamps,
                       .limits = &s.limits,
                       .model_facts = w->facts ? report_model_facts : NULL,
                       .profile = o->profile ? &prof : NULL};
        res = run_check(s.reg, &ro, (const char *const *)paths.items, paths.n, &st, err, sizeof err);
        if (!res) {
            cli_errorf("coreml-lint: %s", err);
            rc = 2;
        }
    }
    double t_report = 0;
    if (!rc) {
        writer_opts wo = {.color = want_color(o, out.f)};
        double w0 = host_now_s();
        int wr = w->write(out.f, res, &wo);
        /* a report that failed to write never replaces the previous one */
        int cl = wr == 0 ? session_output_commit(&out) : (session_output_abort(&out), 0);
        t_report = host_now_s() - w0;
        if (wr != 0 || cl != 0) {
            if (wr != 0 && cl == 0) fprintf(stderr, "coreml-lint: writing the report failed\n");
            rc = 2;
        } else {
            rc = run_exit_code(res);
            /* the user's own input to a rule that the rule could not use
             * is a usage error: everything else ran and the report is
             * complete, but the exit says so */
            if (notes_has(registry_notes(s.reg), NOTE_USAGE, LEVEL_NONE)) rc = 2;
            /* a rule that failed (Lua error, plugin crash or time-out) or a
             * plugin that could not be used means the report is missing what
             * it would have found: a house rule broken by a typo must not
             * pass CI quietly */
            size_t unloaded, unusable, broken = notes_failures(registry_notes(s.reg), &unloaded, &unusable);
            if (broken && !o->keep_going) {
                rc = 2;
                /* a rule file that did not load is disabled by the id its
                 * path gives; a plugin file has no such id, it is named by
                 * --plugin or the configuration's plugins (or bundled) */
                size_t failed = broken - unloaded - unusable;   /* rules that loaded and failed */
                char hint[400];
                size_t h = 0;
                if (failed)
                    h += (size_t)snprintf(hint + h, sizeof hint - h, "fix or --disable the failing rule%s",
                                          failed == 1 ? "" : "s");
                if (unloaded && h < sizeof hint)
                    h += (size_t)snprintf(hint + h, sizeof hint - h, "%sfix the rule file%s, or --disable the id its "
                                          "path gives (category/name)", h ? "; " : "", unloaded == 1 ? "" : "s");
                if (unusable && h < sizeof hint)
                    snprintf(hint + h, sizeof hint - h, "%sfix or remove the plugin%s", h ? "; " : "",
                             unusable == 1 ? "" : "s");
                fprintf(stderr,
                        "coreml-lint: %zu rule failure%s (see the notifications): exit 2; %s, or pass --keep-going to "
                        "exit by the findings alone\n",
                        broken, broken == 1 ? "" : "s", hint);
            }
        }
        /* the text report already carries notifications and a summary; the
         * Xcode report carries the notifications, and Xcode reads stdout
         * and stderr as one log, where a second "coreml-lint: error: ..."
         * line would be a second issue for the same failure */
        bool to_stdout = !o->output || !strcmp(o->output, "-");
        if (!o->quiet && (strcmp(fmt, "text") || !to_stdout)) {
            if (strcmp(fmt, "xcode") || !to_stdout) session_print_notes(&s);
            summary(res, &st);
        }
        if (o->profile)
            profile_print(&prof, t_opened - t_start, t_found - t_opened, t_report, host_now_s() - t_start,
                          registry_count(s.reg), paths.n);
    }
    run_profile_free(&prof);
    session_output_abort(&out);
    run_result_free(res);
    path_list_free(&paths);
    session_close(&s);
    return rc;
}
