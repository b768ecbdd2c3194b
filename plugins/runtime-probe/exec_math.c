/* exec_math.c — the numeric building blocks shared by the ML Program and
 * NeuralNetwork kernels of the reference executor.
 *
 * Convolution is im2col + OpenBLAS sgemm per (batch, group), with a direct
 * path for 1x1/stride-1 kernels (no im2col) and for depthwise convolutions
 * (one filter per channel, row-wise accumulation with the bounds solved per
 * kernel tap). Transposed convolution is sgemm + col2im. Pooling handles
 * max/average/L2 windows clipped to the padded input (average divides by
 * the window's extent inside the padded input, or by its in-bounds count
 * when padding is excluded, as PyTorch's ceil-mode pooling does). The
 * elementwise binary ops broadcast NumPy-style after collapsing dimensions
 * with the same broadcast pattern, so the inner loop runs over the longest
 * contiguous stretch. Reductions accumulate in double. Everything works on
 * float32 buffers; the caller handles fp16 rounding afterwards. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec_blas.h"
#include "exec_internal.h"

/* ---- convolution ------------------------------------------------------------ */

static void im2col(const float *x, int64_t C, int64_t H, int64_t W, int64_t kh, int64_t kw,
                   const int64_t s[2], const int64_t d[2], const int64_t pad[4], int64_t Ho, int64_t Wo,
                   float *col) {
    for (int64_t c = 0; c < C; c++)
        for (int64_t ki = 0; ki < kh; ki++)
            for (int64_t kj = 0; kj < kw; kj++) {
                float *row = col + ((c * kh + ki) * kw + kj) * Ho * Wo;
                const float *xc = x + c * H * W;
                /* valid ow range: 0 <= ow*s - pl + kj*d < W */
                int64_t off = kj * d[1] - pad[2];
                int64_t lo = off >= 0 ? 0 : (-off + s[1] - 1) / s[1];
                int64_t hi = (W - 1 - off) >= 0 ? (W - 1 - off) / s[1] + 1 : 0;
                if (hi > Wo) hi = Wo;
                if (lo > hi) lo = hi;
                for (int64_t oh = 0; oh < Ho; oh++) {
                    float *r = row + oh * Wo;
                    int64_t ih = oh * s[0] - pad[0] + ki * d[0];
                    if (ih < 0 || ih >= H) { memset(r, 0, (size_t)Wo * sizeof(float)); continue; }
                    const float *xr = xc + ih * W + off;
                    for (int64_t ow = 0; ow < lo; ow++) r[ow] = 0;
                    if (s[1] == 1) memcpy(r + lo, xr + lo, (size_t)(hi - lo) * sizeof(float));
                    else for (int64_t ow = lo; ow < hi; ow++) r[ow] = xr[ow * s[1]];
                    for (int64_t ow = hi; ow < Wo; ow++) r[ow] = 0;
                }
            }
}

static void depthwise(const float *x, int64_t H, int64_t W, const float *w, int64_t kh, int64_t kw,
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

int exec_conv2d(xctx *c, const xt *x, const float *w, const float *bias, int64_t cout, int64_t groups,
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
    float *col = NULL;
    if (!pointwise && !dw) {
        col = exec_scratch(c, (size_t)(K * HWo));
        if (!col) return exec_fail(c, "out of memory (im2col %lld x %lld)", (long long)K, (long long)HWo);
    }
    for (int64_t n = 0; n < N; n++) {
        const float *xn = x->d + n * Cin * H * W;
        float *yn = y->d + n * cout * HWo;
        if (dw) {
            for (int64_t ch = 0; ch < cout; ch++)
                depthwise(xn + ch * H * W, H, W, w + ch * kh * kw, kh, kw, stride, dil, pad, Ho, Wo,
                          bias ? bias[ch] : 0.0f, yn + ch * HWo);
            continue;
        }
        for (int64_t g = 0; g < groups; g++) {
            const float *xg = xn + g * Cg * H * W;
            const float *src = xg;
            if (!pointwise) {
                im2col(xg, Cg, H, W, kh, kw, stride, dil, pad, Ho, Wo, col);
                src = col;
            }
            float *yg = yn + g * Og * HWo;
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)Og, (int)HWo, (int)K, 1.0f,
                        w + g * Og * K, (int)K, src, (int)HWo, 0.0f, yg, (int)HWo);
            if (bias)
                for (int64_t o = 0; o < Og; o++) {
                    float bv = bias[g * Og + o];
                    float *yr = yg + o * HWo;
                    for (int64_t i = 0; i < HWo; i++) yr[i] += bv;
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

void exec_pool2d(const xt *x, xt *y, int type, int64_t kh, int64_t kw, const int64_t stride[2],
                 const int64_t pad[4], bool exclude_pad) {
    int r = x->rank;
    int64_t H = x->dim[r - 2], W = x->dim[r - 1], Ho = y->dim[r - 2], Wo = y->dim[r - 1];
    size_t planes = x->n / exec_nz(H * W);
    for (size_t pl = 0; pl < planes; pl++) {
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
                    int64_t cnt = exclude_pad ? (h1 - h0) * (w1 - w0) : (hpe - hs) * (wpe - ws);
                    acc = cnt > 0 ? acc / (double)cnt : 0.0;
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

static void bin_inner(int op, const float *pa, int64_t sa, const float *pb, int64_t sb, float *py, int64_t L) {
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
int exec_linear(const float *x, size_t m, int64_t k, const float *w, const float *bias, int64_t n, float *y) {
    if (m == 1) {
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, 1.0f, w, (int)k, x, 1, 0.0f, y, 1);
    } else {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)n, (int)k, 1.0f, x, (int)k, w, (int)k,
                    0.0f, y, (int)n);
    }
    if (bias)
        for (size_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) y[i * (size_t)n + (size_t)j] += bias[j];
    return 0;
}

void exec_copy(xt *dst, const xt *src) {
    if (src->n && dst->d != src->d) memcpy(dst->d, src->d, src->n * sizeof(float));
}
