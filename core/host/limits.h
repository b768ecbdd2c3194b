/* SPDX-License-Identifier: Apache-2.0 */
/* limits.h — the bounds the host puts on rules, as explicit settings: the
 * configuration's "limits" object and the command line's --limit flags
 * fill them (command line last); engines read them from the run, never
 * from globals. Budgets are counted in Lua VM instructions (the same on
 * every machine); the Lua and plugin time-outs are wall-clock (a Lua rule's
 * is checked by its count hook and by every host function that charges). */
#ifndef CML_HOST_LIMITS_H
#define CML_HOST_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef enum plugin_isolation {
    ISOLATE_AUTO = 0,         /* third-party plugins in a forked child, bundled ones in process */
    ISOLATE_ALWAYS,           /* every plugin in a child */
    ISOLATE_NEVER             /* every plugin in process (debugging) */
} plugin_isolation;

typedef struct host_limits {
    size_t lua_memory;        /* bytes per Lua rule state (allocator cap) */
    uint64_t lua_load_instructions;  /* to run a rule file once */
    uint64_t lua_check_instructions; /* per check(model, ctx) */
    unsigned lua_timeout_ms;         /* wall clock per Lua rule load and per check(model, ctx):
                                        what the instruction count cannot see (time in C) */
    unsigned plugin_timeout_ms;      /* wall clock per isolated plugin check */
    plugin_isolation isolation;
} host_limits;

#define LIMIT_LUA_MEMORY ((size_t)64 << 20)               /* 64 MiB */
#define LIMIT_LUA_LOAD_INSTRUCTIONS ((uint64_t)1000000)   /* 1 million */
#define LIMIT_LUA_CHECK_INSTRUCTIONS ((uint64_t)50000000) /* 50 million */
#define LIMIT_LUA_TIMEOUT_MS 10000u                       /* 10 s */
#define LIMIT_PLUGIN_TIMEOUT_MS 10000u                    /* 10 s */

host_limits host_limits_default(void);

/* Clamp l so that no limit is looser than in ceiling (more memory or
 * instructions, a longer time-out, less plugin isolation). Returns the
 * number of limits changed; their keys, comma-separated, go to keys. */
size_t host_limits_clamp(host_limits *l, const host_limits *ceiling, char *keys, size_t cap);

/* The keys of the "limits" object, as the schema lists them. */
const char *const *host_limit_keys(size_t *n);
/* Set one limit from its key and JSON value ("lua_memory_mb": 128,
 * "plugin_isolation": "always"). 0, or -1 with err naming the key and what
 * it takes. */
int host_limit_set(host_limits *l, const char *key, const cJSON *v, char *err, size_t errlen);

#endif
