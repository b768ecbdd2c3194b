/* SPDX-License-Identifier: Apache-2.0 */
/* mil_tensor.c — ML Program gather / scatter, sorting, cumulative and
 * rearrangement kernels.
 *
 * gather (batch_dims), gather_nd (batch_dims), scatter, scatter_nd,
 * scatter_along_axis (modes update, add, sub, mul, div, max, min, applied in
 * index order), slice_update, topk (k, axis, ascending, sort, return_indices,
 * k = -1 from iOS17), argsort, cumsum (exclusive, reverse), one_hot,
 * band_part, reverse, reverse_sequence, non_zero (a value-dependent shape),
 * fill_like, reshape_like, space_to_depth / depth_to_space (the DCR channel
 * order of TensorFlow), pixel_shuffle / pixel_unshuffle (PyTorch's CRD
 * order), space_to_batch / batch_to_space and sliding_windows. Indices are
 * untrusted: an index out of range fails the run with its value instead of
 * reading or writing outside a tensor. Sorting is stable: equal values keep
 * their index order; NaN sorts above every number.
 * SOURCE: apple/coremltools coremltools/converters/mil/mil/ops/defs/
 * iOS15/scatter_gather.py, iOS16/scatter_gather.py (batch_dims),
 * iOS17/scatter_gather.py (validate_indices), iOS15/tensor_operation.py,
 * iOS16/tensor_operation.py (topk sort/return_indices, fill_like),
 * iOS17/tensor_operation.py (topk k = -1, output_indices_dtype),
 * iOS15/tensor_transformation.py, iOS16/tensor_transformation.py
 * (reshape_like, pixel_unshuffle), iOS18/tensor_transformation.py
 * (slice_update); the DEPTH_TO_SPACE / PIXEL_SHUFFLE channel orders from the
 * ReorganizeDataLayerParams example in mlmodel/format/NeuralNetwork.proto. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mil.h"

/* ---- gather ----------------------------------------------------------------------- */

/* SOURCE: iOS16/scatter_gather.py gather: out shape D[:axis] + N[batch_dims:] +
 * D[axis+1:]; the first batch_dims dims of x and indices are shared (_utils.py
 * compute_gather). */
static int k_gather(xctx *c) {
    const xt *x = exec_in(c, "x"), *ix = exec_in(c, "indices");
    NEED(x, "x");
    NEED(ix, "indices");
    int axis = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    int64_t bd = exec_pi(c, "batch_dims", 0);
    if (bd < 0) bd += ix->rank;
    if (bd < 0 || bd > axis || bd > ix->rank) return exec_fail(c, "batch_dims %lld invalid", (long long)bd);
    for (int i = 0; i < bd; i++)
        if (x->dim[i] != ix->dim[i]) return exec_fail(c, "batch dim %d differs between x and indices", i);
    int R = x->rank - 1 + ix->rank - (int)bd;
    if (R > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < axis; i++) dim[r++] = x->dim[i];
    for (int i = (int)bd; i < ix->rank; i++) dim[r++] = ix->dim[i];
    for (int i = axis + 1; i < x->rank; i++) dim[r++] = x->dim[i];
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t B = 1, mid = 1, inner = 1, D = x->dim[axis];
    for (int i = 0; i < bd; i++) B *= x->dim[i];
    for (int i = (int)bd; i < axis; i++) mid *= x->dim[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    int64_t nI = (int64_t)(ix->n / exec_nz(B)); /* indices per batch */
    size_t o = 0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t m = 0; m < mid; m++)
            for (int64_t k = 0; k < nI; k++) {
                float v = ix->d[b * nI + k];
                int64_t j = exec_wrap_index(v, D);
                if (j < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)v, (long long)D);
                memcpy(y->d + o, x->d + ((b * mid + m) * D + j) * inner, (size_t)inner * sizeof(float));
                o += (size_t)inner;
            }
    return 0;
}

/* SOURCE: iOS16/scatter_gather.py gather_nd: indices [..., depth] pick slices
 * x[b..., idx...]; out shape indices.shape[:-1] + x.shape[batch_dims + depth:]. */
static int k_gather_nd(xctx *c) {
    const xt *x = exec_in(c, "x"), *ix = exec_in(c, "indices");
    NEED(x, "x");
    NEED(ix, "indices");
    int64_t bd = exec_pi(c, "batch_dims", 0);
    if (ix->rank < 1) return exec_fail(c, "indices must have rank >= 1");
    int64_t depth = ix->dim[ix->rank - 1];
    if (bd < 0 || bd >= ix->rank || depth < 0 || bd + depth > x->rank)
        return exec_fail(c, "indices depth %lld + batch_dims %lld exceed rank %d", (long long)depth, (long long)bd, x->rank);
    for (int i = 0; i < bd; i++)
        if (x->dim[i] != ix->dim[i]) return exec_fail(c, "batch dim %d differs between x and indices", i);
    int R = ix->rank - 1 + x->rank - (int)(bd + depth);
    if (R > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < ix->rank - 1; i++) dim[r++] = ix->dim[i];
    for (int i = (int)(bd + depth); i < x->rank; i++) dim[r++] = x->dim[i];
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK];
    mil_strides(x->rank, x->dim, xs);
    int64_t B = 1, inner = 1;
    for (int i = 0; i < bd; i++) B *= x->dim[i];
    for (int i = (int)(bd + depth); i < x->rank; i++) inner *= x->dim[i];
    size_t rows = exec_count(ix->rank - 1, ix->dim), per_b = rows / exec_nz(B);
    size_t o = 0;
    for (size_t rw = 0; rw < rows; rw++) {
        int64_t b = (int64_t)(rw / exec_nz((int64_t)per_b)), off = b * (bd ? xs[bd - 1] : 0);
        for (int64_t k = 0; k < depth; k++) {
            float v = ix->d[rw * (size_t)depth + (size_t)k];
            int64_t D = x->dim[bd + k], j = exec_wrap_index(v, D);
            if (j < 0) return exec_fail(c, "index %g out of range [0, %lld) on dim %lld", (double)v, (long long)D,
                                        (long long)(bd + k));
            off += j * xs[bd + k];
        }
        memcpy(y->d + o, x->d + off, (size_t)inner * sizeof(float));
        o += (size_t)inner;
    }
    return 0;
}

/* ---- scatter ------------------------------------------------------------------------ */

enum { SC_UPDATE, SC_ADD, SC_SUB, SC_MUL, SC_DIV, SC_MAX, SC_MIN };

/* SOURCE: iOS15/scatter_gather.py scatter: mode default "add" (default_inputs) */
static int scatter_mode(xctx *c) {
    const char *m = exec_ps(c, "mode");
    if (!m) return SC_ADD;
    static const char *const names[] = {"update", "add", "sub", "mul", "div", "max", "min"};
    for (int i = 0; i < 7; i++)
        if (!strcmp(m, names[i])) return i;
    return -1;
}

static int chk_scatter(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"update", "add", "sub", "mul", "div", "max", "min", NULL};
    return mil_chk_one_of(io, op, "mode", ok, why, n);
}

static inline float scatter1(int mode, float old, float u) {
    switch (mode) {
    case SC_UPDATE: return u;
    case SC_ADD: return old + u;
    case SC_SUB: return old - u;
    case SC_MUL: return old * u;
    case SC_DIV: return old / u;
    case SC_MAX: return u > old || old != old ? (old != old ? old : u) : old;
    default: return u < old || old != old ? (old != old ? old : u) : old;
    }
}

/* SOURCE: iOS15/scatter_gather.py scatter: indices 1-D along axis; updates
 * data.shape[:axis] + [len(indices)] + data.shape[axis+1:]. */
static int k_scatter(xctx *c) {
    const xt *x = exec_in(c, "data"), *ix = exec_in(c, "indices"), *u = exec_in(c, "updates");
    NEED(x, "data");
    NEED(ix, "indices");
    NEED(u, "updates");
    int mode = scatter_mode(c);
    if (mode < 0) return exec_fail(c, "unknown mode");
    int axis = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    int64_t outer = 1, inner = 1, D = x->dim[axis], C = (int64_t)ix->n;
    for (int i = 0; i < axis; i++) outer *= x->dim[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    if (u->n != (size_t)(outer * C * inner)) return exec_fail(c, "updates has %zu values, expected %lld", u->n,
                                                               (long long)(outer * C * inner));
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    for (int64_t k = 0; k < C; k++) {
        int64_t j = exec_wrap_index(ix->d[k], D);
        if (j < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)ix->d[k], (long long)D);
        for (int64_t o = 0; o < outer; o++) {
            float *dst = y->d + (o * D + j) * inner;
            const float *src = u->d + (o * C + k) * inner;
            for (int64_t i = 0; i < inner; i++) dst[i] = scatter1(mode, dst[i], src[i]);
        }
    }
    return 0;
}

/* SOURCE: iOS15/scatter_gather.py scatter_along_axis: indices and updates of
 * one shape, rank(data); out[.., indices[p], ..] (mode) updates[p]. */
static int k_scatter_along_axis(xctx *c) {
    const xt *x = exec_in(c, "data"), *ix = exec_in(c, "indices"), *u = exec_in(c, "updates");
    NEED(x, "data");
    NEED(ix, "indices");
    NEED(u, "updates");
    int mode = scatter_mode(c);
    if (mode < 0) return exec_fail(c, "unknown mode");
    int axis = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    if (ix->rank != x->rank || u->n != ix->n) return exec_fail(c, "indices/updates do not match data");
    for (int i = 0; i < x->rank; i++)
        if (i != axis && ix->dim[i] != x->dim[i]) return exec_fail(c, "indices differ from data off the axis");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    int64_t inner = 1, D = x->dim[axis], Di = ix->dim[axis];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    size_t outer = ix->n / exec_nz(Di * inner);
    for (size_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < Di; k++)
            for (int64_t i = 0; i < inner; i++) {
                size_t f = (o * (size_t)Di + (size_t)k) * (size_t)inner + (size_t)i;
                int64_t j = exec_wrap_index(ix->d[f], D);
                if (j < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)ix->d[f], (long long)D);
                float *dst = &y->d[((int64_t)o * D + j) * inner + i];
                *dst = scatter1(mode, *dst, u->d[f]);
            }
    return 0;
}

/* SOURCE: iOS15/scatter_gather.py scatter_nd: indices [..., depth];
 * updates indices.shape[:-1] + data.shape[depth:]. */
static int k_scatter_nd(xctx *c) {
    const xt *x = exec_in(c, "data"), *ix = exec_in(c, "indices"), *u = exec_in(c, "updates");
    NEED(x, "data");
    NEED(ix, "indices");
    NEED(u, "updates");
    int mode = scatter_mode(c);
    if (mode < 0) return exec_fail(c, "unknown mode");
    if (ix->rank < 1) return exec_fail(c, "indices must have rank >= 1");
    int64_t depth = ix->dim[ix->rank - 1];
    if (depth < 1 || depth > x->rank) return exec_fail(c, "indices depth %lld for rank %d", (long long)depth, x->rank);
    int64_t xs[EXEC_MAX_RANK], inner = 1;
    mil_strides(x->rank, x->dim, xs);
    for (int i = (int)depth; i < x->rank; i++) inner *= x->dim[i];
    size_t rows = ix->n / (size_t)depth;
    if (u->n != rows * (size_t)inner) return exec_fail(c, "updates has %zu values, expected %zu", u->n, rows * (size_t)inner);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    for (size_t rw = 0; rw < rows; rw++) {
        int64_t off = 0;
        for (int64_t k = 0; k < depth; k++) {
            float v = ix->d[rw * (size_t)depth + (size_t)k];
            int64_t j = exec_wrap_index(v, x->dim[k]);
            if (j < 0) return exec_fail(c, "index %g out of range [0, %lld) on dim %lld", (double)v, (long long)x->dim[k],
                                        (long long)k);
            off += j * xs[k];
        }
        float *dst = y->d + off;
        const float *src = u->d + rw * (size_t)inner;
        for (int64_t i = 0; i < inner; i++) dst[i] = scatter1(mode, dst[i], src[i]);
    }
    return 0;
}

/* SOURCE: iOS18/tensor_transformation.py slice_update: x with the
 * slice_by_index slice replaced by update (its shape the slice's). */
static int k_slice_update(xctx *c) {
    const xt *x = exec_in(c, "x"), *u = exec_in(c, "update");
    NEED(x, "x");
    NEED(u, "update");
    int64_t start[EXEC_MAX_RANK], step[EXEC_MAX_RANK], cnt[EXEC_MAX_RANK], od[EXEC_MAX_RANK];
    int orank;
    if (mil_slice_params(c, x, start, step, cnt, od, &orank) != 0) return -1;
    size_t n = exec_count(x->rank, cnt);
    if (u->n != n) return exec_fail(c, "update has %zu values, the slice %zu", u->n, n);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    if (!n) return 0;
    int64_t xs[EXEC_MAX_RANK], idx[EXEC_MAX_RANK] = {0};
    mil_strides(x->rank, x->dim, xs);
    for (size_t f = 0; f < n; f++) {
        int64_t off = 0;
        for (int i = 0; i < x->rank; i++) off += (start[i] + idx[i] * step[i]) * xs[i];
        y->d[off] = u->d[f];
        exec_idx_next(idx, x->rank, cnt);
    }
    return 0;
}

/* ---- sorting ----------------------------------------------------------------------------- */

typedef struct skey {
    float v;
    int64_t i;
} skey;

/* NaN above every number; ties by index */
static int cmp_asc(const void *a, const void *b) {
    const skey *p = a, *q = b;
    bool pn = p->v != p->v, qn = q->v != q->v;
    if (pn != qn) return pn ? 1 : -1;
    if (!pn && p->v != q->v) return p->v < q->v ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

static int cmp_desc(const void *a, const void *b) {
    const skey *p = a, *q = b;
    bool pn = p->v != p->v, qn = q->v != q->v;
    if (pn != qn) return pn ? -1 : 1;
    if (!pn && p->v != q->v) return p->v > q->v ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* sort every line of x along axis; keep the first k: values (y, may be NULL)
 * and indices (yi, may be NULL) */
static int sort_lines(xctx *c, const xt *x, int axis, int64_t k, bool asc, xt *y, xt *yi) {
    int64_t D = x->dim[axis], inner = 1;
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    size_t outer = x->n / exec_nz(D * inner);
    skey *ks = malloc((size_t)exec_nz(D) * sizeof *ks);
    if (!ks) return exec_fail(c, "out of memory");
    for (size_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *src = x->d + (int64_t)o * D * inner + in;
            for (int64_t j = 0; j < D; j++) ks[j] = (skey){src[j * inner], j};
            qsort(ks, (size_t)D, sizeof *ks, asc ? cmp_asc : cmp_desc);
            for (int64_t j = 0; j < k; j++) {
                size_t f = ((size_t)o * (size_t)k + (size_t)j) * (size_t)inner + (size_t)in;
                if (y) y->d[f] = ks[j].v;
                if (yi) yi->d[f] = (float)ks[j].i;
            }
        }
    free(ks);
    return 0;
}

/* SOURCE: iOS15/tensor_operation.py topk (k default 1, axis -1, ascending
 * false), iOS16 (sort, return_indices), iOS17 (k = -1: every element). */
static int k_topk(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int axis = mil_axis(c, exec_pi(c, "axis", -1), x->rank);
    if (axis < 0) return -1;
    int64_t k = exec_pi(c, "k", 1), D = x->dim[axis];
    if (k == -1) k = D;
    if (k < 0 || k > D) return exec_fail(c, "k %lld out of range for an axis of %lld", (long long)k, (long long)D);
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[axis] = k;
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = x->dt;
    xt *yi = NULL;
    if (exec_n_outputs(c) > 1) {
        if (!(yi = exec_out(c, 1, x->rank, dim))) return exec_fail(c, "out of memory");
        yi->dt = EXEC_DT_INT32;
    }
    /* sort = false leaves the order open: sorted is one valid order */
    return sort_lines(c, x, axis, k, exec_pb(c, "ascending", false), y, yi);
}

/* SOURCE: iOS15/tensor_operation.py argsort: axis -1, ascending false. */
static int k_argsort(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int axis = mil_axis(c, exec_pi(c, "axis", -1), x->rank);
    if (axis < 0) return -1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_INT32;
    return sort_lines(c, x, axis, x->dim[axis], exec_pb(c, "ascending", false), NULL, y);
}

/* ---- cumulative, masks, one-hot ------------------------------------------------------------- */

/* SOURCE: iOS15/tensor_operation.py cumsum: axis 0, exclusive and reverse false. */
static int k_cumsum(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int axis = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    bool excl = exec_pb(c, "exclusive", false), rev = exec_pb(c, "reverse", false);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t D = x->dim[axis], inner = 1;
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    size_t outer = x->n / exec_nz(D * inner);
    for (size_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            size_t base = (size_t)o * (size_t)(D * inner) + (size_t)in;
            double acc = 0;
            for (int64_t s = 0; s < D; s++) {
                int64_t j = rev ? D - 1 - s : s;
                size_t f = base + (size_t)(j * inner);
                double v = x->d[f];
                if (excl) { y->d[f] = (float)acc; acc += v; }
                else { acc += v; y->d[f] = (float)acc; }
            }
        }
    return 0;
}

/* SOURCE: iOS15/tensor_operation.py band_part: keep (m, n) of the last two
 * dims where (lower < 0 || m - n <= lower) && (upper < 0 || n - m <= upper). */
static int k_band_part(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 2) return exec_fail(c, "rank must be at least 2");
    int64_t lo = exec_pi(c, "lower", -1), up = exec_pi(c, "upper", -1);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_band(x, lo, up, y->d);
    return 0;
}

/* SOURCE: iOS15/tensor_operation.py one_hot: a new axis (default -1) of
 * one_hot_vector_size; on_value (1) where the index points, off_value (0)
 * elsewhere (an index outside [0, size) selects nothing). */
static int k_one_hot(xctx *c) {
    const xt *ix = exec_in(c, "indices");
    NEED(ix, "indices");
    int64_t depth = exec_pi(c, "one_hot_vector_size", -1);
    if (depth < 0 || depth > (1 << 24)) return exec_fail(c, "one_hot_vector_size %lld out of range", (long long)depth);
    int R = ix->rank + 1;
    if (R > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t a = exec_pi(c, "axis", -1);
    if (a < -R || a >= R) return exec_fail(c, "axis %lld out of range", (long long)a);
    int axis = (int)(a < 0 ? a + R : a);
    float on = (float)exec_pf(c, "on_value", 1), off = (float)exec_pf(c, "off_value", 0);
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0, j = 0; i < R; i++) dim[i] = i == axis ? depth : ix->dim[j++];
    if (exec_count(R, dim) > ((size_t)1 << 32)) return exec_fail(c, "output too large");
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t inner = 1;
    for (int i = axis + 1; i < R; i++) inner *= dim[i];
    size_t outer = ix->n / exec_nz(inner);
    for (size_t i = 0; i < y->n; i++) y->d[i] = off;
    for (size_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t v = exec_f2i(ix->d[o * (size_t)inner + (size_t)in]);
            if (v >= 0 && v < depth) y->d[((int64_t)o * depth + v) * inner + in] = on;
        }
    return 0;
}

/* ---- reversal ------------------------------------------------------------------------------- */

/* SOURCE: iOS15/tensor_transformation.py reverse: axes (default all). */
static int k_reverse(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int64_t ax[EXEC_MAX_RANK];
    int na = exec_pints(c, "axes", ax, EXEC_MAX_RANK);
    unsigned mask = na < 0 ? (1u << x->rank) - 1u : 0;
    for (int i = 0; i < na; i++) {
        int a = mil_axis(c, ax[i], x->rank);
        if (a < 0) return -1;
        mask ^= 1u << a; /* reversing twice is the identity (np.flip per listed axis) */
    }
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK], idx[EXEC_MAX_RANK] = {0};
    mil_strides(x->rank, x->dim, xs);
    for (size_t f = 0; f < x->n; f++) {
        int64_t off = 0;
        for (int i = 0; i < x->rank; i++) off += ((mask >> i) & 1u ? x->dim[i] - 1 - idx[i] : idx[i]) * xs[i];
        y->d[f] = x->d[off];
        exec_idx_next(idx, x->rank, x->dim);
    }
    return 0;
}

/* SOURCE: iOS15/tensor_transformation.py reverse_sequence: for each index b
 * along batch_axis, reverse the first lengths[b] elements along seq_axis. */
static int k_reverse_sequence(xctx *c) {
    const xt *x = exec_in(c, "x"), *len = exec_in(c, "lengths");
    NEED(x, "x");
    NEED(len, "lengths");
    int sa = mil_axis(c, exec_pi(c, "seq_axis", 0), x->rank);
    if (sa < 0) return -1;
    int ba = mil_axis(c, exec_pi(c, "batch_axis", 0), x->rank);
    if (ba < 0) return -1;
    if (sa == ba) return exec_fail(c, "seq_axis and batch_axis are the same");
    if ((int64_t)len->n != x->dim[ba]) return exec_fail(c, "%zu lengths for a batch of %lld", len->n, (long long)x->dim[ba]);
    for (size_t i = 0; i < len->n; i++)
        if (len->d[i] < 0 || len->d[i] > (float)x->dim[sa]) return exec_fail(c, "length %g out of range", (double)len->d[i]);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK], idx[EXEC_MAX_RANK] = {0};
    mil_strides(x->rank, x->dim, xs);
    for (size_t f = 0; f < x->n; f++) {
        int64_t L = exec_f2i(len->d[idx[ba]]), s = idx[sa];
        int64_t from = s < L ? L - 1 - s : s;
        y->d[f] = x->d[(int64_t)f + (from - s) * xs[sa]];
        exec_idx_next(idx, x->rank, x->dim);
    }
    return 0;
}

/* ---- value-dependent shapes, fills ---------------------------------------------------------- */

/* SOURCE: iOS15/tensor_operation.py non_zero: [N, rank] int32 indices of
 * the non-zero elements in row-major order (np.transpose(np.nonzero(x))). */
static int k_non_zero(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int64_t nz = 0;
    for (size_t i = 0; i < x->n; i++) nz += x->d[i] != 0;
    int64_t dim[2] = {nz, x->rank};
    xt *y = exec_out(c, 0, 2, dim);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_INT32;
    int64_t idx[EXEC_MAX_RANK] = {0};
    size_t o = 0;
    for (size_t f = 0; f < x->n; f++) {
        if (x->d[f] != 0)
            for (int i = 0; i < x->rank; i++) y->d[o++] = (float)idx[i];
        exec_idx_next(idx, x->rank, x->dim);
    }
    return 0;
}

/* SOURCE: iOS16/tensor_operation.py fill_like: ref_tensor's shape, value (0). */
static int k_fill_like(xctx *c) {
    const xt *r = exec_in(c, "ref_tensor");
    NEED(r, "ref_tensor");
    xt *y = exec_out_like(c, 0, r);
    if (!y) return exec_fail(c, "out of memory");
    float v = (float)exec_pf(c, "value", 0.0);
    for (size_t i = 0; i < y->n; i++) y->d[i] = v;
    return 0;
}

/* SOURCE: iOS16/tensor_transformation.py reshape_like: the concatenation of
 * ref_tensors[i].shape[begins[i]:ends[i]] (to the end when end_masks[i]). */
static int k_reshape_like(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    size_t nr = exec_in_count(c, "ref_tensors");
    if (exec_in_count(c, "begins") != nr || exec_in_count(c, "ends") != nr || exec_in_count(c, "end_masks") != nr)
        return exec_fail(c, "ref_tensors, begins, ends and end_masks differ in length");
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    for (size_t i = 0; i < nr; i++) {
        const xt *t = exec_in_at(c, "ref_tensors", i), *b = exec_in_at(c, "begins", i), *e = exec_in_at(c, "ends", i),
                 *m = exec_in_at(c, "end_masks", i);
        if (!t || !b || !b->d || !e || !e->d || !m || !m->d) return exec_fail(c, "missing reshape_like parameter %zu", i);
        int64_t lo = exec_f2i(b->d[0]), hi = m->d[0] != 0 ? t->rank : exec_f2i(e->d[0]);
        /* Python slicing of the shape tuple */
        if (lo < 0) lo += t->rank;
        if (hi < 0) hi += t->rank;
        if (lo < 0) lo = 0;
        if (hi > t->rank) hi = t->rank;
        for (int64_t k = lo; k < hi; k++) {
            if (r >= EXEC_MAX_RANK) return exec_fail(c, "rank too large");
            dim[r++] = t->dim[k];
        }
    }
    if (exec_count(r, dim) != x->n) return exec_fail(c, "%zu values do not fill the reference shape", x->n);
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    return 0;
}

/* ---- depth / space / batch rearrangements ---------------------------------------------------- */

enum { RE_D2S, RE_S2D, RE_SHUF, RE_UNSHUF };

/* depth_to_space (DCR: input channel (i*b + j)*C_out + c), its inverse,
 * pixel_shuffle (CRD: c*b*b + i*b + j) and its inverse, on [n, C, H, W] */
static int rearrange(xctx *c, int kind, const char *pname) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank != 4) return exec_fail(c, "x must have rank 4");
    int64_t b = exec_pi(c, pname, 0);
    if (b < 1) return exec_fail(c, "%s must be >= 1", pname);
    int64_t N = x->dim[0], C = x->dim[1], H = x->dim[2], W = x->dim[3], bb;
    bool up = kind == RE_D2S || kind == RE_SHUF;
    /* the factor is the model's: its square, and the dims it multiplies,
     * may overflow (2^32 squared wraps to 0, and C % 0 traps) */
    if (__builtin_mul_overflow(b, b, &bb)) return exec_fail(c, "%s %lld: its square overflows", pname, (long long)b);
    if (up && C % bb) return exec_fail(c, "channels %lld not divisible by %lld^2", (long long)C, (long long)b);
    if (!up && (H % b || W % b)) return exec_fail(c, "spatial dims not divisible by %lld", (long long)b);
    int64_t dim[4] = {N, up ? C / bb : 0, up ? 0 : H / b, up ? 0 : W / b};
    if (up ? __builtin_mul_overflow(H, b, &dim[2]) || __builtin_mul_overflow(W, b, &dim[3])
           : __builtin_mul_overflow(C, bb, &dim[1]))
        return exec_fail(c, "%s %lld: the output's dims overflow", pname, (long long)b);
    xt *y = exec_out(c, 0, 4, dim);
    if (!y) return exec_fail(c, "out of memory");
    /* walk the large (spatial) side: channel cs of the small side, pixel (h, w) */
    int64_t Cs = up ? dim[1] : C, Hb = up ? H : dim[2], Wb = up ? W : dim[3]; /* small-side dims */
    for (int64_t n = 0; n < N; n++)
        for (int64_t cs = 0; cs < Cs; cs++)
            for (int64_t h = 0; h < Hb; h++)
                for (int64_t i = 0; i < b; i++)
                    for (int64_t w = 0; w < Wb; w++)
                        for (int64_t j = 0; j < b; j++) {
                            int64_t cd = (kind == RE_D2S || kind == RE_S2D) ? (i * b + j) * Cs + cs : cs * b * b + i * b + j;
                            size_t deep = (size_t)(((n * Cs * b * b + cd) * Hb + h) * Wb + w);
                            size_t wide = (size_t)(((n * Cs + cs) * Hb * b + h * b + i) * Wb * b + w * b + j);
                            if (up) y->d[wide] = x->d[deep];
                            else y->d[deep] = x->d[wide];
                        }
    return 0;
}

/* SOURCE: iOS15/tensor_transformation.py depth_to_space, space_to_depth
 * (block_size), pixel_shuffle (upscale_factor); iOS16 pixel_unshuffle
 * (downscale_factor). */
static int k_depth_to_space(xctx *c) { return rearrange(c, RE_D2S, "block_size"); }
static int k_space_to_depth(xctx *c) { return rearrange(c, RE_S2D, "block_size"); }
static int k_pixel_shuffle(xctx *c) { return rearrange(c, RE_SHUF, "upscale_factor"); }
static int k_pixel_unshuffle(xctx *c) { return rearrange(c, RE_UNSHUF, "downscale_factor"); }

/* SOURCE: iOS15/tensor_transformation.py space_to_batch / batch_to_space
 * (block_shape [2], paddings / crops [2, 2]) with tf.space_to_batch_nd's
 * order: output batch (i*bw + j)*n + b holds padded[b, h*bh + i, w*bw + j]. */
static int space_batch(xctx *c, bool to_batch) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank != 4) return exec_fail(c, "x must have rank 4");
    int64_t bs[2], pd[4];
    if (exec_pints(c, "block_shape", bs, 2) != 2 || exec_pints(c, to_batch ? "paddings" : "crops", pd, 4) != 4)
        return exec_fail(c, "block_shape must hold 2 values and %s 4", to_batch ? "paddings" : "crops");
    if (bs[0] < 1 || bs[1] < 1) return exec_fail(c, "block_shape must be positive");
    for (int i = 0; i < 4; i++)
        if (pd[i] < 0) return exec_fail(c, "negative %s", to_batch ? "padding" : "crop");
    int64_t N = x->dim[0], C = x->dim[1], H = x->dim[2], W = x->dim[3], B;
    int64_t dim[4];
    /* block_shape and paddings / crops are the model's: products and sums
     * of them may overflow (2^32 x 2^32 blocks wrap to 0, and N % 0 traps) */
    if (__builtin_mul_overflow(bs[0], bs[1], &B))
        return exec_fail(c, "block_shape [%lld, %lld]: the block count overflows", (long long)bs[0], (long long)bs[1]);
    if (to_batch) {
        int64_t Hp, Wp;
        if (__builtin_add_overflow(H, pd[0], &Hp) || __builtin_add_overflow(Hp, pd[1], &Hp) ||
            __builtin_add_overflow(W, pd[2], &Wp) || __builtin_add_overflow(Wp, pd[3], &Wp) ||
            __builtin_mul_overflow(N, B, &dim[0]))
            return exec_fail(c, "paddings [%lld, %lld, %lld, %lld] with block_shape [%lld, %lld]: the output's dims overflow",
                             (long long)pd[0], (long long)pd[1], (long long)pd[2], (long long)pd[3], (long long)bs[0],
                             (long long)bs[1]);
        if (Hp % bs[0] || Wp % bs[1]) return exec_fail(c, "padded spatial dims not divisible by block_shape");
        dim[1] = C; dim[2] = Hp / bs[0]; dim[3] = Wp / bs[1];
    } else {
        if (N % B) return exec_fail(c, "batch %lld not divisible by %lld", (long long)N, (long long)B);
        int64_t Hb, Wb;
        if (__builtin_mul_overflow(H, bs[0], &Hb) || __builtin_mul_overflow(W, bs[1], &Wb))
            return exec_fail(c, "block_shape [%lld, %lld]: the output's dims overflow", (long long)bs[0], (long long)bs[1]);
        if (pd[0] > Hb || pd[1] > Hb - pd[0] || pd[2] > Wb || pd[3] > Wb - pd[2])
            return exec_fail(c, "crops exceed the spatial dims");
        dim[0] = N / B; dim[1] = C; dim[2] = Hb - pd[0] - pd[1]; dim[3] = Wb - pd[2] - pd[3];
    }
    xt *y = exec_out(c, 0, 4, dim);
    if (!y) return exec_fail(c, "out of memory");
    /* the blocked side [N*B, C, h, w] against the spatial side [N, C, h*bh, w*bw] (padded / uncropped) */
    const int64_t *bd = to_batch ? dim : x->dim;
    int64_t n0 = to_batch ? N : dim[0];
    int64_t Sh = to_batch ? H : dim[2], Sw = to_batch ? W : dim[3];
    for (int64_t ob = 0; ob < bd[0]; ob++) {
        int64_t blk = ob / n0, b = ob % n0, i = blk / bs[1], j = blk % bs[1];
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t h = 0; h < bd[2]; h++)
                for (int64_t w = 0; w < bd[3]; w++) {
                    int64_t sh = h * bs[0] + i - pd[0], sw = w * bs[1] + j - pd[2];
                    bool inside = sh >= 0 && sh < Sh && sw >= 0 && sw < Sw;
                    size_t fb = (size_t)(((ob * C + ch) * bd[2] + h) * bd[3] + w);
                    size_t fs = (size_t)(((b * C + ch) * Sh + sh) * Sw + sw);
                    if (to_batch) y->d[fb] = inside ? x->d[fs] : 0.0f;
                    else if (inside) y->d[fs] = x->d[fb];
                }
    }
    return 0;
}
static int k_space_to_batch(xctx *c) { return space_batch(c, true); }
static int k_batch_to_space(xctx *c) { return space_batch(c, false); }

/* SOURCE: iOS15/tensor_transformation.py sliding_windows: axis, size,
 * stride (1); out d[:axis] + [(d_axis - size) // stride + 1, size] + d[axis+1:]. */
static int k_sliding_windows(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    int axis = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    int64_t size = exec_pi(c, "size", 0), stride = exec_pi(c, "stride", 1), D = x->dim[axis];
    if (size < 1 || size > D || stride < 1) return exec_fail(c, "size %lld / stride %lld invalid for a dim of %lld",
                                                             (long long)size, (long long)stride, (long long)D);
    if (x->rank + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t nw = (D - size) / stride + 1, dim[EXEC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i == axis) { dim[r++] = nw; dim[r++] = size; }
        else dim[r++] = x->dim[i];
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t inner = 1;
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    size_t outer = x->n / exec_nz(D * inner), o = 0;
    for (size_t ob = 0; ob < outer; ob++)
        for (int64_t w = 0; w < nw; w++)
            for (int64_t k = 0; k < size; k++) {
                memcpy(y->d + o, x->d + ((int64_t)ob * D + w * stride + k) * inner, (size_t)inner * sizeof(float));
                o += (size_t)inner;
            }
    return 0;
}

/* ---- table ----------------------------------------------------------------------------------- */

#define K(name) {#name, k_##name, NULL}
#define KC(name, chk) {#name, k_##name, chk}
static const exec_kdef KERNELS[] = {
    K(gather), K(gather_nd), KC(scatter, chk_scatter), KC(scatter_along_axis, chk_scatter), KC(scatter_nd, chk_scatter),
    K(slice_update), K(topk), K(argsort), K(cumsum), K(band_part), K(one_hot), K(reverse), K(reverse_sequence),
    K(non_zero), K(fill_like), K(reshape_like), K(depth_to_space), K(space_to_depth), K(pixel_shuffle),
    K(pixel_unshuffle), K(space_to_batch), K(batch_to_space), K(sliding_windows),
};
const mil_table EXEC_MIL_TENSOR = {KERNELS, sizeof KERNELS / sizeof *KERNELS};
