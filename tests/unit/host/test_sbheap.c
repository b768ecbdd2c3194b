/* SPDX-License-Identifier: Apache-2.0 */
/* test_sbheap.c — the rule states' heap (core/host/lua/sbheap.c): contents
 * survive every kind of realloc (in class, across classes both ways, across
 * the malloc boundary), pooled blocks are 16-byte aligned and never
 * overlap, freed blocks are reused, a block that shrinks moves to its new
 * class (so a grow-shrink-free cycle cannot pile up memory the sandbox's cap
 * does not count), a heap holds at most SBHEAP_MAX_SLABS slabs however its
 * blocks cycle through the classes (then malloc serves it), and a freed
 * heap's slabs serve the next one. Under
 * AddressSanitizer the poisoning of free space is checked too: the suite's
 * sanitizer build runs this file. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "host/lua/sbheap.h"

#define NLIVE 1500

typedef struct blk {
    unsigned char *p;
    size_t n;
    unsigned char tag;
} blk;

static uint64_t rs = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* sizes around every boundary: small classes, the 512 step, the top class, malloc */
static size_t rnd_size(void) {
    switch (rnd() % 6) {
    case 0: return 1 + rnd() % 64;
    case 1: return 1 + rnd() % 512;
    case 2: return 500 + rnd() % 40;
    case 3: return 512 + rnd() % 3600;
    case 4: return SBHEAP_MAX_POOLED - 8 + rnd() % 16;
    default: return 4000 + rnd() % 9000;
    }
}

static void fill(blk *b) {
    for (size_t i = 0; i < b->n; i++) b->p[i] = (unsigned char)(b->tag + i * 31);
}

static int intact(const blk *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != (unsigned char)(b->tag + i * 31)) return 0;
    return 1;
}

static void test_random_traffic(void) {
    sbheap *h = sbheap_new();
    CHECK(h != NULL);
    static blk live[NLIVE];
    memset(live, 0, sizeof live);
    long bad = 0, misaligned = 0;
    for (int step = 0; step < 60000; step++) {
        blk *b = &live[rnd() % NLIVE];
        if (!b->p) {
            b->n = rnd_size();
            b->tag = (unsigned char)rnd();
            b->p = sbheap_realloc(h, NULL, 7 /* Lua passes a type tag here */, b->n);
            if (!b->p) { bad++; continue; }
            if (b->n <= SBHEAP_MAX_POOLED && ((uintptr_t)b->p & 15)) misaligned++;
            fill(b);
        } else if (rnd() % 3 == 0) {
            if (!intact(b, b->n)) bad++;
            sbheap_realloc(h, b->p, b->n, 0);
            b->p = NULL;
        } else {
            long d = (long)(rnd() % 9) - 4;   /* a few bytes either way: mostly the same class */
            size_t n = rnd() % 4 ? rnd_size() : (long)b->n + d >= 1 ? (size_t)((long)b->n + d) : 1;
            unsigned char *q = sbheap_realloc(h, b->p, b->n, n);
            if (!q) { bad++; continue; }
            b->p = q;
            if (!intact(b, b->n < n ? b->n : n)) bad++;
            b->n = n;
            if (n <= SBHEAP_MAX_POOLED && ((uintptr_t)q & 15)) misaligned++;
            fill(b);
        }
    }
    /* every live block still holds its own bytes: no two overlap */
    for (int i = 0; i < NLIVE; i++)
        if (live[i].p && !intact(&live[i], live[i].n)) bad++;
    CHECK_INT(bad, 0);
    CHECK_INT(misaligned, 0);
    for (int i = 0; i < NLIVE; i++)
        if (live[i].p) sbheap_realloc(h, live[i].p, live[i].n, 0);
    sbheap_free(h);
}

static void test_reuse_and_shrink_cycle(void) {
    sbheap *h = sbheap_new();
    /* a freed block of a class is the next block of that class */
    void *a = sbheap_realloc(h, NULL, 0, 100);
    sbheap_realloc(h, a, 100, 0);
    void *b = sbheap_realloc(h, NULL, 0, 110);   /* same class (112) */
    CHECK(a == b);
    sbheap_realloc(h, b, 110, 0);
    /* same class: realloc stays in place */
    void *c = sbheap_realloc(h, NULL, 0, 600);
    CHECK(sbheap_realloc(h, c, 600, 630) == c);
    sbheap_realloc(h, c, 630, 0);
    /* grow big, shrink small, free: 200,000 rounds stay in the first slabs.
     * Were the shrunk block left in place, each round would strand 4 KiB in
     * the 16-byte class: 800 MB the cap never saw. */
    for (int i = 0; i < 200000; i++) {
        unsigned char *p = sbheap_realloc(h, NULL, 0, SBHEAP_MAX_POOLED);
        p[0] = 1;
        p[SBHEAP_MAX_POOLED - 1] = 2;
        unsigned char *q = sbheap_realloc(h, p, SBHEAP_MAX_POOLED, 16);
        CHECK(q && q[0] == 1);
        sbheap_realloc(h, q, 16, 0);
    }
    CHECK(sbheap_slab_bytes(h) <= 2 * 65536);
    /* across the malloc boundary and back */
    unsigned char *m = sbheap_realloc(h, NULL, 0, 3000);
    memset(m, 0x5a, 3000);
    m = sbheap_realloc(h, m, 3000, 100000);
    CHECK(m && m[0] == 0x5a && m[2999] == 0x5a);
    m = sbheap_realloc(h, m, 100000, 200);
    CHECK(m && m[0] == 0x5a && m[199] == 0x5a);
    sbheap_realloc(h, m, 200, 0);
    sbheap_free(h);
}

/* 1.5 MiB of 16-byte blocks, freed, then of 32-byte ones, ... through every
 * class: free blocks stay in their class, so without the slab budget the
 * heap would end up holding 1.5 MiB per class, 66 MiB in all */
static void test_class_cycle(void) {
    sbheap *h = sbheap_new();
    static unsigned char *v[100000];
    long failed = 0, bad = 0;
    size_t most = 0;
    for (size_t sz = 16; sz <= SBHEAP_MAX_POOLED; sz += sz < 512 ? 16 : 128) {
        size_t n = ((size_t)3 << 19) / sz;
        for (size_t i = 0; i < n; i++) {
            v[i] = sbheap_realloc(h, NULL, 0, sz);
            if (!v[i]) { failed++; continue; }
            memset(v[i], (int)(i & 0xff), sz);
        }
        if (sbheap_slab_bytes(h) > most) most = sbheap_slab_bytes(h);
        for (size_t i = 0; i < n; i++) {
            if (!v[i]) continue;
            if (v[i][0] != (unsigned char)(i & 0xff) || v[i][sz - 1] != (unsigned char)(i & 0xff)) bad++;
            sbheap_realloc(h, v[i], sz, 0);
        }
    }
    CHECK_INT(failed, 0);
    CHECK_INT(bad, 0);
    CHECK(most == (size_t)SBHEAP_MAX_SLABS * 65536);
    sbheap_free(h);
}

static void test_slabs_return(void) {
    /* a freed heap's slabs are the next heap's: 100 heaps of ~200 KiB each,
     * one after another, take no more regions than one heap does */
    size_t most = 0, before = sbheap_region_bytes();
    for (int k = 0; k < 100; k++) {
        sbheap *h = sbheap_new();
        void *v[2000];
        for (int i = 0; i < 2000; i++) v[i] = sbheap_realloc(h, NULL, 0, 100);
        for (int i = 0; i < 2000; i++) sbheap_realloc(h, v[i], 100, 0);
        if (sbheap_slab_bytes(h) > most) most = sbheap_slab_bytes(h);
        sbheap_free(h);
    }
    CHECK(most >= 200000 && most <= 5 * 65536);
    CHECK(sbheap_region_bytes() - before <= 2u << 20);
    sbheap_free(NULL);
}

int main(void) {
    RUN(test_random_traffic);
    RUN(test_reuse_and_shrink_cycle);
    RUN(test_class_cycle);
    RUN(test_slabs_return);
    return CHECK_DONE();
}
