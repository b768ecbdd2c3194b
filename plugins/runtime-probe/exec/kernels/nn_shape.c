/* SPDX-License-Identifier: Apache-2.0 */
/* nn_shape.c — NeuralNetwork layers that move data without arithmetic (or
 * with the little a cumulative sum or a scatter mode needs): the legacy
 * rank-5 layers (slice, split, permute, crop, reorganizeData,
 * sequenceRepeat, loadConstant) and the iOS 13+ rank-N family (slices,
 * splits, stack, tile, reverse, gathers and scatters, fills, broadcasts,
 * reshapes, constant padding, ranges, sliding windows, triangular masks,
 * one-hot, cumulative sums, getShape, whereNonZero).
 *
 * Indices arrive as float tensors holding integers; negative indices count
 * from the end where the proto says so, and an index out of range fails
 * the run with the layer's name (Core ML's behaviour there is undefined).
 * Shapes computed from parameters or input values are checked for
 * overflow before anything is allocated. SOURCE for each layer: the
 * comment of its parameter message in apple/coremltools
 * mlmodel/format/NeuralNetwork.proto, cited per kernel. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* ---- helpers ----------------------------------------------------------------------- */

/* a shape whose element count fits memory arithmetic: dims >= 0, product
 * below SIZE_MAX / sizeof(float) */
static bool shape_ok(int r, const int64_t *dim) {
    if (r < 0 || r > EXEC_MAX_RANK) return false;
    size_t n = 1;
    for (int i = 0; i < r; i++) {
        if (dim[i] < 0) return false;
        if (dim[i] && n > (SIZE_MAX / sizeof(float)) / (size_t)dim[i]) return false;
        n *= (size_t)dim[i];
    }
    return true;
}

static xt *out_checked(xctx *c, size_t i, int r, const int64_t *dim) {
    if (!shape_ok(r, dim)) {
        exec_fail(c, "output shape out of range (rank %d)", r);
        return NULL;
    }
    xt *y = exec_out(c, i, r, dim);
    if (!y) exec_fail(c, "out of memory");
    return y;
}

static void outer_inner(const xt *x, int axis, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    for (int i = 0; i < axis; i++) *outer *= x->dim[i];
    for (int i = axis + 1; i < x->rank; i++) *inner *= x->dim[i];
    *n = x->dim[axis];
}

/* y[o] = x at the broadcast position of output index o (x broadcasts to dim) */
static void bcast_copy(const xt *x, int r, const int64_t *dim, float *y) {
    int64_t ost[EXEC_MAX_RANK], xst[EXEC_MAX_RANK], bst[EXEC_MAX_RANK];
    nn_strides(r, dim, ost);
    nn_strides(x->rank, x->dim, xst);
    int off = r - x->rank;
    for (int k = 0; k < r; k++) bst[k] = k < off || x->dim[k - off] == 1 ? 0 : xst[k - off];
    size_t n = exec_count(r, dim);
    for (size_t o = 0; o < n; o++) {
        size_t rem = o, at = 0;
        for (int k = 0; k < r; k++) {
            size_t q = rem / (size_t)ost[k];
            rem %= (size_t)ost[k];
            at += q * (size_t)bst[k];
        }
        y[o] = x->d[at];
    }
}

/* the shape a rank-1 shape tensor holds */
static int shape_from(xctx *c, const xt *s, int64_t *dim, int *r) {
    if (!s || !s->d) return exec_fail(c, "missing shape input");
    if (s->n > EXEC_MAX_RANK) return exec_fail(c, "shape of rank %zu (at most %d)", s->n, EXEC_MAX_RANK);
    *r = (int)s->n;
    for (size_t i = 0; i < s->n; i++) {
        if (!(s->d[i] >= 0) || s->d[i] > 9.0e15) return exec_fail(c, "shape value %g out of range", (double)s->d[i]);
        dim[i] = exec_f2i(s->d[i]);
    }
    return 0;
}

/* copy x's block [lo[k], lo[k] + n[k]) along every axis k (step st[k]) into y */
static void strided_copy(const xt *x, const int64_t *lo, const int64_t *st, const int64_t *n, float *y) {
    int r = x->rank;
    int64_t xs[EXEC_MAX_RANK], idx[EXEC_MAX_RANK] = {0};
    nn_strides(r, x->dim, xs);
    size_t total = exec_count(r, n), k = 0;
    if (!total) return;
    for (;;) {
        int64_t at = 0;
        for (int d = 0; d < r; d++) at += (lo[d] + idx[d] * st[d]) * xs[d];
        y[k++] = x->d[at];
        int d = r - 1;
        while (d >= 0 && ++idx[d] == n[d]) idx[d--] = 0;
        if (d < 0) break;
    }
}

/* ---- slicing --------------------------------------------------------------------------- */

/* Python slice bounds of [b:e:s] over n (masked ends take the full range
 * in the stride's direction): first index, count. */
static void py_slice(int64_t n, int64_t b, int64_t e, int64_t s, bool bmask, bool emask, int64_t *first,
                     int64_t *count) {
    if (s > 0) {
        if (bmask) b = 0;
        else { if (b < 0) b += n; b = b < 0 ? 0 : b > n ? n : b; }
        if (emask) e = n;
        else { if (e < 0) e += n; e = e < 0 ? 0 : e > n ? n : e; }
        *count = e > b ? (e - b + s - 1) / s : 0;
    } else {
        if (bmask) b = n - 1;
        else { if (b < 0) b += n; b = b < -1 ? -1 : b > n - 1 ? n - 1 : b; }
        if (emask) e = -1;
        else { if (e < 0) e += n; e = e < -1 ? -1 : e > n - 1 ? n - 1 : e; }
        *count = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    *first = b;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3058-3100 SliceLayerParams:
 * [startIndex, endIndex) with a positive stride along axis -3 / -2 / -1
 * (CHANNEL / HEIGHT / WIDTH), negative indices from the end;
 * coremltools NeuralNetworkBuilder.add_slice: "Equivalent to numpy slice
 * [start_index:end_index:stride]". */
static int k_slice(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    const char *ax = exec_as(c, "axis");
    int back = !ax || !strcmp(ax, "CHANNEL_AXIS") ? 3 : !strcmp(ax, "HEIGHT_AXIS") ? 2 : 1;
    if (x->rank < back) return exec_fail(c, "rank %d is too small for the slice axis", x->rank);
    int axis = x->rank - back;
    int64_t s = exec_ai(c, "stride", 1);
    if (s < 1) s = 1;
    int64_t lo[EXEC_MAX_RANK] = {0}, st[EXEC_MAX_RANK], n[EXEC_MAX_RANK];
    for (int i = 0; i < x->rank; i++) { st[i] = 1; n[i] = x->dim[i]; }
    py_slice(x->dim[axis], exec_ai(c, "startIndex", 0), exec_ai(c, "endIndex", 0), s, false, false, &lo[axis], &n[axis]);
    st[axis] = s;
    xt *y = out_checked(c, 0, x->rank, n);
    if (!y) return -1;
    strided_copy(x, lo, st, n, y->d);
    return 0;
}

/* begin/end/stride/masks per axis: a list from input k (when present) or
 * the attribute; def when neither */
static int slice_param(xctx *c, size_t k, const char *name, int r, int64_t *v, int64_t def) {
    for (int i = 0; i < r; i++) v[i] = def;
    if (k && exec_nn_n_in(c) > k) {
        const xt *t = exec_nn_in(c, k);
        if (!t || !t->d || t->n < (size_t)r) return exec_fail(c, "input %zu holds fewer than %d values", k, r);
        for (int i = 0; i < r; i++) v[i] = exec_f2i(t->d[i]);
        return 0;
    }
    if (!name) return 0;
    int64_t tmp[EXEC_MAX_RANK];
    int n = exec_aints(c, name, tmp, EXEC_MAX_RANK);
    for (int i = 0; i < n && i < r; i++) v[i] = tmp[i];
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5850-5904,5906-5935
 * SliceStaticLayerParams / SliceDynamicLayerParams: per axis beginIds,
 * endIds, strides (negative allowed), beginMasks (begin ignored), endMasks
 * (end ignored), squeezeMasks (only beginIds[i] is taken and the axis is
 * dropped); "input[:3:2, 2::2, ::2]" semantics. sliceDynamic takes beginIds
 * from input 2 and, when present, endIds, strides, beginMasks, endMasks,
 * squeezeMasks from inputs 3..7 instead of the parameters. */
static int slice_nd(xctx *c, bool dynamic) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    int64_t b[EXEC_MAX_RANK], e[EXEC_MAX_RANK], s[EXEC_MAX_RANK], bm[EXEC_MAX_RANK], em[EXEC_MAX_RANK],
        sq[EXEC_MAX_RANK];
    if (dynamic && exec_nn_n_in(c) < 2) return exec_fail(c, "needs the begin indices as input 2");
    if (slice_param(c, dynamic ? 1 : 0, dynamic ? NULL : "beginIds", r, b, 0) ||
        slice_param(c, dynamic ? 2 : 0, "endIds", r, e, -1) || slice_param(c, dynamic ? 3 : 0, "strides", r, s, 1) ||
        slice_param(c, dynamic ? 4 : 0, "beginMasks", r, bm, 0) || slice_param(c, dynamic ? 5 : 0, "endMasks", r, em, 0) ||
        slice_param(c, dynamic ? 6 : 0, "squeezeMasks", r, sq, 0))
        return -1;
    int64_t lo[EXEC_MAX_RANK], st[EXEC_MAX_RANK], n[EXEC_MAX_RANK], odim[EXEC_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < r; i++) {
        if (sq[i]) {
            int64_t at = exec_wrap_index((double)b[i], x->dim[i]);
            if (at < 0) return exec_fail(c, "squeezed index %lld out of range on axis %d", (long long)b[i], i);
            lo[i] = at;
            st[i] = 1;
            n[i] = 1;
            continue;
        }
        if (s[i] == 0) return exec_fail(c, "stride 0 on axis %d", i);
        py_slice(x->dim[i], b[i], e[i], s[i], bm[i] != 0, em[i] != 0, &lo[i], &n[i]);
        st[i] = s[i];
        odim[orank++] = n[i];
    }
    xt *y = out_checked(c, 0, orank ? orank : 1, orank ? odim : (const int64_t[]){1});
    if (!y) return -1;
    strided_copy(x, lo, st, n, y->d);
    return 0;
}
static int k_sliceStatic(xctx *c) { return slice_nd(c, false); }
static int k_sliceDynamic(xctx *c) { return slice_nd(c, true); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6266-6290
 * SliceBySizeLayerParams: x[..., begin:begin+size, ...] on axis, begin
 * from input 2. */
static int k_sliceBySize(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *bt = exec_nn_in(c, 1);
    NEED(x, "input");
    NEED(bt, "begin");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0 || bt->n < 1) return exec_fail(c, "axis out of range");
    int64_t size = exec_ai(c, "size", 0), b = exec_f2i(bt->d[0]);
    if (b < 0) b += x->dim[axis];
    if (size < 0) size = x->dim[axis] - b;
    if (b < 0 || size < 0 || b + size > x->dim[axis])
        return exec_fail(c, "slice [%lld, %lld) out of range on axis %d (length %lld)", (long long)b,
                         (long long)(b + size), axis, (long long)x->dim[axis]);
    int64_t lo[EXEC_MAX_RANK] = {0}, st[EXEC_MAX_RANK], n[EXEC_MAX_RANK];
    for (int i = 0; i < x->rank; i++) { st[i] = 1; n[i] = x->dim[i]; }
    lo[axis] = b;
    n[axis] = size;
    xt *y = out_checked(c, 0, x->rank, n);
    if (!y) return -1;
    strided_copy(x, lo, st, n, y->d);
    return 0;
}

/* ---- splitting and stacking ------------------------------------------------------------- */

static int split_sizes(xctx *c, const xt *x, int axis, const int64_t *sizes, size_t n_out) {
    int64_t outer, len, inner, off = 0;
    outer_inner(x, axis, &outer, &len, &inner);
    int64_t total = 0;
    /* the sizes are uint64 in the proto: a huge one reads as negative here
     * and could still add up to the axis with a larger one beside it */
    for (size_t i = 0; i < n_out; i++) {
        if (sizes[i] < 0 || sizes[i] > len)
            return exec_fail(c, "split size %lld out of range for an axis of %lld%s", (long long)sizes[i], (long long)len,
                             sizes[i] < 0 ? " (a negative split size)" : "");
        total += sizes[i];
    }
    if (total != len) return exec_fail(c, "split sizes add up to %lld, the axis has %lld", (long long)total, (long long)len);
    for (size_t i = 0; i < n_out; i++) {
        int64_t dim[EXEC_MAX_RANK];
        memcpy(dim, x->dim, sizeof dim);
        dim[axis] = sizes[i];
        xt *y = exec_out(c, i, x->rank, dim);
        if (!y) return exec_fail(c, "out of memory");
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->d + o * sizes[i] * inner, x->d + (o * len + off) * inner, (size_t)(sizes[i] * inner) * sizeof(float));
        off += sizes[i];
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2333-2354 SplitLayerParams:
 * nOutputs equal parts along axis -3. */
static int k_split(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    size_t n = exec_n_outputs(c);
    if (!n) return exec_fail(c, "no outputs");
    int axis = nn_chan_axis(x->rank);
    if (x->dim[axis] % (int64_t)n) return exec_fail(c, "%lld channels do not split into %zu", (long long)x->dim[axis], n);
    int64_t *sizes = malloc(n * sizeof *sizes);
    if (!sizes) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) sizes[i] = x->dim[axis] / (int64_t)n;
    int rc = split_sizes(c, x, axis, sizes, n);
    free(sizes);
    return rc;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5753-5780
 * SplitNDLayerParams: splitSizes, else numSplits equal parts, along axis. */
static int k_splitND(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    size_t n = exec_n_outputs(c);
    if (!n) return exec_fail(c, "no outputs");
    int64_t *sizes = malloc(n * sizeof *sizes);
    if (!sizes) return exec_fail(c, "out of memory");
    const cml_attr *ss = exec_attr(c, "splitSizes");
    size_t ns = ss && ss->kind == CML_ATTR_INTS ? ss->n : ss && ss->kind == CML_ATTR_INT ? 1 : 0;
    int rc = 0;
    if (ns > 0) {
        if (ns != n) rc = exec_fail(c, "%zu split sizes for %zu outputs", ns, n);
        else exec_aints(c, "splitSizes", sizes, n);
    } else if (x->dim[axis] % (int64_t)n) {
        rc = exec_fail(c, "axis of %lld does not split into %zu", (long long)x->dim[axis], n);
    } else {
        for (size_t i = 0; i < n; i++) sizes[i] = x->dim[axis] / (int64_t)n;
    }
    if (rc == 0) rc = split_sizes(c, x, axis, sizes, n);
    free(sizes);
    return rc;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4964-4990
 * StackLayerParams: inputs of one shape stacked on a new axis (numpy.stack). */
static int k_stack(xctx *c) {
    size_t n = exec_nn_n_in(c);
    const xt *f = exec_nn_in(c, 0);
    NEED(f, "input");
    if (f->rank + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), f->rank + 1);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0, j = 0; i <= f->rank; i++) dim[i] = i == axis ? (int64_t)n : f->dim[j++];
    for (size_t i = 1; i < n; i++) {
        const xt *v = exec_nn_in(c, i);
        NEED(v, "input");
        if (v->rank != f->rank || memcmp(v->dim, f->dim, (size_t)f->rank * sizeof(int64_t)))
            return exec_fail(c, "inputs differ in shape");
    }
    xt *y = out_checked(c, 0, f->rank + 1, dim);
    if (!y) return -1;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= f->dim[i];
    for (int i = axis; i < f->rank; i++) inner *= f->dim[i];
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_nn_in(c, i);
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->d + (o * (int64_t)n + (int64_t)i) * inner, v->d + o * inner, (size_t)inner * sizeof(float));
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5937-5973
 * TileLayerParams: reps from input 2 or the parameter, 1s prepended up to
 * the input's rank; output dim = input dim * reps. */
static int k_tile(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    int64_t reps[EXEC_MAX_RANK], tmp[EXEC_MAX_RANK];
    int n;
    if (exec_nn_n_in(c) >= 2) {
        const xt *t = exec_nn_in(c, 1);
        NEED(t, "reps");
        n = (int)(t->n < EXEC_MAX_RANK ? t->n : EXEC_MAX_RANK + 1);
        for (int i = 0; i < n && i < EXEC_MAX_RANK; i++) tmp[i] = exec_f2i(t->d[i]);
    } else {
        n = exec_aints(c, "reps", tmp, EXEC_MAX_RANK);
    }
    if (n < 1 || n > r) return exec_fail(c, "%d reps for rank %d", n, r);
    for (int i = 0; i < r; i++) reps[i] = i < r - n ? 1 : tmp[i - (r - n)];
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        if (reps[i] < 0) return exec_fail(c, "negative reps");
        dim[i] = x->dim[i] * reps[i];
        if (x->dim[i] && dim[i] / x->dim[i] != reps[i]) return exec_fail(c, "output shape out of range");
    }
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    int64_t os[EXEC_MAX_RANK], xs[EXEC_MAX_RANK];
    nn_strides(r, dim, os);
    nn_strides(r, x->dim, xs);
    for (size_t o = 0; o < y->n; o++) {
        size_t rem = o, at = 0;
        for (int k = 0; k < r; k++) {
            size_t q = rem / (size_t)os[k];
            rem %= (size_t)os[k];
            at += (q % (size_t)exec_nz(x->dim[k])) * (size_t)xs[k];
        }
        y->d[o] = x->d[at];
    }
    return 0;
}

/* ---- permuting ---------------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2927-2968
 * PermuteLayerParams: a rank-5 blob [Seq, B, C, H, W]; axis permutes
 * [Seq, C, H, W] (axis[i] names the input axis of output axis i among
 * those four), B stays; "[0, 3, 1, 2]" gives [Seq, B, W, C, H]. A blob of
 * lower rank is read with leading 1s (and keeps rank 5). */
static int k_permute(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank > 5) return exec_fail(c, "input rank %d (permute works on rank 5)", x->rank);
    int64_t ax[4] = {0, 1, 2, 3};
    int na = exec_aints(c, "axis", ax, 4);
    if (na > 0 && na != 4) return exec_fail(c, "axis must have 4 values");
    xt x5 = *x;
    x5.rank = 5;
    for (int i = 0; i < 5; i++) x5.dim[i] = i < 5 - x->rank ? 1 : x->dim[i - (5 - x->rank)];
    /* the four permuted axes are input axes 0, 2, 3, 4 */
    static const int map[4] = {0, 2, 3, 4};
    int perm[5];
    bool seen[4] = {false, false, false, false};
    perm[1] = 1;
    for (int i = 0; i < 4; i++) {
        if (ax[i] < 0 || ax[i] > 3 || seen[ax[i]]) return exec_fail(c, "axis is not a permutation of 0..3");
        seen[ax[i]] = true;
        perm[map[i]] = map[ax[i]];
    }
    int64_t dim[5];
    for (int i = 0; i < 5; i++) dim[i] = x5.dim[perm[i]];
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_permute(&x5, perm, y);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2970-3056
 * ReorganizeDataLayerParams: SPACE_TO_DEPTH [C*b*b, H/b, W/b],
 * DEPTH_TO_SPACE [C/(b*b), H*b, W*b] taking output channel c, block
 * offset (i, j) from input channel (i*b + j)*C_out + c, PIXEL_SHUFFLE from
 * input channel c*b*b + i*b + j (the proto's C = 8, H = 1, W = 2 examples);
 * leading dims are batch. */
static int k_reorganizeData(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 3) return exec_fail(c, "input rank must be at least 3");
    int64_t b = exec_ai(c, "blockSize", 0);
    if (b < 2) return exec_fail(c, "blockSize must be at least 2");
    const char *m = exec_as(c, "mode");
    int mode = !m || !strcmp(m, "SPACE_TO_DEPTH") ? 0 : !strcmp(m, "DEPTH_TO_SPACE") ? 1 : 2;
    int64_t C = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1], Co, Ho, Wo, bb;
    /* blockSize is uint64: b * b (and C * b * b, H * b) may wrap, to 0 (a
     * division by zero) or to a small size the copy then overruns */
    if (__builtin_mul_overflow(b, b, &bb)) return exec_fail(c, "blockSize %lld is out of range", (long long)b);
    if (mode == 0) {
        if (H % b || W % b) return exec_fail(c, "blockSize %lld does not divide %lldx%lld", (long long)b, (long long)H, (long long)W);
        if (__builtin_mul_overflow(C, bb, &Co)) return exec_fail(c, "blockSize %lld is out of range", (long long)b);
        Ho = H / b; Wo = W / b;
    } else {
        if (C % bb) return exec_fail(c, "blockSize^2 does not divide %lld channels", (long long)C);
        if (__builtin_mul_overflow(H, b, &Ho) || __builtin_mul_overflow(W, b, &Wo))
            return exec_fail(c, "blockSize %lld is out of range", (long long)b);
        Co = C / bb;
    }
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 3] = Co; dim[r - 2] = Ho; dim[r - 1] = Wo;
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    size_t per = (size_t)(C * H * W), outer = x->n / exec_nz((int64_t)per);
    /* the deep side [Cd, Hs, Ws] (input of DEPTH_TO_SPACE, output of SPACE_TO_DEPTH) */
    int64_t Cs = mode == 0 ? C : Co, Hs = mode == 0 ? H : Ho, Ws = mode == 0 ? W : Wo; /* the shallow side */
    for (size_t o = 0; o < outer; o++) {
        const float *xs = x->d + o * per;
        float *ys = y->d + o * per;
        for (int64_t cc = 0; cc < Cs; cc++)
            for (int64_t h = 0; h < Hs; h++)
                for (int64_t w = 0; w < Ws; w++) {
                    int64_t i = h % b, j = w % b, hd = h / b, wd = w / b;
                    int64_t cd = mode == 2 ? cc * b * b + i * b + j : (i * b + j) * Cs + cc;
                    size_t shallow = (size_t)((cc * Hs + h) * Ws + w), deep = (size_t)((cd * (Hs / b) + hd) * (Ws / b) + wd);
                    if (mode == 0) ys[deep] = xs[shallow];
                    else ys[shallow] = xs[deep];
                }
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3413-3437
 * SequenceRepeatLayerParams: [nRepetitions * Seq, B, C, H, W] (the whole
 * sequence repeated), nRepetitions 0 meaning 1. */
static int k_sequenceRepeat(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t n = exec_ai(c, "nRepetitions", 1);
    if (n < 1) n = 1;
    int r = x->rank < 5 ? 5 : x->rank;
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0; i < r; i++) dim[i] = i < r - x->rank ? 1 : x->dim[i - (r - x->rank)];
    int sa = r - 5;
    int64_t outer = 1;
    for (int i = 0; i < sa; i++) outer *= dim[i];
    size_t block = x->n / exec_nz(outer);
    /* nRepetitions is uint64: the product may wrap to a small size that the
     * n copies below would overrun */
    if (__builtin_mul_overflow(dim[sa], n, &dim[sa]))
        return exec_fail(c, "nRepetitions %lld is out of range", (long long)n);
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++) memcpy(y->d + ((size_t)o * (size_t)n + (size_t)k) * block, x->d + (size_t)o * block, block * sizeof(float));
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3220-3277 CropLayerParams:
 * one input: [top:H-bottom, left:W-right] from cropAmounts (borderAmounts
 * [H, W]); two inputs: the second's H and W at offset [H, W]; leading dims
 * are batch. */
static int k_crop(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 2) return exec_fail(c, "input rank must be at least 2");
    int64_t H = x->dim[r - 2], W = x->dim[r - 1], t, l, ho, wo;
    if (exec_nn_n_in(c) >= 2) {
        const xt *ref = exec_nn_in(c, 1);
        NEED(ref, "reference");
        if (ref->rank < 2) return exec_fail(c, "reference rank must be at least 2");
        t = nn_list_at(c, "offset", 0, 0);
        l = nn_list_at(c, "offset", 1, 0);
        ho = ref->dim[ref->rank - 2];
        wo = ref->dim[ref->rank - 1];
    } else {
        t = exec_ai(c, "cropAmounts.borderAmounts[0].startEdgeSize", 0);
        l = exec_ai(c, "cropAmounts.borderAmounts[1].startEdgeSize", 0);
        int64_t eb = exec_ai(c, "cropAmounts.borderAmounts[0].endEdgeSize", 0);
        int64_t er = exec_ai(c, "cropAmounts.borderAmounts[1].endEdgeSize", 0);
        /* the amounts are uint64: compared, never summed, so none wraps */
        ho = t >= 0 && eb >= 0 && t <= H && eb <= H - t ? H - t - eb : -1;
        wo = l >= 0 && er >= 0 && l <= W && er <= W - l ? W - l - er : -1;
    }
    /* t + ho may wrap for an offset near 2^63 (reading before the input) */
    if (t < 0 || l < 0 || ho < 0 || wo < 0 || t > H || l > W || ho > H - t || wo > W - l)
        return exec_fail(c, "crop window %lldx%lld at (%lld, %lld) does not fit %lldx%lld", (long long)ho, (long long)wo,
                         (long long)t, (long long)l, (long long)H, (long long)W);
    int64_t lo[EXEC_MAX_RANK] = {0}, st[EXEC_MAX_RANK], n[EXEC_MAX_RANK];
    for (int i = 0; i < r; i++) { st[i] = 1; n[i] = x->dim[i]; }
    lo[r - 2] = t; lo[r - 1] = l; n[r - 2] = ho; n[r - 1] = wo;
    xt *y = out_checked(c, 0, r, n);
    if (!y) return -1;
    strided_copy(x, lo, st, n, y->d);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4063-4078
 * ReverseLayerParams: numpy.flip of the axes whose reverseDim is true
 * (an absent list flips nothing). */
static int k_reverse(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t rd[EXEC_MAX_RANK] = {0};
    int n = exec_aints(c, "reverseDim", rd, EXEC_MAX_RANK);
    if (n > 0 && n != x->rank) return exec_fail(c, "%d reverseDim values for rank %d", n, x->rank);
    int64_t lo[EXEC_MAX_RANK], st[EXEC_MAX_RANK], cnt[EXEC_MAX_RANK];
    for (int i = 0; i < x->rank; i++) {
        bool f = i < n && rd[i];
        lo[i] = f ? x->dim[i] - 1 : 0;
        st[i] = f ? -1 : 1;
        cnt[i] = x->dim[i];
    }
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    strided_copy(x, lo, st, cnt, y->d);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4080-4137
 * ReverseSeqLayerParams: for batch b (along batchAxis) the first
 * seq_lengths[b] entries along sequenceAxis are reversed, the rest kept. */
static int k_reverseSeq(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *len = exec_nn_in(c, 1);
    NEED(x, "data");
    NEED(len, "seq_lengths");
    int ba = exec_axis((int)exec_ai(c, "batchAxis", 0), x->rank), sa = exec_axis((int)exec_ai(c, "sequenceAxis", 0), x->rank);
    if (ba < 0 || sa < 0 || ba == sa) return exec_fail(c, "bad batchAxis / sequenceAxis");
    if ((int64_t)len->n < x->dim[ba]) return exec_fail(c, "seq_lengths holds %zu values for a batch of %lld", len->n, (long long)x->dim[ba]);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK];
    nn_strides(x->rank, x->dim, xs);
    for (size_t o = 0; o < x->n; o++) {
        int64_t bi = (int64_t)(o / (size_t)xs[ba]) % x->dim[ba], si = (int64_t)(o / (size_t)xs[sa]) % x->dim[sa];
        int64_t L = exec_f2i(len->d[bi]);
        if (L > x->dim[sa]) L = x->dim[sa];
        int64_t src = si < L ? L - 1 - si : si;
        y->d[o] = x->d[(int64_t)o + (src - si) * xs[sa]];
    }
    return 0;
}

/* ---- gather / scatter ----------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4687-4725
 * GatherLayerParams: numpy.take(data, indices, axis): output shape
 * data.shape[:axis] + indices.shape + data.shape[axis+1:]; negative
 * indices and axis allowed. */
static int k_gather(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *ix = exec_nn_in(c, 1);
    NEED(x, "data");
    NEED(ix, "indices");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int r = x->rank - 1 + ix->rank;
    if (r > EXEC_MAX_RANK) return exec_fail(c, "output rank %d too large", r);
    int64_t dim[EXEC_MAX_RANK];
    int k = 0;
    for (int i = 0; i < axis; i++) dim[k++] = x->dim[i];
    for (int i = 0; i < ix->rank; i++) dim[k++] = ix->dim[i];
    for (int i = axis + 1; i < x->rank; i++) dim[k++] = x->dim[i];
    if (r == 0) { dim[0] = 1; r = 1; }
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    int64_t outer, n, inner;
    outer_inner(x, axis, &outer, &n, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (size_t j = 0; j < ix->n; j++) {
            int64_t at = exec_wrap_index(ix->d[j], n);
            if (at < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)ix->d[j], (long long)n);
            memcpy(y->d + ((size_t)o * ix->n + j) * (size_t)inner, x->d + (o * n + at) * inner, (size_t)inner * sizeof(float));
        }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4727-4740 ScatterMode:
 * SCATTER_UPDATE, ADD, SUB, MUL, DIV, MAX, MIN */
static int scatter_mode(xctx *c) {
    const char *m = exec_as(c, "mode");
    static const char *const names[] = {"SCATTER_UPDATE", "SCATTER_ADD", "SCATTER_SUB", "SCATTER_MUL",
                                        "SCATTER_DIV",    "SCATTER_MAX", "SCATTER_MIN"};
    for (int i = 0; m && i < 7; i++)
        if (!strcmp(m, names[i])) return i;
    return 0;
}

static inline float scatter_apply(int mode, float old, float u) {
    switch (mode) {
    case 1: return old + u;
    case 2: return old - u;
    case 3: return old * u;
    case 4: return old / u;
    case 5: return old > u ? old : u;
    case 6: return old < u ? old : u;
    default: return u;
    }
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4805-4810
 * ScatterLayerParams: output = container; output[..., indices[i..j], ...]
 * (on axis) op= updates[..., i..j, ...]; updates shaped
 * container.shape[:axis] + indices.shape + container.shape[axis+1:]. */
static int k_scatter(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *ix = exec_nn_in(c, 1), *u = exec_nn_in(c, 2);
    NEED(x, "container");
    NEED(ix, "indices");
    NEED(u, "updates");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int64_t outer, n, inner;
    outer_inner(x, axis, &outer, &n, &inner);
    if (u->n != (size_t)outer * ix->n * (size_t)inner)
        return exec_fail(c, "updates hold %zu values, %zu expected", u->n, (size_t)outer * ix->n * (size_t)inner);
    int mode = scatter_mode(c);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    memcpy(y->d, x->d, x->n * sizeof(float));
    for (int64_t o = 0; o < outer; o++)
        for (size_t j = 0; j < ix->n; j++) {
            int64_t at = exec_wrap_index(ix->d[j], n);
            if (at < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)ix->d[j], (long long)n);
            float *dst = y->d + (o * n + at) * inner;
            const float *src = u->d + ((size_t)o * ix->n + j) * (size_t)inner;
            for (int64_t i = 0; i < inner; i++) dst[i] = scatter_apply(mode, dst[i], src[i]);
        }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4812-4852
 * GatherNDLayerParams: indices [I_0..I_{K-1}, I_K]; output[i..j, ...] =
 * params[indices[i..j, :], ...]; output shape [I_0..I_{K-1}] +
 * params.shape[I_K:]. */
static int k_gatherND(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *ix = exec_nn_in(c, 1);
    NEED(x, "params");
    NEED(ix, "indices");
    if (ix->rank < 1) return exec_fail(c, "indices must have rank >= 1");
    int64_t K = ix->dim[ix->rank - 1];
    if (K < 1 || K > x->rank) return exec_fail(c, "index depth %lld for params of rank %d", (long long)K, x->rank);
    int r = ix->rank - 1 + x->rank - (int)K;
    if (r > EXEC_MAX_RANK) return exec_fail(c, "output rank too large");
    int64_t dim[EXEC_MAX_RANK];
    int k = 0;
    for (int i = 0; i < ix->rank - 1; i++) dim[k++] = ix->dim[i];
    for (int i = (int)K; i < x->rank; i++) dim[k++] = x->dim[i];
    if (r == 0) { dim[0] = 1; r = 1; }
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    int64_t xs[EXEC_MAX_RANK];
    nn_strides(x->rank, x->dim, xs);
    size_t inner = 1, pts = ix->n / exec_nz(K);
    for (int i = (int)K; i < x->rank; i++) inner *= (size_t)x->dim[i];
    for (size_t p = 0; p < pts; p++) {
        int64_t at = 0;
        for (int64_t d = 0; d < K; d++) {
            int64_t v = exec_wrap_index(ix->d[p * (size_t)K + (size_t)d], x->dim[d]);
            if (v < 0) return exec_fail(c, "index %g out of range on axis %lld", (double)ix->d[p * (size_t)K + (size_t)d], (long long)d);
            at += v * xs[d];
        }
        memcpy(y->d + p * inner, x->d + at, inner * sizeof(float));
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4854-4892
 * ScatterNDLayerParams: output = container; output[indices[i..j, :], ...]
 * op= updates[i..j, ...]. */
static int k_scatterND(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *ix = exec_nn_in(c, 1), *u = exec_nn_in(c, 2);
    NEED(x, "container");
    NEED(ix, "indices");
    NEED(u, "updates");
    if (ix->rank < 1) return exec_fail(c, "indices must have rank >= 1");
    int64_t K = ix->dim[ix->rank - 1];
    if (K < 1 || K > x->rank) return exec_fail(c, "index depth %lld for a container of rank %d", (long long)K, x->rank);
    int64_t xs[EXEC_MAX_RANK];
    nn_strides(x->rank, x->dim, xs);
    size_t inner = 1, pts = ix->n / exec_nz(K);
    for (int i = (int)K; i < x->rank; i++) inner *= (size_t)x->dim[i];
    if (u->n != pts * inner) return exec_fail(c, "updates hold %zu values, %zu expected", u->n, pts * inner);
    int mode = scatter_mode(c);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    memcpy(y->d, x->d, x->n * sizeof(float));
    for (size_t p = 0; p < pts; p++) {
        int64_t at = 0;
        for (int64_t d = 0; d < K; d++) {
            int64_t v = exec_wrap_index(ix->d[p * (size_t)K + (size_t)d], x->dim[d]);
            if (v < 0) return exec_fail(c, "index %g out of range on axis %lld", (double)ix->d[p * (size_t)K + (size_t)d], (long long)d);
            at += v * xs[d];
        }
        for (size_t i = 0; i < inner; i++) y->d[at + (int64_t)i] = scatter_apply(mode, y->d[at + (int64_t)i], u->d[p * inner + i]);
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4894-4926,4928-4962,4727-4740
 * GatherAlongAxisLayerParams (numpy.take_along_axis) and
 * ScatterAlongAxisLayerParams (numpy.put_along_axis with a ScatterMode):
 * indices shaped like data except on axis. */
static int along_axis(xctx *c, bool scatter) {
    const xt *x = exec_nn_in(c, 0), *ix = exec_nn_in(c, 1), *u = scatter ? exec_nn_in(c, 2) : NULL;
    NEED(x, "data");
    NEED(ix, "indices");
    if (scatter) NEED(u, "updates");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0 || ix->rank != x->rank) return exec_fail(c, "axis out of range or ranks differ");
    for (int i = 0; i < x->rank; i++)
        if (i != axis && ix->dim[i] != x->dim[i]) return exec_fail(c, "indices differ from data off the axis");
    if (scatter && u->n != ix->n) return exec_fail(c, "updates and indices differ in size");
    int64_t outer, n, inner, ni = ix->dim[axis];
    outer_inner(x, axis, &outer, &n, &inner);
    xt *y = scatter ? exec_out_like(c, 0, x) : exec_out_like(c, 0, ix);
    if (!y) return exec_fail(c, "out of memory");
    if (scatter) memcpy(y->d, x->d, x->n * sizeof(float));
    int mode = scatter ? scatter_mode(c) : 0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++)
            for (int64_t i = 0; i < inner; i++) {
                size_t q = (size_t)((o * ni + j) * inner + i);
                int64_t at = exec_wrap_index(ix->d[q], n);
                if (at < 0) return exec_fail(c, "index %g out of range [0, %lld)", (double)ix->d[q], (long long)n);
                size_t p = (size_t)((o * n + at) * inner + i);
                if (scatter) y->d[p] = scatter_apply(mode, y->d[p], u->d[q]);
                else y->d[q] = x->d[p];
            }
    return 0;
}
static int k_gatherAlongAxis(xctx *c) { return along_axis(c, false); }
static int k_scatterAlongAxis(xctx *c) { return along_axis(c, true); }

/* ---- constants, fills, shapes ----------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2780-2807,4139-4158
 * LoadConstantLayerParams: data of shape [C, H, W] as a rank-5 blob
 * [1, 1, C, H, W]; LoadConstantNDLayerParams: data of shape `shape`. */
static int load_constant(xctx *c, bool nd) {
    const xt *d = exec_aval(c, "data");
    NEED(d, "data");
    int64_t sh[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    int n = exec_aints(c, "shape", sh, EXEC_MAX_RANK);
    int r;
    if (nd) {
        if (n < 1) return exec_fail(c, "shape missing");
        r = n;
        memcpy(dim, sh, sizeof dim);
    } else {
        if (n != 3) return exec_fail(c, "shape must have 3 values [C, H, W]");
        r = 5;
        dim[0] = dim[1] = 1;
        dim[2] = sh[0]; dim[3] = sh[1]; dim[4] = sh[2];
    }
    if (!shape_ok(r, dim) || exec_count(r, dim) != d->n)
        return exec_fail(c, "data holds %zu values, the shape %zu", d->n, shape_ok(r, dim) ? exec_count(r, dim) : 0);
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    memcpy(y->d, d->d, d->n * sizeof(float));
    return 0;
}
static int k_loadConstant(xctx *c) { return load_constant(c, false); }
static int k_loadConstantND(xctx *c) { return load_constant(c, true); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5975-5986
 * GetShapeLayerParams: a rank-1 tensor of the input's dims. */
static int k_getShape(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t n = x->rank;
    xt *y = exec_out(c, 0, 1, &n);
    if (!y) return exec_fail(c, "out of memory");
    for (int i = 0; i < x->rank; i++) y->d[i] = (float)x->dim[i];
    return 0;
}

/* The shape a ...Like / ...Static / ...Dynamic layer targets: input `in`'s
 * own shape, the targetShape parameter, or the shape input `in` holds. */
enum { TS_LIKE, TS_STATIC, TS_DYNAMIC };
static int target_shape(xctx *c, int how, int in, int64_t *dim, int *r) {
    if (how == TS_STATIC) {
        int n = exec_aints(c, "targetShape", dim, EXEC_MAX_RANK);
        if (n < 1) return exec_fail(c, "targetShape missing");
        *r = n;
        return 0;
    }
    const xt *s = exec_nn_in(c, in);
    if (how == TS_DYNAMIC) return shape_from(c, s, dim, r);
    NEED(s, in ? "shape reference" : "input");
    *r = s->rank;
    memcpy(dim, s->dim, (size_t)s->rank * sizeof(int64_t));
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4160-4183,4185-4204,4206-4227
 * FillLikeLayerParams (the input's shape), FillStaticLayerParams
 * (targetShape), FillDynamicLayerParams (the shape the input holds): every
 * value `value`. */
static int fill(xctx *c, int how) {
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    if (target_shape(c, how, 0, dim, &r) != 0) return -1;
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    float v = (float)exec_af(c, "value", 0);
    for (size_t i = 0; i < y->n; i++) y->d[i] = v;
    return 0;
}
static int k_fillLike(xctx *c) { return fill(c, TS_LIKE); }
static int k_fillStatic(xctx *c) { return fill(c, TS_STATIC); }
static int k_fillDynamic(xctx *c) { return fill(c, TS_DYNAMIC); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4570-4584,4586-4599,4601-4613
 * BroadcastToLikeLayerParams (the second input's shape),
 * BroadcastToStaticLayerParams (targetShape), BroadcastToDynamicLayerParams
 * (the shape input 2 holds): numpy broadcasting of the input. */
static int broadcast_to(xctx *c, int how) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    xt t = {.rank = 0};
    if (target_shape(c, how, 1, t.dim, &t.rank) != 0) return -1;
    int orank;
    int64_t odim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(x, &t, &orank, odim) != 0) return exec_fail(c, "the input does not broadcast to the shape");
    xt *y = out_checked(c, 0, orank, odim);
    if (!y) return -1;
    bcast_copy(x, orank, odim, y->d);
    return 0;
}
static int k_broadcastToLike(xctx *c) { return broadcast_to(c, TS_LIKE); }
static int k_broadcastToStatic(xctx *c) { return broadcast_to(c, TS_STATIC); }
static int k_broadcastToDynamic(xctx *c) { return broadcast_to(c, TS_DYNAMIC); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5606-5619
 * ReshapeLikeLayerParams: the input's values in the second input's shape. */
static int k_reshapeLike(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *s = exec_nn_in(c, 1);
    NEED(x, "input");
    NEED(s, "shape reference");
    return nn_copy_as(c, x, s->rank, s->dim);
}

/* a target shape with 0 (keep the input's dim, where `zero_keeps`) and one
 * -1 (inferred) resolved against x */
static int resolve_shape(xctx *c, const xt *x, int64_t *t, int n, bool zero_keeps) {
    int infer = -1;
    size_t known = 1;
    for (int i = 0; i < n; i++) {
        if (t[i] == 0 && zero_keeps) {
            if (i >= x->rank) return exec_fail(c, "0 in the target shape past the input's rank");
            t[i] = x->dim[i];
        }
        if (t[i] == -1) {
            if (infer >= 0) return exec_fail(c, "more than one -1 in the target shape");
            infer = i;
            continue;
        }
        if (t[i] < 0) return exec_fail(c, "negative target dim %lld", (long long)t[i]);
        known *= (size_t)t[i];
    }
    if (infer >= 0) t[infer] = known ? (int64_t)(x->n / known) : 0;
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5621-5632
 * ReshapeDynamicLayerParams: the shape input 2 holds (-1 inferred). */
static int k_reshapeDynamic(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *s = exec_nn_in(c, 1);
    NEED(x, "input");
    NEED(s, "shape");
    if (s->n < 1 || s->n > EXEC_MAX_RANK) return exec_fail(c, "shape of rank %zu", s->n);
    int64_t t[EXEC_MAX_RANK];
    for (size_t i = 0; i < s->n; i++) t[i] = exec_f2i(s->d[i]);
    if (resolve_shape(c, x, t, (int)s->n, false) != 0) return -1;
    return nn_copy_as(c, x, (int)s->n, t);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4992-5021
 * RankPreservingReshapeLayerParams: targetShape of the input's rank, 0
 * keeps the input's dim, one -1 is inferred. */
static int k_rankPreservingReshape(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t t[EXEC_MAX_RANK];
    int n = exec_aints(c, "targetShape", t, EXEC_MAX_RANK);
    if (n != x->rank) return exec_fail(c, "targetShape has %d values for rank %d", n, x->rank);
    if (resolve_shape(c, x, t, n, true) != 0) return -1;
    return nn_copy_as(c, x, n, t);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5023-5077
 * ConstantPaddingLayerParams: padAmounts [before_0, after_0, ...] (or the
 * second input) of the input's rank; padToGivenOutputSizeMode: a nonzero
 * amount is the output size, the padding going where it is given. */
static int k_constantPad(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    int64_t pa[2 * EXEC_MAX_RANK] = {0};
    int n;
    if (exec_nn_n_in(c) >= 2) {
        const xt *p = exec_nn_in(c, 1);
        NEED(p, "pad amounts");
        n = (int)(p->n > 2 * EXEC_MAX_RANK ? 2 * EXEC_MAX_RANK + 1 : p->n);
        for (int i = 0; i < n && i < 2 * EXEC_MAX_RANK; i++) pa[i] = exec_f2i(p->d[i]);
    } else {
        n = exec_aints(c, "padAmounts", pa, 2 * EXEC_MAX_RANK);
    }
    if (n != 2 * r) return exec_fail(c, "%d pad amounts for rank %d", n, r);
    bool to_size = exec_ab(c, "padToGivenOutputSizeMode");
    int64_t before[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    for (int i = 0; i < r; i++) {
        int64_t b = pa[2 * i], a = pa[2 * i + 1];
        if (b < 0 || a < 0) return exec_fail(c, "negative pad amount");
        if (to_size) {
            if (b && a) return exec_fail(c, "both pad amounts of axis %d set in output-size mode", i);
            int64_t want = b > a ? b : a, o = want > x->dim[i] ? want : x->dim[i];
            before[i] = b ? o - x->dim[i] : 0;
            dim[i] = o;
        } else {
            before[i] = b;
            /* amounts near 2^63 would wrap the size (writes outside the output) */
            if (__builtin_add_overflow(x->dim[i], b, &dim[i]) || __builtin_add_overflow(dim[i], a, &dim[i]))
                return exec_fail(c, "pad amounts of axis %d are out of range", i);
        }
    }
    xt *y = out_checked(c, 0, r, dim);
    if (!y) return -1;
    float v = (float)exec_af(c, "value", 0);
    for (size_t i = 0; i < y->n; i++) y->d[i] = v;
    int64_t os[EXEC_MAX_RANK], idx[EXEC_MAX_RANK] = {0};
    nn_strides(r, dim, os);
    for (size_t k = 0; k < x->n; k++) {
        int64_t at = 0;
        for (int d = 0; d < r; d++) at += (idx[d] + before[d]) * os[d];
        y->d[at] = x->d[k];
        int d = r - 1;
        while (d >= 0 && ++idx[d] == x->dim[d]) idx[d--] = 0;
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6036-6049,6051-6070
 * RangeStaticLayerParams / RangeDynamicLayerParams: numpy.arange(start,
 * end, step); the dynamic layer reads end, then start and step, from its
 * inputs when present. */
static int range(xctx *c, double start, double end, double step) {
    if (step == 0 || !isfinite(start) || !isfinite(end) || !isfinite(step)) return exec_fail(c, "bad range (step %g)", step);
    double cnt = ceil((end - start) / step);
    if (cnt < 0) cnt = 0;
    if (cnt > 4.0e18) return exec_fail(c, "range of %g values", cnt);
    int64_t n = (int64_t)cnt;
    xt *y = out_checked(c, 0, 1, &n);
    if (!y) return -1;
    for (int64_t i = 0; i < n; i++) y->d[i] = (float)(start + (double)i * step);
    return 0;
}
static int k_rangeStatic(xctx *c) {
    return range(c, exec_af(c, "startValue", 0), exec_af(c, "endValue", 0), exec_af(c, "stepSizeValue", 0));
}
static int k_rangeDynamic(xctx *c) {
    double v[3] = {0, exec_af(c, "startValue", 0), exec_af(c, "stepSizeValue", 0)};
    size_t n = exec_nn_n_in(c);
    if (n < 1) return exec_fail(c, "needs the end value as input");
    for (size_t i = 0; i < n && i < 3; i++) {
        const xt *t = exec_nn_in(c, i);
        NEED(t, "range input");
        if (t->n < 1) return exec_fail(c, "empty range input");
        v[i] = t->d[0];
    }
    return range(c, v[1], v[0], v[2]);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6072-6104
 * SlidingWindowsLayerParams: windows of windowSize every step along axis:
 * [.., L, ..] -> [.., M, W, ..], M = (L - W) / step + 1. */
static int k_slidingWindows(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    int64_t W = exec_ai(c, "windowSize", 0), s = exec_ai(c, "step", 1);
    if (axis < 0 || W < 1 || s < 1 || W > x->dim[axis]) return exec_fail(c, "bad axis, windowSize or step");
    int64_t outer, L, inner;
    outer_inner(x, axis, &outer, &L, &inner);
    int64_t M = (L - W) / s + 1, dim[EXEC_MAX_RANK];
    for (int i = 0; i < axis; i++) dim[i] = x->dim[i];
    dim[axis] = M;
    dim[axis + 1] = W;
    for (int i = axis + 1; i < x->rank; i++) dim[i + 1] = x->dim[i];
    xt *y = out_checked(c, 0, x->rank + 1, dim);
    if (!y) return -1;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t m = 0; m < M; m++)
            memcpy(y->d + ((o * M + m) * W) * inner, x->d + (o * L + m * s) * inner, (size_t)(W * inner) * sizeof(float));
    return 0;
}

/* ---- masks, one-hot, cumulative sums --------------------------------------------------------- */

/* keep x[.., m, n] where dlo <= n - m <= dhi */
static int diagonals(xctx *c, int64_t dlo, int64_t dhi) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank < 2) return exec_fail(c, "input rank must be at least 2");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    exec_diagonals(x, dlo, dhi, y->d);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4518-4538
 * MatrixBandPartLayerParams: band(m, n) = (numLower < 0 || m - n <=
 * numLower) && (numUpper < 0 || n - m <= numUpper) on the last two dims. */
static int k_matrixBandPart(xctx *c) {
    int64_t dlo, dhi;
    exec_band_bounds(exec_ai(c, "numLower", 0), exec_ai(c, "numUpper", 0), &dlo, &dhi);
    return diagonals(c, dlo, dhi);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4555-4568,4540-4553
 * LowerTriangularLayerParams / UpperTriangularLayerParams: zero above /
 * below diagonal k (numpy.tril / numpy.triu). */
static int tri(xctx *c, bool lower) {
    int64_t k = exec_ai(c, "k", 0);
    return lower ? diagonals(c, INT64_MIN, k) : diagonals(c, k, INT64_MAX);
}
static int k_lowerTriangular(xctx *c) { return tri(c, true); }
static int k_upperTriangular(xctx *c) { return tri(c, false); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6355-6361
 * OneHotLayerParams: a new axis (an output axis, negative allowed) of
 * oneHotVectorSize (or the value of input 2); onValue at the index,
 * offValue elsewhere, all offValue for an index out of range. */
static int k_oneHot(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "indices");
    if (x->rank + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t depth = exec_ai(c, "oneHotVectorSize", 0);
    if (exec_nn_n_in(c) >= 2) {
        const xt *d = exec_nn_in(c, 1);
        NEED(d, "depth");
        if (d->n < 1) return exec_fail(c, "empty depth input");
        depth = exec_f2i(d->d[0]);
    }
    if (depth < 0) return exec_fail(c, "negative one-hot size");
    int axis = exec_axis((int)exec_ai(c, "axis", -1), x->rank + 1);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int64_t dim[EXEC_MAX_RANK];
    for (int i = 0, j = 0; i <= x->rank; i++) dim[i] = i == axis ? depth : x->dim[j++];
    xt *y = out_checked(c, 0, x->rank + 1, dim);
    if (!y) return -1;
    float on = (float)exec_af(c, "onValue", 0), off = (float)exec_af(c, "offValue", 0);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dim[i];
    for (int i = axis; i < x->rank; i++) inner *= x->dim[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t d = 0; d < depth; d++)
            for (int64_t i = 0; i < inner; i++) {
                double v = x->d[o * inner + i];
                y->d[(o * depth + d) * inner + i] = v == (double)d ? on : off;
            }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6394-6404
 * CumSumLayerParams: cumulative sum along axis (or the axis input 2
 * holds); excludeFinalSum shifts by one (exclusive), reverse runs from the
 * end ([4, 6, 7] -> [4, 10, 17], [0, 4, 10], [17, 13, 7], [13, 7, 0]). */
static int k_cumSum(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t a = exec_ai(c, "axis", 0);
    if (exec_nn_n_in(c) >= 2) {
        const xt *t = exec_nn_in(c, 1);
        NEED(t, "axis");
        if (t->n < 1) return exec_fail(c, "empty axis input");
        a = exec_f2i(t->d[0]);
    }
    int axis = exec_axis((int)a, x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    bool excl = exec_ab(c, "excludeFinalSum"), rev = exec_ab(c, "reverse");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t outer, n, inner;
    outer_inner(x, axis, &outer, &n, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = 0;
            for (int64_t k = 0; k < n; k++) {
                int64_t j = rev ? n - 1 - k : k;
                size_t at = (size_t)((o * n + j) * inner + i);
                double v = x->d[at];
                if (excl) { y->d[at] = (float)acc; acc += v; }
                else { acc += v; y->d[at] = (float)acc; }
            }
        }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4481-4516
 * WhereNonZeroLayerParams: [N, R] multi-indices of the non-zero values in
 * C order. */
static int k_whereNonZero(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t n = 0;
    for (size_t i = 0; i < x->n; i++) n += x->d[i] != 0.0f;
    int64_t dim[2] = {n, x->rank};
    xt *y = exec_out(c, 0, 2, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK];
    nn_strides(x->rank, x->dim, xs);
    size_t k = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (x->d[i] == 0.0f) continue;
        for (int d = 0; d < x->rank; d++) y->d[k++] = (float)((int64_t)(i / (size_t)xs[d]) % x->dim[d]);
    }
    return 0;
}

static const exec_kdef SHAPE[] = {
    NN_K(broadcastToDynamic), NN_K(broadcastToLike), NN_K(broadcastToStatic), NN_K(constantPad), NN_K(crop),
    NN_K(cumSum), NN_K(fillDynamic), NN_K(fillLike), NN_K(fillStatic), NN_K(gather), NN_K(gatherAlongAxis),
    NN_K(gatherND), NN_K(getShape), NN_K(loadConstant), NN_K(loadConstantND), NN_K(lowerTriangular),
    NN_K(matrixBandPart), NN_K(oneHot), NN_K(permute), NN_K(rangeDynamic), NN_K(rangeStatic),
    NN_K(rankPreservingReshape), NN_K(reorganizeData), NN_K(reshapeDynamic), NN_K(reshapeLike), NN_K(reverse),
    NN_K(reverseSeq), NN_K(scatter), NN_K(scatterAlongAxis), NN_K(scatterND), NN_K(sequenceRepeat), NN_K(slice),
    NN_K(sliceBySize), NN_K(sliceDynamic), NN_K(sliceStatic), NN_K(slidingWindows), NN_K(split), NN_K(splitND),
    NN_K(stack), NN_K(tile), NN_K(upperTriangular), NN_K(whereNonZero),
};
NN_TABLE(NN_SHAPE_TABLE, SHAPE);
