/* SPDX-License-Identifier: Apache-2.0 */
/* bytecode.c — finding a bundled rule's precompiled chunk (see bytecode.h). */
#define _DEFAULT_SOURCE
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "host/lua/bytecode.h"

/* SOURCE: lua 5.4 ldump.c / lundump.c (the format lua_dump writes): a
 * header of LUA_SIGNATURE (4 bytes), LUAC_VERSION, LUAC_FORMAT (1 each),
 * LUAC_DATA (6), the sizes of Instruction, lua_Integer and lua_Number (1
 * each), LUAC_INT and LUAC_NUM (8 each) = 31 bytes; then the main
 * closure's number of upvalues (1 byte); then the main function, first its
 * source name as a string: a size (size + 1, or 0 for none) in 7-bit
 * groups, most significant first, the last byte with bit 0x80 set,
 * followed by the bytes. Nested functions store no name of their own when
 * it equals their parent's and inherit it on load. */
#define LUABC_HEADER 31u
#define LUABC_SIZE_MAX_BYTES 10u

static size_t put_size(unsigned char *out, size_t x) {
    unsigned char tmp[LUABC_SIZE_MAX_BYTES];
    size_t n = 0;
    do {
        tmp[LUABC_SIZE_MAX_BYTES - ++n] = (unsigned char)(x & 0x7f);
        x >>= 7;
    } while (x != 0 && n < LUABC_SIZE_MAX_BYTES);
    tmp[LUABC_SIZE_MAX_BYTES - 1] |= 0x80;
    memcpy(out, tmp + LUABC_SIZE_MAX_BYTES - n, n);
    return n;
}

unsigned char *luabc_rename(const unsigned char *code, size_t len, const char *chunkname, size_t *out_len) {
    if (!code || !chunkname || len < LUABC_HEADER + 2 || memcmp(code, LUA_SIGNATURE, 4) != 0) return NULL;
    size_t at = LUABC_HEADER + 1, size = 0, nb = 0;
    for (;;) {
        if (at >= len || nb == LUABC_SIZE_MAX_BYTES || size > (SIZE_MAX >> 7)) return NULL;
        unsigned char b = code[at++];
        nb++;
        size = (size << 7) | (b & 0x7f);
        if (b & 0x80) break;
    }
    size_t old = size ? size - 1 : 0; /* the old name's bytes */
    if (old > len - at) return NULL;
    size_t rest = len - at - old, nlen = strlen(chunkname);
    unsigned char *out = malloc(LUABC_HEADER + 1 + LUABC_SIZE_MAX_BYTES + nlen + rest);
    if (!out) return NULL;
    memcpy(out, code, LUABC_HEADER + 1);
    size_t o = LUABC_HEADER + 1;
    o += put_size(out + o, nlen + 1);
    memcpy(out + o, chunkname, nlen);
    o += nlen;
    memcpy(out + o, code + at + old, rest);
    *out_len = o + rest;
    return out;
}

/* Does the running liblua write, for the probe, the bytes the build's did? */
static bool same_code_generator(void) {
    static int known = -1;
    if (known >= 0) return known;
    known = 0;
    lua_State *L = luaL_newstate();
    if (!L) return false;
    const char *src = LUABC_PROBE_SOURCE;
    size_t n = 0;
    unsigned char *d = luaL_loadbufferx(L, src, strlen(src), "=probe", "t") == LUA_OK ? luabc_dump(L, 1, &n) : NULL;
    known = d && n == luabc_probe_len && memcmp(d, luabc_probe, n) == 0;
    free(d);
    lua_close(L);
    return known;
}

unsigned char *luabc_for(const char *id, const char *src, size_t len, const char *chunkname, size_t *out_len) {
    const char *off = getenv("CML_RULES_FROM_SOURCE");
    if (!id || !src || (off && !strcmp(off, "1"))) return NULL;
    const luabc_entry *e = NULL;
    for (size_t i = 0; i < luabc_n_rules; i++)
        if (!strcmp(luabc_rules[i].id, id)) {
            e = &luabc_rules[i];
            break;
        }
    if (!e || e->src_len != len || e->src_hash != luabc_hash(src, len)) return NULL;
    if (!same_code_generator()) return NULL;
    return luabc_rename(e->code, e->code_len, chunkname, out_len);
}
