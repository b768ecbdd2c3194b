/* SPDX-License-Identifier: Apache-2.0 */
/* mil_image.c — ML Program resizing, cropping, resampling and
 * non-maximum suppression kernels.
 *
 * Sampling grids follow the op definitions' formulas: for an input extent X
 * and N output points, STRICT_ALIGN_CORNERS linspace(0, X-1) (0 when N = 1),
 * ALIGN_CORNERS the same but the centre (X-1)/2 when N = 1, DEFAULT i*X/N,
 * OFFSET_CORNERS (i + 1/2)*max(1, X-1)/N, UNALIGN_CORNERS (i + 1/2)*X/N - 1/2,
 * each clamped to [0, X-1]; bilinear interpolation between the two nearest
 * samples, in double precision. Nearest-neighbour resizing takes floor(g) in
 * DEFAULT mode (PyTorch's "nearest", TensorFlow's legacy resize) and the
 * nearest sample of g otherwise (floor(g + 1/2): PyTorch's "nearest-exact"
 * for UNALIGN_CORNERS) — the op definitions give the grid, not this rule.
 * crop_resize samples each box with the same grids, the box's extent taking
 * X-1's place (CropResizeLayerParams and SamplingMode in NeuralNetwork.proto
 * express every mode as a linspace over [0, X-1]); points outside the image
 * take pad_value. NMS follows NonMaximumSuppressionLayerParams: boxes as
 * centre and size, scores per class reduced to their max (per-class
 * suppression: the box's best class only), candidates in descending score
 * (ties by index), IoU > iou_threshold suppresses, outputs padded with 0
 * (indices -1), and when no box passes the score threshold the best box is
 * returned alone.
 * SOURCE: apple/coremltools coremltools/converters/mil/mil/ops/defs/
 * iOS15/image_resizing.py (upsample_bilinear, resize_bilinear,
 * resize_nearest_neighbor, crop_resize, crop, affine, resample),
 * iOS16/image_resizing.py (half_pixel_centers, pad_value),
 * iOS17/image_resizing.py (crop_resize boxes / box_indices, resize),
 * iOS15/tensor_operation.py and iOS17/tensor_operation.py
 * (non_maximum_suppression); mlmodel/format/NeuralNetwork.proto
 * (SamplingMode, CropResizeLayerParams, NonMaximumSuppressionLayerParams). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mil.h"

enum { SM_STRICT, SM_ALIGN, SM_DEFAULT, SM_OFFSET, SM_UNALIGN };

static int sampling_mode(const char *s) {
    if (!s || !strcmp(s, "DEFAULT")) return SM_DEFAULT;
    if (!strcmp(s, "STRICT_ALIGN_CORNERS")) return SM_STRICT;
    if (!strcmp(s, "ALIGN_CORNERS")) return SM_ALIGN;
    if (!strcmp(s, "OFFSET_CORNERS")) return SM_OFFSET;
    if (!strcmp(s, "UNALIGN_CORNERS")) return SM_UNALIGN;
    return -1;
}

static int chk_sampling(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"DEFAULT", "STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "OFFSET_CORNERS",
                                     "UNALIGN_CORNERS", NULL};
    static const char *const boxes[] = {"CORNERS_HEIGHT_FIRST", "CORNERS_WIDTH_FIRST", "CENTER_SIZE_HEIGHT_FIRST",
                                        "CENTER_SIZE_WIDTH_FIRST", NULL};
    static const char *const interp[] = {"LINEAR", "NEAREST_NEIGHBOR", NULL};
    if (mil_chk_one_of(io, op, "sampling_mode", ok, why, n) != 0) return -1;
    if (mil_chk_one_of(io, op, "box_coordinate_mode", boxes, why, n) != 0) return -1;
    return mil_chk_one_of(io, op, "interpolation_mode", interp, why, n);
}

/* grid point i of N over an extent X (before clamping to [0, X-1]) */
static double grid_point(int mode, int64_t i, int64_t N, double X) {
    switch (mode) {
    case SM_STRICT: return N > 1 ? (double)i * (X - 1) / (double)(N - 1) : 0;
    case SM_ALIGN: return N > 1 ? (double)i * (X - 1) / (double)(N - 1) : (X - 1) / 2;
    case SM_OFFSET: {
        double d = (X - 1 > 1 ? X - 1 : 1) / (double)N;
        return 0.5 * d + (double)i * d;
    }
    case SM_UNALIGN: return ((double)i + 0.5) * X / (double)N - 0.5;
    default: return (double)i * X / (double)N;
    }
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

/* one axis of a resize: per output index the two source indices and weight */
typedef struct axis_map {
    int64_t *i0, *i1;
    double *w;
} axis_map;

static int axis_map_make(axis_map *m, int mode, bool nearest, int64_t X, int64_t N) {
    m->i0 = malloc((size_t)exec_nz(N) * sizeof *m->i0);
    m->i1 = malloc((size_t)exec_nz(N) * sizeof *m->i1);
    m->w = malloc((size_t)exec_nz(N) * sizeof *m->w);
    if (!m->i0 || !m->i1 || !m->w) return -1;
    for (int64_t i = 0; i < N; i++) {
        double g = clampd(grid_point(mode, i, N, (double)X), 0, (double)(X - 1));
        if (nearest) {
            int64_t k = (int64_t)(mode == SM_DEFAULT ? floor(g) : floor(g + 0.5));
            if (k > X - 1) k = X - 1;
            m->i0[i] = m->i1[i] = k;
            m->w[i] = 0;
        } else {
            int64_t k = exec_f2i(floor(g));
            if (k > X - 1) k = X - 1;
            m->i0[i] = k;
            m->i1[i] = k + 1 < X ? k + 1 : X - 1;
            m->w[i] = g - (double)k;
        }
    }
    return 0;
}

static void axis_map_free(axis_map *m) {
    free(m->i0);
    free(m->i1);
    free(m->w);
}

/* resize the last two dims of x to Ho x Wo */
static int resize2d(xctx *c, const xt *x, int64_t Ho, int64_t Wo, int mode_h, int mode_w, bool nearest) {
    if (x->rank < 2) return exec_fail(c, "rank must be at least 2");
    int R = x->rank;
    int64_t H = x->dim[R - 2], W = x->dim[R - 1];
    /* the target sizes are the model's: their product may overflow, so
     * neither is multiplied before the size limit below */
    if (Ho < 0 || Wo < 0 || (Ho > 0 && Wo > 0 && (H < 1 || W < 1)))
        return exec_fail(c, "bad resize %lldx%lld -> %lldx%lld", (long long)H, (long long)W, (long long)Ho, (long long)Wo);
    if ((double)Ho * (double)Wo * (double)(x->n / exec_nz(H * W)) > (double)((size_t)1 << 32))
        return exec_fail(c, "output too large");
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[R - 2] = Ho;
    dim[R - 1] = Wo;
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (!y->n) return 0;
    axis_map mh = {0}, mw = {0};
    if (axis_map_make(&mh, mode_h, nearest, H, Ho) != 0 || axis_map_make(&mw, mode_w, nearest, W, Wo) != 0) {
        axis_map_free(&mh);
        axis_map_free(&mw);
        return exec_fail(c, "out of memory");
    }
    size_t planes = x->n / exec_nz(H * W);
    for (size_t p = 0; p < planes; p++) {
        const float *src = x->d + p * (size_t)(H * W);
        float *dst = y->d + p * (size_t)(Ho * Wo);
        for (int64_t oh = 0; oh < Ho; oh++) {
            const float *r0 = src + mh.i0[oh] * W, *r1 = src + mh.i1[oh] * W;
            double wh = mh.w[oh];
            for (int64_t ow = 0; ow < Wo; ow++) {
                double ww = mw.w[ow];
                double a = r0[mw.i0[ow]] * (1 - ww) + r0[mw.i1[ow]] * ww;
                double b = r1[mw.i0[ow]] * (1 - ww) + r1[mw.i1[ow]] * ww;
                dst[oh * Wo + ow] = (float)(a * (1 - wh) + b * wh);
            }
        }
    }
    axis_map_free(&mh);
    axis_map_free(&mw);
    return 0;
}

/* SOURCE: iOS15/image_resizing.py upsample_bilinear: out floor(H * scale);
 * align_corners (default true) samples linspace(0, X-1), false the half-pixel
 * grid; iOS16 half_pixel_centers (default !align_corners): align_corners
 * false with half_pixel_centers false is TensorFlow's legacy grid (DEFAULT). */
static int k_upsample_bilinear(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    double fh = exec_pf(c, "scale_factor_height", 1), fw = exec_pf(c, "scale_factor_width", 1);
    bool ac = exec_pb(c, "align_corners", true), hp = exec_pb(c, "half_pixel_centers", !ac);
    int mode = ac ? SM_STRICT : hp ? SM_UNALIGN : SM_DEFAULT;
    int R = x->rank;
    if (!(fh > 0) || !(fw > 0)) return exec_fail(c, "scale factors must be positive");
    return resize2d(c, x, exec_f2i(floor((double)x->dim[R - 2] * fh)), exec_f2i(floor((double)x->dim[R - 1] * fw)), mode,
                    mode, false);
}

/* SOURCE: iOS15/image_resizing.py resize_bilinear: target sizes (default 1)
 * and sampling_mode (default DEFAULT). */
static int k_resize_bilinear(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    int m = sampling_mode(exec_ps(c, "sampling_mode"));
    if (m < 0) return exec_fail(c, "unknown sampling_mode");
    return resize2d(c, x, exec_pi(c, "target_size_height", 1), exec_pi(c, "target_size_width", 1), m, m, false);
}

/* SOURCE: iOS15/image_resizing.py resize_nearest_neighbor: target sizes;
 * the source index floor(out * in / target), as upsample_nearest_neighbor. */
static int k_resize_nearest_neighbor(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    return resize2d(c, x, exec_pi(c, "target_size_height", 1), exec_pi(c, "target_size_width", 1), SM_DEFAULT,
                    SM_DEFAULT, true);
}

/* Resize the last rd dims of x to tgt[0..rd-1], one axis at a time: linear
 * and nearest-neighbour sampling are separable (a multilinear sample is the
 * linear sample along each axis in turn), so this is the same resampling
 * resize2d does for two axes, kept in double between the passes. The other
 * axes are not touched. */
static int resize_nd(xctx *c, const xt *x, int rd, const int64_t *tgt, int mode, bool nearest) {
    int R = x->rank;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    double total = (double)x->n;
    for (int i = 0; i < rd; i++) {
        int64_t X = x->dim[R - rd + i], N = tgt[i];
        if (N < 0 || (N > 0 && X < 1))
            return exec_fail(c, "bad resize of dim %d: %lld -> %lld", R - rd + i, (long long)X, (long long)N);
        /* the targets are the model's: sizes are compared before they are
         * multiplied, every pass's included */
        total = total / (double)exec_nz(X) * (double)N;
        if (total > (double)((size_t)1 << 32)) return exec_fail(c, "output too large");
    }
    size_t n = x->n;
    double *cur = malloc(exec_nz((int64_t)n) * sizeof *cur);
    if (!cur) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < n; i++) cur[i] = x->d[i];
    for (int a = R - rd; a < R; a++) {
        int64_t X = dim[a], N = tgt[a - (R - rd)];
        size_t outer = 1, inner = 1;
        for (int d = 0; d < a; d++) outer *= (size_t)dim[d];
        for (int d = a + 1; d < R; d++) inner *= (size_t)dim[d];
        size_t nn = outer * (size_t)N * inner;
        double *nxt = malloc(exec_nz((int64_t)nn) * sizeof *nxt);
        axis_map m = {0};
        if (!nxt || axis_map_make(&m, mode, nearest, X, N) != 0) {
            free(nxt);
            axis_map_free(&m);
            free(cur);
            return exec_fail(c, "out of memory");
        }
        for (size_t o = 0; o < outer && nn; o++)
            for (int64_t i = 0; i < N; i++) {
                const double *r0 = cur + (o * (size_t)X + (size_t)m.i0[i]) * inner;
                const double *r1 = cur + (o * (size_t)X + (size_t)m.i1[i]) * inner;
                double *dst = nxt + (o * (size_t)N + (size_t)i) * inner, w = m.w[i];
                for (size_t k = 0; k < inner; k++) dst[k] = r0[k] * (1 - w) + r1[k] * w;
            }
        axis_map_free(&m);
        free(cur);
        cur = nxt;
        n = nn;
        dim[a] = N;
    }
    xt *y = exec_out(c, 0, R, dim);
    if (!y) {
        free(cur);
        return exec_fail(c, "out of memory");
    }
    for (size_t i = 0; i < y->n; i++) y->d[i] = (float)cur[i];
    free(cur);
    return 0;
}

/* SOURCE: iOS17/image_resizing.py resize: the last resized_dims dims take
 * the last resized_dims values of shape (0: keep x's), the other dims are
 * kept as they are; interpolation LINEAR or NEAREST_NEIGHBOR, sampling_mode
 * as resize_bilinear, over each resized dim (OFFSET_CORNERS moves the
 * samples of a resized dim even when its size stays). resized_dims <=
 * size(shape) <= rank(x). */
static int k_resize(xctx *c) {
    const xt *x = exec_in(c, "x"), *sh = exec_in(c, "shape");
    NEED(x, "x");
    NEED(sh, "shape");
    int64_t rd = exec_pi(c, "resized_dims", 0);
    if (rd < 0 || (size_t)rd > sh->n || (int64_t)sh->n > x->rank) return exec_fail(c, "resized_dims %lld invalid", (long long)rd);
    const char *im = exec_ps(c, "interpolation_mode");
    bool nearest = im && !strcmp(im, "NEAREST_NEIGHBOR");
    if (im && !nearest && strcmp(im, "LINEAR")) return exec_fail(c, "unknown interpolation_mode '%s'", im);
    int m = sampling_mode(exec_ps(c, "sampling_mode"));
    if (m < 0) return exec_fail(c, "unknown sampling_mode");
    int R = x->rank;
    if (rd == 0) {
        /* nothing resized (a scalar among them): x as it is */
        xt *y = exec_out_like(c, 0, x);
        if (!y) return exec_fail(c, "out of memory");
        exec_copy(y, x);
        return 0;
    }
    int64_t tgt[EXEC_MAX_RANK];
    for (int64_t i = 0; i < rd; i++) {
        int64_t v = exec_f2i(sh->d[sh->n - (size_t)rd + (size_t)i]);
        tgt[i] = v != 0 ? v : x->dim[R - rd + i];
    }
    if (rd == 2) return resize2d(c, x, tgt[0], tgt[1], m, m, nearest);
    return resize_nd(c, x, (int)rd, tgt, m, nearest);
}

/* SOURCE: iOS15/image_resizing.py crop: crop_height / crop_width [2] each. */
static int k_crop(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    int64_t ch[2], cw[2];
    if (exec_pints(c, "crop_height", ch, 2) != 2 || exec_pints(c, "crop_width", cw, 2) != 2)
        return exec_fail(c, "crop_height and crop_width need 2 values each");
    int R = x->rank;
    int64_t H = x->dim[R - 2], W = x->dim[R - 1];
    /* the amounts are the model's: compared with the dims before they are
     * subtracted, which near 2^63 would overflow */
    if (ch[0] < 0 || ch[1] < 0 || cw[0] < 0 || cw[1] < 0 || ch[0] > H || ch[1] > H - ch[0] || cw[0] > W ||
        cw[1] > W - cw[0])
        return exec_fail(c, "crop out of range (%lld + %lld of %lld rows, %lld + %lld of %lld columns)", (long long)ch[0],
                         (long long)ch[1], (long long)H, (long long)cw[0], (long long)cw[1], (long long)W);
    int64_t Ho = H - ch[0] - ch[1], Wo = W - cw[0] - cw[1];
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[R - 2] = Ho;
    dim[R - 1] = Wo;
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t planes = x->n / exec_nz(H * W);
    for (size_t p = 0; p < planes; p++)
        for (int64_t h = 0; h < Ho; h++)
            memcpy(y->d + (p * (size_t)Ho + (size_t)h) * (size_t)Wo, x->d + (p * (size_t)H + (size_t)(h + ch[0])) * (size_t)W + cw[0],
                   (size_t)Wo * sizeof(float));
    return 0;
}

/* bilinear sample of plane at (h, w); pad outside [0, H-1] x [0, W-1] */
static double sample_bilinear(const float *plane, int64_t H, int64_t W, double h, double w, double pad) {
    if (!(h >= 0 && h <= (double)(H - 1) && w >= 0 && w <= (double)(W - 1))) return pad;
    int64_t h0 = exec_f2i(floor(h)), w0 = exec_f2i(floor(w));
    int64_t h1 = h0 + 1 < H ? h0 + 1 : H - 1, w1 = w0 + 1 < W ? w0 + 1 : W - 1;
    double fh = h - (double)h0, fw = w - (double)w0;
    double a = plane[h0 * W + w0] * (1 - fw) + plane[h0 * W + w1] * fw;
    double b = plane[h1 * W + w0] * (1 - fw) + plane[h1 * W + w1] * fw;
    return a * (1 - fh) + b * fh;
}

/* SOURCE: iOS15/16/17 image_resizing.py crop_resize. iOS15/16: roi
 * [N, 1, 4 or 5, 1, 1] (5: a batch index first), output [N, B or 1, C, h, w];
 * iOS17: boxes [N, 4] and box_indices [N], output [N, C, h, w]. */
static int k_crop_resize(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank != 4) return exec_fail(c, "x must have rank 4");
    const xt *roi = exec_in(c, "roi"), *boxes = exec_in(c, "boxes"), *bidx = exec_in(c, "box_indices");
    bool v17 = boxes && boxes->d;
    int64_t B = x->dim[0], C = x->dim[1], H = x->dim[2], W = x->dim[3];
    int64_t Ho = exec_pi(c, "target_height", 1), Wo = exec_pi(c, "target_width", 1);
    if (Ho < 0 || Wo < 0 || (double)Ho * (double)Wo > (double)(1 << 24)) return exec_fail(c, "bad target size");
    bool norm = exec_pb(c, "normalized_coordinates", false);
    double scale = exec_pf(c, "spatial_scale", 1.0), pad = exec_pf(c, "pad_value", 0.0);
    const char *bm = exec_ps(c, "box_coordinate_mode");
    int bmode = !bm || !strcmp(bm, "CORNERS_HEIGHT_FIRST") ? 0 : !strcmp(bm, "CORNERS_WIDTH_FIRST") ? 1
              : !strcmp(bm, "CENTER_SIZE_HEIGHT_FIRST") ? 2 : !strcmp(bm, "CENTER_SIZE_WIDTH_FIRST") ? 3 : -1;
    int sm = sampling_mode(exec_ps(c, "sampling_mode"));
    if (bmode < 0 || sm < 0) return exec_fail(c, "unknown box_coordinate_mode or sampling_mode");
    int64_t N, per; /* boxes, and values per box in the box tensor */
    bool has_index;
    if (v17) {
        if (boxes->rank != 2 || boxes->dim[1] != 4) return exec_fail(c, "boxes must be [N, 4]");
        N = boxes->dim[0];
        per = 4;
        has_index = true;
        if (bidx && bidx->d && (int64_t)bidx->n != N) return exec_fail(c, "box_indices must hold N values");
    } else {
        NEED(roi, "roi");
        /* the boxes are read as N rows of dim[2] values: every other dim
         * must be 1, or the roi holds fewer values than that */
        if (roi->rank != 5 || (roi->dim[2] != 4 && roi->dim[2] != 5) || roi->dim[1] != 1 || roi->dim[3] != 1 ||
            roi->dim[4] != 1)
            return exec_fail(c, "roi must be [N, 1, 4 or 5, 1, 1], is [%lld, %lld, %lld, %lld, %lld]",
                             (long long)roi->dim[0], (long long)roi->dim[1], (long long)roi->dim[2],
                             (long long)roi->dim[3], (long long)roi->dim[4]);
        N = roi->dim[0];
        per = roi->dim[2];
        has_index = per == 5;
    }
    int64_t nb = v17 || has_index ? 1 : B; /* images each box is applied to */
    int64_t dim5[5] = {N, nb, C, Ho, Wo}, dim4[4] = {N, C, Ho, Wo};
    xt *y = v17 ? exec_out(c, 0, 4, dim4) : exec_out(c, 0, 5, dim5);
    if (!y) return exec_fail(c, "out of memory");
    double *gh = malloc((size_t)exec_nz(Ho) * sizeof *gh), *gw = malloc((size_t)exec_nz(Wo) * sizeof *gw);
    if (!gh || !gw) { free(gh); free(gw); return exec_fail(c, "out of memory"); }
    size_t o = 0;
    for (int64_t n = 0; n < N; n++) {
        const float *bx = v17 ? boxes->d + n * 4 : roi->d + n * per + (has_index ? 1 : 0);
        int64_t img = 0;
        if (v17) img = bidx && bidx->d ? exec_f2i(bidx->d[n]) : n;
        else if (has_index) img = exec_f2i(roi->d[n * per]);
        if (has_index && (img < 0 || img >= B)) {
            free(gh);
            free(gw);
            return exec_fail(c, "box %lld: batch index %lld out of range", (long long)n, (long long)img);
        }
        double v[4] = {bx[0], bx[1], bx[2], bx[3]}, h0, w0, h1, w1;
        switch (bmode) {
        case 0: h0 = v[0]; w0 = v[1]; h1 = v[2]; w1 = v[3]; break;
        case 1: w0 = v[0]; h0 = v[1]; w1 = v[2]; h1 = v[3]; break;
        case 2: h0 = v[0] - v[2] / 2; w0 = v[1] - v[3] / 2; h1 = v[0] + v[2] / 2; w1 = v[1] + v[3] / 2; break;
        default: w0 = v[0] - v[2] / 2; h0 = v[1] - v[3] / 2; w1 = v[0] + v[2] / 2; h1 = v[1] + v[3] / 2; break;
        }
        if (norm) { h0 *= (double)(H - 1); h1 *= (double)(H - 1); w0 *= (double)(W - 1); w1 *= (double)(W - 1); }
        h0 *= scale; h1 *= scale; w0 *= scale; w1 *= scale;
        /* the grid over the box: its extent (h1 - h0) in place of X - 1 */
        for (int64_t i = 0; i < Ho; i++)
            gh[i] = h0 + clampd(grid_point(sm, i, Ho, h1 - h0 + 1), 0, h1 - h0 > 0 ? h1 - h0 : 0);
        for (int64_t i = 0; i < Wo; i++)
            gw[i] = w0 + clampd(grid_point(sm, i, Wo, w1 - w0 + 1), 0, w1 - w0 > 0 ? w1 - w0 : 0);
        for (int64_t bb = 0; bb < nb; bb++) {
            int64_t im = has_index ? img : bb;
            for (int64_t ch = 0; ch < C; ch++) {
                const float *plane = x->d + (im * C + ch) * H * W;
                for (int64_t i = 0; i < Ho; i++)
                    for (int64_t j = 0; j < Wo; j++) y->d[o++] = (float)sample_bilinear(plane, H, W, gh[i], gw[j], pad);
            }
        }
    }
    free(gh);
    free(gw);
    return 0;
}

/* ---- affine, resample ------------------------------------------------------------------ */

enum { PAD_CONST, PAD_BORDER, PAD_REFLECT, PAD_SYMMETRIC };

/* a coordinate outside [0, X-1] under a padding mode: the in-image
 * coordinate, or NAN for constant padding. reflection mirrors about the
 * border pixels' centres (|1 2 3| -> 2 3 2 1 2 3 2 1 2), symmetric about
 * their outer edges (3 2 1 1 2 3 3 2 1). */
static double pad_coord(int mode, double g, int64_t X) {
    double hi = (double)(X - 1);
    if (g >= 0 && g <= hi) return g;
    switch (mode) {
    case PAD_BORDER: return clampd(g, 0, hi);
    case PAD_REFLECT: {
        if (X == 1) return 0;
        double p = 2 * hi, r = fmod(fabs(g), p);
        return r > hi ? p - r : r;
    }
    case PAD_SYMMETRIC: {
        double p = 2 * (double)X, r = fmod(g + 0.5, p);
        if (r < 0) r += p;
        r = r >= (double)X ? p - r : r;
        return clampd(r - 0.5, 0, hi);
    }
    default: return NAN;
    }
}

/* value at (h, w) with padding and sampling */
static double sample_padded(const float *plane, int64_t H, int64_t W, double h, double w, bool nearest, int pmode,
                            double pval) {
    if (nearest) {
        double hh = pad_coord(pmode, h, H), ww = pad_coord(pmode, w, W);
        if (hh != hh || ww != ww) {
            /* constant padding: the nearest pixel, if it is inside */
            int64_t ih = exec_f2i(nearbyint(h)), iw = exec_f2i(nearbyint(w));
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) return pval;
            return plane[ih * W + iw];
        }
        int64_t ih = exec_f2i(nearbyint(hh)), iw = exec_f2i(nearbyint(ww));
        if (ih > H - 1) ih = H - 1;
        if (iw > W - 1) iw = W - 1;
        return plane[ih * W + iw];
    }
    /* bilinear over the four neighbours, each padded on its own */
    double fh = floor(h), fw = floor(w), th = h - fh, tw = w - fw, acc = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double wt = (a ? th : 1 - th) * (b ? tw : 1 - tw);
            if (wt == 0) continue;
            double ph = fh + a, pw = fw + b, v;
            if (ph >= 0 && ph <= (double)(H - 1) && pw >= 0 && pw <= (double)(W - 1)) {
                v = plane[(int64_t)ph * W + (int64_t)pw];
            } else if (pmode == PAD_CONST) {
                v = pval;
            } else {
                double qh = pad_coord(pmode, ph, H), qw = pad_coord(pmode, pw, W);
                v = sample_bilinear(plane, H, W, qh, qw, pval);
            }
            acc += wt * v;
        }
    return acc;
}

/* normalised coordinate -> pixel (coordinates_mode, align_corners) */
static double to_pixel(int cmode, bool align, double v, int64_t X) {
    switch (cmode) {
    case 1: return align ? (v + 1) / 2 * (double)(X - 1) : ((v + 1) * (double)X - 1) / 2;
    case 2: return align ? v * (double)(X - 1) : v * (double)X - 0.5;
    default: return v;
    }
}

static int coord_mode(const char *s) {
    if (!s || !strcmp(s, "unnormalized")) return 0;
    if (!strcmp(s, "normalized_minus_one_to_one")) return 1;
    if (!strcmp(s, "normalized_zero_to_one")) return 2;
    return -1;
}

static int pad_mode(const char *s) {
    if (!s || !strcmp(s, "constant")) return PAD_CONST;
    if (!strcmp(s, "border")) return PAD_BORDER;
    if (!strcmp(s, "reflection")) return PAD_REFLECT;
    if (!strcmp(s, "symmetric")) return PAD_SYMMETRIC;
    return -1;
}

/* Border, reflection and symmetric padding repeat a pixel of the image:
 * a plane without one (H or W 0) has none, and the clamped index comes out
 * -1. Constant padding reads no pixel outside the image. 0, or -1 after
 * exec_fail when the output would need such a pixel. */
static int chk_plane(xctx *c, int pmode, int64_t H, int64_t W, size_t out_n) {
    if ((H < 1 || W < 1) && pmode != PAD_CONST && out_n)
        return exec_fail(c, "x has an empty %lld x %lld plane: padding other than constant has no pixel to repeat",
                         (long long)H, (long long)W);
    return 0;
}

static int chk_resample(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const sm[] = {"bilinear", "nearest", NULL};
    static const char *const pm[] = {"constant", "border", "reflection", "symmetric", NULL};
    static const char *const cm[] = {"unnormalized", "normalized_minus_one_to_one", "normalized_zero_to_one", NULL};
    if (mil_chk_one_of(io, op, "sampling_mode", sm, why, n) != 0) return -1;
    if (mil_chk_one_of(io, op, "padding_mode", pm, why, n) != 0) return -1;
    return mil_chk_one_of(io, op, "coordinates_mode", cm, why, n);
}

/* SOURCE: iOS15/image_resizing.py resample: coordinates [B, H2, W2, 2] as
 * (x, y); sampling bilinear / nearest; padding constant / border /
 * reflection / symmetric; coordinates unnormalized or normalized to [-1, 1]
 * or [0, 1]; align_corners: the extremes are pixel centres (else edges). */
static int k_resample(xctx *c) {
    const xt *x = exec_in(c, "x"), *g = exec_in(c, "coordinates");
    NEED(x, "x");
    NEED(g, "coordinates");
    if (x->rank != 4 || g->rank != 4 || g->dim[3] != 2 || g->dim[0] != x->dim[0])
        return exec_fail(c, "x must be [B, C, H, W] and coordinates [B, H2, W2, 2]");
    const char *s = exec_ps(c, "sampling_mode");
    bool nearest = s && !strcmp(s, "nearest");
    int pm = pad_mode(exec_ps(c, "padding_mode")), cm = coord_mode(exec_ps(c, "coordinates_mode"));
    if (pm < 0 || cm < 0 || (s && !nearest && strcmp(s, "bilinear"))) return exec_fail(c, "unknown mode");
    bool align = exec_pb(c, "align_corners", false);
    double pval = exec_pf(c, "padding_value", 0.0);
    int64_t B = x->dim[0], C = x->dim[1], H = x->dim[2], W = x->dim[3], Ho = g->dim[1], Wo = g->dim[2];
    int64_t dim[4] = {B, C, Ho, Wo};
    xt *y = exec_out(c, 0, 4, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (chk_plane(c, pm, H, W, y->n) != 0) return -1;
    for (int64_t b = 0; b < B; b++)
        for (int64_t ch = 0; ch < C; ch++) {
            const float *plane = x->d + (b * C + ch) * H * W;
            for (int64_t i = 0; i < Ho; i++)
                for (int64_t j = 0; j < Wo; j++) {
                    const float *p = g->d + ((b * Ho + i) * Wo + j) * 2;
                    double pw = to_pixel(cm, align, p[0], W), ph = to_pixel(cm, align, p[1], H);
                    y->d[((b * C + ch) * Ho + i) * Wo + j] = (float)sample_padded(plane, H, W, ph, pw, nearest, pm, pval);
                }
        }
    return 0;
}

/* SOURCE: iOS15/image_resizing.py affine: transform_matrix [B or 1, 6] =
 * [a0 a1 a2 b0 b1 b2]; output point (x, y) in normalised coordinates maps to
 * x' = a0 x + a1 y + a2, y' = b0 x + b1 y + b2 in the input, sampled
 * bilinearly with constant padding (coordinates_mode
 * normalized_minus_one_to_one; align_corners as resample). */
static int k_affine(xctx *c) {
    const xt *x = exec_in(c, "x"), *m = exec_in(c, "transform_matrix");
    NEED(x, "x");
    NEED(m, "transform_matrix");
    if (x->rank != 4 || m->rank != 2 || m->dim[1] != 6 || (m->dim[0] != 1 && m->dim[0] != x->dim[0]))
        return exec_fail(c, "x must be [B, C, H, W] and transform_matrix [B or 1, 6]");
    int64_t Ho = exec_pi(c, "output_height", 0), Wo = exec_pi(c, "output_width", 0);
    if (Ho < 0 || Wo < 0 || (double)Ho * (double)Wo > (double)(1 << 26)) return exec_fail(c, "bad output size");
    const char *s = exec_ps(c, "sampling_mode");
    bool nearest = s && !strcasecmp(s, "nearest");
    int pm = pad_mode(exec_ps(c, "padding_mode")), cm = coord_mode(exec_ps(c, "coordinates_mode"));
    if (pm < 0 || cm < 0) return exec_fail(c, "unknown mode");
    bool align = exec_pb(c, "align_corners", true);
    double pval = exec_pf(c, "padding_value", 0.0);
    int64_t B = x->dim[0], C = x->dim[1], H = x->dim[2], W = x->dim[3];
    int64_t dim[4] = {B, C, Ho, Wo};
    xt *y = exec_out(c, 0, 4, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (chk_plane(c, pm, H, W, y->n) != 0) return -1;
    for (int64_t b = 0; b < B; b++) {
        const float *t = m->d + (m->dim[0] == 1 ? 0 : b * 6);
        for (int64_t i = 0; i < Ho; i++)
            for (int64_t j = 0; j < Wo; j++) {
                /* the output pixel in the normalised system, then the transform */
                double ox = cm == 1 ? (align ? (Wo > 1 ? -1 + 2.0 * (double)j / (double)(Wo - 1) : 0) : (2.0 * (double)j + 1) / (double)Wo - 1)
                          : cm == 2 ? (align ? (Wo > 1 ? (double)j / (double)(Wo - 1) : 0) : ((double)j + 0.5) / (double)Wo) : (double)j;
                double oy = cm == 1 ? (align ? (Ho > 1 ? -1 + 2.0 * (double)i / (double)(Ho - 1) : 0) : (2.0 * (double)i + 1) / (double)Ho - 1)
                          : cm == 2 ? (align ? (Ho > 1 ? (double)i / (double)(Ho - 1) : 0) : ((double)i + 0.5) / (double)Ho) : (double)i;
                double xs = t[0] * ox + t[1] * oy + t[2], ys = t[3] * ox + t[4] * oy + t[5];
                double pw = to_pixel(cm, align, xs, W), ph = to_pixel(cm, align, ys, H);
                for (int64_t ch = 0; ch < C; ch++)
                    y->d[((b * C + ch) * Ho + i) * Wo + j] =
                        (float)sample_padded(x->d + (b * C + ch) * H * W, H, W, ph, pw, nearest, pm, pval);
            }
    }
    return 0;
}

/* ---- non-maximum suppression --------------------------------------------------------------- */

typedef struct cand {
    float score;
    int64_t i;
    int64_t cls;
} cand;

static int cand_cmp(const void *a, const void *b) {
    const cand *p = a, *q = b;
    if (p->score != q->score) return p->score > q->score ? -1 : 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

/* IoU of two centre-size boxes */
static double iou(const float *a, const float *b) {
    double ax0 = a[0] - a[2] / 2, ax1 = a[0] + a[2] / 2, ay0 = a[1] - a[3] / 2, ay1 = a[1] + a[3] / 2;
    double bx0 = b[0] - b[2] / 2, bx1 = b[0] + b[2] / 2, by0 = b[1] - b[3] / 2, by1 = b[1] + b[3] / 2;
    double iw = fmin(ax1, bx1) - fmax(ax0, bx0), ih = fmin(ay1, by1) - fmax(ay0, by0);
    if (iw <= 0 || ih <= 0) return 0;
    double inter = iw * ih, uni = (ax1 - ax0) * (ay1 - ay0) + (bx1 - bx0) * (by1 - by0) - inter;
    return uni > 0 ? inter / uni : 0;
}

/* SOURCE: iOS15/tensor_operation.py non_maximum_suppression (boxes [n, B, 4],
 * scores [n, B, K], iou / score thresholds, max_boxes, per_class_suppression;
 * 4 outputs) and iOS17/tensor_operation.py (boxes [n, 4, B], scores
 * [n, K, B], no score threshold, 3 outputs). */
static int k_non_maximum_suppression(xctx *c) {
    const xt *bx = exec_in(c, "boxes"), *sc = exec_in(c, "scores");
    NEED(bx, "boxes");
    NEED(sc, "scores");
    bool v17 = exec_n_outputs(c) == 3;
    if (bx->rank != 3 || sc->rank != 3) return exec_fail(c, "boxes and scores must have rank 3");
    int64_t n = bx->dim[0], B = v17 ? bx->dim[2] : bx->dim[1], K = v17 ? sc->dim[1] : sc->dim[2];
    if ((v17 ? bx->dim[1] : bx->dim[2]) != 4 || sc->dim[0] != n || (v17 ? sc->dim[2] : sc->dim[1]) != B)
        return exec_fail(c, "boxes and scores do not match");
    double iou_t = exec_pf(c, "iou_threshold", 0.5), score_t = v17 ? -INFINITY : exec_pf(c, "score_threshold", 0);
    int64_t maxb = exec_pi(c, "max_boxes", 0);
    if (maxb < 0 || maxb > (1 << 20)) return exec_fail(c, "max_boxes %lld out of range", (long long)maxb);
    bool per_class = exec_pb(c, "per_class_suppression", false);
    int64_t d0[3] = {n, v17 ? 4 : maxb, v17 ? maxb : 4}, d1[3] = {n, v17 ? K : maxb, v17 ? maxb : K}, d2[2] = {n, maxb}, d3 = n;
    xt *ob = exec_out(c, 0, 3, d0), *os = exec_out(c, 1, 3, d1), *oi = exec_out(c, 2, 2, d2);
    xt *on = v17 ? NULL : exec_out(c, 3, 1, &d3);
    if (!ob || !os || !oi || (!v17 && !on)) return exec_fail(c, "out of memory");
    oi->dt = EXEC_DT_INT32;
    if (on) on->dt = EXEC_DT_INT32;
    memset(ob->d, 0, ob->n * sizeof(float));
    memset(os->d, 0, os->n * sizeof(float));
    for (size_t i = 0; i < oi->n; i++) oi->d[i] = -1;
    cand *cs = malloc((size_t)exec_nz(B) * sizeof *cs);
    float *box = malloc((size_t)exec_nz(B) * 4 * sizeof *box);
    int64_t *kept = malloc((size_t)exec_nz(B) * sizeof *kept), *kcls = malloc((size_t)exec_nz(B) * sizeof *kcls);
    if (!cs || !box || !kept || !kcls) {
        free(cs); free(box); free(kept); free(kcls);
        return exec_fail(c, "out of memory");
    }
    for (int64_t bt = 0; bt < n; bt++) {
        /* boxes as [B][4], score per box = its best class */
        for (int64_t i = 0; i < B; i++)
            for (int k = 0; k < 4; k++) box[i * 4 + k] = v17 ? bx->d[(bt * 4 + k) * B + i] : bx->d[(bt * B + i) * 4 + k];
        int64_t nc = 0, best_any = 0;
        float best_score = -INFINITY;
        for (int64_t i = 0; i < B; i++) {
            float s = -INFINITY;
            int64_t cls = 0;
            for (int64_t k = 0; k < K; k++) {
                float v = v17 ? sc->d[(bt * K + k) * B + i] : sc->d[(bt * B + i) * K + k];
                if (v > s) { s = v; cls = k; }
            }
            if (s > best_score) { best_score = s; best_any = i; }
            if (s >= score_t) cs[nc++] = (cand){s, i, cls};
        }
        qsort(cs, (size_t)nc, sizeof *cs, cand_cmp);
        int64_t nk = 0;
        for (int64_t a = 0; a < nc && nk < maxb; a++) {
            bool keep = true;
            for (int64_t q = 0; q < nk && keep; q++) {
                if (per_class && kcls[q] != cs[a].cls) continue;
                if (iou(&box[cs[a].i * 4], &box[kept[q] * 4]) > iou_t) keep = false;
            }
            if (keep) {
                kcls[nk] = cs[a].cls;
                kept[nk++] = cs[a].i;
            }
        }
        if (!nk && !v17 && B > 0 && maxb > 0) kept[nk++] = best_any; /* nothing passed: the best box alone */
        for (int64_t q = 0; q < nk; q++) {
            int64_t i = kept[q];
            for (int k = 0; k < 4; k++) {
                if (v17) ob->d[(bt * 4 + k) * maxb + q] = box[i * 4 + k];
                else ob->d[(bt * maxb + q) * 4 + k] = box[i * 4 + k];
            }
            for (int64_t k = 0; k < K; k++) {
                float v = v17 ? sc->d[(bt * K + k) * B + i] : sc->d[(bt * B + i) * K + k];
                if (v17) os->d[(bt * K + k) * maxb + q] = v;
                else os->d[(bt * maxb + q) * K + k] = v;
            }
            oi->d[bt * maxb + q] = (float)i;
        }
        if (on) on->d[bt] = (float)nk;
    }
    free(cs);
    free(box);
    free(kept);
    free(kcls);
    return 0;
}

/* ---- table ------------------------------------------------------------------------------------ */

#define K(name) {#name, k_##name, NULL}
#define KC(name, chk) {#name, k_##name, chk}
static const exec_kdef KERNELS[] = {
    K(upsample_bilinear), KC(resize_bilinear, chk_sampling), K(resize_nearest_neighbor), KC(resize, chk_sampling),
    K(crop), KC(crop_resize, chk_sampling), KC(resample, chk_resample), KC(affine, chk_resample),
    K(non_maximum_suppression),
};
const mil_table EXEC_MIL_IMAGE = {KERNELS, sizeof KERNELS / sizeof *KERNELS};
