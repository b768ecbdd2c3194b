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
                         .plugin_timeout_ms = LIMIT_PLUGIN_TIMEOUT_MS,
                         .isolation = ISOLATE_AUTO};
}

static const char *const KEYS[] = {"lua_memory_mb", "lua_instructions", "lua_load_instructions",
                                   "plugin_timeout_seconds", "plugin_isolation"};

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
                              "lua_load_instructions, plugin_timeout_seconds, plugin_isolation)", key);
        return -1;
    }
    return 0;
bad_num:
    snprintf(err, errlen, "limits: %s must be %s", key,
             !strcmp(key, "lua_memory_mb")            ? "a whole number of MiB from 1 to 65536"
             : !strcmp(key, "plugin_timeout_seconds") ? "a number of seconds above 0, at most 86400"
                                                      : "a whole number of instructions, at least 1000");
    return -1;
}
