/* SPDX-License-Identifier: Apache-2.0 */
/* nn_norm.c — NeuralNetwork normalisation layers: mean-variance
 * normalisation (mvn), L2 normalisation, local response normalisation
 * (lrn) and layer normalisation. Means, variances and sums of squares
 * are accumulated in double. (batchnorm, with its instance-normalisation
 * form, is in nn.c.) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* the mean and the (biased) variance of x[0, n), in double, two passes */
static void mean_var(const float *x, int64_t n, double *mean, double *var) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < n; i++) m += x[i];
    m /= (double)exec_nz(n);
    for (int64_t i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *var = v / (double)exec_nz(n);
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3368-3411
 * MeanVarianceNormalizeLayerParams: per sample over [C, H, W]
 * (acrossChannels) or per channel over [H, W]; normalizeVariance false:
 * only the mean is subtracted; epsilon 0 means 1e-6. The variance form
 * (x - mean) / sqrt(var + eps) is the one coremltools relies on when it
 * maps MIL layer_norm to this layer (converters/mil/backend/nn/
 * op_mapping.py layer_norm: reshape, add_mvn(normalize_variance=True,
 * epsilon), scale). The variance is the biased one (divided by n). */
static int k_mvn(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 2) return exec_fail(c, "input rank must be at least 2");
    bool across = exec_ab(c, "acrossChannels"), var = exec_ab(c, "normalizeVariance");
    double eps = exec_af(c, "epsilon", 0);
    if (eps == 0) eps = 1e-6;
    int64_t group = x->dim[r - 1] * x->dim[r - 2];
    if (across && r >= 3) group *= x->dim[r - 3];
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t ng = x->n / exec_nz(group);
    for (size_t g = 0; g < ng; g++) {
        const float *xp = x->d + g * (size_t)group;
        float *yp = y->d + g * (size_t)group;
        double m, v;
        mean_var(xp, group, &m, &v);
        double s = var ? 1.0 / sqrt(v + eps) : 1.0;
        for (int64_t i = 0; i < group; i++) yp[i] = (float)((xp[i] - m) * s);
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2809-2838
 * L2NormalizeLayerParams: x / sqrt(sum x^2 + eps) over [C, H, W] of each
 * sample (leading dims are batch); epsilon 0 means 1e-6. */
static int k_l2normalize(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    double eps = exec_af(c, "epsilon", 0);
    if (eps == 0) eps = 1e-6;
    int64_t group = 1;
    for (int i = r >= 3 ? r - 3 : 0; i < r; i++) group *= x->dim[i];
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t ng = x->n / exec_nz(group);
    for (size_t g = 0; g < ng; g++) {
        const float *xp = x->d + g * (size_t)group;
        double s = 0;
        for (int64_t i = 0; i < group; i++) s += (double)xp[i] * xp[i];
        double k = 1.0 / sqrt(s + eps);
        for (int64_t i = 0; i < group; i++) y->d[g * (size_t)group + (size_t)i] = (float)(xp[i] * k);
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2272-2303
 * LRNLayerParams: x / (k + alpha / localSize * sum_j x_j^2)^beta over a
 * window of localSize channels at each pixel; k 0 means 1. The window of
 * channel c is [c - (localSize-1)/2, c - (localSize-1)/2 + localSize - 1]
 * clipped to the channels (centred for odd sizes, one more after c for
 * even ones: Caffe's across-channel LRN, whose formula this is). */
static int k_lrn(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 3) return exec_fail(c, "input rank must be at least 3");
    double alpha = exec_af(c, "alpha", 0), beta = exec_af(c, "beta", 0), k = exec_af(c, "k", 0);
    int64_t n = exec_ai(c, "localSize", 0);
    if (k == 0) k = 1;
    if (n < 1) return exec_fail(c, "localSize must be at least 1");
    int64_t C = x->dim[r - 3], HW = x->dim[r - 2] * x->dim[r - 1], pre = (n - 1) / 2;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t outer = x->n / exec_nz(C * HW);
    for (size_t o = 0; o < outer; o++) {
        const float *xp = x->d + o * (size_t)(C * HW);
        float *yp = y->d + o * (size_t)(C * HW);
        for (int64_t ch = 0; ch < C; ch++) {
            int64_t lo = ch - pre, hi = ch - pre + n - 1;
            if (lo < 0) lo = 0;
            if (hi > C - 1) hi = C - 1;
            for (int64_t p = 0; p < HW; p++) {
                double s = 0;
                for (int64_t j = lo; j <= hi; j++) s += (double)xp[j * HW + p] * xp[j * HW + p];
                yp[ch * HW + p] = (float)(xp[ch * HW + p] / pow(k + alpha / (double)n * s, beta));
            }
        }
    }
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6106-6135
 * LayerNormalizationLayerParams: gamma * (x - mean) / sqrt(var + eps) +
 * beta over the trailing dims normalizedShape names (the rest is batch);
 * gamma and beta have that shape (1 and 0 when absent). */
static int k_layerNormalization(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int64_t ns[EXEC_MAX_RANK];
    int k = exec_aints(c, "normalizedShape", ns, EXEC_MAX_RANK);
    if (k < 1 || k > x->rank) return exec_fail(c, "normalizedShape has %d dims for rank %d", k, x->rank);
    int64_t group = 1;
    for (int i = 0; i < k; i++) {
        if (ns[i] != x->dim[x->rank - k + i])
            return exec_fail(c, "normalizedShape does not match the input's trailing dims");
        group *= ns[i];
    }
    const xt *g = exec_aval(c, "gamma"), *b = exec_aval(c, "beta");
    if (g && g->d && g->n != (size_t)group) return exec_fail(c, "gamma holds %zu values, %lld expected", g->n, (long long)group);
    if (b && b->d && b->n != (size_t)group) return exec_fail(c, "beta holds %zu values, %lld expected", b->n, (long long)group);
    double eps = exec_af(c, "eps", 0);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t nb = x->n / exec_nz(group);
    for (size_t s = 0; s < nb; s++) {
        const float *xp = x->d + s * (size_t)group;
        float *yp = y->d + s * (size_t)group;
        double m, v;
        mean_var(xp, group, &m, &v);
        double inv = 1.0 / sqrt(v + eps);
        for (int64_t i = 0; i < group; i++) {
            double t = (xp[i] - m) * inv;
            if (g && g->d) t *= g->d[i];
            if (b && b->d) t += b->d[i];
            yp[i] = (float)t;
        }
    }
    return 0;
}

static const exec_kdef NORM[] = {NN_K(l2normalize), NN_K(layerNormalization), NN_K(lrn), NN_K(mvn)};
NN_TABLE(NN_NORM_TABLE, NORM);
