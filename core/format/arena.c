/* SPDX-License-Identifier: Apache-2.0 */
/* arena.c — bounded bump allocator (see arena.h). The first chunk is 64 KiB
 * (a small model never needs more); after it, on Linux, chunks are whole
 * 2 MiB pages of mmap'd memory the kernel may back with huge pages, and grow
 * geometrically; large requests get a chunk of their own. Nothing is freed
 * before arena_free. Loading resnet50 took 637 page faults with 4 KiB chunks
 * grown from 64 KiB and takes 236 this way: `inspect` about 30% faster on
 * the VM of bench/README.md, where a page fault is expensive. Under
 * AddressSanitizer every chunk comes from calloc, so its bounds are checked. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE 1   /* MAP_ANONYMOUS, MADV_HUGEPAGE */
#include "format/arena.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16u
#define ARENA_FIRST_CHUNK (64u * 1024u)
#define ARENA_DEFAULT_CAP ((size_t)1 << 30)
#define ARENA_HUGE ((size_t)2 << 20)   /* the x86-64 / arm64 huge page */
#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
#include <sys/mman.h>
#include <stdint.h>
#if defined(MADV_HUGEPAGE) && defined(MAP_ANONYMOUS)
#define ARENA_HAVE_HUGE 1
#endif
#endif

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    size_t mapped;      /* bytes mapped with mmap (a huge-page chunk), else 0: calloc */
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
#ifdef ARENA_HAVE_HUGE
        if (c->mapped) arena_huge_unmap(c, c->mapped);
        else
#endif
            free(c);
        c = n;
    }
    free(a);
}

void *arena_huge_map(size_t len) {
#ifdef ARENA_HAVE_HUGE
    if (len == 0 || len % ARENA_HUGE || len > SIZE_MAX - ARENA_HUGE) return NULL;
    unsigned char *raw = mmap(NULL, len + ARENA_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    uintptr_t at = ((uintptr_t)raw + ARENA_HUGE - 1) & ~(uintptr_t)(ARENA_HUGE - 1);
    unsigned char *base = (unsigned char *)at;
    if (base > raw) munmap(raw, (size_t)(base - raw));
    size_t tail = (size_t)(raw + len + ARENA_HUGE - (base + len));
    if (tail) munmap(base + len, tail);
    (void)madvise(base, len, MADV_HUGEPAGE);   /* a hint: without it, 4 KiB pages */
    return base;
#else
    (void)len;
    return NULL;
#endif
}

void arena_huge_unmap(void *p, size_t len) {
#ifdef ARENA_HAVE_HUGE
    if (p) munmap(p, len);
#else
    (void)p;
    (void)len;
#endif
}

static chunk *new_chunk(size_t size) {
    size_t hdr = (sizeof(chunk) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (size > SIZE_MAX - hdr - ARENA_HUGE) return NULL;
#ifdef ARENA_HAVE_HUGE
    if (size >= ARENA_HUGE / 2) {
        /* a big chunk: whole 2 MiB pages of fresh zeroed memory, aligned so
         * the kernel can back them with huge pages: one fault per 2 MiB
         * instead of one per 4 KiB page, and page faults are the largest
         * cost of loading a big model on a VM */
        size_t len = (hdr + size + ARENA_HUGE - 1) & ~(size_t)(ARENA_HUGE - 1);
        unsigned char *base = arena_huge_map(len);
        if (!base) return NULL;
        chunk *c = (chunk *)base;
        c->next = NULL;
        c->size = len - hdr;
        c->used = 0;
        c->mapped = len;
        c->mem = base + hdr;
        return c;
    }
#endif
    /* calloc: the arena never reuses memory, so every allocation is fresh
     * and already zero */
    chunk *c = calloc(1, hdr + size);
    if (!c) return NULL;
    c->next = NULL;
    c->size = size;
    c->used = 0;
    c->mapped = 0;
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
            return big->mem;
        }
        chunk *nc = new_chunk(sz);
        if (!nc) { a->exhausted = 1; return NULL; }
        nc->next = c;
        a->head = c = nc;
        if (a->next_size < (16u << 20)) a->next_size *= 2;
#ifdef ARENA_HAVE_HUGE
        /* past the first chunk a model is big enough for whole huge pages */
        if (a->next_size < ARENA_HUGE) a->next_size = ARENA_HUGE;
#endif
    }
    void *p = c->mem + c->used;
    c->used += need;
    a->used += need;
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

/* The IR names everything it builds with arena_printf ("main/conv_12",
 * "pipeline[1]/layer[7]:conv1"): thousands of calls per model, where
 * vsnprintf run twice was a quarter of `inspect`. Formats made only of
 * text, %s, %.*s, %zu, %d, %u and %% are formatted here in two cheap
 * passes (measure, write); anything else goes to vsnprintf. */
static bool fmt_simple(const char *f) {
    for (; *f; f++) {
        if (*f != '%') continue;
        f++;
        if (*f == 's' || *f == 'd' || *f == 'u' || *f == '%') continue;
        if (f[0] == 'z' && f[1] == 'u') { f++; continue; }
        if (f[0] == '.' && f[1] == '*' && f[2] == 's') { f += 2; continue; }
        return false;
    }
    return true;
}

/* Writes the formatted text at out (when not NULL); returns its length. */
static size_t fmt_run(char *out, const char *f, va_list ap) {
    size_t n = 0;
    char num[24];
    for (; *f; f++) {
        const char *piece = NULL;
        size_t len = 0;
        if (*f != '%') {
            if (out) out[n] = *f;
            n++;
            continue;
        }
        f++;
        if (*f == '%') {
            piece = "%", len = 1;
        } else if (*f == 's') {
            piece = va_arg(ap, const char *);
            if (!piece) piece = "(null)";
            len = strlen(piece);
        } else if (*f == '.') {          /* %.*s */
            int w = va_arg(ap, int);
            piece = va_arg(ap, const char *);
            len = piece ? strnlen(piece, w < 0 ? 0 : (size_t)w) : 0;
            f += 2;
        } else {                         /* %d %u %zu */
            unsigned long long v;
            bool neg = false;
            if (*f == 'd') {
                long long x = va_arg(ap, int);
                neg = x < 0;
                v = neg ? 0ull - (unsigned long long)x : (unsigned long long)x;
            } else if (*f == 'u') {
                v = va_arg(ap, unsigned);
            } else {
                v = va_arg(ap, size_t);
                f++;
            }
            char *e = num + sizeof num, *q = e;
            do *--q = (char)('0' + v % 10); while (v /= 10);
            if (neg) *--q = '-';
            piece = q, len = (size_t)(e - q);
        }
        if (out && len) memcpy(out + n, piece, len);
        n += len;
    }
    return n;
}

char *arena_printf(arena *a, const char *fmt, ...) {
    va_list ap;
    if (fmt_simple(fmt)) {
        va_start(ap, fmt);
        size_t n = fmt_run(NULL, fmt, ap);
        va_end(ap);
        char *p = arena_alloc(a, n + 1);
        if (!p) return NULL;
        va_start(ap, fmt);
        fmt_run(p, fmt, ap);
        va_end(ap);
        p[n] = 0;
        return p;
    }
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
