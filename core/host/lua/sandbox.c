/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.c — state creation and limits for Lua rules (see sandbox.h).
 *
 * The environment is built by allow list. A fresh state opens only base,
 * string, table, math and utf8; the allowed functions are copied into a new
 * table that becomes both the rule's _ENV and the state's global table, and
 * every function that a full Lua 5.4 would offer but a rule may not use
 * (load, pcall, io.open, os.time, debug.*, string.dump, math.randomseed, …)
 * is replaced by a stub that records the cause and raises
 * "blocked call: NAME". The names of the libraries we never open come from
 * a scratch state opened once with luaL_openlibs, so a newer liblua with
 * more functions still gets a stub for each. The string metatable gets
 * __metatable, so getmetatable("") returns false; setmetatable is our own
 * and refuses metatables with __gc. The count hook accumulates executed
 * instructions; when the budget is spent it sets its period to 1 and raises
 * on every instruction until the next phase, so nothing can swallow the stop
 * (pcall is not offered anyway). */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lauxlib.h>
#include <lualib.h>

#include "format/sanitize.h"
#include "host/lua/patterns.h"
#include "host/lua/sandbox.h"
#include "host/lua/sbheap.h"

#define SB_SEED 0x636d6c696e74LL   /* "cmlint": math.random's fixed seed */

sandbox_limits sandbox_limits_from(const host_limits *l) {
    host_limits d = host_limits_default();
    if (!l) l = &d;
    sandbox_limits s = {l->lua_memory, l->lua_load_instructions, l->lua_check_instructions, SANDBOX_HOOK_PERIOD,
                        l->lua_timeout_ms};
    return s;
}

sandbox_limits sandbox_limits_default(void) { return sandbox_limits_from(NULL); }

/* ** {======================================================================
** Allow lists: exactly the surface documented in docs/lua-rules.md and
** listed in rules/.luacheckrc and tests/lua/globals.txt.
** ======================================================================= */

static const char *const base_allow[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "print", "rawequal", "rawget",
    "rawlen", "select", "setmetatable", "tonumber", "tostring", "type", NULL};
static const char *const string_allow[] = {
    "byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match", "pack",
    "packsize", "rep", "reverse", "sub", "unpack", "upper", NULL};
static const char *const table_allow[] = {"concat", "insert", "move", "pack", "remove", "sort",
                                          "unpack", NULL};
static const char *const math_allow[] = {
    "abs", "acos", "asin", "atan", "ceil", "cos", "deg", "exp", "floor", "fmod", "huge", "log",
    "max", "maxinteger", "min", "mininteger", "modf", "pi", "rad", "random", "sin", "sqrt", "tan",
    "tointeger", "type", "ult", NULL};
static const char *const utf8_allow[] = {"char", "charpattern", "codepoint", "codes", "len",
                                         "offset", NULL};
/* Lua 5.3 math functions a liblua built with LUA_COMPAT_MATHLIB still has
 * (Debian's does): always stubs, so the surface does not depend on how the
 * library was built. */
static const char *const compat_stubs[] = {"math.atan2", "math.cosh", "math.frexp", "math.ldexp",
                                           "math.log10", "math.pow", "math.sinh", "math.tanh", NULL};

typedef struct sb_lib {
    const char *name;
    lua_CFunction open;
    const char *const *allow;
} sb_lib;

static const sb_lib allowed_libs[] = {
    {LUA_STRLIBNAME, luaopen_string, string_allow},
    {LUA_TABLIBNAME, luaopen_table, table_allow},
    {LUA_MATHLIBNAME, luaopen_math, math_allow},
    {LUA_UTF8LIBNAME, luaopen_utf8, utf8_allow},
};

static bool in_list(const char *const *list, const char *s) {
    for (; *list; list++)
        if (!strcmp(*list, s)) return true;
    return false;
}

static bool is_allowed_lib(const char *name) {
    for (size_t i = 0; i < sizeof allowed_libs / sizeof *allowed_libs; i++)
        if (!strcmp(allowed_libs[i].name, name)) return true;
    return false;
}

/* }====================================================================== */

/* ** {======================================================================
** Blocked names from a full Lua: global functions outside the base allow
** list ("load", "require") and every function of the libraries we do not
** open ("io.open"). Computed once per process from a scratch state.
** ======================================================================= */

#define SB_MAX_BLOCKED 160
static char sb_blocked_names[SB_MAX_BLOCKED][48];
static char sb_blocked_libs[SB_MAX_BLOCKED][48];  /* the library part ("" for a global) */
static size_t sb_n_blocked;
static bool sb_blocked_ready;

static void blocked_add(const char *lib, const char *name) {
    if (sb_n_blocked >= SB_MAX_BLOCKED) return;
    snprintf(sb_blocked_libs[sb_n_blocked], sizeof sb_blocked_libs[0], "%s", lib ? lib : "");
    snprintf(sb_blocked_names[sb_n_blocked], sizeof sb_blocked_names[0], "%s%s%s", lib ? lib : "",
             lib ? "." : "", name);
    sb_n_blocked++;
}

static void blocked_names_init(void) {
    if (sb_blocked_ready) return;
    sb_blocked_ready = true;
    lua_State *S = luaL_newstate();
    if (!S) return;
    luaL_openlibs(S);
    lua_pushglobaltable(S);
    lua_pushnil(S);
    while (lua_next(S, -2)) {
        if (lua_type(S, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(S, -2);
            if (lua_type(S, -1) == LUA_TFUNCTION) {
                if (!in_list(base_allow, k)) blocked_add(NULL, k);
            } else if (lua_type(S, -1) == LUA_TTABLE && strcmp(k, "_G") != 0 && !is_allowed_lib(k)) {
                lua_pushnil(S);
                while (lua_next(S, -2)) {
                    if (lua_type(S, -2) == LUA_TSTRING && lua_type(S, -1) == LUA_TFUNCTION)
                        blocked_add(k, lua_tostring(S, -2));
                    lua_pop(S, 1);
                }
            }
        }
        lua_pop(S, 1);
    }
    lua_close(S);
}

/* }====================================================================== */

/* ** {======================================================================
** Allocator, hook, stubs
** ======================================================================= */

/* Counting allocator. Lua passes the kind of object as osize when ptr is
 * NULL, so osize is a size only for an existing block. Shrinking never
 * fails (Lua assumes it cannot). */
static void *sb_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        sbheap_realloc(sb->heap, ptr, old, 0);
        sb->mem_used -= old;
        return NULL;
    }
    if (nsize > old && (nsize - old > sb->lim.mem_cap || sb->mem_used + (nsize - old) > sb->lim.mem_cap)) {
        sb->mem_refused++;
        return NULL;
    }
    /* a shrink that must move the block can fail too: Lua then raises a
     * memory error, as for a refused growth */
    void *p = sbheap_realloc(sb->heap, ptr, old, nsize);
    if (!p) {
        sb->mem_refused++;
        return NULL;
    }
    sb->mem_used = sb->mem_used - old + nsize;
    if (sb->mem_used > sb->mem_peak) sb->mem_peak = sb->mem_used;
    return p;
}

sandbox *sandbox_from(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return ud;
}

static void sb_hook(lua_State *L, lua_Debug *ar);

/* Push "chunk:line: " of the innermost Lua function running (the hooked
 * one in the count hook, level 0; a library function's caller when a C
 * function charges, level 1), or "" when none has a line. */
static void sb_where(lua_State *L) {
    lua_Debug d;
    for (int level = 0; level < 3 && lua_getstack(L, level, &d); level++) {
        if (lua_getinfo(L, "Sl", &d) && d.currentline > 0) {
            lua_pushfstring(L, "%s:%d: ", d.short_src, d.currentline);
            return;
        }
    }
    lua_pushliteral(L, "");
}

/* Stop the rule with message msg at the line it was running. */
static int sb_stop_here(lua_State *L, const char *msg) {
    sb_where(L);
    lua_pushstring(L, msg);
    lua_concat(L, 2);
    return lua_error(L);
}

/* Budget spent: remember why, fire on every instruction from now on. */
static int sb_exhausted(lua_State *L, sandbox *sb) {
    if (sb->cause == SANDBOX_OK) sb->cause = SANDBOX_BUDGET;
    if (sb->period != 1) {
        sb->period = 1;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
    }
    char msg[96];
    snprintf(msg, sizeof msg, "instruction budget exceeded (%llu instructions)", (unsigned long long)sb->budget);
    return sb_stop_here(L, msg);
}

static uint64_t sb_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wall clock spent: as for the budget, fire on every instruction from now. */
static int sb_timed_out(lua_State *L, sandbox *sb) {
    if (sb->cause == SANDBOX_OK) sb->cause = SANDBOX_TIMEOUT;
    if (sb->period != 1) {
        sb->period = 1;
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
    }
    char msg[96];
    snprintf(msg, sizeof msg, "wall-clock limit exceeded (%.14g s)", sb->lim.time_ms / 1000.0);
    return sb_stop_here(L, msg);
}

static void sb_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    sandbox *sb = sandbox_from(L);
    sb->count += sb->period;
    if (sb->count > sb->budget) sb_exhausted(L, sb);
    if (sb->deadline_ns && sb_now_ns() > sb->deadline_ns) sb_timed_out(L, sb);
}

void sandbox_charge(lua_State *L, uint64_t cost) {
    sandbox *sb = sandbox_from(L);
    sb->count = cost > UINT64_MAX - sb->count ? UINT64_MAX : sb->count + cost;
    if (sb->count > sb->budget) sb_exhausted(L, sb);
    if (sb->deadline_ns && sb_now_ns() > sb->deadline_ns) sb_timed_out(L, sb);
}

/* string.find/match/gmatch/gsub pay for their steps (patterns.h) */
static const luapat_hooks sb_pattern_hooks = {sandbox_charge};

/* Library functions whose loop the count hook cannot see into and which
 * may allocate nothing while they run: string.rep of an empty string,
 * table.move of nils, table.insert / remove at a length a __len
 * metamethod made up (string.rep("", math.maxinteger) ran until killed).
 * The table functions pay one instruction per step of their loop before
 * liblua's own function (upvalue 1) runs, so the budget and the wall
 * clock end them as they end a Lua loop. Arguments liblua would refuse
 * are left to it. */
static int sb_call_lib(lua_State *L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Each step of a table function reads or writes through the table's
 * __index / __newindex chain, which liblua walks in C, up to 2000 tables
 * (MAXTAGLOOP in lvm.c) per access, without running an instruction the
 * count hook could see. A chain of 1,990 tables made table.move of 45
 * million steps run 13 minutes past lua_seconds (an adversarial pass). A
 * step is charged 1 + the length of the chains it may walk. */
#define SB_CHAIN_MAX 2000
static uint64_t sb_chain(lua_State *L, int idx, const char *event) {
    if (lua_type(L, idx) != LUA_TTABLE) return 0;
    uint64_t n = 0;
    lua_pushvalue(L, idx);
    while (n < SB_CHAIN_MAX && lua_getmetatable(L, -1)) {   /* the raw metatable: __metatable does not hide it */
        lua_pushstring(L, event);
        int t = lua_rawget(L, -2) == LUA_TTABLE;            /* as liblua reads it: raw */
        lua_remove(L, -2);                                  /* the metatable */
        lua_remove(L, -2);                                  /* the previous table */
        if (!t) break;
        n++;
    }
    lua_pop(L, 1);
    return n;
}

static void sb_charge_steps_x(lua_State *L, lua_Integer from, lua_Integer to, uint64_t per_step) {
    /* from mininteger to maxinteger is 2^64 steps: the + 1 wrapped to a
     * charge of 0 (table.remove ran 2^64 times, an adversarial pass) */
    lua_Unsigned d = (lua_Unsigned)to - (lua_Unsigned)from;
    if (to < from) return;
    uint64_t steps = d == (lua_Unsigned)-1 ? UINT64_MAX : (uint64_t)d + 1u;
    sandbox_charge(L, per_step && steps > UINT64_MAX / per_step ? UINT64_MAX : steps * (per_step ? per_step : 1));
}

/* 1 + the chains a step through table idx (reading) and idx2 (writing) may walk */
static uint64_t sb_step_cost(lua_State *L, int idx, int idx2) {
    return 1 + sb_chain(L, idx, "__index") + (idx2 ? sb_chain(L, idx2, "__newindex") : 0);
}

/* argument i as liblua's luaL_checkinteger reads it (an integer, a float
 * with an integral value, a numeric string), or false */
static bool sb_int_arg(lua_State *L, int i, lua_Integer *v) {
    int ok = 0;
    *v = lua_tointegerx(L, i, &ok);
    return ok != 0;
}

/* string.rep: a result of n copies of a non-empty string or separator
 * allocates its size, which the memory cap bounds; only the empty result
 * loops for nothing, so it is answered here, as liblua would answer it */
static bool sb_empty_str(lua_State *L, int i) { return lua_type(L, i) == LUA_TSTRING && lua_rawlen(L, i) == 0; }

static int sb_rep(lua_State *L) {
    lua_Integer n;
    if (sb_int_arg(L, 2, &n) && sb_empty_str(L, 1) && (lua_isnoneornil(L, 3) || sb_empty_str(L, 3))) {
        lua_pushliteral(L, "");
        return 1;
    }
    return sb_call_lib(L);
}

static int sb_move(lua_State *L) {
    lua_Integer f, e;
    if (sb_int_arg(L, 2, &f) && sb_int_arg(L, 3, &e))
        sb_charge_steps_x(L, f, e, sb_step_cost(L, 1, lua_istable(L, 5) ? 5 : 1));
    return sb_call_lib(L);
}

/* table.unpack(t, i, j) and table.concat(t, sep, i, j): a read per element
 * from i (argument at, default 1) to j (at + 1, default #t). The length is
 * read once and handed to liblua as j: a __len that answers 1 here and
 * math.maxinteger to liblua would otherwise pass the charge. */
static int sb_read_range(lua_State *L, int at) {
    lua_Integer i = 1, j;
    if (lua_type(L, 1) == LUA_TTABLE && (lua_isnoneornil(L, at) || sb_int_arg(L, at, &i))) {
        bool given = !lua_isnoneornil(L, at + 1);
        if (given ? sb_int_arg(L, at + 1, &j) : (j = luaL_len(L, 1), true)) {
            if (!given) {
                if (lua_gettop(L) < at + 1) lua_settop(L, at + 1);
                lua_pushinteger(L, j);
                lua_replace(L, at + 1);
            }
            sb_charge_steps_x(L, i, j, sb_step_cost(L, 1, 0));
        }
    }
    return sb_call_lib(L);
}

static int sb_unpack(lua_State *L) { return sb_read_range(L, 2); }
static int sb_concat(lua_State *L) { return sb_read_range(L, 3); }

/* the length as liblua's insert and remove take it (__len included) */
static bool sb_len(lua_State *L, lua_Integer *n) {
    if (lua_type(L, 1) != LUA_TTABLE) return false;
    *n = luaL_len(L, 1);
    return true;
}

/* table.insert(t, pos, v) and table.remove(t[, pos]) on a table shift its
 * elements here, after reading its length once (liblua's own would read
 * __len again, which may answer otherwise: 1, then math.maxinteger, ran a
 * shift past the wall clock), as liblua's functions behave: positions out
 * of bounds are refused, reads and writes go through the metamethods. The
 * steps are paid up front (a made-up length ends the rule at once), and the
 * wall clock is looked at every SB_SHIFT_CLOCK steps. Other calls go to
 * liblua. */
#define SB_SHIFT_CLOCK 4096
static int sb_insert(lua_State *L) {
    lua_Integer n, pos;
    if (lua_gettop(L) != 3 || !sb_len(L, &n) || !sb_int_arg(L, 2, &pos)) return sb_call_lib(L);
    lua_Integer e = (lua_Integer)((lua_Unsigned)n + 1u);   /* the first empty slot, wrapping as Lua's + does */
    luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
    sb_charge_steps_x(L, pos, n, sb_step_cost(L, 1, 1));
    for (lua_Integer i = e, k = 0; i > pos; i--) {
        if (++k % SB_SHIFT_CLOCK == 0) sandbox_charge(L, 0);
        lua_geti(L, 1, i - 1);
        lua_seti(L, 1, i);
    }
    lua_pushvalue(L, 3);
    lua_seti(L, 1, pos);
    return 0;
}

static int sb_remove(lua_State *L) {
    lua_Integer n, pos = 0;
    if (!sb_len(L, &n) || (!lua_isnoneornil(L, 2) && !sb_int_arg(L, 2, &pos))) return sb_call_lib(L);
    if (lua_isnoneornil(L, 2)) pos = n;
    if (pos != n) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)n, 2, "position out of bounds");
    sb_charge_steps_x(L, pos, n, sb_step_cost(L, 1, 1));
    lua_geti(L, 1, pos);   /* the result */
    for (lua_Integer k = 0; pos < n; pos++) {
        if (++k % SB_SHIFT_CLOCK == 0) sandbox_charge(L, 0);
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

/* table.sort: liblua's sort reads, writes and compares inside one C call.
 * It is handed a comparator of ours that pays a step per comparison, and
 * one per 64 bytes of two strings it compares (sorting 200,000 references
 * to one 16 MiB string compared for minutes), then calls the rule's own
 * comparator or compares with '<'; the length read first pays a step per
 * element. */
static int sb_sort_cmp(lua_State *L) {
    uint64_t cost = (uint64_t)lua_tointeger(L, lua_upvalueindex(2));   /* 1 + the chains of the table */
    for (int i = 1; i <= 2; i++)
        if (lua_type(L, i) == LUA_TSTRING) cost += lua_rawlen(L, i) / 64;
    sandbox_charge(L, cost);
    if (lua_isnil(L, lua_upvalueindex(1))) {
        lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

static int sb_sort(lua_State *L) {
    lua_Integer n;
    int ct = lua_type(L, 2);
    if (!sb_len(L, &n) || (ct != LUA_TNONE && ct != LUA_TNIL && ct != LUA_TFUNCTION))
        return sb_call_lib(L);   /* liblua says what is wrong */
    uint64_t per = sb_step_cost(L, 1, 1);
    sb_charge_steps_x(L, 1, n, per);
    lua_settop(L, 2);
    lua_pushinteger(L, (lua_Integer)per);
    lua_pushcclosure(L, sb_sort_cmp, 2);   /* the rule's comparator (or nil) and the step cost as upvalues */
    return sb_call_lib(L);
}

static const luaL_Reg sb_string_wrappers[] = {{"rep", sb_rep}, {NULL, NULL}};
static const luaL_Reg sb_table_wrappers[] = {{"move", sb_move},     {"insert", sb_insert}, {"remove", sb_remove},
                                             {"sort", sb_sort},     {"unpack", sb_unpack}, {"concat", sb_concat},
                                             {NULL, NULL}};

/* the wrappers above over the library table at idx (those it has) */
static void sb_wrap_steps(lua_State *L, int idx, const luaL_Reg *wrappers) {
    for (const luaL_Reg *r = wrappers; r->name; r++) {
        if (lua_getfield(L, idx, r->name) != LUA_TFUNCTION) {
            lua_pop(L, 1);
            continue;
        }
        lua_pushcclosure(L, r->func, 1);
        lua_setfield(L, idx, r->name);
    }
}

int sandbox_stop(lua_State *L, const char *msg) {
    sandbox *sb = sandbox_from(L);
    if (sb->cause == SANDBOX_OK) sb->cause = SANDBOX_STOPPED;
    return luaL_error(L, "%s", msg);
}

/* The stub every removed function becomes; upvalue 1 is its name. */
static int sb_blocked(lua_State *L) {
    sandbox *sb = sandbox_from(L);
    const char *name = lua_tostring(L, lua_upvalueindex(1));
    if (sb->cause == SANDBOX_OK) {
        sb->cause = SANDBOX_BLOCKED;
        snprintf(sb->blocked, sizeof sb->blocked, "%s", name ? name : "?");
    }
    return luaL_error(L, "blocked call: %s (not available to rules)", name ? name : "?");
}

static void push_stub(lua_State *L, const char *name) {
    lua_pushstring(L, name);
    lua_pushcclosure(L, sb_blocked, 1);
}

/* print(...): tostring of each argument, tab-separated, to the host log
 * (stderr under CML_DEBUG_RULES=1, otherwise dropped; never stdout, which
 * carries the report). */
static int sb_print(lua_State *L) {
    sandbox *sb = sandbox_from(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_addvalue(&b);
        (void)s;
        (void)len;
    }
    luaL_pushresult(&b);
    if (sb->debug) {
        char line[4096];
        fprintf(stderr, "[rule %s] %s\n", sb->tag, san_buf(line, sizeof line, lua_tostring(L, -1), SAN_LINE));
    }
    return 0;
}

/* setmetatable(t, mt) as in lbaselib.c, refusing a metatable with __gc:
 * finalizers would run at points a rule cannot predict (and after its
 * budget), so they are not part of the rule API. */
static int sb_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: metatables with __gc are not allowed in rules");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* pairs(t) in a deterministic order. Lua 5.4 seeds its string hash from
 * the clock and addresses (lstate.c luai_makeseed), so next() walks a table
 * in a different order on every run; a rule that reports or stops inside a
 * pairs loop would then differ from run to run. Our pairs snapshots the
 * keys and sorts them: integers ascending, then other numbers ascending,
 * then strings in byte order, then false, true, and any other keys last
 * (in next() order). A __pairs metamethod is honoured as in Lua. The
 * snapshot costs one instruction per key; keys assigned during the loop
 * are not visited, keys cleared during it are skipped. */
typedef struct pkey {
    int rank;                 /* 0 integer, 1 float, 2 string, 3 boolean, 4 other */
    lua_Integer i;
    lua_Number f;
    const char *s;
    size_t len;
    lua_Integer pos;          /* index in the key snapshot */
} pkey;

static int pkey_cmp(const void *pa, const void *pb) {
    const pkey *a = pa, *b = pb;
    if (a->rank != b->rank) return a->rank < b->rank ? -1 : 1;
    switch (a->rank) {
    case 0: return a->i < b->i ? -1 : a->i > b->i;
    case 1: return a->f < b->f ? -1 : a->f > b->f;
    case 2: {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, n);
        if (c) return c;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    case 3: return (int)a->i - (int)b->i;
    default: return a->pos < b->pos ? -1 : a->pos > b->pos;
    }
}

/* upvalues: 1 the table, 2 the sorted keys, 3 the next position */
static int sb_pairs_step(lua_State *L) {
    lua_Integer i = lua_tointeger(L, lua_upvalueindex(3));
    for (;;) {
        if (lua_rawgeti(L, lua_upvalueindex(2), ++i) == LUA_TNIL) return 0;
        lua_pushvalue(L, -1);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) break;   /* cleared meanwhile: skip */
        lua_pop(L, 2);
    }
    lua_pushinteger(L, i);
    lua_replace(L, lua_upvalueindex(3));
    return 2;
}

static int sb_pairs(lua_State *L) {
    if (luaL_getmetafield(L, 1, "__pairs") != LUA_TNIL) {
        lua_pushvalue(L, 1);
        lua_call(L, 1, 3);
        return 3;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_newtable(L);                                  /* 2: keys in next() order */
    lua_Integer n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_rawseti(L, 2, ++n);
    }
    sandbox_charge(L, (uint64_t)n);
    pkey *k = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *k, 0);   /* 3: GC-owned */
    for (lua_Integer i = 1; i <= n; i++) {
        pkey *p = &k[i - 1];
        memset(p, 0, sizeof *p);
        p->pos = i;
        int t = lua_rawgeti(L, 2, i);
        if (t == LUA_TNUMBER && lua_isinteger(L, -1)) {
            p->rank = 0;
            p->i = lua_tointeger(L, -1);
        } else if (t == LUA_TNUMBER) {
            p->rank = 1;
            p->f = lua_tonumber(L, -1);
        } else if (t == LUA_TSTRING) {
            p->rank = 2;
            p->s = lua_tolstring(L, -1, &p->len);     /* anchored by the key table */
        } else if (t == LUA_TBOOLEAN) {
            p->rank = 3;
            p->i = lua_toboolean(L, -1);
        } else {
            p->rank = 4;
        }
        lua_pop(L, 1);
    }
    if (n > 1) qsort(k, (size_t)n, sizeof *k, pkey_cmp);
    lua_createtable(L, (int)(n < 1000000 ? n : 0), 0);   /* 4: sorted keys */
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, k[i - 1].pos);
        lua_rawseti(L, 4, i);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 4);
    lua_pushinteger(L, 0);
    lua_pushcclosure(L, sb_pairs_step, 3);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* Message handler: the message plus a traceback. */
static int sb_msgh(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static int sb_panic(lua_State *L) {
    sandbox *sb = sandbox_from(L);
    const char *msg = lua_tostring(L, -1);
    char line[4096];
    fprintf(stderr, "coreml-lint: unprotected Lua error in rule %s: %s\n", sb && sb->tag ? sb->tag : "?",
            san_buf(line, sizeof line, msg ? msg : "?", SAN_LINE));
    abort();
}

/* }====================================================================== */

/* ** {======================================================================
** Building the environment (runs in protected mode)
** ======================================================================= */

static int sb_setup(lua_State *L) {
    sandbox *sb = lua_touserdata(L, 1);
    lua_settop(L, 0);
    luaL_checkstack(L, 16, "sandbox setup");
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);    /* 1: the real globals */
    lua_createtable(L, 0, 64);                       /* 2: env (about 50 names) */
    /* base: allowed functions, stubs for the rest */
    for (const char *const *n = base_allow; *n; n++) {
        if (!strcmp(*n, "print"))
            lua_pushcfunction(L, sb_print);
        else if (!strcmp(*n, "pairs"))
            lua_pushcfunction(L, sb_pairs);
        else if (!strcmp(*n, "setmetatable"))
            lua_pushcfunction(L, sb_setmetatable);
        else
            lua_getfield(L, 1, *n);
        lua_setfield(L, 2, *n);
    }
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION &&
            !in_list(base_allow, lua_tostring(L, -2))) {
            const char *k = lua_tostring(L, -2);
            push_stub(L, k);
            lua_setfield(L, 2, k);
        }
        lua_pop(L, 1);
    }
    /* allowed libraries, patched in place (the string metatable's __index
     * is the same table) */
    for (size_t i = 0; i < sizeof allowed_libs / sizeof *allowed_libs; i++) {
        const sb_lib *lib = &allowed_libs[i];
        luaL_requiref(L, lib->name, lib->open, 0);   /* 3: the library */
        if (!strcmp(lib->name, LUA_MATHLIBNAME)) {
            lua_getfield(L, 3, "randomseed");
            sb->seed_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        } else if (!strcmp(lib->name, LUA_STRLIBNAME)) {
            lua_getfield(L, 3, "format");
            sb->format_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            /* the pattern functions the count hook cannot see into */
            luapat_register(L, 3, &sb_pattern_hooks);
        }
        if (!strcmp(lib->name, LUA_STRLIBNAME)) sb_wrap_steps(L, 3, sb_string_wrappers);
        if (!strcmp(lib->name, LUA_TABLIBNAME)) sb_wrap_steps(L, 3, sb_table_wrappers);
        lua_pushnil(L);
        while (lua_next(L, 3)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING || in_list(lib->allow, lua_tostring(L, -1))) continue;
            const char *k = lua_tostring(L, -1);
            lua_pushvalue(L, -1);                        /* key */
            if (lua_getfield(L, 3, k) == LUA_TFUNCTION) {
                lua_pop(L, 1);
                char full[64];
                snprintf(full, sizeof full, "%s.%s", lib->name, k);
                push_stub(L, full);
            } else {
                lua_pop(L, 1);
                lua_pushnil(L);                          /* clearing a field during next is allowed */
            }
            lua_rawset(L, 3);
        }
        lua_setfield(L, 2, lib->name);
    }
    /* globals and libraries of a full Lua that we never open */
    blocked_names_init();
    for (size_t i = 0; i < sb_n_blocked; i++) {
        const char *full = sb_blocked_names[i];
        const char *dot = strchr(full, '.');
        if (!dot) {
            if (lua_getfield(L, 2, full) == LUA_TNIL) {
                push_stub(L, full);
                lua_setfield(L, 2, full);
            }
            lua_pop(L, 1);
            continue;
        }
        const char *lib = sb_blocked_libs[i];
        if (lua_getfield(L, 2, lib) != LUA_TTABLE) {
            lua_pop(L, 1);
            lua_createtable(L, 0, 16);
            lua_pushvalue(L, -1);
            lua_setfield(L, 2, lib);
        }
        push_stub(L, full);
        lua_setfield(L, -2, dot + 1);
        lua_pop(L, 1);
    }
    for (const char *const *c = compat_stubs; *c; c++) {
        lua_getfield(L, 2, LUA_MATHLIBNAME);
        push_stub(L, *c);
        lua_setfield(L, -2, strchr(*c, '.') + 1);
        lua_pop(L, 1);
    }
    /* the string metatable is the host's */
    lua_pushliteral(L, "");
    if (lua_getmetatable(L, -1)) {
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    /* env becomes the global table too: nothing else stays reachable */
    lua_pushvalue(L, 2);
    sb->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, 2);
    lua_rawseti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);
    lua_settop(L, 0);
    return 0;
}

/* }====================================================================== */

sandbox *sandbox_new(const sandbox_limits *lim, const char *tag, const char **err) {
    sandbox *sb = calloc(1, sizeof *sb);
    if (!sb) {
        if (err) *err = "out of memory";
        return NULL;
    }
    sb->lim = lim ? *lim : sandbox_limits_default();
    if (sb->lim.hook_period == 0) sb->lim.hook_period = SANDBOX_HOOK_PERIOD;
    sb->tag = strdup(tag ? tag : "?");
    const char *dbg = getenv("CML_DEBUG_RULES");
    sb->debug = dbg && !strcmp(dbg, "1");
    sb->env_ref = sb->seed_ref = sb->format_ref = LUA_NOREF;
    sb->budget = UINT64_MAX;
    sb->period = sb->lim.hook_period;
    sb->heap = sb->tag ? sbheap_new() : NULL;
    sb->L = sb->heap ? lua_newstate(sb_alloc, sb) : NULL;
    if (!sb->L) {
        if (err) *err = "cannot create a Lua state (out of memory)";
        sbheap_free(sb->heap);
        free(sb->tag);
        free(sb);
        return NULL;
    }
    lua_atpanic(sb->L, sb_panic);
    if (sandbox_cpcall(sb, sb_setup, sb) != LUA_OK) {
        if (err) *err = "cannot build the rule environment (memory cap too small?)";
        sandbox_free(sb);
        return NULL;
    }
    lua_sethook(sb->L, sb_hook, LUA_MASKCOUNT, (int)sb->period);
    return sb;
}

void sandbox_free(sandbox *sb) {
    if (!sb) return;
    if (sb->L) lua_close(sb->L);
    sbheap_free(sb->heap);   /* after lua_close: every block is back */
    free(sb->tag);
    free(sb);
}

void sandbox_arm(sandbox *sb, uint64_t budget) {
    lua_State *L = sb->L;
    sb->count = 0;
    sb->budget = budget;
    sb->cause = SANDBOX_OK;
    sb->blocked[0] = 0;
    sb->mem_refused = 0;
    sb->period = sb->lim.hook_period;
    sb->deadline_ns = 0;   /* reseeding below is ours: outside the clock */
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, (int)sb->period);
    /* math.randomseed(SB_SEED, 0) with the library's own closure */
    if (sb->seed_ref != LUA_NOREF && lua_checkstack(L, 3)) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, sb->seed_ref);
        lua_pushinteger(L, (lua_Integer)SB_SEED);
        lua_pushinteger(L, 0);
        if (lua_pcall(L, 2, 0, 0) != LUA_OK) lua_pop(L, 1);
    }
    sb->count = 0;
    sb->mem_refused = 0;
    sb->deadline_ns = sb->lim.time_ms ? sb_now_ns() + (uint64_t)sb->lim.time_ms * 1000000u : 0;
}

/* load a chunk in `mode` and give it the sandbox _ENV */
static int sb_load(sandbox *sb, const char *buf, size_t len, const char *chunkname, const char *mode) {
    lua_State *L = sb->L;
    int st = luaL_loadbufferx(L, buf, len, chunkname, mode);
    if (st != LUA_OK) return st;
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->env_ref);
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);   /* a chunk always has _ENV first */
    return LUA_OK;
}

/* A rule file as `lua FILE` reads it (luaL_loadfilex): a UTF-8 byte order
 * mark, which some editors write, is skipped, and so is a first line that
 * starts with '#' (its newline is kept, so line numbers stay the file's).
 * Refused as Lua text before, a BOM read "unexpected symbol near '<\239>'"
 * with nothing visible in the file to fix. */
int sandbox_load(sandbox *sb, const char *buf, size_t len, const char *chunkname) {
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) buf += 3, len -= 3;
    if (len && buf[0] == '#') {
        const char *nl = memchr(buf, '\n', len);
        size_t skip = nl ? (size_t)(nl - buf) : len;
        buf += skip, len -= skip;
    }
    return sb_load(sb, buf, len, chunkname, "t");
}

int sandbox_load_precompiled(sandbox *sb, const unsigned char *code, size_t len, const char *chunkname) {
    return sb_load(sb, (const char *)code, len, chunkname, "b");
}

int sandbox_pcall(sandbox *sb, int nargs, int nresults) {
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs;   /* the function's index */
    lua_pushcfunction(L, sb_msgh);
    lua_insert(L, base);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return st;
}

int sandbox_cpcall(sandbox *sb, lua_CFunction f, void *ud) {
    lua_State *L = sb->L;
    if (!lua_checkstack(L, 4)) return LUA_ERRMEM;
    lua_pushcfunction(L, f);
    lua_pushlightuserdata(L, ud);
    return sandbox_pcall(sb, 1, 0);
}

sandbox_cause sandbox_classify(const sandbox *sb, int status, const char *msg) {
    if (status == LUA_OK) return SANDBOX_OK;
    if (sb->cause == SANDBOX_BUDGET || sb->cause == SANDBOX_BLOCKED || sb->cause == SANDBOX_STOPPED ||
        sb->cause == SANDBOX_TIMEOUT || sb->cause == SANDBOX_MEMORY)   /* MEMORY: the host's copies (ir.c) */
        return sb->cause;
    if (status == LUA_ERRMEM) return SANDBOX_MEMORY;
    /* lauxlib's buffers raise "not enough memory" as a plain error */
    if (sb->mem_refused && (status == LUA_ERRERR || (msg && strstr(msg, "not enough memory"))))
        return SANDBOX_MEMORY;
    return SANDBOX_ERROR;
}

const char *sandbox_cause_kind(sandbox_cause c) {
    switch (c) {
    case SANDBOX_ERROR: return "rule/error";
    case SANDBOX_BUDGET: return "rule/budget-exceeded";
    case SANDBOX_MEMORY: return "rule/memory-exceeded";
    case SANDBOX_BLOCKED: return "rule/blocked-call";
    case SANDBOX_TIMEOUT: return "rule/timeout";
    default: return NULL;
    }
}

/* ** {======================================================================
** The surface, for tests/lua/globals.txt
** ======================================================================= */

typedef struct surface {
    char **items;
    size_t n, cap;
} surface;

static void surface_add(surface *s, const char *prefix, const char *name, bool blocked) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 128;
        char **ni = realloc(s->items, cap * sizeof *ni);
        if (!ni) return;
        s->items = ni;
        s->cap = cap;
    }
    size_t len = strlen(name) + (prefix ? strlen(prefix) + 1 : 0) + 12;
    char *it = malloc(len);
    if (!it) return;
    snprintf(it, len, "%s%s%s%s", prefix ? prefix : "", prefix ? "." : "", name, blocked ? " (blocked)" : "");
    s->items[s->n++] = it;
}

static bool is_stub(lua_State *L, int idx) { return lua_tocfunction(L, idx) == sb_blocked; }

static int sb_surface(lua_State *L) {
    surface *s = lua_touserdata(L, 1);
    sandbox *sb = sandbox_from(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, sb->env_ref);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            surface_add(s, NULL, k, is_stub(L, -1));
            if (lua_type(L, -1) == LUA_TTABLE) {
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    if (lua_type(L, -2) == LUA_TSTRING) surface_add(s, k, lua_tostring(L, -2), is_stub(L, -1));
                    lua_pop(L, 1);
                }
            }
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char *sandbox_surface(sandbox *sb) {
    surface s = {0};
    char *out = NULL;
    if (sandbox_cpcall(sb, sb_surface, &s) != LUA_OK) {
        lua_pop(sb->L, 1);
    } else {
        if (s.n) qsort(s.items, s.n, sizeof *s.items, cmp_str);
        size_t len = 1;
        for (size_t i = 0; i < s.n; i++) len += strlen(s.items[i]) + 1;
        out = malloc(len);
        if (out) {
            char *p = out;
            for (size_t i = 0; i < s.n; i++) {
                size_t k = strlen(s.items[i]);
                memcpy(p, s.items[i], k);
                p[k] = '\n';
                p += k + 1;
            }
            *p = 0;
        }
    }
    for (size_t i = 0; i < s.n; i++) free(s.items[i]);
    free(s.items);
    return out;
}
