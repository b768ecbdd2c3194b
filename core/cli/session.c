/* SPDX-License-Identifier: Apache-2.0 */
/* session.c — the set-up shared by check, probe, compare and rules
 * (session.h). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/session.h"
#include "cli/sources.h"
#include "host/rule.h"
#include "sarif/wcommon.h"

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* --limit KEY=VALUE over the file's limits (values were checked while
 * parsing). */
static void apply_limit_flags(host_limits *l, const strv *flags) {
    char err[320];
    for (size_t i = 0; i < flags->n; i++) host_limit_set_text(l, flags->v[i], err, sizeof err);
}


/* A configuration error (err: "FILE:LINE: message" or "FILE: message"
 * of the file at path): "coreml-lint: " and err on stderr, and, for the
 * formats that an IDE or a CI log reads, the same as an issue it shows:
 * Xcode's "FILE:LINE: error: message" (a Run Script phase's output), a
 * GitHub ::error annotation (the runner reads both streams). */
static void config_error(const cli_opts *o, const char *path, const char *err) {
    const char *fmt = o->format ? o->format : "";
    bool xcode = !strcmp(fmt, "xcode"), gh = !strcmp(fmt, "github");
    size_t pl = path ? strlen(path) : 0;
    bool located = pl && !strncmp(err, path, pl) && err[pl] == ':';
    /* Xcode reads "tool: error: ..." as an issue too: its own line below is
     * the one issue for the mistake */
    if (!(xcode && located)) cli_errorf("coreml-lint: %s", err);
    if ((!xcode && !gh) || !located) return;
    const char *p = err + pl + 1;
    unsigned long line = 0;
    while (*p >= '0' && *p <= '9' && line < 100000000) line = line * 10 + (unsigned long)(*p++ - '0');
    if (line && *p == ':') p++;
    while (*p == ' ') p++;
    char cwd[PATH_MAX];
    const char *wd = getcwd(cwd, sizeof cwd);
    char *abs = path[0] == '/' || !wd ? host_strdup(path) : host_join_path(wd, path);
    char *norm = abs ? host_path_normalize(abs, NULL) : NULL;
    free(abs);
    if (!norm) return;
    if (xcode) {
        char *where = sarif_diag_path(norm), *msg = sarif_clean(p, true);
        if (where && msg) fprintf(stderr, "%s:%lu: error: %s\n", where, line ? line : 1, msg);
        free(where);
        free(msg);
    } else {
        /* GitHub places an annotation by its path from the repository root */
        char *root = host_repo_root(wd);
        char *rel = root ? host_path_normalize(norm, root) : NULL;
        free(root);
        fputs("::error file=", stderr);
        sarif_gh_escape(stderr, rel ? rel : norm, true);
        free(rel);
        fprintf(stderr, ",line=%lu,title=coreml-lint configuration::", line ? line : 1);
        sarif_gh_escape(stderr, p, false);
        fputc('\n', stderr);
    }
    free(norm);
}

typedef struct decision_arg {
    const config *cfg;
    const config_overlay *ov;
} decision_arg;

static int decided(const char *rule_id, void *arg) {
    const decision_arg *da = arg;
    return config_decision(da->cfg, da->ov, rule_id);
}

int session_open(session *s, const cli_opts *o, bool use_config, const char *options_rules) {
    char err[2048];
    memset(s, 0, sizeof *s);
    config_init(&s->cfg);
    if (use_config && !o->no_config) {
        char *found = NULL;
        if (!o->config) {
            char cwd[PATH_MAX];
            found = getcwd(cwd, sizeof cwd) ? config_find(cwd) : NULL;
        }
        const char *path = o->config ? o->config : found;
        if (path && config_load(&s->cfg, path, err, sizeof err) != 0) {
            config_error(o, path, err);
            free(found);
            return 2;
        }
        free(found);
    }
    if (o->rule_set && config_use_rule_set(&s->cfg, o->rule_set, err, sizeof err) != 0) {
        cli_errorf("coreml-lint: %s", err);
        return 2;
    }
    /* the flags that set configuration keys, over the file and its rule set */
    const cJSON *set;
    cJSON_ArrayForEach(set, o->settings) {
        if (config_set(&s->cfg, set->string, set, cli_setting_flag(set->string), err, sizeof err) != 0) {
            cli_errorf("coreml-lint: %s", err);
            return 2;
        }
    }
    /* The configuration file may be the pull request's: unless the user
     * trusts it (--trust-config, COREML_LINT_TRUST_CONFIG=1), it loads no
     * code and loosens no limit (docs/security.md). */
    const char *te = getenv("COREML_LINT_TRUST_CONFIG");
    bool trusted = o->trust_config || (te && !strcmp(te, "1"));
    size_t ignored_code = trusted ? 0 : s->cfg.n_rules_dirs + s->cfg.n_plugins;
    char loosened[256] = "";
    host_limits defaults = host_limits_default();
    size_t n_loosened = trusted ? 0 : host_limits_clamp(&s->cfg.limits, &defaults, loosened, sizeof loosened);
    s->limits = s->cfg.limits;
    apply_limit_flags(&s->limits, &o->limits);
    /* extra rule folders and plugins must exist: a typo is a usage error */
    for (size_t i = 0; i < o->rules_dirs.n; i++)
        if (!is_dir(o->rules_dirs.v[i])) {
            cli_errorf("coreml-lint: --rules-dir: '%s' is not a folder", o->rules_dirs.v[i]);
            return 2;
        }
    for (size_t i = 0; i < o->plugins.n; i++)
        if (!exists(o->plugins.v[i])) {
            cli_errorf("coreml-lint: --plugin: '%s' does not exist", o->plugins.v[i]);
            return 2;
        }
    for (size_t i = 0; trusted && i < s->cfg.n_rules_dirs; i++)
        if (!is_dir(s->cfg.rules_dirs[i])) {
            cli_errorf("coreml-lint: %s: rules_dirs: '%s' is not a folder", s->cfg.file, s->cfg.rules_dirs[i]);
            return 2;
        }
    for (size_t i = 0; trusted && i < s->cfg.n_plugins; i++)
        if (!exists(s->cfg.plugins[i])) {
            cli_errorf("coreml-lint: %s: plugins: '%s' does not exist", s->cfg.file, s->cfg.plugins[i]);
            return 2;
        }
    strv dirs = {0}, plugs = {0};
    for (size_t i = 0; trusted && i < s->cfg.n_rules_dirs; i++) strv_push(&dirs, s->cfg.rules_dirs[i]);
    for (size_t i = 0; i < o->rules_dirs.n; i++) strv_push(&dirs, o->rules_dirs.v[i]);
    for (size_t i = 0; trusted && i < s->cfg.n_plugins; i++) strv_push(&plugs, s->cfg.plugins[i]);
    for (size_t i = 0; i < o->plugins.n; i++) strv_push(&plugs, o->plugins.v[i]);
    if (!(s->reg = registry_new())) {
        fprintf(stderr, "coreml-lint: out of memory\n");
        free(dirs.v);
        free(plugs.v);
        return 2;
    }
    if (ignored_code)
        registry_notify(s->reg, NULL, "config/untrusted-code", LEVEL_WARNING, s->cfg.file, 0,
                        "the configuration's \"plugins\" and \"rules_dirs\" (%zu entr%s) were not loaded: a "
                        "configuration file runs no code unless --trust-config or COREML_LINT_TRUST_CONFIG=1 says it "
                        "may (it can come from the pull request being checked; docs/security.md)",
                        ignored_code, ignored_code == 1 ? "y" : "ies");
    if (n_loosened)
        registry_notify(s->reg, NULL, "config/untrusted-limits", LEVEL_WARNING, s->cfg.file, 0,
                        "the configuration's \"limits\" %s would loosen the defaults and %s ignored: only "
                        "--trust-config, COREML_LINT_TRUST_CONFIG=1 or --limit may (docs/security.md)",
                        loosened, n_loosened == 1 ? "was" : "were");
    sources src = {.no_bundled = o->no_bundled,
                   .rules_dirs = dirs.v,
                   .n_rules_dirs = dirs.n,
                   .plugins = plugs.v,
                   .n_plugins = plugs.n,
                   .limits = &s->limits};
    sources_load(s->reg, &src);
    free(dirs.v);
    free(plugs.v);
    /* ... and names no file a rule reads or writes (the probe's inputs,
     * the folder it saves outputs in), nor loosens a rule's limits (the
     * probe's time and memory): those options come from the command line
     * or a trusted file only */
    static const struct {
        size_t (*drop)(config *c, const registry *reg, char *names, size_t cap);
        const char *kind, *one, *many, *policy;
    } untrusted[] = {
        {config_drop_file_options, "config/untrusted-paths", "names files", "name files",
         "chooses no file a rule reads or writes"},
        {config_drop_loose_limits, "config/untrusted-limits", "would loosen a limit", "would loosen their limits",
         "may only tighten a rule's limits"},
    };
    for (size_t k = 0; !trusted && k < sizeof untrusted / sizeof *untrusted; k++) {
        char names[256];
        size_t n = untrusted[k].drop(&s->cfg, s->reg, names, sizeof names);
        if (n)
            registry_notify(s->reg, NULL, untrusted[k].kind, LEVEL_WARNING, s->cfg.file, 0,
                            "the configuration's rule option%s %s %s and %s ignored: a configuration file %s unless "
                            "--trust-config or COREML_LINT_TRUST_CONFIG=1 says it may; the command line may "
                            "(docs/security.md)",
                            n == 1 ? "" : "s", names, n == 1 ? untrusted[k].one : untrusted[k].many,
                            n == 1 ? "was" : "were", untrusted[k].policy);
    }
    config_overlay ov = {.enable = o->enable.v,
                         .n_enable = o->enable.n,
                         .disable = o->disable.v,
                         .n_disable = o->disable.n,
                         .options_rules = options_rules,
                         .options = o->rule_options};
    if (config_apply(&s->cfg, s->reg, &ov, err, sizeof err) != 0) {
        config_error(o, s->cfg.file, err);
        return 2;
    }
    /* a rule file that did not load, but whose id the user disabled, would
     * not have run: its failure stays as a note and does not fail the run */
    decision_arg da = {&s->cfg, &ov};
    notes_lower_load_errors(registry_notes(s->reg), decided, &da);
    return 0;
}

void session_close(session *s) {
    registry_free(s->reg);
    s->reg = NULL;
    config_free(&s->cfg);
}

void session_print_notes(const session *s) {
    for (size_t i = 0; i < registry_n_notes(s->reg); i++) {
        const notification *n = registry_note(s->reg, i);
        char times[32] = "";
        if (n->count > 1) snprintf(times, sizeof times, " (%zu times)", n->count);
        /* the rule file and line, as the text report gives them: a
         * `rules --rules-dir` CI step or a SARIF run prints only this line */
        char at[600] = "";
        if (n->file && *n->file)
            snprintf(at, sizeof at, " (%s%s%.0u)", n->file, n->line ? ":" : "", n->line);
        const char *mod = note_model_shown(n);
        cli_errorf("coreml-lint: %s: %s%s%s [%s%s%s%s%s]", level_name(n->level), n->message, at, times, n->kind,
                   n->rule_id ? " " : "", n->rule_id ? n->rule_id : "", mod ? " on " : "", mod ? mod : "");
    }
}

int session_output_open(report_file *rf, const char *path) {
    memset(rf, 0, sizeof *rf);
    if (!path || !strcmp(path, "-")) {
        rf->f = stdout;
        return 0;
    }
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_errorf("coreml-lint: cannot write '%s': it is a folder", path);
        return -1;
    }
    if (lstat(path, &st) == 0 && (S_ISBLK(st.st_mode) || S_ISSOCK(st.st_mode))) {
        cli_errorf("coreml-lint: cannot write '%s': not a file, a character device or a FIFO", path);
        return -1;
    }
    if (lstat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))) {
        /* -o /dev/null, a pipe: written to, not replaced by a file (the
         * rename below made /dev/null a regular file when run as root, an
         * adversarial pass found); there is nothing to keep whole */
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        rf->f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!rf->f) {
            cli_errorf("coreml-lint: cannot write '%s': %s", path, strerror(errno));
            if (fd >= 0) close(fd);
            return -1;
        }
        rf->tmp = NULL;
        rf->path = path;
        return 0;
    }
    /* beside the target, so that the rename stays on one file system */
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    size_t n = dl + strlen(slash ? slash + 1 : path) + 32;
    rf->tmp = malloc(n);
    if (!rf->tmp) {
        cli_errorf("coreml-lint: cannot write '%s': out of memory", path);
        return -1;
    }
    snprintf(rf->tmp, n, "%.*s.%s.coreml-lint-XXXXXX", (int)dl, path, slash ? slash + 1 : path);
    int fd = mkstemp(rf->tmp);   /* O_EXCL: never an existing file or link */
    if (fd < 0) {
        cli_errorf("coreml-lint: cannot write '%s': %s", path, strerror(errno));
        free(rf->tmp);
        rf->tmp = NULL;
        return -1;
    }
    mode_t um = umask(0);
    umask(um);
    fchmod(fd, 0666 & ~um);   /* what fopen would have made */
    rf->f = fdopen(fd, "w");
    if (!rf->f) {
        cli_errorf("coreml-lint: cannot write '%s': %s", path, strerror(errno));
        close(fd);
        unlink(rf->tmp);
        free(rf->tmp);
        rf->tmp = NULL;
        return -1;
    }
    rf->path = path;
    return 0;
}

void session_output_abort(report_file *rf) {
    if (rf->f && rf->f != stdout) fclose(rf->f);
    if (rf->tmp) unlink(rf->tmp);
    free(rf->tmp);
    memset(rf, 0, sizeof *rf);
}

int session_output_commit(report_file *rf) {
    if (rf->f == stdout) {
        rf->f = NULL;
        /* ferror too: a write that failed while the buffer filled (a
         * report larger than it, to a full disk) left fflush nothing to
         * fail on, and `rules > /dev/full` exited 0 */
        if (fflush(stdout) != 0 || ferror(stdout)) {
            cli_errorf("coreml-lint: cannot write the report: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    if (!rf->f) return -1;
    int rc = 0, e = 0;
    /* a device or FIFO written in place (no tmp): no fsync, no rename */
    if (fflush(rf->f) != 0 || ferror(rf->f) || (rf->tmp && fsync(fileno(rf->f)) != 0)) rc = -1, e = errno;
    if (fclose(rf->f) != 0 && !rc) rc = -1, e = errno;
    rf->f = NULL;
    if (!rc && rf->tmp && rename(rf->tmp, rf->path) != 0) rc = -1, e = errno;
    if (rc) {
        cli_errorf("coreml-lint: cannot write '%s': %s", rf->path, strerror(e ? e : EIO));
        if (rf->tmp) unlink(rf->tmp);
    }
    free(rf->tmp);
    rf->tmp = NULL;
    return rc;
}
