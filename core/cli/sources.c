/* sources.c — the one place that names every engine and every bundled
 * folder: the builtin load/... rules, the bundled and extra Lua rule
 * folders, the bundled and extra plugins. */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/sources.h"
#include "host/builtin/load_rules.h"
#include "host/lua/engine.h"
#include "host/so/engine.h"
#include "host/util.h"

static bool is_dir(const char *p) {
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *env_dir(const char *var, bool *set) {
    const char *v = getenv(var);
    *set = v != NULL;
    return v && *v ? host_strdup(v) : NULL;
}

char *sources_bundled_rules_dir(void) {
    bool set;
    char *d = env_dir("CML_RULES_DIR", &set);
    if (set) return d;
    if (is_dir(CML_SOURCE_DIR "/rules")) return host_strdup(CML_SOURCE_DIR "/rules");
    if (is_dir(CML_DATADIR "/rules")) return host_strdup(CML_DATADIR "/rules");
    return NULL;
}

char *sources_bundled_plugin_dir(void) {
    bool set;
    char *d = env_dir("CML_PLUGIN_DIR", &set);
    if (set) return d;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 16);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            strcpy(slash + 1, "plugins");
            if (is_dir(exe)) return host_strdup(exe);
        }
    }
    if (is_dir(CML_LIBDIR)) return host_strdup(CML_LIBDIR);
    return NULL;
}

size_t sources_load(registry *reg, const sources *src) {
    const host_limits *lim = src ? src->limits : NULL;
    rules_load_register(reg);
    if (!src || !src->no_bundled) {
        char *d = sources_bundled_rules_dir();
        if (d) luarule_load_dir(reg, d, lim);
        free(d);
        char *p = sources_bundled_plugin_dir();
        if (p) so_load_dir(reg, p, true, lim);
        free(p);
    }
    for (size_t i = 0; src && i < src->n_rules_dirs; i++) luarule_load_dir(reg, src->rules_dirs[i], lim);
    for (size_t i = 0; src && i < src->n_plugins; i++) {
        if (is_dir(src->plugins[i])) so_load_dir(reg, src->plugins[i], false, lim);
        else so_load_plugin(reg, src->plugins[i], false, lim);
    }
    return registry_count(reg);
}
