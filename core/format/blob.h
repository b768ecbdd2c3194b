/* SPDX-License-Identifier: Apache-2.0 */
/* blob.h — reader for MIL blob storage v2 files (weights/weight.bin).
 *
 * The file is mapped read-only and never copied: blob_open validates the
 * 64-byte header and walks every 64-byte blob_metadata record (sentinel,
 * dtype code, size, data offset, sub-byte padding), checking each against
 * the file size before it is used. Problems are collected as blob_problem
 * entries (message + byte offset); a file with a bad header has no blobs.
 * Internal to core/.
 *
 * SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageFormat.hpp,
 * BlobDataType.hpp, StorageReader.cpp (layout, dtype codes, checks).
 */
#ifndef CML_BLOB_H
#define CML_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "format/arena.h"
#include "coreml-lint/ir.h"

#define BLOB_HEADER_SIZE 64u
#define BLOB_META_SIZE 64u
#define BLOB_SENTINEL 0xDEADBEEFu
#define BLOB_MAX_PROBLEMS 64u

typedef struct blob_meta {
    uint64_t meta_offset;   /* where the 64-byte record starts */
    uint64_t data_offset;   /* absolute offset of the data */
    uint64_t size;          /* sizeInBytes */
    uint32_t dtype_code;    /* BlobDataType code as stored */
    cml_dtype dtype;        /* mapped; CML_DT_UNKNOWN for a bad code */
    uint32_t padding_bits;  /* sub-byte types only; 0 otherwise */
    uint64_t n_elements;    /* derived from size, dtype and padding */
    uint32_t refs;          /* how many program values point here */
} blob_meta;

typedef struct blob_problem {
    uint64_t offset;        /* byte offset in the file */
    const char *message;    /* arena-owned */
} blob_problem;

typedef struct blob_file {
    const char *path;               /* as opened */
    const unsigned char *map;       /* read-only mapping (NULL for empty file) */
    uint64_t size;
    uint32_t count;                 /* header: number of blobs */
    uint32_t version;               /* header: format version (2) */
    size_t n_blobs;                 /* records walked and valid */
    blob_meta *blobs;               /* sorted by meta_offset (file order) */
    size_t n_problems;
    blob_problem problems[BLOB_MAX_PROBLEMS];
    int fatal;                      /* header unusable or file unreadable */
    int fd1;                        /* the file's descriptor + 1, kept open for blob_pread
                                       (0: none, as in a zeroed struct) */
} blob_file;

/* Map and validate path. Always fills bf (problems describe failures);
 * returns 0 if the file was mapped and the header is usable, -1 otherwise.
 * Memory for blobs/messages comes from a. */
int blob_open(blob_file *bf, const char *path, arena *a);
/* Same over a caller-owned buffer (used by tests and fuzzers). */
int blob_open_mem(blob_file *bf, const void *data, uint64_t size, arena *a);
void blob_close(blob_file *bf);

/* The record whose metadata starts at meta_offset, or NULL. */
blob_meta *blob_find(const blob_file *bf, uint64_t meta_offset);

/* Bounded copy of n bytes from off within the blob's data. Returns bytes
 * copied (short at the end of the blob, 0 past it). */
size_t blob_read(const blob_file *bf, const blob_meta *m, uint64_t off, void *dst, size_t n);
const unsigned char *blob_data(const blob_file *bf, const blob_meta *m);
/* The same bytes as blob_read, read from the open file with pread(2)
 * instead of through the mapping: a pass over every weight copies them into
 * a small buffer that stays in cache, where reading the mapping costs a
 * page fault per fresh page (measured: bench/README.md). Falls back to
 * blob_read when the file is not open (blob_open_mem). */
size_t blob_pread(const blob_file *bf, const blob_meta *m, uint64_t off, void *dst, size_t n);

/* BlobDataType code -> cml_dtype (CML_DT_UNKNOWN for unknown codes),
 * and the name used in reports/manifests ("float16", "uint4", ...). */
cml_dtype blob_dtype_from_code(uint32_t code);
const char *blob_dtype_code_name(uint32_t code);

/* Unpack n sub-byte elements (nbits in 1..8, LSB-first packing) starting at
 * element index first from src (srclen bytes) into out; signed applies
 * two's complement (int4). Returns elements written (stops at srclen). */
size_t blob_unpack_bits(const unsigned char *src, size_t srclen, unsigned nbits, int is_signed,
                        uint64_t first, size_t n, int32_t *out);

#endif
