/* SPDX-License-Identifier: Apache-2.0 */
/* blob.c — reader for MIL blob storage v2 files (weights/weight.bin).
 *
 * blob_open maps the file read-only (blob_open_mem reads a caller-owned
 * buffer) and walks the chain of 64-byte blob_metadata records that follows
 * the 64-byte storage header: each record is checked (sentinel, dtype code,
 * non-zero size, data range inside the file with overflow-safe arithmetic,
 * sub-byte padding) before anything it points to is used, and the next
 * record is found at align64(data_offset + sizeInBytes). Every defect becomes
 * a blob_problem (byte offset + arena-owned message); a broken chain stops the
 * walk. Valid records land in an arena array in file order, so blob_find can
 * binary-search them. All multi-byte fields are little-endian and assembled
 * byte by byte; nothing is ever read outside [0, size).
 */
#define _POSIX_C_SOURCE 200809L
#include "format/blob.h"
#include "format/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Marks a blob_file filled by blob_open_mem: its memory is not ours. */
static const char blob_mem_path[] = "<memory>";

/* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/BlobDataType.hpp —
 * BlobDataType codes 1..17 (index = code) and their element widths. */
static const struct {
    const char *name;
    cml_dtype dt;
    unsigned bits;
} dtype_tab[] = {
    {"unknown", CML_DT_UNKNOWN, 0},
    {"float16", CML_DT_FP16, 16},        /* 1 */
    {"float32", CML_DT_FP32, 32},        /* 2 */
    {"uint8", CML_DT_UINT8, 8},          /* 3 */
    {"int8", CML_DT_INT8, 8},            /* 4 */
    {"bfloat16", CML_DT_BF16, 16},       /* 5 */
    {"int16", CML_DT_INT16, 16},         /* 6 */
    {"uint16", CML_DT_UINT16, 16},       /* 7 */
    {"int4", CML_DT_INT4, 4},            /* 8 */
    {"uint1", CML_DT_UINT1, 1},          /* 9 */
    {"uint2", CML_DT_UINT2, 2},          /* 10 */
    {"uint4", CML_DT_UINT4, 4},          /* 11 */
    {"uint3", CML_DT_UINT3, 3},          /* 12 */
    {"uint6", CML_DT_UINT6, 6},          /* 13 */
    {"int32", CML_DT_INT32, 32},         /* 14 */
    {"uint32", CML_DT_UINT32, 32},       /* 15 */
    {"float8e4m3fn", CML_DT_FP8E4M3FN, 8}, /* 16 */
    {"float8e5m2", CML_DT_FP8E5M2, 8},   /* 17 */
};
#define N_CODES (sizeof dtype_tab / sizeof dtype_tab[0])

static unsigned code_bits(uint32_t code) { return code < N_CODES ? dtype_tab[code].bits : 0; }

/* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/BlobDataType.hpp —
 * sub-byte types are Int4 (8) through UInt6 (13); only they carry padding. */
static int code_is_subbyte(uint32_t code) { return code >= 8 && code <= 13; }

cml_dtype blob_dtype_from_code(uint32_t code) {
    return code < N_CODES ? dtype_tab[code].dt : CML_DT_UNKNOWN;
}

const char *blob_dtype_code_name(uint32_t code) {
    return code < N_CODES ? dtype_tab[code].name : "unknown";
}

static uint32_t rd32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const unsigned char *p) {
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

/* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageFormat.hpp —
 * DefaultStorageAlignment = 64. Callers guarantee x <= size < 2^60. */
static uint64_t align64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

#define BUFSZ 256

/* Problem collection: the last slot is kept for an overflow summary. */
typedef struct walk {
    blob_file *bf;
    arena *a;
    uint64_t dropped, first_dropped_off;
    char first_dropped[BUFSZ];
} walk;

static void add_problem(walk *w, uint64_t off, const char *msg) {
    const char *m = arena_strdup(w->a, msg);
    w->bf->problems[w->bf->n_problems].offset = off;
    w->bf->problems[w->bf->n_problems].message = m ? m : "problem (message lost: arena exhausted)";
    w->bf->n_problems++;
}

static void problem(walk *w, uint64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(walk *w, uint64_t off, const char *fmt, ...) {
    char buf[BUFSZ];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (w->bf->n_problems < BLOB_MAX_PROBLEMS - 1) {
        add_problem(w, off, buf);
    } else {
        if (w->dropped++ == 0) {
            w->first_dropped_off = off;
            memcpy(w->first_dropped, buf, sizeof buf);
        }
    }
}

static void finish_problems(walk *w) {
    char buf[BUFSZ + 64];
    if (w->dropped == 0) return;
    if (w->dropped == 1) {
        add_problem(w, w->first_dropped_off, w->first_dropped);
        return;
    }
    snprintf(buf, sizeof buf, "%" PRIu64 " more problems (first: %.200s)", w->dropped, w->first_dropped);
    add_problem(w, w->first_dropped_off, buf);
}

/* Check one record at off (64 bytes known to be inside the file). Returns 1
 * and fills *m / *next when the chain continues, 0 when it is broken. *valid
 * says whether the record itself is usable. */
/* The 64 bytes at off (inside the file) into buf: with pread when the file
 * is ours, so that walking the records of a large weight.bin does not fault
 * in one page of the mapping per record (on a VM each fault is a trip
 * through the hypervisor, and `inspect` never reads the data); else, or
 * when pread comes back short, from the mapping. */
static const unsigned char *record_at(const blob_file *bf, uint64_t off, unsigned char buf[BLOB_META_SIZE]) {
    if (bf->fd1 > 0 && fs_pread_full(bf->fd1 - 1, buf, BLOB_META_SIZE, off) == BLOB_META_SIZE) return buf;
    return bf->map + off;
}

static int check_record(walk *w, uint32_t i, uint64_t off, blob_meta *m, uint64_t *next, int *valid) {
    unsigned char buf[BLOB_META_SIZE];
    const unsigned char *r = record_at(w->bf, off, buf);
    uint64_t fsize = w->bf->size;
    *valid = 0;
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageFormat.hpp —
     * blob_metadata: uint32 sentinel (0xDEADBEEF), uint32 mil_dtype,
     * uint64 sizeInBytes, uint64 offset, uint64 padding_size_in_bits,
     * 4 reserved uint64 (never validated). */
    uint32_t sentinel = rd32(r);
    uint32_t code = rd32(r + 4);
    uint64_t sz = rd64(r + 8), doff = rd64(r + 16), pad = rd64(r + 24);
    if (sentinel != BLOB_SENTINEL) {
        /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageReader.cpp —
         * "Invalid sentinel in blob_metadata." */
        problem(w, off, "blob %" PRIu32 " at offset %" PRIu64 ": sentinel is 0x%08" PRIX32
                ", expected 0xDEADBEEF", i, off, sentinel);
        return 0;
    }
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageWriter.cpp —
     * the writer places data right after its record (meta_offset + 64). */
    if (doff < off + BLOB_META_SIZE) {
        problem(w, off + 16, "blob %" PRIu32 " at offset %" PRIu64 ": data offset %" PRIu64
                " overlaps its own record (must be >= %" PRIu64 ")", i, off, doff, off + BLOB_META_SIZE);
        return 0;
    }
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Util/Span.hpp — Slice()
     * requires index + size <= file length (checked here without overflow). */
    if (doff > fsize) {
        problem(w, off + 16, "blob %" PRIu32 " at offset %" PRIu64 ": data offset %" PRIu64
                " is past end of file (%" PRIu64 " bytes)", i, off, doff, fsize);
        return 0;
    }
    if (sz > fsize - doff) {
        problem(w, off + 8, "blob %" PRIu32 " at offset %" PRIu64 ": size %" PRIu64 " at data offset %"
                PRIu64 " extends past end of file (%" PRIu64 " bytes)", i, off, sz, doff, fsize);
        return 0;
    }
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageReader.cpp —
     * GetAllOffsets: next record at align64(offset + sizeInBytes). */
    *next = align64(doff + sz);
    int ok = 1;
    unsigned bits = code_bits(code);
    if (bits == 0) {
        problem(w, off + 4, "blob %" PRIu32 " at offset %" PRIu64 ": unknown dtype code %" PRIu32,
                i, off, code);
        ok = 0;
    }
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Util/Span.hpp — Slice()
     * (used by MMapFileReader::ReadData) requires size > 0: empty blobs fail. */
    if (sz == 0) {
        problem(w, off + 8, "blob %" PRIu32 " at offset %" PRIu64 ": size is 0 (empty blobs are invalid)",
                i, off);
        ok = 0;
    }
    memset(m, 0, sizeof *m);
    m->meta_offset = off;
    m->data_offset = doff;
    m->size = sz;
    m->dtype_code = code;
    m->dtype = blob_dtype_from_code(code);
    if (ok && code_is_subbyte(code)) {
        /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageReader.cpp —
         * sub-byte blobs: padding_size_in_bits < 8, a multiple of the element
         * width for 1/2/4-bit types, and (size*8 - padding) % width == 0. */
        uint64_t total = sz * 8u; /* sz <= fsize < 2^60: no overflow */
        if (pad >= 8 || (bits != 3 && bits != 6 && pad % bits != 0) || (total - pad) % bits != 0) {
            problem(w, off + 24, "blob %" PRIu32 " at offset %" PRIu64 ": padding_size_in_bits %" PRIu64
                    " is invalid for %s with size %" PRIu64, i, off, pad, dtype_tab[code].name, sz);
            ok = 0;
        } else {
            m->padding_bits = (uint32_t)pad;
            m->n_elements = (total - pad) / bits;
        }
    } else if (ok) {
        /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageFormat.hpp —
         * before iOS18 the field was uninitialised: ignored for these types. */
        unsigned esz = bits / 8u;
        if (sz % esz != 0) {
            problem(w, off + 8, "blob %" PRIu32 " at offset %" PRIu64 ": size %" PRIu64
                    " is not a multiple of the %u-byte %s element", i, off, sz, esz, dtype_tab[code].name);
            ok = 0;
        } else {
            m->n_elements = sz / esz;
        }
    }
    *valid = ok;
    return 1;
}

static int walk_file(blob_file *bf, arena *a) {
    walk w;
    memset(&w, 0, sizeof w);
    w.bf = bf;
    w.a = a;
    if (bf->size > ((uint64_t)1 << 60)) {
        problem(&w, 0, "file size %" PRIu64 " is implausibly large", bf->size);
        bf->fatal = 1;
        return -1;
    }
    uint64_t lfs_size;
    if (fs_lfs_pointer(bf->map, (size_t)bf->size, &lfs_size)) {
        problem(&w, 0, "the file is a Git LFS pointer, not the weights: the %" PRIu64 "-byte object was not "
                       "fetched (run `git lfs pull`)", lfs_size);
        bf->fatal = 1;
        return -1;
    }
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageFormat.hpp —
     * storage_header: uint32 count, uint32 version (2), 7 reserved uint64. */
    if (bf->size < BLOB_HEADER_SIZE) {
        problem(&w, 0, "file is %" PRIu64 " bytes, shorter than the 64-byte storage header", bf->size);
        bf->fatal = 1;
        return -1;
    }
    bf->count = rd32(bf->map);
    bf->version = rd32(bf->map + 4);
    /* SOURCE: apple/coremltools mlmodel/src/MILBlob/Blob/StorageReader.cpp —
     * "Storage Reader expects file format version 2." (1 = Espresso blob_v1) */
    if (bf->version != 2) {
        problem(&w, 4, "storage header version is %" PRIu32 ", expected 2", bf->version);
        bf->fatal = 1;
        return -1;
    }
    /* Each blob needs a 64-byte record plus >= 1 data byte, 64-aligned:
     * blob k cannot fit unless size >= 129 + 128*k. */
    uint64_t fit = bf->size >= 129 ? (bf->size - 129) / 128 + 1 : 0;
    uint64_t cap = bf->count < fit ? bf->count : fit;
    if (cap) {
        bf->blobs = arena_calloc(a, (size_t)cap, sizeof *bf->blobs);
        if (!bf->blobs) {
            problem(&w, 0, "out of memory allocating %" PRIu64 " blob records", cap);
            bf->fatal = 1;
            finish_problems(&w);
            return -1;
        }
    }
    uint64_t off = BLOB_HEADER_SIZE;
    for (uint32_t i = 0; i < bf->count; i++) {
        if (off > bf->size || bf->size - off < BLOB_META_SIZE) {
            if ((uint64_t)bf->count * 128u > bf->size)
                problem(&w, 0, "header count %" PRIu32 " is more than a %" PRIu64 "-byte file can hold "
                        "(%" PRIu32 " records found, each blob needs >= 128 bytes)", bf->count, bf->size, i);
            else
                problem(&w, off, "blob %" PRIu32 " at offset %" PRIu64 ": record extends past end of file (%"
                        PRIu64 " bytes; header count %" PRIu32 ")", i, off, bf->size, bf->count);
            break;
        }
        blob_meta m;
        uint64_t next = 0;
        int valid;
        if (!check_record(&w, i, off, &m, &next, &valid)) break;
        if (valid && bf->n_blobs < cap) bf->blobs[bf->n_blobs++] = m;
        off = next;
    }
    finish_problems(&w);
    return 0;
}

int blob_open_mem(blob_file *bf, const void *data, uint64_t size, arena *a) {
    memset(bf, 0, sizeof *bf);
    bf->path = blob_mem_path;
    bf->map = data;
    bf->size = data ? size : 0;
    return walk_file(bf, a);
}

static int open_fail(blob_file *bf, arena *a, const char *what, int err) {
    walk w;
    memset(&w, 0, sizeof w);
    w.bf = bf;
    w.a = a;
    problem(&w, 0, "%s: %s: %s", bf->path ? bf->path : "(null)", what, fs_strerror(err));
    bf->fatal = 1;
    return -1;
}

int blob_open(blob_file *bf, const char *path, arena *a) {
    memset(bf, 0, sizeof *bf);
    bf->path = path ? arena_strdup(a, path) : NULL;
    if (!bf->path) bf->path = path;
    if (!path) return open_fail(bf, a, "cannot open", EINVAL);
    int fd = fs_open_regular(path);   /* never a FIFO or a device */
    if (fd < 0) return open_fail(bf, a, errno == FS_ENOTREG ? "not a regular file" : "cannot open", errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return open_fail(bf, a, "cannot stat", e);
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return open_fail(bf, a, "cannot read", EISDIR);
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return open_fail(bf, a, "not a regular file", EINVAL);
    }
    if (st.st_size <= 0) {
        close(fd);
        return open_fail(bf, a, "empty file", ENODATA);
    }
    if ((uintmax_t)st.st_size > SIZE_MAX) {
        close(fd);
        return open_fail(bf, a, "cannot map", EFBIG);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    if (p == MAP_FAILED) {
        close(fd);
        return open_fail(bf, a, "cannot map", e);
    }
    bf->fd1 = fd + 1;   /* the same file as the mapping, for blob_pread */
    bf->map = p;
    bf->size = (uint64_t)st.st_size;
    return walk_file(bf, a);
}

void blob_close(blob_file *bf) {
    if (!bf) return;
    if (bf->map && bf->path != blob_mem_path) munmap((void *)(uintptr_t)bf->map, (size_t)bf->size);
    bf->map = NULL;
    if (bf->fd1 > 0) close(bf->fd1 - 1);
    bf->fd1 = 0;
}

blob_meta *blob_find(const blob_file *bf, uint64_t meta_offset) {
    if (!bf || !bf->blobs) return NULL;
    size_t lo = 0, hi = bf->n_blobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t o = bf->blobs[mid].meta_offset;
        if (o == meta_offset) return &bf->blobs[mid];
        if (o < meta_offset) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

/* Bytes of m's data that are inside both the blob and the file. */
static uint64_t data_avail(const blob_file *bf, const blob_meta *m) {
    if (!bf || !m || !bf->map || m->data_offset > bf->size) return 0;
    uint64_t in_file = bf->size - m->data_offset;
    return m->size < in_file ? m->size : in_file;
}

size_t blob_read(const blob_file *bf, const blob_meta *m, uint64_t off, void *dst, size_t n) {
    uint64_t avail = data_avail(bf, m);
    if (!dst || off >= avail) return 0;
    uint64_t k = avail - off;
    if (k > n) k = n;
    memcpy(dst, bf->map + m->data_offset + off, (size_t)k);
    return (size_t)k;
}

size_t blob_pread(const blob_file *bf, const blob_meta *m, uint64_t off, void *dst, size_t n) {
    if (!bf || bf->fd1 <= 0) return blob_read(bf, m, off, dst, n);
    uint64_t avail = data_avail(bf, m);
    if (!dst || off >= avail) return 0;
    uint64_t k = avail - off;
    if (k > n) k = n;
    return fs_pread_full(bf->fd1 - 1, dst, (size_t)k, m->data_offset + off);
}

const unsigned char *blob_data(const blob_file *bf, const blob_meta *m) {
    if (!m || m->size == 0 || data_avail(bf, m) != m->size) return NULL;
    return bf->map + m->data_offset;
}

/* SOURCE: apple/coremltools mlmodel/src/MILBlob/SubByteTypes.cpp — element i
 * occupies bits [i*n, i*n+n) LSB-first; 3/6-bit elements may straddle bytes. */
size_t blob_unpack_bits(const unsigned char *src, size_t srclen, unsigned nbits, int is_signed,
                        uint64_t first, size_t n, int32_t *out) {
    if (!src || !out || nbits < 1 || nbits > 8) return 0;
    uint64_t len = srclen > UINT64_MAX / 8 ? UINT64_MAX / 8 : (uint64_t)srclen;
    uint64_t max_elems = len * 8u / nbits;
    if (first >= max_elems) return 0;
    if ((uint64_t)n > max_elems - first) n = (size_t)(max_elems - first);
    uint32_t mask = (1u << nbits) - 1u;
    for (size_t i = 0; i < n; i++) {
        uint64_t bit = (first + i) * nbits;
        size_t byte = (size_t)(bit >> 3);
        unsigned shift = (unsigned)(bit & 7u);
        uint32_t v = (uint32_t)src[byte] >> shift;
        if (shift + nbits > 8) v |= (uint32_t)src[byte + 1] << (8u - shift);
        v &= mask;
        if (is_signed && (v & (1u << (nbits - 1))))
            out[i] = (int32_t)v - (int32_t)(1u << nbits);
        else
            out[i] = (int32_t)v;
    }
    return n;
}
