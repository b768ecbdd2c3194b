/* SPDX-License-Identifier: Apache-2.0 */
/* lua_ir.h — the model IR and the rule context as read-only Lua userdata.
 *
 * Every IR object a rule sees (model, feature, function, block, op, value,
 * weight, weight file, diag) and the ctx is a small userdata holding a
 * pointer into the IR and the generation of the check that made it;
 * fields are computed from C on access (__index), tables derived from an
 * object are cached on it for the rest of the check, __newindex raises and
 * __metatable is false. Objects are valid only during the check(model, ctx)
 * call that produced them: luair_end bumps the generation, so a rule that
 * stashes an object in a global gets an error, never a dangling pointer,
 * when it touches it on a later model. The full list of fields lives in
 * docs/lua-rules.md. */
#ifndef CML_HOST_LUA_IR_H
#define CML_HOST_LUA_IR_H

#include <stdbool.h>

#include <lua.h>

#include "coreml-lint/ir.h"
#include "host/ctx.h"
#include "host/lua/sandbox.h"

#define LUA_IR_READ_MAX ((lua_Integer)1 << 20)   /* weight:read: bytes per call */
#define LUA_IR_VALUES_MAX ((lua_Integer)65536)   /* weight:values: elements per call */
#define LUA_IR_RELATED_MAX 32                    /* related locations per report */
#define LUA_IR_FLOOD_STOP 16                     /* consecutive refused reports before the rule is stopped */

/* Register the metatables and the binding state in the sandbox
 * (sb->user). Run once per state, in protected mode.          [-0, +0, m] */
int luair_open(lua_State *L);

/* Start a check: new generation, fresh object cache, the model and ctx
 * the objects refer to. Protected mode.                      [-0, +0, m] */
void luair_begin(lua_State *L, const cml_model *m, rule_ctx *ctx);
/* End a check: every object made since luair_begin becomes stale; the
 * cache is dropped. Does not allocate. */
void luair_end(sandbox *sb);

/* Push the model / the ctx object for the current check.      [-0, +1, m] */
void luair_push_model(lua_State *L, const cml_model *m);
void luair_push_ctx(lua_State *L, rule_ctx *ctx);

/* The location of the IR object at idx (for `at`); false when idx is not
 * an IR object. Raises on a stale object.                     [-0, +0, v] */
bool luair_loc(lua_State *L, int idx, cml_loc *out);

/* Name of a configured/declared level ("note", "warning", "error"), or
 * LEVEL_NONE (0) / -1 for an unknown string. */
int luair_level_parse(const char *s);
const char *luair_level_name(int level);

#endif
