/* SPDX-License-Identifier: Apache-2.0 */
/* engine.h — the "lua" engine: rules written as Lua 5.4 files
 * (<dir>/<category>/<name>.lua returning a table with the rule's metadata
 * and a check function), each in its own sandbox (sandbox.h) with the IR
 * bound read-only (ir.h). Problems are notifications, never fatal. */
#ifndef CML_HOST_LUA_ENGINE_H
#define CML_HOST_LUA_ENGINE_H

#include "host/limits.h"
#include "host/registry.h"

/* Each returns the number of rules added. lim: the run's limits (NULL:
 * the defaults); a rule keeps the ones it was loaded with. */
int luarule_load_dir(registry *reg, const char *dir, const host_limits *lim);   /* dir/<category>/<name>.lua */
int luarule_load_file(registry *reg, const char *path, const char *expected_id, const host_limits *lim);
/* how many rule files this process has loaded from the chunks the build
 * compiled (host/lua/bytecode.h) rather than from their text */
size_t luarule_precompiled_loads(void);

#endif
