/* SPDX-License-Identifier: Apache-2.0 */
/* patterns.h — string.find, string.match, string.gmatch and string.gsub for
 * rules, with Lua 5.4's pattern language, on a matcher whose every step is
 * paid for.
 *
 * Lua's own matcher (lstrlib.c) runs inside one C call: a backtracking
 * pattern ("a*a*a*a*a*b" against a long run of a's) executes no VM
 * instruction while it works, so the count hook never fires and neither the
 * instruction budget nor a wall clock checked by the hook can stop it. This
 * matcher implements the pattern language as the Lua 5.4 reference manual
 * (section 6.4.1) and lstrlib's behaviour define it — same results, same
 * error messages, same limits (32 captures, 200 levels of matcher
 * recursion) — and hands the host one unit per step through `charge`, which
 * raises when the rule's budget or wall clock is spent.
 * tests/unit/host/test_lua.c compares it with liblua's on random patterns. */
#ifndef CML_HOST_LUA_PATTERNS_H
#define CML_HOST_LUA_PATTERNS_H

#include <stdint.h>

#include <lua.h>

typedef struct luapat_hooks {
    /* charge n steps (may raise a Lua error; NULL: free of charge) */
    void (*charge)(lua_State *L, uint64_t n);
} luapat_hooks;

/* Replace find, match, gmatch and gsub in the table at idx (the string
 * library, which the string metatable's __index also is). hooks must live
 * as long as L.                                           [-0, +0, m] */
void luapat_register(lua_State *L, int idx, const luapat_hooks *hooks);

#endif
