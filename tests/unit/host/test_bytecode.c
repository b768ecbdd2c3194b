/* SPDX-License-Identifier: Apache-2.0 */
/* test_bytecode.c — the bundled rules' precompiled chunks (host/lua/bytecode.h):
 * every bundled rule has one and gets it for its exact bytes only; an edited
 * file, another id or CML_RULES_FROM_SOURCE=1 gets none; a renamed chunk
 * reports errors under the rule file's name and line, in the main function
 * and in nested ones; a chunk this does not understand is refused. (That a
 * check reports the same either way is tests/rules_from_source.sh.) */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "check.h"
#include "format/arena.h"
#include "format/fsutil.h"
#include "host/lua/bytecode.h"
#include "host/lua/engine.h"
#include "host/registry.h"

static const char *src_dir(void) {
    const char *s = getenv("CML_SOURCE_DIR");
    return s ? s : ".";
}


/* every rules/<category>/<name>.lua (not _*.lua): a precompiled chunk for
 * its bytes; none for the same bytes plus a newline, under another id, or
 * with CML_RULES_FROM_SOURCE=1 */
static void test_every_bundled_rule(void) {
    char root[2048];
    snprintf(root, sizeof root, "%s/rules", src_dir());
    DIR *d = opendir(root);
    CHECK(d != NULL);
    if (!d) return;
    int seen = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char cat[2400];
        snprintf(cat, sizeof cat, "%s/%s", root, e->d_name);
        DIR *c = opendir(cat);
        if (!c) continue;
        struct dirent *f;
        while ((f = readdir(c))) {
            size_t n = strlen(f->d_name);
            if (f->d_name[0] == '_' || n < 5 || strcmp(f->d_name + n - 4, ".lua")) continue;
            char path[2800], id[600];
            snprintf(path, sizeof path, "%s/%s", cat, f->d_name);
            snprintf(id, sizeof id, "%s/%.*s", e->d_name, (int)(n - 4), f->d_name);
            size_t len = 0, bl = 0;
            arena *a = arena_new(0);
            char *src = a ? fs_read_file(a, path, (size_t)1 << 20, &len) : NULL; /* NUL-terminated: room for one more */
            CHECK(src != NULL);
            if (!src) {
                arena_free(a);
                continue;
            }
            unsigned char *bc = luabc_for(id, src, len, "@x.lua", &bl);
            if (!bc) fprintf(stderr, "no precompiled chunk for %s\n", id);
            CHECK(bc != NULL && bl > 32 && memcmp(bc, LUA_SIGNATURE, 4) == 0);
            free(bc);
            CHECK(luabc_for("house/other", src, len, "@x.lua", &bl) == NULL);
            setenv("CML_RULES_FROM_SOURCE", "1", 1);
            CHECK(luabc_for(id, src, len, "@x.lua", &bl) == NULL);
            unsetenv("CML_RULES_FROM_SOURCE");
            src[len] = '\n';
            CHECK(luabc_for(id, src, len + 1, "@x.lua", &bl) == NULL);
            arena_free(a);
            seen++;
        }
        closedir(c);
    }
    closedir(d);
    CHECK_INT(seen, (long long)luabc_n_rules);
    CHECK(seen >= 18);
}

/* compile src under a placeholder name, dump it with its debug information
 * (as the build does), rename it, load it as binary and run it: the error
 * must start with want_prefix */
static void run_renamed(const char *src, const char *name, const char *want_prefix) {
    lua_State *L = luaL_newstate();
    CHECK(L != NULL);
    if (!L) return;
    luaL_openlibs(L);
    size_t dn = 0;
    CHECK(luaL_loadbufferx(L, src, strlen(src), "=?", "t") == LUA_OK);
    unsigned char *dp = luabc_dump(L, 0, &dn);
    CHECK(dp != NULL);
    lua_settop(L, 0);
    size_t rl = 0;
    unsigned char *r = luabc_rename(dp, dn, name, &rl);
    CHECK(r != NULL);
    if (r) {
        CHECK(luaL_loadbufferx(L, (const char *)r, rl, name, "b") == LUA_OK);
        CHECK(lua_pcall(L, 0, 0, 0) != LUA_OK);
        const char *msg = lua_tostring(L, -1);
        if (!msg || strncmp(msg, want_prefix, strlen(want_prefix)))
            fprintf(stderr, "got '%s', want '%s...'\n", msg ? msg : "(null)", want_prefix);
        CHECK(msg && !strncmp(msg, want_prefix, strlen(want_prefix)));
    }
    free(r);
    free(dp);
    lua_close(L);
}

static void test_rename_reports_the_file(void) {
    /* an error in the main function, line 3 */
    run_renamed("local x = 1\nlocal y = 2\nerror('boom')\n", "@house/x.lua", "house/x.lua:3: boom");
    /* in a nested function, line 4: nested functions inherit the name */
    run_renamed("local t = {}\nlocal function f()\n  local a = nil\n  return a.b\nend\nf()\n", "@house/y.lua",
                "house/y.lua:4:");
    /* a name of 200 bytes (a two-byte size): Lua shows its tail */
    char longname[202];
    memset(longname, 'a', sizeof longname - 1);
    longname[0] = '@';
    memcpy(longname + sizeof longname - 7, "/z.lua", 7);
    run_renamed("\n\nerror('deep')\n", longname, "...");
}

/* the engine loads every bundled rule from its chunk, and none with
 * CML_RULES_FROM_SOURCE=1 */
static void test_engine_uses_them(void) {
    char root[2048];
    snprintf(root, sizeof root, "%s/rules", src_dir());
    size_t before = luarule_precompiled_loads();
    registry *reg = registry_new();
    CHECK_INT(luarule_load_dir(reg, root, NULL), (long long)luabc_n_rules);
    CHECK_INT(luarule_precompiled_loads() - before, (long long)luabc_n_rules);
    registry_free(reg);
    setenv("CML_RULES_FROM_SOURCE", "1", 1);
    before = luarule_precompiled_loads();
    reg = registry_new();
    CHECK_INT(luarule_load_dir(reg, root, NULL), (long long)luabc_n_rules);
    CHECK_INT(luarule_precompiled_loads() - before, 0);
    registry_free(reg);
    unsetenv("CML_RULES_FROM_SOURCE");
}

static void test_rename_refuses_garbage(void) {
    size_t n = 0;
    unsigned char junk[64] = "not a chunk";
    CHECK(luabc_rename(junk, sizeof junk, "@a.lua", &n) == NULL);
    CHECK(luabc_rename(luabc_probe, 20, "@a.lua", &n) == NULL); /* shorter than the header */
    unsigned char h[40];
    memcpy(h, luabc_probe, 32);
    memset(h + 32, 0x7f, sizeof h - 32); /* a size that never ends */
    CHECK(luabc_rename(h, sizeof h, "@a.lua", &n) == NULL);
    h[32] = 0xff; /* a size of 127: a name of 126 bytes, past the end */
    CHECK(luabc_rename(h, sizeof h, "@a.lua", &n) == NULL);
    /* the probe itself renames (stripped: no name before) and loads */
    unsigned char *r = luabc_rename(luabc_probe, luabc_probe_len, "@probe.lua", &n);
    CHECK(r != NULL && n == luabc_probe_len + strlen("@probe.lua"));
    lua_State *L = luaL_newstate();
    CHECK(L && r && luaL_loadbufferx(L, (const char *)r, n, "@probe.lua", "b") == LUA_OK);
    if (L) lua_close(L);
    free(r);
}

int main(void) {
    RUN(test_every_bundled_rule);
    RUN(test_engine_uses_them);
    RUN(test_rename_reports_the_file);
    RUN(test_rename_refuses_garbage);
    return CHECK_DONE();
}
