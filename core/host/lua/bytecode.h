/* SPDX-License-Identifier: Apache-2.0 */
/* bytecode.h — the bundled Lua rules compiled at build time (module luabc_).
 *
 * Compiling the bundled rules' 115 kB of source was half of what loading
 * the rule set costs (13 of 25 million instructions on every `check`), so
 * the build compiles each bundled rule once (precompile.c, a host tool run
 * by CMake) and the binary carries the result. A rule file gets its
 * precompiled chunk only when all of this holds, else it is compiled from
 * its text as before:
 *   - the file's rule id, length and 64-bit hash equal the build's (an
 *     edited or foreign file is compiled from its text);
 *   - the Lua library the process runs with generates, for a probe chunk
 *     that touches most of the language, the very bytes the build's did
 *     (a different liblua is never fed bytecode it did not write);
 *   - CML_RULES_FROM_SOURCE is not set to 1 (tests and benchmarks compare
 *     both paths).
 * Binary chunks are loaded only from this table, which is part of the
 * executable; files on disk are always loaded as text (mode "t"). The
 * chunk's source name, which Lua prints in every error message and
 * traceback, is rewritten to the name the text would have had. */
#ifndef CML_HOST_LUA_BYTECODE_H
#define CML_HOST_LUA_BYTECODE_H

#include <stddef.h>
#include <stdint.h>

typedef struct luabc_entry {
    const char *id;                  /* "category/name" */
    size_t src_len;                  /* the source file's length and hash */
    uint64_t src_hash;
    const unsigned char *code;       /* lua_dump of the compiled chunk, debug information kept */
    size_t code_len;
} luabc_entry;

/* written by precompile.c into the build tree */
extern const luabc_entry luabc_rules[];
extern const size_t luabc_n_rules;
extern const unsigned char luabc_probe[];   /* lua_dump(strip) of LUABC_PROBE_SOURCE */
extern const size_t luabc_probe_len;

/* A chunk exercising the code generator: locals, upvalues, closures,
 * varargs, integer and float arithmetic, comparisons, string and table
 * constructors, numeric and generic for, goto, method calls, tail calls. */
#define LUABC_PROBE_SOURCE                                                                          \
    "local a, b <const> = 1, 2.5\n"                                                                 \
    "local t = {x = 1, [2] = 'two', 3, 4.0, 'five', nil, true, {}, ...}\n"                         \
    "local function f(x, ...) local n = select('#', ...) return x // 3, x % 7, x ^ 2, n end\n"    \
    "local s = 0\n"                                                                                 \
    "for i = 1, 10, 2 do s = s + i * b - a end\n"                                                   \
    "for k, v in pairs(t) do if k == 'x' and v ~= 2 or not v then s = s .. k end end\n"            \
    "while s and a < 3 do a = a + 1; if a > 2 then goto done end end\n"                            \
    "::done::\n"                                                                                    \
    "local o = {n = 0}; function o:inc(d) self.n = self.n + (d or 1) & 0xff | 1 << 2 >> 1 end\n"   \
    "o:inc(3)\n"                                                                                    \
    "return function(...) return f(a + #t, ...), -b, ~a, s <= 1e300 end\n"

/* FNV-1a, 64 bits: the file's identity, with its length and rule id */
static inline uint64_t luabc_hash(const void *p, size_t n) {
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

/* The precompiled chunk of rule `id` when its source is exactly
 * src[0..len) and the running liblua writes what the build's wrote, with
 * its main function's source name set to chunkname (malloc'd, *out_len
 * bytes); NULL otherwise. */
unsigned char *luabc_for(const char *id, const char *src, size_t len, const char *chunkname, size_t *out_len);

/* lua_dump of the function on top of L's stack into memory (malloc'd,
 * *len bytes), with or without its debug information; NULL on failure */
typedef struct lua_State lua_State;
unsigned char *luabc_dump(lua_State *L, int strip, size_t *len);

/* Rewrite the source name of a lua_dump'ed chunk's main function (Lua 5.4
 * layout); NULL when the chunk is not one this understands. Exposed for
 * the tests. */
unsigned char *luabc_rename(const unsigned char *code, size_t len, const char *chunkname, size_t *out_len);

#endif
