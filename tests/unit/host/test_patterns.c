/* SPDX-License-Identifier: Apache-2.0 */
/* test_patterns.c — the rules' pattern functions (core/host/lua/patterns.c)
 * against liblua's own string library: random subjects and patterns (every
 * construct of the pattern language, malformed ones too) through find,
 * match, gmatch and gsub with string, table and function replacements must
 * give the same results and the same error messages. And a pattern that
 * backtracks for ages pays for its steps: the charge hook sees them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lualib.h>

#include "check.h"
#include "host/lua/patterns.h"

/* In Lua: two libraries, the same random cases, every difference printed. */
static const char HARNESS[] =
    "local real, ours, N = ...\n"
    "math.randomseed(20240611, 7)\n"
    "local pieces = { 'a', 'b', 'c', '.', '%a', '%d', '%s', '%w', '%A', '%S', '%%', '%.', '[ab]', '[^a]',\n"
    "  '[a-c]', '[%d%s]', '[]a]', '[^]]', '*', '+', '-', '?', '(', ')', '()', '%b()', '%bab', '%f[%w]',\n"
    "  '%f[%W]', '%1', '%2', '%0', '$', '^', '%', '[', ']', '[a', '%b', '%f', '%fa', '%z', 'x', '\\0', '\\255' }\n"
    "local chars = { 'a', 'b', 'c', '1', ' ', '(', ')', 'x', '\\0', '\\255', '%', ']' }\n"
    "local function rnd(t, n) local o = {} for i = 1, math.random(0, n) do o[#o + 1] = t[math.random(#t)] end\n"
    "  return table.concat(o) end\n"
    "local function pat() local p = rnd(pieces, 7) if math.random() < 0.2 then p = '^' .. p end\n"
    "  if math.random() < 0.2 then p = p .. '$' end return p end\n"
    "local function ser(ok, ...)\n"
    "  local o = { tostring(ok) }\n"
    "  for i = 1, select('#', ...) do local v = select(i, ...)\n"
    "    o[#o + 1] = type(v) .. ':' .. tostring(v) end\n"
    "  return table.concat(o, '|') end\n"
    "local function gm(lib, s, p, init)\n"
    "  local out = {} local n = 0\n"
    "  for a, b, c in lib.gmatch(s, p, init) do n = n + 1 if n > 50 then break end\n"
    "    out[#out + 1] = tostring(a) .. ',' .. tostring(b) .. ',' .. tostring(c) end\n"
    "  return table.concat(out, ';') end\n"
    "local reps = { '<%0|%1>', '%%', 'x%2', '[%1%1]', 'plain', '%', '%x', 7 }\n"
    "local tbl = { a = 'A', b = false, ['1'] = 'one' }\n"
    "local function fn(a, b) if a == 'b' then return nil end if a == 'c' then return false end\n"
    "  if a == 'x' then return {} end return (a or '') .. '!' .. tostring(b) end\n"
    "local bad, shown, cases = 0, 0, 0\n"
    "for i = 1, N do\n"
    "  local s, p = rnd(chars, 14), pat()\n"
    "  local init = ({ nil, 1, 2, -1, -3, 0, 20 })[math.random(7)]\n"
    "  local calls = {\n"
    "    function(l) return l.find(s, p) end,\n"
    "    function(l) return l.find(s, p, init) end,\n"
    "    function(l) return l.find(s, p, init, true) end,\n"
    "    function(l) return l.match(s, p) end,\n"
    "    function(l) return l.match(s, p, init) end,\n"
    "    function(l) return gm(l, s, p, init) end,\n"
    "    function(l) return l.gsub(s, p, reps[math.random(#reps)]) end,\n"
    "    function(l) return l.gsub(s, p, tbl) end,\n"
    "    function(l) return l.gsub(s, p, fn, math.random(0, 3)) end,\n"
    "  }\n"
    "  for k, call in ipairs(calls) do\n"
    "    cases = cases + 1\n"
    "    local seed = math.random(1 << 30)\n"
    "    math.randomseed(seed) local a = ser(pcall(call, real))\n"
    "    math.randomseed(seed) local b = ser(pcall(call, ours))\n"
    "    if a ~= b then bad = bad + 1\n"
    "      if shown < 8 then shown = shown + 1\n"
    "        io.stderr:write(string.format('  differ (call %d): s=%q p=%q init=%s\\n    liblua: %s\\n    ours:   %s\\n',\n"
    "          k, s, p, tostring(init), a, b)) end end\n"
    "  end\n"
    "end\n"
    "return bad, cases\n";

static void test_same_as_liblua(void) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    if (luaL_loadstring(L, HARNESS) != LUA_OK) {
        fprintf(stderr, "harness: %s\n", lua_tostring(L, -1));
        CHECK(0);
        lua_close(L);
        return;
    }
    lua_getglobal(L, "string");
    lua_newtable(L);
    luapat_register(L, -1, NULL);
    lua_pushinteger(L, 30000);
    if (lua_pcall(L, 3, 2, 0) != LUA_OK) {
        fprintf(stderr, "harness: %s\n", lua_tostring(L, -1));
        CHECK(0);
    } else {
        lua_Integer bad = lua_tointeger(L, -2), cases = lua_tointeger(L, -1);
        fprintf(stderr, "  %lld calls compared, %lld differ\n", (long long)cases, (long long)bad);
        CHECK_INT(bad, 0);
        CHECK(cases >= 200000);
    }
    lua_close(L);
}

static uint64_t charged;
static void count_charge(lua_State *L, uint64_t n) {
    charged += n;
    if (charged > 5000000) luaL_error(L, "stopped after %d steps", (int)charged);
}

/* The classic backtracking bomb costs billions of steps in liblua, all in
 * one C call; ours is stopped by the hook after the cap above. */
static void test_bomb_is_charged(void) {
    static const luapat_hooks hooks = {count_charge};
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_newtable(L);
    luapat_register(L, -1, &hooks);
    lua_setglobal(L, "pat");
    charged = 0;
    int st = luaL_dostring(L, "return pat.find(string.rep('a', 40), string.rep('a*', 30) .. 'b')");
    CHECK(st != LUA_OK);
    CHECK(st != LUA_OK && strstr(lua_tostring(L, -1), "stopped after") != NULL);
    CHECK(charged > 5000000);
    /* ordinary work is cheap */
    charged = 0;
    lua_settop(L, 0);
    st = luaL_dostring(L, "return pat.match('  conv_12_weight  ', '^%s*(.-)%s*$')");
    CHECK(st == LUA_OK && !strcmp(lua_tostring(L, -1), "conv_12_weight"));
    CHECK(charged < 2000);
    lua_close(L);
}

int main(void) {
    RUN(test_same_as_liblua);
    RUN(test_bomb_is_charged);
    return CHECK_DONE();
}
