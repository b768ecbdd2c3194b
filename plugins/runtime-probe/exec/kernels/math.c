/* SPDX-License-Identifier: Apache-2.0 */
/* exec_math.c — the numeric building blocks shared by the ML Program and
 * NeuralNetwork kernels of the reference executor.
 *
 * Convolution is im2col + OpenBLAS sgemm per (batch, group), with a direct
 * path for 1x1/stride-1 kernels (no im2col) and for depthwise convolutions
 * (one filter per channel, row-wise accumulation with the bounds solved per
 * kernel tap); on CPUs with AVX-512 the executor's own GEMM (exec_conv.c)
 * runs every convolution but the depthwise ones instead. Transposed convolution is sgemm + col2im. Pooling handles
 * max/average/L2 windows clipped to the padded input (average divides by
 * the window's extent inside the padded input, or by its in-bounds count
 * when padding is excluded, as PyTorch's ceil-mode pooling does). The
 * elementwise binary ops broadcast NumPy-style after collapsing dimensions
 * with the same broadcast pattern, so the inner loop runs over the longest
 * contiguous stretch. Reductions accumulate in double. Everything works on
 * float32 buffers; the caller handles fp16 rounding afterwards. */
#include <float.h>
#include <stdatomic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_blas.h"
#include "../exec_internal.h"

/* ---- convolution ------------------------------------------------------------ */

/* im2col of the output columns [b, e) (flat oh * Wo + ow): element (row,
 * idx) goes to col[row * ld + idx - base]; rows are (c, ki, kj). For each
 * row the valid ow range is solved once, so the copies are memcpy or a
 * strided loop. */
EXEC_HOT static void im2col_range(const float *x, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                         const int64_t s[2], const int64_t d[2], const int64_t pad[4], int64_t Wo, size_t b,
                         size_t e, float *col, size_t ld, size_t base) {
    for (int64_t c = 0; c < C; c++)
        for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++) {
                float *row = col + (size_t)((c * kh + ki) * kw + kj) * ld;
                const float *xc = x + c * H * W;
                /* valid ow range: 0 <= ow*s - pl + kj*d < W */
                int64_t off = kj * d[1] - pad[2];
                int64_t lo = off >= 0 ? 0 : (-off + s[1] - 1) / s[1];
                int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / s[1] + 1 : 0;
                if (hi > Wo) hi = Wo;
                if (lo > hi) lo = hi;
                size_t idx = b;
                while (idx < e) {
                    int64_t oh = (int64_t)(idx / (size_t)Wo), ow0 = (int64_t)(idx % (size_t)Wo);
                    int64_t ow1 = ow0 + (int64_t)(e - idx) < Wo ? ow0 + (int64_t)(e - idx) : Wo;
                    float *r = row + (idx - base) - (size_t)ow0; /* r[ow] for ow in [ow0, ow1) */
                    int64_t ih = oh * s[0] - pad[0] + ki * d[0];
                    if (ih < 0 || ih >= H) {
                        memset(r + ow0, 0, (size_t)(ow1 - ow0) * sizeof(float));
                    } else {
                        const float *xr = xc + ih * W + off;
                        int64_t a = lo < ow0 ? ow0 : lo > ow1 ? ow1 : lo;
                        int64_t z = hi < a ? a : hi > ow1 ? ow1 : hi;
                        for (int64_t ow = ow0; ow < a; ow++) r[ow] = 0;
                        /* rows are short (tens of values): a loop the
                         * compiler vectorises beats a memcpy call */
                        if (s[1] == 1) for (int64_t ow = a; ow < z; ow++) r[ow] = xr[ow];
                        else for (int64_t ow = a; ow < z; ow++) r[ow] = xr[ow * s[1]];
                        for (int64_t ow = z; ow < ow1; ow++) r[ow] = 0;
                    }
                    idx += (size_t)(ow1 - ow0);
                }
            }
}

EXEC_HOT static void depthwise(const float *x, int64_t H, int64_t W, const float *w, int64_t kh, int64_t kw,
                      const int64_t s[2], const int64_t d[2], const int64_t pad[4], int64_t Ho, int64_t Wo,
                      float b, float *y) {
    for (int64_t i = 0; i < Ho * Wo; i++) y[i] = b;
    for (int64_t kj = 0; kj < kw; kj++) {
        int64_t off = kj * d[1] - pad[2];
        int64_t lo = off >= 0 ? 0 : (-off + s[1] - 1) / s[1];
        int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / s[1] + 1 : 0;
        if (hi > Wo) hi = Wo;
        if (lo >= hi) continue;
        for (int64_t ki = 0; ki < kh; ki++) {
            float wv = w[ki * kw + kj];
            for (int64_t oh = 0; oh < Ho; oh++) {
                int64_t ih = oh * s[0] - pad[0] + ki * d[0];
                if (ih < 0 || ih >= H) continue;
                const float *xr = x + ih * W + off;
                float *yr = y + oh * Wo;
                if (s[1] == 1) for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow];
                else for (int64_t ow = lo; ow < hi; ow++) yr[ow] += wv * xr[ow * s[1]];
            }
        }
    }
}

/* ---- matrix products split across the plan's threads ---------------------------- */

typedef struct gemm_job {
    bool ta, tb;
    int64_t M, K, lda, ldb, ldc;
    const float *A, *B;
    float *C;
} gemm_job;

/* columns [b, e) of C */
static void gemm_cols(void *arg, size_t b, size_t e, int range) {
    const gemm_job *j = arg;
    (void)range;
    const float *Bb = j->tb ? j->B + b * (size_t)j->ldb : j->B + b;
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, (int)j->M,
                (int)(e - b), (int)j->K, 1.0f, j->A, (int)j->lda, Bb, (int)j->ldb, 0.0f, j->C + b, (int)j->ldc);
}

void exec_gemm(exec_plan *p, bool ta, bool tb, int64_t M, int64_t N, int64_t K, const float *A, int64_t lda,
               const float *B, int64_t ldb, float *C, int64_t ldc) {
    if (M <= 0 || N <= 0) return;
    gemm_job j = {ta, tb, M, K, lda, ldb, ldc, A, B, C};
    /* split only when each range keeps real work (>= ~2 MFLOP) */
    double flop = 2.0 * (double)M * (double)K;
    size_t grain = flop > 0 ? (size_t)(2e6 / flop) : (size_t)N;
    if (grain < 16) grain = 16;
    exec_par_for(p, (size_t)N, grain, gemm_cols, &j);
}

/* ---- convolution ------------------------------------------------------------------------ */

typedef struct conv_job {
    const float *xn, *w, *bias;
    float *yn, *col;
    int64_t H, W, Wo, HWo, groups, Cg, Og, K, kh, kw;
    const int64_t *s, *d, *pad;
    bool pointwise;
    size_t col_stride;            /* floats of col per range (columns mode) */
} conv_job;

EXEC_HOT static void conv_bias_cols(const conv_job *j, int64_t g, size_t b, size_t e) {
    if (!j->bias) return;
    float *yg = j->yn + g * j->Og * j->HWo;
    for (int64_t o = 0; o < j->Og; o++) {
        float bv = j->bias[g * j->Og + o];
        float *yr = yg + o * j->HWo;
        for (size_t i = b; i < e; i++) yr[i] += bv;
    }
}

/* columns mode: im2col of its columns into its own buffer, then sgemm */
static void conv_cols(void *arg, size_t b, size_t e, int range) {
    const conv_job *j = arg;
    size_t ncol = e - b;
    float *col = j->col + (size_t)range * j->col_stride;
    for (int64_t g = 0; g < j->groups; g++) {
        const float *xg = j->xn + g * j->Cg * j->H * j->W;
        float *yg = j->yn + g * j->Og * j->HWo;
        const float *wg = j->w + g * j->Og * j->K;
        if (j->pointwise) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)j->Og, (int)ncol, (int)j->K, 1.0f, wg,
                        (int)j->K, xg + b, (int)j->HWo, 0.0f, yg + b, (int)j->HWo);
        } else {
            im2col_range(xg, j->Cg, j->H, j->W, j->kh, j->kw, j->s, j->d, j->pad, j->Wo, b, e, col, ncol, b);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)j->Og, (int)ncol, (int)j->K, 1.0f, wg,
                        (int)j->K, col, (int)ncol, 0.0f, yg + b, (int)j->HWo);
        }
        conv_bias_cols(j, g, b, e);
    }
}

/* rows mode, step 1: im2col of group g's columns into the shared buffer */
typedef struct conv_g {
    const conv_job *j;
    int64_t g;
} conv_g;

static void conv_im2col_part(void *arg, size_t b, size_t e, int range) {
    const conv_g *cg = arg;
    const conv_job *j = cg->j;
    (void)range;
    im2col_range(j->xn + cg->g * j->Cg * j->H * j->W, j->Cg, j->H, j->W, j->kh, j->kw, j->s, j->d, j->pad, j->Wo, b,
                 e, j->col, (size_t)j->HWo, 0);
}

/* rows mode, step 2: output channels [b, e) of group g */
static void conv_rows(void *arg, size_t b, size_t e, int range) {
    const conv_g *cg = arg;
    const conv_job *j = cg->j;
    (void)range;
    int64_t g = cg->g;
    const float *src = j->pointwise ? j->xn + g * j->Cg * j->H * j->W : j->col;
    float *yg = j->yn + (g * j->Og + (int64_t)b) * j->HWo;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(e - b), (int)j->HWo, (int)j->K, 1.0f,
                j->w + (g * j->Og + (int64_t)b) * j->K, (int)j->K, src, (int)j->HWo, 0.0f, yg, (int)j->HWo);
    if (j->bias)
        for (size_t o = b; o < e; o++) {
            float bv = j->bias[g * j->Og + (int64_t)o];
            float *yr = j->yn + (g * j->Og + (int64_t)o) * j->HWo;
            for (int64_t i = 0; i < j->HWo; i++) yr[i] += bv;
        }
}

typedef struct dw_job {
    const float *xn, *w, *bias;
    float *yn;
    int64_t H, W, Ho, Wo, kh, kw;
    const int64_t *s, *d, *pad;
} dw_job;

static void dw_channels(void *arg, size_t b, size_t e, int range) {
    const dw_job *j = arg;
    (void)range;
    for (size_t ch = b; ch < e; ch++)
        depthwise(j->xn + ch * (size_t)(j->H * j->W), j->H, j->W, j->w + ch * (size_t)(j->kh * j->kw), j->kh, j->kw,
                  j->s, j->d, j->pad, j->Ho, j->Wo, j->bias ? j->bias[ch] : 0.0f, j->yn + ch * (size_t)(j->Ho * j->Wo));
}

/* a float32 weight buffer as a tensor of n values */
static xt w_view(const float *w, size_t n) {
    xt t;
    memset(&t, 0, sizeof t);
    t.d = (float *)(uintptr_t)w;
    t.rank = 1;
    t.dim[0] = (int64_t)n;
    t.n = n;
    return t;
}

int exec_conv2d(xctx *c, const xt *x, const float *w, const float *bias, int64_t cout, int64_t groups,
                int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2],
                const int64_t pad[4], xt *y) {
    int r = x->rank;
    xt wt = w_view(w, (size_t)(cout * (x->dim[r - 3] / (groups > 0 ? groups : 1)) * kh * kw));
    return exec_conv2d_w(c, x, &wt, bias, cout, groups, kh, kw, stride, dil, pad, y);
}

int exec_conv2d_w(xctx *c, const xt *x, const xt *wt, const float *bias, int64_t cout, int64_t groups,
                  int64_t kh, int64_t kw, const int64_t stride[2], const int64_t dil[2],
                  const int64_t pad[4], xt *y) {
    int r = x->rank;
    int64_t Cin = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t Ho = y->dim[r - 2], Wo = y->dim[r - 1];
    int64_t N = (int64_t)(x->n / exec_nz(Cin * H * W));
    int64_t Cg = Cin / groups, Og = cout / groups, K = Cg * kh * kw, HWo = Ho * Wo;
    bool pointwise = kh == 1 && kw == 1 && stride[0] == 1 && stride[1] == 1 && pad[0] == 0 && pad[1] == 0 &&
                     pad[2] == 0 && pad[3] == 0 && Ho == H && Wo == W;
    bool dw = Cg == 1 && Og == 1;
    exec_plan *p = c->p;
    if (!dw) {
        int fr = exec_conv2d_fast(c, x, wt, bias, cout, groups, kh, kw, stride, dil, pad, y, false);
        if (fr <= 0) return fr;
    }
    /* a stored-form weight decoded for this step */
    const float *w = exec_dense(c, wt);
    if (!w) return exec_fail(c, "out of memory (weights)");
    /* columns mode when the image is wide enough for every thread to get
     * >= 64 columns, else output channels (late layers: few columns, many
     * channels) */
    int threads = exec_par_threads(p);
    size_t col_grain = 64;
    bool by_cols = (size_t)HWo >= (size_t)threads * col_grain || Og < 2 * 16;
    int ranges = by_cols ? exec_par_ranges(p, (size_t)HWo, col_grain) : 1;
    size_t maxcols = (size_t)HWo / (size_t)ranges + 1;
    float *col = NULL;
    size_t col_stride = 0;
    if (!pointwise && !dw) {
        col_stride = by_cols ? (size_t)K * maxcols : (size_t)(K * HWo);
        col = exec_scratch(c, col_stride * (size_t)(by_cols ? ranges : 1));
        if (!col) return exec_fail(c, "out of memory (im2col %lld x %lld)", (long long)K, (long long)HWo);
    }
    for (int64_t n = 0; n < N; n++) {
        const float *xn = x->d + n * Cin * H * W;
        float *yn = y->d + n * cout * HWo;
        if (dw) {
            dw_job dj = {xn, w, bias, yn, H, W, Ho, Wo, kh, kw, stride, dil, pad};
            exec_par_for(p, (size_t)cout, 4, dw_channels, &dj);
            continue;
        }
        conv_job j = {xn, w, bias, yn, col, H, W, Wo, HWo, groups, Cg, Og, K, kh, kw, stride, dil, pad, pointwise,
                      col_stride};
        if (by_cols) {
            exec_par_for(p, (size_t)HWo, col_grain, conv_cols, &j);
        } else {
            for (int64_t g = 0; g < groups; g++) {
                conv_g cg = {&j, g};
                if (!pointwise) exec_par_for(p, (size_t)HWo, 8, conv_im2col_part, &cg);
                exec_par_for(p, (size_t)Og, 16, conv_rows, &cg);
            }
        }
    }
    return 0;
}

/* SOURCE: coremltools ops/defs/iOS15/conv.py conv_transpose (weight
 * [C_in, C_out/groups, kH, kW]; output (D_in-1)*stride + (K-1)*dilation + 1
 * - pad_before - pad_after); NeuralNetwork.proto ConvolutionLayerParams
 * (deconvolution weights [kernelChannels, outputChannels/nGroups, H, W]). */
int exec_deconv2d(xctx *c, const xt *x, const float *w, const float *bias, int64_t cout,
                  int64_t groups, int64_t kh, int64_t kw, const int64_t stride[2],
                  const int64_t dil[2], const int64_t pad[4], xt *y) {
    int r = x->rank;
    int64_t Cin = x->dim[r - 3], H = x->dim[r - 2], W = x->dim[r - 1];
    int64_t Ho = y->dim[r - 2], Wo = y->dim[r - 1];
    int64_t N = (int64_t)(x->n / exec_nz(Cin * H * W));
    int64_t Cg = Cin / groups, Og = cout / groups, M = Og * kh * kw, HW = H * W;
    float *col = exec_scratch(c, (size_t)(M * HW));
    if (!col) return exec_fail(c, "out of memory (col2im)");
    for (int64_t n = 0; n < N; n++) {
        float *yn = y->d + n * cout * Ho * Wo;
        for (int64_t i = 0; i < cout * Ho * Wo; i++) yn[i] = bias ? bias[i / (Ho * Wo)] : 0.0f;
        for (int64_t g = 0; g < groups; g++) {
            const float *xg = x->d + (n * Cin + g * Cg) * HW;
            /* col[M, HW] = W_g^T [M, Cg] * x_g [Cg, HW] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)M, (int)HW, (int)Cg, 1.0f,
                        w + g * Cg * M, (int)M, xg, (int)HW, 0.0f, col, (int)HW);
            for (int64_t o = 0; o < Og; o++)
                for (int64_t ki = 0; ki < kh; ki++)
                    for (int64_t kj = 0; kj < kw; kj++) {
                        const float *cr = col + ((o * kh + ki) * kw + kj) * HW;
                        float *yo = yn + (g * Og + o) * Ho * Wo;
                        for (int64_t ih = 0; ih < H; ih++) {
                            int64_t oh = ih * stride[0] - pad[0] + ki * dil[0];
                            if (oh < 0 || oh >= Ho) continue;
                            for (int64_t iw = 0; iw < W; iw++) {
                                int64_t ow = iw * stride[1] - pad[2] + kj * dil[1];
                                if (ow < 0 || ow >= Wo) continue;
                                yo[oh * Wo + ow] += cr[ih * W + iw];
                            }
                        }
                    }
        }
    }
    return 0;
}

/* ---- pooling ------------------------------------------------------------------ */

/* Max pooling of one plane, row by row, where pool_max_sep does not run
 * (no AVX-512, strides across other than 1 or 2, or CML_EXEC_POOL_SCALAR).
 * For each tap the valid output columns are solved once, so the inner
 * loops are branch-free. NaN propagates: a tap's value replaces the running
 * maximum when it is larger or NaN, the taps in row order, as in the scalar
 * loop of pool_planes; a window with no element in bounds stays -inf. A
 * stride of 2 across reads each input row as its even and odd elements (eo:
 * scratch of W + 2 floats, deinterleaved once per row), so every tap is a
 * contiguous run the compiler vectorizes. */
EXEC_HOT static void pool_max_plane(const float *xp, float *yp, int64_t H, int64_t W, int64_t Ho, int64_t Wo, int64_t kh,
                           int64_t kw, const int64_t s[2], const int64_t pad[4], float *eo) {
    float *ev = eo, *od = eo ? eo + (W + 1) / 2 + 1 : NULL;
    for (int64_t oh = 0; oh < Ho; oh++) {
        float *yr = yp + oh * Wo;
        for (int64_t ow = 0; ow < Wo; ow++) yr[ow] = -INFINITY;
        int64_t hs = oh * s[0] - pad[0];
        int64_t h0 = hs < 0 ? 0 : hs, h1 = hs + kh < H ? hs + kh : H;
        for (int64_t ih = h0; ih < h1; ih++) {
            const float *xr = xp + ih * W;
            bool split = s[1] == 2 && eo;
            if (split) {
                for (int64_t i = 0; i < W / 2; i++) {
                    ev[i] = xr[2 * i];
                    od[i] = xr[2 * i + 1];
                }
                if (W & 1) ev[W / 2] = xr[W - 1];
            }
            for (int64_t kj = 0; kj < kw; kj++) {
                int64_t off = kj - pad[2];
                int64_t lo = off >= 0 ? 0 : (-off + s[1] - 1) / s[1];
                int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / s[1] + 1 : 0;
                if (hi > Wo) hi = Wo;
                if (lo >= hi) continue;
                const float *xo = xr + off;
                if (split) /* x[off + 2 ow] = (off odd ? od : ev)[ow + (off - (off & 1)) / 2] */
                    xo = ((off & 1) ? od : ev) + (off - (off & 1)) / 2;
                if (s[1] == 1 || split) {
                    for (int64_t ow = lo; ow < hi; ow++) {
                        float v = xo[ow], m = yr[ow];
                        yr[ow] = (v > m || v != v) ? v : m;
                    }
                } else {
                    for (int64_t ow = lo; ow < hi; ow++) {
                        float v = xo[ow * s[1]], m = yr[ow];
                        yr[ow] = (v > m || v != v) ? v : m;
                    }
                }
            }
        }
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define POOL_SEP 1

/* cached; workers may ask at once (each computes the same answer) */
static bool has_avx512(void) {
    static _Atomic int ok = -1;
    int v = atomic_load_explicit(&ok, memory_order_relaxed);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx512f") ? 1 : 0;
        atomic_store_explicit(&ok, v, memory_order_relaxed);
    }
    return v;
}

/* columns c0 .. c0 + 15 of a row of W floats; -inf for those outside
 * [0, W), which are never read */
__attribute__((target("avx512f"))) static inline __m512 row16(const float *xr, int64_t c0, int64_t W) {
    int64_t lo = c0 < 0 ? -c0 : 0, hi = W - c0 < 16 ? W - c0 : 16;
    __mmask16 m = hi > lo ? (__mmask16)(((1u << hi) - 1) & ~((1u << lo) - 1)) : 0;
    return _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), m, xr + c0);
}

/* m keeps its value unless v is larger or NaN (the scalar loop's rule) */
__attribute__((target("avx512f"))) static inline __m512 max_step(__m512 m, __m512 v) {
    __mmask16 k = _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_mov_ps(m, k, v);
}

/* Max pooling of one plane in two passes: each input row's maximum over
 * the kw taps of every output column (hm: H rows of Wo, each input row
 * read once, 16 outputs a vector; a stride of 2 takes the even lanes of 32
 * loaded values), then each output row's maximum over its kh rows of hm.
 * Column by column then row by row gives what the taps in row order give:
 * among equal values (+0 and -0) the first in row order wins, of NaNs the
 * last, and a window with nothing in bounds stays -inf. Strides of 1 or 2
 * across; any kernel, padding and stride down. */
__attribute__((target("avx512f"))) static void pool_max_sep(const float *xp, float *yp, int64_t H, int64_t W,
                                                           int64_t Ho, int64_t Wo, int64_t kh, int64_t kw,
                                                           const int64_t s[2], const int64_t pad[4], float *hm) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const int64_t sw = s[1];
    for (int64_t ih = 0; ih < H; ih++) {
        const float *xr = xp + ih * W;
        float *hr = hm + ih * Wo;
        for (int64_t ow = 0; ow < Wo; ow += 16) {
            __m512 m = _mm512_set1_ps(-INFINITY);
            int64_t c = ow * sw - pad[2];
            if (c >= 0 && c + 16 * sw + kw - 1 <= W) {
                /* every tap's 16 (or 32) columns inside the row: plain loads */
                for (int64_t kj = 0; kj < kw; kj++) {
                    const float *r = xr + c + kj;
                    m = max_step(m, sw == 1 ? _mm512_loadu_ps(r)
                                            : _mm512_permutex2var_ps(_mm512_loadu_ps(r), even, _mm512_loadu_ps(r + 16)));
                }
            } else {
                for (int64_t kj = 0; kj < kw; kj++) {
                    int64_t c0 = c + kj;
                    __m512 v = sw == 1 ? row16(xr, c0, W)
                                       : _mm512_permutex2var_ps(row16(xr, c0, W), even, row16(xr, c0 + 16, W));
                    m = max_step(m, v);
                }
            }
            int64_t n = Wo - ow < 16 ? Wo - ow : 16;
            _mm512_mask_storeu_ps(hr + ow, (__mmask16)((1u << n) - 1), m);
        }
    }
    for (int64_t oh = 0; oh < Ho; oh++) {
        int64_t hs = oh * s[0] - pad[0];
        int64_t h0 = hs < 0 ? 0 : hs, h1 = hs + kh < H ? hs + kh : H;
        float *yr = yp + oh * Wo;
        for (int64_t ow = 0; ow < Wo; ow += 16) {
            int64_t n = Wo - ow < 16 ? Wo - ow : 16;
            __mmask16 mk = (__mmask16)((1u << n) - 1);
            __m512 m = _mm512_set1_ps(-INFINITY);
            for (int64_t ih = h0; ih < h1; ih++) m = max_step(m, _mm512_maskz_loadu_ps(mk, hm + ih * Wo + ow));
            _mm512_mask_storeu_ps(yr + ow, mk, m);
        }
    }
}
#endif

typedef struct pool_job {
    const xt *x;
    xt *y;
    int type;
    int64_t kh, kw;
    const int64_t *stride, *pad;
    bool exclude_pad;
    bool sep; /* max pooling by pool_max_sep */
} pool_job;

static void pool_planes(void *arg, size_t b, size_t e, int range);

void exec_pool2d(exec_plan *p, const xt *x, xt *y, int type, int64_t kh, int64_t kw, const int64_t stride[2],
                 const int64_t pad[4], bool exclude_pad) {
    int r = x->rank;
    int64_t H = x->dim[r - 2], W = x->dim[r - 1];
    size_t planes = x->n / exec_nz(H * W);
    pool_job j = {x, y, type, kh, kw, stride, pad, exclude_pad, false};
#ifdef POOL_SEP
    j.sep = type == POOL_MAX && (stride[1] == 1 || stride[1] == 2) && stride[0] > 0 && kh > 0 && kw > 0 &&
            !p->pool_scalar && has_avx512();
#endif
    exec_par_for(p, planes, 2, pool_planes, &j);
}

static void pool_planes(void *arg, size_t b, size_t e, int range) {
    const pool_job *j = arg;
    (void)range;
    const xt *x = j->x;
    xt *y = j->y;
    int type = j->type;
    int64_t kh = j->kh, kw = j->kw;
    const int64_t *stride = j->stride, *pad = j->pad;
    bool exclude_pad = j->exclude_pad;
    int r = x->rank;
    int64_t H = x->dim[r - 2], W = x->dim[r - 1], Ho = y->dim[r - 2], Wo = y->dim[r - 1];
#ifdef POOL_SEP
    if (type == POOL_MAX && j->sep) {
        float *hm = malloc((size_t)(H * Wo) * sizeof(float));
        if (hm) {
            for (size_t pl = b; pl < e; pl++)
                pool_max_sep(x->d + pl * (size_t)(H * W), y->d + pl * (size_t)(Ho * Wo), H, W, Ho, Wo, kh, kw, stride,
                             pad, hm);
            free(hm);
            return;
        }
    }
#endif
    if (type == POOL_MAX && stride[1] > 0) {
        float *eo = stride[1] == 2 ? malloc((size_t)(W + 3) * sizeof(float)) : NULL; /* NULL: the strided loop */
        for (size_t pl = b; pl < e; pl++)
            pool_max_plane(x->d + pl * (size_t)(H * W), y->d + pl * (size_t)(Ho * Wo), H, W, Ho, Wo, kh, kw, stride,
                           pad, eo);
        free(eo);
        return;
    }
    for (size_t pl = b; pl < e; pl++) {
        const float *xp = x->d + pl * (size_t)(H * W);
        float *yp = y->d + pl * (size_t)(Ho * Wo);
        for (int64_t oh = 0; oh < Ho; oh++) {
            int64_t hs = oh * stride[0] - pad[0], he = hs + kh;
            int64_t hpe = he < H + pad[1] ? he : H + pad[1];
            int64_t h0 = hs < 0 ? 0 : hs, h1 = he < H ? he : H;
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t ws = ow * stride[1] - pad[2], we = ws + kw;
                int64_t wpe = we < W + pad[3] ? we : W + pad[3];
                int64_t w0 = ws < 0 ? 0 : ws, w1 = we < W ? we : W;
                double acc = type == POOL_MAX ? -INFINITY : 0.0;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) {
                        float v = xp[ih * W + iw];
                        if (type == POOL_MAX) { if (v > acc || v != v) acc = v; }
                        else if (type == POOL_AVG) acc += v;
                        else acc += (double)v * v;
                    }
                if (type == POOL_AVG) {
                    /* in double: the kernel sizes are the model's, and a window of
                     * 2^33 x 2^33 positions overflows an int64 count */
                    double cnt = exclude_pad ? (double)(h1 - h0) * (double)(w1 - w0)
                                             : (double)(hpe - hs) * (double)(wpe - ws);
                    acc = cnt > 0 ? acc / cnt : 0.0;
                } else if (type == POOL_L2) {
                    acc = sqrt(acc);
                }
                yp[oh * Wo + ow] = (float)acc;
            }
        }
    }
}

/* ---- broadcasting binary ops ------------------------------------------------------ */

int exec_broadcast_shape(const xt *a, const xt *b, int *rank, int64_t *dim) {
    int r = a->rank > b->rank ? a->rank : b->rank;
    if (r > EXEC_MAX_RANK) return -1;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        if (da != db && da != 1 && db != 1) return -1;
        dim[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 0;
}

static inline float bin1(int op, float a, float b) {
    switch (op) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    case BIN_DIV: return a / b;
    case BIN_MAX: return a > b || a != a ? a : b;
    case BIN_MIN: return a < b || a != a ? a : b;
    case BIN_POW: return powf(a, b);
    case BIN_FLOORDIV: return floorf(a / b);
    case BIN_MOD: { float m = fmodf(a, b); return (m != 0 && ((m < 0) != (b < 0))) ? m + b : m; }
    case BIN_EQ: return a == b;
    case BIN_NE: return a != b;
    case BIN_GT: return a > b;
    case BIN_GE: return a >= b;
    case BIN_LT: return a < b;
    case BIN_LE: return a <= b;
    case BIN_AND: return (a != 0) && (b != 0);
    case BIN_OR: return (a != 0) || (b != 0);
    case BIN_XOR: return (a != 0) != (b != 0);
    default: return 0;
    }
}

#define BIN_LOOP(EXPR)                                                                  \
    do {                                                                                \
        if (sa == 1 && sb == 1) for (int64_t i = 0; i < L; i++) { float u = pa[i], v = pb[i]; py[i] = (EXPR); } \
        else if (sa == 1 && sb == 0) { float v = pb[0]; for (int64_t i = 0; i < L; i++) { float u = pa[i]; py[i] = (EXPR); } } \
        else if (sa == 0 && sb == 1) { float u = pa[0]; for (int64_t i = 0; i < L; i++) { float v = pb[i]; py[i] = (EXPR); } } \
        else for (int64_t i = 0; i < L; i++) { float u = pa[i * sa], v = pb[i * sb]; py[i] = (EXPR); } \
    } while (0)

EXEC_HOT static void bin_inner(int op, const float *pa, int64_t sa, const float *pb, int64_t sb, float *py, int64_t L) {
    switch (op) {
    case BIN_ADD: BIN_LOOP(u + v); break;
    case BIN_SUB: BIN_LOOP(u - v); break;
    case BIN_MUL: BIN_LOOP(u * v); break;
    case BIN_DIV: BIN_LOOP(u / v); break;
    default:
        for (int64_t i = 0; i < L; i++) py[i] = bin1(op, pa[i * sa], pb[i * sb]);
        break;
    }
}

void exec_binary(int op, const xt *a, const xt *b, xt *y) {
    if (y->n == 0) return; /* an empty output: nothing to compute (its innermost dim may be 0) */
    int R = y->rank;
    /* strides in output coordinates (0 = broadcast) */
    int64_t sz[EXEC_MAX_RANK], sa[EXEC_MAX_RANK], sb[EXEC_MAX_RANK];
    int64_t ka = 1, kb = 1;
    for (int i = R - 1; i >= 0; i--) {
        int ia = i - (R - a->rank), ib = i - (R - b->rank);
        int64_t da = ia >= 0 ? a->dim[ia] : 1, db = ib >= 0 ? b->dim[ib] : 1;
        sz[i] = y->dim[i];
        sa[i] = da == 1 ? 0 : ka;
        sb[i] = db == 1 ? 0 : kb;
        ka *= da;
        kb *= db;
    }
    /* drop size-1 dims and merge dims with compatible strides */
    int64_t cz[EXEC_MAX_RANK], ca[EXEC_MAX_RANK], cb[EXEC_MAX_RANK];
    int n = 0;
    for (int i = 0; i < R; i++) {
        if (sz[i] == 1) continue;
        if (n > 0 && ca[n - 1] == sa[i] * sz[i] && cb[n - 1] == sb[i] * sz[i]) {
            cz[n - 1] *= sz[i];
            ca[n - 1] = sa[i];
            cb[n - 1] = sb[i];
            continue;
        }
        cz[n] = sz[i]; ca[n] = sa[i]; cb[n] = sb[i];
        n++;
    }
    if (n == 0) { y->d[0] = bin1(op, a->d[0], b->d[0]); return; }
    int64_t L = cz[n - 1], la = ca[n - 1], lb = cb[n - 1];
    int64_t idx[EXEC_MAX_RANK] = {0};
    size_t outer = y->n / (size_t)L;
    int64_t oa = 0, ob = 0;
    for (size_t o = 0; o < outer; o++) {
        bin_inner(op, a->d + oa, la, b->d + ob, lb, y->d + o * (size_t)L, L);
        for (int d = n - 2; d >= 0; d--) {
            idx[d]++;
            oa += ca[d];
            ob += cb[d];
            if (idx[d] < cz[d]) break;
            oa -= ca[d] * cz[d];
            ob -= cb[d] * cz[d];
            idx[d] = 0;
        }
    }
}

typedef struct bin_job {
    int op;
    const xt *a, *b;
    xt *y;
} bin_job;

/* elements [b, e) of a same-shape (or scalar-broadcast) binary op */
static void bin_flat(void *arg, size_t b, size_t e, int range) {
    const bin_job *j = arg;
    (void)range;
    bool sa = j->a->n == 1, sb = j->b->n == 1;
    bin_inner(j->op, j->a->d + (sa ? 0 : b), sa ? 0 : 1, j->b->d + (sb ? 0 : b), sb ? 0 : 1, j->y->d + b,
              (int64_t)(e - b));
}

void exec_binary_par(exec_plan *p, int op, const xt *a, const xt *b, xt *y) {
    bool flat = (a->n == y->n || a->n == 1) && (b->n == y->n || b->n == 1);
    if (!flat || y->n < (1u << 15)) {
        exec_binary(op, a, b, y);
        return;
    }
    bin_job j = {op, a, b, y};
    exec_par_for(p, y->n, 1u << 14, bin_flat, &j);
}

/* ---- softmax, reductions, permutation ------------------------------------------------ */

void exec_softmax_axis(const float *x, float *y, int rank, const int64_t *dim, int axis) {
    int64_t D = dim[axis], inner = 1, outer = 1;
    for (int i = axis + 1; i < rank; i++) inner *= dim[i];
    for (int i = 0; i < axis; i++) outer *= dim[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            const float *xp = x + o * D * inner + in;
            float *yp = y + o * D * inner + in;
            float mx = -INFINITY;
            for (int64_t k = 0; k < D; k++) if (xp[k * inner] > mx) mx = xp[k * inner];
            double s = 0;
            for (int64_t k = 0; k < D; k++) { float e = expf(xp[k * inner] - mx); yp[k * inner] = e; s += e; }
            float inv = (float)(1.0 / s);
            for (int64_t k = 0; k < D; k++) yp[k * inner] *= inv;
        }
}

void exec_reduce(int op, const xt *x, unsigned mask, float *y) {
    int R = x->rank;
    int64_t ost[EXEC_MAX_RANK], s = 1, rcount = 1;
    for (int i = R - 1; i >= 0; i--) {
        if (mask & (1u << i)) { ost[i] = 0; rcount *= x->dim[i]; }
        else { ost[i] = s; s *= x->dim[i]; }
    }
    size_t on = (size_t)s;
    /* a sum or mean over the last axes (a global average pool): each output
     * is a contiguous run, summed in double by eight interleaved partial
     * sums that the compiler vectorizes (another order of double additions
     * than the loop below: the same float result but in the rarest ties) */
    unsigned nm = (unsigned)__builtin_popcount(mask);
    unsigned tail = R > 0 && nm <= (unsigned)R ? ((1u << R) - 1u) & ~((1u << (R - (int)nm)) - 1u) : 0;
    if ((op == RED_SUM || op == RED_MEAN) && nm > 0 && mask == tail && rcount >= 16) {
        size_t L = (size_t)rcount;
        for (size_t o = 0; o < on; o++) {
            const float *xs = x->d + o * L;
            double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            size_t i = 0;
            for (; i + 8 <= L; i += 8)
                for (int u = 0; u < 8; u++) a[u] += (double)xs[i + u];
            double t = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
            for (; i < L; i++) t += (double)xs[i];
            y[o] = (float)(op == RED_MEAN ? t / (double)L : t);
        }
        return;
    }
    double *acc = malloc((on ? on : 1) * sizeof *acc);
    double *aux = malloc((on ? on : 1) * sizeof *aux);
    if (!acc || !aux) { free(acc); free(aux); for (size_t i = 0; i < on; i++) y[i] = NAN; return; }
    for (size_t i = 0; i < on; i++) {
        acc[i] = op == RED_PROD ? 1.0 : (op == RED_MAX || op == RED_ARGMAX || op == RED_LOGSUMEXP) ? -INFINITY
               : (op == RED_MIN || op == RED_ARGMIN) ? INFINITY : 0.0;
        aux[i] = 0;
    }
    /* the reduced index along the (single) axis, for argmax/argmin */
    int raxis = -1;
    for (int i = 0; i < R; i++) if (mask & (1u << i)) raxis = i;
    int64_t idx[EXEC_MAX_RANK] = {0};
    size_t oo = 0;
    for (int pass = 0; pass < (op == RED_LOGSUMEXP ? 2 : 1); pass++) {
        memset(idx, 0, sizeof idx);
        oo = 0;
        for (size_t f = 0; f < x->n; f++) {
            double v = x->d[f];
            double *a = &acc[oo];
            switch (op) {
            case RED_SUM: case RED_MEAN: case RED_LOGSUM: *a += v; break;
            case RED_MAX: if (v > *a || v != v) *a = v; break;
            case RED_MIN: if (v < *a || v != v) *a = v; break;
            case RED_PROD: *a *= v; break;
            case RED_L1: *a += fabs(v); break;
            case RED_L2: case RED_SUMSQ: *a += v * v; break;
            case RED_LOGSUMEXP:
                if (pass == 0) { if (v > *a) *a = v; }
                else aux[oo] += exp(v - *a);
                break;
            case RED_ARGMAX: if (v > *a) { *a = v; aux[oo] = (double)idx[raxis]; } break;
            case RED_ARGMIN: if (v < *a) { *a = v; aux[oo] = (double)idx[raxis]; } break;
            default: break;
            }
            for (int d = R - 1; d >= 0; d--) {
                idx[d]++;
                oo += (size_t)ost[d];
                if (idx[d] < x->dim[d]) break;
                oo -= (size_t)(ost[d] * x->dim[d]);
                idx[d] = 0;
            }
        }
    }
    for (size_t i = 0; i < on; i++) {
        double a = acc[i];
        switch (op) {
        case RED_MEAN: a = rcount ? a / (double)rcount : NAN; break;
        case RED_L2: a = sqrt(a); break;
        case RED_LOGSUM: a = log(a); break;
        case RED_LOGSUMEXP: a = a + log(aux[i]); break;
        case RED_ARGMAX: case RED_ARGMIN: a = aux[i]; break;
        default: break;
        }
        y[i] = (float)a;
    }
    free(acc);
    free(aux);
}

void exec_permute(const xt *x, const int *perm, xt *y) {
    int R = x->rank;
    int64_t xs[EXEC_MAX_RANK], s = 1;
    for (int i = R - 1; i >= 0; i--) { xs[i] = s; s *= x->dim[i]; }
    if (R == 0) { if (x->n) y->d[0] = x->d[0]; return; }
    int64_t st[EXEC_MAX_RANK];
    for (int i = 0; i < R; i++) st[i] = xs[perm[i]];
    int64_t L = y->dim[R - 1], ls = st[R - 1];
    int64_t idx[EXEC_MAX_RANK] = {0};
    size_t outer = L ? y->n / (size_t)L : 0;
    int64_t off = 0;
    for (size_t o = 0; o < outer; o++) {
        float *py = y->d + o * (size_t)L;
        const float *px = x->d + off;
        if (ls == 1) memcpy(py, px, (size_t)L * sizeof(float));
        else for (int64_t i = 0; i < L; i++) py[i] = px[i * ls];
        for (int d = R - 2; d >= 0; d--) {
            idx[d]++;
            off += st[d];
            if (idx[d] < y->dim[d]) break;
            off -= st[d] * y->dim[d];
            idx[d] = 0;
        }
    }
}

/* y[m, n] = x[m, k] * w[n, k]^T + bias[n] */
typedef struct gemv_job {
    const float *w, *x;
    int64_t k;
    float *y;
} gemv_job;

static void gemv_rows(void *arg, size_t b, size_t e, int range) {
    const gemv_job *j = arg;
    (void)range;
    cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)(e - b), (int)j->k, 1.0f, j->w + b * (size_t)j->k, (int)j->k, j->x,
                1, 0.0f, j->y + b, 1);
}

/* a stored-form weight (exec_const.c): each range decodes blocks of rb rows
 * into its own scratch (in L2) and multiplies them there, so the weights
 * are read once, in their stored bytes, and never held decoded */
typedef struct lin_job {
    const xlz *lz;
    bool r16;
    const float *x;
    size_t m;
    int64_t k, n, rb;
    float *y;
    float *scr;
    size_t scr_per;
} lin_job;

/* y[r] = w[r, :] . x for nr rows of k (16 partial sums per row, added
 * pairwise at the end) */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f"))) static void dot_rows512(const float *w, size_t nr, size_t k, const float *x,
                                                          float *y) {
    size_t r = 0;
    for (; r + 4 <= nr; r += 4) {
        const float *w0 = w + r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= k; i += 16) {
            _mm_prefetch((const char *)(w0 + i + 512), _MM_HINT_T0);
            _mm_prefetch((const char *)(w1 + i + 512), _MM_HINT_T0);
            _mm_prefetch((const char *)(w2 + i + 512), _MM_HINT_T0);
            _mm_prefetch((const char *)(w3 + i + 512), _MM_HINT_T0);
            __m512 xv = _mm512_loadu_ps(x + i);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + i), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + i), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + i), xv, a3);
        }
        if (i < k) {
            __mmask16 m = (__mmask16)((1u << (k - i)) - 1);
            __m512 xv = _mm512_maskz_loadu_ps(m, x + i);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w0 + i), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w1 + i), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w2 + i), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w3 + i), xv, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0);
        y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2);
        y[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < nr; r++) {
        const float *w0 = w + r * k;
        __m512 a0 = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= k; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + i), _mm512_loadu_ps(x + i), a0);
        if (i < k) {
            __mmask16 m = (__mmask16)((1u << (k - i)) - 1);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w0 + i), _mm512_maskz_loadu_ps(m, x + i), a0);
        }
        y[r] = _mm512_reduce_add_ps(a0);
    }
}
/* the same over binary16 rows (a stored fp16 weight read in place: half
 * the bytes, converted in registers) */
__attribute__((target("avx512f"))) static void dot_rows_h512(const unsigned char *w, size_t nr, size_t k,
                                                            const float *x, float *y) {
    size_t r = 0;
    for (; r + 4 <= nr; r += 4) {
        const unsigned char *w0 = w + r * k * 2, *w1 = w0 + 2 * k, *w2 = w1 + 2 * k, *w3 = w2 + 2 * k;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        size_t i = 0;
#define HV(p, o) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)((p) + 2 * (o))))
        for (; i + 16 <= k; i += 16) {
            if (!(i & 31)) {
                /* the four rows' streams 2 KiB ahead (the hardware's prefetch
                 * falls behind here) */
                _mm_prefetch((const char *)(w0 + 2 * i + 2048), _MM_HINT_T0);
                _mm_prefetch((const char *)(w1 + 2 * i + 2048), _MM_HINT_T0);
                _mm_prefetch((const char *)(w2 + 2 * i + 2048), _MM_HINT_T0);
                _mm_prefetch((const char *)(w3 + 2 * i + 2048), _MM_HINT_T0);
            }
            __m512 xv = _mm512_loadu_ps(x + i);
            a0 = _mm512_fmadd_ps(HV(w0, i), xv, a0);
            a1 = _mm512_fmadd_ps(HV(w1, i), xv, a1);
            a2 = _mm512_fmadd_ps(HV(w2, i), xv, a2);
            a3 = _mm512_fmadd_ps(HV(w3, i), xv, a3);
        }
#undef HV
        float t[4] = {_mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(a1), _mm512_reduce_add_ps(a2),
                      _mm512_reduce_add_ps(a3)};
        const unsigned char *wr[4] = {w0, w1, w2, w3};
        for (int q = 0; q < 4; q++) {
            for (size_t ii = i; ii < k; ii++) {
                uint16_t h = (uint16_t)(wr[q][2 * ii] | wr[q][2 * ii + 1] << 8);
                t[q] += exec_half_to_float(h) * x[ii];
            }
            y[r + (size_t)q] = t[q];
        }
    }
    for (; r < nr; r++) {
        const unsigned char *w0 = w + r * k * 2;
        __m512 a0 = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= k; i += 16)
            a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(const void *)(w0 + 2 * i))),
                                 _mm512_loadu_ps(x + i), a0);
        float t = _mm512_reduce_add_ps(a0);
        for (; i < k; i++) t += exec_half_to_float((uint16_t)(w0[2 * i] | w0[2 * i + 1] << 8)) * x[i];
        y[r] = t;
    }
}

#endif

EXEC_HOT static void dot_rows(const float *w, size_t nr, size_t k, const float *x, float *y) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (has_avx512()) { dot_rows512(w, nr, k, x, y); return; }
#endif
    for (size_t r = 0; r < nr; r++) {
        const float *wr = w + r * k;
        float acc[16] = {0};
        size_t i = 0;
        for (; i + 16 <= k; i += 16)
            for (int l = 0; l < 16; l++) acc[l] += wr[i + l] * x[i + l];
        for (; i < k; i++) acc[i % 16] += wr[i] * x[i];
        for (int h = 8; h >= 1; h /= 2)
            for (int l = 0; l < h; l++) acc[l] += acc[l + h];
        y[r] = acc[0];
    }
}

static void lin_rows(void *arg, size_t b, size_t e, int range) {
    const lin_job *j = arg;
    float *wb = j->scr + (size_t)range * j->scr_per;
    size_t k = (size_t)j->k;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    /* a vector times plain fp16 / fp32 weights: straight from the stored rows */
    cml_dtype st;
    const unsigned char *raw = j->m == 1 && has_avx512() ? exec_lz_raw(j->lz, &st) : NULL;
    if (raw && (st == CML_DT_FP16 || !j->r16)) {
        if (st == CML_DT_FP16) dot_rows_h512(raw + b * k * 2, e - b, k, j->x, j->y + b);
        else dot_rows512((const float *)(const void *)(raw + b * k * 4), e - b, k, j->x, j->y + b);
        return;
    }
#endif
    for (size_t r0 = b; r0 < e; r0 += (size_t)j->rb) {
        size_t nr = e - r0 < (size_t)j->rb ? e - r0 : (size_t)j->rb;
        exec_lz_decode(j->lz, r0 * k, (r0 + nr) * k, wb, j->r16);
        /* a vector: our own dot products (no BLAS buffers: a small memory
         * limit must not stall the BLAS's allocation) */
        if (j->m == 1)
            dot_rows(wb, nr, k, j->x, j->y + r0);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)j->m, (int)nr, (int)k, 1.0f, j->x, (int)k, wb,
                        (int)k, 0.0f, j->y + r0, (int)j->n);
    }
}

int exec_linear(xctx *c, const float *x, size_t m, int64_t k, const float *w, const float *bias, int64_t n,
                float *y) {
    xt wt = w_view(w, (size_t)(n * k));
    return exec_linear_w(c, x, m, k, &wt, bias, n, y);
}

int exec_linear_w(xctx *c, const float *x, size_t m, int64_t k, const xt *wt, const float *bias, int64_t n,
                  float *y) {
    if (!wt->d && wt->lz) {
        if ((int64_t)wt->n < n * k) return exec_fail(c, "weight holds %zu values, needs %lld", wt->n, (long long)(n * k));
        /* blocks of >= 64 KiB of decoded rows for a vector, >= 64 rows (or 1 MiB) for a matrix */
        int64_t rb = (m == 1 ? 16384 : 262144) / (k > 0 ? k : 1);
        if (m > 1 && rb < 64) rb = 64;
        if (rb < 4) rb = 4;
        if (rb > n) rb = n;
        exec_lz_adopt(c->p, wt->lz);
        lin_job j = {wt->lz, c->mode == EXEC_FP16_EMU && !c->p->is_classic, x, m, k, n, rb, y, NULL, 0};
        int ranges = exec_par_ranges(c->p, (size_t)n, (size_t)rb);
        j.scr_per = ((size_t)rb * (size_t)k + 15) / 16 * 16;
        j.scr = exec_scratch(c, j.scr_per * (size_t)ranges);
        if (!j.scr) return exec_fail(c, "out of memory (weight blocks)");
        exec_par_for(c->p, (size_t)n, (size_t)rb, lin_rows, &j);
    } else if (m == 1) {
        const float *w = wt->d;
        gemv_job j = {w, x, k, y};
        size_t grain = k > 0 ? (size_t)(1 << 18) / (size_t)k : (size_t)n;
        exec_par_for(c->p, (size_t)n, grain < 16 ? 16 : grain, gemv_rows, &j);
    } else {
        exec_gemm(c->p, false, true, (int64_t)m, n, k, x, k, wt->d, k, y, n);
    }
    if (bias)
        for (size_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) y[i * (size_t)n + (size_t)j] += bias[j];
    return 0;
}

void exec_copy(xt *dst, const xt *src) {
    if (src->n && dst->d != src->d) memcpy(dst->d, src->d, src->n * sizeof(float));
}

void exec_diagonals(const xt *x, int64_t dlo, int64_t dhi, float *y) {
    int64_t M = x->dim[x->rank - 2], N = x->dim[x->rank - 1];
    size_t mats = x->n / exec_nz(M * N);
    for (size_t b = 0; b < mats; b++)
        for (int64_t m = 0; m < M; m++)
            for (int64_t n = 0; n < N; n++) {
                size_t f = (b * (size_t)M + (size_t)m) * (size_t)N + (size_t)n;
                y[f] = n - m >= dlo && n - m <= dhi ? x->d[f] : 0.0f;
            }
}

void exec_band(const xt *x, int64_t lo, int64_t hi, float *y) {
    int64_t dlo, dhi;
    exec_band_bounds(lo, hi, &dlo, &dhi);
    exec_diagonals(x, dlo, dhi, y);
}
