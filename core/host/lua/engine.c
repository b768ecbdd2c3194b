/* SPDX-License-Identifier: Apache-2.0 */
/* host_lua.c — the "lua" engine: rule files in, host_rules out, and
 * check(model, ctx) run in a sandbox per rule file.
 *
 * Load phase (luarule_load_file): the file `rules/<category>/<name>.lua`
 * is read (at most 1 MiB), loaded as text only (mode "t") under the chunk
 * name "@<the file's path>" (relative to the working folder when inside it,
 * so errors name the real file) into a fresh sandbox (sandbox.c) with the IR
 * bindings registered (lua_ir.c), and run once under a small instruction
 * budget. It must return a table; the table is read with raw accesses only
 * (a metatable cannot lie to the host), every key is checked for its type,
 * unknown keys are refused, and the id must equal the one the path gives.
 * The metadata and options fill a host_rule whose engine_data keeps the
 * lua_State and a reference to `check`; registry_add takes it from there.
 * Any problem is one rule/load-error notification naming the file, the
 * line where known, and the key.
 * Check phase (luarule_check): per model the budget is re-armed,
 * check(model, ctx) runs under lua_pcall with a traceback handler, and a
 * failure is classified by cause into exactly one notification of kind
 * rule/error (with file:line), rule/budget-exceeded, rule/memory-exceeded
 * or rule/blocked-call. Findings reported before the failure are kept; the
 * state is kept too (the next model gets a fresh budget), so one bad model
 * never disables a rule. A rule stopped for reports the host keeps
 * refusing (the host has already said why) ends quietly. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lauxlib.h>

#include "format/fsutil.h"
#include "host/ctx.h"
#include "host/lua/engine.h"
#include "host/registry.h"
#include "host/util.h"
#include "host/lua/ir.h"
#include "host/lua/bytecode.h"
#include "host/lua/sandbox.h"

#define HOST_LUA_MAX_FILE ((size_t)1 << 20)   /* a rule file is source text, not data */

static size_t g_precompiled_loads;   /* rule files loaded from the build's chunks */

size_t luarule_precompiled_loads(void) { return g_precompiled_loads; }

typedef struct luarule_rule {
    sandbox *sb;
    int check_ref;            /* registry ref of check */
    sandbox_limits lim;
} luarule_rule;


/* ** {======================================================================
** Messages
** ======================================================================= */

/* Length of msg without the traceback the message handler appended. */
static int msg_len(const char *msg) {
    const char *tb = strstr(msg, "\nstack traceback:");
    size_t n = tb ? (size_t)(tb - msg) : strlen(msg);
    return n > 1800 ? 1800 : (int)n;
}

/* The line in "<path>:LINE: ..." when msg names this chunk. Lua shortens
 * a long chunk name to "...<its tail>", so the file's base name is what is
 * looked for. */
static uint32_t msg_line(const char *msg, const char *chunk) {
    const char *base = strrchr(chunk, '/');
    base = base ? base + 1 : chunk + 1;   /* without '@' */
    size_t bl = strlen(base);
    for (const char *p = msg ? strstr(msg, base) : NULL; p; p = strstr(p + 1, base)) {
        const char *q = p + bl;
        if (*q != ':') continue;
        char *end;
        unsigned long v = strtoul(q + 1, &end, 10);
        if (end != q + 1 && *end == ':' && v < UINT32_MAX) return (uint32_t)v;
    }
    return 0;
}

/* msg without Lua's leading "<rule file>:<line>: " (the notification
 * carries the file and the line, which every report shows beside it), or
 * msg itself when it does not start so. */
static const char *msg_body(const char *msg, const char *chunk, uint32_t line) {
    const char *base = strrchr(chunk, '/');
    base = base ? base + 1 : chunk + 1;
    const char *p = line ? strstr(msg, base) : NULL;
    if (!p) return msg;
    for (const char *s = msg; s < p; s++)
        if (s[0] == ':' && s[1] == ' ') return msg;   /* not the leading position */
    char want[32];
    int n = snprintf(want, sizeof want, ":%u: ", (unsigned)line);
    return n > 0 && !strncmp(p + strlen(base), want, (size_t)n) ? p + strlen(base) + n : msg;
}

/* "@" + the rule file as people know it: relative to the working folder
 * when it lies inside it, else as given; Lua prints this name in every
 * error ("house/metadata.lua:12: ..."). */
static void chunk_name(char *buf, size_t cap, const char *path) {
    char cwd[4096];
    const char *shown = path;
    if (path[0] == '/' && getcwd(cwd, sizeof cwd)) {
        size_t n = strlen(cwd);
        if (n > 1 && !strncmp(path, cwd, n) && path[n] == '/') shown = path + n + 1;
    }
    while (shown[0] == '.' && shown[1] == '/') shown += 2;
    snprintf(buf, cap, "@%s", shown);
}

/* }====================================================================== */

/* ** {======================================================================
** Load phase: validating the rule table (protected mode; table at 1)
** ======================================================================= */

typedef struct load_call {
    host_rule *r;
    luarule_rule *hr;
    const char *expected_id;
} load_call;

static const char *const rule_keys[] = {"id", "name", "summary", "description", "help", "help_uri",
                                        "precision", "level", "tags", "confirmed_by", "options", "check",
                                        NULL};
static const char *const option_keys[] = {"type", "default", "doc", NULL};

static int fail(lua_State *L, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(lua_State *L, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    lua_pushstring(L, buf);
    return lua_error(L);
}

/* rawget t[key] for a string key; pushes the value, returns its type. */
static int rawfield(lua_State *L, int t, const char *key) {
    lua_pushstring(L, key);
    return lua_rawget(L, t);
}

static char *dup_or_fail(lua_State *L, const char *s) {
    char *d = host_strdup(s);
    if (!d) fail(L, "out of memory");
    return d;
}

/* Optional string field; required ones must also be non-empty. */
static char *string_field(lua_State *L, int t, const char *key, bool required) {
    int ty = rawfield(L, t, key);
    char *s = NULL;
    if (ty == LUA_TNIL) {
        if (required) fail(L, "the rule table has no '%s' (expected a string)", key);
    } else if (ty != LUA_TSTRING) {
        fail(L, "key '%s' must be a string (got %s)", key, lua_typename(L, ty));
    } else {
        if (required && !*lua_tostring(L, -1)) fail(L, "key '%s' must not be empty", key);
        s = dup_or_fail(L, lua_tostring(L, -1));
    }
    lua_pop(L, 1);
    return s;
}

static void check_known_keys(lua_State *L, int t, const char *const *keys, const char *what) {
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        bool ok = false;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (const char *const *k = keys; *k; k++)
                if (!strcmp(*k, lua_tostring(L, -1))) ok = true;
        if (!ok) {
            char expected[256] = "";
            for (const char *const *k = keys; *k; k++) {
                strncat(expected, *k, sizeof expected - strlen(expected) - 1);
                if (k[1]) strncat(expected, ", ", sizeof expected - strlen(expected) - 1);
            }
            if (lua_type(L, -1) == LUA_TSTRING)
                fail(L, "unknown key '%s' in %s (expected %s)", lua_tostring(L, -1), what, expected);
            fail(L, "%s has a key of type %s (expected string keys: %s)", what, luaL_typename(L, -1), expected);
        }
    }
}

/* Is the table at t a proper array (keys 1..n, no others)? */
static bool is_sequence(lua_State *L, int t, lua_Unsigned *n_out) {
    lua_Unsigned n = lua_rawlen(L, t), count = 0;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return false;
        }
        lua_Integer i = lua_tointeger(L, -1);
        if (i < 1 || (lua_Unsigned)i > n) {
            lua_pop(L, 1);
            return false;
        }
        count++;
    }
    *n_out = n;
    return count == n;
}

/* An array of strings at t -> cJSON array hung on *out immediately. */
static void strings_to_json(lua_State *L, int t, cJSON **out, const char *what) {
    lua_Unsigned n;
    if (!is_sequence(L, t, &n)) fail(L, "%s must be an array of strings", what);
    *out = cJSON_CreateArray();
    if (!*out) fail(L, "out of memory");
    for (lua_Unsigned i = 1; i <= n; i++) {
        if (lua_rawgeti(L, t, (lua_Integer)i) != LUA_TSTRING)
            fail(L, "%s must be an array of strings (item %d is a %s)", what, (int)i, luaL_typename(L, -1));
        cJSON *s = cJSON_CreateString(lua_tostring(L, -1));
        if (!s) fail(L, "out of memory");
        cJSON_AddItemToArray(*out, s);
        lua_pop(L, 1);
    }
}

static bool option_name_ok(const char *s) {
    if (!((*s >= 'a' && *s <= 'z') || *s == '_')) return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return false;
    return true;
}

static int opt_cmp(const void *a, const void *b) {
    return strcmp(((const rule_option *)a)->name, ((const rule_option *)b)->name);
}

/* options = { name = { type = "...", default = ..., doc = "..." }, ... } */
static void read_options(lua_State *L, int t, host_rule *r) {
    int ty = rawfield(L, t, "options");
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    if (ty != LUA_TTABLE) fail(L, "key 'options' must be a table of name = {type=, default=, doc=} (got %s)",
                               lua_typename(L, ty));
    int ot = lua_gettop(L);
    size_t n = 0;
    lua_pushnil(L);
    while (lua_next(L, ot)) {
        lua_pop(L, 1);
        n++;
    }
    if (!n) {
        lua_pop(L, 1);
        return;
    }
    r->options = calloc(n, sizeof *r->options);
    if (!r->options) fail(L, "out of memory");
    r->n_options = 0;
    lua_pushnil(L);
    while (lua_next(L, ot)) {
        int vt = lua_gettop(L);
        if (lua_type(L, -2) != LUA_TSTRING) fail(L, "key 'options' must be keyed by option names (strings)");
        const char *name = lua_tostring(L, -2);
        if (!option_name_ok(name))
            fail(L, "option '%s': names are lower-case identifiers ([a-z_][a-z0-9_]*)", name);
        if (lua_type(L, vt) != LUA_TTABLE)
            fail(L, "option '%s' must be a table {type=, default=, doc=} (got %s)", name, luaL_typename(L, vt));
        char what[96];
        snprintf(what, sizeof what, "option '%.60s'", name);
        check_known_keys(L, vt, option_keys, what);
        rule_option *o = &r->options[r->n_options++];
        o->name = dup_or_fail(L, name);
        /* type */
        if (rawfield(L, vt, "type") != LUA_TSTRING)
            fail(L, "option '%s': 'type' must be one of \"bool\", \"int\", \"number\", \"string\", \"strings\"", name);
        const char *ts = lua_tostring(L, -1);
        o->type = !strcmp(ts, "bool") ? OPT_BOOL : !strcmp(ts, "int") ? OPT_INT : !strcmp(ts, "number") ? OPT_NUMBER
                : !strcmp(ts, "string") ? OPT_STRING : !strcmp(ts, "strings") ? OPT_STRINGS : 0;
        if (!o->type)
            fail(L, "option '%s': 'type' must be one of \"bool\", \"int\", \"number\", \"string\", \"strings\" (got \"%s\")",
                 name, ts);
        lua_pop(L, 1);
        /* doc */
        int dt = rawfield(L, vt, "doc");
        if (dt != LUA_TSTRING || !*lua_tostring(L, -1))
            fail(L, "option '%s': 'doc' must be a non-empty string", name);
        o->doc = dup_or_fail(L, lua_tostring(L, -1));
        lua_pop(L, 1);
        /* default (type-checked; a neutral value when absent) */
        int df = rawfield(L, vt, "default");
        int d = lua_gettop(L);
        switch (o->type) {
        case OPT_BOOL:
            if (df != LUA_TNIL && df != LUA_TBOOLEAN) fail(L, "option '%s': 'default' must be a boolean", name);
            o->default_value = cJSON_CreateBool(df == LUA_TBOOLEAN && lua_toboolean(L, d));
            break;
        case OPT_INT: {
            lua_Integer v = 0;
            if (df != LUA_TNIL) {
                int isint = 0;
                if (df == LUA_TNUMBER) v = lua_tointegerx(L, d, &isint);
                if (!isint) fail(L, "option '%s': 'default' must be an integer", name);
                if (v > ((lua_Integer)1 << 53) || v < -((lua_Integer)1 << 53))
                    fail(L, "option '%s': 'default' is out of range (|v| <= 2^53)", name);
            }
            o->default_value = cJSON_CreateNumber((double)v);
            break;
        }
        case OPT_NUMBER:
            if (df != LUA_TNIL && df != LUA_TNUMBER) fail(L, "option '%s': 'default' must be a number", name);
            o->default_value = cJSON_CreateNumber(df == LUA_TNUMBER ? (double)lua_tonumber(L, d) : 0.0);
            break;
        case OPT_STRING:
            if (df != LUA_TNIL && df != LUA_TSTRING) fail(L, "option '%s': 'default' must be a string", name);
            o->default_value = cJSON_CreateString(df == LUA_TSTRING ? lua_tostring(L, d) : "");
            break;
        case OPT_STRINGS:
            if (df == LUA_TNIL) {
                o->default_value = cJSON_CreateArray();
            } else {
                if (df != LUA_TTABLE) fail(L, "option '%s': 'default' must be an array of strings", name);
                char w[96];
                snprintf(w, sizeof w, "option '%.60s': 'default'", name);
                strings_to_json(L, d, &o->default_value, w);
            }
            break;
        }
        if (!o->default_value) fail(L, "out of memory");
        lua_settop(L, vt - 1);                       /* keep the key for next */
    }
    lua_pop(L, 1);
    /* declaration order is not observable in a Lua table: sort by name */
    if (r->n_options) qsort(r->options, r->n_options, sizeof *r->options, opt_cmp);
}

/* t[key]: nil, or an array of at most 64 non-empty strings into *out, *n
 * (each a rule id when ids) */
static void read_strings(lua_State *L, int t, const char *key, bool ids, char ***out, size_t *n_out) {
    int ty = rawfield(L, t, key);
    if (ty == LUA_TNIL) {
        lua_pop(L, 1);
        return;
    }
    int tt = lua_gettop(L);
    lua_Unsigned n = 0;
    if (ty != LUA_TTABLE || !is_sequence(L, tt, &n)) fail(L, "key '%s' must be an array of strings", key);
    if (n > 64) fail(L, "key '%s' has more than 64 entries", key);
    *out = calloc((size_t)n + 1, sizeof **out);
    if (!*out) fail(L, "out of memory");
    for (lua_Unsigned i = 1; i <= n; i++) {
        if (lua_rawgeti(L, tt, (lua_Integer)i) != LUA_TSTRING || !*lua_tostring(L, -1))
            fail(L, "key '%s' must be an array of non-empty strings (item %d)", key, (int)i);
        if (ids && !rule_id_valid(lua_tostring(L, -1)))
            fail(L, "key '%s' item %d is not a rule id (category/kebab-name)", key, (int)i);
        (*out)[i - 1] = dup_or_fail(L, lua_tostring(L, -1));
        *n_out = (size_t)i;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* Run the chunk (index 1) and validate what it returns; lc at 2. */
static int load_validate(lua_State *L) {
    load_call *lc = lua_touserdata(L, 2);
    lua_settop(L, 1);
    luair_open(L);
    lua_call(L, 0, 1);                                /* the rule table, at 1 */
    if (lua_type(L, 1) != LUA_TTABLE)
        return fail(L, "the rule file must return a table (it returned %s)", luaL_typename(L, 1));
    host_rule *r = lc->r;
    check_known_keys(L, 1, rule_keys, "the rule table");
    r->id = string_field(L, 1, "id", true);
    if (strcmp(r->id, lc->expected_id) != 0)
        return fail(L, "key 'id' is \"%s\" but the file's path makes the id \"%s\"", r->id, lc->expected_id);
    r->name = string_field(L, 1, "name", true);
    r->summary = string_field(L, 1, "summary", true);
    r->description = string_field(L, 1, "description", false);
    r->help_md = string_field(L, 1, "help", true);
    r->help_uri = string_field(L, 1, "help_uri", false);
    r->precision = string_field(L, 1, "precision", false);
    if (r->precision && !rule_precision_valid(r->precision))
        return fail(L, "key 'precision' must be one of \"very-high\", \"high\", \"medium\", \"low\" (got \"%s\")",
                    r->precision);
    int ty = rawfield(L, 1, "level");
    if (ty != LUA_TSTRING || luair_level_parse(lua_tostring(L, -1)) < 0)
        return fail(L, "key 'level' must be one of \"note\", \"warning\", \"error\" (got %s%s%s)",
                    ty == LUA_TSTRING ? "\"" : "", ty == LUA_TSTRING ? lua_tostring(L, -1) : lua_typename(L, ty),
                    ty == LUA_TSTRING ? "\"" : "");
    r->default_level = luair_level_parse(lua_tostring(L, -1));
    lua_pop(L, 1);
    read_strings(L, 1, "tags", false, &r->tags, &r->n_tags);
    read_strings(L, 1, "confirmed_by", true, &r->confirmed_by, &r->n_confirmed_by);
    read_options(L, 1, r);
    ty = rawfield(L, 1, "check");
    if (ty != LUA_TFUNCTION) return fail(L, "key 'check' must be a function(model, ctx) (got %s)", lua_typename(L, ty));
    lc->hr->check_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
}

/* }====================================================================== */

static int luarule_check(host_rule *r, const cml_model *m, rule_ctx *ctx);

static void luarule_free_rule(host_rule *r) {
    luarule_rule *hr = r->engine_data;
    if (!hr) return;
    sandbox_free(hr->sb);
    free(hr);
    r->engine_data = NULL;
}

static const engine luarule_engine = {"lua", luarule_check, luarule_free_rule, false};

/* id from a path ".../<category>/<name>.lua", into buf; false if it has no
 * such shape. */
static bool id_from_path(const char *path, char *buf, size_t cap) {
    size_t n = strlen(path);
    if (n < 5 || strcmp(path + n - 4, ".lua") != 0) return false;
    const char *end = path + n - 4;
    const char *s1 = end;
    while (s1 > path && s1[-1] != '/') s1--;
    if (s1 == path) return false;
    const char *s0 = s1 - 1;
    while (s0 > path && s0[-1] != '/') s0--;
    int len = snprintf(buf, cap, "%.*s", (int)(end - s0), s0);
    return len > 0 && (size_t)len < cap && s1 - 1 > s0;
}

static char *read_text(const char *path, size_t *len, const char **why) {
    int fd = fs_open_regular(path);   /* never a FIFO or a device */
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (!f) {
        *why = fs_strerror(errno);
        if (fd >= 0) close(fd);
        return NULL;
    }
    char *buf = malloc(HOST_LUA_MAX_FILE + 1);
    size_t n = buf ? fread(buf, 1, HOST_LUA_MAX_FILE + 1, f) : 0;
    bool err = ferror(f);
    fclose(f);
    if (!buf) {
        *why = "out of memory";
        return NULL;
    }
    if (err) {
        *why = "read error";
        free(buf);
        return NULL;
    }
    if (n > HOST_LUA_MAX_FILE) {
        *why = "the file is larger than 1 MiB";
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int luarule_load_file(registry *reg, const char *path, const char *expected_id, const host_limits *lim) {
    char idbuf[256];
    if (!expected_id) {
        if (!id_from_path(path, idbuf, sizeof idbuf)) {
            registry_notify(reg, NULL, "rule/load-error", LEVEL_ERROR, path, 0,
                            "a Lua rule file must be <category>/<name>.lua (its path gives the rule id)");
            return 0;
        }
        expected_id = idbuf;
    }
    if (!rule_id_valid(expected_id)) {
        /* say which half is wrong: the folder gives the category, the file the name */
        const char *slash = strchr(expected_id, '/'), *end = expected_id + strlen(expected_id);
        bool bad_cat = slash && !rule_id_part_valid(expected_id, slash),
             bad_name = !rule_id_part_valid(slash ? slash + 1 : expected_id, end);
        const char *fix = bad_cat && bad_name ? "rename its folder (the category) and the file"
                          : bad_cat          ? "rename its folder (the category)"
                                             : "rename the file";
        registry_notify(reg, NULL, "rule/load-error", LEVEL_ERROR, path, 0,
                        "'%s' is not a valid rule id (category/kebab-name, each [a-z0-9]+(-[a-z0-9]+)*); %s",
                        expected_id, fix);
        return 0;
    }
    size_t len = 0;
    const char *why = NULL;
    char *text = read_text(path, &len, &why);
    if (!text) {
        registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, 0, "cannot read the rule file: %s", why);
        return 0;
    }
    char chunk[4200];
    chunk_name(chunk, sizeof chunk, path);

    luarule_rule *hr = calloc(1, sizeof *hr);
    host_rule *r = rule_new();
    if (hr) hr->lim = sandbox_limits_from(lim);
    sandbox *sb = hr && r ? sandbox_new(&hr->lim, expected_id, &why) : NULL;
    if (!sb) {
        registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, 0, "cannot create the rule's Lua state: %s",
                        why ? why : "out of memory");
        free(text);
        free(hr);
        rule_free(r);
        return 0;
    }
    hr->sb = sb;
    hr->check_ref = LUA_NOREF;
    lua_State *L = sb->L;
    sandbox_arm(sb, hr->lim.load_budget);
    /* a bundled rule, unchanged: the chunk the build compiled (bytecode.h) */
    size_t bclen = 0;
    unsigned char *bc = luabc_for(expected_id, text, len, chunk, &bclen);
    int st = LUA_ERRSYNTAX;
    if (bc) {
        st = sandbox_load_precompiled(sb, bc, bclen, chunk);
        free(bc);
        if (st == LUA_OK) g_precompiled_loads++;
        else lua_pop(L, 1); /* its message: the text below says what is wrong, if anything */
    }
    if (st != LUA_OK) st = sandbox_load(sb, text, len, chunk);
    free(text);
    load_call lc = {r, hr, expected_id};
    if (st == LUA_OK) {
        /* run and validate in protected mode: load_validate(chunk, &lc) */
        lua_pushcfunction(L, load_validate);
        lua_insert(L, -2);
        lua_pushlightuserdata(L, &lc);
        st = sandbox_pcall(sb, 2, 0);
    }
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg) msg = "(no message)";
        sandbox_cause c = sandbox_classify(sb, st, msg);
        uint32_t line = msg_line(msg, chunk);
        msg = msg_body(msg, chunk, line);   /* the file and line are the notification's own */
        if (c == SANDBOX_MEMORY)
            registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, line,
                            "loading the rule exceeded its memory cap (%zu MiB)", hr->lim.mem_cap >> 20);
        else if (c == SANDBOX_BUDGET)
            registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, line,
                            "loading the rule exceeded its instruction budget (%llu): %.*s",
                            (unsigned long long)hr->lim.load_budget, msg_len(msg), msg);
        else if (c == SANDBOX_TIMEOUT)
            registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, line,
                            "loading the rule exceeded its wall-clock limit (%g s): %.*s", hr->lim.time_ms / 1000.0,
                            msg_len(msg), msg);
        else
            registry_notify(reg, expected_id, "rule/load-error", LEVEL_ERROR, path, line, "%.*s%s%s", msg_len(msg), msg,
                            sb->debug && strstr(msg, "\nstack traceback:") ? "\n" : "",
                            sb->debug && strstr(msg, "\nstack traceback:") ? strstr(msg, "\nstack traceback:") + 1 : "");
        /* a broken state is closed; the rule never enters the registry */
        rule_free(r);
        luarule_free_rule(&(host_rule){.engine_data = hr});
        return 0;
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    r->eng = &luarule_engine;
    r->engine_data = hr;
    r->kind = "lua";
    r->origin = host_strdup(path);
    return registry_add(reg, r) == 0 ? 1 : 0;
}

/* ** {======================================================================
** Rule folders
** ======================================================================= */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names in dir (no "." entries, no "_" names); NULL on error. */
static char **list_dir(const char *dir, size_t *n) {
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) return NULL;
    size_t cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    while (v && (e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap *= 2) * sizeof *nv);
            if (!nv) break;
            v = nv;
        }
        char *s = host_strdup(e->d_name);
        if (s) v[(*n)++] = s;
    }
    closedir(d);
    if (v && *n) qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v, size_t n) {
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The folder's own name (the category of rule files lying directly in it). */
static bool dir_category(const char *dir, char *buf, size_t cap) {
    char *abs = realpath(dir, NULL);
    const char *p = abs ? abs : dir;
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') n--;
    size_t s = n;
    while (s > 0 && p[s - 1] != '/') s--;
    int k = snprintf(buf, cap, "%.*s", (int)(n - s), p + s);
    free(abs);
    return k > 0 && (size_t)k < cap;
}

static bool is_lua_file(const char *name, size_t *stem) {
    size_t len = strlen(name);
    *stem = len > 4 ? len - 4 : 0;
    return len > 4 && strcmp(name + len - 4, ".lua") == 0;
}

/* .lua files below dir, which no rule id can name: how many (up to a
 * bound: the folder is the user's, yet it may be a whole checkout), and
 * the first one's path. Looks RULES_NESTED_DEPTH levels down and at
 * RULES_NESTED_ENTRIES names at most. */
#define RULES_NESTED_DEPTH 4
#define RULES_NESTED_ENTRIES 4096
static void find_nested_lua(const char *dir, int depth, char *first, size_t cap, size_t *count, size_t *budget,
                            bool *cut) {
    if (depth <= 0) return;
    size_t n = 0;
    char **ents = list_dir(dir, &n);
    for (size_t i = 0; ents && i < n; i++) {
        if (!*budget) {
            *cut = true;   /* names left unlooked at: the count is a lower bound */
            break;
        }
        --*budget;
        char path[4096];
        size_t stem;
        int k = snprintf(path, sizeof path, "%s/%s", dir, ents[i]);
        if (k < 0 || (size_t)k >= sizeof path) continue;
        if (is_dir(path)) {
            find_nested_lua(path, depth - 1, first, cap, count, budget, cut);
        } else if (is_lua_file(ents[i], &stem)) {
            if (!*count) snprintf(first, cap, "%s", path);
            ++*count;
        }
    }
    free_list(ents, n);
}

/* Every <dir>/<category>/<name>.lua (id "category/name"), and every
 * <dir>/<name>.lua, whose category is the folder's own name
 * (examples/house-rules/model-size-budget.lua is
 * "house-rules/model-size-budget"). Names starting with "_" or "." are
 * skipped (rules/_template.lua). Files load in sorted order. */
int luarule_load_dir(registry *reg, const char *dir, const host_limits *lim) {
    size_t nc = 0;
    char **ents = list_dir(dir, &nc);
    if (!ents) {
        registry_notify(reg, NULL, "rule/load-error", LEVEL_ERROR, dir, 0, "cannot read the rules folder: %s",
                        strerror(errno));
        return 0;
    }
    int added = 0;
    char self[256], nested[4096] = "";
    size_t n_nested = 0, budget = RULES_NESTED_ENTRIES;
    bool cut = false;
    bool have_self = dir_category(dir, self, sizeof self);
    /* "rules/" names "rules": paths in messages read rules/house/x.lua */
    int dl = (int)strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/') dl--;
    for (size_t i = 0; i < nc; i++) {
        char sub[4096];
        size_t stem;
        int k = snprintf(sub, sizeof sub, "%.*s/%s", dl, dir, ents[i]);
        if (k < 0 || (size_t)k >= sizeof sub) continue;
        if (!is_dir(sub)) {
            char id[512];
            if (!is_lua_file(ents[i], &stem) || !have_self) continue;
            k = snprintf(id, sizeof id, "%s/%.*s", self, (int)stem, ents[i]);
            if (k > 0 && (size_t)k < sizeof id) added += luarule_load_file(reg, sub, id, lim);
            continue;
        }
        size_t nf = 0;
        char **files = list_dir(sub, &nf);
        for (size_t j = 0; files && j < nf; j++) {
            char path[4096], id[512];
            int k1 = snprintf(path, sizeof path, "%s/%s", sub, files[j]);
            if (k1 < 0 || (size_t)k1 >= sizeof path) continue;
            if (is_dir(path)) {
                /* a folder inside a category folder holds no rule: say so
                 * when it holds .lua files (the rules folder's parent named
                 * instead of it, or rules kept in subfolders), which would
                 * silently not run */
                find_nested_lua(path, RULES_NESTED_DEPTH, nested, sizeof nested, &n_nested, &budget, &cut);
                continue;
            }
            if (!is_lua_file(files[j], &stem)) continue;
            int k2 = snprintf(id, sizeof id, "%s/%.*s", ents[i], (int)stem, files[j]);
            if (k2 < 0 || (size_t)k2 >= sizeof id) continue;
            added += luarule_load_file(reg, path, id, lim);
        }
        free_list(files, nf);
    }
    free_list(ents, nc);
    if (n_nested)
        registry_notify(reg, NULL, "config/rules-layout", LEVEL_WARNING, dir, 0,
                        "%zu%s .lua file%s below the category folders %s not loaded, e.g. '%s': a rule file is "
                        "DIR/CATEGORY/NAME.lua (its id CATEGORY/NAME), so name the folder that holds the category "
                        "folders",
                        n_nested, cut ? " or more" : "", n_nested == 1 ? "" : "s", n_nested == 1 ? "was" : "were",
                        nested);
    return added;
}

/* }====================================================================== */

/* ** {======================================================================
** Check phase
** ======================================================================= */

typedef struct check_call {
    luarule_rule *hr;
    const cml_model *m;
    rule_ctx *ctx;
} check_call;

static int check_tramp(lua_State *L) {
    check_call *cc = lua_touserdata(L, 1);
    lua_settop(L, 0);
    luair_begin(L, cc->m, cc->ctx);
    lua_rawgeti(L, LUA_REGISTRYINDEX, cc->hr->check_ref);
    luair_push_model(L, cc->m);
    luair_push_ctx(L, cc->ctx);
    lua_call(L, 2, 1);
    /* a table returned is findings meant to be reported: they would be
     * lost without a word (a boolean is the common `return ctx:report(..)`) */
    if (lua_type(L, -1) == LUA_TTABLE)
        return luaL_error(L, "check returned a table, which is ignored: findings are reported with "
                             "ctx:report(at, message, ...), not returned");
    return 0;
}

static int luarule_check(host_rule *r, const cml_model *m, rule_ctx *ctx) {
    luarule_rule *hr = r->engine_data;
    if (!hr || !hr->sb || hr->check_ref == LUA_NOREF) {
        ctx_notify(ctx, "rule/error", LEVEL_ERROR, "the rule has no usable Lua state");
        return -1;
    }
    sandbox *sb = hr->sb;
    lua_State *L = sb->L;
    lua_settop(L, 0);
    sandbox_arm(sb, hr->lim.check_budget);
    check_call cc = {hr, m, ctx};
    int st = sandbox_cpcall(sb, check_tramp, &cc);
    ctx_account(ctx, sb->count);
    luair_end(sb);
    int rc = 0;
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (!msg) msg = "(no message)";
        sandbox_cause c = sandbox_classify(sb, st, msg);
        const char *kind = sandbox_cause_kind(c);
        const char *tb = sb->debug ? strstr(msg, "\nstack traceback:") : NULL;
        /* the rule's line the message names, for the reports' regions */
        char chunk[4096];
        chunk_name(chunk, sizeof chunk, r->origin ? r->origin : "");
        uint32_t line = r->origin ? msg_line(msg, chunk) : 0;
        switch (c) {
        case SANDBOX_STOPPED:      /* the host already said why (refused reports) */
            break;
        case SANDBOX_MEMORY:
        case SANDBOX_BUDGET:
        case SANDBOX_TIMEOUT: {
            /* a rule stopped while flooding the host past its cap found
             * more than the report keeps anyway: the report is complete as
             * far as the cap goes, so this is a warning, not a failure */
            bool flooded = ctx_capped(ctx);
            int lv = flooded ? LEVEL_WARNING : LEVEL_ERROR;
            const char *body = msg_body(msg, chunk, line), *after = flooded ? " after its findings were capped" : "";
            if (c == SANDBOX_MEMORY)
                ctx_notify_line(ctx, kind, lv, line,
                                "the rule exceeded its memory cap of %zu MiB%s and was stopped; findings reported "
                                "before were kept (%.*s)", hr->lim.mem_cap >> 20, after, msg_len(body), body);
            else if (c == SANDBOX_BUDGET)
                ctx_notify_line(ctx, kind, lv, line,
                                "the rule exceeded its budget of %llu instructions%s and was stopped; findings "
                                "reported before were kept (%.*s)", (unsigned long long)hr->lim.check_budget, after,
                                msg_len(body), body);
            else
                ctx_notify_line(ctx, kind, lv, line,
                                "the rule exceeded its wall-clock limit of %g s (limits.lua_seconds)%s and was "
                                "stopped; findings reported before were kept (%.*s)", hr->lim.time_ms / 1000.0, after,
                                msg_len(body), body);
            rc = flooded ? 0 : -1;
            break;
        }
        default: {
            const char *body = msg_body(msg, chunk, line);
            ctx_notify_line(ctx, kind ? kind : "rule/error", LEVEL_ERROR, line, "%.*s%s%s", msg_len(body), body,
                       tb ? "\n" : "", tb ? tb + 1 : "");
            rc = -1;
            break;
        }
        }
    }
    lua_settop(L, 0);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return rc;
}

/* }====================================================================== */
