/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_blob.c — libFuzzer target for core/format/blob.c.
 *
 * Parses the input as a weight.bin with blob_open_mem, then reads every
 * walked blob in full with blob_read (plus an out-of-range read), checks
 * blob_find agrees, and unpacks a few elements of sub-byte blobs with
 * blob_unpack_bits. ASan/UBSan catch any out-of-bounds access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/blob.h"

static unsigned bits_of(cml_dtype dt) {
    switch (dt) {
    case CML_DT_UINT1: return 1;
    case CML_DT_UINT2: return 2;
    case CML_DT_UINT3: return 3;
    case CML_DT_INT4:
    case CML_DT_UINT4: return 4;
    case CML_DT_UINT6: return 6;
    default: return 8;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    arena *a = arena_new(16u << 20);
    if (!a) return 0;
    blob_file bf;
    blob_open_mem(&bf, data, size, a);
    if (bf.n_problems > BLOB_MAX_PROBLEMS) abort();
    for (size_t i = 0; i < bf.n_problems; i++)
        if (!bf.problems[i].message) abort();
    unsigned char tmp[256];
    for (size_t i = 0; i < bf.n_blobs; i++) {
        const blob_meta *m = &bf.blobs[i];
        if (blob_find(&bf, m->meta_offset) != m) abort();
        if (m->data_offset + m->size > size) abort();
        uint64_t total = 0;
        for (uint64_t off = 0;; off += sizeof tmp) {
            size_t got = blob_read(&bf, m, off, tmp, sizeof tmp);
            total += got;
            if (got < sizeof tmp) break;
        }
        if (total != m->size) abort();
        if (blob_read(&bf, m, m->size, tmp, 1) != 0) abort();
        const unsigned char *p = blob_data(&bf, m);
        if (!p) abort();
        int32_t vals[16];
        unsigned nb = bits_of(m->dtype);
        size_t want = m->n_elements < 16 ? (size_t)m->n_elements : 16;
        size_t got = blob_unpack_bits(p, (size_t)m->size, nb, m->dtype == CML_DT_INT4, 0, want, vals);
        if (nb < 8 && got != want) abort();
        if (m->n_elements > 3)
            blob_unpack_bits(p, (size_t)m->size, nb, 0, m->n_elements - 3, 16, vals);
    }
    blob_close(&bf);
    arena_free(a);
    return 0;
}
