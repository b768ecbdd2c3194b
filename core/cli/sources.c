/* SPDX-License-Identifier: Apache-2.0 */
/* sources.c — the one place that names every engine and every bundled
 * folder: the builtin load/... rules, the bundled and extra Lua rule
 * folders, the bundled and extra plugins. The bundled folders are found
 * relative to the executable first (CML_REL_DATADIR / CML_REL_LIBDIR: the
 * install layout, from bindir), so an install moved to another prefix, a
 * DESTDIR staging tree or an unpacked .deb finds every rule and plugin;
 * the compiled-in absolute folders are the last resort. */
#define _DEFAULT_SOURCE
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

#include "cli/sources.h"
#include "host/engines.h"
#include "host/lua/engine.h"
#include "host/so/engine.h"
#include "host/util.h"

/* the engines of compiled-in rules (host/engines.def), in its order */
static void register_compiled_in(registry *reg) {
#define CML_ENGINE(folder, file) file##_register(reg);
#include "host/engines.def"
#undef CML_ENGINE
}

static bool is_dir(const char *p) {
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *env_dir(const char *var, bool *set) {
    const char *v = getenv(var);
    *set = v != NULL;
    return v && *v ? host_strdup(v) : NULL;
}

/* The folder of the running executable (symlinks resolved), or false. */
static bool exe_dir(char *buf, size_t cap) {
    char exe[PATH_MAX];
#ifdef __APPLE__
    char raw[PATH_MAX];
    uint32_t rn = sizeof raw;
    if (_NSGetExecutablePath(raw, &rn) != 0 || !realpath(raw, exe)) return false;
#else
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return false;
    exe[n] = 0;
#endif
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = 0;
    return snprintf(buf, cap, "%s", exe) < (int)cap;
}

/* <folder of the executable>/rel, when that folder exists (malloc'd). */
static char *beside_exe(const char *rel) {
    char dir[PATH_MAX], p[PATH_MAX + 256];
    if (!exe_dir(dir, sizeof dir)) return NULL;
    if (snprintf(p, sizeof p, "%s/%s", dir, rel) >= (int)sizeof p) return NULL;
    char real[PATH_MAX];
    return is_dir(p) && realpath(p, real) ? host_strdup(real) : NULL;
}

char *sources_bundled_rules_dir(void) {
    bool set;
    char *d = env_dir("CML_RULES_DIR", &set);
    if (set) return d;
    /* an install, wherever it was moved: <bindir>/../share/coreml-lint/rules */
    if ((d = beside_exe(CML_REL_DATADIR "/rules"))) return d;
    /* the build tree */
    if (is_dir(CML_SOURCE_DIR "/rules")) return host_strdup(CML_SOURCE_DIR "/rules");
    if (is_dir(CML_DATADIR "/rules")) return host_strdup(CML_DATADIR "/rules");
    return NULL;
}

char *sources_bundled_plugin_dir(void) {
    bool set;
    char *d = env_dir("CML_PLUGIN_DIR", &set);
    if (set) return d;
    /* the build tree: plugins/ beside the executable */
    if ((d = beside_exe("plugins"))) return d;
    /* an install, wherever it was moved: <bindir>/../lib/coreml-lint */
    if ((d = beside_exe(CML_REL_LIBDIR))) return d;
    if (is_dir(CML_LIBDIR)) return host_strdup(CML_LIBDIR);
    return NULL;
}

int sources_load_rule_file(registry *reg, const char *path, const host_limits *lim) {
    register_compiled_in(reg);
    size_t n = strlen(path);
    bool so = (n > 3 && !strcmp(path + n - 3, ".so")) || (n > 6 && !strcmp(path + n - 6, ".dylib"));
    return so ? so_load_plugin(reg, path, false, lim) : luarule_load_file(reg, path, NULL, lim);
}

/* No bundled folder where one was looked for (an executable copied away
 * from its install): a run would quietly lack those rules. An empty
 * variable asks for none, and says nothing. */
static void bundled_missing(registry *reg, const char *what, const char *var, const char *rel) {
    if (getenv(var)) return;
    registry_notify(reg, NULL, "config/bundled-missing", LEVEL_WARNING, NULL, 0,
                    "the bundled %s were not found (not at %s from the executable, nor in the build or install "
                    "folder): their rules do not run; reinstall, set %s, or give --no-bundled", what, rel,
                    var);
}

size_t sources_load(registry *reg, const sources *src) {
    const host_limits *lim = src ? src->limits : NULL;
    register_compiled_in(reg);
    if (!src || !src->no_bundled) {
        char *d = sources_bundled_rules_dir();
        if (d) luarule_load_dir(reg, d, lim);
        else bundled_missing(reg, "rules", "CML_RULES_DIR", CML_REL_DATADIR "/rules");
        free(d);
        char *p = sources_bundled_plugin_dir();
        if (p) so_load_dir(reg, p, true, lim);
        else bundled_missing(reg, "plugins", "CML_PLUGIN_DIR", CML_REL_LIBDIR);
        free(p);
    }
    /* everything so far ships with coreml-lint (documented in docs/rules/);
     * what follows is the user's */
    for (size_t i = 0; i < registry_count(reg); i++) registry_rule(reg, i)->bundled = true;
    for (size_t i = 0; src && i < src->n_rules_dirs; i++) luarule_load_dir(reg, src->rules_dirs[i], lim);
    for (size_t i = 0; src && i < src->n_plugins; i++) {
        if (is_dir(src->plugins[i])) so_load_dir(reg, src->plugins[i], false, lim);
        else so_load_plugin(reg, src->plugins[i], false, lim);
    }
    return registry_count(reg);
}
