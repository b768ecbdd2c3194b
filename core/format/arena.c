/* arena.c — bounded bump allocator (see arena.h). Chunks grow geometrically;
 * large requests get a chunk of their own. Nothing is freed before arena_free. */
#include "format/arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16u
#define ARENA_FIRST_CHUNK (64u * 1024u)
#define ARENA_DEFAULT_CAP ((size_t)1 << 30)

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    unsigned char *mem; /* points just past the header, aligned */
} chunk;

struct arena {
    chunk *head;
    size_t cap, used, next_size;
    int exhausted;
};

arena *arena_new(size_t cap) {
    arena *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->cap = cap ? cap : ARENA_DEFAULT_CAP;
    a->next_size = ARENA_FIRST_CHUNK;
    return a;
}

void arena_free(arena *a) {
    if (!a) return;
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

static chunk *new_chunk(size_t size) {
    size_t hdr = (sizeof(chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size > SIZE_MAX - hdr) return NULL;
    chunk *c = malloc(hdr + size);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    c->mem = (unsigned char *)c + hdr;
    return c;
}

void *arena_alloc(arena *a, size_t n) {
    if (!a) return NULL;
    if (n == 0) n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN) { a->exhausted = 1; return NULL; }
    size_t need = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (need > a->cap || a->used > a->cap - need) {
        a->exhausted = 1;
        return NULL;
    }
    chunk *c = a->head;
    if (!c || c->size - c->used < need) {
        size_t sz = a->next_size;
        if (need > sz / 4) {
            /* big request: its own chunk, inserted behind the current head
             * so the head keeps serving small requests */
            chunk *big = new_chunk(need);
            if (!big) { a->exhausted = 1; return NULL; }
            big->used = need;
            if (c) { big->next = c->next; c->next = big; }
            else a->head = big;
            a->used += need;
            memset(big->mem, 0, need);
            return big->mem;
        }
        chunk *nc = new_chunk(sz);
        if (!nc) { a->exhausted = 1; return NULL; }
        nc->next = c;
        a->head = c = nc;
        if (a->next_size < (16u << 20)) a->next_size *= 2;
    }
    void *p = c->mem + c->used;
    c->used += need;
    a->used += need;
    memset(p, 0, need);
    return p;
}

void *arena_calloc(arena *a, size_t n, size_t sz) {
    if (sz && n > SIZE_MAX / sz) { if (a) a->exhausted = 1; return NULL; }
    return arena_alloc(a, n * sz);
}

void *arena_realloc(arena *a, void *old, size_t old_n, size_t new_n) {
    void *p = arena_alloc(a, new_n);
    if (p && old && old_n) memcpy(p, old, old_n < new_n ? old_n : new_n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    if (p && n) memcpy(p, s, n);
    return p;
}

char *arena_strdup(arena *a, const char *s) {
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

char *arena_printf(arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

size_t arena_used(const arena *a) { return a ? a->used : 0; }
int arena_exhausted(const arena *a) { return a ? a->exhausted : 1; }

static void *pb_alloc(void *data, size_t size) { return arena_alloc(data, size); }
static void pb_free(void *data, void *ptr) { (void)data; (void)ptr; }

ProtobufCAllocator arena_pb_allocator(arena *a) {
    ProtobufCAllocator al = { pb_alloc, pb_free, a };
    return al;
}
