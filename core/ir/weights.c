/* SPDX-License-Identifier: Apache-2.0 */
/* ir_weights.c — element access to constants, whatever their storage.
 *
 * Constants live as raw little-endian bytes (weight.bin blobs, protobuf
 * `bytes` fields: fp16, int8, sub-byte packed) or as protobuf repeated
 * scalars (float, int32, int64, double, bool). Passes and rules that need a
 * few values (a LUT size, a zero point, a shape tensor, a mask popcount)
 * read them here, element by element, through bounded reads: nothing is
 * copied to build the IR. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "coreml-lint/walk.h"
#include "ir/weights.h"
#include "ir/model.h"

/* Bytes per element of the stored representation, 0 for sub-byte. */
static unsigned stored_elem_size(const iweight *w) {
    switch (w->stored_as) {
    case ISTORE_F32: case ISTORE_I32: return 4;
    case ISTORE_I64: case ISTORE_F64: return 8;
    case ISTORE_BOOL: return sizeof(protobuf_c_boolean);
    case ISTORE_STR: return 0;
    case ISTORE_RAW: {
        unsigned bits = cml_dtype_bits(w->pub.dtype);
        return bits >= 8 ? bits / 8 : 0;
    }
    }
    return 0;
}

cml_dtype ir_weight_stored_as(const cml_weight *w, const char *const **strings) {
    const iweight *iw = (const iweight *)w;
    if (strings) *strings = NULL;
    if (!w) return CML_DT_UNKNOWN;
    switch (iw->stored_as) {
    case ISTORE_RAW: return w->dtype;
    case ISTORE_F32: return CML_DT_FP32;
    case ISTORE_I32: return CML_DT_INT32;
    case ISTORE_I64: return CML_DT_INT64;
    case ISTORE_F64: return CML_DT_FP64;
    case ISTORE_BOOL:
        /* protobuf-c stores repeated bool as protobuf_c_boolean (an int) */
        return sizeof(protobuf_c_boolean) == 4 ? CML_DT_INT32 : CML_DT_UNKNOWN;
    case ISTORE_STR:
        if (strings) *strings = iw->strings;
        return CML_DT_STRING;
    }
    return CML_DT_UNKNOWN;
}

uint64_t ir_weight_count(const cml_weight *w) {
    const iweight *iw = (const iweight *)w;
    if (!w) return 0;
    if (iw->stored_as == ISTORE_STR) return w->nbytes;
    unsigned es = stored_elem_size(iw);
    if (es) return w->nbytes / es;
    unsigned bits = cml_dtype_bits(w->dtype);
    if (!bits) return 0;
    if (iw->meta) return iw->meta->n_elements;
    uint64_t n = w->nbytes * 8 / bits;
    if (w->n_elements && w->n_elements < n) n = w->n_elements;
    return n;
}

int ir_weight_f64(const cml_weight *w, uint64_t i, double *out) {
    const iweight *iw = (const iweight *)w;
    if (!w || i >= ir_weight_count(w)) return -1;
    unsigned char buf[8];
    unsigned es = stored_elem_size(iw);
    if (iw->stored_as == ISTORE_STR) return -1;
    if (!es) {
        /* sub-byte: read the one or two bytes that hold element i */
        unsigned bits = cml_dtype_bits(w->dtype);
        uint64_t bit = i * bits;
        unsigned char two[2] = {0, 0};
        size_t got = ir_weight_read(w, bit / 8, two, 2);
        if (!got) return -1;
        /* LSB-first packing: element i starts at bit i*bits and may
         * straddle into the next byte (3- and 6-bit types).
         * SOURCE: coremltools mlmodel/src/MILBlob/SubByteTypes.cpp */
        uint32_t word = (uint32_t)two[0] | ((uint32_t)(got > 1 ? two[1] : 0) << 8);
        int32_t v = (int32_t)((word >> (bit % 8)) & ((1u << bits) - 1u));
        if (w->dtype == CML_DT_INT4 && v >= 8) v -= 16;
        *out = v;
        return 0;
    }
    if (ir_weight_read(w, i * es, buf, es) != es) return -1;
    switch (iw->stored_as) {
    case ISTORE_F32: { float f; memcpy(&f, buf, 4); *out = f; return 0; }
    case ISTORE_F64: memcpy(out, buf, 8); return 0;
    case ISTORE_I32: { int32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case ISTORE_I64: { int64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    case ISTORE_BOOL: { protobuf_c_boolean x; memcpy(&x, buf, sizeof x); *out = x != 0; return 0; }
    default: break;
    }
    switch (w->dtype) {
    case CML_DT_FP16: *out = cml_half_to_float((uint16_t)(buf[0] | buf[1] << 8)); return 0;
    case CML_DT_BF16: {
        uint32_t u = (uint32_t)(buf[0] | buf[1] << 8) << 16;
        float f; memcpy(&f, &u, 4); *out = f; return 0;
    }
    case CML_DT_FP32: { float f; memcpy(&f, buf, 4); *out = f; return 0; }
    case CML_DT_FP64: memcpy(out, buf, 8); return 0;
    case CML_DT_INT8: *out = (int8_t)buf[0]; return 0;
    case CML_DT_UINT8: case CML_DT_BOOL: *out = buf[0]; return 0;
    case CML_DT_FP8E4M3FN: case CML_DT_FP8E5M2: *out = NAN; return -1;
    case CML_DT_INT16: { int16_t x; memcpy(&x, buf, 2); *out = x; return 0; }
    case CML_DT_UINT16: { uint16_t x; memcpy(&x, buf, 2); *out = x; return 0; }
    case CML_DT_INT32: { int32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case CML_DT_UINT32: { uint32_t x; memcpy(&x, buf, 4); *out = x; return 0; }
    case CML_DT_INT64: { int64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    case CML_DT_UINT64: { uint64_t x; memcpy(&x, buf, 8); *out = (double)x; return 0; }
    default: return -1;
    }
}

int ir_weight_i64(const cml_weight *w, uint64_t i, int64_t *out) {
    double d;
    /* NaN, infinities and magnitudes of 2^63 or more have no int64 (an
     * int64 of INT64_MAX reads as the double 2^63): -1, as unreadable */
    if (ir_weight_f64(w, i, &d) != 0 || !(d > -0x1p63 && d < 0x1p63)) return -1;
    *out = (int64_t)d;
    return 0;
}

uint64_t ir_weight_popcount(const cml_weight *w, uint64_t max_bits) {
    unsigned char buf[4096];
    uint64_t total = 0, off = 0, bits_left = max_bits;
    while (bits_left) {
        size_t want = sizeof buf;
        uint64_t bytes_left = (bits_left + 7) / 8;
        if (want > bytes_left) want = (size_t)bytes_left;
        size_t got = ir_weight_read(w, off, buf, want);
        if (!got) break;
        for (size_t k = 0; k < got && bits_left; k++) {
            unsigned char byte = buf[k];
            if (bits_left < 8) byte &= (unsigned char)((1u << bits_left) - 1u);
            total += (uint64_t)__builtin_popcount(byte);
            bits_left = bits_left >= 8 ? bits_left - 8 : 0;
        }
        off += got;
    }
    return total;
}

/* ---- one pass of statistics (ir_weight_stats) ---------------------------------- */

/* SOURCE: IEEE 754 binary16: largest finite 65504 = 0x7bff, inf 0x7c00;
 * binary32: 65504.0f = 0x477fe000, inf 0x7f800000. 1e-12f = 0x2b8cbccc
 * (the coremltools sparsity threshold, as float). */
#define WS_F16_MAX 0x7bffu
#define WS_F32_65504 0x477fe000u
#define WS_F32_INF 0x7f800000u
#define WS_F32_TINY 0x2b8cbcccu
#define WS_BUF (128u * 1024u)

/* The fast passes are a max and a count over the magnitudes, which
 * vectorize; on x86-64 ELF builds GCC compiles them three times and picks
 * the AVX-512 (x86-64-v4) or AVX2 copy at load time where the CPU has it
 * (not under ThreadSanitizer, whose instrumented resolver would run before
 * its runtime is up and crash at load). */
#if defined(__x86_64__) && defined(__ELF__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_THREAD__)
#define WS_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define WS_CLONES
#endif

static inline uint32_t ws_le32(const unsigned char *b) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint32_t u;
    memcpy(&u, b, 4);   /* one load, which the fast passes vectorize */
    return u;
#else
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) | ((uint32_t)b[3] << 24);
#endif
}
static inline uint16_t ws_le16(const unsigned char *b) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint16_t u;
    memcpy(&u, b, 2);
    return u;
#else
    return (uint16_t)(b[0] | (b[1] << 8));
#endif
}

/* fp16 magnitudes: the largest, and how many are zero (k: at most WS_BUF / 2) */
WS_CLONES static uint32_t ws_top16(const unsigned char *b, size_t k, uint32_t *zeros) {
    uint16_t top = 0;
    uint32_t z = 0;
    for (size_t i = 0; i < k; i++) {
        uint16_t m = (uint16_t)(ws_le16(b + 2 * i) & 0x7fffu);
        top = m > top ? m : top;
        z += m == 0;
    }
    *zeros = z;
    return top;
}

/* fp32 magnitude bits: the largest, and how many are <= 1e-12 */
WS_CLONES static uint32_t ws_top32(const unsigned char *b, size_t k, uint32_t *tiny) {
    uint32_t top = 0, z = 0;
    for (size_t i = 0; i < k; i++) {
        uint32_t m = ws_le32(b + 4 * i) & 0x7fffffffu;
        top = m > top ? m : top;
        z += m <= WS_F32_TINY;
    }
    *tiny = z;
    return top;
}

static double ws_f32(uint32_t bits) {
    float f;
    memcpy(&f, &bits, 4);
    return (double)f;
}

/* one value's magnitude bits, fp32 layout, sign apart */
static void ws_one32(uint32_t u, cml_weight_stats *s) {
    uint32_t m = u & 0x7fffffffu;
    if (m >= WS_F32_INF) {
        if (m > WS_F32_INF) s->nan++;
        else if (u & 0x80000000u) s->ninf++;
        else s->pinf++;
        return;
    }
    double a = ws_f32(m);
    if (a > s->maxabs) s->maxabs = a;
    if (m <= WS_F32_TINY) s->zeros++;
    if (m == WS_F32_65504) s->fp16_max++;
    else if (m > WS_F32_65504) s->over_fp16++;
}

static void ws_chunk(cml_dtype dt, const unsigned char *b, size_t k, cml_weight_stats *s) {
    uint32_t z = 0;
    if (dt == CML_DT_FP16) {
        uint32_t top = ws_top16(b, k, &z);
        if (top < WS_F16_MAX) { /* all finite, none at 65504: the common case */
            s->zeros += z;
            double a = (double)cml_half_to_float((uint16_t)top);
            if (a > s->maxabs) s->maxabs = a;
            return;
        }
        for (size_t i = 0; i < k; i++) {
            uint32_t h = ws_le16(b + 2 * i), m = h & 0x7fffu;
            if (m >= 0x7c00u) {
                if (m > 0x7c00u) s->nan++;
                else if (h & 0x8000u) s->ninf++;
                else s->pinf++;
                continue;
            }
            if (m == 0) s->zeros++;
            if (m == WS_F16_MAX) s->fp16_max++;
            double a = (double)cml_half_to_float((uint16_t)m);
            if (a > s->maxabs) s->maxabs = a;
        }
        return;
    }
    if (dt == CML_DT_FP32) {
        uint32_t top = ws_top32(b, k, &z);
        if (top < WS_F32_65504) {
            s->zeros += z;
            double a = ws_f32(top);
            if (a > s->maxabs) s->maxabs = a;
            return;
        }
        for (size_t i = 0; i < k; i++) ws_one32(ws_le32(b + 4 * i), s);
        return;
    }
    for (size_t i = 0; i < k; i++) ws_one32((uint32_t)ws_le16(b + 2 * i) << 16, s); /* bf16: fp32's top half */
}

/* w's counts into its record (stats_state 1, or 2 when they cannot be
 * had), reading a blob through buf (WS_BUF bytes) */
static void ws_compute(iweight *iw, unsigned char *buf) {
    const cml_weight *w = &iw->pub;
    iw->stats_state = 2;
    cml_dtype dt = ir_weight_stored_as(w, NULL);
    unsigned es = dt == CML_DT_FP16 || dt == CML_DT_BF16 ? 2 : dt == CML_DT_FP32 ? 4 : 0;
    if (!es || w->nbytes % es) return;
    cml_weight_stats s;
    memset(&s, 0, sizeof s);
    s.n = w->nbytes / es;
    const unsigned char *inl = w->storage == CML_STORE_INLINE ? iw->inline_data : NULL;
    if (inl) {
        /* in pieces too: the fast passes count in 32 bits */
        for (uint64_t off = 0; off < w->nbytes; off += WS_BUF) {
            uint64_t left = w->nbytes - off;
            size_t len = left < WS_BUF ? (size_t)left : WS_BUF;
            ws_chunk(dt, inl + off, len / es, &s);
        }
    } else if (w->storage == CML_STORE_BLOB && iw->meta && w->file) {
        const blob_file *bf = &((const wfile *)w->file)->bf;
        for (uint64_t off = 0; off < w->nbytes;) {
            uint64_t left = w->nbytes - off;
            size_t want = left < WS_BUF ? (size_t)left : WS_BUF;
            if (blob_pread(bf, iw->meta, off, buf, want) != want) return;
            ws_chunk(dt, buf, want / es, &s);
            off += want;
        }
    } else {
        return;
    }
    iw->stats = s;
    iw->stats_state = 1;
}

int ir_weight_stats(const cml_weight *w, cml_weight_stats *out) {
    iweight *iw = (iweight *)(uintptr_t)w;
    memset(out, 0, sizeof *out);
    if (!w) return -1;
    if (iw->stats_state == 0) {
        /* the host runs rules one at a time (see weights.h) */
        static unsigned char buf[WS_BUF] __attribute__((aligned(64)));
        ws_compute(iw, buf);
    }
    if (iw->stats_state != 1) return -1;
    *out = iw->stats;
    return 0;
}

/* ---- the counts of a whole model on several threads -------------------------------- */

#define WS_MAX_THREADS 16

typedef struct ws_job {
    iweight **w;
    size_t n;
    atomic_size_t next;
} ws_job;

static void *ws_worker(void *arg) {
    ws_job *j = arg;
    unsigned char *buf = aligned_alloc(64, WS_BUF);
    if (!buf) return NULL;   /* the others, or the lazy path, do its share */
    for (size_t i; (i = atomic_fetch_add(&j->next, 1)) < j->n;) ws_compute(j->w[i], buf);
    free(buf);
    return NULL;
}

/* the weights of m and its sub-models without counts: counted (out NULL),
 * or listed into out and marked queued (3), so that a weight two models
 * share is listed, and counted, once */
static size_t ws_collect(const cml_model *m, iweight **out, size_t cap, size_t n, uint64_t *bytes, int depth) {
    if (!m || depth >= CML_WALK_MAX_DEPTH) return n;
    for (size_t i = 0; i < m->n_weights; i++) {
        iweight *iw = (iweight *)(uintptr_t)m->weights[i];
        if (!iw || iw->stats_state != 0) continue;
        /* only the types that have counts (the others answer -1 at once) */
        cml_dtype st = ir_weight_stored_as(&iw->pub, NULL);
        if (st != CML_DT_FP16 && st != CML_DT_BF16 && st != CML_DT_FP32) continue;
        if (out) {
            if (n >= cap) continue;
            out[n] = iw;
            iw->stats_state = 3;
        }
        n++;
        *bytes += iw->pub.nbytes;
    }
    for (size_t i = 0; i < m->n_sub_models; i++) n = ws_collect(m->sub_models[i], out, cap, n, bytes, depth + 1);
    return n;
}

void ir_weight_stats_all(const cml_model *m, int threads, uint64_t min_bytes) {
    uint64_t bytes = 0;
    size_t n = ws_collect(m, NULL, 0, 0, &bytes, 0);
    if (threads > WS_MAX_THREADS) threads = WS_MAX_THREADS;
    if (threads < 2 || n < 2 || bytes < min_bytes) return;   /* the lazy path, one weight at a time */
    iweight **w = malloc(n * sizeof *w);
    if (!w) return;
    bytes = 0;
    n = ws_collect(m, w, n, 0, &bytes, 0);
    ws_job j = {.w = w, .n = n};
    atomic_init(&j.next, 0);
    pthread_t th[WS_MAX_THREADS];
    int started = 0;
    for (int t = 1; t < threads && (size_t)t < n; t++)
        if (pthread_create(&th[started], NULL, ws_worker, &j) == 0) started++;
    ws_worker(&j);   /* the calling thread takes its share */
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    /* one left queued (no memory for a buffer anywhere): the lazy path's */
    for (size_t i = 0; i < n; i++)
        if (w[i]->stats_state == 3) w[i]->stats_state = 0;
    free(w);
}
