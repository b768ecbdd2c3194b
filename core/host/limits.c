/* SPDX-License-Identifier: Apache-2.0 */
/* limits.c — the "limits" settings (limits.h): defaults, keys, and one
 * setter shared by the configuration file and the command line. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "host/limits.h"

host_limits host_limits_default(void) {
    return (host_limits){.lua_memory = LIMIT_LUA_MEMORY,
                         .lua_load_instructions = LIMIT_LUA_LOAD_INSTRUCTIONS,
                         .lua_check_instructions = LIMIT_LUA_CHECK_INSTRUCTIONS,
                         .lua_timeout_ms = LIMIT_LUA_TIMEOUT_MS,
                         .plugin_timeout_ms = LIMIT_PLUGIN_TIMEOUT_MS,
                         .isolation = ISOLATE_AUTO};
}

static void add_key(char *keys, size_t cap, size_t n, const char *k) {
    size_t o = strlen(keys);
    if (o < cap) snprintf(keys + o, cap - o, "%s%s", n ? ", " : "", k);
}

/* How strict an isolation setting is: never < auto < always. */
static int isolation_rank(plugin_isolation i) { return i == ISOLATE_NEVER ? 0 : i == ISOLATE_AUTO ? 1 : 2; }

size_t host_limits_clamp(host_limits *l, const host_limits *c, char *keys, size_t cap) {
    size_t n = 0;
    if (cap) keys[0] = 0;
    if (l->lua_memory > c->lua_memory) l->lua_memory = c->lua_memory, add_key(keys, cap, n++, "lua_memory_mb");
    if (l->lua_check_instructions > c->lua_check_instructions)
        l->lua_check_instructions = c->lua_check_instructions, add_key(keys, cap, n++, "lua_instructions");
    if (l->lua_load_instructions > c->lua_load_instructions)
        l->lua_load_instructions = c->lua_load_instructions, add_key(keys, cap, n++, "lua_load_instructions");
    if (l->lua_timeout_ms > c->lua_timeout_ms)
        l->lua_timeout_ms = c->lua_timeout_ms, add_key(keys, cap, n++, "lua_seconds");
    if (l->plugin_timeout_ms > c->plugin_timeout_ms)
        l->plugin_timeout_ms = c->plugin_timeout_ms, add_key(keys, cap, n++, "plugin_timeout_seconds");
    if (isolation_rank(l->isolation) < isolation_rank(c->isolation))
        l->isolation = c->isolation, add_key(keys, cap, n++, "plugin_isolation");
    return n;
}

static const char *const KEYS[] = {"lua_memory_mb",          "lua_instructions", "lua_load_instructions",
                                   "lua_seconds",            "plugin_timeout_seconds", "plugin_isolation"};

const char *const *host_limit_keys(size_t *n) {
    if (n) *n = sizeof KEYS / sizeof KEYS[0];
    return KEYS;
}

/* A whole number in [lo, hi]. */
static bool whole(const cJSON *v, double lo, double hi, double *out) {
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= lo && d <= hi) || floor(d) != d) return false;
    *out = d;
    return true;
}

int host_limit_set(host_limits *l, const char *key, const cJSON *v, char *err, size_t errlen) {
    double d;
    if (!strcmp(key, "lua_memory_mb")) {
        if (!whole(v, 1, 65536, &d)) goto bad_num;
        l->lua_memory = (size_t)d << 20;
    } else if (!strcmp(key, "lua_instructions")) {
        if (!whole(v, 1000, 1e15, &d)) goto bad_num;
        l->lua_check_instructions = (uint64_t)d;
    } else if (!strcmp(key, "lua_load_instructions")) {
        if (!whole(v, 1000, 1e15, &d)) goto bad_num;
        l->lua_load_instructions = (uint64_t)d;
    } else if (!strcmp(key, "lua_seconds")) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 86400)) goto bad_num;
        l->lua_timeout_ms = (unsigned)ceil(v->valuedouble * 1000);
    } else if (!strcmp(key, "plugin_timeout_seconds")) {
        if (!cJSON_IsNumber(v) || !(v->valuedouble > 0 && v->valuedouble <= 86400)) goto bad_num;
        l->plugin_timeout_ms = (unsigned)ceil(v->valuedouble * 1000);
    } else if (!strcmp(key, "plugin_isolation")) {
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        if (s && !strcmp(s, "auto")) l->isolation = ISOLATE_AUTO;
        else if (s && !strcmp(s, "always")) l->isolation = ISOLATE_ALWAYS;
        else if (s && !strcmp(s, "never")) l->isolation = ISOLATE_NEVER;
        else {
            snprintf(err, errlen, "limits: plugin_isolation must be \"auto\", \"always\" or \"never\"");
            return -1;
        }
    } else {
        snprintf(err, errlen, "limits: unknown key '%s' (known: lua_memory_mb, lua_instructions, "
                              "lua_load_instructions, lua_seconds, plugin_timeout_seconds, plugin_isolation)", key);
        return -1;
    }
    return 0;
bad_num:
    snprintf(err, errlen, "limits: %s must be %s", key,
             !strcmp(key, "lua_memory_mb")            ? "a whole number of MiB from 1 to 65536"
             : !strcmp(key, "plugin_timeout_seconds") || !strcmp(key, "lua_seconds")
                 ? "a number of seconds above 0, at most 86400"
                                                      : "a whole number of instructions, at least 1000");
    return -1;
}
