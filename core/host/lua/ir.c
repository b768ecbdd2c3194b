/* SPDX-License-Identifier: Apache-2.0 */
/* lua_ir.c — read-only, lazily built Lua bindings of the model IR and of
 * the rule context (see lua_ir.h; the field list is docs/lua-rules.md).
 *
 * Sits between host_lua.c (which runs a rule's check(model, ctx)) and
 * ir.h. Each IR object is a userdata {pointer, generation, type}: one
 * metatable per type ("cml.op" …) with __index written in C, __newindex
 * raising, __metatable = false and __tostring. Objects are interned per
 * check in weak tables keyed by the IR pointer, so `a == b` holds for the
 * same op reached twice; tables derived from an object (op.inputs,
 * value.shape, model.metadata) are built on first access and kept in the
 * object's user value for the rest of the check. Host work done in C is
 * charged to the rule's instruction budget (sandbox_charge) so a rule
 * cannot hide a long computation in a binding. Reports go through
 * ctx_report; a report past the flood cap of its level is dropped and
 * the rule goes on, while anything else the host refuses repeatedly stops
 * the rule. Functions that may raise a Lua error never hold malloc'd
 * memory across the raise: props are built under a userdata box whose
 * __gc frees them. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <lauxlib.h>

#include "ir/weights.h"
#include "coreml-lint/coreml_facts.h"
#include "coreml-lint/text.h"
#include "coreml-lint/walk.h"
#include "host/lua/ir.h"
#include "ir/model.h"

typedef enum lir_type {
    LIR_MODEL = 0,
    LIR_FEATURE,
    LIR_FUNCTION,
    LIR_BLOCK,
    LIR_OP,
    LIR_VALUE,
    LIR_WEIGHT,
    LIR_WFILE,
    LIR_DIAG,
    LIR_CTX,
    LIR_NTYPES
} lir_type;

static const char *const lir_tname[LIR_NTYPES] = {
    "cml.model", "cml.feature", "cml.function", "cml.block", "cml.op",
    "cml.value", "cml.weight",  "cml.weightfile", "cml.diag", "cml.ctx"};
static const char *const lir_kind[LIR_NTYPES] = {
    "model", "feature", "function", "block", "op", "value", "weight", "weight file", "diag", "ctx"};

typedef struct lir_obj {
    const void *p;
    uint32_t gen;
    int type;
} lir_obj;

/* The binding state of one sandbox (a userdata anchored in the registry;
 * sb->user points at it). */
typedef struct lua_ir {
    uint32_t gen;             /* generation of the current check */
    bool active;              /* inside luair_begin .. luair_end */
    const cml_model *model;
    rule_ctx *ctx;
    unsigned refused;         /* consecutive refused reports */
    size_t report_bytes;      /* text the host copied from this check's reports (capped by the
                                 rule's memory cap: the copies live outside the rule's heap) */
    /* each type's metatable: its identity (lua_topointer) and a registry
     * reference, so that checking and making an object looks no name up
     * (luaL_checkudata and luaL_setmetatable did, a fifth of a walk's cost) */
    const void *mt[LIR_NTYPES];
    int mt_ref[LIR_NTYPES];
    int hint_ops, hint_values;  /* cache_hint's counts for this check; -1: not counted yet */
} lua_ir;

static char lir_state_key;    /* registry: the lua_ir userdata */
static char lir_cache_key;    /* registry: {[type+1] = weak table} or false */
static const char lir_box_name[] = "cml.jsonbox";

#define IS(s) (strcmp(k, (s)) == 0)

static lua_ir *lir_state(lua_State *L) { return sandbox_from(L)->user; }

/* ** {======================================================================
** Objects
** ======================================================================= */

static lir_obj *lir_toobj(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return NULL;
    const void *mt = lua_topointer(L, -1);
    lua_pop(L, 1);
    const lua_ir *ir = lir_state(L);
    for (int t = 0; t < LIR_NTYPES; t++)
        if (mt == ir->mt[t]) return lua_touserdata(L, idx);
    return NULL;
}

static void lir_live(lua_State *L, const lir_obj *o) {
    const lua_ir *ir = lir_state(L);
    if (!ir->active || o->gen != ir->gen)
        luaL_error(L, "stale %s: IR objects live only during the check(model, ctx) call that made them",
                   lir_kind[o->type]);
}

/* The IR pointer of the object at idx, which must be of type t and live
 * (luaL_checkudata's test and message, against the metatable's identity). */
static const void *lir_check(lua_State *L, int idx, lir_type t) {
    const lua_ir *ir = lir_state(L);
    lir_obj *o = lua_type(L, idx) == LUA_TUSERDATA ? lua_touserdata(L, idx) : NULL;
    bool ok = o && lua_getmetatable(L, idx);
    if (ok) {
        ok = lua_topointer(L, -1) == ir->mt[t];
        lua_pop(L, 1);
    }
    if (!ok) luaL_typeerror(L, idx, lir_tname[t]);
    lir_live(L, o);
    return o->p;
}

/* How many objects of type t a check may make: ops and values are sized
 * from the model (the interning table then never rehashes on a walk), at
 * most 4096 so that a rule that touches a few ops of a huge model does not
 * pay for all of them against its memory cap. */
static int cache_hint(lua_ir *ir, lir_type t) {
    if ((t != LIR_OP && t != LIR_VALUE) || !ir->model) return 0;
    if (ir->hint_ops < 0) {   /* one walk counts both */
        size_t ops = 0, values = 0;
        cml_op_iter it;
        for (const cml_op *op = cml_ops_first(&it, ir->model, NULL); op && values < 4096; op = cml_ops_next(&it)) {
            ops++;
            values += op->n_outputs;
        }
        ir->hint_ops = (int)(ops < 4096 ? ops : 4096);
        ir->hint_values = (int)(values < 4096 ? values : 4096);
    }
    return t == LIR_OP ? ir->hint_ops : ir->hint_values;
}

/* Push the object for IR pointer p (nil for NULL); interned per check. */
static void lir_push(lua_State *L, lir_type t, const void *p) {
    if (!p) {
        lua_pushnil(L);
        return;
    }
    lua_ir *ir = lir_state(L);
    luaL_checkstack(L, 6, "IR object");
    bool cached = false;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &lir_cache_key) == LUA_TTABLE) {
        if (lua_rawgeti(L, -1, t + 1) != LUA_TTABLE) {   /* the type's first object in this check */
            lua_pop(L, 1);
            lua_createtable(L, 0, cache_hint(ir, t));
            lua_rawgeti(L, -2, LIR_NTYPES + 1);          /* the weak-values metatable */
            lua_setmetatable(L, -2);
            lua_pushvalue(L, -1);
            lua_rawseti(L, -3, t + 1);
        }
        if (lua_rawgetp(L, -1, p) == LUA_TUSERDATA) {   /* root weak obj */
            lua_replace(L, -3);
            lua_pop(L, 1);
            return;
        }
        lua_pop(L, 1);                                   /* root weak */
        cached = true;
    } else {
        lua_pop(L, 1);
    }
    lir_obj *o = lua_newuserdatauv(L, sizeof *o, 1);
    o->p = p;
    o->gen = ir->gen;
    o->type = (int)t;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ir->mt_ref[t]);
    lua_setmetatable(L, -2);
    if (cached) {
        lua_pushvalue(L, -1);
        lua_rawsetp(L, -3, p);
        lua_replace(L, -3);
        lua_pop(L, 1);
    }
}

/* Field cache in the object's user value (object at index 1). */
static bool fcache_get(lua_State *L, const char *k) {
    if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
        lua_pop(L, 1);
        return false;
    }
    if (lua_getfield(L, -1, k) == LUA_TNIL) {
        lua_pop(L, 2);
        return false;
    }
    lua_remove(L, -2);
    return true;
}

/* Store the value on top under k; leaves it on top. */
static int fcache_put(lua_State *L, const char *k) {
    if (lua_getiuservalue(L, 1, 1) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, 1);
    }
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, k);
    lua_pop(L, 1);
    return 1;
}

/* }====================================================================== */

/* ** {======================================================================
** Small pushers
** ======================================================================= */

static void push_str(lua_State *L, const char *s) {
    if (s) lua_pushstring(L, s);
    else lua_pushnil(L);
}

static void set_str(lua_State *L, const char *k, const char *s) {
    if (!s) return;
    lua_pushstring(L, s);
    lua_setfield(L, -2, k);
}

static void set_int(lua_State *L, const char *k, lua_Integer v) {
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, lua_Number v) {
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static void set_bool(lua_State *L, const char *k, bool v) {
    lua_pushboolean(L, v);
    lua_setfield(L, -2, k);
}

static lua_Integer u64i(uint64_t v) { return v > (uint64_t)LUA_MAXINTEGER ? LUA_MAXINTEGER : (lua_Integer)v; }

static int arr_hint(size_t n) { return n > 1000000 ? 0 : (int)n; }

static void push_loc(lua_State *L, const cml_loc *l) {
    lua_createtable(L, 0, 6);
    lua_pushstring(L, l->artifact ? l->artifact : "");
    lua_setfield(L, -2, "artifact");
    set_str(L, "logical", l->logical);
    if (l->line) {
        set_int(L, "line", l->line);
        set_int(L, "column", l->column);
    }
    if (l->has_bytes) {
        set_int(L, "byte_offset", u64i(l->byte_offset));
        set_int(L, "byte_length", u64i(l->byte_length));
    }
}

/* A shape as an array of dims (-1 unknown); nil when the rank is unknown. */
static void push_shape(lua_State *L, const cml_shape *s) {
    if (s->rank < 0) {
        lua_pushnil(L);
        return;
    }
    lua_createtable(L, s->rank, 0);
    for (int32_t i = 0; i < s->rank; i++) {
        lua_pushinteger(L, s->dims ? s->dims[i] : CML_DIM_UNKNOWN);
        lua_rawseti(L, -2, i + 1);
    }
}

static void push_objs(lua_State *L, lir_type t, const void *const *items, size_t n) {
    sandbox_charge(L, n);
    lua_createtable(L, arr_hint(n), 0);
    lua_Integer j = 0;
    for (size_t i = 0; items && i < n; i++) {
        if (!items[i]) continue;
        lir_push(L, t, items[i]);
        lua_rawseti(L, -2, ++j);
    }
}

static int no_field(lua_State *L, lir_type t) {
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "%s has no field '%s'", lir_kind[t], lua_tostring(L, 2));
    return luaL_error(L, "%s has no field of type %s", lir_kind[t], luaL_typename(L, 2));
}

static const char *dtype_or_nil(cml_dtype d) { return d == CML_DT_UNKNOWN ? NULL : cml_dtype_name(d); }

/* the names inspect uses; an invalid color is nil, not "INVALID" */
static const char *color_name(cml_color c) {
    const char *n = cml_color_name(c);
    return strcmp(n, "INVALID") ? n : NULL;
}

static const char *unit_name(cml_unit u) {
    switch (u) {
    case CML_UNIT_NE: return "ne";
    case CML_UNIT_GPU: return "gpu";
    case CML_UNIT_CPU: return "cpu";
    case CML_UNIT_NONE: return "none";
    default: return NULL;
    }
}

static const char *type_kind_name(cml_type_kind k) {
    switch (k) {
    case CML_TYPE_TENSOR: return "tensor";
    case CML_TYPE_LIST: return "list";
    case CML_TYPE_TUPLE: return "tuple";
    case CML_TYPE_DICT: return "dict";
    case CML_TYPE_STATE: return "state";
    default: return "unknown";
    }
}

int luair_level_parse(const char *s) {
    if (!s) return -1;
    if (!strcmp(s, "note")) return LEVEL_NOTE;
    if (!strcmp(s, "warning")) return LEVEL_WARNING;
    if (!strcmp(s, "error")) return LEVEL_ERROR;
    return -1;
}

const char *luair_level_name(int level) {
    switch (level) {
    case LEVEL_NOTE: return "note";
    case LEVEL_WARNING: return "warning";
    case LEVEL_ERROR: return "error";
    default: return "none";
    }
}

/* }====================================================================== */

/* ** {======================================================================
** Op iterators: every op of a function's block tree in program order
** (an op, then the ops of its nested blocks, then the next op).
** ======================================================================= */

typedef struct ops_iter {
    uint32_t gen;
    bool started;
    const cml_model *m;       /* all functions of m, or only fn */
    const cml_function *fn;
    cml_op_iter it;           /* coreml-lint/walk.h */
} ops_iter;

static const cml_op *iter_next(ops_iter *it) {
    if (!it->started) {
        it->started = true;
        return cml_ops_first(&it->it, it->m, it->fn);
    }
    return cml_ops_next(&it->it);
}

static int ops_iter_step(lua_State *L) {
    ops_iter *it = lua_touserdata(L, lua_upvalueindex(1));
    const lua_ir *ir = lir_state(L);
    if (!ir->active || it->gen != ir->gen) return luaL_error(L, "stale op iterator: used after its check ended");
    lir_push(L, LIR_OP, iter_next(it));
    return 1;
}

static int push_ops_iter(lua_State *L, const cml_model *m, const cml_function *fn) {
    ops_iter *it = lua_newuserdatauv(L, sizeof *it, 0);
    memset(it, 0, sizeof *it);
    it->gen = lir_state(L)->gen;
    it->m = m;
    it->fn = fn;
    lua_pushcclosure(L, ops_iter_step, 1);
    return 1;
}

/* model:ops() */
static int model_ops(lua_State *L) { return push_ops_iter(L, lir_check(L, 1, LIR_MODEL), NULL); }

/* fn:ops() */
static int function_ops(lua_State *L) { return push_ops_iter(L, NULL, lir_check(L, 1, LIR_FUNCTION)); }

static int weights_step(lua_State *L) {
    const lua_ir *ir = lir_state(L);
    lua_Integer gen = lua_tointeger(L, lua_upvalueindex(2));
    if (!ir->active || (uint32_t)gen != ir->gen) return luaL_error(L, "stale weight iterator: used after its check ended");
    const cml_model *m = lua_touserdata(L, lua_upvalueindex(1));
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    while ((size_t)i < m->n_weights && !m->weights[i]) i++;
    if ((size_t)i >= m->n_weights) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, i + 1);
    lua_replace(L, lua_upvalueindex(3));
    lir_push(L, LIR_WEIGHT, m->weights[i]);
    return 1;
}

/* model:weights() */
static int model_weights(lua_State *L) {
    const cml_model *m = lir_check(L, 1, LIR_MODEL);
    lua_pushlightuserdata(L, (void *)(uintptr_t)m);
    lua_pushinteger(L, lir_state(L)->gen);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, weights_step, 3);
    return 1;
}

/* the model and its pipeline sub-models, depth first, into the table on top */
static void collect_models(lua_State *L, const cml_model *root, lua_Integer *n) {
    cml_model_iter mi;
    for (const cml_model *m = cml_models_first(&mi, root); m; m = cml_models_next(&mi)) {
        sandbox_charge(L, 1);
        lir_push(L, LIR_MODEL, m);
        lua_rawseti(L, -2, ++*n);
    }
}

static int models_step(lua_State *L) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(2)) + 1;
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(2));
    lua_rawgeti(L, lua_upvalueindex(1), i); /* nil past the end */
    return 1;
}

/* model:models() — the model, then every sub-model of its pipelines */
static int model_models(lua_State *L) {
    const cml_model *m = lir_check(L, 1, LIR_MODEL);
    lua_newtable(L);
    lua_Integer n = 0;
    collect_models(L, m, &n);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, models_step, 2);
    return 1;
}

/* }====================================================================== */

/* ** {======================================================================
** model
** ======================================================================= */

static void push_metadata(lua_State *L, const cml_metadata *md) {
    lua_createtable(L, 0, (int)(md->n_user < 64 ? md->n_user : 64) + 6);
    for (size_t i = 0; md->user && i < md->n_user; i++)
        if (md->user[i].key) set_str(L, md->user[i].key, md->user[i].value ? md->user[i].value : "");
    set_str(L, "author", md->author);
    set_str(L, "license", md->license);
    set_str(L, "short_description", md->short_description);
    set_str(L, "shortDescription", md->short_description);
    set_str(L, "version", md->version);
    set_str(L, "versionString", md->version);
}

/* a platform no release of which runs the model is absent (nil), as the Lua
 * API documents; C plugins see CML_OS_UNAVAILABLE */
static const char *os_or_nil(const char *v) { return v && strcmp(v, CML_OS_UNAVAILABLE) ? v : NULL; }

static void push_min_os(lua_State *L, const cml_os_versions *o) {
    lua_createtable(L, 0, CML_PLATFORM_COUNT_);
    for (int p = 0; p < CML_PLATFORM_COUNT_; p++)
        set_str(L, cml_platform_key((cml_platform)p), os_or_nil(cml_min_os_on(o, (cml_platform)p)));
}

static void push_preprocess(lua_State *L, const cml_model *m) {
    lua_createtable(L, arr_hint(m->n_preprocess), 0);
    lua_Integer j = 0;
    for (size_t i = 0; m->preprocess && i < m->n_preprocess; i++) {
        const cml_preprocess *p = m->preprocess[i];
        if (!p) continue;
        lua_createtable(L, 0, 8);
        set_str(L, "feature", p->feature ? p->feature : "");
        set_str(L, "kind", p->is_scaler ? "scaler" : p->is_mean_image ? "meanImage" : "none");
        if (p->is_scaler) {
            set_num(L, "scale", p->scale);
            set_num(L, "red_bias", p->red_bias);
            set_num(L, "green_bias", p->green_bias);
            set_num(L, "blue_bias", p->blue_bias);
            set_num(L, "gray_bias", p->gray_bias);
        }
        if (p->is_mean_image) set_int(L, "mean_count", u64i(p->n_mean));
        lua_rawseti(L, -2, ++j);
    }
}

/* model.unknown: {graph = true, preprocessing = true, ...} for the facts the
 * loader could not read (cml_model.unknown). */
static void push_unknown(lua_State *L, const cml_model *m) {
    lua_createtable(L, 0, CML_UNKNOWN_COUNT_);
    for (unsigned i = 0; i < CML_UNKNOWN_COUNT_; i++)
        if (m->unknown & (1u << i)) {
            lua_pushboolean(L, 1);
            lua_setfield(L, -2, cml_unknown_name(i));
        }
}

static void push_labels(lua_State *L, const cml_model *m) {
    sandbox_charge(L, m->n_class_labels);
    lua_createtable(L, arr_hint(m->n_class_labels), 0);
    for (size_t i = 0; i < m->n_class_labels; i++) {
        if (m->string_labels) lua_pushstring(L, m->string_labels[i] ? m->string_labels[i] : "");
        else if (m->int64_labels) lua_pushinteger(L, m->int64_labels[i]);
        else break;
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_strings(lua_State *L, const char *const *s, size_t n) {
    sandbox_charge(L, n);
    lua_createtable(L, arr_hint(n), 0);
    for (size_t i = 0; s && i < n; i++) {
        lua_pushstring(L, s[i] ? s[i] : "");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

/* model.function_descriptions: the FunctionDescriptions of a multifunction
 * model, each {name =, inputs =, outputs =, states =} (arrays of features);
 * empty for a single-function model (its features are model.inputs ...). */
static void push_function_descs(lua_State *L, const cml_model *m) {
    sandbox_charge(L, m->n_function_descs);
    lua_createtable(L, arr_hint(m->n_function_descs), 0);
    lua_Integer j = 0;
    for (size_t i = 0; m->function_descs && i < m->n_function_descs; i++) {
        const cml_function_desc *d = m->function_descs[i];
        if (!d) continue;
        luaL_checkstack(L, 4, "function descriptions");
        lua_createtable(L, 0, 4);
        set_str(L, "name", d->name ? d->name : "");
        push_objs(L, LIR_FEATURE, (const void *const *)d->inputs, d->n_inputs);
        lua_setfield(L, -2, "inputs");
        push_objs(L, LIR_FEATURE, (const void *const *)d->outputs, d->n_outputs);
        lua_setfield(L, -2, "outputs");
        push_objs(L, LIR_FEATURE, (const void *const *)d->states, d->n_states);
        lua_setfield(L, -2, "states");
        lua_rawseti(L, -2, ++j);
    }
}

static int model_index(lua_State *L) {
    const cml_model *m = lir_check(L, 1, LIR_MODEL);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_MODEL);
    if (IS("ops")) { lua_pushcfunction(L, model_ops); return 1; }
    if (IS("weights")) { lua_pushcfunction(L, model_weights); return 1; }
    if (IS("models")) { lua_pushcfunction(L, model_models); return 1; }
    if (IS("path")) { push_str(L, m->path); return 1; }
    if (IS("format")) { lua_pushstring(L, cml_format_name(m->format)); return 1; }
    if (IS("spec_version")) { lua_pushinteger(L, m->spec_version); return 1; }
    if (IS("type")) { push_str(L, m->type ? m->type : "unknown"); return 1; }
    if (IS("has_metadata")) { lua_pushboolean(L, m->metadata.present); return 1; }
    if (IS("is_updatable")) { lua_pushboolean(L, m->is_updatable); return 1; }
    if (IS("class_label_kind")) { push_str(L, m->class_label_kind); return 1; }
    if (IS("predicted_feature_name")) { push_str(L, m->predicted_feature_name); return 1; }
    if (IS("predicted_probabilities_name")) { push_str(L, m->predicted_probabilities_name); return 1; }
    if (IS("default_function")) { push_str(L, m->default_function_name); return 1; }
    if (IS("program_version")) { lua_pushinteger(L, m->program_version); return 1; }
    if (IS("size_bytes")) { lua_pushinteger(L, u64i(m->size_bytes)); return 1; }
    if (IS("weight_bytes")) { lua_pushinteger(L, u64i(m->weight_bytes)); return 1; }
    if (IS("spec_bytes")) { lua_pushinteger(L, u64i(m->spec_bytes)); return 1; }
    if (IS("compiler_version")) { push_str(L, m->compiler_version); return 1; }
    if (IS("parent")) { lir_push(L, LIR_MODEL, m->parent); return 1; }
    if (IS("classic")) { lir_push(L, LIR_FUNCTION, m->classic); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("min_os")) push_min_os(L, &m->min_os);
    else if (IS("inputs")) push_objs(L, LIR_FEATURE, (const void *const *)m->inputs, m->n_inputs);
    else if (IS("outputs")) push_objs(L, LIR_FEATURE, (const void *const *)m->outputs, m->n_outputs);
    else if (IS("states")) push_objs(L, LIR_FEATURE, (const void *const *)m->states, m->n_states);
    else if (IS("training_inputs"))
        push_objs(L, LIR_FEATURE, (const void *const *)m->training_inputs, m->n_training_inputs);
    else if (IS("metadata")) push_metadata(L, &m->metadata);
    else if (IS("metadata_overlay")) {
        if (m->metadata_overlay) push_metadata(L, m->metadata_overlay);
        else lua_pushnil(L);
    }
    else if (IS("class_labels")) push_labels(L, m);
    else if (IS("preprocessing")) push_preprocess(L, m);
    else if (IS("unknown")) push_unknown(L, m);
    else if (IS("functions")) push_objs(L, LIR_FUNCTION, (const void *const *)m->functions, m->n_functions);
    else if (IS("function_descriptions")) push_function_descs(L, m);
    else if (IS("submodels")) push_objs(L, LIR_MODEL, (const void *const *)m->sub_models, m->n_sub_models);
    else if (IS("submodel_names")) push_strings(L, m->sub_model_names, m->n_sub_models);
    else if (IS("weight_files"))
        push_objs(L, LIR_WFILE, (const void *const *)m->weight_files, m->n_weight_files);
    else if (IS("diags")) push_objs(L, LIR_DIAG, (const void *const *)m->diags, m->n_diags);
    else if (IS("location")) push_loc(L, &m->loc);
    else return no_field(L, LIR_MODEL);
    return fcache_put(L, k);
}

/* }====================================================================== */

/* ** {======================================================================
** feature, function, block
** ======================================================================= */

static void push_ranges(lua_State *L, const cml_range *r, size_t n) {
    lua_createtable(L, arr_hint(n), 0);
    for (size_t i = 0; r && i < n; i++) {
        lua_createtable(L, 0, 2);
        set_int(L, "lower", r[i].lower);
        set_int(L, "upper", r[i].upper);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static void push_enumerated(lua_State *L, const cml_shape *s, size_t n) {
    sandbox_charge(L, n);
    lua_createtable(L, arr_hint(n), 0);
    for (size_t i = 0; s && i < n; i++) {
        push_shape(L, &s[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
}

static int feature_index(lua_State *L) {
    const cml_feature *f = lir_check(L, 1, LIR_FEATURE);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_FEATURE);
    bool arr = f->kind == CML_FEAT_MULTIARRAY || f->kind == CML_FEAT_STATE;
    bool img = f->kind == CML_FEAT_IMAGE;
    if (IS("name")) { push_str(L, f->name ? f->name : ""); return 1; }
    if (IS("description")) { push_str(L, f->description); return 1; }
    if (IS("kind")) { lua_pushstring(L, cml_feature_kind_name(f->kind)); return 1; }
    if (IS("dtype")) { push_str(L, arr ? cml_array_dtype_name(f->array_dtype) : NULL); return 1; }
    if (IS("optional")) { lua_pushboolean(L, f->optional); return 1; }
    if (IS("flexible")) {
        push_str(L, f->flex == CML_FLEX_RANGE ? "range" : f->flex == CML_FLEX_ENUMERATED ? "enumerated" : NULL);
        return 1;
    }
    if (IS("width")) { if (img) lua_pushinteger(L, f->width); else lua_pushnil(L); return 1; }
    if (IS("height")) { if (img) lua_pushinteger(L, f->height); else lua_pushnil(L); return 1; }
    if (IS("color")) { push_str(L, img ? color_name(f->color) : NULL); return 1; }
    if (IS("key_kind")) {
        push_str(L, f->kind == CML_FEAT_DICTIONARY ? cml_feature_kind_name(f->key_kind) : NULL);
        return 1;
    }
    if (IS("element_kind")) {
        push_str(L, f->kind == CML_FEAT_SEQUENCE ? cml_feature_kind_name(f->element_kind) : NULL);
        return 1;
    }
    if (fcache_get(L, k)) return 1;
    if (IS("shape")) {
        if (!arr) { lua_pushnil(L); return 1; }
        push_shape(L, &f->shape);
    } else if (IS("ranges")) {
        if (f->flex != CML_FLEX_RANGE) { lua_pushnil(L); return 1; }
        push_ranges(L, f->ranges, f->n_ranges);
    } else if (IS("enumerated")) {
        if (f->flex != CML_FLEX_ENUMERATED) { lua_pushnil(L); return 1; }
        push_enumerated(L, f->enumerated, f->n_enumerated);
    } else if (IS("location")) {
        push_loc(L, &f->loc);
    } else {
        return no_field(L, LIR_FEATURE);
    }
    return fcache_put(L, k);
}

static int function_index(lua_State *L) {
    const cml_function *fn = lir_check(L, 1, LIR_FUNCTION);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_FUNCTION);
    if (IS("ops")) { lua_pushcfunction(L, function_ops); return 1; }
    if (IS("name")) { push_str(L, fn->name ? fn->name : ""); return 1; }
    if (IS("opset")) { push_str(L, fn->opset); return 1; }
    if (IS("op_count")) { lua_pushinteger(L, u64i(fn->n_ops_total)); return 1; }
    if (IS("block")) { lir_push(L, LIR_BLOCK, fn->block); return 1; }
    if (IS("model")) { lir_push(L, LIR_MODEL, fn->model); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("inputs")) push_objs(L, LIR_VALUE, (const void *const *)fn->inputs, fn->n_inputs);
    else if (IS("location")) push_loc(L, &fn->loc);
    else return no_field(L, LIR_FUNCTION);
    return fcache_put(L, k);
}

static const cml_loc *block_loc(lua_State *L, const cml_block *b) {
    if (b->parent) return &b->parent->loc;
    for (size_t i = 0; i < b->n_ops; i++)
        if (b->ops[i] && b->ops[i]->function) return &b->ops[i]->function->loc;
    return &lir_state(L)->model->loc;
}

static int block_index(lua_State *L) {
    const cml_block *b = lir_check(L, 1, LIR_BLOCK);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_BLOCK);
    if (IS("parent")) { lir_push(L, LIR_OP, b->parent); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("inputs")) push_objs(L, LIR_VALUE, (const void *const *)b->inputs, b->n_inputs);
    else if (IS("outputs")) push_objs(L, LIR_VALUE, (const void *const *)b->outputs, b->n_outputs);
    else if (IS("ops")) push_objs(L, LIR_OP, (const void *const *)b->ops, b->n_ops);
    else if (IS("location")) push_loc(L, block_loc(L, b));
    else return no_field(L, LIR_BLOCK);
    return fcache_put(L, k);
}

/* }====================================================================== */

/* ** {======================================================================
** op, value
** ======================================================================= */

static void push_attr(lua_State *L, const cml_attr *a) {
    switch (a->kind) {
    case CML_ATTR_INT: lua_pushinteger(L, a->i); return;
    case CML_ATTR_FLOAT: lua_pushnumber(L, a->f); return;
    case CML_ATTR_BOOL: lua_pushboolean(L, a->b); return;
    case CML_ATTR_STRING: push_str(L, a->s ? a->s : ""); return;
    case CML_ATTR_INTS:
    case CML_ATTR_FLOATS:
    case CML_ATTR_STRINGS:
        sandbox_charge(L, a->n);
        lua_createtable(L, arr_hint(a->n), 0);
        for (size_t i = 0; i < a->n; i++) {
            if (a->kind == CML_ATTR_INTS) lua_pushinteger(L, a->ints ? a->ints[i] : 0);
            else if (a->kind == CML_ATTR_FLOATS) lua_pushnumber(L, a->floats ? a->floats[i] : 0);
            else lua_pushstring(L, a->strings && a->strings[i] ? a->strings[i] : "");
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    case CML_ATTR_VALUE: lir_push(L, LIR_VALUE, a->value); return;
    }
    lua_pushnil(L);
}

static void push_op_inputs(lua_State *L, const cml_op *op) {
    lua_createtable(L, 0, arr_hint(op->n_inputs));
    for (size_t i = 0; op->inputs && i < op->n_inputs; i++) {
        const cml_arg *a = op->inputs[i];
        if (!a || !a->name) continue;
        if (a->n_values == 1) lir_push(L, LIR_VALUE, a->values[0]);
        else push_objs(L, LIR_VALUE, (const void *const *)a->values, a->n_values);
        lua_setfield(L, -2, a->name);
    }
}

static void push_op_attrs(lua_State *L, const cml_op *op) {
    sandbox_charge(L, op->n_attrs);
    lua_createtable(L, 0, arr_hint(op->n_attrs));
    for (size_t i = 0; op->attrs && i < op->n_attrs; i++) {
        const cml_attr *a = op->attrs[i];
        if (!a || !a->name) continue;
        push_attr(L, a);
        lua_setfield(L, -2, a->name);
    }
}

static int op_index(lua_State *L) {
    const cml_op *op = lir_check(L, 1, LIR_OP);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_OP);
    if (IS("kind")) { push_str(L, op->kind ? op->kind : ""); return 1; }
    if (IS("name")) { push_str(L, op->name ? op->name : ""); return 1; }
    if (IS("function_name") || IS("function")) { push_str(L, op->function ? op->function->name : NULL); return 1; }
    if (IS("compute")) { push_str(L, unit_name(op->estimate.unit)); return 1; }
    if (IS("compute_reason")) { push_str(L, op->estimate.reason); return 1; }
    if (IS("compute_source")) { push_str(L, op->estimate.source); return 1; }
    if (IS("compute_tier")) {
        if (op->estimate.tier) lua_pushlstring(L, &op->estimate.tier, 1);
        else lua_pushnil(L);
        return 1;
    }
    if (IS("is_const")) { lua_pushboolean(L, op->is_const); return 1; }
    if (IS("is_nn_layer")) { lua_pushboolean(L, op->is_nn_layer); return 1; }
    if (IS("is_updatable")) { lua_pushboolean(L, op->is_updatable); return 1; }
    if (IS("index")) { lua_pushinteger(L, u64i(op->index)); return 1; }
    if (IS("parent")) { lir_push(L, LIR_OP, op->parent ? op->parent->parent : NULL); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("inputs")) push_op_inputs(L, op);
    else if (IS("outputs")) push_objs(L, LIR_VALUE, (const void *const *)op->outputs, op->n_outputs);
    else if (IS("attrs")) push_op_attrs(L, op);
    else if (IS("blocks")) push_objs(L, LIR_BLOCK, (const void *const *)op->blocks, op->n_blocks);
    else if (IS("location")) push_loc(L, &op->loc);
    else return no_field(L, LIR_OP);
    return fcache_put(L, k);
}

static void push_compression(lua_State *L, const cml_compression *c) {
    lua_createtable(L, 0, 24);
    set_str(L, "mode", cml_compression_mode(c));
    set_str(L, "chain", c->chain);
    set_bool(L, "palettized", c->palettized);
    set_bool(L, "quantized", c->quantized);
    set_bool(L, "sparse", c->sparse);
    set_bool(L, "fp16_storage", c->fp16_storage);
    if (c->palettized) {
        set_int(L, "nbits", c->lut_bits);
        set_str(L, "granularity", cml_granularity_name(c->lut_granularity));
        if (c->lut_group_size) set_int(L, "group_size", u64i(c->lut_group_size));
        if (c->lut_axis >= 0) set_int(L, "axis", c->lut_axis);
        set_int(L, "lut_count", u64i(c->lut_count));
        if (c->lut_vector_size > 1) set_int(L, "vector_size", u64i(c->lut_vector_size));
        set_str(L, "lut_dtype", dtype_or_nil(c->lut_dtype));
    }
    if (c->quantized) {
        set_int(L, c->palettized ? "quant_nbits" : "nbits", c->quant_bits);
        set_str(L, c->palettized ? "quant_granularity" : "granularity",
                cml_granularity_name(c->quant_granularity));
        set_str(L, "quant_dtype", dtype_or_nil(c->quant_dtype));
        if (c->quant_block_size) set_int(L, "block_size", u64i(c->quant_block_size));
        if (c->quant_axis >= 0) set_int(L, c->palettized ? "quant_axis" : "axis", c->quant_axis);
        set_bool(L, "symmetric", c->quant_symmetric);
    }
    if (c->per_channel_scale) set_bool(L, "per_channel_scale", true);
    if (c->sparse) {
        set_num(L, "sparsity", c->sparsity);
        set_int(L, "nonzero_count", u64i(c->nonzero_count));
    }
    set_str(L, "dense_dtype", dtype_or_nil(c->dense_dtype));
    push_shape(L, &c->dense_shape);
    lua_setfield(L, -2, "dense_shape");
    set_int(L, "dense_elements", u64i(c->dense_elements));
    set_int(L, "stored_bytes", u64i(c->stored_bytes));
}

static int value_index(lua_State *L) {
    const cml_value *v = lir_check(L, 1, LIR_VALUE);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_VALUE);
    if (IS("name")) { push_str(L, v->name ? v->name : ""); return 1; }
    if (IS("dtype")) { lua_pushstring(L, cml_dtype_name(v->type.dtype)); return 1; }
    if (IS("type")) { lua_pushstring(L, type_kind_name(v->type.kind)); return 1; }
    if (IS("rank")) {
        if (v->type.shape.rank >= 0) lua_pushinteger(L, v->type.shape.rank);
        else lua_pushnil(L);
        return 1;
    }
    if (IS("producer")) { lir_push(L, LIR_OP, v->producer); return 1; }
    if (IS("weight")) { lir_push(L, LIR_WEIGHT, v->weight); return 1; }
    if (IS("is_function_input")) { lua_pushboolean(L, v->is_function_input); return 1; }
    if (IS("is_state")) { lua_pushboolean(L, v->is_state); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("shape")) push_shape(L, &v->type.shape);
    else if (IS("consumers")) push_objs(L, LIR_OP, (const void *const *)v->consumers, v->n_consumers);
    else if (IS("compression")) {
        if (!v->compression) { lua_pushnil(L); return 1; }
        push_compression(L, v->compression);
    } else if (IS("location")) push_loc(L, &v->loc);
    else return no_field(L, LIR_VALUE);
    return fcache_put(L, k);
}

/* }====================================================================== */

/* ** {======================================================================
** weight, weight file, diag
** ======================================================================= */

/* weight:read([offset [, n]]) -> string of at most n (<= 1 MiB) stored
 * bytes from byte offset (0-based). */
static int weight_read(lua_State *L) {
    const cml_weight *w = lir_check(L, 1, LIR_WEIGHT);
    lua_Integer off = luaL_optinteger(L, 2, 0);
    lua_Integer n = luaL_optinteger(L, 3, LUA_IR_READ_MAX);
    luaL_argcheck(L, off >= 0, 2, "offset must be >= 0");
    luaL_argcheck(L, n >= 0, 3, "count must be >= 0");
    if (n > LUA_IR_READ_MAX) n = LUA_IR_READ_MAX;
    if ((uint64_t)off >= w->nbytes) n = 0;
    else if ((uint64_t)n > w->nbytes - (uint64_t)off) n = (lua_Integer)(w->nbytes - (uint64_t)off);
    sandbox_charge(L, 1 + (uint64_t)n / 64);
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, (size_t)n);
    size_t got = n ? ir_weight_read(w, (uint64_t)off, p, (size_t)n) : 0;
    luaL_pushresultsize(&b, got);
    return 1;
}

/* weight:values([first [, n]]) -> array of at most n (<= 65536) elements
 * starting at element `first` (0-based): numbers for float types,
 * integers for integer types, booleans for bool. */
static int weight_values(lua_State *L) {
    const cml_weight *w = lir_check(L, 1, LIR_WEIGHT);
    lua_Integer first = luaL_optinteger(L, 2, 0);
    lua_Integer n = luaL_optinteger(L, 3, LUA_IR_VALUES_MAX);
    luaL_argcheck(L, first >= 0, 2, "first must be >= 0");
    luaL_argcheck(L, n >= 0, 3, "count must be >= 0");
    if (n > LUA_IR_VALUES_MAX) n = LUA_IR_VALUES_MAX;
    uint64_t count = ir_weight_count(w);
    if ((uint64_t)first >= count) n = 0;
    else if ((uint64_t)n > count - (uint64_t)first) n = (lua_Integer)(count - (uint64_t)first);
    sandbox_charge(L, 1 + (uint64_t)n);
    lua_createtable(L, (int)n, 0);
    bool fl = cml_dtype_is_float(w->dtype);
    for (lua_Integer i = 0; i < n; i++) {
        double d;
        if (ir_weight_f64(w, (uint64_t)(first + i), &d) != 0) break;
        if (w->dtype == CML_DT_BOOL) lua_pushboolean(L, d != 0);
        else if (!fl && d == d && fabs(d) < 9.2e18) lua_pushinteger(L, (lua_Integer)d);
        else lua_pushnumber(L, d);
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int weight_index(lua_State *L) {
    const cml_weight *w = lir_check(L, 1, LIR_WEIGHT);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_WEIGHT);
    if (IS("read")) { lua_pushcfunction(L, weight_read); return 1; }
    if (IS("values")) { lua_pushcfunction(L, weight_values); return 1; }
    if (IS("dtype")) { lua_pushstring(L, cml_dtype_name(w->dtype)); return 1; }
    if (IS("bytes")) { lua_pushinteger(L, u64i(w->nbytes)); return 1; }
    if (IS("count")) { lua_pushinteger(L, u64i(w->n_elements ? w->n_elements : ir_weight_count(w))); return 1; }
    if (IS("quant_bits")) {
        if (w->quant_bits) lua_pushinteger(L, w->quant_bits);
        else lua_pushnil(L);
        return 1;
    }
    if (IS("quantization")) {
        push_str(L, w->quant_lut ? "lut" : w->quant_linear ? "linear" : NULL);
        return 1;
    }
    if (fcache_get(L, k)) return 1;
    if (IS("shape")) push_shape(L, &w->shape);
    else if (IS("storage")) {
        if (w->storage == CML_STORE_BLOB) {
            lua_createtable(L, 0, 3);
            set_str(L, "file", w->file && w->file->path ? w->file->path : "");
            set_int(L, "offset", u64i(w->data_offset));
            set_int(L, "blob_offset", u64i(w->blob_offset));
        } else {
            lua_pushstring(L, w->storage == CML_STORE_INLINE ? "inline" : "none");
            return 1;
        }
    } else if (IS("location")) push_loc(L, &w->loc);
    else return no_field(L, LIR_WEIGHT);
    return fcache_put(L, k);
}

static int wfile_index(lua_State *L) {
    const cml_weight_file *f = lir_check(L, 1, LIR_WFILE);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_WFILE);
    if (IS("path")) { push_str(L, f->path ? f->path : ""); return 1; }
    if (IS("size_bytes")) { lua_pushinteger(L, u64i(f->size_bytes)); return 1; }
    if (IS("storage_version")) { lua_pushinteger(L, f->storage_version); return 1; }
    if (IS("blob_count")) { lua_pushinteger(L, f->blob_count); return 1; }
    if (IS("blobs_parsed")) { lua_pushinteger(L, f->blobs_parsed); return 1; }
    if (IS("blobs_referenced")) { lua_pushinteger(L, f->blobs_referenced); return 1; }
    if (IS("payload_bytes")) { lua_pushinteger(L, u64i(f->payload_bytes)); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("dtype_counts")) {
        lua_createtable(L, 0, 4);
        for (int d = 0; d < CML_DT_COUNT_; d++)
            if (f->dtype_counts[d]) set_int(L, cml_dtype_name((cml_dtype)d), f->dtype_counts[d]);
    } else if (IS("location")) {
        cml_loc l = {.artifact = f->path};
        push_loc(L, &l);
    } else {
        return no_field(L, LIR_WFILE);
    }
    return fcache_put(L, k);
}

static int diag_index(lua_State *L) {
    const cml_diag *d = lir_check(L, 1, LIR_DIAG);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_DIAG);
    if (IS("rule_id")) { push_str(L, d->rule_id ? d->rule_id : ""); return 1; }
    if (IS("level")) { lua_pushstring(L, luair_level_name(d->level)); return 1; }
    if (IS("message")) { push_str(L, d->message ? d->message : ""); return 1; }
    if (fcache_get(L, k)) return 1;
    if (IS("location")) push_loc(L, &d->loc);
    else return no_field(L, LIR_DIAG);
    return fcache_put(L, k);
}

/* }====================================================================== */

/* ** {======================================================================
** ctx: options, target, report
** ======================================================================= */

/* cJSON -> Lua. hint: the declared option type (0 = none). */
static void push_json(lua_State *L, const cJSON *j, int hint, int depth) {
    luaL_checkstack(L, 4, "options");
    if (!j || depth > 16 || cJSON_IsNull(j)) {
        lua_pushnil(L);
    } else if (cJSON_IsBool(j)) {
        lua_pushboolean(L, cJSON_IsTrue(j));
    } else if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        bool integral = d == floor(d) && fabs(d) < 9.007199254740992e15;
        if (hint == OPT_INT || (hint != OPT_NUMBER && integral)) lua_pushinteger(L, (lua_Integer)d);
        else lua_pushnumber(L, d);
    } else if (cJSON_IsString(j)) {
        lua_pushstring(L, j->valuestring ? j->valuestring : "");
    } else if (cJSON_IsArray(j)) {
        lua_newtable(L);
        lua_Integer i = 0;
        for (const cJSON *c = j->child; c; c = c->next) {
            push_json(L, c, 0, depth + 1);
            lua_rawseti(L, -2, ++i);
        }
    } else if (cJSON_IsObject(j)) {
        lua_newtable(L);
        for (const cJSON *c = j->child; c; c = c->next) {
            if (!c->string) continue;
            push_json(L, c, 0, depth + 1);
            lua_setfield(L, -2, c->string);
        }
    } else {
        lua_pushnil(L);
    }
}

/* ctx.options' __index, reached for a name the table does not hold: nil
 * for a declared option without a value, an error for any other name, so
 * that a typo (max_conv for max_convs) fails loudly like ctx's and the
 * model objects' fields instead of quietly reading the rule's fallback.
 * Upvalue 1: the declared names (name -> true), 2: "a, b" for the message. */
static int options_index(lua_State *L) {
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) {
        lua_pushnil(L);
        return 1;
    }
    if (lua_type(L, 2) != LUA_TSTRING) return luaL_error(L, "ctx.options has no such option (option names are strings)");
    return luaL_error(L, "ctx.options has no option '%s' (the rule declares: %s)", lua_tostring(L, 2),
                      lua_tostring(L, lua_upvalueindex(2)));
}

/* ctx.options: the effective options (config over declared defaults). */
static void push_options(lua_State *L, rule_ctx *ctx) {
    const host_rule *r = ctx_rule(ctx);
    const cJSON *eff = ctx_options(ctx);
    luaL_checkstack(L, 6, "options");
    lua_newtable(L);                                   /* the options */
    lua_newtable(L);                                   /* the declared names */
    luaL_Buffer names;
    luaL_buffinit(L, &names);
    for (size_t i = 0; r && i < r->n_options; i++) {
        if (i) luaL_addstring(&names, ", ");
        luaL_addstring(&names, r->options[i].name);
    }
    if (!r || !r->n_options) luaL_addstring(&names, "no options");
    luaL_pushresult(&names);
    for (size_t i = 0; r && i < r->n_options; i++) {
        const rule_option *o = &r->options[i];
        const cJSON *v = eff ? cJSON_GetObjectItemCaseSensitive(eff, o->name) : NULL;
        if (!v) v = o->default_value;
        push_json(L, v, (int)o->type, 0);
        lua_setfield(L, -4, o->name);
        lua_pushboolean(L, 1);
        lua_setfield(L, -3, o->name);
    }
    lua_createtable(L, 0, 2);                          /* its metatable */
    lua_insert(L, -3);
    lua_pushcclosure(L, options_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
}

typedef struct json_box {
    cJSON *j;
} json_box;

static int box_gc(lua_State *L) {
    json_box *b = luaL_checkudata(L, 1, lir_box_name);
    cJSON_Delete(b->j);
    b->j = NULL;
    return 0;
}

typedef struct skey {
    const char *s;
    size_t len;
    lua_Integer pos;
} skey;

static int skey_cmp(const void *pa, const void *pb) {
    const skey *a = pa, *b = pb;
    size_t n = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* Push an array of the string keys of table t in byte order (props become
 * JSON objects whose key order must not depend on Lua's hash seed).
 * Raises on a non-string key. Returns the count.             [-0, +1, e] */
static lua_Integer push_sorted_keys(lua_State *L, int t, const char *path) {
    t = lua_absindex(L, t);
    lua_newtable(L);
    int keys = lua_gettop(L);
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "ctx:report: props keys must be strings (at '%s')", path);
        lua_pushvalue(L, -1);
        lua_rawseti(L, keys, ++n);
    }
    sandbox_charge(L, (uint64_t)n);
    skey *k = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *k, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, i);
        k[i - 1].s = lua_tolstring(L, -1, &k[i - 1].len);   /* anchored by keys */
        k[i - 1].pos = i;
        lua_pop(L, 1);
    }
    if (n > 1) qsort(k, (size_t)n, sizeof *k, skey_cmp);
    lua_createtable(L, (int)(n < 1000000 ? n : 0), 0);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, keys, k[i - 1].pos);
        lua_rawseti(L, -2, i);
    }
    lua_replace(L, keys);
    lua_pop(L, 1);                                   /* the userdata */
    return n;
}

/* Lua value at idx -> cJSON item added to parent (under key, or appended
 * when key is NULL). Everything hangs off the boxed root as soon as it is
 * made, so a raise frees it all through the box's __gc. */
/* n more bytes of report text the host copies (messages, props strings
 * and keys): a rule may not make the host hold more than its own memory
 * cap per check (a report of one 16 MiB string 150 times took the host to
 * 2.5 GB, an adversarial pass found), and every 64 bytes are a step */
static void report_charge(lua_State *L, size_t n) {
    lua_ir *ir = lir_state(L);
    sandbox *sb = sandbox_from(L);
    ir->report_bytes = n > SIZE_MAX - ir->report_bytes ? SIZE_MAX : ir->report_bytes + n;
    if (ir->report_bytes > sb->lim.mem_cap) {
        if (sb->cause == SANDBOX_OK) sb->cause = SANDBOX_MEMORY;   /* told as the memory cap */
        luaL_error(L, "ctx:report: the reports of this check hold more text than the rule's memory cap");
    }
    sandbox_charge(L, n / 64);
}

static void json_add(lua_State *L, int idx, cJSON *parent, const char *key, int depth, const char *path) {
    cJSON *item = NULL;
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TBOOLEAN: item = cJSON_CreateBool(lua_toboolean(L, idx)); break;
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            /* a JSON number is a double: 2^53 and beyond would come out another integer */
            lua_Integer v = lua_tointeger(L, idx);
            if (v > ((lua_Integer)1 << 53) || v < -((lua_Integer)1 << 53))
                luaL_error(L, "ctx:report: props value '%s' is the integer %I, which a JSON number cannot hold "
                              "exactly (beyond 2^53); pass it as a string", path, v);
            item = cJSON_CreateNumber((double)v);
        } else {
            item = cJSON_CreateNumber(lua_tonumber(L, idx)); /* NaN and infinities become null */
        }
        break;
    case LUA_TSTRING:
        report_charge(L, lua_rawlen(L, idx) + (key ? strlen(key) : 0));
        item = cJSON_CreateString(lua_tostring(L, idx));
        break;
    case LUA_TTABLE: {
        if (depth >= 8) luaL_error(L, "ctx:report: props nest deeper than 8 levels (at '%s')", path);
        lua_Unsigned n = lua_rawlen(L, idx);
        item = n ? cJSON_CreateArray() : cJSON_CreateObject();
        if (!item) break;
        if (key) cJSON_AddItemToObject(parent, key, item);
        else cJSON_AddItemToArray(parent, item);
        luaL_checkstack(L, 6, "props");
        if (n) {
            for (lua_Unsigned i = 1; i <= n; i++) {
                lua_rawgeti(L, idx, (lua_Integer)i);
                json_add(L, -1, item, NULL, depth + 1, path);
                lua_pop(L, 1);
            }
            /* an array with keys besides 1..n would lose them */
            lua_Unsigned all = 0;
            lua_pushnil(L);
            while (lua_next(L, idx)) {
                lua_pop(L, 1);
                if (++all > n) {
                    lua_pop(L, 1);
                    break;
                }
            }
            sandbox_charge(L, all);
            if (all > n)
                luaL_error(L, "ctx:report: props value '%s' mixes array items with other keys (a table is an array "
                              "1..n or a map with string keys)", path);
        } else {
            lua_Integer nk = push_sorted_keys(L, idx, path);
            int keys = lua_gettop(L);
            for (lua_Integer i = 1; i <= nk; i++) {
                lua_rawgeti(L, keys, i);
                lua_pushvalue(L, -1);
                lua_rawget(L, idx);
                json_add(L, -1, item, lua_tostring(L, -2), depth + 1, lua_tostring(L, -2));
                lua_pop(L, 2);
            }
            lua_pop(L, 1);
        }
        sandbox_charge(L, 1 + n);
        return;
    }
    default:
        luaL_error(L, "ctx:report: props value '%s' is a %s (expected string, number, boolean or table)", path,
                   luaL_typename(L, idx));
        return;
    }
    if (!item) return;
    if (key) cJSON_AddItemToObject(parent, key, item);
    else cJSON_AddItemToArray(parent, item);
}

/* The location of `at` (nil = the model) into *loc; false for nil. */
static bool report_at(lua_State *L, int idx, cml_loc *loc, const char *what) {
    if (lua_isnoneornil(L, idx)) return false;
    if (!luair_loc(L, idx, loc))
        luaL_error(L, "ctx:report: %s must be an IR object (model, feature, function, block, op, value, "
                      "weight, weight file or diag), got %s", what, luaL_typename(L, idx));
    return true;
}

static const char *const report_keys[] = {"at", "message", "level", "related", "fix", "props", NULL};

static void check_keys(lua_State *L, int t, const char *const *keys, const char *what) {
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        bool ok = false;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (const char *const *k = keys; *k; k++)
                if (!strcmp(*k, lua_tostring(L, -1))) ok = true;
        if (!ok) {
            const char *kn = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : luaL_typename(L, -1);
            if (!strcmp(kn, "id") || !strcmp(kn, "rule") || !strcmp(kn, "rule_id"))
                luaL_error(L, "%s: unknown key '%s' (a rule reports only under its own id)", what, kn);
            luaL_error(L, "%s: unknown key '%s'", what, kn);
        }
    }
}

/* ctx:report{at=, message=, level=, related=, fix=, props=}
 * ctx:report(at, fmt, ...)
 * Returns true when the host accepted the finding. */
static int ctx_report_l(lua_State *L) {
    rule_ctx *ctx = (rule_ctx *)lir_check(L, 1, LIR_CTX);
    lua_ir *ir = lir_state(L);
    report_args a = {0};
    cml_loc at_loc;
    json_box *box = NULL;
    int top = lua_gettop(L);
    if (top == 2 && lua_type(L, 2) == LUA_TTABLE) {
        check_keys(L, 2, report_keys, "ctx:report");
        lua_getfield(L, 2, "at");                          /* 3 */
        if (report_at(L, 3, &at_loc, "'at'")) a.at = &at_loc;
        if (lua_getfield(L, 2, "message") != LUA_TSTRING)  /* 4 */
            return luaL_error(L, "ctx:report: 'message' must be a string");
        a.message = lua_tostring(L, 4);
        int lt = lua_getfield(L, 2, "level");              /* 5 */
        if (lt != LUA_TNIL) {
            a.level = lt == LUA_TSTRING ? luair_level_parse(lua_tostring(L, 5)) : -1;
            if (a.level < 0)
                return luaL_error(L, "ctx:report: 'level' must be \"note\", \"warning\" or \"error\" (got %s)",
                                  lt == LUA_TSTRING ? lua_tostring(L, 5) : luaL_typename(L, 5));
        }
        /* past the cap of its level: dropped before it is built or charged
         * (a flood costs the rule its loop, not the text it throws away) */
        if (ctx_cap_check(ctx, a.level) == CTX_CAPPED) {
            lua_pushboolean(L, 0);
            return 1;
        }
        sandbox_charge(L, 64);
        int ft = lua_getfield(L, 2, "fix");                /* 6 */
        if (ft != LUA_TNIL && ft != LUA_TSTRING) return luaL_error(L, "ctx:report: 'fix' must be a string");
        a.fix = ft == LUA_TSTRING ? lua_tostring(L, 6) : NULL;
        int rt = lua_getfield(L, 2, "related");            /* 7 */
        if (rt != LUA_TNIL) {
            if (rt != LUA_TTABLE) return luaL_error(L, "ctx:report: 'related' must be an array of {at=, message=}");
            lua_Unsigned n = lua_rawlen(L, 7);
            if (n > LUA_IR_RELATED_MAX)
                return luaL_error(L, "ctx:report: at most %d related locations", LUA_IR_RELATED_MAX);
            luaL_checkstack(L, (int)n + 8, "related");
            static const char *const rel_keys[] = {"at", "message", NULL};
            related_loc *rel = n ? lua_newuserdatauv(L, n * sizeof *rel, 0) : NULL;  /* GC-owned */
            for (lua_Unsigned i = 0; i < n; i++) {
                if (lua_rawgeti(L, 7, (lua_Integer)i + 1) != LUA_TTABLE)
                    return luaL_error(L, "ctx:report: related[%d] must be a table {at=, message=}", (int)i + 1);
                int e = lua_gettop(L);
                check_keys(L, e, rel_keys, "ctx:report related");
                memset(&rel[i], 0, sizeof rel[i]);
                lua_getfield(L, e, "at");
                if (!report_at(L, -1, &rel[i].loc, "related 'at'"))
                    return luaL_error(L, "ctx:report: related[%d] needs 'at'", (int)i + 1);
                lua_pop(L, 1);
                if (lua_getfield(L, e, "message") != LUA_TSTRING)
                    return luaL_error(L, "ctx:report: related[%d].message must be a string", (int)i + 1);
                rel[i].message = (char *)lua_tostring(L, -1);   /* stays on the stack */
                lua_remove(L, e);
            }
            a.related = rel;
            a.n_related = (size_t)n;
        }
        int pt = lua_getfield(L, 2, "props");
        if (pt != LUA_TNIL) {
            int pi = lua_gettop(L);
            if (pt != LUA_TTABLE) return luaL_error(L, "ctx:report: 'props' must be a table");
            box = lua_newuserdatauv(L, sizeof *box, 0);
            box->j = NULL;
            luaL_setmetatable(L, lir_box_name);
            box->j = cJSON_CreateObject();
            if (box->j) {
                lua_Integer nk = push_sorted_keys(L, pi, "props");
                int keys = lua_gettop(L);
                for (lua_Integer i = 1; i <= nk; i++) {
                    lua_rawgeti(L, keys, i);
                    lua_pushvalue(L, -1);
                    lua_rawget(L, pi);
                    json_add(L, -1, box->j, lua_tostring(L, -2), 1, lua_tostring(L, -2));
                    lua_pop(L, 2);
                }
                lua_pop(L, 1);
            }
        }
    } else {
        /* short form: ctx:report(at, fmt, ...) */
        if (!lua_isnoneornil(L, 2) && !lir_toobj(L, 2))
            return luaL_argerror(L, 2, "expected a table {at=, message=, ...} or an IR object");
        if (ctx_cap_check(ctx, 0) == CTX_CAPPED) {
            lua_pushboolean(L, 0);
            return 1;
        }
        sandbox_charge(L, 64);
        if (report_at(L, 2, &at_loc, "'at'")) a.at = &at_loc;
        luaL_checkstring(L, 3);
        sandbox *sb = sandbox_from(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->format_ref);
        for (int i = 3; i <= top; i++) lua_pushvalue(L, i);
        if (lua_pcall(L, top - 2, 1, 0) != LUA_OK) {
            /* string.format's complaint, told at the rule's line and in
             * ctx:report's terms; any other error (the budget, memory)
             * goes on as it was raised */
            const char *e = lua_tostring(L, -1);
            int k;
            char rest[160];
            if (!e || sscanf(e, "bad argument #%d to '%*[^']' (%159[^)])", &k, rest) != 2) return lua_error(L);
            luaL_where(L, 1); /* the rule's line that called ctx:report */
            if (k == 1) lua_pushfstring(L, "ctx:report: the format string: %s", rest);
            else lua_pushfstring(L, "ctx:report: value %d after the format string: %s", k - 1, rest);
            lua_concat(L, 2);
            return lua_error(L);
        }
        a.message = lua_tostring(L, -1);
    }
    if (!a.message || !*a.message) return luaL_error(L, "ctx:report: 'message' must not be empty");
    size_t text = strlen(a.message) + (a.fix ? strlen(a.fix) : 0);
    for (size_t i = 0; i < a.n_related; i++) text += a.related[i].message ? strlen(a.related[i].message) : 0;
    report_charge(L, text);
    if (box) {
        a.props = box->j;
        box->j = NULL;            /* ownership passes to the host */
    }
    int rc = ctx_report(ctx, &a);
    if (rc < 0) {
        /* a report past the cap of its level is dropped, but the rule
         * goes on: its later reports at another level (the error after
         * 10,000 warnings) still count, and its instruction budget, which
         * every report is charged to, bounds the loop */
        if (rc != CTX_CAPPED && ++ir->refused >= LUA_IR_FLOOD_STOP)
            return sandbox_stop(L, "the host refused repeated reports; rule stopped");
        lua_pushboolean(L, 0);
        return 1;
    }
    ir->refused = 0;
    lua_pushboolean(L, 1);
    return 1;
}

/* ctx:format_bytes(n): "999 B", "65.5 kB", "104.9 MB", "2.15 GB" (decimal units, cml_format_bytes) */
static int ctx_format_bytes_l(lua_State *L) {
    lir_check(L, 1, LIR_CTX);
    lua_Number b = luaL_checknumber(L, 2);
    char s[64];
    /* a count of bytes: NaN, infinities and negatives are no size (the
     * conversion of -1e300 to long long was undefined behaviour) */
    if (!(b >= 0 && b < 1e30)) return luaL_argerror(L, 2, "a byte count from 0 to 1e30");
    cml_format_bytes(s, sizeof s, (double)b);
    lua_pushstring(L, s);
    return 1;
}

/* ctx:target_before{ios = "17.4", macos = 14, ...}: whether the deployment
 * target is an older release than the one given for its platform; nil when
 * there is no target or the table names no version for its platform. The one
 * parser of targets is coreml_facts.h's, so rules do not match strings. */
static int ctx_target_before_l(lua_State *L) {
    rule_ctx *ctx = (rule_ctx *)lir_check(L, 1, LIR_CTX);
    luaL_checktype(L, 2, LUA_TTABLE);
    cml_platform p;
    uint32_t have, want;
    const char *key = cml_target_parse(ctx_target(ctx), &p, &have) ? cml_platform_key(p) : NULL;
    if (!key) return lua_pushnil(L), 1;
    int t = lua_getfield(L, 2, key);
    if (t == LUA_TNIL) return lua_pushnil(L), 1;
    char spec[64];
    const char *v = t == LUA_TNUMBER || t == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    if (!v || snprintf(spec, sizeof spec, "%s%s", key, v) >= (int)sizeof spec || !cml_target_parse(spec, NULL, &want))
        return luaL_error(L, "target_before: the %s version must be a release such as 17 or \"17.4\"", key);
    lua_pushboolean(L, have < want);
    return 1;
}

static int ctx_index(lua_State *L) {
    rule_ctx *ctx = (rule_ctx *)lir_check(L, 1, LIR_CTX);
    const char *k = lua_tostring(L, 2);
    if (lua_type(L, 2) != LUA_TSTRING) return no_field(L, LIR_CTX);
    if (IS("report")) { lua_pushcfunction(L, ctx_report_l); return 1; }
    if (IS("format_bytes")) { lua_pushcfunction(L, ctx_format_bytes_l); return 1; }
    if (IS("target")) { push_str(L, ctx_target(ctx)); return 1; }
    if (IS("target_platform")) {
        cml_platform p;
        push_str(L, cml_target_parse(ctx_target(ctx), &p, NULL) ? cml_platform_key(p) : NULL);
        return 1;
    }
    if (IS("target_before")) { lua_pushcfunction(L, ctx_target_before_l); return 1; }
    if (IS("id")) {
        const host_rule *r = ctx_rule(ctx);
        push_str(L, r ? r->id : NULL);
        return 1;
    }
    if (IS("level")) {
        const host_rule *r = ctx_rule(ctx);
        lua_pushstring(L, luair_level_name(r ? (r->level ? r->level : r->default_level) : 0));
        return 1;
    }
    if (fcache_get(L, k)) return 1;
    if (IS("options")) push_options(L, ctx);
    else return no_field(L, LIR_CTX);
    return fcache_put(L, k);
}

/* }====================================================================== */

/* ** {======================================================================
** Metatables and the check lifecycle
** ======================================================================= */

static int lir_newindex(lua_State *L) {
    lir_obj *o = lir_toobj(L, 1);
    return luaL_error(L, "%s objects are read-only", o ? lir_kind[o->type] : "IR");
}

static int lir_tostring(lua_State *L) {
    lir_obj *o = lir_toobj(L, 1);
    const lua_ir *ir = lir_state(L);
    if (!o) return luaL_argerror(L, 1, "IR object expected");
    if (!ir->active || o->gen != ir->gen) {
        lua_pushfstring(L, "stale %s", lir_kind[o->type]);
        return 1;
    }
    switch ((lir_type)o->type) {
    case LIR_MODEL: {
        const cml_model *m = o->p;
        lua_pushfstring(L, "model %s (%s)", m->loc.logical ? m->loc.logical : m->path ? m->path : "",
                        m->type ? m->type : "unknown");
        break;
    }
    case LIR_FEATURE: lua_pushfstring(L, "feature '%s'", ((const cml_feature *)o->p)->name); break;
    case LIR_FUNCTION: lua_pushfstring(L, "function '%s'", ((const cml_function *)o->p)->name); break;
    case LIR_OP: {
        const cml_op *op = o->p;
        lua_pushfstring(L, "op %s '%s'", op->kind ? op->kind : "", op->name ? op->name : "");
        break;
    }
    case LIR_VALUE: lua_pushfstring(L, "value '%s'", ((const cml_value *)o->p)->name); break;
    case LIR_WEIGHT: {
        const cml_weight *w = o->p;
        lua_pushfstring(L, "weight %s (%I bytes)", cml_dtype_name(w->dtype), u64i(w->nbytes));
        break;
    }
    case LIR_WFILE: lua_pushfstring(L, "weight file '%s'", ((const cml_weight_file *)o->p)->path); break;
    case LIR_DIAG: lua_pushfstring(L, "diag %s", ((const cml_diag *)o->p)->rule_id); break;
    default: lua_pushstring(L, lir_kind[o->type]); break;
    }
    return 1;
}

static const lua_CFunction lir_index_fn[LIR_NTYPES] = {
    model_index, feature_index, function_index, block_index, op_index,
    value_index, weight_index,  wfile_index,    diag_index,  ctx_index};

int luair_open(lua_State *L) {
    sandbox *sb = sandbox_from(L);
    lua_ir *ir = lua_newuserdatauv(L, sizeof *ir, 0);
    memset(ir, 0, sizeof *ir);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lir_state_key);
    sb->user = ir;
    for (int t = 0; t < LIR_NTYPES; t++) {
        luaL_newmetatable(L, lir_tname[t]);
        lua_pushcfunction(L, lir_index_fn[t]);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, lir_newindex);
        lua_setfield(L, -2, "__newindex");
        lua_pushcfunction(L, lir_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        ir->mt[t] = lua_topointer(L, -1);
        ir->mt_ref[t] = luaL_ref(L, LUA_REGISTRYINDEX);   /* pops it; the registry's name entry stays */
    }
    luaL_newmetatable(L, lir_box_name);
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    lua_pushboolean(L, 0);              /* the cache slot exists from now on */
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lir_cache_key);
    return 0;
}

void luair_begin(lua_State *L, const cml_model *m, rule_ctx *ctx) {
    lua_ir *ir = lir_state(L);
    ir->gen++;
    ir->active = true;
    ir->model = m;
    ir->ctx = ctx;
    ir->refused = 0;
    ir->report_bytes = 0;
    ir->hint_ops = ir->hint_values = -1;
    /* {[type + 1] = weak table, made by the type's first lir_push,
     *  [LIR_NTYPES + 1] = their shared metatable: weak values} */
    lua_createtable(L, LIR_NTYPES + 1, 0);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "v");
    lua_setfield(L, -2, "__mode");
    lua_rawseti(L, -2, LIR_NTYPES + 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &lir_cache_key);
}

void luair_end(sandbox *sb) {
    lua_ir *ir = sb->user;
    if (!ir) return;
    ir->active = false;
    ir->gen++;
    ir->model = NULL;
    ir->ctx = NULL;
    lua_pushboolean(sb->L, 0);          /* the slot exists: no allocation */
    lua_rawsetp(sb->L, LUA_REGISTRYINDEX, &lir_cache_key);
}

void luair_push_model(lua_State *L, const cml_model *m) { lir_push(L, LIR_MODEL, m); }

void luair_push_ctx(lua_State *L, rule_ctx *ctx) { lir_push(L, LIR_CTX, ctx); }

bool luair_loc(lua_State *L, int idx, cml_loc *out) {
    lir_obj *o = lir_toobj(L, idx);
    if (!o || o->type == LIR_CTX) return false;
    lir_live(L, o);
    memset(out, 0, sizeof *out);
    switch ((lir_type)o->type) {
    case LIR_MODEL: *out = ((const cml_model *)o->p)->loc; break;
    case LIR_FEATURE: *out = ((const cml_feature *)o->p)->loc; break;
    case LIR_FUNCTION: *out = ((const cml_function *)o->p)->loc; break;
    case LIR_BLOCK: *out = *block_loc(L, o->p); break;
    case LIR_OP: *out = ((const cml_op *)o->p)->loc; break;
    case LIR_VALUE: *out = ((const cml_value *)o->p)->loc; break;
    case LIR_WEIGHT: *out = ((const cml_weight *)o->p)->loc; break;
    case LIR_WFILE: out->artifact = ((const cml_weight_file *)o->p)->path; break;
    case LIR_DIAG: *out = ((const cml_diag *)o->p)->loc; break;
    default: return false;
    }
    return true;
}

/* }====================================================================== */
