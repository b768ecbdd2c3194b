/* lua_sandbox.h — the Lua 5.4 state every rule file runs in.
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
#ifndef CML_LUA_SANDBOX_H
#define CML_LUA_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lua.h>

/* Limits of one rule state. Budgets are counted in Lua VM instructions
 * (plus the cost host functions charge for their own work), never in wall
 * time, so a failure is the same on every machine. */
typedef struct lua_sandbox_limits {
    size_t mem_cap;           /* bytes per state (allocator cap) */
    uint64_t load_budget;     /* instructions to run the rule file once */
    uint64_t check_budget;    /* instructions per check(model, ctx) */
    unsigned hook_period;     /* count-hook period in instructions */
} lua_sandbox_limits;

#define LUA_SANDBOX_MEM_CAP ((size_t)64 << 20)          /* 64 MiB */
#define LUA_SANDBOX_LOAD_BUDGET ((uint64_t)1000000)      /* 1 million */
#define LUA_SANDBOX_CHECK_BUDGET ((uint64_t)50000000)    /* 50 million */
#define LUA_SANDBOX_HOOK_PERIOD 1000u

/* The defaults above as a struct. */
lua_sandbox_limits lua_sandbox_limits_default(void);

/* The limits the "lua" engine (host_lua.c) gives every rule state it
 * creates from now on (NULL: back to the defaults), and the current ones.
 * Tests lower them; a config key could raise them. */
void host_lua_set_limits(const lua_sandbox_limits *lim);
lua_sandbox_limits host_lua_limits(void);

/* Why a protected call failed, first cause wins. Memory failures are
 * classified from the call status and the allocator's refusals
 * (lua_sandbox_classify). */
typedef enum lua_sandbox_cause {
    LUA_SANDBOX_OK = 0,
    LUA_SANDBOX_ERROR,        /* a runtime error raised by the rule */
    LUA_SANDBOX_BUDGET,       /* instruction budget exhausted */
    LUA_SANDBOX_MEMORY,       /* allocation refused at the cap */
    LUA_SANDBOX_BLOCKED,      /* a removed function was called */
    LUA_SANDBOX_STOPPED       /* the host stopped the rule (report flood) */
} lua_sandbox_cause;

typedef struct lua_sandbox {
    lua_State *L;
    lua_sandbox_limits lim;
    char *tag;                /* rule id, for print and the panic message */
    bool debug;               /* CML_DEBUG_RULES=1: print and tracebacks to stderr */
    /* allocator */
    size_t mem_used, mem_peak;
    uint64_t mem_refused;     /* allocations refused at the cap since arm */
    /* budget */
    uint64_t count, budget;
    unsigned period;          /* current hook period (1 once exhausted) */
    /* first cause raised by host code since arm */
    lua_sandbox_cause cause;
    char blocked[64];         /* the blocked function's name */
    int env_ref;              /* the rule's _ENV table */
    int seed_ref;             /* the real math.randomseed closure */
    int format_ref;           /* the real string.format */
    void *user;               /* lua_ir binding state */
} lua_sandbox;

/* A new state with the rule environment, or NULL (out of memory; *err
 * says why when err is non-NULL: a static string). tag is copied. */
lua_sandbox *lua_sandbox_new(const lua_sandbox_limits *lim, const char *tag, const char **err);
void lua_sandbox_free(lua_sandbox *sb);
/* The sandbox that owns L (the allocator's user data). */
lua_sandbox *lua_sandbox_from(lua_State *L);

/* Start a phase: reset the budget to `budget` instructions, the cause, the
 * refusal count and the hook period; reseed math.random (same seed every
 * phase, so a rule's random numbers do not depend on earlier models). */
void lua_sandbox_arm(lua_sandbox *sb, uint64_t budget);

/* Charge `cost` instructions for work a host function does in C (a C
 * function is invisible to the count hook). Raises when the budget is
 * exhausted.                                                 [-0, +0, v] */
void lua_sandbox_charge(lua_State *L, uint64_t cost);
/* Stop the rule from host code: records LUA_SANDBOX_STOPPED and raises
 * msg.                                                        [-0, +0, v] */
int lua_sandbox_stop(lua_State *L, const char *msg);

/* Load a rule file's text as a chunk (mode "t": binary chunks refused)
 * named `chunkname` ("@rules/meta/x.lua") with the sandbox _ENV as its
 * environment. Returns a lua_load status; pushes the chunk or the
 * message.                                                   [-0, +1, -] */
int lua_sandbox_load(lua_sandbox *sb, const char *buf, size_t len, const char *chunkname);

/* lua_pcall with the traceback message handler.     [-(nargs+1), +(nres|1), -] */
int lua_sandbox_pcall(lua_sandbox *sb, int nargs, int nresults);
/* Call f(ud) in protected mode (host-side setup that may allocate).
 * On failure the message is left on the stack.               [-0, +(0|1), -] */
int lua_sandbox_cpcall(lua_sandbox *sb, lua_CFunction f, void *ud);

/* Classify a failed call from its status and the recorded cause;
 * `msg` is the error message (may be NULL). */
lua_sandbox_cause lua_sandbox_classify(const lua_sandbox *sb, int status, const char *msg);
/* "rule/error", "rule/budget-exceeded", "rule/memory-exceeded",
 * "rule/blocked-call"; NULL for OK and STOPPED. */
const char *lua_sandbox_cause_kind(lua_sandbox_cause c);

/* Every global and library field a rule can see, sorted, one per line:
 * "string.format", "io.open (blocked)". malloc'd; NULL on failure.
 * tests/lua/globals.txt is its snapshot. */
char *lua_sandbox_surface(lua_sandbox *sb);

#endif
