/* SPDX-License-Identifier: Apache-2.0 */
/* bytecode_dump.c — lua_dump into memory, for the build-time precompiler,
 * the runtime's probe comparison (bytecode.c) and the tests. */
#include <stdlib.h>
#include <string.h>

#include <lua.h>

#include "host/lua/bytecode.h"

typedef struct dumpbuf {
    unsigned char *p;
    size_t n, cap;
} dumpbuf;

static int dump_to(lua_State *L, const void *p, size_t sz, void *ud) {
    (void)L;
    dumpbuf *d = ud;
    if (d->n + sz > d->cap) {
        size_t cap = d->cap ? d->cap : 4096;
        while (cap < d->n + sz) cap *= 2;
        unsigned char *q = realloc(d->p, cap);
        if (!q) return 1;
        d->p = q;
        d->cap = cap;
    }
    memcpy(d->p + d->n, p, sz);
    d->n += sz;
    return 0;
}

unsigned char *luabc_dump(lua_State *L, int strip, size_t *len) {
    dumpbuf d = {NULL, 0, 0};
    if (lua_dump(L, dump_to, &d, strip) != 0) {
        free(d.p);
        return NULL;
    }
    *len = d.n;
    return d.p;
}
