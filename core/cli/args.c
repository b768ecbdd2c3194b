/* SPDX-License-Identifier: Apache-2.0 */
/* args.c — the one flag parser and the one usage text, both made from two
 * tables: COMMANDS (what each command is) and FLAGS (every option: its
 * name, value, the commands that take it, where it goes, its help line).
 * A flag whose value is a rule option (the probe's) becomes JSON in
 * cli_opts.rule_options, which the command hands to the configuration as
 * an overlay; nothing here knows what a probe is. Unknown flags get a
 * "did you mean"; a flag of another command says which commands take it. */
#define _DEFAULT_SOURCE /* lstat */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/sources.h"
#include "cli/target.h"
#include "host/config.h"
#include "coreml-lint/plugin.h"
#include "host/limits.h"
#include "host/rule.h"
#include "sarif/writers.h"

int strv_push(strv *s, const char *x) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        const char **nv = realloc(s->v, nc * sizeof *nv);
        if (!nv) return -1;
        s->v = nv;
        s->cap = nc;
    }
    s->v[s->n++] = x;
    return 0;
}

void cli_opts_free(cli_opts *o) {
    free(o->enable.v);
    free(o->disable.v);
    free(o->rules_dirs.v);
    free(o->plugins.v);
    free(o->limits.v);
    free(o->args.v);
    cJSON_Delete(o->rule_options);
    cJSON_Delete(o->settings);
    memset(o, 0, sizeof *o);
}

/* ---- the commands ----------------------------------------------------------- */

/* what probe and compare say when no probe/... rule was loaded */
#define PROBE_MISSING                                                                                             \
    "the runtime probe is not available: no probe/... rules were loaded (the runtime-probe plugin is built only " \
    "where OpenBLAS or Accelerate is found)"

static const cli_command COMMANDS[] = {
    {"check", CMD_CHECK, "[options] PATH...", "run the rules (the default command)",
     "Runs every enabled rule over the models. PATH is an .mlmodel file, an .mlpackage or .mlmodelc folder, or a "
     "folder to search for models. The report goes to stdout (or -o FILE). A text report holds the notifications and "
     "the summary; they also go to stderr when the report goes to a file, and only there in another format.",
     cmd_check, NULL, NULL, NULL},
    {"inspect", CMD_INSPECT, "[--format text|json] [-o FILE] PATH...", "print a model's facts",
     "Prints what the model is: format, specification version and minimum OS, type, inputs, outputs and states, "
     "metadata, functions and op counts, weight files and blobs, compression.",
     cmd_inspect, NULL, NULL, NULL},
    {"rules", CMD_RULES, "[options] [ID | GLOB]", "list the rules, or document one",
     "Lists every rule (id, level as configured, kind, summary), or prints one rule's documentation. "
     "--format json lists them as JSON; --format markdown (or --markdown) prints the index of docs/rules.md, or "
     "with an ID that rule's page; --docs DIR writes them (DIR/rules.md and DIR/rules/), all or the ones a GLOB "
     "matches. Exit 2 when a rule file or plugin does not load, so that a CI step can validate house rules.",
     cmd_rules, NULL, NULL, NULL},
    {"probe", CMD_PROBE, "[probe options] [options] PATH...", "run the model: numerics, fp16 drift, latency",
     "Runs each model on the CPU in fp32 and in fp16 emulation (what the GPU and the Neural Engine compute) on "
     "generated or given inputs, with the probe's rules (probe/...) enabled on top of the static ones: NaN and "
     "Inf, fp16 overflow and divergence, latency and memory.",
     cmd_check, "probe/*", NULL,
     PROBE_MISSING},
    {"compare", CMD_COMPARE, "[probe options] [options] BASELINE MODEL",
     "run two models on the same inputs and compare them",
     "Probes MODEL with BASELINE as its reference: both run on the same inputs and the outputs are compared "
     "(for a compressed variant against its original).",
     cmd_check, "probe/*", "compare_to",
     PROBE_MISSING},
    {"test-rule", CMD_TEST_RULE, "[options] RULE.lua CASES_DIR", "test a rule against models that must or must not fire",
     "Loads one rule (a Lua file, or a plugin with one rule) alone and runs it over the case models in CASES_DIR: "
     "every model under CASES_DIR/fire/ must get at least one finding of the rule, every model under "
     "CASES_DIR/pass/ none. A file MODEL.expect beside a fire case lists, one per line, text that the findings' "
     "messages must contain, and the directives count=N, level=LEVEL and target=PLATFORMVERSION (a pass case "
     "takes target= only). A case model that does not load, or a rule that fails on it, fails the case. Rule "
     "options come from --config FILE (no configuration is searched for). Exit 0 when every case passes, 1 when "
     "one fails, 2 when the rule does not load or there are no cases.",
     cmd_test_rule, NULL, NULL, NULL},
    {"completion", CMD_COMPLETION, "bash|zsh|fish", "print a shell completion script",
     "Prints the completion script for bash, zsh or fish, made from the same flag table as this help. Install it "
     "as, for instance, /usr/share/bash-completion/completions/coreml-lint, a _coreml-lint file on zsh's $fpath, or "
     "~/.config/fish/completions/coreml-lint.fish (the packages install all three).",
     cmd_completion, NULL, NULL, NULL},
    {"manpage", CMD_MANPAGE, "", "print the manual page (roff)",
     "Prints coreml-lint(1), made from the same command and flag tables as this help (the packages install it; "
     "read it with `coreml-lint manpage | man -l -`).",
     cmd_manpage, NULL, NULL, NULL},
};
#define N_COMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

const cli_command *cli_commands(size_t *n) {
    if (n) *n = N_COMMANDS;
    return COMMANDS;
}

/* ---- the flags ----------------------------------------------------------------- */

typedef enum flag_kind {
    F_TRUE,          /* bool at offset := true */
    F_STR,           /* const char * at offset */
    F_STRV,          /* strv at offset, repeatable */
    /* F_OPT_*: a rule option's value, or with offset SETTING the value of a
     * configuration key, set over the file's (config_set: checked as the
     * file's is). A config-backed flag is one row: its key's row in
     * host/config.c does the rest. */
    F_OPT_INT,       /* rule option, whole number in [lo, hi] */
    F_OPT_NUM,       /* rule option, number in (lo, hi] */
    F_OPT_STR,       /* rule option, string */
    F_OPT_STRS,      /* rule option, list of strings (repeatable) */
    F_OPT_FALSE,     /* rule option := false */
    F_HELP,
    F_VERSION,
} flag_kind;

typedef enum flag_section { S_REPORT, S_CONFIG, S_RULES, S_PROBE, S_OTHER } flag_section;

static const char *const SECTION_TITLE[] = {"report", "configuration", "rules", "probe (probe, compare)", "other"};

typedef struct cli_flag {
    const char *name;         /* "--format" */
    char short_name;          /* 'o', or 0 */
    const char *arg;          /* "FILE", or NULL for a switch */
    unsigned commands;        /* CMD_* bits */
    flag_kind kind;
    size_t offset;            /* into cli_opts */
    const char *option;       /* F_OPT_*: the rule option's name, or the configuration key's (SETTING) */
    double lo, hi;            /* F_OPT_INT / F_OPT_NUM range */
    /* optional check of the value: 0, or -1 after printing why */
    int (*check)(const char *flag, const char *value);
    flag_section section;
    const char *help;
} cli_flag;

static int check_format(const char *flag, const char *v);
/* words in a flag's help that flag_help spells out from the tables: the
 * formats of the writer table (sarif/formats.def, "text (default), sarif,
 * json, ...") and the keys of the limits table (host/limits.c) */
#define FORMATS_WORD "@FORMATS@"
#define LIMITS_WORD "@LIMITS@"
static int check_target(const char *flag, const char *v);
static int check_name_file(const char *flag, const char *v);
static int check_limit(const char *flag, const char *v);
static int check_rule_set(const char *flag, const char *v);

#define OFF(m) offsetof(cli_opts, m)
#define SETTING ((size_t)-1)   /* F_OPT_* offset: `option` is a configuration key */
#define ALL (CMD_CHECK | CMD_INSPECT | CMD_RULES | CMD_PROBE | CMD_COMPARE | CMD_TEST_RULE)
#define REPORTS (ALL & ~CMD_TEST_RULE)   /* commands that write a report */
#define RUL (CMD_RUNS | CMD_RULES)

static const cli_flag FLAGS[] = {
    {"--format", 0, "FORMAT", REPORTS, F_STR, OFF(format), NULL, 0, 0, check_format, S_REPORT,
     "report format: check, probe, compare: " FORMATS_WORD "; inspect: text, json; rules: text, json, markdown"},
    {"--output", 'o', "FILE", REPORTS, F_STR, OFF(output), NULL, 0, 0, NULL, S_REPORT,
     "write the report to FILE instead of stdout"},
    {"--fail-on", 0, "LEVEL", CMD_RUNS, F_OPT_STR, SETTING, "fail_on", 0, 0, NULL, S_REPORT,
     "exit 1 when a finding is at or above LEVEL: note, warning, error (default error)"},
    {"--baseline", 0, "OLD.sarif", CMD_RUNS, F_STR, OFF(baseline), NULL, 0, 0, NULL, S_REPORT,
     "report only findings that are not in this earlier SARIF report"},
    {"--color", 0, NULL, CMD_RUNS, F_TRUE, OFF(color), NULL, 0, 0, NULL, S_REPORT,
     "colour the text report (default: on a terminal, unless NO_COLOR is set)"},
    {"--no-color", 0, NULL, CMD_RUNS, F_TRUE, OFF(no_color), NULL, 0, 0, NULL, S_REPORT, "never colour the text report"},
    {"--timestamps", 0, NULL, CMD_RUNS, F_TRUE, OFF(timestamps), NULL, 0, 0, NULL, S_REPORT,
     "write start and end times into the report"},
    {"--quiet", 'q', NULL, ALL, F_TRUE, OFF(quiet), NULL, 0, 0, NULL, S_REPORT, "no summary or log on stderr"},
    {"--keep-going", 0, NULL, CMD_RUNS, F_TRUE, OFF(keep_going), NULL, 0, 0, NULL, S_REPORT,
     "exit by the findings alone even when a rule or plugin failed (a Lua error, a plugin crash or time-out, a "
     "plugin that cannot be loaded); "
     "without it such a failure makes the exit 2"},
    {"--profile", 0, NULL, CMD_RUNS, F_TRUE, OFF(profile), NULL, 0, 0, NULL, S_REPORT,
     "print on stderr where the time went: start-up, loading the models, each rule (wall-clock ms, a Lua "
     "rule's VM instructions as its budget counts them), slowest first; the report does not change"},
    {"--markdown", 0, NULL, CMD_RULES, F_TRUE, OFF(markdown), NULL, 0, 0, NULL, S_REPORT,
     "the Markdown rule reference: the index of docs/rules.md, or ID's page (same as --format markdown)"},
    {"--docs", 0, "DIR", CMD_RULES, F_STR, OFF(docs_dir), NULL, 0, 0, NULL, S_REPORT,
     "write the reference: DIR/rules.md and one page per rule, DIR/rules/<category>/<name>.md (of the rules a "
     "GLOB matches, when one is given)"},

    {"--config", 0, "FILE", RUL | CMD_TEST_RULE, F_STR, OFF(config), NULL, 0, 0, NULL, S_CONFIG,
     "configuration file (default: .coreml-lint.json found upward from the working directory; test-rule searches "
     "for none)"},
    {"--no-config", 0, NULL, RUL, F_TRUE, OFF(no_config), NULL, 0, 0, NULL, S_CONFIG, "read no configuration file"},
    {"--rule-set", 0, "NAME", RUL, F_STR, OFF(rule_set), NULL, 0, 0, check_rule_set, S_CONFIG,
     "the rule set to start from, instead of the configuration's \"extends\": recommended (the default) or "
     "strict (opt-in rules on, policy notes as warnings, fail on warnings); the file's own settings still decide"},
    {"--trust-config", 0, NULL, RUL, F_TRUE, OFF(trust_config), NULL, 0, 0, NULL, S_CONFIG,
     "let the configuration file load code (its \"plugins\" and \"rules_dirs\") and loosen \"limits\"; without it "
     "(or COREML_LINT_TRUST_CONFIG=1) they are ignored with a notification: the file may come from a pull request"},
    {"--target", 0, "PLATFORMVERSION", RUL | CMD_TEST_RULE, F_STR, OFF(target), NULL, 0, 0, check_target, S_CONFIG,
     "the app's deployment target, e.g. iOS16, iOS17.4, macOS13; a bare version (16.0) takes its platform from "
     "$PLATFORM_NAME, as in an Xcode build phase (default: the configuration's, else Xcode's PLATFORM_NAME and "
     "*_DEPLOYMENT_TARGET when set)"},
    {"--limit", 0, "KEY=VALUE", RUL, F_STRV, OFF(limits), NULL, 0, 0, check_limit, S_CONFIG,
     "a bound on rules, as the configuration's \"limits\" (" LIMITS_WORD ") (repeatable)"},

    {"--enable", 0, "ID|GLOB", RUL, F_STRV, OFF(enable), NULL, 0, 0, NULL, S_RULES, "enable rules (repeatable)"},
    {"--disable", 0, "ID|GLOB", RUL, F_STRV, OFF(disable), NULL, 0, 0, NULL, S_RULES, "disable rules (repeatable)"},
    {"--rules-dir", 0, "DIR", RUL, F_STRV, OFF(rules_dirs), NULL, 0, 0, NULL, S_RULES,
     "load Lua rules from DIR/<category>/<name>.lua (repeatable)"},
    {"--plugin", 0, "FILE.so", RUL, F_STRV, OFF(plugins), NULL, 0, 0, NULL, S_RULES,
     "load a plugin, or every plugin in a folder (repeatable)"},
    {"--no-bundled", 0, NULL, RUL, F_TRUE, OFF(no_bundled), NULL, 0, 0, NULL, S_RULES,
     "load no bundled Lua rules or plugins"},

    {"--threads", 0, "N", CMD_PROBE | CMD_COMPARE, F_OPT_INT, 0, "threads", 0, 256, NULL, S_PROBE,
     "executor threads (default: the CPUs this process may use)"},
    {"--runs", 0, "N", CMD_PROBE | CMD_COMPARE, F_OPT_INT, 0, "runs", 1, 2147483647.0, NULL, S_PROBE,
     "predictions per mode (default 10)"},
    {"--input", 0, "NAME=FILE", CMD_PROBE | CMD_COMPARE, F_OPT_STRS, 0, "inputs", 0, 0, check_name_file, S_PROBE,
     "an input from a file: .f32 (raw float32) or .npy for an array (the declared shape give or take dimensions "
     "of 1, a flexible input the file's shape within its range; float64 kept exact for a classic model's Double "
     "input; an integer input takes integers of magnitude at most 2^24, 2^53 for an int64 sequence); .txt for a "
     "string or a sequence of strings (a string per line, an empty line the empty string) or a sequence of int64 "
     "(an integer per line); .tsv (KEY<TAB>NUMBER per line) for a dictionary; text with the escapes \\n \\t "
     "\\r \\\\ \\xNN (not \\x00) (repeatable)"},
    {"--save-outputs", 0, "DIR", CMD_PROBE | CMD_COMPARE, F_OPT_STR, 0, "save_outputs", 0, 0, NULL, S_PROBE,
     "save the outputs in DIR (a folder, not a symbolic link): NAME.npy and NAME.fp16.npy (float64 for a classic "
     "model's Double output), NAME.txt for strings, NAME.tsv for dictionaries"},
    {"--timeout", 0, "SECONDS", CMD_PROBE | CMD_COMPARE, F_OPT_NUM, 0, "timeout", 0, 1e7, NULL, S_PROBE,
     "wall-clock limit of the probe's process (default 300)"},
    {"--memory-limit", 0, "MB", CMD_PROBE | CMD_COMPARE, F_OPT_INT, 0, "memory_limit", 0, 1099511627776.0, NULL,
     S_PROBE, "memory the probe's process may add (default 16384, 0 none)"},
    {"--seed", 0, "N", CMD_PROBE | CMD_COMPARE, F_OPT_INT, 0, "seed", 0, 9007199254740992.0, NULL, S_PROBE,
     "seed of the generated inputs (default 0)"},
    {"--function", 0, "NAME", CMD_PROBE | CMD_COMPARE, F_OPT_STR, 0, "function", 0, 0, NULL, S_PROBE,
     "the function of a multifunction model"},
    {"--no-coreml", 0, NULL, CMD_PROBE | CMD_COMPARE, F_OPT_FALSE, 0, "coreml", 0, 0, NULL, S_PROBE,
     "do not run Core ML itself (Apple platforms)"},

    {"--help", 'h', NULL, ALL | CMD_META, F_HELP, 0, NULL, 0, 0, NULL, S_OTHER, "print this help (COMMAND --help: one command's)"},
    {"--version", 0, NULL, ALL, F_VERSION, 0, NULL, 0, 0, NULL, S_OTHER, "print the version, the commit, the plugin ABI and where the bundled rules and plugins are"},
};
#define N_FLAGS (sizeof FLAGS / sizeof FLAGS[0])

/* ---- value checks --------------------------------------------------------------- */

/* "a, b, c" of the writer table's names, the first followed by `first`. */
static void format_names(char *buf, size_t cap, const char *first) {
    size_t n, u = 0;
    const report_writer *const *w = report_writers(&n);
    buf[0] = 0;
    for (size_t i = 0; i < n && u < cap; i++) {
        int k = snprintf(buf + u, cap - u, "%s%s%s", i ? ", " : "", w[i]->name, i ? "" : first);
        u = k < 0 ? cap : u + (size_t)k;
    }
}

static int check_format(const char *flag, const char *v) {
    /* which formats a command takes is the command's business; here only
     * that it is one the tool knows at all */
    if (report_writer_find(v) || !strcmp(v, "markdown")) return 0;
    char names[512];
    format_names(names, sizeof names, "");
    cli_errorf("coreml-lint: %s: unknown format '%s' (formats: %s)", flag, v, names);
    return -1;
}

/* A flag's help with FORMATS_WORD (the writer table's names) or
 * LIMITS_WORD (the limits table's keys) spelt out, made once per flag (the
 * usage, the man page and the completions all read it). */
static const char *flag_help(const cli_flag *f) {
    static char *made[N_FLAGS];
    const char *word = FORMATS_WORD, *at = strstr(f->help, word);
    bool limits = !at;
    if (limits) at = strstr(f->help, word = LIMITS_WORD);
    if (!at) return f->help;
    size_t i = (size_t)(f - FLAGS);
    if (!made[i]) {
        char names[512];
        if (limits) host_limit_key_list(names, sizeof names);
        else format_names(names, sizeof names, " (default)");
        size_t n = strlen(f->help) - strlen(word) + strlen(names) + 1;
        if (!(made[i] = malloc(n))) return f->help;
        snprintf(made[i], n, "%.*s%s%s", (int)(at - f->help), f->help, names, at + strlen(word));
    }
    return made[i];
}

static int check_target(const char *flag, const char *v) {
    char buf[512];
    (void)flag;
    if (target_from_flag(v, buf, sizeof buf)) return 0;
    cli_errorf("coreml-lint: %s", buf);
    return -1;
}

static int check_rule_set(const char *flag, const char *v) {
    size_t n;
    const char *const *sets = config_rule_sets(&n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v, sets[i])) return 0;
    char names[512] = "";
    size_t u = 0;
    for (size_t i = 0; i < n && u < sizeof names; i++) {
        int k = snprintf(names + u, sizeof names - u, "%s %s", i ? "," : "", sets[i]);
        u = k < 0 ? sizeof names : u + (size_t)k;
    }
    cli_errorf("coreml-lint: %s must be one of%s, not '%s'", flag, names, v);
    return -1;
}

static int check_name_file(const char *flag, const char *v) {
    const char *eq = strchr(v, '=');
    if (eq && eq != v && eq[1]) return 0;
    cli_errorf("coreml-lint: %s must be NAME=FILE, not '%s'", flag, v);
    return -1;
}

/* KEY=VALUE, as the configuration's "limits" takes it. */
static int check_limit(const char *flag, const char *v) {
    const char *eq = strchr(v, '=');
    if (!eq || eq == v || !eq[1]) {
        cli_errorf("coreml-lint: %s must be KEY=VALUE, not '%s'", flag, v);
        return -1;
    }
    host_limits l = host_limits_default();
    char err[320];
    int rc = host_limit_set_text(&l, v, err, sizeof err);
    if (rc) cli_errorf("coreml-lint: %s: %s", flag, err);
    return rc;
}

/* ---- did you mean ----------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t del = row[j] + 1, ins = row[j - 1] + 1;
            row[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            prev = cur;
        }
    }
    return row[lb];
}

const char *cli_command_like(const char *word) {
    const char *best = NULL;
    size_t bd = 3;   /* within two edits */
    for (size_t i = 0; word && !strchr(word, '/') && i < N_COMMANDS; i++) {
        size_t d = edit_distance(word, COMMANDS[i].name);
        if (d < bd) bd = d, best = COMMANDS[i].name;
    }
    return best;
}

static const char *command_names(unsigned bits, char *buf, size_t cap) {
    size_t o = 0, k = 0, total = 0;
    buf[0] = 0;
    for (size_t i = 0; i < N_COMMANDS; i++) total += (bits & COMMANDS[i].bit) != 0;
    for (size_t i = 0; i < N_COMMANDS && o < cap; i++) {
        if (!(bits & COMMANDS[i].bit)) continue;
        k++;
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", k == 1 ? "" : k == total ? " and " : ", ", COMMANDS[i].name);
    }
    return buf;
}

static void unknown_flag(const char *a, unsigned cmd) {
    char name[128];
    const char *eq = strchr(a, '=');
    snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
    const char *cname = "coreml-lint";
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (COMMANDS[i].bit == cmd) cname = COMMANDS[i].name;
    for (size_t i = 0; i < N_FLAGS; i++)
        if (!strcmp(FLAGS[i].name, name)) {
            char cmds[256];
            fprintf(stderr, "coreml-lint %s: %s is an option of %s, not of %s\n", cname, name,
                    command_names(FLAGS[i].commands, cmds, sizeof cmds), cname);
            return;
        }
    const cli_flag *best = NULL;
    size_t bd = 99;
    for (int pass = 0; pass < 2 && !best; pass++) {
        /* this command's flags first, then every flag */
        for (size_t i = 0; i < N_FLAGS; i++) {
            if (!pass && !(FLAGS[i].commands & cmd)) continue;
            size_t d = edit_distance(name, FLAGS[i].name);
            if (d < bd) {
                bd = d;
                best = &FLAGS[i];
            }
        }
        if (best && bd > (strlen(name) > 8 ? 3u : 2u)) best = NULL, bd = 99;
    }
    if (best && (best->commands & cmd))
        cli_errorf("coreml-lint %s: unknown option '%s'; did you mean %s? (coreml-lint %s --help)", cname, name,
                best->name, cname);
    else if (best) {
        char cmds[256];
        cli_errorf("coreml-lint %s: unknown option '%s'; did you mean %s (an option of %s)?", cname, name,
                best->name, command_names(best->commands, cmds, sizeof cmds));
    } else
        cli_errorf("coreml-lint %s: unknown option '%s' (coreml-lint %s --help)", cname, name, cname);
}

/* ---- parsing ------------------------------------------------------------------------- */

/* The value of an F_OPT_* flag, checked against the flag's bounds, into the
 * object it feeds: a rule's options (o->rule_options, keyed by the flag's
 * option) or, for a config-backed flag, o->settings (keyed by the config
 * key, applied over the file by config_set). */
static int set_flag_value(cli_opts *o, const cli_flag *f, const char *v) {
    cJSON **slot = f->offset == SETTING ? &o->settings : &o->rule_options;
    if (!*slot && !(*slot = cJSON_CreateObject())) return -1;
    cJSON *to = *slot;
    cJSON *item = NULL;
    switch (f->kind) {
    case F_OPT_INT: {
        char *end = NULL;
        errno = 0;
        double x = strtod(v, &end);
        if (!*v || *end || errno || floor(x) != x || x < f->lo || x > f->hi) {
            cli_errorf("coreml-lint: %s must be a whole number from %.0f to %.0f, not '%s'", f->name, f->lo, f->hi, v);
            return -1;
        }
        item = cJSON_CreateNumber(x);
        break;
    }
    case F_OPT_NUM: {
        char *end = NULL;
        double x = strtod(v, &end);
        if (!*v || *end || !(x > f->lo && x <= f->hi)) {
            cli_errorf("coreml-lint: %s must be a number above %g, at most %g, not '%s'", f->name, f->lo, f->hi, v);
            return -1;
        }
        item = cJSON_CreateNumber(x);
        break;
    }
    case F_OPT_STR: item = cJSON_CreateString(v); break;
    case F_OPT_FALSE: item = cJSON_CreateFalse(); break;
    case F_OPT_STRS: {
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(to, f->option);
        if (!arr && !(arr = cJSON_AddArrayToObject(to, f->option))) return -1;
        return cJSON_AddItemToArray(arr, cJSON_CreateString(v)) ? 0 : -1;
    }
    default: return -1;
    }
    if (!item) return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(to, f->option);
    cJSON_AddItemToObject(to, f->option, item);
    return 0;
}

static const cli_flag *find_flag(const char *a, const char **inline_value) {
    *inline_value = NULL;
    if (a[0] == '-' && a[1] != '-') {
        for (size_t i = 0; i < N_FLAGS; i++)
            if (FLAGS[i].short_name && a[1] == FLAGS[i].short_name && !a[2]) return &FLAGS[i];
        return NULL;
    }
    const char *eq = strchr(a, '=');
    size_t n = eq ? (size_t)(eq - a) : strlen(a);
    for (size_t i = 0; i < N_FLAGS; i++)
        if (strlen(FLAGS[i].name) == n && !strncmp(FLAGS[i].name, a, n)) {
            if (eq) *inline_value = eq + 1;
            return &FLAGS[i];
        }
    return NULL;
}

static const cli_command *command_of(unsigned cmd) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (COMMANDS[i].bit == cmd) return &COMMANDS[i];
    return NULL;
}

int cli_parse(int argc, char **argv, int start, unsigned cmd, cli_opts *o) {
    bool only_args = false;
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        if (only_args || a[0] != '-' || !a[1]) {
            strv_push(&o->args, a);
            continue;
        }
        if (!strcmp(a, "--")) {
            only_args = true;
            continue;
        }
        /* An argument shaped like an option that names a file or folder here
         * is refused, not read as an option: the file names a tool such as
         * pre-commit appends come from the commit, and a folder named
         * "--plugin=x.mlpackage" holding a file would otherwise load that
         * file as a plugin. Paths that start with "-" go after "--". */
        struct stat sb;
        if (lstat(a, &sb) == 0) {
            cli_errorf("coreml-lint: '%s' is a file or folder here, and it looks like an option: give paths that "
                       "start with '-' after '--' (coreml-lint check -- PATH...); an existing path is never read as "
                       "an option",
                       a);
            return 2;
        }
        const char *v = NULL;
        const cli_flag *f = find_flag(a, &v);
        if (!f || !(f->commands & cmd)) {
            unknown_flag(a, cmd);
            return 2;
        }
        if (f->arg && !v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "coreml-lint: %s needs a value (%s)\n", f->name, f->arg);
                return 2;
            }
            v = argv[++i];
        } else if (!f->arg && v) {
            fprintf(stderr, "coreml-lint: %s takes no value\n", f->name);
            return 2;
        }
        if (f->check && f->check(f->name, v) != 0) return 2;
        char *base = (char *)o;
        switch (f->kind) {
        case F_TRUE: *(bool *)(base + f->offset) = true; break;
        case F_STR: *(const char **)(base + f->offset) = v; break;
        case F_STRV: strv_push((strv *)(base + f->offset), v); break;
        case F_HELP: cli_usage(stdout, command_of(cmd)); return 1;
        case F_VERSION: cli_print_version(stdout); return 1;
        default:
            if (set_flag_value(o, f, v) != 0) return 2;
            break;
        }
    }
    return 0;
}

/* ---- usage ------------------------------------------------------------------------------ */

/* Words of text from column `indent`, lines up to `width`. */
static void wrap(FILE *out, const char *text, size_t indent, size_t width) {
    size_t col = indent;
    bool first = true;
    for (const char *h = text; *h;) {
        const char *sp = h;
        while (*sp && *sp != ' ') sp++;
        size_t w = (size_t)(sp - h);
        if (!first && col + 1 + w > width) {
            fprintf(out, "\n%*s", (int)indent, "");
            col = indent;
            first = true;
        }
        fprintf(out, "%s%.*s", first ? "" : " ", (int)w, h);
        col += w + !first;
        first = false;
        h = *sp ? sp + 1 : sp;
    }
    fputc('\n', out);
}

static void flag_line(FILE *out, const cli_flag *f) {
    char left[64];
    if (f->short_name)
        snprintf(left, sizeof left, "-%c, %s%s%s", f->short_name, f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    else snprintf(left, sizeof left, "%s%s%s", f->name, f->arg ? " " : "", f->arg ? f->arg : "");
    if (strlen(left) > 30) fprintf(out, "  %s\n%33s", left, "");
    else fprintf(out, "  %-30s ", left);
    wrap(out, flag_help(f), 33, 110);
}

void cli_usage(FILE *out, const cli_command *only) {
    unsigned mask = only ? only->bit : ~0u;
    if (only) {
        fprintf(out, "usage: coreml-lint %s %s\n\n", only->name, only->synopsis);
        wrap(out, only->description, 0, 100);
    } else {
        fputs("usage: coreml-lint [COMMAND] [options] ARGS...\n\ncommands:\n", out);
        for (size_t i = 0; i < N_COMMANDS; i++)
            fprintf(out, "  %-10s %-40s %s\n", COMMANDS[i].name, COMMANDS[i].synopsis, COMMANDS[i].summary);
        fputs("\nPATH is an .mlmodel file, an .mlpackage or .mlmodelc folder, or a folder to search for models.\n"
              "Without a command, coreml-lint checks the paths it is given.\n",
              out);
    }
    for (int s = S_REPORT; s <= S_OTHER; s++) {
        bool any = false;
        for (size_t i = 0; i < N_FLAGS; i++) {
            const cli_flag *f = &FLAGS[i];
            if (f->section != (flag_section)s || !(f->commands & mask)) continue;
            if (!any) fprintf(out, "\n%s options:\n", SECTION_TITLE[s]);
            any = true;
            flag_line(out, f);
        }
    }
    if (!only || (only->bit & CMD_RUNS))
        fputs("\nexit: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or tool error (a rule "
              "or plugin that failed, unless --keep-going)\n",
              out);
    if (!only) fputs("\nSee `coreml-lint COMMAND --help` for one command's options.\n", out);
}

const char *cli_setting_flag(const char *key) {
    for (size_t i = 0; key && i < N_FLAGS; i++)
        if (FLAGS[i].offset == SETTING && !strcmp(FLAGS[i].option, key)) return FLAGS[i].name;
    return key;
}

size_t cli_flag_views(cli_flag_view *out, size_t cap) {
    for (size_t i = 0; i < N_FLAGS && i < cap; i++) {
        const cli_flag *f = &FLAGS[i];
        out[i] = (cli_flag_view){f->name,
                                 f->short_name,
                                 f->arg,
                                 f->commands,
                                 f->kind == F_STRV || f->kind == F_OPT_STRS,
                                 SECTION_TITLE[f->section],
                                 flag_help(f)};
    }
    return N_FLAGS;
}

void cli_print_version(FILE *out) {
    fprintf(out, "coreml-lint %s (commit %s, plugin ABI %u)\n", CML_VERSION, CML_COMMIT, CML_ABI_VERSION);
    /* where the bundled rules come from: what a moved install or a package
     * gets wrong shows here first */
    char *rd = sources_bundled_rules_dir(), *pd = sources_bundled_plugin_dir();
    fprintf(out, "rules:   %s\nplugins: %s\n", rd ? rd : "(none found)", pd ? pd : "(none found)");
    free(rd);
    free(pd);
}
