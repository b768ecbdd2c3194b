/* SPDX-License-Identifier: Apache-2.0 */
/* sbheap.c — size-class heap of the rule states, on slabs of huge-page
 * regions (see sbheap.h). */
#define _DEFAULT_SOURCE
#include "host/lua/sbheap.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/arena.h"

#if defined(__SANITIZE_ADDRESS__)
#define SBHEAP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SBHEAP_ASAN 1
#endif
#endif
#ifdef SBHEAP_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define REGION ((size_t)2 << 20)    /* one huge page */
#define SLAB ((size_t)64 << 10)
#define SLAB_HDR 16u                /* the slab's link, keeps blocks 16-aligned */

/* Class sizes: every 16 bytes up to 512, then four steps per doubling up
 * to SBHEAP_MAX_POOLED. */
static const uint16_t class_size[] = {
    16,  32,  48,  64,  80,  96,  112, 128, 144, 160,  176,  192,  208,  224,  240,  256,  272,  288,  304,  320,  336,  352,
    368, 384, 400, 416, 432, 448, 464, 480, 496, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096};
#define NCLASS (sizeof class_size / sizeof *class_size)

typedef struct slab {
    struct slab *next;
} slab;

struct sbheap {
    void *free[NCLASS];      /* free blocks per class, linked through their first word */
    unsigned char *cur, *end; /* the current slab's uncarved space */
    slab *slabs;
    size_t nslabs;
};

/* Slabs no heap holds, and the lock that guards them. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static slab *g_free;
static size_t g_regions;   /* regions taken, for sbheap_region_bytes */

static unsigned class_of(size_t n) {
    if (n <= 512) return n ? (unsigned)((n - 1) >> 4) : 0;
    unsigned c = 32;
    while (c < NCLASS - 1 && class_size[c] < n) c++;
    return c;
}

/* a new region cut into slabs on g_free; g_lock held */
static int refill(void) {
    unsigned char *r = arena_huge_map(REGION);
    if (!r) r = aligned_alloc(SLAB, REGION);   /* not Linux, or a sanitizer build */
    if (!r) return 0;
    g_regions++;
    for (size_t off = REGION; off >= SLAB; off -= SLAB) {
        slab *s = (slab *)(r + off - SLAB);
        s->next = g_free;
        g_free = s;
        POISON((unsigned char *)s + SLAB_HDR, SLAB - SLAB_HDR);
    }
    return 1;
}

static int take_slab(sbheap *h) {
    pthread_mutex_lock(&g_lock);
    slab *s = g_free || refill() ? g_free : NULL;
    if (s) g_free = s->next;
    pthread_mutex_unlock(&g_lock);
    if (!s) return 0;
    s->next = h->slabs;
    h->slabs = s;
    h->nslabs++;
    h->cur = (unsigned char *)s + SLAB_HDR;
    h->end = (unsigned char *)s + SLAB;
    return 1;
}

static void push_free(sbheap *h, unsigned c, void *p) {
    POISON(p, class_size[c]);
    UNPOISON(p, sizeof(void *));
    *(void **)p = h->free[c];
    POISON(p, sizeof(void *));
    h->free[c] = p;
}

static void *pool_alloc(sbheap *h, size_t n) {
    unsigned c = class_of(n);
    void *p = h->free[c];
    if (p) {
        UNPOISON(p, sizeof(void *));
        h->free[c] = *(void **)p;
    } else {
        size_t sz = class_size[c];
        if ((size_t)(h->end - h->cur) < sz) {
            /* the slab's tail goes to the free lists, largest class first */
            while ((size_t)(h->end - h->cur) >= class_size[0]) {
                unsigned t = class_of((size_t)(h->end - h->cur));
                if (class_size[t] > (size_t)(h->end - h->cur)) t--;
                push_free(h, t, h->cur);
                h->cur += class_size[t];
            }
            if (!take_slab(h)) return NULL;
        }
        p = h->cur;
        h->cur += sz;
    }
    UNPOISON(p, n);
    return p;
}

sbheap *sbheap_new(void) { return calloc(1, sizeof(sbheap)); }

void sbheap_free(sbheap *h) {
    if (!h) return;
    if (h->slabs) {
        slab *last = h->slabs;
        for (slab *s = h->slabs; s; s = s->next) {
            POISON((unsigned char *)s + SLAB_HDR, SLAB - SLAB_HDR);
            last = s;
        }
        pthread_mutex_lock(&g_lock);
        last->next = g_free;
        g_free = h->slabs;
        pthread_mutex_unlock(&g_lock);
    }
    free(h);
}

size_t sbheap_slab_bytes(const sbheap *h) { return h ? h->nslabs * SLAB : 0; }

size_t sbheap_region_bytes(void) {
    pthread_mutex_lock(&g_lock);
    size_t n = g_regions * REGION;
    pthread_mutex_unlock(&g_lock);
    return n;
}

static void *route_alloc(sbheap *h, size_t n) { return n > SBHEAP_MAX_POOLED ? malloc(n) : pool_alloc(h, n); }

static void route_free(sbheap *h, void *p, size_t n) {
    if (n > SBHEAP_MAX_POOLED) free(p);
    else push_free(h, class_of(n), p);
}

void *sbheap_realloc(sbheap *h, void *ptr, size_t osize, size_t nsize) {
    if (!ptr) return nsize ? route_alloc(h, nsize) : NULL;
    if (nsize == 0) {
        route_free(h, ptr, osize);
        return NULL;
    }
    int obig = osize > SBHEAP_MAX_POOLED, nbig = nsize > SBHEAP_MAX_POOLED;
    if (obig && nbig) return realloc(ptr, nsize);
    if (!obig && !nbig && class_of(osize) == class_of(nsize)) {
        /* same class: in place */
        unsigned c = class_of(nsize);
        UNPOISON(ptr, nsize);
        POISON((unsigned char *)ptr + nsize, class_size[c] - nsize);
        return ptr;
    }
    /* another class, smaller ones too: the block moves, so no block ever
     * sits in a class smaller than the memory it occupies */
    void *q = route_alloc(h, nsize);
    if (!q) return NULL;
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    route_free(h, ptr, osize);
    return q;
}
