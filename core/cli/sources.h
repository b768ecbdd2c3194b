/* SPDX-License-Identifier: Apache-2.0 */
/* sources.h — where rules come from: the one place that names every engine
 * (builtin load/... rules, Lua files, shared-object plugins) and every
 * bundled folder. */
#ifndef CML_CLI_SOURCES_H
#define CML_CLI_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "host/limits.h"
#include "host/registry.h"

/* Where the bundled Lua rules and plugins live (malloc'd, NULL if none):
 * rules: $CML_RULES_DIR, else <folder of the executable>/CML_REL_DATADIR/rules
 * (an install, wherever it lies), else CML_SOURCE_DIR/rules (the build tree),
 * else CML_DATADIR/rules; plugins: $CML_PLUGIN_DIR, else <folder of the
 * executable>/plugins (the build tree), else <folder of the
 * executable>/CML_REL_LIBDIR, else CML_LIBDIR. A set but empty variable
 * means "none". */
char *sources_bundled_rules_dir(void);
char *sources_bundled_plugin_dir(void);

typedef struct sources {
    bool no_bundled;                  /* skip bundled Lua rules and plugins */
    const char *const *rules_dirs;    /* extra Lua rule folders (third-party) */
    size_t n_rules_dirs;
    const char *const *plugins;       /* extra .so files or folders of them */
    size_t n_plugins;
    const host_limits *limits;        /* NULL: the defaults */
} sources;

/* Register the builtin load/... rules, then bundled and extra rules and
 * plugins. Problems are notifications. Returns the number of rules. */
size_t sources_load(registry *reg, const sources *src);

/* The builtin load/... rules and one rule file: a Lua rule (.lua, its id
 * from the path) or a plugin (.so/.dylib). Returns the number of rules the
 * file added; problems (a Lua error naming the file and line) are
 * notifications. For `test-rule`. */
int sources_load_rule_file(registry *reg, const char *path, const host_limits *lim);

#endif
