/* SPDX-License-Identifier: Apache-2.0 */
/* coreml-lint/hash.h — a keyed hash for tables whose keys a model chooses
 * (value names, file names, weight offsets). An unkeyed hash such as FNV-1a
 * lets a model pick 120,000 names that share one slot, which makes a table
 * with linear probing quadratic (an 8.7 MB model.mil took 73 s to load).
 * SipHash-1-3 with a key drawn at start-up gives no such handle.
 * SOURCE: J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast short-input
 * PRF" (2012), the algorithm; SipHash-1-3 is its variant with one
 * compression and three finalization rounds.
 *
 * Header-only: nothing here is part of the plugin ABI. Each translation
 * unit that includes it has its own key, drawn by a constructor before
 * main (or when the plugin is loaded), so threads see it fixed. Tables must
 * only be looked up: nothing a report shows may follow their order. */
#ifndef COREML_LINT_HASH_H
#define COREML_LINT_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__linux__) || defined(__APPLE__)
#include <sys/random.h>   /* getrandom (Linux), getentropy (macOS) */
#endif

static uint64_t cml_hash_key_[2];

#define CML_ROTL_(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define CML_SIPROUND_(v0, v1, v2, v3)                                            \
    do {                                                                         \
        v0 += v1; v1 = CML_ROTL_(v1, 13); v1 ^= v0; v0 = CML_ROTL_(v0, 32);      \
        v2 += v3; v3 = CML_ROTL_(v3, 16); v3 ^= v2;                              \
        v0 += v3; v3 = CML_ROTL_(v3, 21); v3 ^= v0;                              \
        v2 += v1; v1 = CML_ROTL_(v1, 17); v1 ^= v2; v2 = CML_ROTL_(v2, 32);      \
    } while (0)

__attribute__((constructor)) static void cml_hash_init_(void) {
    uint64_t k[2] = {0, 0};
#if defined(__linux__)
    if (getrandom(k, sizeof k, GRND_NONBLOCK) != (ssize_t)sizeof k)
#else
    if (getentropy(k, sizeof k) != 0)
#endif
    {
        /* no entropy this early: the time, the process and the addresses
         * (randomized) still differ per run */
        k[0] = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)&k;
        k[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)cml_hash_key_;
    }
    cml_hash_key_[0] = k[0];
    cml_hash_key_[1] = k[1];
}

/* SipHash-c-d of n bytes under key k (c compression, d finalization rounds). */
static inline uint64_t cml_siphash_(const uint64_t k[2], const void *p, size_t n, int c, int d) {
    const unsigned char *s = (const unsigned char *)p;
    uint64_t v0 = k[0] ^ 0x736f6d6570736575ull, v1 = k[1] ^ 0x646f72616e646f6dull;
    uint64_t v2 = k[0] ^ 0x6c7967656e657261ull, v3 = k[1] ^ 0x7465646279746573ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t m = 0;
        for (int j = 7; j >= 0; j--) m = m << 8 | s[i + (size_t)j];   /* little-endian, as specified */
        v3 ^= m;
        for (int r = 0; r < c; r++) CML_SIPROUND_(v0, v1, v2, v3);
        v0 ^= m;
    }
    uint64_t b = (uint64_t)n << 56;
    for (size_t j = 0; i + j < n; j++) b |= (uint64_t)s[i + j] << (8 * j);
    v3 ^= b;
    for (int r = 0; r < c; r++) CML_SIPROUND_(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    for (int r = 0; r < d; r++) CML_SIPROUND_(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}

/* SipHash-1-3 of n bytes under this unit's key. */
static inline uint64_t cml_hash_bytes(const void *p, size_t n) { return cml_siphash_(cml_hash_key_, p, n, 1, 3); }

static inline uint64_t cml_hash_str(const char *s) { return cml_hash_bytes(s, strlen(s)); }

/* Two 64-bit words (a pointer and an offset, say). */
static inline uint64_t cml_hash_u64x2(uint64_t a, uint64_t b) {
    uint64_t w[2] = {a, b};
    return cml_hash_bytes(w, sizeof w);
}

#endif
