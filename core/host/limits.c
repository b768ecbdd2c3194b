/* SPDX-License-Identifier: Apache-2.0 */
/* limits.c — the "limits" settings (limits.h) as one table: each row is a
 * key with its unit, bounds, default and description. The defaults, the
 * setter shared by the configuration file and the command line, the clamp
 * of an untrusted file, the "known:" list of an unknown key, the --limit
 * help and the man page read it; test_config checks the schema against it. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/limits.h"

typedef enum limit_unit {
    LU_MIB,              /* size_t bytes, set in whole MiB */
    LU_INSTRUCTIONS,     /* uint64_t, a whole number */
    LU_SECONDS,          /* unsigned milliseconds, set in (fractional) seconds */
    LU_ISOLATION         /* plugin_isolation, set by name */
} limit_unit;

typedef struct limit_row {
    const char *key;
    limit_unit unit;
    size_t off, size;    /* of the field in host_limits (the size that unit_size must give) */
    double lo, hi;       /* bounds of the value as written (lo exclusive for seconds) */
    double def;          /* the default as written (plugin_isolation: an enum value) */
    const char *about;   /* for the man page */
} limit_row;

#define AT(field) offsetof(host_limits, field), sizeof(((host_limits *)0)->field)
static const limit_row LIMITS[] = {
    {"lua_memory_mb", LU_MIB, AT(lua_memory), 1, 65536, 64, "memory cap of each Lua rule's state, in MiB"},
    {"lua_instructions", LU_INSTRUCTIONS, AT(lua_check_instructions), 1000, 1e15, 50000000,
     "instruction budget of one Lua rule checking one model"},
    {"lua_load_instructions", LU_INSTRUCTIONS, AT(lua_load_instructions), 1000, 1e15, 1000000,
     "instruction budget for running a Lua rule file once, when it is loaded"},
    {"lua_seconds", LU_SECONDS, AT(lua_timeout_ms), 0, 86400, 10,
     "wall-clock limit of loading one Lua rule and of one check, in seconds"},
    {"plugin_timeout_seconds", LU_SECONDS, AT(plugin_timeout_ms), 0, 86400, 10,
     "wall-clock limit of one isolated plugin check, in seconds"},
    {"plugin_isolation", LU_ISOLATION, AT(isolation), 0, 0, ISOLATE_AUTO,
     "which plugins check in a forked child: auto (third-party ones), always, never"},
};
#undef AT
#define N_LIMITS (sizeof LIMITS / sizeof LIMITS[0])

/* plugin_isolation's names, by enum value */
static const char *const ISOLATION[] = {[ISOLATE_AUTO] = "auto", [ISOLATE_ALWAYS] = "always",
                                        [ISOLATE_NEVER] = "never"};

static void *field(host_limits *l, const limit_row *r) { return (char *)l + r->off; }
static const void *cfield(const host_limits *l, const limit_row *r) { return (const char *)l + r->off; }

static size_t unit_size(const limit_row *r) {
    switch (r->unit) {
    case LU_MIB: return sizeof(size_t);
    case LU_INSTRUCTIONS: return sizeof(uint64_t);
    case LU_SECONDS: return sizeof(unsigned);
    case LU_ISOLATION: return sizeof(plugin_isolation);
    }
    return 0;
}

/* Store v, a value in the row's written unit, already within its bounds. */
static void put(host_limits *l, const limit_row *r, double v) {
    switch (r->unit) {
    case LU_MIB: *(size_t *)field(l, r) = v >= (double)(SIZE_MAX >> 20) ? SIZE_MAX : (size_t)v << 20; break;
    case LU_INSTRUCTIONS: *(uint64_t *)field(l, r) = (uint64_t)v; break;
    case LU_SECONDS: *(unsigned *)field(l, r) = (unsigned)ceil(v * 1000); break;
    case LU_ISOLATION: *(plugin_isolation *)field(l, r) = (plugin_isolation)v; break;
    }
}

/* How loose a setting is, comparable between two host_limits: more memory,
 * instructions or time, or less isolation (never > auto > always). */
static double looseness(const host_limits *l, const limit_row *r) {
    switch (r->unit) {
    case LU_MIB: return (double)*(const size_t *)cfield(l, r);
    case LU_INSTRUCTIONS: return (double)*(const uint64_t *)cfield(l, r);
    case LU_SECONDS: return *(const unsigned *)cfield(l, r);
    case LU_ISOLATION: {
        plugin_isolation i = *(const plugin_isolation *)cfield(l, r);
        return i == ISOLATE_NEVER ? 2 : i == ISOLATE_AUTO ? 1 : 0;
    }
    }
    return 0;
}

host_limits host_limits_default(void) {
    host_limits l;
    memset(&l, 0, sizeof l);
    for (size_t i = 0; i < N_LIMITS; i++) {
        if (LIMITS[i].size != unit_size(&LIMITS[i])) abort();   /* a row's unit must be its field's type */
        put(&l, &LIMITS[i], LIMITS[i].def);
    }
    return l;
}

static void add_key(char *keys, size_t cap, size_t n, const char *k) {
    size_t o = strlen(keys);
    if (o < cap) snprintf(keys + o, cap - o, "%s%s", n ? ", " : "", k);
}

size_t host_limits_clamp(host_limits *l, const host_limits *c, char *keys, size_t cap) {
    size_t n = 0;
    if (cap) keys[0] = 0;
    for (size_t i = 0; i < N_LIMITS; i++) {
        const limit_row *r = &LIMITS[i];
        if (looseness(l, r) <= looseness(c, r)) continue;
        memcpy(field(l, r), cfield(c, r), r->size);
        add_key(keys, cap, n++, r->key);
    }
    return n;
}

/* The default of r as written: "64", "50000000", "10", "auto". */
static void default_text(const limit_row *r, char *buf, size_t cap) {
    if (r->unit == LU_ISOLATION) snprintf(buf, cap, "%s", ISOLATION[(int)r->def]);
    else snprintf(buf, cap, "%.15g", r->def);
}

const char *host_limit_key(size_t i, const char **about, char *dflt, size_t cap) {
    if (i >= N_LIMITS) return NULL;
    if (about) *about = LIMITS[i].about;
    if (dflt && cap) default_text(&LIMITS[i], dflt, cap);
    return LIMITS[i].key;
}

void host_limit_bounds(size_t i, double *lo, double *hi) {
    *lo = i < N_LIMITS ? LIMITS[i].lo : 0;
    *hi = i < N_LIMITS ? LIMITS[i].hi : 0;
}

size_t host_limit_key_list(char *buf, size_t cap) {
    size_t o = 0;
    if (cap) buf[0] = 0;
    for (size_t i = 0; i < N_LIMITS && o < cap; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? ", " : "", LIMITS[i].key);
    return o;
}

int host_limit_set(host_limits *l, const char *key, const cJSON *v, char *err, size_t errlen) {
    const limit_row *r = NULL;
    for (size_t i = 0; i < N_LIMITS && !r; i++)
        if (!strcmp(key, LIMITS[i].key)) r = &LIMITS[i];
    if (!r) {
        char known[256];
        host_limit_key_list(known, sizeof known);
        snprintf(err, errlen, "limits: unknown key '%s' (known: %s)", key, known);
        return -1;
    }
    if (r->unit == LU_ISOLATION) {
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        for (size_t i = 0; s && i < sizeof ISOLATION / sizeof *ISOLATION; i++)
            if (!strcmp(s, ISOLATION[i])) {
                put(l, r, (double)i);
                return 0;
            }
        snprintf(err, errlen, "limits: %s must be \"auto\", \"always\" or \"never\"", key);
        return -1;
    }
    double d = cJSON_IsNumber(v) ? v->valuedouble : NAN;
    bool ok = r->unit == LU_SECONDS ? d > r->lo && d <= r->hi : d >= r->lo && d <= r->hi && floor(d) == d;
    if (!ok) {
        if (r->unit == LU_SECONDS)
            snprintf(err, errlen, "limits: %s must be a number of seconds above %.15g, at most %.15g", key, r->lo,
                     r->hi);
        else if (r->unit == LU_MIB)
            snprintf(err, errlen, "limits: %s must be a whole number of MiB from %.15g to %.15g", key, r->lo, r->hi);
        else
            snprintf(err, errlen, "limits: %s must be a whole number of instructions, at least %.15g", key, r->lo);
        return -1;
    }
    put(l, r, d);
    return 0;
}

int host_limit_set_text(host_limits *l, const char *kv, char *err, size_t errlen) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || !eq[1]) {
        snprintf(err, errlen, "must be KEY=VALUE, not '%s'", kv);
        return -1;
    }
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    /* a JSON value, or a bare word (plugin_isolation=always) */
    cJSON *j = cJSON_ParseWithOpts(eq + 1, NULL, true);   /* the whole value, no trailing text */
    if (!j) j = cJSON_CreateString(eq + 1);
    int rc = j ? host_limit_set(l, key, j, err, errlen) : -1;
    if (!j) snprintf(err, errlen, "out of memory");
    cJSON_Delete(j);
    return rc;
}
