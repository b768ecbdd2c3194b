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
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

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
    case CML_DT_FP16:
        const float *half = exec_half_table();
        for (size_t i = 0; i < n; i++) out[i] = half[(uint16_t)(b[2 * i] | b[2 * i + 1] << 8)];
        return 0;
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

int exec_decode_weight(const exec_io *io, const cml_weight *w, const cml_value *v, xt *out, char *err,
                       size_t errlen) {
    memset(out, 0, sizeof *out);
    const cml_shape *sh = (v && v->type.kind == CML_TYPE_TENSOR && shape_known(&v->type.shape)) ? &v->type.shape
                        : shape_known(&w->shape) ? &w->shape : NULL;
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
    if (v && v->type.kind != CML_TYPE_TENSOR && v->type.kind != CML_TYPE_UNKNOWN && v->type.kind != CML_TYPE_STATE) {
        /* list / tuple / dict literals (classify's classes): not tensors; an
         * empty constant keeps the op's other parameters usable */
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
} cx;

static const xt *param(cx *c, const char *name, bool required) {
    const cml_value *v = cml_op_param(c->op, name);
    if (!v) {
        if (required) exec_seterr(c->err, c->errlen, "%s '%s': parameter '%s' missing", c->op->kind, c->op->name, name);
        return NULL;
    }
    int s = exec_slot_for(c->p, v, c->err, c->errlen);
    if (s < 0) return NULL;
    return &c->p->slots[s].t;
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
    for (size_t i = 0; i < t->n; i++) b[i] = (unsigned char)(int)t->d[i];
    return b;
}

static int read_shape(const xt *s, int *rank, int64_t *dim) {
    if (!s || s->n > EXEC_MAX_RANK) return -1;
    *rank = (int)s->n;
    for (size_t i = 0; i < s->n; i++) {
        if (s->d[i] < 0) return -1;
        dim[i] = (int64_t)s->d[i];
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
        int64_t q = (int64_t)idx->d[f];
        if (q < 0 || q >= P) return bad(c, "index outside the lut");
        const float *e = lut->d + (g * P + q) * V;
        if (V == 1) out->d[ob] = e[0];
        else for (int64_t v = 0; v < V; v++) out->d[ob + v * ostride[vaxis]] = e[v];
        for (int d = K - 1; d >= 0; d--) {
            if (++pos[d] < idx->dim[d]) break;
            pos[d] = 0;
        }
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
        for (int d = K - 1; d >= 0; d--) {
            if (++pos[d] < data->dim[d]) break;
            pos[d] = 0;
        }
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
    int a = (int)va->d[0];
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

int exec_eval_constexpr(exec_plan *p, const cml_op *op, char *err, size_t errlen) {
    cx c = {.p = p, .op = op, .err = err, .errlen = errlen};
    const char *k = op->kind;
    xt out, out2;
    if (!strcmp(k, "constexpr_affine_dequantize")) {
        /* SOURCE: ops/defs/iOS16/constexpr_ops.py constexpr_affine_dequantize:
         * out = scale * (quantized_data - zero_point), scale/zero_point
         * scalars or vectors along axis. */
        const xt *q = param(&c, "quantized_data", true), *zp = param(&c, "zero_point", true),
                 *sc = param(&c, "scale", true), *ax = param(&c, "axis", true);
        if (!q || !zp || !sc || !ax) return -1;
        int axis = exec_axis((int)ax->d[0], q->rank);
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
            size_t outer = mask->n / (size_t)(D * inner);
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
            size_t k = (size_t)t->d[i];
            if (k >= w->n_lut) {
                exec_seterr(err, errlen, "layer '%s': LUT index %zu out of range (%zu entries)", op->name, k, w->n_lut);
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
