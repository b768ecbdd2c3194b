/* SPDX-License-Identifier: Apache-2.0 */
/* nn_resample.c — NeuralNetwork resampling layers: upsample (nearest
 * neighbour and bilinear, integer or fractional factors, every
 * LinearUpsampleMode), resizeBilinear (every SamplingMode) and cropResize
 * (every BoxCoordinatesMode, normalised or absolute coordinates, spatial
 * scale, batch indices). Each output row / column is a grid point on the
 * input computed in double; bilinear interpolation reads the two
 * neighbours on each axis, clamped to the input. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* linear interpolation weights of grid point g on an axis of n values */
typedef struct lerp {
    int64_t i0, i1;
    double w; /* weight of i1 */
} lerp;

static lerp lerp_at(double g, int64_t n) {
    if (!(g > 0)) g = 0; /* NaN too */
    if (g > (double)(n - 1)) g = (double)(n - 1);
    lerp l;
    l.i0 = exec_f2i(floor(g));
    if (l.i0 > n - 1) l.i0 = n - 1;
    l.i1 = l.i0 + 1 < n ? l.i0 + 1 : l.i0;
    l.w = g - (double)l.i0;
    return l;
}

/* y plane [Ho, Wo] from x plane [H, W] at the grid points gy[Ho], gx[Wo] */
static void bilinear_plane(const float *x, int64_t H, int64_t W, const lerp *ly, int64_t Ho, const lerp *lx, int64_t Wo,
                           float *y) {
    for (int64_t i = 0; i < Ho; i++) {
        const float *r0 = x + ly[i].i0 * W, *r1 = x + ly[i].i1 * W;
        double wy = ly[i].w;
        for (int64_t j = 0; j < Wo; j++) {
            double a = r0[lx[j].i0] + (r0[lx[j].i1] - (double)r0[lx[j].i0]) * lx[j].w;
            double b = r1[lx[j].i0] + (r1[lx[j].i1] - (double)r1[lx[j].i0]) * lx[j].w;
            y[i * Wo + j] = (float)(a + (b - a) * wy);
        }
    }
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2511-2584,2560-2580
 * UpsampleLayerParams: the grid of LinearUpsampleMode, for output size
 * Xout from input size Xin: DEFAULT spacing (Xin - Xin/Xout) / (Xout - 1)
 * and point i*spacing; ALIGN_CORNERS_TRUE spacing (Xin-1)/(Xout-1);
 * ALIGN_CORNERS_FALSE spacing Xin/Xout and point i*spacing + 0.5*spacing
 * - 0.5; every point clamped to [0, Xin-1]. */
static double upsample_grid(int mode, int64_t i, int64_t xin, int64_t xout) {
    double s;
    switch (mode) {
    case 1: s = xout > 1 ? (double)(xin - 1) / (double)(xout - 1) : 0; return (double)i * s;
    case 2: s = (double)xin / (double)xout; return (double)i * s + 0.5 * s - 0.5;
    default: s = xout > 1 ? ((double)xin - (double)xin / (double)xout) / (double)(xout - 1) : 0; return (double)i * s;
    }
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2511-2584
 * UpsampleLayerParams: [C, H*sh, W*sw] with scalingFactor (integers) or
 * fractionalScalingFactor; mode NN (nearest) or BILINEAR with the grid
 * above. The fractional output size is floor(H * s): coremltools
 * test_numpy_nn_layers.py upsample_pytorch_test checks fractional
 * BILINEAR against torch.nn.functional.interpolate(scale_factor,
 * recompute_scale_factor=True), whose size is floor(in * scale).
 * Nearest neighbour reads input floor(i * Xin / Xout). */
static int k_upsample(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 2) return exec_fail(c, "rank must be at least 2");
    int64_t H = x->dim[r - 2], W = x->dim[r - 1], Ho, Wo;
    const cml_attr *fr = exec_attr(c, "fractionalScalingFactor");
    if (fr && fr->kind == CML_ATTR_FLOATS && fr->n >= 2) {
        double fh = fr->floats[0], fw = fr->floats[1];
        if (!(fh > 0) || !(fw > 0) || fh > 1e6 || fw > 1e6) return exec_fail(c, "bad fractionalScalingFactor");
        Ho = exec_f2i(floor((double)H * fh));
        Wo = exec_f2i(floor((double)W * fw));
    } else {
        int64_t fh = nn_list_at(c, "scalingFactor", 0, 1), fw = nn_list_at(c, "scalingFactor", 1, 1);
        if (fh < 1 || fw < 1 || fh > (1 << 20) || fw > (1 << 20)) return exec_fail(c, "bad scalingFactor");
        Ho = H * fh;
        Wo = W * fw;
    }
    if (Ho < 1 || Wo < 1) return exec_fail(c, "empty output");
    const char *m = exec_as(c, "mode"), *lm = exec_as(c, "linearUpsampleMode");
    bool bil = m && !strcmp(m, "BILINEAR");
    int lmode = !lm || !strcmp(lm, "DEFAULT") ? 0 : !strcmp(lm, "ALIGN_CORNERS_TRUE") ? 1 : 2;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 2] = Ho;
    dim[r - 1] = Wo;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t planes = x->n / exec_nz(H * W);
    if (!bil) {
        for (size_t p = 0; p < planes; p++)
            for (int64_t oh = 0; oh < Ho; oh++) {
                int64_t ih = oh * H / Ho;
                for (int64_t ow = 0; ow < Wo; ow++)
                    y->d[(p * (size_t)Ho + (size_t)oh) * (size_t)Wo + (size_t)ow] =
                        x->d[(p * (size_t)H + (size_t)ih) * (size_t)W + (size_t)(ow * W / Wo)];
            }
        return 0;
    }
    lerp *ly = malloc((size_t)(Ho + Wo) * sizeof *ly);
    if (!ly) return exec_fail(c, "out of memory");
    lerp *lx = ly + Ho;
    for (int64_t i = 0; i < Ho; i++) ly[i] = lerp_at(upsample_grid(lmode, i, H, Ho), H);
    for (int64_t j = 0; j < Wo; j++) lx[j] = lerp_at(upsample_grid(lmode, j, W, Wo), W);
    for (size_t p = 0; p < planes; p++)
        bilinear_plane(x->d + p * (size_t)(H * W), H, W, ly, Ho, lx, Wo, y->d + p * (size_t)(Ho * Wo));
    free(ly);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1244-1289
 * SamplingMode: N grid points on [0, X-1]: STRICT_ALIGN_ENDPOINTS_MODE
 * linspace(0, X-1, N); ALIGN_ENDPOINTS_MODE the same but (X-1)/2 when N
 * is 1; UPSAMPLE_MODE linspace(0, X - X/N, N); ROI_ALIGN_MODE spacing
 * max(1, X-1)/N from 0.5*spacing; the last two clamped to X-1. X is the
 * extent (ext = X - 1) of the interval sampled. */
static int sampling_method(xctx *c, const char *attr) {
    const char *m = exec_as(c, attr);
    return !m || !strcmp(m, "STRICT_ALIGN_ENDPOINTS_MODE") ? 0 : !strcmp(m, "ALIGN_ENDPOINTS_MODE") ? 1
         : !strcmp(m, "UPSAMPLE_MODE") ? 2 : 3;
}

static double sample_at(int method, int64_t i, double ext, int64_t n) {
    double X = ext + 1, step;
    switch (method) {
    case 0: return n > 1 ? (double)i * ext / (double)(n - 1) : 0;
    case 1: return n > 1 ? (double)i * ext / (double)(n - 1) : ext / 2;
    case 2: {
        double end = X - X / (double)n, g = n > 1 ? (double)i * end / (double)(n - 1) : 0;
        return g < ext ? g : ext;
    }
    default: {
        step = (ext > 1 ? ext : 1) / (double)n;
        double g = 0.5 * step + (double)i * step;
        return g < ext ? g : ext;
    }
    }
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2586-2620,1244-1289
 * ResizeBilinearLayerParams: [C, H_out, W_out] = targetSize (default
 * [1, 1]) with the SamplingMode grid on each axis. */
static int k_resizeBilinear(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    int r = x->rank;
    if (r < 2) return exec_fail(c, "rank must be at least 2");
    int64_t H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t Ho = nn_list_at(c, "targetSize", 0, 1), Wo = nn_list_at(c, "targetSize", 1, 1);
    if (Ho < 1 || Wo < 1 || Ho > (1 << 24) || Wo > (1 << 24) || H < 1 || W < 1) return exec_fail(c, "bad targetSize");
    int method = sampling_method(c, "mode.samplingMethod");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[r - 2] = Ho;
    dim[r - 1] = Wo;
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    lerp *ly = malloc((size_t)(Ho + Wo) * sizeof *ly);
    if (!ly) return exec_fail(c, "out of memory");
    lerp *lx = ly + Ho;
    for (int64_t i = 0; i < Ho; i++) ly[i] = lerp_at(sample_at(method, i, (double)(H - 1), Ho), H);
    for (int64_t j = 0; j < Wo; j++) lx[j] = lerp_at(sample_at(method, j, (double)(W - 1), Wo), W);
    size_t planes = x->n / exec_nz(H * W);
    for (size_t p = 0; p < planes; p++)
        bilinear_plane(x->d + p * (size_t)(H * W), H, W, ly, Ho, lx, Wo, y->d + p * (size_t)(Ho * Wo));
    free(ly);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:2622-2694,1291-1323,1297-1319
 * CropResizeLayerParams: feature map [1, B, C, H, W] (leading 1s added to
 * a lower rank), RoIs [N, 1, 4 or 5, 1, 1] (any shape whose values come in
 * rows of 4 or 5 is read the same way); 5 values: the batch index first.
 * BoxCoordinatesMode: CORNERS_HEIGHT_FIRST [h0, w0, h1, w1],
 * CORNERS_WIDTH_FIRST [w0, h0, w1, h1], CENTER_SIZE_HEIGHT_FIRST [hc, wc,
 * bh, bw], CENTER_SIZE_WIDTH_FIRST [wc, hc, bw, bh]; normalizedCoordinates
 * scales them by (H-1), (W-1); spatialScale multiplies them (0 read as 1).
 * Each box is sampled on targetSize points per axis with the SamplingMode
 * over its extent and interpolated bilinearly. Output [N, B, C, Ho, Wo]
 * (4 values) or [N, 1, C, Ho, Wo] (5 values). */
static int k_cropResize(xctx *c) {
    const xt *x = exec_nn_in(c, 0), *roi = exec_nn_in(c, 1);
    NEED(x, "feature map");
    NEED(roi, "boxes");
    if (x->rank < 3 || x->rank > 5) return exec_fail(c, "the feature map must have rank 3 to 5");
    int64_t B = x->rank >= 4 ? x->dim[x->rank - 4] : 1, C = x->dim[x->rank - 3], H = x->dim[x->rank - 2],
            W = x->dim[x->rank - 1];
    if (x->rank == 5 && x->dim[0] != 1) return exec_fail(c, "the feature map's first dim must be 1");
    /* lerp_at clamps a grid point to [0, H-1]: with no row (or column) that
     * is -1, read before the plane */
    if (H < 1 || W < 1) return exec_fail(c, "the feature map has empty %lld x %lld planes", (long long)H, (long long)W);
    int per = roi->rank >= 3 ? (int)roi->dim[roi->rank - 3] : roi->rank ? (int)roi->dim[roi->rank - 1] : 0;
    if (per != 4 && per != 5) return exec_fail(c, "boxes must have 4 or 5 values each, not %d", per);
    int64_t N = (int64_t)(roi->n / (size_t)per);
    int64_t Ho = nn_list_at(c, "targetSize", 0, 1), Wo = nn_list_at(c, "targetSize", 1, 1);
    if (Ho < 1 || Wo < 1 || Ho > (1 << 24) || Wo > (1 << 24)) return exec_fail(c, "bad targetSize");
    int method = sampling_method(c, "mode.samplingMethod");
    const char *bm = exec_as(c, "boxIndicesMode.boxMode");
    int box = !bm || !strcmp(bm, "CORNERS_HEIGHT_FIRST") ? 0 : !strcmp(bm, "CORNERS_WIDTH_FIRST") ? 1
            : !strcmp(bm, "CENTER_SIZE_HEIGHT_FIRST") ? 2 : 3;
    bool norm = exec_ab(c, "normalizedCoordinates");
    double scale = exec_af(c, "spatialScale", 0);
    if (scale == 0) scale = 1;
    int64_t nb = per == 5 ? 1 : B, dim[5] = {N, nb, C, Ho, Wo};
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    lerp *ly = malloc((size_t)(Ho + Wo) * sizeof *ly);
    if (!ly) return exec_fail(c, "out of memory");
    lerp *lx = ly + Ho;
    for (int64_t n = 0; n < N; n++) {
        const float *v = roi->d + n * per;
        int64_t bsel = -1;
        if (per == 5) {
            bsel = exec_f2i(v[0]);
            if (bsel < 0 || bsel >= B) {
                free(ly);
                return exec_fail(c, "box %lld: batch index %g out of range", (long long)n, (double)v[0]);
            }
            v++;
        }
        double a = v[0], b = v[1], cc = v[2], d = v[3], h0, w0, h1, w1;
        switch (box) {
        case 0: h0 = a; w0 = b; h1 = cc; w1 = d; break;
        case 1: w0 = a; h0 = b; w1 = cc; h1 = d; break;
        case 2: h0 = a - cc / 2; w0 = b - d / 2; h1 = a + cc / 2; w1 = b + d / 2; break;
        default: w0 = a - cc / 2; h0 = b - d / 2; w1 = a + cc / 2; h1 = b + d / 2; break;
        }
        if (norm) { h0 *= (double)(H - 1); h1 *= (double)(H - 1); w0 *= (double)(W - 1); w1 *= (double)(W - 1); }
        h0 *= scale; h1 *= scale; w0 *= scale; w1 *= scale;
        for (int64_t i = 0; i < Ho; i++) ly[i] = lerp_at(h0 + sample_at(method, i, h1 - h0, Ho), H);
        for (int64_t j = 0; j < Wo; j++) lx[j] = lerp_at(w0 + sample_at(method, j, w1 - w0, Wo), W);
        for (int64_t bi = 0; bi < nb; bi++) {
            int64_t src = per == 5 ? bsel : bi;
            for (int64_t ch = 0; ch < C; ch++)
                bilinear_plane(x->d + ((size_t)src * (size_t)C + (size_t)ch) * (size_t)(H * W), H, W, ly, Ho, lx, Wo,
                               y->d + (((size_t)n * (size_t)nb + (size_t)bi) * (size_t)C + (size_t)ch) * (size_t)(Ho * Wo));
        }
    }
    free(ly);
    return 0;
}

static const exec_kdef RESAMPLE[] = {NN_K(cropResize), NN_K(resizeBilinear), NN_K(upsample)};
NN_TABLE(NN_RESAMPLE_TABLE, RESAMPLE);
