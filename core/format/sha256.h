/* SPDX-License-Identifier: Apache-2.0 */
/* sha256.h — a small SHA-256 (FIPS 180-4) for finding fingerprints and the
 * writers' artifact hashes. One-shot sha256_hex and a streaming API; no
 * dependency beyond libc. Internal to core/ and sarif/. */
#ifndef CML_SHA256_H
#define CML_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t total;          /* bytes hashed so far */
    unsigned char buf[64];
    size_t n;                /* bytes waiting in buf */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, unsigned char out[32]);
/* Lower-case hex digest of data (64 characters + NUL). */
void sha256_hex(const void *data, size_t n, char out[65]);
/* Lower-case hex of a 32-byte digest. */
void sha256_to_hex(const unsigned char digest[32], char out[65]);

#endif
