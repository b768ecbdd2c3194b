/* session.c — the set-up shared by check, probe, compare and rules
 * (session.h). */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/session.h"
#include "cli/sources.h"
#include "host/rule.h"

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
    for (size_t i = 0; i < flags->n; i++) {
        const char *v = flags->v[i], *eq = strchr(v, '=');
        char key[64], err[256];
        snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
        cJSON *j = cJSON_Parse(eq + 1);
        if (!j) j = cJSON_CreateString(eq + 1);
        host_limit_set(l, key, j, err, sizeof err);
        cJSON_Delete(j);
    }
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
            fprintf(stderr, "coreml-lint: %s\n", err);
            free(found);
            return 2;
        }
        free(found);
    }
    s->limits = s->cfg.limits;
    apply_limit_flags(&s->limits, &o->limits);
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
    for (size_t i = 0; i < s->cfg.n_rules_dirs; i++)
        if (!is_dir(s->cfg.rules_dirs[i])) {
            fprintf(stderr, "coreml-lint: %s: rules_dirs: '%s' is not a folder\n", s->cfg.file, s->cfg.rules_dirs[i]);
            return 2;
        }
    for (size_t i = 0; i < s->cfg.n_plugins; i++)
        if (!exists(s->cfg.plugins[i])) {
            fprintf(stderr, "coreml-lint: %s: plugins: '%s' does not exist\n", s->cfg.file, s->cfg.plugins[i]);
            return 2;
        }
    strv dirs = {0}, plugs = {0};
    for (size_t i = 0; i < s->cfg.n_rules_dirs; i++) strv_push(&dirs, s->cfg.rules_dirs[i]);
    for (size_t i = 0; i < o->rules_dirs.n; i++) strv_push(&dirs, o->rules_dirs.v[i]);
    for (size_t i = 0; i < s->cfg.n_plugins; i++) strv_push(&plugs, s->cfg.plugins[i]);
    for (size_t i = 0; i < o->plugins.n; i++) strv_push(&plugs, o->plugins.v[i]);
    if (!(s->reg = registry_new())) {
        fprintf(stderr, "coreml-lint: out of memory\n");
        free(dirs.v);
        free(plugs.v);
        return 2;
    }
    sources src = {.no_bundled = o->no_bundled,
                   .rules_dirs = dirs.v,
                   .n_rules_dirs = dirs.n,
                   .plugins = plugs.v,
                   .n_plugins = plugs.n,
                   .limits = &s->limits};
    sources_load(s->reg, &src);
    free(dirs.v);
    free(plugs.v);
    config_overlay ov = {.enable = o->enable.v,
                         .n_enable = o->enable.n,
                         .disable = o->disable.v,
                         .n_disable = o->disable.n,
                         .options_rules = options_rules,
                         .options = o->rule_options};
    if (config_apply(&s->cfg, s->reg, &ov, err, sizeof err) != 0) {
        fprintf(stderr, "coreml-lint: %s\n", err);
        return 2;
    }
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
        fprintf(stderr, "coreml-lint: %s: %s", level_name(n->level), n->message);
        if (n->count > 1) fprintf(stderr, " (%zu times)", n->count);
        fprintf(stderr, " [%s%s%s]\n", n->kind, n->rule_id ? " " : "", n->rule_id ? n->rule_id : "");
    }
}

FILE *session_output(const char *path) {
    if (!path || !strcmp(path, "-")) return stdout;
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "coreml-lint: cannot write '%s': %s\n", path, strerror(errno));
    return f;
}

int session_output_close(FILE *f, const char *path) {
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
