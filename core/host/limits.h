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

/* The defaults, keys, bounds and descriptions are one table in limits.c. */
host_limits host_limits_default(void);

/* Clamp l so that no limit is looser than in ceiling (more memory or
 * instructions, a longer time-out, less plugin isolation). Returns the
 * number of limits changed; their keys, comma-separated, go to keys. */
size_t host_limits_clamp(host_limits *l, const host_limits *ceiling, char *keys, size_t cap);

/* The i-th key of the "limits" object (NULL past the last), with its
 * description and its default as written ("64", "auto") when asked. */
const char *host_limit_key(size_t i, const char **about, char *dflt, size_t cap);
/* The bounds of the i-th key's value as written (seconds: lo exclusive). */
void host_limit_bounds(size_t i, double *lo, double *hi);
/* "lua_memory_mb, lua_instructions, ...": every key; returns the length. */
size_t host_limit_key_list(char *buf, size_t cap);
/* Set one limit from its key and JSON value ("lua_memory_mb": 128,
 * "plugin_isolation": "always"). 0, or -1 with err naming the key and what
 * it takes. */
int host_limit_set(host_limits *l, const char *key, const cJSON *v, char *err, size_t errlen);
/* The same from the command line's "KEY=VALUE" (VALUE JSON or a bare word). */
int host_limit_set_text(host_limits *l, const char *kv, char *err, size_t errlen);

#endif
