/* SPDX-License-Identifier: Apache-2.0 */
/* exec_const.c — constants for the reference executor: weight decoding,
 * constexpr decompression and NeuralNetwork weight dequantisation.
 *
 * Every constant the plan uses is decoded once into a float32 buffer
 * whatever its storage: protobuf repeated scalars, raw little-endian bytes
 * (fp16 through a lookup table, bf16, 8..64-bit integers) or the sub-byte
 * types (int4, uint1/2/3/4/6), which MIL packs LSB-first and may let straddle
 * bytes. The ML Program decompression ops are evaluated here, in program
 * order, into constant slots: constexpr_affine_dequantize, constexpr_cast,
 * constexpr_lut_to_dense (iOS16 packed-uint8 indices with a rank-1 LUT, and
 * iOS18 typed indices with a grouped [groups..., P, V] LUT incl. vector
 * palettization), constexpr_sparse_to_dense (iOS16 uint8 bitmask + shape,
 * iOS18 uint1 mask), constexpr_blockwise_shift_scale and the joint
 * sparse chains constexpr_lut_to_sparse / constexpr_sparse_blockwise_shift_scale
 * (two outputs: mask and non-zero values). Outputs typed fp16 are rounded to
 * binary16, since that is the constant the runtime holds. NeuralNetwork
 * WeightParams quantization (linear: w = q*scale[c] + bias[c]; LUT:
 * w = table[q], indices packed MSB-first) needs the layer's protobuf
 * parameters, which the IR carries on the weight (quant_scale/bias, lut). */
#define _DEFAULT_SOURCE 1 /* madvise */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "exec_internal.h"

/* ---- fp16 ---------------------------------------------------------------- */

/* A lookup table of every binary16 value (faster than the bit conversion
 * in the decode loops). Filled once, by whichever thread gets here first:
 * pthread_once makes the others wait for the whole table instead of
 * reading it half-filled (the kernels decode weights from worker threads). */
static float g_half[65536];
static pthread_once_t g_half_once = PTHREAD_ONCE_INIT;

static void half_table_fill(void) {
    for (uint32_t i = 0; i < 65536; i++) g_half[i] = cml_half_to_float((uint16_t)i);
}

const float *exec_half_table(void) {
    pthread_once(&g_half_once, half_table_fill);
    return g_half;
}

float exec_half_to_float(uint16_t h) { return exec_half_table()[h]; }

/* ---- raw decode -------------------------------------------------------------- */

/* Element i of a sub-byte LSB-first stream. SOURCE: coremltools
 * mlmodel/src/MILBlob/SubByteTypes.cpp and optimize/_utils.py
 * restore_elements_from_packed_bits (np.unpackbits bitorder="little"). */
static uint32_t bits_lsb(const unsigned char *b, size_t nbytes, uint64_t i, unsigned bits) {
    uint64_t bit = i * bits;
    size_t byte = (size_t)(bit / 8);
    uint32_t w = 0;
    for (unsigned k = 0; k < 2 && byte + k < nbytes; k++) w |= (uint32_t)b[byte + k] << (8 * k);
    return (w >> (bit % 8)) & ((1u << bits) - 1u);
}

/* NeuralNetwork WeightParams quantized values: each value's bits MSB first
 * in a stream filled from each byte's MSB. SOURCE: coremltools
 * models/neural_network/quantization_utils.py _convert_array_to_nbit_quantized_bytes
 * (packing) and _unpack_to_bytes / _decompose_bytes_to_bit_arr (unpacking). */
static uint32_t bits_msb(const unsigned char *b, size_t nbytes, uint64_t i, unsigned bits) {
    uint32_t v = 0;
    for (unsigned k = 0; k < bits; k++) {
        uint64_t bit = i * bits + k;
        size_t byte = (size_t)(bit / 8);
        unsigned bitv = byte < nbytes ? (b[byte] >> (7 - bit % 8)) & 1u : 0;
        v = (v << 1) | bitv;
    }
    return v;
}

static int decode_raw(cml_dtype dt, const unsigned char *b, size_t nbytes, float *out, size_t n) {
    switch (dt) {
    case CML_DT_FP16: {
        const float *half = exec_half_table();
        for (size_t i = 0; i < n; i++) out[i] = half[(uint16_t)(b[2 * i] | b[2 * i + 1] << 8)];
        return 0;
    }
    case CML_DT_BF16:
        for (size_t i = 0; i < n; i++) {
            uint32_t u = (uint32_t)(b[2 * i] | b[2 * i + 1] << 8) << 16;
            memcpy(&out[i], &u, 4);
        }
        return 0;
    case CML_DT_FP32: memcpy(out, b, n * 4); return 0;
    case CML_DT_FP64:
        for (size_t i = 0; i < n; i++) { double d; memcpy(&d, b + 8 * i, 8); out[i] = (float)d; }
        return 0;
    case CML_DT_INT8: for (size_t i = 0; i < n; i++) out[i] = (float)(int8_t)b[i]; return 0;
    case CML_DT_UINT8: case CML_DT_BOOL: for (size_t i = 0; i < n; i++) out[i] = b[i]; return 0;
    case CML_DT_INT16:
        for (size_t i = 0; i < n; i++) { int16_t x; memcpy(&x, b + 2 * i, 2); out[i] = x; }
        return 0;
    case CML_DT_UINT16:
        for (size_t i = 0; i < n; i++) { uint16_t x; memcpy(&x, b + 2 * i, 2); out[i] = x; }
        return 0;
    case CML_DT_INT32:
        for (size_t i = 0; i < n; i++) { int32_t x; memcpy(&x, b + 4 * i, 4); out[i] = (float)x; }
        return 0;
    case CML_DT_UINT32:
        for (size_t i = 0; i < n; i++) { uint32_t x; memcpy(&x, b + 4 * i, 4); out[i] = (float)x; }
        return 0;
    case CML_DT_INT64:
        for (size_t i = 0; i < n; i++) { int64_t x; memcpy(&x, b + 8 * i, 8); out[i] = (float)x; }
        return 0;
    case CML_DT_UINT64:
        for (size_t i = 0; i < n; i++) { uint64_t x; memcpy(&x, b + 8 * i, 8); out[i] = (float)x; }
        return 0;
    case CML_DT_INT4:
        for (size_t i = 0; i < n; i++) {
            int32_t v = (int32_t)bits_lsb(b, nbytes, i, 4);
            out[i] = (float)(v >= 8 ? v - 16 : v);
        }
        return 0;
    case CML_DT_UINT1: case CML_DT_UINT2: case CML_DT_UINT3: case CML_DT_UINT4: case CML_DT_UINT6: {
        unsigned bits = cml_dtype_bits(dt);
        for (size_t i = 0; i < n; i++) out[i] = (float)bits_lsb(b, nbytes, i, bits);
        return 0;
    }
    default: return -1;
    }
}

static bool shape_known(const cml_shape *s) {
    if (s->rank < 0 || s->rank > EXEC_MAX_RANK) return false;
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] < 0) return false;
    return true;
}

/* Elements held by the stored bytes of w (stored as `st`). */
static uint64_t stored_count(const cml_weight *w, cml_dtype st) {
    unsigned bits = cml_dtype_bits(st);
    if (!bits) return 0;
    if (bits >= 8) return w->nbytes / (bits / 8);
    uint64_t n = w->nbytes * 8 / bits;
    if (w->n_elements && w->n_elements < n) n = w->n_elements;
    return n;
}

/* Read exactly n bytes of w from offset 0 into buf through the host. */
static int read_all(const exec_io *io, const cml_weight *w, void *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        size_t k = io->read(io->user, w, got, (unsigned char *)buf + got, n - got);
        if (!k) return -1;
        got += k;
    }
    return 0;
}

int exec_weight_f64(const exec_io *io, const cml_weight *w, uint64_t i, double *out) {
    if (!io || !io->read || !io->stored_as || !w) return -1;
    cml_dtype st = io->stored_as(io->user, w, NULL);
    unsigned bits = cml_dtype_bits(st);
    if (st == CML_DT_STRING || !bits || i >= stored_count(w, st)) return -1;
    unsigned char b[8] = {0};
    float f;
    if (bits >= 8) {
        if (io->read(io->user, w, i * (bits / 8), b, bits / 8) != bits / 8) return -1;
        if (decode_raw(st, b, bits / 8, &f, 1) != 0) return -1;
        if (st == CML_DT_FP64) memcpy(out, b, 8);
        else *out = f;
        return 0;
    }
    uint64_t bit = i * bits;
    size_t k = io->read(io->user, w, bit / 8, b, 2);
    if (!k) return -1;
    uint32_t word = (uint32_t)b[0] | ((uint32_t)(k > 1 ? b[1] : 0) << 8);
    int32_t v = (int32_t)((word >> (bit % 8)) & ((1u << bits) - 1u));
    if (st == CML_DT_INT4 && v >= 8) v -= 16;
    *out = v;
    return 0;
}

/* The shape a constant is decoded to: its value's declared tensor shape,
 * else the weight's; none (a rank-1 run of its elements) for a list literal
 * of scalars (classify's classes), and none for other lists, tuples and
 * dicts, which hold no elements. */
static const cml_shape *const_shape(const cml_weight *w, const cml_value *v) {
    if (v && v->type.kind == CML_TYPE_LIST) return NULL;
    if (v && v->type.kind == CML_TYPE_TENSOR && shape_known(&v->type.shape)) return &v->type.shape;
    return shape_known(&w->shape) ? &w->shape : NULL;
}

int exec_decode_weight(const exec_io *io, const cml_weight *w, const cml_value *v, xt *out, char *err,
                       size_t errlen) {
    memset(out, 0, sizeof *out);
    bool list = v && v->type.kind == CML_TYPE_LIST;
    const cml_shape *sh = const_shape(w, v);
    const char *nm = v && v->name ? v->name : "?";
    const char *const *strs = NULL;
    cml_dtype st = io->stored_as(io->user, w, &strs);
    if (st == CML_DT_STRING) {
        out->dt = EXEC_DT_STRING;
        out->strs = strs;
        out->nstr = strs ? (size_t)w->nbytes : 0;
        out->rank = sh ? sh->rank : 1;
        for (int k = 0; k < out->rank; k++) out->dim[k] = sh ? sh->dims[k] : (int64_t)out->nstr;
        out->n = 0;
        return 0;
    }
    if (v && v->type.kind != CML_TYPE_TENSOR && v->type.kind != CML_TYPE_UNKNOWN && v->type.kind != CML_TYPE_STATE &&
        !(list && st == CML_DT_INT64 && w->nbytes)) {
        /* other list / tuple / dict literals: not tensors; an empty constant
         * keeps the op's other parameters usable */
        out->rank = 1;
        out->n = 0;
        out->d = NULL;
        return 0;
    }
    bool nnq = w->quant_bits && (w->quant_linear || w->quant_lut);
    uint64_t n = nnq ? (w->quant_bits <= 8 ? w->nbytes * 8 / w->quant_bits : 0) : stored_count(w, st);
    size_t want = sh ? exec_count(sh->rank, sh->dims) : (size_t)n;
    if (sh && !nnq && n < want) {
        /* a scalar broadcast is not a thing for stored constants */
        if (want > EXEC_MAX_ELEMS)
            exec_seterr(err, errlen, "constant '%s' holds %llu elements, its shape more than 2^40", nm,
                        (unsigned long long)n);
        else
            exec_seterr(err, errlen, "constant '%s' holds %llu elements, its shape needs %zu", nm,
                        (unsigned long long)n, want);
        return -1;
    }
    if (!sh) {
        out->rank = 1;
        out->dim[0] = (int64_t)n;
    } else {
        out->rank = sh->rank;
        for (int k = 0; k < sh->rank; k++) out->dim[k] = sh->dims[k];
    }
    if (nnq) { out->rank = 1; out->dim[0] = (int64_t)n; want = (size_t)n; }
    out->n = want;
    out->d = malloc((want ? want : 1) * sizeof(float));
    if (!out->d) { exec_seterr(err, errlen, "out of memory decoding '%s'", nm); return -1; }
    out->owned = true;
    out->dt = EXEC_DT_FP32;
    unsigned bits = cml_dtype_bits(st);
    /* the stored bytes the decode needs */
    size_t nb = nnq || bits < 8 ? (size_t)w->nbytes : want * (bits / 8);
    if (!nnq && st == CML_DT_FP32) {
        /* float32 straight into the tensor */
        if (want && read_all(io, w, out->d, want * 4) != 0) goto unreadable;
        if (w->dtype == CML_DT_BOOL) out->dt = EXEC_DT_BOOL;
        return 0;
    }
    unsigned char *data = malloc(nb ? nb : 1);
    if (!data) {
        free(out->d);
        out->d = NULL;
        exec_seterr(err, errlen, "out of memory decoding '%s'", nm);
        return -1;
    }
    if (nb && read_all(io, w, data, nb) != 0) {
        free(data);
        goto unreadable;
    }
    if (nnq) {
        for (size_t i = 0; i < want; i++)
            out->d[i] = w->quant_bits == 8 ? (w->dtype == CML_DT_INT8 ? (float)(int8_t)data[i] : data[i])
                                           : (float)bits_msb(data, nb, i, w->quant_bits);
        free(data);
        return 0;
    }
    int rc = decode_raw(st, data, nb, out->d, want);
    if (rc == 0 && list) {
        /* an int64 list's exact values (classify's int64 classes) */
        out->ikeys = (const int64_t *)(void *)data;
        out->aux = data;
        data = NULL;
    }
    free(data);
    if (rc) {
        exec_seterr(err, errlen, "constant '%s': dtype %s is not supported", nm, cml_dtype_name(w->dtype));
        free(out->d);
        out->d = NULL;
        return -1;
    }
    if (w->dtype == CML_DT_BOOL) {
        out->dt = EXEC_DT_BOOL;
        for (size_t i = 0; i < want; i++) out->d[i] = out->d[i] != 0;
    }
    return 0;
unreadable:
    exec_seterr(err, errlen, "constant '%s': data not readable", nm);
    free(out->d);
    out->d = NULL;
    return -1;
}

/* ---- stored-form constants ----------------------------------------------------- */

/* Large constants are not decoded at prepare time: the plan keeps what the
 * model stores (a pointer into the host's mapping of weight.bin when
 * io.bytes gives one, else one copy of the stored bytes) and a recipe for
 * element i: the raw value (fp16, fp32, bf16), s[g] * (q - o[g]) for the
 * quantized forms (constexpr_affine_dequantize, constexpr_blockwise_shift_scale),
 * lut[g][q] for palettization (constexpr_lut_to_dense), and the sparse forms
 * (constexpr_sparse_to_dense, alone or over the non-zero values of
 * constexpr_lut_to_sparse / constexpr_sparse_blockwise_shift_scale), where g
 * is the group (channel, block, palette group) of element i. The recipes are
 * the eager decoders' own arithmetic, in the same order, so a value decoded
 * here is bit for bit the value the eager path would hold; an output typed
 * fp16 is rounded to binary16 as emit() rounds it. Chains these recipes do
 * not cover (vector palettization, a LUT with more entries than the indices
 * can address, constexpr inputs that are themselves computed) are evaluated
 * eagerly, as before. */

/* a stored array, element k read as a float: raw bytes of dtype st (bits
 * per element), or floats already decoded (st CML_DT_UNKNOWN) */
typedef struct xsrc {
    cml_dtype st;
    unsigned bits;
    const unsigned char *b;
    size_t nbytes;
    bool inplace;                  /* b is the host's (its mapping of weight.bin) */
    const cml_weight *w;           /* ... the weight whose stored bytes b holds from offset 0 */
    const float *f;
    size_t n;
} xsrc;

enum { LZ_RAW, LZ_SCALE, LZ_LUT, LZ_SPARSE, LZ_NZVALS };
enum { NZ_PLAIN, NZ_SCALE, NZ_LUT };
#define LZ_CHUNK 512 /* SPARSE: prefix counts of set mask bits per chunk of elements */

struct xlz {
    int kind;
    int rank;
    int64_t dim[EXEC_MAX_RANK];
    size_t n;
    bool r16;                      /* typed fp16: every value rounded to binary16 */
    bool exact16;                  /* every value is a binary16 value already */
    xsrc v;                        /* RAW: the data; SCALE: quantized data; LUT: indices;
                                      SPARSE: non-zero values (NZ_PLAIN), their quantized values
                                      (NZ_SCALE) or palette indices (NZ_LUT) */
    int nz;
    bool grouped;                  /* SCALE / LUT / NZ_*: per-group parameters */
    int grank;                     /* the dense shape the groups are taken over */
    int64_t gdim[EXEC_MAX_RANK];
    size_t gn;
    int64_t blk[EXEC_MAX_RANK], gstr[EXEC_MAX_RANK]; /* group of pos: sum (pos[d] / blk[d]) * gstr[d] */
    const float *scale, *offset;   /* per group (offset may be NULL) */
    const float *lut;              /* [groups][P] */
    int64_t P;
    const unsigned char *mask;     /* SPARSE: bit i (LSB-first) set = element i is non-zero */
    size_t mask_bytes;
    uint64_t *prefix;              /* SPARSE: set bits before each LZ_CHUNK elements */
    void *owned[6];
    int n_owned;
    size_t heap;
    void *adopted;                 /* exec_lz_adopt's copy of the stored bytes (munmap) */
    size_t adopted_len;
};

static void *lz_own(xlz *z, void *b, size_t bytes) {
    if (b && z->n_owned < 6) {
        z->owned[z->n_owned++] = b;
        z->heap += bytes;
        return b;
    }
    free(b);
    return NULL;
}

void exec_lz_free(xlz *z) {
    if (!z) return;
    for (int i = 0; i < z->n_owned; i++) free(z->owned[i]);
    if (z->adopted) munmap(z->adopted, z->adopted_len);
    free(z);
}

size_t exec_lz_count(const xlz *z, int *rank, int64_t *dim) {
    *rank = z->rank;
    for (int k = 0; k < z->rank; k++) dim[k] = z->dim[k];
    return z->n;
}

const void *exec_lz_raw(const xlz *z, cml_dtype *st) {
    if (z->kind != LZ_RAW || z->v.st == CML_DT_UNKNOWN || z->r16) return NULL;
    if (z->v.st != CML_DT_FP16 && z->v.st != CML_DT_FP32) return NULL;
    *st = z->v.st;
    return z->v.b;
}

size_t exec_lz_heap_bytes(const xlz *z) { return z ? z->heap + sizeof *z : 0; }
bool exec_lz_exact16(const xlz *z) { return z->exact16 || z->r16; }
/* (exact16: every decoded value is a binary16 value before any rounding:
 * raw fp16, or a LUT of binary16 entries (zeros of a sparse form too)) */

/* binary16 round trip of a buffer: the same results as exec_r16 (overflow
 * to inf, NaN kept, subnormals to nearest even), branch-free so that it
 * vectorises */
EXEC_HOT void exec_r16_buf(float *d, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &d[i], 4);
        uint32_t sgn = u & 0x80000000u, ax = u ^ sgn;
        uint32_t rn = (ax + 0xfffu + ((ax >> 13) & 1u)) & ~0x1fffu;
        float af;
        memcpy(&af, &ax, 4);
        float sub = (af + 0.5f) - 0.5f;
        uint32_t rs;
        memcpy(&rs, &sub, 4);
        uint32_t r = ax < 0x38800000u ? rs : rn;
        r = ax >= 0x477ff000u ? 0x7f800000u : r;
        r = ax > 0x7f800000u ? ax : r;
        r |= sgn;
        memcpy(&d[i], &r, 4);
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
__attribute__((target("avx2,f16c"))) static void half_f16c(const unsigned char *b, size_t n, float *out) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(out + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(const void *)(b + 2 * i))));
    const float *half = exec_half_table();
    for (; i < n; i++) out[i] = half[(uint16_t)(b[2 * i] | b[2 * i + 1] << 8)];
}
/* a CPU feature test made once, whichever of the executor's threads asks
 * first: each would find the same, and the atomic makes the lazy store no
 * data race */
static bool cpu_once(_Atomic int *cache, int (*test)(void)) {
    int v = atomic_load_explicit(cache, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = test();
        atomic_store_explicit(cache, v, memory_order_relaxed);
    }
    return v;
}

/* F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports has no "f16c" */
static int test_f16c(void) {
    unsigned a, b, c, d;
    return __builtin_cpu_supports("avx2") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
}

static bool has_f16c(void) {
    static _Atomic int ok = -1;
    return cpu_once(&ok, test_f16c);
}
#endif

/* binary16 bytes to floats (every value exactly) */
static void half_range(const unsigned char *b, size_t n, float *out) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (has_f16c()) { half_f16c(b, n, out); return; }
#endif
    const float *half = exec_half_table();
    for (size_t i = 0; i < n; i++) out[i] = half[(uint16_t)(b[2 * i] | b[2 * i + 1] << 8)];
}

/* every byte's values as floats, for 1, 2 and 4 bits a value (LSB first;
 * 4 bits signed for int4): tables filled once, from any thread */
static float g_sub[4][256 * 8];
static pthread_once_t g_sub_once = PTHREAD_ONCE_INIT;

static void sub_fill(void) {
    for (unsigned byte = 0; byte < 256; byte++) {
        for (unsigned j = 0; j < 8; j++) g_sub[0][byte * 8 + j] = (float)((byte >> j) & 1u);
        for (unsigned j = 0; j < 4; j++) g_sub[1][byte * 4 + j] = (float)((byte >> (2 * j)) & 3u);
        for (unsigned j = 0; j < 2; j++) {
            int v = (int)((byte >> (4 * j)) & 15u);
            g_sub[2][byte * 2 + j] = (float)v;
            g_sub[3][byte * 2 + j] = (float)(v >= 8 ? v - 16 : v);
        }
    }
}

static const float *sub_table(unsigned bits, bool sgn) {
    pthread_once(&g_sub_once, sub_fill);
    return bits == 1 ? g_sub[0] : bits == 2 ? g_sub[1] : g_sub[sgn ? 3 : 2];
}

/* elements [k0, k1) of a source as floats */
static void src_get(const xsrc *s, size_t k0, size_t k1, float *out) {
    size_t n = k1 - k0;
    if (s->st == CML_DT_UNKNOWN) { memcpy(out, s->f + k0, n * sizeof(float)); return; }
    if (s->bits >= 8) {
        size_t es = s->bits / 8;
        if (s->st == CML_DT_FP16) half_range(s->b + k0 * 2, n, out);
        else decode_raw(s->st, s->b + k0 * es, n * es, out, n);
        return;
    }
    const unsigned bits = s->bits;
    const bool sgn = s->st == CML_DT_INT4;
    size_t k = k0;
    if (bits == 4 || bits == 2 || bits == 1) {
        /* whole bytes where the range allows: every byte's 8 / bits values
         * (low bits first) from a table */
        const unsigned per = 8 / bits;
        const float *tab = sub_table(bits, sgn);
        for (; k < k1 && k % per; k++) {
            int32_t v = (int32_t)bits_lsb(s->b, s->nbytes, k, bits);
            out[k - k0] = (float)(sgn && v >= 8 ? v - 16 : v);
        }
        const unsigned char *b = s->b + k / per;
        size_t nby = (k1 - k) / per;
        float *o = out + (k - k0);
        if (per == 2)
            for (size_t i = 0; i < nby; i++) memcpy(o + 2 * i, tab + 2 * b[i], 2 * sizeof(float));
        else if (per == 4)
            for (size_t i = 0; i < nby; i++) memcpy(o + 4 * i, tab + 4 * b[i], 4 * sizeof(float));
        else
            for (size_t i = 0; i < nby; i++) memcpy(o + 8 * i, tab + 8 * b[i], 8 * sizeof(float));
        k += nby * per;
    }
    for (; k < k1; k++) {
        int32_t v = (int32_t)bits_lsb(s->b, s->nbytes, k, bits);
        out[k - k0] = (float)(sgn && v >= 8 ? v - 16 : v);
    }
}

/* the group of the element at flat index i's row (all but the last dim)
 * and the last dim's block; *run: elements from i on in the same group */
static int64_t lz_group(const xlz *z, size_t i, size_t *run) {
    int r = z->grank;
    if (r < 1) { *run = z->gn - i; return 0; }
    int64_t inner = z->gdim[r - 1] > 0 ? z->gdim[r - 1] : 1;
    int64_t row = (int64_t)(i / (size_t)inner), col = (int64_t)(i % (size_t)inner);
    int64_t g = 0;
    for (int d = r - 2; d >= 0; d--) {
        int64_t pd = z->gdim[d] > 0 ? row % z->gdim[d] : 0;
        row = z->gdim[d] > 0 ? row / z->gdim[d] : 0;
        g += (pd / z->blk[d]) * z->gstr[d];
    }
    int64_t bl = z->blk[r - 1];
    g += (col / bl) * z->gstr[r - 1];
    *run = (size_t)(bl - col % bl);
    return g;
}

/* out[j] = s * (x[j] - o): the eager decoders' arithmetic */
EXEC_HOT static void scale_run(float *x, size_t n, float s, float o, bool has_o) {
    if (has_o)
        for (size_t j = 0; j < n; j++) x[j] = s * (x[j] - o);
    else
        for (size_t j = 0; j < n; j++) x[j] = s * x[j];
}

EXEC_HOT static void lut_run(float *x, size_t n, const float *lut, int64_t P) {
    for (size_t j = 0; j < n; j++) {
        int64_t q = (int64_t)x[j];
        x[j] = q >= 0 && q < P ? lut[q] : 0.0f; /* out of range: excluded when the node is built */
    }
}

static bool mask_bit(const xlz *z, size_t i) { return (z->mask[i >> 3] >> (i & 7)) & 1u; }

/* set mask bits before element i */
static size_t nz_index(const xlz *z, size_t i) {
    size_t c = i / LZ_CHUNK, k = (size_t)z->prefix[c];
    for (size_t j = c * LZ_CHUNK; j < i;) {
        if (!(j & 63) && j + 64 <= i) {
            uint64_t w;
            memcpy(&w, z->mask + j / 8, 8);
            k += (size_t)__builtin_popcountll(w);
            j += 64;
        } else {
            k += mask_bit(z, j);
            j++;
        }
    }
    return k;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* ---- AVX-512 decoders of the common forms: one pass per run, rounding in
 * registers (the same arithmetic as the scalar path, so the same values) */
#define LZ512 __attribute__((target("avx512f,avx512bw,avx512vl")))

static int test_avx512bw(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
}

static bool has_avx512bw(void) {
    static _Atomic int ok = -1;
    return cpu_once(&ok, test_avx512bw);
}

/* exec_r16 of 16 floats: the hardware's round trip through binary16
 * (round to nearest even, overflow to inf, subnormals kept: exec_r16's
 * rounding) with a NaN kept bit for bit, as exec_r16 keeps it */
LZ512 static inline __m512 r16_512(__m512 y) {
    __m512 r = _mm512_cvtph_ps(_mm512_cvtps_ph(y, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    return _mm512_mask_mov_ps(r, _mm512_cmp_ps_mask(y, y, _CMP_UNORD_Q), y);
}

/* 16 values of a byte source from element k (8 bits: 16 bytes; 4 bits: 8
 * bytes, low nibble first; k even) as int32 */
LZ512 static inline __m512i q16(const xsrc *v, size_t k, __mmask16 m) {
    bool sgn = v->st == CML_DT_INT8 || v->st == CML_DT_INT4;
    if (v->bits == 8) {
        __m128i b = _mm_maskz_loadu_epi8(m, v->b + k);
        return sgn ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
    }
    /* 4 bits: byte j holds elements 2j (low) and 2j + 1 (high) */
    __mmask16 mb = (__mmask16)(m == 0xffff ? 0xff : ((1u << ((__builtin_popcount(m) + 1) / 2)) - 1));
    __m512i w = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mb, v->b + k / 2)); /* 8 bytes in dwords 0..7 */
    __m512i lo = _mm512_and_si512(w, _mm512_set1_epi32(15)), hi = _mm512_srli_epi32(w, 4);
    /* interleave: element 2j = lo[j], 2j + 1 = hi[j] */
    const __m512i il = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
    __m512i q = _mm512_permutex2var_epi32(lo, il, hi);
    if (sgn) q = _mm512_sub_epi32(_mm512_xor_si512(q, _mm512_set1_epi32(8)), _mm512_set1_epi32(8));
    return q;
}

/* a SCALE run: out = s * (q - o), then rounded; false when the source is
 * not one of these (the scalar path runs) */
LZ512 static bool scale_fast(const xsrc *v, size_t k, size_t n, float s, float o, bool has_o, bool rnd, float *out) {
    if (!(v->bits == 8 || (v->bits == 4 && !(k & 1))) || v->st == CML_DT_UNKNOWN) return false;
    if (v->st != CML_DT_INT8 && v->st != CML_DT_UINT8 && v->st != CML_DT_INT4 && v->st != CML_DT_UINT4) return false;
    __m512 sv = _mm512_set1_ps(s), ov = _mm512_set1_ps(o);
    const size_t bpe = v->bits / 4; /* bytes per 2 elements */
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        /* the stream some way ahead: one line per 64 bytes of it */
        if (!((k + i) * bpe / 2 & 63)) _mm_prefetch((const char *)v->b + (k + i) * bpe / 2 + 2048, _MM_HINT_T0);
        __m512 x = _mm512_cvtepi32_ps(q16(v, k + i, m));
        x = has_o ? _mm512_mul_ps(sv, _mm512_sub_ps(x, ov)) : _mm512_mul_ps(sv, x);
        if (rnd) x = r16_512(x);
        _mm512_mask_storeu_ps(out + i, m, x);
    }
    return true;
}

/* a LUT run of <= 16 entries with 1, 2, 4 or 8-bit indices: a permute per 16 */
LZ512 static bool lut_fast(const xsrc *v, size_t k, size_t n, const float *lut, int64_t P, bool rnd, float *out) {
    if (P > 16 || P < 1 || v->st == CML_DT_UNKNOWN || !(v->bits == 8 || (v->bits == 4 && !(k & 1)))) return false;
    float t[16] = {0};
    memcpy(t, lut, (size_t)P * sizeof(float));
    __m512 lv = _mm512_loadu_ps(t);
    if (rnd) lv = r16_512(lv);
    const size_t bpe = v->bits / 4;
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - i)) - 1);
        if (!((k + i) * bpe / 2 & 63)) _mm_prefetch((const char *)v->b + (k + i) * bpe / 2 + 2048, _MM_HINT_T0);
        __m512i q = _mm512_and_si512(q16(v, k + i, m), _mm512_set1_epi32(15));
        _mm512_mask_storeu_ps(out + i, m, _mm512_permutexvar_ps(q, lv));
    }
    return true;
}
#endif

/* one run of a SCALE / LUT node with group g: elements [i, i + n) */
static void run_decode(const xlz *z, size_t i, size_t n, int64_t g, bool rnd, float *o) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (has_avx512bw()) {
        if (z->kind == LZ_SCALE &&
            scale_fast(&z->v, i, n, z->scale[g], z->offset ? z->offset[g] : 0.0f, z->offset != NULL, rnd, o))
            return;
        /* indices of a LUT of <= 16 entries (every one is in range: bits <= log2(P)) */
        if (z->kind == LZ_LUT && z->P <= 16 && (1ll << z->v.bits) <= z->P &&
            lut_fast(&z->v, i, n, z->lut + g * z->P, z->P, rnd, o))
            return;
    }
#endif
    src_get(&z->v, i, i + n, o);
    if (z->kind == LZ_SCALE) scale_run(o, n, z->scale[g], z->offset ? z->offset[g] : 0.0f, z->offset != NULL);
    else lut_run(o, n, z->lut + g * z->P, z->P);
    if (rnd) exec_r16_buf(o, n);
}

void exec_lz_decode(const xlz *z, size_t i0, size_t i1, float *out, bool r16) {
    if (i1 > z->n) i1 = z->n;
    if (i0 >= i1) return;
    /* values that are binary16 already round to themselves */
    bool rnd = (r16 || z->r16) && !z->exact16;
    switch (z->kind) {
    case LZ_RAW:
        src_get(&z->v, i0, i1, out);
        break;
    case LZ_SCALE:
    case LZ_LUT:
        for (size_t i = i0; i < i1;) {
            size_t run;
            int64_t g = z->grouped ? lz_group(z, i, &run) : (run = i1 - i, 0);
            if (run > i1 - i) run = i1 - i;
            run_decode(z, i, run, g, rnd, out + (i - i0));
            i += run;
        }
        return;
    case LZ_NZVALS: {
        /* the joint ops' values alone (rare: a constexpr_sparse_to_dense
         * over the pair decodes them with the mask): element k is the
         * value at the k-th set bit of the mask */
        size_t lo = 0, hi = z->gn / LZ_CHUNK + 1;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (z->prefix[mid] <= i0) lo = mid;
            else hi = mid;
        }
        size_t i = lo * LZ_CHUNK, k = (size_t)z->prefix[lo];
        for (size_t o = i0; o < i1 && i < z->gn; i++) {
            if (!mask_bit(z, i)) continue;
            if (k++ < i0) continue;
            size_t run;
            int64_t g = z->grouped ? lz_group(z, i, &run) : 0;
            float *t = out + (o - i0);
            src_get(&z->v, k - 1, k, t);
            if (z->nz == NZ_SCALE) scale_run(t, 1, z->scale[g], z->offset ? z->offset[g] : 0.0f, z->offset != NULL);
            else if (z->nz == NZ_LUT) lut_run(t, 1, z->lut + g * z->P, z->P);
            o++;
        }
        break;
    }
    case LZ_SPARSE: {
        size_t k = nz_index(z, i0);
        for (size_t i = i0; i < i1;) {
            size_t run;
            int64_t g = z->nz != NZ_PLAIN && z->grouped ? lz_group(z, i, &run) : (run = i1 - i, 0);
            if (run > i1 - i) run = i1 - i;
            float *o = out + (i - i0);
            size_t cnt = 0;
            for (size_t j = 0; j < run; j++) cnt += mask_bit(z, i + j);
            /* the run's non-zero values into its tail, then spread forward:
             * the read position never falls behind the write position */
            float *t = o + (run - cnt);
            src_get(&z->v, k, k + cnt, t);
            if (z->nz == NZ_SCALE) scale_run(t, cnt, z->scale[g], z->offset ? z->offset[g] : 0.0f, z->offset != NULL);
            else if (z->nz == NZ_LUT) lut_run(t, cnt, z->lut + g * z->P, z->P);
            size_t r = 0;
            for (size_t j = 0; j < run; j++) o[j] = mask_bit(z, i + j) ? t[r++] : 0.0f;
            k += cnt;
            i += run;
        }
        break;
    }
    }
    if (rnd) exec_r16_buf(out, i1 - i0);
}

size_t exec_lz_readable(const exec_plan *p, const xlz *z) {
    /* a weight.bin blob: the host reads it with pread (inline bytes are
     * already memory of the host's own, no file mapping) */
    if (!z || z->kind != LZ_RAW || !z->v.inplace || !z->v.w || !p->opts.io.read) return 0;
    if (z->v.w->storage != CML_STORE_BLOB) return 0;
    if (z->v.st != CML_DT_FP16 && z->v.st != CML_DT_FP32) return 0;
    return z->v.bits / 8;
}

bool exec_lz_read(const exec_plan *p, const xlz *z, size_t e0, size_t n, void *buf) {
    size_t es = exec_lz_readable(p, z);
    if (!es || e0 > z->n || n > z->n - e0) return false;
    return p->opts.io.read(p->opts.io.user, z->v.w, (uint64_t)e0 * es, buf, n * es) == n * es;
}

void exec_lz_decode_stored(const xlz *z, const void *bytes, size_t n, float *out, bool r16) {
    xsrc s = z->v;
    s.b = bytes;
    s.nbytes = n * (s.bits / 8);
    s.n = n;
    src_get(&s, 0, n, out);
    if ((r16 || z->r16) && !z->exact16) exec_r16_buf(out, n);
}

/* the stored bytes of w: in place when the host has them, else one copy */
static const unsigned char *stored_bytes(const exec_io *io, const cml_weight *w, size_t need, xlz *z, bool *inplace) {
    *inplace = false;
    if (io->bytes) {
        uint64_t nb = 0;
        const void *b = io->bytes(io->user, w, &nb);
        if (b && nb >= need) {
            *inplace = true;
            return b;
        }
    }
    unsigned char *b = malloc(need ? need : 1);
    if (!b || (need && read_all(io, w, b, need) != 0)) { free(b); return NULL; }
    return lz_own(z, b, need);
}

/* ---- the host's pages ---- */

/* Drop this process's mapping of the whole pages inside [b, b + n) of the
 * host's read-only mapping of weight.bin: their contents stay in the page
 * cache and come back on the next access (MADV_DONTNEED on a private
 * mapping nobody wrote), but they leave this process's resident set. Done
 * once a constant's bytes were read into something the plan keeps (packed
 * or adopted), so that its peak RSS holds the weights once, not twice. */
#if defined(__linux__) && defined(MADV_DONTNEED)
/* Is [b, b + n) inside one read-only mapping of a file? Only there is
 * MADV_DONTNEED harmless: on anonymous memory (a weight inlined in the
 * model's protobuf, held on the host's heap) it would zero the bytes. */
static bool file_mapped_ro(const void *b, size_t n) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return false;
    char line[512];
    bool ok = false;
    uintptr_t lo = (uintptr_t)b, hi = lo + n;
    for (int k = 0; k < 100000 && fgets(line, sizeof line, f); k++) {
        unsigned long s0, e0, off, ino;
        char perm[8], dev[32];
        if (sscanf(line, "%lx-%lx %7s %lx %31s %lu", &s0, &e0, perm, &off, dev, &ino) != 6) continue;
        if (lo < s0 || hi > e0) continue;
        ok = ino != 0 && perm[0] == 'r' && perm[1] == '-';
        break;
    }
    fclose(f);
    return ok;
}
#endif

static bool file_mapped(const void *b, size_t n) {
#if defined(__linux__) && defined(MADV_DONTNEED)
    return file_mapped_ro(b, n);
#else
    (void)b;
    (void)n;
    return false;
#endif
}

/* (only for a range file_mapped said yes to) */
static void drop_pages_unchecked(const void *b, size_t n) {
#if defined(__linux__) && defined(MADV_DONTNEED)
    long pg = sysconf(_SC_PAGESIZE);
    if (pg <= 0) return;
    uintptr_t a = ((uintptr_t)b + (uintptr_t)pg - 1) & ~(uintptr_t)(pg - 1), e = ((uintptr_t)b + n) & ~(uintptr_t)(pg - 1);
    if (e > a) madvise((void *)a, e - a, MADV_DONTNEED);
#else
    (void)b;
    (void)n;
#endif
}

static void drop_pages(const void *b, size_t n) {
    if (file_mapped(b, n)) drop_pages_unchecked(b, n);
}

void exec_lz_drop_source(const xlz *z) {
    if (z && z->v.inplace && z->v.st != CML_DT_UNKNOWN) drop_pages(z->v.b, z->v.nbytes);
}

typedef struct adopt_job {
    const unsigned char *src;
    unsigned char *dst;
    size_t n;
    bool drop;                     /* src is a read-only file mapping: drop its pages */
    const exec_io *io;             /* read the bytes through the host (pread of the file) ... */
    const cml_weight *w;           /* ... of this weight, when set: not through the mapping */
} adopt_job;

#define ADOPT_CHUNK ((size_t)2 << 20)

static void adopt_chunks(void *arg, size_t b, size_t e, int range) {
    const adopt_job *j = arg;
    (void)range;
    for (size_t c = b; c < e; c++) {
        size_t o = c * ADOPT_CHUNK, k = j->n - o < ADOPT_CHUNK ? j->n - o : ADOPT_CHUNK;
        size_t got = j->w ? j->io->read(j->io->user, j->w, o, j->dst + o, k) : 0;
        if (got < k) memcpy(j->dst + o + got, j->src + o + got, k - got);
        if (j->drop) drop_pages_unchecked(j->src + o, k);
    }
}

/* Whether copying the large matrix constants pays here, decided once per
 * plan from what the first touch of a page of the host's mapping costs this
 * process (touching one byte per 4 KiB page of up to 4 MiB of z's bytes;
 * those pages are read by the run anyway):
 *   - on most machines and VMs (hardware nested paging) it is a page fault
 *     shared by the pages the kernel maps around it: 50-200 ns a page (the
 *     2-CPU AMD EPYC VM of bench/README.md's weights section, 2026-12-07).
 *     Reading the mapping in place then runs as fast as a copy of our own,
 *     and the copy costs fresh memory, which such a VM hands out at
 *     0.3-0.6 GB/s the first time (the kernel zeroing pages the host backs
 *     as they are touched): a 1 GB fp16 stack's first run took 1.7 s
 *     copying against 0.08 s in place, later runs the same.
 *   - where the hypervisor shadows the guest's page tables (the paravirtual
 *     VM of the same README's sets 9-16), every first touch of a 4 KiB page
 *     costs a trip through it, 1-2.5 us, even for pages already mapped, and
 *     the runs that read 1 GB in place pay 0.4-0.5 s for it each time,
 *     against 0.06 s for the same bytes in huge pages of our own: there
 *     the copy pays from the second run.
 *   - bytes not yet in the page cache (a cold file) cost a read from disk
 *     on first touch: the copy, which reads them with pread, goes ahead.
 * ADOPT_TOUCH_NS sits between the two measured ranges. CML_EXEC_ADOPT=1 or
 * 0 in the environment when the plan is prepared decides it instead (the
 * tests run both ways). */
#define ADOPT_TOUCH_NS 700.0
#define ADOPT_SAMPLE ((size_t)4 << 20)

static double adopt_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static bool adopt_pays(exec_plan *p, const xlz *z) {
    if (p->adopt) return p->adopt > 0;
    uintptr_t a = ((uintptr_t)z->v.b + 4095u) & ~(uintptr_t)4095u;
    uintptr_t e = (uintptr_t)z->v.b + z->v.nbytes;
    size_t pages = e > a ? (size_t)((e - a) / 4096u) : 0;
    if (pages > ADOPT_SAMPLE / 4096u) pages = ADOPT_SAMPLE / 4096u;
    if (pages < 64) return false;    /* too few to tell (z is at least ADOPT_CHUNK, so not reached) */
    const volatile unsigned char *b = (const volatile unsigned char *)a;
    unsigned sink = 0;
    double t0 = adopt_now_ns();
    for (size_t i = 0; i < pages; i++) sink += b[i * 4096u];
    double per = (adopt_now_ns() - t0) / (double)pages;
    (void)sink;
    p->adopt = per >= ADOPT_TOUCH_NS ? 1 : -1;
    return p->adopt > 0;
}

/* A constant the matrix kernels read in full on every run (linear layers),
 * where adopt_pays says so: its stored bytes, when they are the host's
 * mapping, copied once into memory of the plan's own (huge pages where the
 * system gives them) and the host's pages dropped chunk by chunk as they
 * are copied, so the resident set never holds both. The copy reads the
 * bytes through the host's reader, which takes them from the file with
 * pread (the kernel's copy out of the page cache: no fault on a page of the
 * mapping), and falls back to the mapping where the reader comes short.
 * Small constants and those the convolution GEMM packs anyway are left in
 * place. */
void exec_lz_adopt(exec_plan *p, const xlz *zc) {
    xlz *z = (xlz *)(uintptr_t)zc; /* the slot's own node */
    if (!z || !z->v.inplace || z->v.st == CML_DT_UNKNOWN || z->v.nbytes < ADOPT_CHUNK || z->adopted) return;
    if (!adopt_pays(p, z)) return;
#if defined(MAP_ANONYMOUS)
    size_t len = (z->v.nbytes + ADOPT_CHUNK - 1) / ADOPT_CHUNK * ADOPT_CHUNK;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return; /* stays in place */
#ifdef MADV_HUGEPAGE
    madvise(m, len, MADV_HUGEPAGE);
#endif
    adopt_job j = {z->v.b, m, z->v.nbytes, file_mapped(z->v.b, z->v.nbytes), &p->opts.io, z->v.w};
    size_t chunks = (z->v.nbytes + ADOPT_CHUNK - 1) / ADOPT_CHUNK;
    if (j.w && j.io->read)
        adopt_chunks(&j, 0, chunks, 0);   /* one thread: the host's reader is not made for several */
    else
        exec_par_for(p, chunks, 1, adopt_chunks, &j);
    z->adopted = m;
    z->adopted_len = len;
    z->v.b = m;
    z->v.inplace = false;
    z->heap += len;
    p->const_bytes += len;
#else
    (void)p;
#endif
}

/* a raw source over the stored bytes of w: its first n elements */
static bool raw_src(const exec_io *io, const cml_weight *w, size_t n, xsrc *s, xlz *z) {
    cml_dtype st = io->stored_as(io->user, w, NULL);
    unsigned bits = cml_dtype_bits(st);
    if (st == CML_DT_STRING || st == CML_DT_UNKNOWN || st == CML_DT_BOOL || !bits) return false;
    if (bits > 8 && bits % 8) return false;
    if (stored_count(w, st) < n) return false;
    size_t need = bits >= 8 ? n * (bits / 8) : (size_t)(((uint64_t)n * bits + 7) / 8);
    bool inplace;
    const unsigned char *b = stored_bytes(io, w, need, z, &inplace);
    if (!b) return false;
    /* a decode must not need a byte past the range (bits_lsb reads the next byte when there) */
    *s = (xsrc){.st = st, .bits = bits, .b = b, .nbytes = need, .inplace = inplace, .w = w, .n = n};
    return true;
}

static bool lz_shape(const cml_weight *w, const cml_value *v, xlz *z) {
    const cml_shape *sh = const_shape(w, v);
    if (!sh) return false;
    z->rank = sh->rank;
    for (int k = 0; k < sh->rank; k++) z->dim[k] = sh->dims[k];
    z->n = exec_count(z->rank, z->dim);
    return true;
}

xlz *exec_lz_weight(exec_plan *p, const cml_weight *w, const cml_value *v) {
    if (p->decode_all || p->is_classic || !w) return NULL;
    if (w->quant_bits && (w->quant_linear || w->quant_lut)) return NULL; /* NN quantization: eager */
    if (w->dtype == CML_DT_BOOL) return NULL;
    if (v && v->type.kind != CML_TYPE_TENSOR && v->type.kind != CML_TYPE_UNKNOWN) return NULL;
    if (v && v->type.kind == CML_TYPE_TENSOR && v->type.dtype != CML_DT_FP16 && v->type.dtype != CML_DT_FP32 &&
        v->type.dtype != CML_DT_UNKNOWN)
        return NULL;
    const exec_io *io = &p->opts.io;
    cml_dtype st = io->stored_as(io->user, w, NULL);
    if (st != CML_DT_FP16 && st != CML_DT_FP32 && st != CML_DT_BF16) return NULL;
    xlz *z = calloc(1, sizeof *z);
    if (!z) return NULL;
    if (!lz_shape(w, v, z) || z->n * sizeof(float) < EXEC_LZ_MIN_BYTES || !raw_src(io, w, z->n, &z->v, z)) {
        exec_lz_free(z);
        return NULL;
    }
    z->kind = LZ_RAW;
    z->exact16 = st == CML_DT_FP16;
    return z;
}

const char *exec_ir_str(const exec_io *io, const cml_op *op, const char *name) {
    const cml_attr *a = cml_op_attr(op, name);
    if (a && a->kind == CML_ATTR_STRING) return a->s;
    const cml_value *v = cml_op_param(op, name);
    if (!v || !v->weight || !io || !io->stored_as) return NULL;
    const char *const *strs = NULL;
    if (io->stored_as(io->user, v->weight, &strs) == CML_DT_STRING && strs && v->weight->nbytes) return strs[0];
    return NULL;
}

/* ---- constexpr ---------------------------------------------------------------- */

typedef struct cx {
    exec_plan *p;
    const cml_op *op;
    char *err;
    size_t errlen;
    xt *tmp;                   /* [4] stored-form inputs decoded for the eager decoders */
    int *n_tmp;
} cx;

/* an input as floats: a stored-form constant is decoded into a temporary
 * of the evaluation (the eager decoders' path) */
static const xt *param(cx *c, const char *name, bool required) {
    const cml_value *v = cml_op_param(c->op, name);
    if (!v) {
        if (required) exec_seterr(c->err, c->errlen, "%s '%s': parameter '%s' missing", c->op->kind, c->op->name, name);
        return NULL;
    }
    int s = exec_slot_for(c->p, v, c->err, c->errlen);
    if (s < 0) return NULL;
    const xt *t = &c->p->slots[s].t;
    if (t->d || !t->lz) return t;
    if (!c->tmp || *c->n_tmp == 4) {
        exec_seterr(c->err, c->errlen, "%s '%s': too many large inputs", c->op->kind, c->op->name);
        return NULL;
    }
    xt *d = &c->tmp[*c->n_tmp];
    *d = *t;
    d->lz = NULL;
    d->d = malloc((t->n ? t->n : 1) * sizeof(float));
    if (!d->d) { exec_seterr(c->err, c->errlen, "out of memory"); return NULL; }
    exec_lz_decode(t->lz, 0, t->n, d->d, false);
    (*c->n_tmp)++;
    return d;
}

static int emit(cx *c, size_t i, xt *t) {
    if (i >= c->op->n_outputs) {
        free(t->d);
        exec_seterr(c->err, c->errlen, "%s '%s': missing output %zu", c->op->kind, c->op->name, i);
        return -1;
    }
    const cml_value *v = c->op->outputs[i];
    if (v->type.dtype == CML_DT_FP16)
        for (size_t k = 0; k < t->n; k++) t->d[k] = exec_r16(t->d[k]);
    /* the declared output shape wins when it holds the same count */
    if (v->type.kind == CML_TYPE_TENSOR && shape_known(&v->type.shape) &&
        exec_count(v->type.shape.rank, v->type.shape.dims) == t->n) {
        t->rank = v->type.shape.rank;
        for (int k = 0; k < t->rank; k++) t->dim[k] = v->type.shape.dims[k];
    }
    if (exec_new_const(c->p, v, t) < 0) {
        free(t->d);
        exec_seterr(c->err, c->errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int new_xt(cx *c, xt *t, int rank, const int64_t *dim) {
    memset(t, 0, sizeof *t);
    t->rank = rank;
    for (int k = 0; k < rank; k++) t->dim[k] = dim[k];
    t->n = exec_count(rank, dim);
    if (t->n > EXEC_MAX_ELEMS) {
        exec_seterr(c->err, c->errlen, "a constant has more than 2^40 elements");
        return -1;
    }
    t->d = calloc(t->n ? t->n : 1, sizeof(float));
    t->owned = true;
    if (!t->d) { exec_seterr(c->err, c->errlen, "out of memory"); return -1; }
    return 0;
}

static int bad(cx *c, const char *why) {
    exec_seterr(c->err, c->errlen, "%s '%s': %s", c->op->kind, c->op->name, why);
    return -1;
}

/* bytes of a uint8-typed constant (decoded as floats) */
static unsigned char *as_bytes(const xt *t) {
    unsigned char *b = malloc(t->n ? t->n : 1);
    if (!b) return NULL;
    for (size_t i = 0; i < t->n; i++) b[i] = (unsigned char)exec_f2i(t->d[i]);
    return b;
}

static int read_shape(const xt *s, int *rank, int64_t *dim) {
    if (!s || s->n > EXEC_MAX_RANK) return -1;
    *rank = (int)s->n;
    for (size_t i = 0; i < s->n; i++) {
        if (s->d[i] < 0) return -1;
        dim[i] = exec_f2i(s->d[i]);
    }
    return 0;
}

/* iOS18 LUT lookup. SOURCE: coremltools ops/defs/iOS18/compression.py
 * constexpr_lut_to_dense docstring and optimize/_utils.py lut_to_dense /
 * repeat_data_as: lut is [L0..L(K-1), P, V]; the group of an index along dim
 * d is p_d / (I_d / L_d); with V > 1 each index yields V values laid out
 * consecutively along vector_axis (output dim vector_axis is I * V). */
static int lut_dense18(cx *c, const xt *idx, const xt *lut, int vaxis, xt *out) {
    int K = idx->rank;
    if (lut->rank != K + 2) return bad(c, "lut rank must be rank(indices) + 2");
    int64_t P = lut->dim[K], V = lut->dim[K + 1];
    int64_t grp[EXEC_MAX_RANK], lstride[EXEC_MAX_RANK], odim[EXEC_MAX_RANK], ostride[EXEC_MAX_RANK];
    for (int d = 0; d < K; d++) {
        if (lut->dim[d] <= 0 || idx->dim[d] % lut->dim[d]) return bad(c, "indices dims must be multiples of the lut's");
        grp[d] = idx->dim[d] / lut->dim[d];
        odim[d] = idx->dim[d];
    }
    if (V > 1) {
        if (vaxis < 0 || vaxis >= K) return bad(c, "vector palettization needs a valid vector_axis");
        odim[vaxis] *= V;
    }
    int64_t s = 1;
    for (int d = K - 1; d >= 0; d--) { lstride[d] = s; s *= lut->dim[d]; }
    s = 1;
    for (int d = K - 1; d >= 0; d--) { ostride[d] = s; s *= odim[d]; }
    if (new_xt(c, out, K, odim) != 0) return -1;
    int64_t pos[EXEC_MAX_RANK] = {0};
    for (size_t f = 0; f < idx->n; f++) {
        int64_t g = 0, ob = 0;
        for (int d = 0; d < K; d++) {
            g += (pos[d] / grp[d]) * lstride[d];
            ob += (d == vaxis && V > 1 ? pos[d] * V : pos[d]) * ostride[d];
        }
        int64_t q = exec_f2i(idx->d[f]);
        if (q < 0 || q >= P) {
            free(out->d);   /* the callers free only what succeeded */
            out->d = NULL;
            return bad(c, "index outside the lut");
        }
        const float *e = lut->d + (g * P + q) * V;
        if (V == 1) out->d[ob] = e[0];
        else for (int64_t v = 0; v < V; v++) out->d[ob + v * ostride[vaxis]] = e[v];
        exec_idx_next(pos, K, idx->dim);
    }
    return 0;
}

/* SOURCE: coremltools ops/defs/iOS18/compression.py constexpr_blockwise_shift_scale:
 * output[p] = scale[p / block] * (data[p] - offset[p / block]),
 * block[d] = data.shape[d] / scale.shape[d]. */
static int shift_scale(cx *c, const xt *data, const xt *scale, const xt *offset, xt *out) {
    int K = data->rank;
    if (scale->rank != K || (offset && offset->n != scale->n)) return bad(c, "scale/offset rank must match data");
    int64_t blk[EXEC_MAX_RANK], sstride[EXEC_MAX_RANK];
    int64_t s = 1;
    for (int d = K - 1; d >= 0; d--) {
        if (scale->dim[d] <= 0 || data->dim[d] % scale->dim[d]) return bad(c, "data dims must be multiples of the scale's");
        blk[d] = data->dim[d] / scale->dim[d];
        sstride[d] = s;
        s *= scale->dim[d];
    }
    if (new_xt(c, out, K, data->dim) != 0) return -1;
    int64_t pos[EXEC_MAX_RANK] = {0};
    for (size_t f = 0; f < data->n; f++) {
        int64_t g = 0;
        for (int d = 0; d < K; d++) g += (pos[d] / blk[d]) * sstride[d];
        float x = data->d[f];
        if (offset) x -= offset->d[g];
        out->d[f] = scale->d[g] * x;
        exec_idx_next(pos, K, data->dim);
    }
    return 0;
}

/* scatter nonzero values where mask != 0 */
static int sparse_dense(cx *c, const xt *nz, const float *mask, size_t n, float *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (mask[i] != 0) {
            if (k >= nz->n) return bad(c, "more mask bits than non-zero values");
            out[i] = nz->d[k++];
        } else {
            out[i] = 0;
        }
    }
    if (k != nz->n) return bad(c, "mask bit count differs from the number of non-zero values");
    return 0;
}

static int pick_values(cx *c, const xt *dense, const xt *mask, xt *out) {
    size_t cnt = 0;
    for (size_t i = 0; i < mask->n; i++) cnt += mask->d[i] != 0;
    int64_t d1 = (int64_t)cnt;
    if (new_xt(c, out, 1, &d1) != 0) return -1;
    size_t k = 0;
    for (size_t i = 0; i < mask->n; i++)
        if (mask->d[i] != 0) out->d[k++] = dense->d[i];
    return 0;
}

static int copy_xt(cx *c, const xt *src, xt *dst) {
    if (new_xt(c, dst, src->rank, src->dim) != 0) return -1;
    memcpy(dst->d, src->d, src->n * sizeof(float));
    return 0;
}

static int vector_axis(cx *c, const xt *lut, int K) {
    const xt *va = param(c, "vector_axis", false);
    if (!va || !va->n) return -1;
    (void)lut;
    int a = exec_f2int(va->d[0]);
    return a < 0 ? a + K : a;
}

bool exec_is_constexpr_supported(const char *kind) {
    static const char *const ok[] = {"constexpr_affine_dequantize", "constexpr_cast", "constexpr_lut_to_dense",
                                     "constexpr_sparse_to_dense", "constexpr_blockwise_shift_scale",
                                     "constexpr_lut_to_sparse", "constexpr_sparse_blockwise_shift_scale"};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
        if (!strcmp(kind, ok[i])) return true;
    return false;
}

/* ---- constexpr ops kept in stored form ---- */

/* a large constexpr input as a source: the stored bytes of its weight when
 * nothing decoded it yet, a stored-form constant's raw source, or the
 * decoded floats; n: the elements wanted (0: all) */
static bool big_src(cx *c, const char *name, size_t n, xsrc *s, xlz *z) {
    const cml_value *v = cml_op_param(c->op, name);
    if (!v) return false;
    int sl = exec_slot_find(c->p, v);
    if (sl < 0 && v->weight) {
        const exec_io *io = &c->p->opts.io;
        cml_dtype st = io->stored_as(io->user, v->weight, NULL);
        size_t have = (size_t)stored_count(v->weight, st);
        if (!n) n = v->type.kind == CML_TYPE_TENSOR && shape_known(&v->type.shape)
                        ? exec_count(v->type.shape.rank, v->type.shape.dims) : have;
        if (!(v->weight->quant_bits && (v->weight->quant_linear || v->weight->quant_lut)) && raw_src(io, v->weight, n, s, z))
            return true;
    }
    if (sl < 0) sl = exec_slot_for(c->p, v, c->err, c->errlen);
    if (sl < 0) return false;
    const xt *t = &c->p->slots[sl].t;
    if (t->d) {
        if (!n) n = t->n;
        if (t->n < n) return false;
        *s = (xsrc){.st = CML_DT_UNKNOWN, .f = t->d, .n = n};
        return true;
    }
    if (t->lz && t->lz->kind == LZ_RAW && !t->lz->r16) {
        if (!n) n = t->n;
        if (t->lz->v.n < n) return false;
        *s = t->lz->v;
        s->n = n;
        return true;
    }
    return false;
}

/* a small parameter's floats, which stay valid for the plan's life (a
 * stored-form one is decoded into a buffer the node owns) */
static const xt *small_param(cx *c, const char *name, xlz *z, xt *hold) {
    const cml_value *v = cml_op_param(c->op, name);
    if (!v) return NULL;
    int sl = exec_slot_for(c->p, v, c->err, c->errlen);
    if (sl < 0) return NULL;
    const xt *t = &c->p->slots[sl].t;
    if (t->d || !t->lz) return t;
    *hold = *t;
    hold->lz = NULL;
    hold->d = lz_own(z, malloc((t->n ? t->n : 1) * sizeof(float)), t->n * sizeof(float));
    if (!hold->d) return NULL;
    exec_lz_decode(t->lz, 0, t->n, hold->d, false);
    return hold;
}

/* group geometry: the element at pos belongs to group sum (pos[d] / blk[d]) * gstr[d]
 * of a parameter shaped pdim (each data dim a multiple of the parameter's) */
static bool lz_groups(xlz *z, const int64_t *pdim) {
    int64_t s = 1;
    z->grouped = true;
    z->grank = z->rank;
    memcpy(z->gdim, z->dim, sizeof z->gdim);
    z->gn = z->n;
    for (int d = z->rank - 1; d >= 0; d--) {
        if (pdim[d] <= 0 || z->dim[d] % pdim[d]) return false;
        z->blk[d] = z->dim[d] / pdim[d];
        if (z->blk[d] < 1) z->blk[d] = 1;
        z->gstr[d] = s;
        s *= pdim[d];
    }
    return true;
}

/* the set mask bits before every LZ_CHUNK elements; false when they are
 * not exactly nnz (the eager decoder's refusal) */
static bool lz_prefix(xlz *z, size_t nnz) {
    z->gn = z->n;
    size_t nc = z->n / LZ_CHUNK + 1;
    z->prefix = lz_own(z, malloc(nc * sizeof(uint64_t)), nc * sizeof(uint64_t));
    if (!z->prefix) return false;
    uint64_t k = 0;
    for (size_t c = 0; c < nc; c++) {
        z->prefix[c] = k;
        size_t e = (c + 1) * LZ_CHUNK < z->n ? (c + 1) * LZ_CHUNK : z->n;
        size_t j = c * LZ_CHUNK;
        for (; j + 64 <= e; j += 64) {
            uint64_t w;
            memcpy(&w, z->mask + j / 8, 8);
            k += (uint64_t)__builtin_popcountll(w);
        }
        for (; j < e; j++) k += mask_bit(z, j);
    }
    return k == nnz;
}

/* every value is a binary16 value (a LUT's entries: then so is every decoded value) */
static bool all_half(const float *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (exec_r16(v[i]) != v[i] && v[i] == v[i]) return false;
    return true;
}

static bool out_fp16(cx *c, size_t i) { return i < c->op->n_outputs && c->op->outputs[i]->type.dtype == CML_DT_FP16; }

/* a new stored-form output i (the declared shape wins when it holds the same count) */
static int emit_lz(cx *c, size_t i, xlz *z) {
    const cml_value *v = c->op->outputs[i];
    if (v->type.kind == CML_TYPE_TENSOR && shape_known(&v->type.shape) &&
        exec_count(v->type.shape.rank, v->type.shape.dims) == z->n) {
        z->rank = v->type.shape.rank;
        for (int k = 0; k < z->rank; k++) z->dim[k] = v->type.shape.dims[k];
    }
    if (out_fp16(c, i)) z->r16 = true;
    xt t = {.lz = z, .rank = z->rank, .n = z->n, .dt = EXEC_DT_FP32};
    for (int k = 0; k < z->rank; k++) t.dim[k] = z->dim[k];
    if (exec_new_const(c->p, v, &t) < 0) {
        exec_lz_free(z);
        exec_seterr(c->err, c->errlen, "out of memory");
        return -1;
    }
    return 0;
}

static bool big_output(cx *c, size_t n) {
    return !c->p->decode_all && n * sizeof(float) >= EXEC_LZ_MIN_BYTES && c->op->n_outputs >= 1;
}

static int64_t out_count(cx *c, size_t i, int *rank, int64_t *dim) {
    if (i >= c->op->n_outputs) return -1;
    const cml_value *v = c->op->outputs[i];
    if (v->type.kind != CML_TYPE_TENSOR || !shape_known(&v->type.shape)) return -1;
    *rank = v->type.shape.rank;
    for (int k = 0; k < *rank; k++) dim[k] = v->type.shape.dims[k];
    size_t n = exec_count(*rank, dim);
    return n > EXEC_MAX_ELEMS ? -1 : (int64_t)n;
}

/* the joint sparse ops' non-zero values, when a constexpr_sparse_to_dense
 * takes them with their own mask: the node that decodes the pair (NZ_*) */
static const xlz *nz_node(cx *c, const char *name) {
    const cml_value *v = cml_op_param(c->op, name);
    int sl = v ? exec_slot_find(c->p, v) : -1;
    if (sl < 0) return NULL;
    const xt *t = &c->p->slots[sl].t;
    return !t->d && t->lz && t->lz->kind == LZ_NZVALS ? t->lz : NULL;
}

/* 1: the op's outputs were emitted in stored form; 0: not a case for it
 * (the eager decoder runs); -1: failed */
static int lz_constexpr(cx *c) {
    const char *k = c->op->kind;
    int rank;
    int64_t dim[EXEC_MAX_RANK];
    int64_t n = out_count(c, 0, &rank, dim);
    if (n < 0 || !big_output(c, (size_t)n)) return 0;
    xlz *z = calloc(1, sizeof *z);
    if (!z) return 0;
    z->rank = rank;
    memcpy(z->dim, dim, sizeof dim);
    z->n = (size_t)n;
    xt h1, h2, h3;
    if (!strcmp(k, "constexpr_cast")) {
        const cml_value *v = cml_op_param(c->op, "source_val");
        /* a large fp16 weight becomes a stored-form slot here */
        int sl = v ? exec_slot_for(c->p, v, c->err, c->errlen) : -1;
        const xlz *src = sl >= 0 && !c->p->slots[sl].t.d ? c->p->slots[sl].t.lz : NULL;
        if (!src || src->n != z->n) goto eager;
        /* the source's recipe; its buffers stay the source's */
        memcpy(z, src, sizeof *z);
        z->n_owned = 0;
        z->heap = 0;
        return emit_lz(c, 0, z) == 0 ? 1 : -1;
    }
    if (!strcmp(k, "constexpr_affine_dequantize")) {
        /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_affine_dequantize */
        const xt *zp = small_param(c, "zero_point", z, &h1), *sc = small_param(c, "scale", z, &h2),
                 *ax = small_param(c, "axis", z, &h3);
        if (!zp || !sc || !ax || !ax->n || !big_src(c, "quantized_data", z->n, &z->v, z)) goto eager;
        int axis = exec_axis(exec_f2int(ax->d[0]), z->rank);
        int64_t C = axis >= 0 ? z->dim[axis] : 1;
        if ((sc->n != 1 && (int64_t)sc->n != C) || (zp->n != 1 && (int64_t)zp->n != C)) goto eager;
        if (axis < 0 && (sc->n > 1 || zp->n > 1)) goto eager;
        /* per-channel arrays (a scalar repeated), channel = group along axis */
        size_t nc = (size_t)C;
        float *s = lz_own(z, malloc(nc * sizeof(float)), nc * sizeof(float));
        float *o = lz_own(z, malloc(nc * sizeof(float)), nc * sizeof(float));
        if (!s || !o) goto eager;
        for (size_t i = 0; i < nc; i++) {
            s[i] = sc->d[sc->n == 1 ? 0 : i];
            o[i] = zp->d[zp->n == 1 ? 0 : i];
        }
        int64_t pdim[EXEC_MAX_RANK];
        for (int d = 0; d < z->rank; d++) pdim[d] = d == axis ? C : 1;
        if (!lz_groups(z, pdim)) goto eager;
        z->kind = LZ_SCALE;
        z->scale = s;
        z->offset = o;
        return emit_lz(c, 0, z) == 0 ? 1 : -1;
    }
    if (!strcmp(k, "constexpr_blockwise_shift_scale")) {
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_blockwise_shift_scale */
        const xt *sc = small_param(c, "scale", z, &h1);
        const xt *off = cml_op_param(c->op, "offset") ? small_param(c, "offset", z, &h2) : NULL;
        if (!sc || sc->rank != z->rank || (cml_op_param(c->op, "offset") && (!off || off->n != sc->n))) goto eager;
        if (!lz_groups(z, sc->dim) || !big_src(c, "data", z->n, &z->v, z)) goto eager;
        z->kind = LZ_SCALE;
        z->scale = sc->d;
        z->offset = off ? off->d : NULL;
        return emit_lz(c, 0, z) == 0 ? 1 : -1;
    }
    if (!strcmp(k, "constexpr_lut_to_dense")) {
        const xt *lut = small_param(c, "lut", z, &h1);
        if (!lut) goto eager;
        if (cml_op_param(c->op, "shape")) {
            /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_lut_to_dense: uint8
             * indices bit-packed LSB-first, nbits = log2(lut size) */
            unsigned nbits = 0;
            while ((1ull << nbits) < lut->n) nbits++;
            if ((1ull << nbits) != lut->n || nbits < 1 || nbits > 8) goto eager;
            size_t nb = (size_t)(((uint64_t)z->n * nbits + 7) / 8);
            if (!big_src(c, "indices", nb, &z->v, z)) goto eager;
            if (z->v.st == CML_DT_UNKNOWN) {
                /* decoded bytes (a small index array): back to bytes */
                unsigned char *b = lz_own(z, malloc(nb ? nb : 1), nb);
                if (!b) goto eager;
                for (size_t i = 0; i < nb; i++) b[i] = (unsigned char)exec_f2i(z->v.f[i]);
                z->v = (xsrc){.b = b, .nbytes = nb};
            } else if (z->v.st != CML_DT_UINT8 && z->v.st != CML_DT_INT8) {
                goto eager;
            }
            z->v.st = CML_DT_UINT8;
            z->v.bits = nbits;
            z->v.n = z->n;
            z->kind = LZ_LUT;
            z->lut = lut->d;
            z->P = (int64_t)lut->n;
            z->exact16 = all_half(lut->d, lut->n);
            return emit_lz(c, 0, z) == 0 ? 1 : -1;
        }
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_lut_to_dense (V == 1 only here) */
        int K = z->rank;
        if (lut->rank != K + 2 || lut->dim[K + 1] != 1) goto eager;
        z->P = lut->dim[K];
        if (!lz_groups(z, lut->dim) || !big_src(c, "indices", z->n, &z->v, z)) goto eager;
        if (z->v.st != CML_DT_UNKNOWN && (z->v.bits > 8 || (1ll << z->v.bits) > z->P)) goto eager;
        if (z->v.st == CML_DT_UNKNOWN) goto eager;
        z->kind = LZ_LUT;
        z->lut = lut->d;
        z->exact16 = all_half(lut->d, lut->n);
        return emit_lz(c, 0, z) == 0 ? 1 : -1;
    }
    if (!strcmp(k, "constexpr_sparse_to_dense")) {
        z->kind = LZ_SPARSE;
        const cml_value *mv = cml_op_param(c->op, "mask");
        if (!mv) goto eager;
        size_t mbytes = (z->n + 7) / 8;
        xsrc ms;
        const xlz *joint = nz_node(c, "nonzero_data");
        if (joint) {
            /* the mask and values of constexpr_lut_to_sparse /
             * constexpr_sparse_blockwise_shift_scale: their recipe over the dense shape */
            int msl = exec_slot_find(c->p, mv);
            const xlz *mz = msl >= 0 && !c->p->slots[msl].t.d ? c->p->slots[msl].t.lz : NULL;
            if (!mz || mz->kind != LZ_RAW || mz->v.b != joint->mask || mz->n != z->n) goto eager;
            memcpy(z, joint, sizeof *z);
            z->kind = LZ_SPARSE;
            z->n = mz->n;
            z->rank = mz->rank;
            memcpy(z->dim, mz->dim, sizeof z->dim);
            z->n_owned = 0;
            z->heap = 0;
            return emit_lz(c, 0, z) == 0 ? 1 : -1;
        }
        if (cml_op_param(c->op, "shape")) {
            /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_sparse_to_dense: uint8 mask bytes */
            if (!big_src(c, "mask", mbytes, &ms, z)) goto eager;
        } else {
            /* SOURCE: ops/defs/iOS18/compression.py constexpr_sparse_to_dense (uint1 mask) */
            if (!big_src(c, "mask", z->n, &ms, z) || (ms.st != CML_DT_UNKNOWN && ms.bits != 1)) goto eager;
        }
        if (ms.st == CML_DT_UNKNOWN) goto eager; /* a decoded mask: the eager decoder */
        if (ms.nbytes < mbytes) goto eager;
        z->mask = ms.b;
        z->mask_bytes = ms.nbytes;
        const cml_value *nzv = cml_op_param(c->op, "nonzero_data");
        if (!nzv) goto eager;
        size_t nnz = 0;
        if (!big_src(c, "nonzero_data", 0, &z->v, z)) goto eager;
        nnz = z->v.n;
        if (z->mask_bytes * 8 < z->n || !lz_prefix(z, nnz)) goto eager;
        z->nz = NZ_PLAIN;
        z->exact16 = z->v.st == CML_DT_FP16;
        return emit_lz(c, 0, z) == 0 ? 1 : -1;
    }
    if (!strcmp(k, "constexpr_lut_to_sparse") || !strcmp(k, "constexpr_sparse_blockwise_shift_scale")) {
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_lut_to_sparse.decompress and
         * constexpr_sparse_blockwise_shift_scale.decompress: outputs (mask, values at the
         * mask's set bits); kept as the mask's bits and a values node (LZ_NZVALS) that a
         * constexpr_sparse_to_dense over the pair turns into the dense recipe */
        bool lut = !strcmp(k, "constexpr_lut_to_sparse");
        const char *mname = lut ? "indices_mask" : "data_mask", *vname = lut ? "indices_nonzero_data" : "nonzero_data";
        xsrc ms;
        if (!big_src(c, mname, z->n, &ms, z) || ms.st == CML_DT_UNKNOWN || ms.bits != 1) goto eager;
        z->mask = ms.b;
        z->mask_bytes = ms.nbytes;
        if (!big_src(c, vname, 0, &z->v, z)) goto eager;
        if (z->mask_bytes * 8 < z->n || !lz_prefix(z, z->v.n)) goto eager;
        if (lut) {
            const xt *l = small_param(c, "lut", z, &h1);
            int K = z->rank;
            if (!l || l->rank != K + 2 || l->dim[K + 1] != 1) goto eager;
            z->P = l->dim[K];
            if (!lz_groups(z, l->dim)) goto eager;
            if (z->v.st != CML_DT_UNKNOWN && (z->v.bits > 8 || (1ll << z->v.bits) > z->P)) goto eager;
            if (z->v.st == CML_DT_UNKNOWN) goto eager;
            z->nz = NZ_LUT;
            z->lut = l->d;
            z->exact16 = all_half(l->d, l->n);
        } else {
            const xt *sc = small_param(c, "scale", z, &h1);
            const xt *off = cml_op_param(c->op, "offset") ? small_param(c, "offset", z, &h2) : NULL;
            if (!sc || sc->rank != z->rank || (cml_op_param(c->op, "offset") && (!off || off->n != sc->n))) goto eager;
            if (!lz_groups(z, sc->dim)) goto eager;
            z->nz = NZ_SCALE;
            z->scale = sc->d;
            z->offset = off ? off->d : NULL;
        }
        if (c->op->n_outputs < 2) goto eager;
        z->kind = LZ_NZVALS;
        z->r16 = out_fp16(c, 1);
        /* output 0: the mask as its bits (a raw uint1 node over the same bytes) */
        xlz *mz = calloc(1, sizeof *mz);
        if (!mz) goto eager;
        mz->kind = LZ_RAW;
        mz->rank = z->rank;
        memcpy(mz->dim, z->dim, sizeof z->dim);
        mz->n = z->n;
        mz->v = (xsrc){.st = CML_DT_UINT1, .bits = 1, .b = z->mask, .nbytes = z->mask_bytes, .n = z->n};
        /* output 1: the values, [nnz]; the dense shape stays in gdim */
        z->n = z->v.n;
        z->rank = 1;
        z->dim[0] = (int64_t)z->n;
        if (emit_lz(c, 0, mz) != 0) { exec_lz_free(z); return -1; }
        xt t = {.lz = z, .rank = 1, .n = z->n, .dt = EXEC_DT_FP32};
        t.dim[0] = (int64_t)z->n;
        if (exec_new_const(c->p, c->op->outputs[1], &t) < 0) {
            exec_lz_free(z);
            exec_seterr(c->err, c->errlen, "out of memory");
            return -1;
        }
        return 1;
    }
eager:
    exec_lz_free(z);
    return 0;
}

static int eval_eager(exec_plan *p, const cml_op *op, char *err, size_t errlen, xt *tmp, int *n_tmp);

int exec_eval_constexpr(exec_plan *p, const cml_op *op, char *err, size_t errlen) {
    cx c = {.p = p, .op = op, .err = err, .errlen = errlen};
    int lz = lz_constexpr(&c);
    if (lz) return lz > 0 ? 0 : -1;
    xt tmp[4];
    int n_tmp = 0;
    int rc = eval_eager(p, op, err, errlen, tmp, &n_tmp);
    for (int i = 0; i < n_tmp; i++) free(tmp[i].d);
    return rc;
}

/* the eager decoders: the op's outputs decoded into float32 constants */
static int eval_eager(exec_plan *p, const cml_op *op, char *err, size_t errlen, xt *tmp, int *n_tmp) {
    cx c = {.p = p, .op = op, .err = err, .errlen = errlen, .tmp = tmp, .n_tmp = n_tmp};
    const char *k = op->kind;
    xt out, out2;
    if (!strcmp(k, "constexpr_affine_dequantize")) {
        /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_affine_dequantize:
         * out = scale * (quantized_data - zero_point), scale/zero_point
         * scalars or vectors along axis. */
        const xt *q = param(&c, "quantized_data", true), *zp = param(&c, "zero_point", true),
                 *sc = param(&c, "scale", true), *ax = param(&c, "axis", true);
        if (!q || !zp || !sc || !ax) return -1;
        int axis = exec_axis(exec_f2int(ax->d[0]), q->rank);
        if (axis < 0 && (sc->n > 1 || zp->n > 1)) return bad(&c, "axis out of range");
        if (copy_xt(&c, q, &out) != 0) return -1;
        int64_t inner = 1, C = axis >= 0 ? q->dim[axis] : 1;
        for (int d = axis + 1; d < q->rank; d++) inner *= q->dim[d];
        if ((sc->n != 1 && (int64_t)sc->n != C) || (zp->n != 1 && (int64_t)zp->n != C)) {
            free(out.d);
            return bad(&c, "scale/zero_point length must be 1 or the axis dimension");
        }
        for (size_t i = 0; i < out.n; i++) {
            size_t ch = axis >= 0 ? (size_t)((int64_t)i / inner % C) : 0;
            float s = sc->d[sc->n == 1 ? 0 : ch], z = zp->d[zp->n == 1 ? 0 : ch];
            out.d[i] = s * (q->d[i] - z);
        }
        return emit(&c, 0, &out);
    }
    if (!strcmp(k, "constexpr_cast")) {
        /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_cast (fp16 -> fp32) */
        const xt *s = param(&c, "source_val", true);
        if (!s || copy_xt(&c, s, &out) != 0) return -1;
        return emit(&c, 0, &out);
    }
    if (!strcmp(k, "constexpr_lut_to_dense")) {
        const xt *lut = param(&c, "lut", true), *idx = param(&c, "indices", true);
        if (!lut || !idx) return -1;
        const xt *shape = param(&c, "shape", false);
        if (shape) {
            /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_lut_to_dense:
             * indices uint8 [M], bit-packed LSB-first, nbits = log2(lut size),
             * out.flat[i] = lut[index_i], reshaped to `shape`. */
            int rank;
            int64_t dim[EXEC_MAX_RANK];
            if (read_shape(shape, &rank, dim) != 0) return bad(&c, "bad shape");
            unsigned nbits = 0;
            while ((1ull << nbits) < lut->n) nbits++;
            if ((1ull << nbits) != lut->n || nbits < 1 || nbits > 8) return bad(&c, "lut size must be 2^nbits");
            if (new_xt(&c, &out, rank, dim) != 0) return -1;
            if ((uint64_t)idx->n * 8 < (uint64_t)out.n * nbits) { free(out.d); return bad(&c, "too few index bytes"); }
            unsigned char *b = as_bytes(idx);
            if (!b) { free(out.d); return bad(&c, "out of memory"); }
            for (size_t i = 0; i < out.n; i++) out.d[i] = lut->d[bits_lsb(b, idx->n, i, nbits)];
            free(b);
            return emit(&c, 0, &out);
        }
        if (lut_dense18(&c, idx, lut, vector_axis(&c, lut, idx->rank), &out) != 0) return -1;
        return emit(&c, 0, &out);
    }
    if (!strcmp(k, "constexpr_sparse_to_dense")) {
        const xt *nz = param(&c, "nonzero_data", true), *mask = param(&c, "mask", true);
        if (!nz || !mask) return -1;
        const xt *shape = param(&c, "shape", false);
        if (shape) {
            /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_sparse_to_dense:
             * mask uint8 [ceil(N/8)], bit i (LSB-first) set = element i non-zero. */
            int rank;
            int64_t dim[EXEC_MAX_RANK];
            if (read_shape(shape, &rank, dim) != 0) return bad(&c, "bad shape");
            if (new_xt(&c, &out, rank, dim) != 0) return -1;
            if (mask->n * 8 < out.n) { free(out.d); return bad(&c, "mask too short"); }
            unsigned char *b = as_bytes(mask);
            float *m = malloc((out.n ? out.n : 1) * sizeof(float));
            if (!b || !m) { free(b); free(m); free(out.d); return bad(&c, "out of memory"); }
            for (size_t i = 0; i < out.n; i++) m[i] = (float)bits_lsb(b, mask->n, i, 1);
            int rc = sparse_dense(&c, nz, m, out.n, out.d);
            free(b);
            free(m);
            if (rc) { free(out.d); return -1; }
            return emit(&c, 0, &out);
        }
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_sparse_to_dense (uint1 mask) */
        if (new_xt(&c, &out, mask->rank, mask->dim) != 0) return -1;
        if (sparse_dense(&c, nz, mask->d, mask->n, out.d) != 0) { free(out.d); return -1; }
        return emit(&c, 0, &out);
    }
    if (!strcmp(k, "constexpr_blockwise_shift_scale")) {
        const xt *data = param(&c, "data", true), *scale = param(&c, "scale", true);
        if (!data || !scale) return -1;
        const xt *offset = param(&c, "offset", false);
        if (shift_scale(&c, data, scale, offset, &out) != 0) return -1;
        return emit(&c, 0, &out);
    }
    if (!strcmp(k, "constexpr_lut_to_sparse")) {
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_lut_to_sparse.decompress:
         * dense indices = sparse_to_dense(indices_nonzero_data, indices_mask);
         * values = lut_to_dense(...); mask repeated V times along vector_axis;
         * outputs (mask, values[mask != 0]). */
        const xt *mask = param(&c, "indices_mask", true), *nz = param(&c, "indices_nonzero_data", true),
                 *lut = param(&c, "lut", true);
        if (!mask || !nz || !lut) return -1;
        xt didx, dense;
        if (new_xt(&c, &didx, mask->rank, mask->dim) != 0) return -1;
        if (sparse_dense(&c, nz, mask->d, mask->n, didx.d) != 0) { free(didx.d); return -1; }
        int va = vector_axis(&c, lut, mask->rank);
        if (lut_dense18(&c, &didx, lut, va, &dense) != 0) { free(didx.d); return -1; }
        free(didx.d);
        int64_t V = lut->rank >= 2 ? lut->dim[lut->rank - 1] : 1;
        /* expanded mask */
        if (new_xt(&c, &out, dense.rank, dense.dim) != 0) { free(dense.d); return -1; }
        if (V == 1) {
            memcpy(out.d, mask->d, mask->n * sizeof(float));
        } else {
            int64_t inner = 1;
            for (int d = va + 1; d < mask->rank; d++) inner *= mask->dim[d];
            int64_t D = mask->dim[va];
            /* an empty mask (a zero dim) holds nothing to expand */
            size_t outer = D * inner > 0 ? mask->n / (size_t)(D * inner) : 0;
            for (size_t o = 0; o < outer; o++)
                for (int64_t i = 0; i < D; i++)
                    for (int64_t v = 0; v < V; v++)
                        memcpy(out.d + ((int64_t)o * D * V + i * V + v) * inner,
                               mask->d + ((int64_t)o * D + i) * inner, (size_t)inner * sizeof(float));
        }
        if (pick_values(&c, &dense, &out, &out2) != 0) { free(dense.d); free(out.d); return -1; }
        free(dense.d);
        if (emit(&c, 0, &out) != 0) { free(out2.d); return -1; }
        return emit(&c, 1, &out2);
    }
    if (!strcmp(k, "constexpr_sparse_blockwise_shift_scale")) {
        /* SOURCE: ops/defs/iOS18/compression.py constexpr_sparse_blockwise_shift_scale.decompress */
        const xt *mask = param(&c, "data_mask", true), *nz = param(&c, "nonzero_data", true),
                 *scale = param(&c, "scale", true);
        if (!mask || !nz || !scale) return -1;
        const xt *offset = param(&c, "offset", false);
        xt dense, deq;
        if (new_xt(&c, &dense, mask->rank, mask->dim) != 0) return -1;
        if (sparse_dense(&c, nz, mask->d, mask->n, dense.d) != 0) { free(dense.d); return -1; }
        int rc = shift_scale(&c, &dense, scale, offset, &deq);
        free(dense.d);
        if (rc) return -1;
        if (copy_xt(&c, mask, &out) != 0) { free(deq.d); return -1; }
        if (pick_values(&c, &deq, mask, &out2) != 0) { free(deq.d); free(out.d); return -1; }
        free(deq.d);
        if (emit(&c, 0, &out) != 0) { free(out2.d); return -1; }
        return emit(&c, 1, &out2);
    }
    return bad(&c, "unsupported constexpr op");
}

int exec_nn_dequant(exec_plan *p, const cml_op *op, const cml_attr *at, xt *t, char *err, size_t errlen) {
    (void)p;
    const cml_weight *w = at->value ? at->value->weight : NULL;
    if (!w || !w->quant_bits) {
        exec_seterr(err, errlen, "layer '%s': quantization parameters of '%s' not found", op->name, at->name);
        return -1;
    }
    if (w->quant_lut) {
        for (size_t i = 0; i < t->n; i++) {
            int64_t k = exec_f2i(t->d[i]);
            if (k < 0 || (uint64_t)k >= w->n_lut) {
                exec_seterr(err, errlen, "layer '%s': LUT index %lld out of range (%zu entries)", op->name, (long long)k,
                            w->n_lut);
                return -1;
            }
            t->d[i] = w->lut[k];
        }
        return 0;
    }
    if (w->quant_linear) {
        /* SOURCE: NeuralNetwork.proto LinearQuantizationParams (w = q*scale + bias,
         * one entry or one per output channel); coremltools quantization_utils.py
         * _dequantize_linear: channels on axis 0, axis 1 for deconvolution weights
         * shaped (kernelChannels, outputChannels/nGroups, kH, kW). */
        size_t nc = w->n_quant_scale ? w->n_quant_scale : 1;
        bool deconv = !strcmp(op->kind, "convolution") && !strcmp(at->name, "weights");
        const cml_attr *dc = cml_op_attr(op, "isDeconvolution");
        deconv = deconv && dc && dc->kind == CML_ATTR_BOOL && dc->b;
        size_t per = t->n / nc, khw = 1;
        if (deconv) {
            const cml_attr *ks = cml_op_attr(op, "kernelSize");
            if (ks && ks->kind == CML_ATTR_INTS)
                for (size_t i = 0; i < ks->n; i++) khw *= (size_t)(ks->ints[i] > 0 ? ks->ints[i] : 1);
        }
        for (size_t i = 0; i < t->n; i++) {
            size_t ch = nc == 1 ? 0 : deconv ? (i / khw) % nc : (per ? i / per : 0);
            if (ch >= nc) ch = nc - 1;
            float s = w->n_quant_scale ? w->quant_scale[ch] : 1.0f;
            float b = w->n_quant_bias ? w->quant_bias[w->n_quant_bias == nc ? ch : 0] : 0.0f;
            t->d[i] = t->d[i] * s + b;
        }
        return 0;
    }
    exec_seterr(err, errlen, "layer '%s': unknown quantization of '%s'", op->name, at->name);
    return -1;
}
