/* SPDX-License-Identifier: Apache-2.0 */
/* nn_misc.c — NeuralNetwork control flow (branch, loop, loopBreak,
 * loopContinue) and the layers that fit no other family: embeddings,
 * top-k, argmax / argmin / argsort, non-maximum suppression, the random
 * layers, one-hot, the 3-D convolution and pooling, dot product and the
 * two-input batched matmul.
 *
 * Control flow: the IR gives a branch or loop layer its nested networks
 * as blocks, in the order of the parameter fields present (ifBranch then
 * elseBranch; conditionNetwork then bodyNetwork), and exec.c lays their
 * steps out after the layer's; the kernels here decide which block runs and
 * how often (exec_run_block). Blobs are one namespace (exec.c keeps a slot
 * per name), so what a body writes is what the condition and later layers
 * read. */
#define _DEFAULT_SOURCE 1 /* M_PI */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* ---- control flow --------------------------------------------------------------------- */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:706-730
 * BranchLayerParams: one scalar input; ifBranch runs when |x| > 1e-6,
 * elseBranch (optional) otherwise; no outputs. */
static int k_branch(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "condition");
    if (x->n < 1) return exec_fail(c, "the condition is empty");
    bool has_if = exec_ab(c, "ifBranch"), has_else = exec_ab(c, "elseBranch");
    int which = nn_true(x->d[0]) ? (has_if ? 0 : -1) : (has_else ? (has_if ? 1 : 0) : -1);
    if (which < 0) return 0;
    int r = exec_run_block(c, (size_t)which);
    if (r < 0) return -1;
    c->flow = r; /* a loopBreak / loopContinue inside the branch reaches the loop */
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:732-805
 * LoopLayerParams: the input (when present) is the maximum iteration count
 * and maxLoopIterations is ignored; without conditionNetwork the body runs
 * maxLoopIterations times; with it and no limit (0, no input) it is a
 * while loop on the blob conditionVar, which conditionNetwork computes
 * before every iteration; with both, the loop stops at whichever comes
 * first. A value close to 0 is false. :807-833 LoopBreakLayerParams /
 * LoopContinueLayerParams end the loop / the iteration.
 * A loop is stopped with an error once the run's loops have taken the plan's
 * loop_limit iterations together (exec_opts.loop_limit, exec_loop_tick): a
 * while loop whose condition never turns false, or loops nested deep, must
 * not run for ever. */
static int k_loop(xctx *c) {
    bool has_cond = exec_ab(c, "conditionNetwork"), has_body = exec_ab(c, "bodyNetwork");
    int cond_blk = has_cond ? 0 : -1, body_blk = has_body ? (has_cond ? 1 : 0) : -1;
    const char *var = exec_as(c, "conditionVar");
    if (has_cond && (!var || !*var)) return exec_fail(c, "conditionNetwork without a conditionVar");
    uint64_t limit = UINT64_MAX;
    bool bounded = false;
    if (exec_nn_n_in(c) >= 1) {
        const xt *m = exec_nn_in(c, 0);
        NEED(m, "iteration count");
        double v = m->n ? m->d[0] : 0;
        limit = v > 0 ? (v >= 1.8e19 ? UINT64_MAX : (uint64_t)v) : 0;
        bounded = true;
    } else {
        const cml_attr *a = exec_attr(c, "maxLoopIterations");
        uint64_t v = a && a->kind == CML_ATTR_INT ? (uint64_t)a->i : 0;
        if (v || !has_cond) {
            limit = v;
            bounded = true;
        }
    }
    for (uint64_t it = 0;; it++) {
        if (bounded && it >= limit) break;
        if (has_cond) {
            int r = exec_run_block(c, (size_t)cond_blk);
            if (r < 0) return -1;
            const xt *cv = exec_blob(c, var);
            if (!cv || !cv->d || cv->n < 1)
                return exec_fail(c, "conditionNetwork did not produce the condition blob '%s'", var);
            if (!nn_true(cv->d[0])) break;
        }
        if (exec_loop_tick(c, has_cond ? "its condition never turned false" : "maxLoopIterations is larger") != 0)
            return -1;
        if (body_blk < 0) continue;
        int r = exec_run_block(c, (size_t)body_blk);
        if (r < 0) return -1;
        if (r == EXEC_FLOW_BREAK) break;
    }
    return 0;
}

static int k_loopBreak(xctx *c) {
    c->flow = EXEC_FLOW_BREAK;
    return 0;
}

static int k_loopContinue(xctx *c) {
    c->flow = EXEC_FLOW_CONTINUE;
    return 0;
}

/* ---- custom layers ----------------------------------------------------------------------- */

/* A custom layer runs the app's own class (CustomLayerParams.className),
 * which no executor outside the app has. */
static int chk_custom(const exec_io *io, const cml_op *op, char *why, size_t n) {
    (void)io;
    const cml_attr *cn = cml_op_attr(op, "className");
    snprintf(why, n, "custom layer%s%s%s: needs the app's own implementation", cn && cn->s && *cn->s ? " '" : "",
             cn && cn->s ? cn->s : "", cn && cn->s && *cn->s ? "'" : "");
    return -1;
}
static int k_custom(xctx *c) { return exec_fail(c, "custom layers need the app's own implementation"); }

/* ---- embeddings ---------------------------------------------------------------------------- */

static int embed(xctx *c, const xt *x, const float *w, const float *b, int64_t vocab, int64_t width, float *y) {
    for (size_t i = 0; i < x->n; i++) {
        double v = x->d[i];
        int64_t k = exec_f2i(v);
        if (!(v >= 0) || k >= vocab)
            return exec_fail(c, "index %g out of range [0, %lld)", v, (long long)vocab);
        for (int64_t j = 0; j < width; j++) y[i * (size_t)width + (size_t)j] = w[j * vocab + k] + (b ? b[j] : 0.0f);
    }
    return 0;
}

/* The table and bias of an embedding layer, checked against its sizes
 * (the attributes named vocab and width): 0, or -1 after exec_fail. */
static int embed_params(xctx *c, const char *vocab, const char *width, int64_t *V, int64_t *E, const xt **w,
                        const xt **b) {
    *V = exec_ai(c, vocab, 0);
    *E = exec_ai(c, width, 0);
    *w = exec_aval(c, "weights");
    *b = exec_ab(c, "hasBias") ? exec_aval(c, "bias") : NULL;
    NEED(*w, "weights");
    /* both sizes are uint64 in the proto: their product may wrap to a small
     * count that the weights match, and rows are then read V values apart */
    int64_t want;
    if (*V < 1 || *E < 1 || __builtin_mul_overflow(*V, *E, &want))
        return exec_fail(c, "%s %lld x %s %lld: out of range (the weight count overflows)", vocab, (long long)*V, width,
                         (long long)*E);
    if ((*w)->n != (uint64_t)want)
        return exec_fail(c, "weights hold %zu values for %lldx%lld", (*w)->n, (long long)*E, (long long)*V);
    if (*b && (!(*b)->d || (*b)->n != (size_t)*E)) return exec_fail(c, "bias must hold %s values", width);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1772-1805
 * EmbeddingLayerParams: weights [outputChannels, inputDim]; an input
 * [x1, 1, 1, 1] or [x1, x2, 1, 1, 1] of indices in [0, inputDim) gives
 * [x1, outputChannels, 1, 1] / [x1, x2, outputChannels, 1, 1] (the
 * channel axis -3 takes the vector); optional bias.
 * SOURCE: NeuralNetwork.proto:1807-1841 EmbeddingNDLayerParams: weights
 * [embeddingSize, vocabSize]; input [.., 1] of indices -> [..,
 * embeddingSize]; optional bias. */
static int embedding(xctx *c, bool nd) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t V, E;
    const xt *w, *b;
    if (embed_params(c, nd ? "vocabSize" : "inputDim", nd ? "embeddingSize" : "outputChannels", &V, &E, &w, &b) != 0)
        return -1;
    int r = x->rank;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    if (!nd && r >= 3) {
        if (x->dim[r - 3] * x->dim[r - 2] * x->dim[r - 1] != 1) return exec_fail(c, "the input's last three dims must be 1");
        dim[r - 3] = E;
    } else if (nd && r >= 2 && x->dim[r - 1] == 1) {
        dim[r - 1] = E;
    } else {
        if (r + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
        dim[r++] = E;
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    return embed(c, x, w->d, b ? b->d : NULL, V, E, y->d);
}
static int k_embedding(xctx *c) { return embedding(c, false); }
static int k_embeddingND(xctx *c) { return embedding(c, true); }

/* ---- top-k, arg-max/min, argsort ---------------------------------------------------------------- */

typedef struct kv {
    float v;
    int64_t i;
} kv;

static int kv_desc(const void *a, const void *b) {
    const kv *x = a, *y = b;
    if (x->v != y->v) return x->v > y->v || (y->v != y->v) ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}
static int kv_asc(const void *a, const void *b) {
    const kv *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v || (y->v != y->v) ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* sorted (value, index) of every line of x along axis, into y values / idx */
static int sort_lines(xctx *c, const xt *x, int axis, bool desc, int64_t keep, float *vals, float *idx) {
    int64_t outer = 1, n = x->dim[axis], inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dim[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    kv *line = malloc((size_t)(n ? n : 1) * sizeof *line);
    if (!line) return exec_fail(c, "out of memory");
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            for (int64_t k = 0; k < n; k++) line[k] = (kv){x->d[(o * n + k) * inner + in], k};
            qsort(line, (size_t)n, sizeof *line, desc ? kv_desc : kv_asc);
            for (int64_t k = 0; k < keep; k++) {
                size_t at = (size_t)((o * keep + k) * inner + in);
                if (vals) vals[at] = line[k].v;
                if (idx) idx[at] = (float)line[k].i;
            }
        }
    free(line);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5672-5697
 * TopKLayerParams: outputs (values, indices) with K (or the value of input
 * 2) entries along axis: the largest first, or with useBottomK the
 * smallest first; ties keep the lower index first. */
static int k_topK(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int64_t K = exec_ai(c, "K", 0);
    if (exec_nn_n_in(c) >= 2) {
        const xt *k = exec_nn_in(c, 1);
        NEED(k, "K");
        if (k->n < 1) return exec_fail(c, "empty K input");
        K = exec_f2i(k->d[0]);
    }
    if (K < 0 || K > x->dim[axis]) return exec_fail(c, "K = %lld for an axis of %lld", (long long)K, (long long)x->dim[axis]);
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[axis] = K;
    xt *v = exec_out(c, 0, x->rank, dim);
    xt *ix = exec_n_outputs(c) > 1 ? exec_out(c, 1, x->rank, dim) : NULL;
    if (!v || (exec_n_outputs(c) > 1 && !ix)) return exec_fail(c, "out of memory");
    return sort_lines(c, x, axis, !exec_ab(c, "useBottomK"), K, v->d, ix ? ix->d : NULL);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6233-6264
 * ArgSortLayerParams: the indices that sort each line along axis
 * ascending, or descending; equal values keep their order. */
static int k_argSort(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    return sort_lines(c, x, axis, exec_ab(c, "descending"), x->dim[axis], NULL, y->d);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5699-5724,5726-5751
 * ArgMaxLayerParams / ArgMinLayerParams: the index of the first largest /
 * smallest value along axis; removeDim drops the axis (a rank-1 input
 * keeps shape (1,)). */
static int arg_extreme(xctx *c, bool is_max) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int axis = exec_axis((int)exec_ai(c, "axis", 0), x->rank);
    if (axis < 0) return exec_fail(c, "axis out of range");
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    bool rm = exec_ab(c, "removeDim") && x->rank > 1;
    for (int i = 0; i < x->rank; i++) {
        if (i == axis) { if (!rm) dim[r++] = 1; }
        else dim[r++] = x->dim[i];
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t outer = 1, n = x->dim[axis], inner = 1;
    for (int i = 0; i < axis; i++) outer *= x->dim[i];
    for (int i = axis + 1; i < x->rank; i++) inner *= x->dim[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t best = 0;
            float bv = n ? x->d[o * n * inner + in] : 0;
            for (int64_t k = 1; k < n; k++) {
                float v = x->d[(o * n + k) * inner + in];
                if (is_max ? v > bv : v < bv) { bv = v; best = k; }
            }
            y->d[o * inner + in] = (float)best;
        }
    return 0;
}
static int k_argMax(xctx *c) { return arg_extreme(c, true); }
static int k_argMin(xctx *c) { return arg_extreme(c, false); }

/* ---- products ------------------------------------------------------------------------------- */

/* int8DynamicQuantize: the input rounded to 255 levels of max |x| / 127
 * (symmetric, per tensor), as the layer quantizes it before the int8
 * product (the proto names the scheme only as "quantizes the floating
 * point input blob to int8"). */
float *nn_dyn_quant(const xt *x) {
    float *q = malloc((x->n ? x->n : 1) * sizeof *q);
    if (!q) return NULL;
    double mx = 0;
    for (size_t i = 0; i < x->n; i++) mx = fabs(x->d[i]) > mx ? fabs(x->d[i]) : mx;
    double s = mx > 0 ? mx / 127.0 : 1.0;
    for (size_t i = 0; i < x->n; i++) q[i] = (float)(nearbyint(x->d[i] / s) * s);
    return q;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3908-3989
 * BatchedMatMulLayerParams: two inputs: numpy.matmul with transposeA /
 * transposeB, a rank-1 a read as (1, D) and a rank-1 b as (D, 1), batch
 * dims broadcast, output rank max(2, ranks); one input: the weights
 * [X1, X2] stored column-major (row-major [X2, X1]), optional bias,
 * output [..., X2]; int8DynamicQuantize quantizes the input first. */
static int k_batchedMatmul(xctx *c) {
    const xt *a = exec_nn_in(c, 0);
    NEED(a, "input");
    if (exec_nn_n_in(c) < 2) {
        const xt *w = exec_aval(c, "weights");
        NEED(w, "weights");
        const xt *b = exec_ab(c, "hasBias") ? exec_aval(c, "bias") : NULL;
        int64_t k = exec_ai(c, "weightMatrixFirstDimension", 0), n = exec_ai(c, "weightMatrixSecondDimension", 0), kn = 0;
        /* both dimensions are uint64 in the proto: their product may overflow */
        if (k > 0 && n > 0 && __builtin_mul_overflow(k, n, &kn))
            return exec_fail(c, "weightMatrixFirstDimension %lld x weightMatrixSecondDimension %lld: the weight count "
                                "overflows", (long long)k, (long long)n);
        if (k <= 0 || n <= 0 || a->rank < 1 || a->dim[a->rank - 1] != k || w->n < (uint64_t)kn)
            return exec_fail(c, "weight shape mismatch");
        if (b && (!b->d || b->n < (size_t)n)) return exec_fail(c, "bias shorter than X2");
        int64_t dim[EXEC_MAX_RANK];
        memcpy(dim, a->dim, sizeof dim);
        dim[a->rank - 1] = n;
        xt *y = exec_out(c, 0, a->rank, dim);
        if (!y) return exec_fail(c, "out of memory");
        float *q = exec_ab(c, "int8DynamicQuantize") ? nn_dyn_quant(a) : NULL;
        if (exec_ab(c, "int8DynamicQuantize") && !q) return exec_fail(c, "out of memory");
        exec_linear(c, q ? q : a->d, a->n / (size_t)k, k, w->d, b && b->d ? b->d : NULL, n, y->d);
        free(q);
        return 0;
    }
    const xt *b = exec_nn_in(c, 1);
    NEED(b, "input 1");
    bool ta = exec_ab(c, "transposeA"), tb = exec_ab(c, "transposeB");
    /* matrices: a [M, K] (or [K, M] transposed), b [K, N] (or [N, K]) */
    int ra = a->rank < 2 ? 2 : a->rank, rb = b->rank < 2 ? 2 : b->rank;
    int64_t ad[EXEC_MAX_RANK], bd[EXEC_MAX_RANK];
    if (a->rank == 1) { ad[0] = 1; ad[1] = a->dim[0]; ta = false; }
    else memcpy(ad, a->dim, sizeof ad);
    if (b->rank == 1) { bd[0] = b->dim[0]; bd[1] = 1; tb = false; }
    else memcpy(bd, b->dim, sizeof bd);
    int64_t M = ta ? ad[ra - 1] : ad[ra - 2], K = ta ? ad[ra - 2] : ad[ra - 1];
    int64_t K2 = tb ? bd[rb - 1] : bd[rb - 2], N = tb ? bd[rb - 2] : bd[rb - 1];
    if (K != K2) return exec_fail(c, "inner dims differ (%lld vs %lld)", (long long)K, (long long)K2);
    xt ba = {.rank = ra - 2}, bb = {.rank = rb - 2};
    memcpy(ba.dim, ad, sizeof(int64_t) * (size_t)(ra - 2));
    memcpy(bb.dim, bd, sizeof(int64_t) * (size_t)(rb - 2));
    int rbat;
    int64_t bdim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(&ba, &bb, &rbat, bdim) != 0 || rbat + 2 > EXEC_MAX_RANK) return exec_fail(c, "batch dims do not broadcast");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, bdim, sizeof(int64_t) * (size_t)rbat);
    dim[rbat] = M;
    dim[rbat + 1] = N;
    xt *y = exec_out(c, 0, rbat + 2, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t nb = exec_count(rbat, bdim);
    int64_t ost[EXEC_MAX_RANK], ast[EXEC_MAX_RANK], bst[EXEC_MAX_RANK];
    nn_strides(rbat, bdim, ost);
    nn_strides(ba.rank, ba.dim, ast);
    nn_strides(bb.rank, bb.dim, bst);
    for (size_t q = 0; q < nb; q++) {
        size_t ia = 0, ib = 0, rem = q;
        for (int k = 0; k < rbat; k++) {
            size_t idx = rem / (size_t)ost[k];
            rem %= (size_t)ost[k];
            int oa = k - (rbat - ba.rank), ob = k - (rbat - bb.rank);
            if (oa >= 0 && ba.dim[oa] != 1) ia += idx * (size_t)ast[oa];
            if (ob >= 0 && bb.dim[ob] != 1) ib += idx * (size_t)bst[ob];
        }
        const float *A = a->d + ia * (size_t)(M * K), *B = b->d + ib * (size_t)(K * N);
        exec_gemm(c->p, ta, tb, M, N, K, A, ta ? M : K, B, tb ? K : N, y->d + q * (size_t)(M * N), N);
    }
    if (a->rank == 1 && b->rank == 1) { /* (1, K) x (K, 1): numpy gives a scalar; keep (1, 1) */ }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3340-3366
 * DotProductLayerParams: two blobs [.., C, 1, 1]; output [.., 1, 1, 1]
 * = sum over C of x1 * x2, divided by |x1| |x2| when cosineSimilarity. */
static int k_dot(xctx *c) {
    const xt *a = exec_nn_in(c, 0), *b = exec_nn_in(c, 1);
    NEED(a, "input 0");
    NEED(b, "input 1");
    if (a->n != b->n || a->rank != b->rank) return exec_fail(c, "inputs differ in shape");
    int r = a->rank;
    int ca = nn_chan_axis(r);
    int64_t C = 1;
    for (int i = ca; i < r; i++) C *= a->dim[i];
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, a->dim, sizeof dim);
    for (int i = ca; i < r; i++) dim[i] = 1;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    bool cosine = exec_ab(c, "cosineSimilarity");
    for (size_t o = 0; o < y->n; o++) {
        double s = 0, na = 0, nb = 0;
        for (int64_t k = 0; k < C; k++) {
            double u = a->d[o * (size_t)C + (size_t)k], v = b->d[o * (size_t)C + (size_t)k];
            s += u * v;
            na += u * u;
            nb += v * v;
        }
        y->d[o] = (float)(cosine ? s / sqrt(na * nb) : s);
    }
    return 0;
}

/* ---- 3-D convolution and pooling -------------------------------------------------------------- */

/* per axis (d, h, w): padding before / after and the output size */
static int pad3(xctx *c, const char *type, const int64_t *in, const int64_t *k, const int64_t *s, const int64_t *dil,
                bool deconv, int64_t *lo, int64_t *hi, int64_t *out) {
    static const char *const names[6] = {"customPaddingFront", "customPaddingBack", "customPaddingTop",
                                         "customPaddingBottom", "customPaddingLeft", "customPaddingRight"};
    int mode = !type || !strcmp(type, "CUSTOM") ? 0 : !strcmp(type, "VALID") ? 1 : 2;
    for (int i = 0; i < 3; i++) {
        int64_t ek = (k[i] - 1) * dil[i] + 1;
        if (mode == 0) { lo[i] = exec_ai(c, names[2 * i], 0); hi[i] = exec_ai(c, names[2 * i + 1], 0); }
        else { lo[i] = hi[i] = 0; }
        if (lo[i] < 0 || hi[i] < 0) return exec_fail(c, "negative padding");
        if (!deconv) {
            if (mode == 2) {
                int64_t o = (in[i] + s[i] - 1) / s[i], tot = (o - 1) * s[i] + ek - in[i];
                if (tot < 0) tot = 0;
                lo[i] = tot / 2;
                hi[i] = tot - lo[i];
            }
            out[i] = (in[i] + lo[i] + hi[i] - ek) / s[i] + 1;
        } else {
            int64_t full = (in[i] - 1) * s[i] + ek;
            if (mode == 2) {
                out[i] = in[i] * s[i];
                int64_t tot = full - out[i];
                if (tot < 0) tot = 0;
                lo[i] = tot / 2;
                hi[i] = tot - lo[i];
            } else {
                out[i] = full - lo[i] - hi[i];
            }
        }
        if (out[i] < 1) return exec_fail(c, "empty output");
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1538-1717
 * Convolution3DLayerParams: input [B, C, D, H, W]; weights [Cout,
 * Cin/groups, kD, kH, kW] (deconvolution: [Cin, Cout/groups, kD, kH, kW],
 * coremltools NeuralNetworkBuilder.add_convolution3d transposes them to
 * that layout); CUSTOM / VALID / SAME padding (SAME: ceil(in / stride),
 * the odd unit of padding after); dilation; deconvolution output (in-1) *
 * stride + dilated kernel - padding, in * stride for SAME, or outputShape. */
static int k_convolution3d(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank != 5) return exec_fail(c, "input must be rank 5 [B, C, D, H, W]");
    int64_t Cout = exec_ai(c, "outputChannels", 0), Cin = x->dim[1], G = exec_ai(c, "nGroups", 1);
    if (G < 1) G = 1;
    int64_t k[3] = {exec_ai(c, "kernelDepth", 1), exec_ai(c, "kernelHeight", 1), exec_ai(c, "kernelWidth", 1)};
    int64_t s[3] = {exec_ai(c, "strideDepth", 1), exec_ai(c, "strideHeight", 1), exec_ai(c, "strideWidth", 1)};
    int64_t d[3] = {exec_ai(c, "dilationDepth", 1), exec_ai(c, "dilationHeight", 1), exec_ai(c, "dilationWidth", 1)};
    for (int i = 0; i < 3; i++) {
        if (k[i] < 1) k[i] = 1;
        if (s[i] < 1) s[i] = 1;
        if (d[i] < 1) d[i] = 1;
    }
    bool deconv = exec_ab(c, "isDeconvolution");
    if (Cout < 1 || Cin % G || Cout % G) return exec_fail(c, "channels do not match nGroups");
    const xt *w = exec_aval(c, "weights");
    NEED(w, "weights");
    /* the kernel sizes and channels are the model's: their product may wrap
     * to a small count that the weights match, and the loops then run every
     * tap of the kernel over them */
    int64_t kn, wn;
    if (__builtin_mul_overflow(k[0], k[1], &kn) || __builtin_mul_overflow(kn, k[2], &kn) ||
        __builtin_mul_overflow(deconv ? Cin : Cout, deconv ? Cout / G : Cin / G, &wn) ||
        __builtin_mul_overflow(wn, kn, &wn))
        return exec_fail(c, "weight count overflows (kernel %lld x %lld x %lld, %lld -> %lld channels)", (long long)k[0],
                         (long long)k[1], (long long)k[2], (long long)Cin, (long long)Cout);
    size_t kvol = (size_t)kn, want = (size_t)wn;
    if (w->n != want) return exec_fail(c, "weights hold %zu values, %zu expected", w->n, want);
    const xt *b = exec_ab(c, "hasBias") ? exec_aval(c, "bias") : NULL;
    if (b && (!b->d || b->n < (size_t)Cout)) return exec_fail(c, "bias shorter than outputChannels");
    int64_t in[3] = {x->dim[2], x->dim[3], x->dim[4]}, lo[3], hi[3], out[3];
    if (pad3(c, exec_as(c, "paddingType"), in, k, s, d, deconv, lo, hi, out) != 0) return -1;
    int64_t os[3];
    if (deconv && exec_aints(c, "outputShape", os, 3) == 3) {
        for (int i = 0; i < 3; i++) {
            int64_t full = (in[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1;
            if (os[i] < 1) return exec_fail(c, "bad outputShape");
            out[i] = os[i];
            int64_t tot = full - out[i];
            if (tot < 0) tot = 0;
            lo[i] = tot / 2;
            hi[i] = tot - lo[i];
        }
    }
    int64_t B = x->dim[0], dim[5] = {B, Cout, out[0], out[1], out[2]};
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t cig = Cin / G, cog = Cout / G, ovol = out[0] * out[1] * out[2], ivol = in[0] * in[1] * in[2];
    double *acc = malloc((size_t)(ovol ? ovol : 1) * sizeof *acc);
    if (!acc) return exec_fail(c, "out of memory");
    for (int64_t n = 0; n < B; n++)
        for (int64_t oc = 0; oc < Cout; oc++) {
            int64_t g = oc / cog;
            for (int64_t i = 0; i < ovol; i++) acc[i] = b ? b->d[oc] : 0.0;
            for (int64_t icg = 0; icg < cig; icg++) {
                int64_t ic = g * cig + icg;
                const float *xp = x->d + (n * Cin + ic) * ivol;
                const float *wp = deconv ? w->d + ((size_t)ic * (size_t)cog + (size_t)(oc - g * cog)) * kvol
                                         : w->d + ((size_t)oc * (size_t)cig + (size_t)icg) * kvol;
                for (int64_t kd = 0; kd < k[0]; kd++)
                    for (int64_t kh = 0; kh < k[1]; kh++)
                        for (int64_t kw = 0; kw < k[2]; kw++) {
                            double wv = wp[(kd * k[1] + kh) * k[2] + kw];
                            if (wv == 0) continue;
                            for (int64_t od = 0; od < out[0]; od++) {
                                int64_t id;
                                if (!deconv) id = od * s[0] - lo[0] + kd * d[0];
                                else {
                                    int64_t t = od + lo[0] - kd * d[0];
                                    if (t < 0 || t % s[0]) continue;
                                    id = t / s[0];
                                }
                                if (id < 0 || id >= in[0]) continue;
                                for (int64_t oh = 0; oh < out[1]; oh++) {
                                    int64_t ih;
                                    if (!deconv) ih = oh * s[1] - lo[1] + kh * d[1];
                                    else {
                                        int64_t t = oh + lo[1] - kh * d[1];
                                        if (t < 0 || t % s[1]) continue;
                                        ih = t / s[1];
                                    }
                                    if (ih < 0 || ih >= in[1]) continue;
                                    const float *xr = xp + (id * in[1] + ih) * in[2];
                                    double *ar = acc + (od * out[1] + oh) * out[2];
                                    for (int64_t ow = 0; ow < out[2]; ow++) {
                                        int64_t iw;
                                        if (!deconv) iw = ow * s[2] - lo[2] + kw * d[2];
                                        else {
                                            int64_t t = ow + lo[2] - kw * d[2];
                                            if (t < 0 || t % s[2]) continue;
                                            iw = t / s[2];
                                        }
                                        if (iw < 0 || iw >= in[2]) continue;
                                        ar[ow] += wv * xr[iw];
                                    }
                                }
                            }
                        }
            }
            float *yp = y->d + (n * Cout + oc) * ovol;
            for (int64_t i = 0; i < ovol; i++) yp[i] = (float)acc[i];
        }
    free(acc);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1981-2089,2091-2135
 * Pooling3DLayerParams: MAX / AVERAGE over [kD, kH, kW] windows of a
 * [B, C, D, H, W] blob with CUSTOM / VALID / SAME padding (zeros; SAME
 * gives ceil(in / stride) with the odd unit after); countExcludePadding
 * leaves the padding out of the average. GlobalPooling3DLayerParams: one
 * window over D, H, W. */
static int pool3(xctx *c, bool global) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank != 5) return exec_fail(c, "input must be rank 5 [B, C, D, H, W]");
    const char *ty = exec_as(c, "type");
    bool avg = ty && !strcmp(ty, "AVERAGE");
    int64_t in[3] = {x->dim[2], x->dim[3], x->dim[4]}, k[3], s[3], lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0}, out[3];
    int64_t one[3] = {1, 1, 1};
    bool excl = exec_ab(c, "countExcludePadding");
    if (global) {
        for (int i = 0; i < 3; i++) { k[i] = in[i]; s[i] = 1; out[i] = 1; }
        if (in[0] < 1 || in[1] < 1 || in[2] < 1) return exec_fail(c, "empty input");
    } else {
        k[0] = exec_ai(c, "kernelDepth", 1); k[1] = exec_ai(c, "kernelHeight", 1); k[2] = exec_ai(c, "kernelWidth", 1);
        s[0] = exec_ai(c, "strideDepth", 1); s[1] = exec_ai(c, "strideHeight", 1); s[2] = exec_ai(c, "strideWidth", 1);
        for (int i = 0; i < 3; i++) {
            if (k[i] < 1) k[i] = 1;
            if (s[i] < 1) s[i] = 1;
        }
        if (pad3(c, exec_as(c, "paddingType"), in, k, s, one, false, lo, hi, out) != 0) return -1;
    }
    int64_t dim[5] = {x->dim[0], x->dim[1], out[0], out[1], out[2]};
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t planes = x->dim[0] * x->dim[1], ivol = in[0] * in[1] * in[2], ovol = out[0] * out[1] * out[2];
    /* Each window is clipped per axis: tot counts its positions within the
     * padded input, and the values are read from its part within the input,
     * in the same order as a walk of the whole window (the padding adds
     * zeros to an average and never wins a max). The kernel sizes are the
     * model's: a window of 2^31 per axis has ~10^28 positions to walk. */
    int64_t w0[3], w1[3];
    for (int64_t p = 0; p < planes; p++)
        for (int64_t od = 0; od < out[0]; od++)
            for (int64_t oh = 0; oh < out[1]; oh++)
                for (int64_t ow = 0; ow < out[2]; ow++) {
                    int64_t o[3] = {od, oh, ow};
                    double tot = 1;
                    for (int i = 0; i < 3; i++) {
                        int64_t st = o[i] * s[i] - lo[i], en = st + k[i];
                        int64_t pa = st > -lo[i] ? st : -lo[i], pb = en < in[i] + hi[i] ? en : in[i] + hi[i];
                        tot *= (double)(pb > pa ? pb - pa : 0);
                        w0[i] = st > 0 ? st : 0;
                        w1[i] = en < in[i] ? en : in[i];
                    }
                    double acc = avg ? 0 : -INFINITY;
                    int64_t cnt = 0;
                    for (int64_t id = w0[0]; id < w1[0]; id++)
                        for (int64_t ih = w0[1]; ih < w1[1]; ih++)
                            for (int64_t iw = w0[2]; iw < w1[2]; iw++) {
                                double v = x->d[p * ivol + (id * in[1] + ih) * in[2] + iw];
                                cnt++;
                                if (avg) acc += v;
                                else if (v > acc || v != v) acc = v;
                            }
                    double den = excl ? (double)cnt : tot;
                    y->d[p * ovol + (od * out[1] + oh) * out[2] + ow] =
                        (float)(avg ? (den > 0 ? acc / den : 0) : (cnt ? acc : 0));
                }
    return 0;
}
static int k_pooling3d(xctx *c) { return pool3(c, false); }
static int k_globalPooling3d(xctx *c) { return pool3(c, true); }

/* ---- non-maximum suppression ------------------------------------------------------------------ */

typedef struct nbox {
    float score;
    int64_t i, cls;
} nbox;

static int nbox_cmp(const void *a, const void *b) {
    const nbox *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* IoU of boxes given as (x centre, y centre, width, height) */
static double iou_xywh(const float *a, const float *b) {
    double ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2, ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
    double bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2, by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
    double iw = (ax1 < bx1 ? ax1 : bx1) - (ax0 > bx0 ? ax0 : bx0), ih = (ay1 < by1 ? ay1 : by1) - (ay0 > by0 ? ay0 : by0);
    if (iw <= 0 || ih <= 0) return 0;
    double inter = iw * ih, uni = (double)a[2] * a[3] + (double)b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6137-6207
 * NonMaximumSuppressionLayerParams: boxes (B, N, 4) as (x, y, width,
 * height) centres, scores (B, N, C); optional inputs override
 * iouThreshold, scoreThreshold, maxBoxes. A box's score is its largest
 * class score; boxes below scoreThreshold are dropped; in descending score
 * order a box is kept unless its IoU with a kept box (of the same
 * highest-scoring class when perClassSuppression) exceeds iouThreshold;
 * outputs (B, maxBoxes, 4), (B, maxBoxes, C), (B, maxBoxes) indices and
 * (B,) counts, padded with 0 / 0 / -1; a batch where nothing survives
 * reports its best box and a count of 1. */
static int k_NonMaximumSuppression(xctx *c) {
    const xt *bx = exec_nn_in(c, 0), *sc = exec_nn_in(c, 1);
    NEED(bx, "boxes");
    NEED(sc, "scores");
    if (bx->rank != 3 || bx->dim[2] != 4 || sc->rank != 3 || sc->dim[0] != bx->dim[0] || sc->dim[1] != bx->dim[1])
        return exec_fail(c, "boxes must be (B, N, 4) and scores (B, N, C)");
    double iou_t = exec_af(c, "iouThreshold", 0), score_t = exec_af(c, "scoreThreshold", 0);
    int64_t maxb = exec_ai(c, "maxBoxes", 0);
    const xt *t;
    if (exec_nn_n_in(c) > 2 && (t = exec_nn_in(c, 2)) && t->d && t->n) iou_t = t->d[0];
    if (exec_nn_n_in(c) > 3 && (t = exec_nn_in(c, 3)) && t->d && t->n) score_t = t->d[0];
    if (exec_nn_n_in(c) > 4 && (t = exec_nn_in(c, 4)) && t->d && t->n) maxb = exec_f2i(t->d[0]);
    if (maxb < 1) return exec_fail(c, "maxBoxes must be at least 1");
    bool per_class = exec_ab(c, "perClassSuppression");
    int64_t B = bx->dim[0], N = bx->dim[1], C = sc->dim[2];
    if (maxb > N && N > 0) maxb = N;
    int64_t d0[3] = {B, maxb, 4}, d1[3] = {B, maxb, C}, d2[2] = {B, maxb}, d3[1] = {B};
    xt *ob = exec_out(c, 0, 3, d0), *os = exec_n_outputs(c) > 1 ? exec_out(c, 1, 3, d1) : NULL,
       *oi = exec_n_outputs(c) > 2 ? exec_out(c, 2, 2, d2) : NULL, *on = exec_n_outputs(c) > 3 ? exec_out(c, 3, 1, d3) : NULL;
    if (!ob || (exec_n_outputs(c) > 1 && !os) || (exec_n_outputs(c) > 2 && !oi) || (exec_n_outputs(c) > 3 && !on))
        return exec_fail(c, "out of memory");
    memset(ob->d, 0, ob->n * sizeof(float));
    if (os) memset(os->d, 0, os->n * sizeof(float));
    if (oi)
        for (size_t i = 0; i < oi->n; i++) oi->d[i] = -1;
    nbox *cand = malloc((size_t)(N ? N : 1) * sizeof *cand);
    int64_t *kept = malloc((size_t)(maxb ? maxb : 1) * sizeof *kept);
    if (!cand || !kept) { free(cand); free(kept); return exec_fail(c, "out of memory"); }
    for (int64_t b = 0; b < B; b++) {
        const float *boxes = bx->d + b * N * 4, *scores = sc->d + b * N * C;
        int64_t nc = 0, nk = 0;
        nbox best = {-INFINITY, -1, 0};
        for (int64_t i = 0; i < N; i++) {
            int64_t cls = 0;
            for (int64_t k = 1; k < C; k++)
                if (scores[i * C + k] > scores[i * C + cls]) cls = k;
            nbox nb = {C ? scores[i * C + cls] : 0, i, cls};
            if (best.i < 0 || nb.score > best.score) best = nb;
            if (nb.score >= score_t) cand[nc++] = nb;
        }
        qsort(cand, (size_t)nc, sizeof *cand, nbox_cmp);
        for (int64_t i = 0; i < nc && nk < maxb; i++) {
            bool keep = true;
            for (int64_t j = 0; j < nk && keep; j++) {
                if (per_class) {
                    int64_t kc = 0;
                    for (int64_t k = 1; k < C; k++)
                        if (scores[kept[j] * C + k] > scores[kept[j] * C + kc]) kc = k;
                    if (kc != cand[i].cls) continue;
                }
                if (iou_xywh(boxes + cand[i].i * 4, boxes + kept[j] * 4) > iou_t) keep = false;
            }
            if (keep) kept[nk++] = cand[i].i;
        }
        if (!nk && best.i >= 0) kept[nk++] = best.i;
        for (int64_t j = 0; j < nk; j++) {
            memcpy(ob->d + (b * maxb + j) * 4, boxes + kept[j] * 4, 4 * sizeof(float));
            if (os) memcpy(os->d + (b * maxb + j) * C, scores + kept[j] * C, (size_t)C * sizeof(float));
            if (oi) oi->d[b * maxb + j] = (float)kept[j];
        }
        if (on) on->d[b] = (float)nk;
    }
    free(cand);
    free(kept);
    return 0;
}

/* ---- random layers --------------------------------------------------------------------------- */

/* The random layers draw from a splitmix64 stream seeded with the layer's
 * seed (and its output index), so a run is reproducible and the fp32 and
 * fp16 runs see the same draws. Core ML's own generator is not public: the
 * values follow the same distribution, not the same sequence. */
static uint64_t rnd_next(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static double rnd_unit(uint64_t *s) { return (double)(rnd_next(s) >> 11) * 0x1p-53; } /* [0, 1) */

static int random_shape(xctx *c, int how, int64_t *dim, int *r) {
    if (how == 0) { /* like */
        const xt *x = exec_nn_in(c, 0);
        NEED(x, "input");
        *r = x->rank;
        memcpy(dim, x->dim, sizeof(int64_t) * (size_t)x->rank);
        return 0;
    }
    if (how == 1) { /* static */
        int n = exec_aints(c, "outputShape", dim, EXEC_MAX_RANK);
        if (n < 1) return exec_fail(c, "outputShape missing");
        *r = n;
    } else { /* dynamic */
        const xt *s = exec_nn_in(c, 0);
        NEED(s, "shape");
        if (s->n < 1 || s->n > EXEC_MAX_RANK) return exec_fail(c, "shape of rank %zu", s->n);
        *r = (int)s->n;
        for (size_t i = 0; i < s->n; i++) dim[i] = exec_f2i(s->d[i]);
    }
    size_t n = 1;
    for (int i = 0; i < *r; i++) {
        if (dim[i] < 0 || (dim[i] && n > (SIZE_MAX / sizeof(float)) / (size_t)dim[i])) return exec_fail(c, "output shape out of range");
        n *= (size_t)dim[i];
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:129-144
 * RandomNormal{Like,Static,Dynamic}LayerParams (seed, mean, stdDev),
 * RandomUniform{..}LayerParams (seed, minVal, maxVal),
 * RandomBernoulli{..}LayerParams (seed, prob: 1 with probability prob);
 * the shape is the input's (Like), outputShape (Static) or the values of
 * the input (Dynamic). Normal draws use the Box-Muller transform. */
enum { RD_NORMAL, RD_UNIFORM, RD_BERNOULLI };
static int random_layer(xctx *c, int dist, int how) {
    int64_t dim[EXEC_MAX_RANK];
    int r;
    if (random_shape(c, how, dim, &r) != 0) return -1;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    uint64_t s = (uint64_t)exec_ai(c, "seed", 0) ^ 0x5eed0fc0de11a7e5ull;
    double p0, p1;
    if (dist == RD_NORMAL) { p0 = exec_af(c, "mean", 0); p1 = exec_af(c, "stdDev", 0); }
    else if (dist == RD_UNIFORM) { p0 = exec_af(c, "minVal", 0); p1 = exec_af(c, "maxVal", 0); }
    else { p0 = exec_af(c, "prob", 0); p1 = 0; }
    for (size_t i = 0; i < y->n; i++) {
        double v;
        if (dist == RD_NORMAL) {
            double u1 = rnd_unit(&s), u2 = rnd_unit(&s);
            v = p0 + p1 * sqrt(-2.0 * log(1.0 - u1)) * cos(2.0 * M_PI * u2);
        } else if (dist == RD_UNIFORM) {
            v = p0 + (p1 - p0) * rnd_unit(&s);
        } else {
            v = rnd_unit(&s) < p0 ? 1.0 : 0.0;
        }
        y->d[i] = (float)v;
    }
    return 0;
}
static int k_randomNormalLike(xctx *c) { return random_layer(c, RD_NORMAL, 0); }
static int k_randomNormalStatic(xctx *c) { return random_layer(c, RD_NORMAL, 1); }
static int k_randomNormalDynamic(xctx *c) { return random_layer(c, RD_NORMAL, 2); }
static int k_randomUniformLike(xctx *c) { return random_layer(c, RD_UNIFORM, 0); }
static int k_randomUniformStatic(xctx *c) { return random_layer(c, RD_UNIFORM, 1); }
static int k_randomUniformDynamic(xctx *c) { return random_layer(c, RD_UNIFORM, 2); }
static int k_randomBernoulliLike(xctx *c) { return random_layer(c, RD_BERNOULLI, 0); }
static int k_randomBernoulliStatic(xctx *c) { return random_layer(c, RD_BERNOULLI, 1); }
static int k_randomBernoulliDynamic(xctx *c) { return random_layer(c, RD_BERNOULLI, 2); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5295-5318
 * CategoricalDistributionLayerParams: input [.., D_R] of logits (isLogits)
 * or probabilities; output [.., numSamples] of drawn class indices; eps
 * (default 1e-10), temperature (default 1.0). Logits are divided by the
 * temperature and softmax-normalised; probabilities p become
 * log(p + eps) / temperature the same way. */
static int k_categoricalDistribution(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    if (x->rank < 1) return exec_fail(c, "input must have rank >= 1");
    int64_t ns = exec_ai(c, "numSamples", 0), D = x->dim[x->rank - 1];
    if (ns < 1 || D < 1) return exec_fail(c, "numSamples must be at least 1");
    double eps = exec_af(c, "eps", 0), T = exec_af(c, "temperature", 0);
    if (eps == 0) eps = 1e-10;
    if (T == 0) T = 1;
    bool logits = exec_ab(c, "isLogits");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[x->rank - 1] = ns;
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    double *cdf = malloc((size_t)D * sizeof *cdf);
    if (!cdf) return exec_fail(c, "out of memory");
    uint64_t s = (uint64_t)exec_ai(c, "seed", 0) ^ 0x5eed0fc0de11a7e5ull;
    size_t rows = x->n / (size_t)D;
    for (size_t r = 0; r < rows; r++) {
        const float *p = x->d + r * (size_t)D;
        double mx = -INFINITY, sum = 0;
        for (int64_t k = 0; k < D; k++) {
            double l = logits ? p[k] / T : log(p[k] + eps) / T;
            cdf[k] = l;
            if (l > mx) mx = l;
        }
        for (int64_t k = 0; k < D; k++) {
            cdf[k] = exp(cdf[k] - mx);
            sum += cdf[k];
            if (k) cdf[k] += cdf[k - 1];
        }
        for (int64_t j = 0; j < ns; j++) {
            double u = rnd_unit(&s) * sum;
            int64_t k = 0;
            while (k < D - 1 && cdf[k] <= u) k++;
            y->d[r * (size_t)ns + (size_t)j] = (float)k;
        }
    }
    free(cdf);
    return 0;
}

/* ---- table ------------------------------------------------------------------------------ */

static const exec_kdef MISC[] = {
    NN_K(argMax), NN_K(argMin), NN_K(argSort), NN_K(batchedMatmul), NN_K(branch), NN_K(categoricalDistribution),
    NN_K(convolution3d), NN_KC(custom, chk_custom), NN_K(dot), NN_K(embedding), NN_K(embeddingND),
    NN_K(globalPooling3d), NN_K(loop), NN_K(loopBreak), NN_K(loopContinue), NN_K(NonMaximumSuppression),
    NN_K(pooling3d), NN_K(randomBernoulliDynamic), NN_K(randomBernoulliLike), NN_K(randomBernoulliStatic),
    NN_K(randomNormalDynamic), NN_K(randomNormalLike), NN_K(randomNormalStatic), NN_K(randomUniformDynamic),
    NN_K(randomUniformLike), NN_K(randomUniformStatic), NN_K(topK),
};
NN_TABLE(NN_MISC_TABLE, MISC);
