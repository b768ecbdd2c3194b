/* SPDX-License-Identifier: Apache-2.0 */
/* test_blob.c — unit tests for core/format/blob.c (MIL blob storage v2 reader).
 *
 * Files are built in memory by a tiny writer that lays out the header,
 * 64-byte records and 64-aligned data exactly as Apple's StorageWriter does;
 * individual fields are then corrupted to exercise each problem. Real
 * weight.bin files from the corpus are checked when present. */
#define _POSIX_C_SOURCE 200809L
#include "format/blob.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

/* ---- writer ---------------------------------------------------------- */

static unsigned char buf[32768];

static void wr32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void wr64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint64_t al64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

typedef struct wblob {
    uint32_t code;
    uint64_t size;
    uint64_t pad;               /* padding_size_in_bits as written */
    const unsigned char *data;  /* NULL: fill with a pattern */
} wblob;

/* Lay out header + n (record, data) pairs into buf; meta[i] gets each
 * record offset. Returns the file length (end of the last data, unpadded). */
static size_t build(uint32_t count, uint32_t version, const wblob *b, size_t n, uint64_t *meta) {
    memset(buf, 0, sizeof buf);
    wr32(buf, count);
    wr32(buf + 4, version);
    wr64(buf + 8, 0x1111111111111111u); /* reserved: not required to be zero */
    uint64_t off = 64, end = 64;
    for (size_t i = 0; i < n; i++) {
        unsigned char *r = buf + off;
        wr32(r, BLOB_SENTINEL);
        wr32(r + 4, b[i].code);
        wr64(r + 8, b[i].size);
        wr64(r + 16, off + 64);
        wr64(r + 24, b[i].pad);
        wr64(r + 32, 0xDEADDEADDEADDEADu); /* reserved garbage */
        for (uint64_t k = 0; k < b[i].size; k++)
            r[64 + k] = b[i].data ? b[i].data[k] : (unsigned char)(i * 16 + k);
        if (meta) meta[i] = off;
        end = off + 64 + b[i].size;
        off = al64(end);
    }
    return (size_t)end;
}

static int has_problem(const blob_file *bf, uint64_t off, const char *needle) {
    for (size_t i = 0; i < bf->n_problems; i++)
        if (bf->problems[i].offset == off && strstr(bf->problems[i].message, needle)) return 1;
    return 0;
}

static void dump_problems(const blob_file *bf) {
    for (size_t i = 0; i < bf->n_problems; i++)
        fprintf(stderr, "    problem @%" PRIu64 ": %s\n", bf->problems[i].offset, bf->problems[i].message);
}

#define CHECK_PROBLEM(bf, off, needle)                                              \
    do {                                                                            \
        if (!has_problem((bf), (off), (needle))) {                                  \
            fprintf(stderr, "%s:%d: no problem at %llu containing \"%s\"\n", __FILE__, \
                    __LINE__, (unsigned long long)(off), (needle));                 \
            dump_problems(bf);                                                      \
            check_failures_++;                                                      \
        }                                                                           \
    } while (0)

/* Hand-packed sub-byte payloads (LSB-first). */
static const unsigned char u3_0to7[3] = {0x88, 0xC6, 0xFA};  /* uint3 0,1,...,7 */
static const unsigned char i4_vals[3] = {0xF8, 0x07, 0xB3};  /* int4 -8,-1,7,0,3,-5 */
static const unsigned char u6_vals[3] = {0x7F, 0xA0, 0x16};  /* uint6 63,1,42,5 */
static const unsigned char u1_vals[2] = {0xA5, 0x02};        /* uint1 1,0,1,0,0,1,0,1,0,1 */

/* The valid 7-blob file used by several tests. */
static const wblob valid7[] = {
    {1, 6, 0x1234, NULL},   /* float16 x3, garbage padding ignored */
    {2, 8, 0, NULL},        /* float32 x2 */
    {3, 5, 0, NULL},        /* uint8 x5 */
    {8, 3, 0, i4_vals},     /* int4 x6 */
    {9, 2, 6, u1_vals},     /* uint1 x10 */
    {12, 3, 0, u3_0to7},    /* uint3 x8, straddles bytes */
    {13, 3, 0, u6_vals},    /* uint6 x4 */
};
#define NVALID (sizeof valid7 / sizeof valid7[0])

/* ---- tests ----------------------------------------------------------- */

static void test_dtype_codes(void) {
    CHECK_STR(blob_dtype_code_name(1), "float16");
    CHECK_STR(blob_dtype_code_name(8), "int4");
    CHECK_STR(blob_dtype_code_name(12), "uint3");
    CHECK_STR(blob_dtype_code_name(17), "float8e5m2");
    CHECK_STR(blob_dtype_code_name(0), "unknown");
    CHECK_STR(blob_dtype_code_name(18), "unknown");
    CHECK_STR(blob_dtype_code_name(0xFFFFFFFFu), "unknown");
    CHECK_INT(blob_dtype_from_code(1), CML_DT_FP16);
    CHECK_INT(blob_dtype_from_code(5), CML_DT_BF16);
    CHECK_INT(blob_dtype_from_code(11), CML_DT_UINT4);
    CHECK_INT(blob_dtype_from_code(13), CML_DT_UINT6);
    CHECK_INT(blob_dtype_from_code(14), CML_DT_INT32);
    CHECK_INT(blob_dtype_from_code(16), CML_DT_FP8E4M3FN);
    CHECK_INT(blob_dtype_from_code(0), CML_DT_UNKNOWN);
    CHECK_INT(blob_dtype_from_code(99), CML_DT_UNKNOWN);
}

static void test_valid_file(void) {
    uint64_t meta[NVALID];
    size_t len = build(NVALID, 2, valid7, NVALID, meta);
    arena *a = arena_new(0);
    blob_file bf;
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    dump_problems(&bf);
    CHECK_INT(bf.n_problems, 0);
    CHECK_INT(bf.fatal, 0);
    CHECK_INT(bf.count, NVALID);
    CHECK_INT(bf.version, 2);
    CHECK_INT(bf.size, len);
    CHECK_INT(bf.n_blobs, NVALID);
    /* hand-computed layout: 64/128, then align64(128+6)=192/256, ... */
    CHECK_INT(meta[0], 64);
    CHECK_INT(meta[1], 192);
    CHECK_INT(meta[2], 320);
    CHECK_INT(meta[3], 448);
    static const uint64_t nel[] = {3, 2, 5, 6, 10, 8, 4};
    static const uint32_t pad[] = {0, 0, 0, 0, 6, 0, 0};
    static const cml_dtype dt[] = {CML_DT_FP16, CML_DT_FP32, CML_DT_UINT8, CML_DT_INT4,
                                   CML_DT_UINT1, CML_DT_UINT3, CML_DT_UINT6};
    for (size_t i = 0; i < bf.n_blobs && i < NVALID; i++) {
        const blob_meta *m = &bf.blobs[i];
        CHECK_INT(m->meta_offset, meta[i]);
        CHECK_INT(m->data_offset, meta[i] + 64);
        CHECK_INT(m->size, valid7[i].size);
        CHECK_INT(m->dtype_code, valid7[i].code);
        CHECK_INT(m->dtype, dt[i]);
        CHECK_INT(m->n_elements, nel[i]);
        CHECK_INT(m->padding_bits, pad[i]);
        CHECK_INT(m->refs, 0);
    }
    /* unpack the parsed uint3 blob: values 0..7 across byte boundaries */
    const blob_meta *m = blob_find(&bf, meta[5]);
    CHECK(m != NULL);
    if (m) {
        int32_t out[8];
        CHECK_INT(blob_unpack_bits(blob_data(&bf, m), (size_t)m->size, 3, 0, 0, 8, out), 8);
        for (int i = 0; i < 8; i++) CHECK_INT(out[i], i);
    }
    blob_close(&bf);
    CHECK(bf.map == NULL);
    arena_free(a);
}

static void test_find(void) {
    uint64_t meta[NVALID];
    size_t len = build(NVALID, 2, valid7, NVALID, meta);
    arena *a = arena_new(0);
    blob_file bf;
    blob_open_mem(&bf, buf, len, a);
    for (size_t i = 0; i < NVALID; i++) {
        blob_meta *m = blob_find(&bf, meta[i]);
        CHECK(m == &bf.blobs[i]);
    }
    CHECK(blob_find(&bf, 0) == NULL);
    CHECK(blob_find(&bf, 63) == NULL);
    CHECK(blob_find(&bf, 65) == NULL);
    CHECK(blob_find(&bf, 128) == NULL); /* a data offset, not a record */
    CHECK(blob_find(&bf, meta[NVALID - 1] + 64) == NULL);
    CHECK(blob_find(&bf, UINT64_MAX) == NULL);
    blob_close(&bf);
    arena_free(a);
}

static void test_read_bounds(void) {
    uint64_t meta[NVALID];
    size_t len = build(NVALID, 2, valid7, NVALID, meta);
    arena *a = arena_new(0);
    blob_file bf;
    blob_open_mem(&bf, buf, len, a);
    const blob_meta *m = blob_find(&bf, meta[2]); /* uint8 x5, bytes 0x20..0x24 */
    CHECK(m != NULL);
    if (!m) { arena_free(a); return; }
    unsigned char out[16];
    memset(out, 0xEE, sizeof out);
    CHECK_INT(blob_read(&bf, m, 0, out, sizeof out), 5);
    for (int i = 0; i < 5; i++) CHECK_INT(out[i], 0x20 + i);
    CHECK_INT(out[5], 0xEE); /* nothing past the blob */
    CHECK_INT(blob_read(&bf, m, 3, out, 16), 2);
    CHECK_INT(out[0], 0x23);
    CHECK_INT(blob_read(&bf, m, 1, out, 2), 2);
    CHECK_INT(out[0], 0x21);
    CHECK_INT(blob_read(&bf, m, 5, out, 16), 0);
    CHECK_INT(blob_read(&bf, m, UINT64_MAX, out, 16), 0);
    CHECK_INT(blob_read(&bf, m, 0, out, 0), 0);
    CHECK(blob_data(&bf, m) == buf + meta[2] + 64);
    /* a forged record reaching past the file is clipped to the file */
    blob_meta forged = *m;
    forged.data_offset = len - 2;
    forged.size = 100;
    CHECK_INT(blob_read(&bf, &forged, 0, out, 16), 2);
    CHECK(blob_data(&bf, &forged) == NULL);
    forged.data_offset = len + 10;
    CHECK_INT(blob_read(&bf, &forged, 0, out, 16), 0);
    forged.data_offset = UINT64_MAX;
    forged.size = UINT64_MAX;
    CHECK_INT(blob_read(&bf, &forged, 0, out, 16), 0);
    CHECK(blob_data(&bf, &forged) == NULL);
    /* last blob ends exactly at end of file: fully readable */
    const blob_meta *last = blob_find(&bf, meta[NVALID - 1]);
    CHECK(last && blob_read(&bf, last, 0, out, 16) == 3);
    blob_close(&bf);
    CHECK_INT(blob_read(&bf, m, 0, out, 16), 0); /* closed: nothing */
    arena_free(a);
}

static void test_unpack(void) {
    int32_t out[16];
    /* uint3 0..7 packed by hand: elements 2 and 5 straddle bytes */
    CHECK_INT(blob_unpack_bits(u3_0to7, 3, 3, 0, 0, 16, out), 8);
    for (int i = 0; i < 8; i++) CHECK_INT(out[i], i);
    CHECK_INT(blob_unpack_bits(u3_0to7, 3, 3, 0, 5, 2, out), 2);
    CHECK_INT(out[0], 5);
    CHECK_INT(out[1], 6);
    /* int4 two's complement */
    static const int32_t i4[] = {-8, -1, 7, 0, 3, -5};
    CHECK_INT(blob_unpack_bits(i4_vals, 3, 4, 1, 0, 6, out), 6);
    for (int i = 0; i < 6; i++) CHECK_INT(out[i], i4[i]);
    CHECK_INT(blob_unpack_bits(i4_vals, 3, 4, 0, 0, 2, out), 2); /* as uint4 */
    CHECK_INT(out[0], 8);
    CHECK_INT(out[1], 15);
    /* uint6 */
    static const int32_t u6[] = {63, 1, 42, 5};
    CHECK_INT(blob_unpack_bits(u6_vals, 3, 6, 0, 0, 4, out), 4);
    for (int i = 0; i < 4; i++) CHECK_INT(out[i], u6[i]);
    /* uint1 and uint2 */
    static const int32_t u1[] = {1, 0, 1, 0, 0, 1, 0, 1, 0, 1};
    CHECK_INT(blob_unpack_bits(u1_vals, 2, 1, 0, 0, 10, out), 10);
    for (int i = 0; i < 10; i++) CHECK_INT(out[i], u1[i]);
    static const unsigned char u2b[1] = {0xE4};
    CHECK_INT(blob_unpack_bits(u2b, 1, 2, 0, 0, 4, out), 4);
    for (int i = 0; i < 4; i++) CHECK_INT(out[i], i);
    /* nbits 8, signed and unsigned */
    static const unsigned char b8[2] = {0xFF, 0x7F};
    CHECK_INT(blob_unpack_bits(b8, 2, 8, 1, 0, 2, out), 2);
    CHECK_INT(out[0], -1);
    CHECK_INT(out[1], 127);
    CHECK_INT(blob_unpack_bits(b8, 2, 8, 0, 0, 2, out), 2);
    CHECK_INT(out[0], 255);
    /* bounds: never past srclen (3 bytes = 24 bits = 4 uint6 / 8 uint3) */
    CHECK_INT(blob_unpack_bits(u6_vals, 3, 6, 0, 3, 10, out), 1);
    CHECK_INT(blob_unpack_bits(u6_vals, 3, 6, 0, 4, 10, out), 0);
    CHECK_INT(blob_unpack_bits(u6_vals, 2, 6, 0, 0, 10, out), 2); /* 16 bits: 2 whole */
    CHECK_INT(blob_unpack_bits(u3_0to7, 3, 3, 0, UINT64_MAX, 4, out), 0);
    CHECK_INT(blob_unpack_bits(u3_0to7, 0, 3, 0, 0, 4, out), 0);
    CHECK_INT(blob_unpack_bits(u3_0to7, 3, 0, 0, 0, 4, out), 0);
    CHECK_INT(blob_unpack_bits(u3_0to7, 3, 9, 0, 0, 4, out), 0);
    CHECK_INT(blob_unpack_bits(NULL, 3, 3, 0, 0, 4, out), 0);
    /* round trip of a writer-style packer for every width */
    for (unsigned nb = 1; nb <= 8; nb++) {
        unsigned char pk[104];
        int32_t vals[100], got[100];
        memset(pk, 0, sizeof pk);
        for (int i = 0; i < 100; i++) {
            uint32_t v = (uint32_t)(i * 37 + 11) & ((1u << nb) - 1u);
            vals[i] = (int32_t)v;
            size_t bit = (size_t)i * nb;
            pk[bit / 8] |= (unsigned char)(v << (bit % 8));
            if (bit % 8 + nb > 8) pk[bit / 8 + 1] |= (unsigned char)(v >> (8 - bit % 8));
        }
        size_t bytes = (100 * nb + 7) / 8;
        CHECK_INT(blob_unpack_bits(pk, bytes, nb, 0, 0, 100, got), 100);
        CHECK(memcmp(vals, got, sizeof vals) == 0);
    }
}

static void test_truncated_header(void) {
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(0, 2, NULL, 0, NULL);
    CHECK_INT(len, 64);
    CHECK_INT(blob_open_mem(&bf, buf, 63, a), -1);
    CHECK_INT(bf.fatal, 1);
    CHECK_INT(bf.n_blobs, 0);
    CHECK_PROBLEM(&bf, 0, "shorter than the 64-byte");
    CHECK_INT(blob_open_mem(&bf, NULL, 0, a), -1);
    CHECK_PROBLEM(&bf, 0, "0 bytes");
    /* a bare 64-byte header with count 0 is a valid empty file */
    CHECK_INT(blob_open_mem(&bf, buf, 64, a), 0);
    CHECK_INT(bf.n_problems, 0);
    CHECK_INT(bf.n_blobs, 0);
    arena_free(a);
}

static void test_version(void) {
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(NVALID, 1, valid7, NVALID, NULL);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), -1);
    CHECK_INT(bf.fatal, 1);
    CHECK_INT(bf.version, 1);
    CHECK_INT(bf.n_blobs, 0);
    CHECK_INT(bf.n_problems, 1);
    CHECK_PROBLEM(&bf, 4, "version is 1, expected 2");
    arena_free(a);
}

static void test_bad_sentinel(void) {
    uint64_t meta[4];
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(4, 2, valid7, 4, meta);
    wr32(buf + meta[2], 0);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_INT(bf.fatal, 0);
    CHECK_INT(bf.n_blobs, 2); /* walk stops at the broken chain */
    CHECK_INT(bf.n_problems, 1);
    char msg[128];
    snprintf(msg, sizeof msg, "blob 2 at offset %" PRIu64 ": sentinel is 0x00000000, expected 0xDEADBEEF",
             meta[2]);
    CHECK_PROBLEM(&bf, meta[2], msg);
    arena_free(a);
}

static void test_offset_out_of_range(void) {
    uint64_t meta[3];
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(3, 2, valid7, 3, meta);
    wr64(buf + meta[1] + 16, len + 64);
    blob_open_mem(&bf, buf, len, a);
    CHECK_PROBLEM(&bf, meta[1] + 16, "past end of file");
    CHECK_INT(bf.n_blobs, 1);
    /* data offset pointing back into its own record */
    len = build(3, 2, valid7, 3, meta);
    wr64(buf + meta[1] + 16, meta[1]);
    blob_open_mem(&bf, buf, len, a);
    CHECK_PROBLEM(&bf, meta[1] + 16, "overlaps its own record");
    CHECK_INT(bf.n_blobs, 1);
    /* offset near UINT64_MAX */
    len = build(3, 2, valid7, 3, meta);
    wr64(buf + meta[0] + 16, UINT64_MAX - 10);
    blob_open_mem(&bf, buf, len, a);
    CHECK_PROBLEM(&bf, meta[0] + 16, "past end of file");
    CHECK_INT(bf.n_blobs, 0);
    arena_free(a);
}

static void test_size_overflow(void) {
    uint64_t meta[3];
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(3, 2, valid7, 3, meta);
    wr64(buf + meta[1] + 8, 0xFFFFFFFFFFFFFFF0u);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_PROBLEM(&bf, meta[1] + 8, "size 18446744073709551600");
    CHECK_INT(bf.n_blobs, 1);
    /* size one byte too many */
    len = build(3, 2, valid7, 3, meta);
    wr64(buf + meta[2] + 8, valid7[2].size + 1);
    blob_open_mem(&bf, buf, len, a);
    CHECK_PROBLEM(&bf, meta[2] + 8, "extends past end of file");
    CHECK_INT(bf.n_blobs, 2);
    arena_free(a);
}

static void test_zero_size_and_dtype(void) {
    uint64_t meta[4];
    const wblob b[] = {{1, 4, 0, NULL}, {3, 0, 0, NULL}, {99, 4, 0, NULL}, {2, 6, 0, NULL}};
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(4, 2, b, 4, meta);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_PROBLEM(&bf, meta[1] + 8, "size is 0");
    CHECK_PROBLEM(&bf, meta[2] + 4, "unknown dtype code 99");
    CHECK_PROBLEM(&bf, meta[3] + 8, "not a multiple of the 4-byte float32");
    CHECK_INT(bf.n_problems, 3);
    CHECK_INT(bf.n_blobs, 1); /* walk continued past each, only blob 0 valid */
    CHECK(blob_find(&bf, meta[0]) != NULL);
    CHECK(blob_find(&bf, meta[2]) == NULL);
    arena_free(a);
}

static void test_bad_padding(void) {
    uint64_t meta[6];
    const wblob b[] = {
        {11, 2, 2, NULL},  /* uint4 pad 2: not a multiple of 4 */
        {12, 3, 8, NULL},  /* uint3 pad 8: >= 8 */
        {12, 3, 1, NULL},  /* uint3 pad 1: 23 bits not a multiple of 3 */
        {9, 1, 3, NULL},   /* uint1 pad 3: fine (5 elements) */
        {13, 4, 2, NULL},  /* uint6 pad 2: fine (5 elements) */
        {10, 1, 1, NULL},  /* uint2 pad 1: odd */
    };
    arena *a = arena_new(0);
    blob_file bf;
    size_t len = build(6, 2, b, 6, meta);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_PROBLEM(&bf, meta[0] + 24, "padding_size_in_bits 2");
    CHECK_PROBLEM(&bf, meta[1] + 24, "padding_size_in_bits 8");
    CHECK_PROBLEM(&bf, meta[2] + 24, "padding_size_in_bits 1");
    CHECK_PROBLEM(&bf, meta[5] + 24, "uint2");
    CHECK_INT(bf.n_problems, 4);
    CHECK_INT(bf.n_blobs, 2);
    const blob_meta *m = blob_find(&bf, meta[3]);
    CHECK(m && m->n_elements == 5 && m->padding_bits == 3);
    m = blob_find(&bf, meta[4]);
    CHECK(m && m->n_elements == 5 && m->padding_bits == 2);
    arena_free(a);
}

static void test_count_huge(void) {
    uint64_t meta[2];
    arena *a = arena_new(1 << 20); /* a 4G-entry allocation would fail here */
    blob_file bf;
    size_t len = build(0xFFFFFFFFu, 2, valid7, 2, meta);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_INT(bf.count, 0xFFFFFFFFu);
    CHECK_INT(bf.n_blobs, 2);
    CHECK_PROBLEM(&bf, 0, "header count 4294967295");
    CHECK_INT(bf.n_problems, 1);
    CHECK(arena_used(a) < 4096);
    /* count one more than present, file ends mid-record */
    len = build(3, 2, valid7, 2, meta);
    blob_open_mem(&bf, buf, al64(len) + 64, a); /* zero tail: record 2 has a bad sentinel */
    CHECK_PROBLEM(&bf, al64(len), "sentinel is 0x00000000");
    CHECK_INT(bf.n_blobs, 2);
    blob_open_mem(&bf, buf, len, a); /* 3 * 128 > file size */
    CHECK_PROBLEM(&bf, 0, "header count 3 is more than a 264-byte file can hold");
    CHECK_INT(bf.n_blobs, 2);
    /* count plausible for the size, but the next record is past the end */
    const wblob big[] = {{3, 300, 0, NULL}};
    len = build(3, 2, big, 1, meta);
    CHECK_INT(len, 428);
    blob_open_mem(&bf, buf, len, a);
    CHECK_PROBLEM(&bf, 448, "blob 1 at offset 448: record extends past end of file");
    CHECK_INT(bf.n_problems, 1);
    CHECK_INT(bf.n_blobs, 1);
    arena_free(a);
}

static void test_gap_and_cap(void) {
    /* data placed after a gap (offset > meta+64) is accepted and the chain
     * resumes at align64(data end) */
    uint64_t meta[2];
    const wblob b[] = {{3, 4, 0, NULL}, {3, 4, 0, NULL}};
    arena *a = arena_new(0);
    blob_file bf;
    build(2, 2, b, 2, meta);
    memset(buf + 64, 0, 256);
    wr32(buf + 64, BLOB_SENTINEL);
    wr32(buf + 68, 3);
    wr64(buf + 72, 4);
    wr64(buf + 80, 256);             /* data at 256, record 1 at 320 */
    wr32(buf + 320, BLOB_SENTINEL);
    wr32(buf + 324, 3);
    wr64(buf + 328, 4);
    wr64(buf + 336, 384);
    CHECK_INT(blob_open_mem(&bf, buf, 388, a), 0);
    CHECK_INT(bf.n_problems, 0);
    CHECK_INT(bf.n_blobs, 2);
    CHECK(blob_find(&bf, 320) != NULL);
    /* 100 unknown-dtype records: problem list capped with a summary */
    wblob many[100];
    for (int i = 0; i < 100; i++) many[i] = (wblob){77, 1, 0, NULL};
    size_t len = build(100, 2, many, 100, NULL);
    CHECK_INT(blob_open_mem(&bf, buf, len, a), 0);
    CHECK_INT(bf.n_problems, BLOB_MAX_PROBLEMS);
    CHECK(strstr(bf.problems[BLOB_MAX_PROBLEMS - 1].message, "37 more problems") != NULL);
    CHECK(strstr(bf.problems[0].message, "unknown dtype code 77") != NULL);
    arena_free(a);
}

static void test_open_file(void) {
    arena *a = arena_new(0);
    blob_file bf;
    char path[] = "/tmp/test_blob_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) { arena_free(a); return; }
    uint64_t meta[NVALID];
    size_t len = build(NVALID, 2, valid7, NVALID, meta);
    CHECK_INT(write(fd, buf, len), (long long)len);
    close(fd);
    CHECK_INT(blob_open(&bf, path, a), 0);
    CHECK_STR(bf.path, path);
    CHECK_INT(bf.n_blobs, NVALID);
    CHECK_INT(bf.n_problems, 0);
    CHECK(bf.map != NULL && bf.map != buf);
    const blob_meta *m = blob_find(&bf, meta[5]);
    CHECK(m && blob_data(&bf, m) && memcmp(blob_data(&bf, m), u3_0to7, 3) == 0);
    blob_close(&bf);
    CHECK(bf.map == NULL);
    blob_close(&bf); /* idempotent */
    /* empty file */
    fd = open(path, O_WRONLY | O_TRUNC);
    if (fd >= 0) close(fd);
    CHECK_INT(blob_open(&bf, path, a), -1);
    CHECK_INT(bf.fatal, 1);
    CHECK_PROBLEM(&bf, 0, "empty");
    blob_close(&bf);
    unlink(path);
    /* missing file, directory */
    CHECK_INT(blob_open(&bf, path, a), -1);
    CHECK_PROBLEM(&bf, 0, strerror(ENOENT));
    CHECK_INT(blob_open(&bf, "/tmp", a), -1);
    CHECK_PROBLEM(&bf, 0, strerror(EISDIR));
    blob_close(&bf);
    arena_free(a);
}

/* ---- corpus ---------------------------------------------------------- */

static const char *corpus_dir(void) {
    static const char *cands[3];
    cands[0] = getenv("CML_CORPUS_DIR");
    cands[1] = "../shared/corpus";
    cands[2] = "/work/shared/corpus";
    struct stat st;
    for (int i = 0; i < 3; i++)
        if (cands[i] && stat(cands[i], &st) == 0 && S_ISDIR(st.st_mode)) return cands[i];
    return NULL;
}

static int open_corpus(blob_file *bf, arena *a, const char *pkg) {
    const char *dir = corpus_dir();
    char path[1024];
    struct stat st;
    if (!dir) return -2;
    snprintf(path, sizeof path, "%s/%s.mlpackage/Data/com.apple.CoreML/weights/weight.bin", dir, pkg);
    if (stat(path, &st) != 0) return -2;
    return blob_open(bf, path, a);
}

static void test_corpus_palettized(void) {
    arena *a = arena_new(0);
    blob_file bf;
    int rc = open_corpus(&bf, a, "resnet18w25_joint_prune50_palettize4_ios18");
    if (rc == -2) {
        fprintf(stderr, "  skip: corpus resnet18w25_joint_prune50_palettize4_ios18 not found\n");
        arena_free(a);
        return;
    }
    CHECK_INT(rc, 0);
    dump_problems(&bf);
    CHECK_INT(bf.n_problems, 0);
    CHECK_INT(bf.count, 80);
    CHECK_INT(bf.n_blobs, 80);
    size_t n_u1 = 0, n_u4 = 0, n_f16 = 0;
    uint64_t payload = 0;
    int32_t vals[64];
    for (size_t i = 0; i < bf.n_blobs; i++) {
        const blob_meta *m = &bf.blobs[i];
        payload += m->size;
        n_u1 += m->dtype == CML_DT_UINT1;
        n_u4 += m->dtype == CML_DT_UINT4;
        n_f16 += m->dtype == CML_DT_FP16;
        CHECK(blob_find(&bf, m->meta_offset) == m);
        if (m->dtype == CML_DT_UINT4) {
            size_t got = blob_unpack_bits(blob_data(&bf, m), (size_t)m->size, 4, 0, 0, 64, vals);
            CHECK_INT(got, m->n_elements < 64 ? m->n_elements : 64);
        }
    }
    CHECK_INT(n_u1, 19);
    CHECK_INT(n_u4, 19);
    CHECK_INT(n_f16, 42);
    CHECK_INT(payload, 319483);
    blob_close(&bf);
    arena_free(a);
}

static void test_corpus_resnet50(void) {
    arena *a = arena_new(0);
    blob_file bf;
    int rc = open_corpus(&bf, a, "resnet50_mlprogram_fp16_ios16");
    if (rc == -2) {
        fprintf(stderr, "  skip: corpus resnet50_mlprogram_fp16_ios16 not found\n");
        arena_free(a);
        return;
    }
    CHECK_INT(rc, 0);
    dump_problems(&bf);
    CHECK_INT(bf.n_problems, 0);
    CHECK_INT(bf.n_blobs, bf.count);
    CHECK(bf.count > 0);
    fprintf(stderr, "  resnet50_mlprogram_fp16_ios16: %" PRIu32 " blobs, %" PRIu64 " bytes\n", bf.count,
            bf.size);
    blob_close(&bf);
    arena_free(a);
}

int main(void) {
    RUN(test_dtype_codes);
    RUN(test_valid_file);
    RUN(test_find);
    RUN(test_read_bounds);
    RUN(test_unpack);
    RUN(test_truncated_header);
    RUN(test_version);
    RUN(test_bad_sentinel);
    RUN(test_offset_out_of_range);
    RUN(test_size_overflow);
    RUN(test_zero_size_and_dtype);
    RUN(test_bad_padding);
    RUN(test_count_huge);
    RUN(test_gap_and_cap);
    RUN(test_open_file);
    RUN(test_corpus_palettized);
    RUN(test_corpus_resnet50);
    return CHECK_DONE();
}
