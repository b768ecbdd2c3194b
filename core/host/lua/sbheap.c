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
#define MAX_REGIONS 64              /* 128 MiB of slabs in all; then malloc */
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
    void *free[NCLASS];       /* free blocks per class, linked through their first word */
    unsigned char *cur, *end; /* the current slab's uncarved space */
    slab *slabs;
    size_t nslabs;
};

/* Slabs no heap holds, and the regions they were cut from. Regions are
 * only ever added: a region's base is stored before g_nregions counts it
 * (release), so is_slab_block reads the list without the lock. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static slab *g_free;
static unsigned char *g_region[MAX_REGIONS];
static unsigned g_nregions;

static unsigned class_of(size_t n) {
    if (n <= 512) return n ? (unsigned)((n - 1) >> 4) : 0;
    unsigned c = 32;
    while (c < NCLASS - 1 && class_size[c] < n) c++;
    return c;
}

static int is_slab_block(const void *p) {
    unsigned n = __atomic_load_n(&g_nregions, __ATOMIC_ACQUIRE);
    uintptr_t a = (uintptr_t)p;
    for (unsigned i = 0; i < n; i++)
        if (a - (uintptr_t)g_region[i] < REGION) return 1;
    return 0;
}

/* a new region cut into slabs on g_free; g_lock held */
static int refill(void) {
    if (g_nregions == MAX_REGIONS) return 0;
    unsigned char *r = arena_huge_map(REGION);
    if (!r) r = aligned_alloc(REGION, REGION);   /* not Linux, or a sanitizer build */
    if (!r) return 0;
    for (size_t off = REGION; off >= SLAB; off -= SLAB) {
        slab *s = (slab *)(r + off - SLAB);
        s->next = g_free;
        g_free = s;
        POISON((unsigned char *)s + SLAB_HDR, SLAB - SLAB_HDR);
    }
    g_region[g_nregions] = r;
    __atomic_store_n(&g_nregions, g_nregions + 1, __ATOMIC_RELEASE);
    return 1;
}

static int take_slab(sbheap *h) {
    if (h->nslabs >= SBHEAP_MAX_SLABS) return 0;
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

/* a block of n bytes (n <= SBHEAP_MAX_POOLED) from the slabs, or NULL
 * when the heap may take no more slabs */
static void *slab_alloc(sbheap *h, size_t n) {
    unsigned c = class_of(n);
    void *p = h->free[c];
    if (p) {
        UNPOISON(p, sizeof(void *));
        h->free[c] = *(void **)p;
        POISON(p, sizeof(void *));   /* a block under 8 bytes: its link's tail stays out of bounds */
    } else {
        size_t sz = class_size[c];
        if ((size_t)(h->end - h->cur) < sz) {
            if (h->nslabs >= SBHEAP_MAX_SLABS) return NULL;
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

size_t sbheap_region_bytes(void) { return __atomic_load_n(&g_nregions, __ATOMIC_ACQUIRE) * REGION; }

static void *any_alloc(sbheap *h, size_t n) {
    void *p = n <= SBHEAP_MAX_POOLED ? slab_alloc(h, n) : NULL;
    return p ? p : malloc(n);
}

static void any_free(sbheap *h, void *p, size_t n) {
    if (is_slab_block(p)) push_free(h, class_of(n), p);
    else free(p);
}

void *sbheap_realloc(sbheap *h, void *ptr, size_t osize, size_t nsize) {
    if (!ptr) return nsize ? any_alloc(h, nsize) : NULL;
    if (nsize == 0) {
        any_free(h, ptr, osize);
        return NULL;
    }
    if (!is_slab_block(ptr)) {
        /* malloc's block: stays malloc's unless it shrinks into the slabs */
        if (nsize > SBHEAP_MAX_POOLED || nsize >= osize) return realloc(ptr, nsize);
        void *q = slab_alloc(h, nsize);
        if (!q) return realloc(ptr, nsize);
        memcpy(q, ptr, nsize);
        free(ptr);
        return q;
    }
    if (nsize <= SBHEAP_MAX_POOLED && class_of(osize) == class_of(nsize)) {
        /* same class: in place */
        UNPOISON(ptr, nsize);
        POISON((unsigned char *)ptr + nsize, class_size[class_of(nsize)] - nsize);
        return ptr;
    }
    /* another class, smaller ones too: the block moves, so no block ever
     * sits in a class smaller than the memory it occupies */
    void *q = any_alloc(h, nsize);
    if (!q) return NULL;
    memcpy(q, ptr, osize < nsize ? osize : nsize);
    push_free(h, class_of(osize), ptr);
    return q;
}
