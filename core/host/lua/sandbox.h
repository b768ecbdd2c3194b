/* SPDX-License-Identifier: Apache-2.0 */
/* sandbox.h — the Lua 5.4 state every rule file runs in.
 *
 * Built from Lua's public primitives only (we link Debian's liblua5.4 and
 * cannot patch the interpreter), after Suricata's util-lua-sandbox.c: a
 * counting allocator with a cap, a count hook with a deterministic
 * instruction budget that re-arms itself on every instruction once exhausted
 * (Redis), an environment built by allow list where every removed function
 * is a stub raising "blocked call: NAME", protected metatables (the string
 * metatable too), `setmetatable` refusing `__gc`, `print` routed to the host
 * log and `math.random` seeded deterministically. The first cause that
 * stopped the rule is recorded so the engine can classify a failure
 * (budget, memory, blocked call, stopped by the host, plain error). One
 * sandbox = one lua_State = one rule file (host_lua.c); lua_ir.c binds the
 * model IR into it. */
#ifndef CML_HOST_LUA_SANDBOX_H
#define CML_HOST_LUA_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

#include "host/limits.h"

/* Limits of one rule state. Budgets are counted in Lua VM instructions
 * (plus the cost host functions charge for their own work), so an exhausted
 * budget is the same on every machine; the wall clock is the backstop for
 * whatever the count cannot see. */
typedef struct sandbox_limits {
    size_t mem_cap;           /* bytes per state (allocator cap) */
    uint64_t load_budget;     /* instructions to run the rule file once */
    uint64_t check_budget;    /* instructions per check(model, ctx) */
    unsigned hook_period;     /* count-hook period in instructions */
    unsigned time_ms;         /* wall clock per phase (load, each check); 0: none */
} sandbox_limits;

#define SANDBOX_HOOK_PERIOD 1000u

/* The host's default limits (host/limits.h) as a sandbox's. */
sandbox_limits sandbox_limits_default(void);
/* The run's limits (host/limits.h) as a sandbox's; NULL: the defaults. */
sandbox_limits sandbox_limits_from(const host_limits *l);

/* Why a protected call failed, first cause wins. Memory failures are
 * classified from the call status and the allocator's refusals
 * (sandbox_classify). */
typedef enum sandbox_cause {
    SANDBOX_OK = 0,
    SANDBOX_ERROR,        /* a runtime error raised by the rule */
    SANDBOX_BUDGET,       /* instruction budget exhausted */
    SANDBOX_MEMORY,       /* allocation refused at the cap */
    SANDBOX_BLOCKED,      /* a removed function was called */
    SANDBOX_STOPPED,      /* the host stopped the rule (report flood) */
    SANDBOX_TIMEOUT       /* the phase's wall clock ran out */
} sandbox_cause;

typedef struct sandbox {
    lua_State *L;
    sandbox_limits lim;
    char *tag;                /* rule id, for print and the panic message */
    bool debug;               /* CML_DEBUG_RULES=1: print and tracebacks to stderr */
    /* allocator */
    struct sbheap *heap;      /* the state's blocks (sbheap.h) */
    size_t mem_used, mem_peak;
    uint64_t mem_refused;     /* allocations refused at the cap since arm */
    /* budget */
    uint64_t count, budget;
    unsigned period;          /* current hook period (1 once exhausted) */
    uint64_t deadline_ns;     /* CLOCK_MONOTONIC end of the phase; 0: none */
    /* first cause raised by host code since arm */
    sandbox_cause cause;
    char blocked[64];         /* the blocked function's name */
    int env_ref;              /* the rule's _ENV table */
    int seed_ref;             /* the real math.randomseed closure */
    int format_ref;           /* the real string.format */
    void *user;               /* lua_ir binding state */
} sandbox;

/* A new state with the rule environment, or NULL (out of memory; *err
 * says why when err is non-NULL: a static string). tag is copied. */
sandbox *sandbox_new(const sandbox_limits *lim, const char *tag, const char **err);
void sandbox_free(sandbox *sb);
/* The sandbox that owns L (the allocator's user data). */
sandbox *sandbox_from(lua_State *L);

/* Start a phase: reset the budget to `budget` instructions, the wall clock
 * to lim.time_ms from now, the cause, the refusal count and the hook
 * period; reseed math.random (same seed every phase, so a rule's random
 * numbers do not depend on earlier models). The count hook checks the wall
 * clock every hook_period instructions and sandbox_charge whenever host
 * code charges, which the string library's pattern functions do step by
 * step (patterns.h): a pattern that backtracks forever inside one C call
 * still ends as a time-out (or an exhausted budget). */
void sandbox_arm(sandbox *sb, uint64_t budget);

/* Charge `cost` instructions for work a host function does in C (a C
 * function is invisible to the count hook). Raises when the budget is
 * exhausted or the wall clock has run out.                  [-0, +0, v] */
void sandbox_charge(lua_State *L, uint64_t cost);
/* Stop the rule from host code: records SANDBOX_STOPPED and raises
 * msg.                                                        [-0, +0, v] */
int sandbox_stop(lua_State *L, const char *msg);

/* Load a rule file's text as a chunk (mode "t": binary chunks refused)
 * named `chunkname` ("@rules/meta/x.lua") with the sandbox _ENV as its
 * environment. Returns a lua_load status; pushes the chunk or the
 * message.                                                   [-0, +1, -] */
int sandbox_load(sandbox *sb, const char *buf, size_t len, const char *chunkname);
/* The same with a chunk compiled by the build (bytecode.h: never a file's
 * bytes; binary chunks are refused everywhere else) */
int sandbox_load_precompiled(sandbox *sb, const unsigned char *code, size_t len, const char *chunkname);

/* lua_pcall with the traceback message handler.     [-(nargs+1), +(nres|1), -] */
int sandbox_pcall(sandbox *sb, int nargs, int nresults);
/* Call f(ud) in protected mode (host-side setup that may allocate).
 * On failure the message is left on the stack.               [-0, +(0|1), -] */
int sandbox_cpcall(sandbox *sb, lua_CFunction f, void *ud);

/* Classify a failed call from its status and the recorded cause;
 * `msg` is the error message (may be NULL). */
sandbox_cause sandbox_classify(const sandbox *sb, int status, const char *msg);
/* "rule/error", "rule/budget-exceeded", "rule/memory-exceeded",
 * "rule/blocked-call", "rule/timeout"; NULL for OK and STOPPED. */
const char *sandbox_cause_kind(sandbox_cause c);

/* Every global and library field a rule can see, sorted, one per line:
 * "string.format", "io.open (blocked)". malloc'd; NULL on failure.
 * tests/lua/globals.txt is its snapshot. */
char *sandbox_surface(sandbox *sb);

#endif
