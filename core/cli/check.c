/* check.c — the `check` command (the default) and `rules`. Last stage of
 * the data flow: parse flags, find and read the configuration, load every
 * rule (builtin load/..., bundled and extra Lua rules and plugins), apply
 * the configuration (command-line flags override the file), expand the
 * paths (folders are searched for models), run, write the report to stdout
 * or -o FILE, and exit 0 (nothing at or above --fail-on), 1 (findings at
 * or above it) or 2 (usage or tool error: bad flag, bad config, unwritable
 * output, no paths). stdout carries only the report; notifications and
 * the summary go to stderr unless --quiet. `rules` lists every rule,
 * documents one, or prints the Markdown reference docs/rules.md is made of.
 * `probe PATH...` is `check` with the runtime probe's rules (probe/..., opt-in,
 * from the runtime-probe plugin) enabled on top of the static ones, its
 * flags (--threads, --runs, --input, --save-outputs, --timeout,
 * --memory-limit, --seed, --function, --no-coreml) becoming those rules'
 * options; `compare BASE MODEL` probes MODEL with BASE as its baseline
 * (option compare_to). A probe problem that is the user's (a bad --input
 * file, an unwritable --save-outputs folder, an unreadable baseline) is
 * logged at error level by the plugin and makes the exit 2. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/discover.h"
#include "host/host.h"

typedef struct strv {
    const char **v;
    size_t n, cap;
} strv;

typedef struct cli_opts {
    const char *format, *output, *config, *target, *baseline;
    int fail_on;
    bool no_config, no_bundled, quiet, color, no_color, timestamps, markdown;
    strv enable, disable, rules_dirs, plugins, args;
    /* probe and compare */
    const char *threads, *runs, *timeout, *memory_limit, *save_outputs, *seed, *function;
    bool no_coreml;
    strv inputs;
} cli_opts;

enum { CMD_CHECK = 0, CMD_RULES, CMD_PROBE, CMD_COMPARE };

static int strv_push(strv *s, const char *x) {
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

static void opts_free(cli_opts *o) {
    free(o->enable.v);
    free(o->disable.v);
    free(o->rules_dirs.v);
    free(o->plugins.v);
    free(o->args.v);
    free(o->inputs.v);
}

static void usage(FILE *out) {
    fputs("usage: coreml-lint [check] [options] PATH...\n"
          "       coreml-lint rules [ID | GLOB] [--markdown] [options]\n"
          "       coreml-lint inspect [--format text|json] [-o FILE] PATH...\n"
          "       coreml-lint probe [probe options] [options] PATH...\n"
          "       coreml-lint compare [probe options] [options] BASELINE MODEL\n"
          "\n"
          "PATH is an .mlmodel file, an .mlpackage or .mlmodelc folder, or a folder to search.\n"
          "\n"
          "options:\n"
          "  --format text|sarif|json|github   report format (default text)\n"
          "  -o, --output FILE                 write the report to FILE instead of stdout\n"
          "  --config FILE                     configuration (default: .coreml-lint.json found upward)\n"
          "  --no-config                       read no configuration file\n"
          "  --target PLATFORMVERSION          deployment target, e.g. iOS16, macOS13\n"
          "  --fail-on note|warning|error      exit 1 when a finding is at or above this level (default error)\n"
          "  --baseline OLD.sarif              report only findings not in this earlier SARIF report\n"
          "  --enable ID|GLOB                  enable rules (repeatable)\n"
          "  --disable ID|GLOB                 disable rules (repeatable)\n"
          "  --rules-dir DIR                   load Lua rules from DIR/<category>/<name>.lua (repeatable)\n"
          "  --plugin FILE.so                  load a plugin (repeatable)\n"
          "  --no-bundled                      load no bundled Lua rules or plugins\n"
          "  --color, --no-color               force colour on or off (default: on a terminal, unless NO_COLOR)\n"
          "  --timestamps                      write start and end times into the report\n"
          "  -q, --quiet                       no summary or log on stderr\n"
          "  --version                         print the version\n"
          "\n"
          "probe options (probe, compare: the model runs on the CPU in fp32 and fp16 emulation):\n"
          "  --threads N                       executor threads (default: the CPUs online)\n"
          "  --runs N                          predictions per mode (default 10)\n"
          "  --input NAME=FILE                 input from a .f32 (raw float32) or .npy file (repeatable)\n"
          "  --save-outputs DIR                save the outputs as .npy files in DIR\n"
          "  --timeout SECONDS                 wall-clock limit of the probe's process (default 300)\n"
          "  --memory-limit MB                 memory the probe's process may add (default 16384, 0 none)\n"
          "  --seed N                          seed of the generated inputs (default 0)\n"
          "  --function NAME                   function of a multifunction model\n"
          "  --no-coreml                       do not run Core ML itself (Apple platforms)\n"
          "\n"
          "exit: 0 no finding at or above --fail-on, 1 findings at or above it, 2 usage or tool error\n",
          out);
}

/* Flag value from "--flag value" or "--flag=value". */
static const char *flag_value(int argc, char **argv, int *i, const char *flag, bool *err) {
    const char *a = argv[*i];
    size_t n = strlen(flag);
    if (strncmp(a, flag, n) != 0) return NULL;
    if (a[n] == '=') return a + n + 1;
    if (a[n]) return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "coreml-lint: %s needs a value\n", flag);
        *err = true;
        return NULL;
    }
    return argv[++*i];
}

/* 0 ok, 1 printed help/version (exit 0), 2 usage error. */
static int parse(int argc, char **argv, int start, cli_opts *o, int cmd) {
    bool rules_cmd = cmd == CMD_RULES, probe_cmd = cmd == CMD_PROBE || cmd == CMD_COMPARE;
    o->fail_on = -1;
    bool only_paths = false;
    for (int i = start; i < argc; i++) {
        const char *a = argv[i], *v;
        bool err = false;
        if (only_paths || a[0] != '-' || !a[1]) {
            strv_push(&o->args, a);
            continue;
        }
#define VAL(flag) ((v = flag_value(argc, argv, &i, flag, &err)) != NULL || err)
        if (!strcmp(a, "--")) only_paths = true;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--version")) {
            printf("coreml-lint %s\n", CML_VERSION);
            return 1;
        } else if (VAL("--format")) o->format = v;
        else if (!strcmp(a, "-o")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "coreml-lint: -o needs a file name\n");
                return 2;
            }
            o->output = argv[++i];
        }
        else if (VAL("--output")) o->output = v;
        else if (VAL("--config")) o->config = v;
        else if (!strcmp(a, "--no-config")) o->no_config = true;
        else if (VAL("--target")) o->target = v;
        else if (VAL("--fail-on")) {
            o->fail_on = v ? level_parse(v) : -1;
            if (!err && o->fail_on < LEVEL_NOTE) {
                fprintf(stderr, "coreml-lint: --fail-on must be note, warning or error, not '%s'\n", v);
                return 2;
            }
        } else if (VAL("--baseline")) o->baseline = v;
        else if (VAL("--enable")) strv_push(&o->enable, v);
        else if (VAL("--disable")) strv_push(&o->disable, v);
        else if (VAL("--rules-dir")) strv_push(&o->rules_dirs, v);
        else if (VAL("--plugin")) strv_push(&o->plugins, v);
        else if (!strcmp(a, "--no-bundled")) o->no_bundled = true;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) o->quiet = true;
        else if (!strcmp(a, "--color")) o->color = true;
        else if (!strcmp(a, "--no-color")) o->no_color = true;
        else if (!strcmp(a, "--timestamps")) o->timestamps = true;
        else if (rules_cmd && !strcmp(a, "--markdown")) o->markdown = true;
        else if (probe_cmd && VAL("--threads")) o->threads = v;
        else if (probe_cmd && VAL("--runs")) o->runs = v;
        else if (probe_cmd && VAL("--input")) strv_push(&o->inputs, v);
        else if (probe_cmd && VAL("--save-outputs")) o->save_outputs = v;
        else if (probe_cmd && VAL("--timeout")) o->timeout = v;
        else if (probe_cmd && VAL("--memory-limit")) o->memory_limit = v;
        else if (probe_cmd && VAL("--seed")) o->seed = v;
        else if (probe_cmd && VAL("--function")) o->function = v;
        else if (probe_cmd && !strcmp(a, "--no-coreml")) o->no_coreml = true;
        else {
            fprintf(stderr, "coreml-lint: unknown option '%s' (see coreml-lint --help)\n", a);
            return 2;
        }
        if (err) return 2;
#undef VAL
    }
    if (o->format && strcmp(o->format, "text") && strcmp(o->format, "sarif") && strcmp(o->format, "json") &&
        strcmp(o->format, "github")) {
        fprintf(stderr, "coreml-lint: --format must be text, sarif, json or github, not '%s'\n", o->format);
        return 2;
    }
    if (o->target && !config_target_valid(o->target)) {
        fprintf(stderr, "coreml-lint: --target must be a deployment target such as iOS16, iOS17.4, macOS13, tvOS17, "
                        "watchOS10 or visionOS2, not '%s'\n", o->target);
        return 2;
    }
    return 0;
}

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Everything before the run: config, rules, levels. 0 or 2. */
static int setup(cli_opts *o, config *cfg, registry **regp, bool use_config) {
    char err[2048];
    memset(cfg, 0, sizeof *cfg);
    cfg->fail_on = -1;
    if (use_config && !o->no_config) {
        char *found = NULL;
        if (!o->config) {
            char cwd[PATH_MAX];
            found = getcwd(cwd, sizeof cwd) ? config_find(cwd) : NULL;
        }
        const char *path = o->config ? o->config : found;
        if (path && config_load(cfg, path, err, sizeof err) != 0) {
            fprintf(stderr, "coreml-lint: %s\n", err);
            free(found);
            return 2;
        }
        free(found);
    }
    /* extra rule folders and plugins must exist: a typo is a usage error */
    for (size_t i = 0; i < o->rules_dirs.n; i++)
        if (!is_dir(o->rules_dirs.v[i])) {
            fprintf(stderr, "coreml-lint: --rules-dir: '%s' is not a folder\n", o->rules_dirs.v[i]);
            return 2;
        }
    for (size_t i = 0; i < o->plugins.n; i++)
        if (!exists(o->plugins.v[i])) {
            fprintf(stderr, "coreml-lint: --plugin: '%s' does not exist\n", o->plugins.v[i]);
            return 2;
        }
    for (size_t i = 0; i < cfg->n_rules_dirs; i++)
        if (!is_dir(cfg->rules_dirs[i])) {
            fprintf(stderr, "coreml-lint: %s: rules_dirs: '%s' is not a folder\n", cfg->file, cfg->rules_dirs[i]);
            return 2;
        }
    for (size_t i = 0; i < cfg->n_plugins; i++)
        if (!exists(cfg->plugins[i])) {
            fprintf(stderr, "coreml-lint: %s: plugins: '%s' does not exist\n", cfg->file, cfg->plugins[i]);
            return 2;
        }
    strv dirs = {0}, plugs = {0};
    for (size_t i = 0; i < cfg->n_rules_dirs; i++) strv_push(&dirs, cfg->rules_dirs[i]);
    for (size_t i = 0; i < o->rules_dirs.n; i++) strv_push(&dirs, o->rules_dirs.v[i]);
    for (size_t i = 0; i < cfg->n_plugins; i++) strv_push(&plugs, cfg->plugins[i]);
    for (size_t i = 0; i < o->plugins.n; i++) strv_push(&plugs, o->plugins.v[i]);
    registry *reg = registry_new();
    if (!reg) {
        fprintf(stderr, "coreml-lint: out of memory\n");
        free(dirs.v);
        free(plugs.v);
        return 2;
    }
    registry_sources src = {.no_bundled = o->no_bundled,
                            .rules_dirs = dirs.v,
                            .n_rules_dirs = dirs.n,
                            .plugins = plugs.v,
                            .n_plugins = plugs.n};
    registry_load_all(reg, &src);
    free(dirs.v);
    free(plugs.v);
    *regp = reg;
    if (config_apply(cfg, reg, o->enable.v, o->enable.n, o->disable.v, o->disable.n, err, sizeof err) != 0) {
        fprintf(stderr, "coreml-lint: %s\n", err);
        return 2;
    }
    return 0;
}

static void print_notes(const registry *reg) {
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *n = registry_note(reg, i);
        fprintf(stderr, "coreml-lint: %s: %s", level_name(n->level), n->message);
        if (n->count > 1) fprintf(stderr, " (%zu times)", n->count);
        fprintf(stderr, " [%s%s%s]\n", n->kind, n->rule_id ? " " : "", n->rule_id ? n->rule_id : "");
    }
}

/* ---- rules ----------------------------------------------------------------- */

static const char *strip_prefix(const char *s, const char *prefix) {
    size_t n = prefix ? strlen(prefix) : 0;
    if (n && !strncmp(s, prefix, n) && s[n] == '/') return s + n + 1;
    return NULL;
}

/* Where a rule comes from, stable across machines for the bundled ones. */
static void origin_text(const host_rule *r, char *buf, size_t cap) {
    const char *o = r->origin ? r->origin : "";
    if (!*o) {
        snprintf(buf, cap, "built in");
        return;
    }
    char *rd = registry_bundled_rules_dir(), *pd = registry_bundled_plugin_dir();
    const char *rest;
    if ((rest = strip_prefix(o, rd))) snprintf(buf, cap, "rules/%s", rest);
    else if ((rest = strip_prefix(o, pd))) snprintf(buf, cap, "plugins/%s", rest);
    else if ((rest = strip_prefix(o, CML_SOURCE_DIR))) snprintf(buf, cap, "%s", rest);
    else snprintf(buf, cap, "%s", o);
    free(rd);
    free(pd);
}

static void md_cell(FILE *out, const char *s) {
    for (; s && *s; s++) {
        if (*s == '|') fputs("\\|", out);
        else if (*s == '\n') fputc(' ', out);
        else fputc(*s, out);
    }
}

static void anchor(FILE *out, const char *id) {
    for (; *id; id++)
        if (*id != '/') fputc(*id, out);
}

static void print_default(FILE *out, const cJSON *v) {
    if (!v) {
        fputs("—", out);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    fprintf(out, "`%s`", s ? s : "?");
    cJSON_free(s);
}

static void rule_markdown(FILE *out, const host_rule *r) {
    char origin[1024];
    origin_text(r, origin, sizeof origin);
    fprintf(out, "## %s\n\n*%s* — ", r->id, r->name);
    fputs(r->summary, out);
    fputs("\n\n", out);
    fprintf(out, "- Default level: %s\n- Kind: %s\n- Defined in: %s\n", level_name(r->default_level), r->kind,
            origin);
    if (r->n_tags) {
        fputs("- Tags: ", out);
        for (size_t i = 0; i < r->n_tags; i++) fprintf(out, "%s`%s`", i ? ", " : "", r->tags[i]);
        fputc('\n', out);
    }
    if (r->help_uri && *r->help_uri) fprintf(out, "- More: <%s>\n", r->help_uri);
    fputc('\n', out);
    if (r->n_options) {
        fputs("Options (`rules.\"", out);
        fputs(r->id, out);
        fputs("\".options` in `.coreml-lint.json`):\n\n| Option | Type | Default | Description |\n|---|---|---|---|\n", out);
        for (size_t i = 0; i < r->n_options; i++) {
            const rule_option *o = &r->options[i];
            fprintf(out, "| `%s` | %s | ", o->name, host_opt_type_name(o->type));
            print_default(out, o->default_value);
            fputs(" | ", out);
            md_cell(out, o->doc ? o->doc : "");
            fputs(" |\n", out);
        }
        fputc('\n', out);
    }
    /* the help's own headings go below this rule's "##" */
    bool fence = false;
    for (const char *h = r->help_md; *h;) {
        const char *e = strchr(h, '\n');
        size_t len = e ? (size_t)(e - h) : strlen(h);
        if (!strncmp(h, "```", 3) || !strncmp(h, "~~~", 3)) fence = !fence;
        if (!fence && h[0] == '#') fputs("##", out);
        fwrite(h, 1, len, out);
        fputc('\n', out);
        h += len + (e != NULL);
    }
    fputc('\n', out);
}

static void rules_markdown(FILE *out, const registry *reg) {
    fputs("# coreml-lint rule reference\n\n"
          "<!-- Generated by `coreml-lint rules --markdown`; do not edit by hand.\n"
          "     Regenerate: build/coreml-lint rules --markdown > docs/rules.md -->\n\n",
          out);
    fprintf(out,
            "%zu rules. Every rule has a stable id (`category/name`) used in configuration files, suppressions and "
            "`--enable`/`--disable`; levels below are defaults, which `.coreml-lint.json` can change "
            "(see [configuration](configuration.md)).\n\n",
            registry_count(reg));
    fputs("| Rule | Level | Kind | Summary |\n|---|---|---|---|\n", out);
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        fprintf(out, "| [`%s`](#", r->id);
        anchor(out, r->id);
        fprintf(out, ") | %s | %s | ", level_name(r->default_level), r->kind);
        md_cell(out, r->summary);
        fputs(" |\n", out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < registry_count(reg); i++) rule_markdown(out, registry_rule(reg, i));
}

static const char *effective_level(const host_rule *r) {
    return !r->enabled || r->level == LEVEL_NONE ? "off" : level_name(r->level);
}

static void rule_doc(FILE *out, const registry *reg, const host_rule *r) {
    char origin[1024];
    origin_text(r, origin, sizeof origin);
    fprintf(out, "%s (%s)\n  %s\n\n", r->id, r->name, r->summary);
    fprintf(out, "level:    %s", effective_level(r));
    if (!r->enabled || r->level != r->default_level || registry_level_configured(reg, r))
        fprintf(out, " (default %s)", level_name(r->default_level));
    fprintf(out, "\nkind:     %s\norigin:   %s\n", r->kind, origin);
    if (r->n_tags) {
        fputs("tags:     ", out);
        for (size_t i = 0; i < r->n_tags; i++) fprintf(out, "%s%s", i ? ", " : "", r->tags[i]);
        fputc('\n', out);
    }
    if (r->help_uri && *r->help_uri) fprintf(out, "help:     %s\n", r->help_uri);
    if (r->n_options) {
        fputs("options:\n", out);
        for (size_t i = 0; i < r->n_options; i++) {
            const rule_option *o = &r->options[i];
            char *d = o->default_value ? cJSON_PrintUnformatted(o->default_value) : NULL;
            const cJSON *cur = cJSON_GetObjectItemCaseSensitive(r->options_config, o->name);
            char *c = cur ? cJSON_PrintUnformatted(cur) : NULL;
            fprintf(out, "  %s (%s, default %s", o->name, host_opt_type_name(o->type), d ? d : "none");
            if (c && (!d || strcmp(c, d))) fprintf(out, ", configured %s", c);
            fprintf(out, ")%s%s\n", o->doc && *o->doc ? ": " : "", o->doc ? o->doc : "");
            cJSON_free(d);
            cJSON_free(c);
        }
    } else {
        fputs("options:  none\n", out);
    }
    fputc('\n', out);
    fputs(r->help_md, out);
    if (r->help_md[strlen(r->help_md) - 1] != '\n') fputc('\n', out);
}

static void rules_list(FILE *out, const registry *reg, const char *pattern) {
    size_t w = 4;
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        if (pattern && !host_glob_match(pattern, r->id, false)) continue;
        if (strlen(r->id) > w) w = strlen(r->id);
    }
    for (size_t i = 0; i < registry_count(reg); i++) {
        const host_rule *r = registry_rule(reg, i);
        if (pattern && !host_glob_match(pattern, r->id, false)) continue;
        fprintf(out, "%-*s  %-7s  %-7s  %s\n", (int)w, r->id, effective_level(r), r->kind, r->summary);
    }
}

static FILE *open_output(const char *path) {
    if (!path || !strcmp(path, "-")) return stdout;
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "coreml-lint: cannot write '%s': %s\n", path, strerror(errno));
    return f;
}

static int close_output(FILE *f, const char *path) {
    if (f == stdout) {
        if (fflush(stdout) != 0) {
            fprintf(stderr, "coreml-lint: cannot write the report: %s\n", strerror(errno));
            return -1;
        }
        return 0;
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "coreml-lint: cannot write '%s': %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int cmd_rules(int argc, char **argv, int start) {
    cli_opts o = {0};
    int rc = parse(argc, argv, start, &o, CMD_RULES);
    if (rc) {
        opts_free(&o);
        return rc == 1 ? 0 : 2;
    }
    if (o.args.n > 1) {
        fprintf(stderr, "coreml-lint rules: give at most one rule id or glob\n");
        opts_free(&o);
        return 2;
    }
    config cfg;
    registry *reg = NULL;
    rc = setup(&o, &cfg, &reg, !o.markdown);
    const char *want = o.args.n ? o.args.v[0] : NULL;
    if (!rc && want && !host_is_glob(want) && !registry_find(reg, want)) {
        fprintf(stderr, "coreml-lint rules: no rule '%s' (coreml-lint rules lists them)\n", want);
        rc = 2;
    }
    FILE *out = rc ? NULL : open_output(o.output);
    if (!rc && !out) rc = 2;
    if (!rc) {
        if (o.markdown) rules_markdown(out, reg);
        else if (want && !host_is_glob(want)) rule_doc(out, reg, registry_find(reg, want));
        else rules_list(out, reg, want);
        if (close_output(out, o.output)) rc = 2;
    }
    if (!o.quiet && reg) print_notes(reg);
    registry_free(reg);
    config_free(&cfg);
    opts_free(&o);
    return rc;
}

/* ---- check ------------------------------------------------------------------- */

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

/* A whole number in [lo, hi] from a flag ("--runs 10"); false with a message. */
static bool int_flag(const char *flag, const char *v, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    long long x = v ? strtoll(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || x < lo || x > hi) {
        fprintf(stderr, "coreml-lint: %s must be a whole number from %lld to %lld, not '%s'\n", flag, lo, hi,
                v ? v : "");
        return false;
    }
    *out = x;
    return true;
}

/* Enable every probe/... rule and turn the probe flags into their options.
 * 0, or 2 (usage error: bad value, no runtime-probe plugin). */
static int probe_setup(const cli_opts *o, registry *reg, const char *compare_to) {
    long long threads = 0, runs = 0, mem = 0, seed = 0;
    double timeout = 0;
    if ((o->threads && !int_flag("--threads", o->threads, 0, 256, &threads)) ||
        (o->runs && !int_flag("--runs", o->runs, 1, INT_MAX, &runs)) ||
        (o->memory_limit && !int_flag("--memory-limit", o->memory_limit, 0, 1LL << 40, &mem)) ||
        (o->seed && !int_flag("--seed", o->seed, 0, 1LL << 53, &seed)))
        return 2;
    if (o->timeout) {
        char *end = NULL;
        timeout = strtod(o->timeout, &end);
        if (!*o->timeout || *end || !(timeout > 0 && timeout <= 1e7)) {
            fprintf(stderr, "coreml-lint: --timeout must be a number of seconds above 0, not '%s'\n", o->timeout);
            return 2;
        }
    }
    for (size_t i = 0; i < o->inputs.n; i++) {
        const char *eq = strchr(o->inputs.v[i], '=');
        if (!eq || eq == o->inputs.v[i] || !eq[1]) {
            fprintf(stderr, "coreml-lint: --input must be NAME=FILE, not '%s'\n", o->inputs.v[i]);
            return 2;
        }
    }
    size_t n = 0;
    for (size_t i = 0; i < registry_count(reg); i++) {
        host_rule *r = registry_rule(reg, i);
        if (strncmp(r->id, "probe/", 6) != 0) continue;
        n++;
        r->enabled = true;
        if (r->level == LEVEL_NONE) r->level = r->default_level;
        if (!r->options_config && !(r->options_config = cJSON_CreateObject())) return 2;
        cJSON *oc = r->options_config;
#define SET(name, item)                                                   \
    do {                                                                  \
        cJSON_DeleteItemFromObjectCaseSensitive(oc, name);                \
        cJSON_AddItemToObject(oc, name, item);                            \
    } while (0)
        if (o->threads) SET("threads", cJSON_CreateNumber((double)threads));
        if (o->runs) SET("runs", cJSON_CreateNumber((double)runs));
        if (o->memory_limit) SET("memory_limit", cJSON_CreateNumber((double)mem));
        if (o->seed) SET("seed", cJSON_CreateNumber((double)seed));
        if (o->timeout) SET("timeout", cJSON_CreateNumber(timeout));
        if (o->save_outputs) SET("save_outputs", cJSON_CreateString(o->save_outputs));
        if (o->function) SET("function", cJSON_CreateString(o->function));
        if (o->no_coreml) SET("coreml", cJSON_CreateFalse());
        if (compare_to) SET("compare_to", cJSON_CreateString(compare_to));
        if (o->inputs.n) SET("inputs", cJSON_CreateStringArray(o->inputs.v, (int)o->inputs.n));
#undef SET
    }
    if (!n) {
        fprintf(stderr, "coreml-lint: the runtime probe is not available: no probe/... rules were loaded (the "
                        "runtime-probe plugin is built only where OpenBLAS or Accelerate is found)\n");
        return 2;
    }
    return 0;
}

/* A usage problem the probe found: a probe/io-error finding (a --input
 * file that cannot be used, a --save-outputs folder that cannot be
 * written), or an error logged by a probe rule (a compare baseline that
 * cannot be read). */
static bool probe_usage_error(const registry *reg, const run_result *res) {
    for (size_t i = 0; res && i < res->n_findings; i++)
        if (res->findings[i]->rule_id && !strcmp(res->findings[i]->rule_id, "probe/io-error")) return true;
    for (size_t i = 0; i < registry_n_notes(reg); i++) {
        const notification *n = registry_note(reg, i);
        if (n->rule_id && !strncmp(n->rule_id, "probe/", 6) && !strcmp(n->kind, "plugin/log") &&
            n->level >= LEVEL_ERROR)
            return true;
    }
    return false;
}

static int cmd_check(int argc, char **argv, int start, int cmd) {
    cli_opts o = {0};
    int rc = parse(argc, argv, start, &o, cmd);
    if (rc) {
        opts_free(&o);
        return rc == 1 ? 0 : 2;
    }
    if (!o.args.n) {
        fprintf(stderr, "coreml-lint: no model paths given (coreml-lint --help)\n");
        opts_free(&o);
        return 2;
    }
    const char *compare_to = NULL;
    if (cmd == CMD_COMPARE) {
        if (o.args.n != 2) {
            fprintf(stderr, "coreml-lint compare: give two models, the baseline then the model to compare with it\n");
            opts_free(&o);
            return 2;
        }
        compare_to = o.args.v[0];
        if (!exists(compare_to)) {
            fprintf(stderr, "coreml-lint compare: '%s' does not exist\n", compare_to);
            opts_free(&o);
            return 2;
        }
    }
    config cfg;
    registry *reg = NULL;
    rc = setup(&o, &cfg, &reg, true);
    if (!rc && (cmd == CMD_PROBE || cmd == CMD_COMPARE)) rc = probe_setup(&o, reg, compare_to);
    path_list paths = {0};
    run_result *res = NULL;
    FILE *out = NULL;
    if (!rc) {
        for (size_t i = cmd == CMD_COMPARE ? 1 : 0; i < o.args.n; i++) discover_models(o.args.v[i], &paths);
        if (!paths.n && !o.quiet) fprintf(stderr, "coreml-lint: no models found under the given paths\n");
        out = open_output(o.output);
        if (!out) rc = 2;
    }
    run_stats st = {0};
    if (!rc) {
        char err[2048];
        run_opts ro = {.cfg = &cfg,
                       .target = o.target ? o.target : cfg.target,
                       .fail_on = o.fail_on >= LEVEL_NOTE ? o.fail_on : cfg.fail_on >= LEVEL_NOTE ? cfg.fail_on : LEVEL_ERROR,
                       .baseline = o.baseline,
                       .timestamps = o.timestamps};
        res = run_check(reg, &ro, (const char *const *)paths.items, paths.n, &st, err, sizeof err);
        if (!res) {
            fprintf(stderr, "coreml-lint: %s\n", err);
            rc = 2;
        }
    }
    if (!rc) {
        const char *fmt = o.format ? o.format : "text";
        int w = !strcmp(fmt, "sarif")    ? write_sarif(out, res)
                : !strcmp(fmt, "json")   ? write_json(out, res)
                : !strcmp(fmt, "github") ? write_github(out, res)
                                         : write_text(out, res, want_color(&o, out));
        int c = close_output(out, o.output);
        out = NULL;
        if (w != 0 || c != 0) {
            if (w != 0 && c == 0) fprintf(stderr, "coreml-lint: writing the report failed\n");
            rc = 2;
        } else {
            rc = run_exit_code(res);
            /* an unusable plugin is a tool error (DESIGN.md: "Only a usage
             * error or an unusable plugin is a tool error"): everything else
             * ran and the report is complete, but the exit says so */
            for (size_t i = 0; i < registry_n_notes(reg); i++)
                if (!strcmp(registry_note(reg, i)->kind, "plugin/unusable")) rc = 2;
            if (cmd != CMD_CHECK && probe_usage_error(reg, res)) rc = 2;
        }
        /* the text report already carries notifications and a summary */
        if (!o.quiet && (strcmp(fmt, "text") || (o.output && strcmp(o.output, "-")))) {
            print_notes(reg);
            summary(res, &st);
        }
    }
    if (out && out != stdout) fclose(out);
    run_result_free(res);
    path_list_free(&paths);
    registry_free(reg);
    config_free(&cfg);
    opts_free(&o);
    return rc;
}

int cli_check_main(int argc, char **argv) {
    if (argc < 2) return cmd_check(argc, argv, 1, CMD_CHECK);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "check")) return cmd_check(argc, argv, 2, CMD_CHECK);
    if (!strcmp(cmd, "rules")) return cmd_rules(argc, argv, 2);
    if (!strcmp(cmd, "probe")) return cmd_check(argc, argv, 2, CMD_PROBE);
    if (!strcmp(cmd, "compare")) return cmd_check(argc, argv, 2, CMD_COMPARE);
    return cmd_check(argc, argv, 1, CMD_CHECK);
}
