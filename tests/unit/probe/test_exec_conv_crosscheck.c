/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_conv_crosscheck.c — a randomized, fixed-seed crosscheck of the
 * convolution fast paths (kernels/conv.c: the 1x1, im2col, direct 3x3,
 * Winograd 3x3 and stride-2 phase modes, K in blocks, the fused bias / relu / residual add,
 * the output written over a dying residual) against the BLAS path
 * (CML_EXEC_BLAS_CONV) and a naive double-precision reference in this file.
 *
 * Each case draws a convolution (batch, channels, groups, kernel, strides,
 * dilations, every pad type, negative and oversized pads, 1-D), a tail
 * (relu, add, add+relu, with the conv or the add also returned), fp16
 * declarations, special inputs (values past fp16, NaN, Inf) and runs it
 * with 1, 2 and 3 threads in fp32, fp16 emulation and typed mode, three
 * ways: the fast path with the per-op hook, the BLAS path with the hook,
 * the fast path without it. It checks every op's output and statistics
 * (fast vs BLAS), the conv against the double reference (fp32, ordinary
 * inputs), and that the hook changes no output bit.
 *
 * The suite runs a fixed seed and a bounded number of cases; a longer hunt:
 *   test_exec_conv_crosscheck SEED NCASES [verbose]
 * and CF_ONLY=<case index> runs one case of a seed with its configuration
 * printed. */
#define _DEFAULT_SOURCE
#include <stdint.h>

#include "mil_harness.h"

#ifdef CML_NO_EXEC
CHECK_MAIN_NO_EXEC()
#else
static uint64_t rs_;
static uint64_t rnd64(void) {
    rs_ ^= rs_ << 13;
    rs_ ^= rs_ >> 7;
    rs_ ^= rs_ << 17;
    return rs_;
}
static int ri(int lo, int hi) { return lo + (int)(rnd64() % (uint64_t)(hi - lo + 1)); } /* inclusive */
static float rf(void) { return (float)((double)(rnd64() >> 11) / 9007199254740992.0 * 2.0 - 1.0); }
static int chance(int pct) { return ri(0, 99) < pct; }

typedef struct cfg {
    int N, C, H, W, O, kh, kw, g, s0, s1, d0, d1, p[4];
    int padtype; /* 0 custom 1 same 2 valid 3 same_lower */
    int bias;
    int tail;    /* 0 conv; 1 relu; 2 add; 3 add+relu; 4 add+relu, conv also returned; 5 relu, conv returned;
                    6 add+relu, add also returned */
    int swap;    /* add(x = y, y = r) */
    int rank3;   /* 1-D conv */
    int special; /* NaN / Inf / big values in the inputs */
    int winf;    /* an infinite weight (the Winograd mode falls back to the direct sum) */
    int w16;     /* weights exactly binary16 */
    int dt[3];   /* 1: fp16 declared */
    int resx;    /* residual is the conv's input x itself */
    int rrt;     /* the residual (and with resx the conv's input) is a runtime tensor (mul by 1) */
    int negres;  /* one residual value far below the others (the add's largest |x| is negative) */
    int below;   /* inputs >= 0, weights <= 0, bias 1000: every conv output is below its bias, so a
                    lane outside the image counted (bias alone) would be the largest */
    int resnan;  /* a NaN in the residual (the fused add's output is not finite there) */
    int Ho, Wo;
} cfg;

static void print_cfg(const cfg *c) {
    fprintf(stderr,
            "N=%d C=%d H=%d W=%d O=%d k=%dx%d g=%d s=%d,%d d=%d,%d pad=[%d,%d,%d,%d] padtype=%d bias=%d tail=%d "
            "swap=%d rank3=%d special=%d winf=%d w16=%d dt=%d%d%d resx=%d rrt=%d -> Ho=%d Wo=%d\n",
            c->N, c->C, c->H, c->W, c->O, c->kh, c->kw, c->g, c->s0, c->s1, c->d0, c->d1, c->p[0], c->p[1], c->p[2],
            c->p[3], c->padtype, c->bias, c->tail, c->swap, c->rank3, c->special, c->winf, c->w16, c->dt[0], c->dt[1],
            c->dt[2], c->resx, c->rrt, c->Ho, c->Wo);
}

static const int WS[] = {1, 2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 17, 18, 23, 28, 29, 30, 31, 32, 33, 37, 40};

static int divisors_pick(int C, int O) {
    int ds[80], n = 0;
    for (int d = 1; d <= C && d <= O; d++)
        if (C % d == 0 && O % d == 0) ds[n++] = d;
    return ds[ri(0, n - 1)];
}

/* where fp16 rounds, a sum within fp32 rounding of 65520 is Inf on one
 * path and 65504 (of the same sign) on the other */
static bool fp16_edge(int mode, double u, double v) {
    return mode != EXEC_FP32 && (isinf(u) ? fabs(v) == 65504.0 && (u > 0) == (v > 0)
                                          : isinf(v) && fabs(u) == 65504.0 && (u > 0) == (v > 0));
}

static bool gen(cfg *c) {
    memset(c, 0, sizeof *c);
    c->N = chance(25) ? 2 : 1;
    int fam = ri(0, 13);
    c->kh = ri(1, 7);
    c->kw = chance(60) ? c->kh : ri(1, 7);
    c->s0 = ri(1, 3);
    c->s1 = chance(70) ? c->s0 : ri(1, 3);
    c->d0 = chance(80) ? 1 : 2;
    c->d1 = chance(80) ? c->d0 : ri(1, 2);
    switch (fam) {
    case 0: case 1: /* the direct mode: 3x3 stride 1 */
        c->kh = c->kw = 3; c->s0 = c->s1 = 1; c->d0 = c->d1 = 1; break;
    case 2: case 3: /* the phase mode: stride 2 */
        c->s0 = c->s1 = 2; c->d0 = c->d1 = 1; if (c->kh * c->kw == 1) c->kw = 3; break;
    case 4: /* strided 1x1 */
        c->kh = c->kw = 1; c->d0 = c->d1 = 1; if (c->s0 == 1 && c->s1 == 1) c->s0 = c->s1 = 2; break;
    case 5: /* pointwise */
        c->kh = c->kw = 1; c->s0 = c->s1 = 1; c->d0 = c->d1 = 1; break;
    default: break;
    }
    c->C = ri(1, 70);
    c->O = ri(1, 70);
    if (chance(10)) c->C = ri(100, 300);
    if (chance(10)) c->O = ri(70, 130);
    c->g = chance(35) ? divisors_pick(c->C, c->O) : 1;
    if (chance(8)) { c->g = c->C; c->O = c->C * ri(1, 3); } /* depthwise-like with multiplier */
    c->H = chance(50) ? ri(1, 40) : WS[ri(0, (int)(sizeof WS / sizeof *WS) - 1)];
    c->W = chance(50) ? ri(1, 40) : WS[ri(0, (int)(sizeof WS / sizeof *WS) - 1)];
    if (chance(10)) { c->H = 7; c->W = 7; }
    if (fam == 10) { /* K in blocks: im2col panels (K > 512) or the transposed mode (K > 2184) */
        c->C = ri(60, 400); c->O = ri(1, 40); c->g = chance(20) ? divisors_pick(c->C, c->O) : 1;
        c->kh = ri(2, 5); c->kw = ri(2, 5);
        if (chance(50)) {
            c->H = c->W = 7; c->O = ri(24, 80); c->s0 = c->s1 = 1; c->d0 = c->d1 = 1;
            /* the transposed mode read from the padded copy or the phase planes */
            if (chance(40)) { c->kh = c->kw = 3; if (chance(50)) { c->H = c->W = 14; c->s0 = c->s1 = 2; } }
        }
        else { c->H = ri(16, 40); c->W = ri(16, 40); }
        if (c->C % c->g || c->O % c->g) c->g = 1;
        c->N = 1;
    }
    if (fam == 11) { /* the direct mode's K in blocks of 1024 channels, or the phase mode's */
        c->C = ri(1025, 1100); c->O = ri(1, 14); c->g = 1; c->N = 1;
        c->kh = c->kw = 3; c->s0 = c->s1 = ri(1, 2); c->d0 = c->d1 = 1;
        c->H = ri(3, 12); c->W = ri(8, 20);
    }
    if (fam >= 12) { /* the Winograd mode: 3x3 stride 1, even output sizes, one group */
        c->kh = c->kw = 3; c->s0 = c->s1 = 1; c->d0 = c->d1 = 1; c->g = 1;
        c->H = ri(2, 30); c->W = ri(8, 40);
        if (chance(20)) c->C = ri(100, 260);
    }
    c->rank3 = fam < 10 && chance(5);
    if (c->rank3) { c->H = 1; c->kh = 1; c->s0 = 1; c->d0 = 1; }
    c->padtype = chance(70) ? 0 : ri(1, 3);
    for (int i = 0; i < 4; i++) c->p[i] = ri(0, 3);
    if (chance(10)) c->p[ri(0, 3)] = ri(4, 8);   /* pad larger than the kernel */
    if (chance(4)) c->p[ri(0, 3)] = -1;           /* negative padding */
    if (chance(20)) c->p[0] = c->p[1] = 0, c->p[2] = c->p[3] = 0;
    if (c->rank3) c->p[0] = c->p[1] = 0;
    int ekh = (c->kh - 1) * c->d0 + 1, ekw = (c->kw - 1) * c->d1 + 1;
    if (c->padtype == 1 || c->padtype == 3) {
        int in[2] = {c->H, c->W}, s[2] = {c->s0, c->s1}, ek[2] = {ekh, ekw};
        for (int k = 0; k < 2; k++) {
            int o = (in[k] + s[k] - 1) / s[k];
            int tot = (o - 1) * s[k] + ek[k] - in[k];
            if (tot < 0) tot = 0;
            int lo = c->padtype == 1 ? tot / 2 : tot - tot / 2;
            c->p[2 * k] = lo;
            c->p[2 * k + 1] = tot - lo;
        }
    } else if (c->padtype == 2) {
        c->p[0] = c->p[1] = c->p[2] = c->p[3] = 0;
    }
    if (fam >= 12) {
        if (c->padtype == 0 && chance(40)) c->p[0] = c->p[1] = c->p[2] = c->p[3] = 1;
        c->H += (c->H + c->p[0] + c->p[1]) % 2; /* Ho = H + pads - 2 even */
        c->W += (c->W + c->p[2] + c->p[3]) % 2;
    }
    int nh = c->H + c->p[0] + c->p[1] - ekh, nw = c->W + c->p[2] + c->p[3] - ekw;
    if (nh < 0 || nw < 0) return false;
    c->Ho = nh / c->s0 + 1;
    c->Wo = nw / c->s1 + 1;
    /* padding only: a window wholly in the padding is fine for the ops */
    double macs = (double)c->N * c->O * c->Ho * c->Wo * (c->C / c->g) * c->kh * c->kw;
    double budget = fam >= 10 ? 2.5e7 : chance(30) ? 8e6 : 1.5e6;
    if (macs > budget || macs < 1) return false;
    c->bias = chance(70);
    c->tail = ri(0, 6);
    c->swap = chance(50);
    c->special = chance(fam >= 12 ? 40 : 20) ? ri(1, 3) : 0; /* the Winograd mode falls back on them */
    c->winf = chance(8);
    c->w16 = chance(30);
    for (int i = 0; i < 3; i++) c->dt[i] = chance(30);
    c->resx = (c->tail >= 2 && c->tail != 5 && c->C == c->O && c->H == c->Ho && c->W == c->Wo && chance(30));
    c->rrt = chance(50);
    if (chance(15) && c->C == c->O && c->H == c->Ho && c->W == c->Wo) c->resx = 1, c->rrt = 1, c->tail = ri(0, 1) ? 3 : 2;
    return true;
}

static char *shape_s(const cfg *c, int ch, int h, int w) {
    static char b[4][96];
    static int k;
    k = (k + 1) % 4;
    if (c->rank3) snprintf(b[k], sizeof b[k], "%d, %d, %d", c->N, ch, w);
    else snprintf(b[k], sizeof b[k], "%d, %d, %d, %d", c->N, ch, h, w);
    return b[k];
}

static char *build_mil(const cfg *c, const float *w, const float *b) {
    int Cg = c->C / c->g;
    char shp[96];
    if (c->rank3) snprintf(shp, sizeof shp, "%d, %d, %d", c->O, Cg, c->kw);
    else snprintf(shp, sizeof shp, "%d, %d, %d, %d", c->O, Cg, c->kh, c->kw);
    char *wl = lit("fp32", shp, w, (size_t)c->O * Cg * c->kh * c->kw);
    snprintf(shp, sizeof shp, "%d", c->O);
    char *bl = c->bias ? lit("fp32", shp, b, (size_t)c->O) : NULL;
    const char *pts[] = {"custom", "same", "valid", "same_lower"};
    char params[512];
    if (c->rank3)
        snprintf(params, sizeof params,
                 "groups = int32(%d), strides = tensor<int32, [1]>([%d]), dilations = tensor<int32, [1]>([%d]), "
                 "pad_type = string(\"%s\"), pad = tensor<int32, [2]>([%d, %d])",
                 c->g, c->s1, c->d1, pts[c->padtype], c->p[2], c->p[3]);
    else
        snprintf(params, sizeof params,
                 "groups = int32(%d), strides = tensor<int32, [2]>([%d, %d]), dilations = tensor<int32, [2]>([%d, "
                 "%d]), pad_type = string(\"%s\"), pad = tensor<int32, [4]>([%d, %d, %d, %d])",
                 c->g, c->s0, c->s1, c->d0, c->d1, pts[c->padtype], c->p[0], c->p[1], c->p[2], c->p[3]);
    if (c->padtype != 0) {
        /* no pad argument */
        char *q = strstr(params, ", pad = ");
        if (q) *q = 0;
    }
    const char *dts[2] = {"fp32", "fp16"};
    const char *xs = shape_s(c, c->C, c->H, c->W), *ys = shape_s(c, c->O, c->Ho, c->Wo);
    bool has_add = c->tail >= 2 && c->tail != 5, has_relu = c->tail == 1 || c->tail >= 3;
    bool need_r = has_add && !c->resx;
    char rin[160] = "";
    if (need_r) snprintf(rin, sizeof rin, ", tensor<fp32, [%s]> r", ys);
    const char *rname = c->resx ? (c->rrt ? "xx" : "x") : (c->rrt ? "rr" : "r");
    const char *xname = c->resx && c->rrt ? "xx" : "x";
    char pre[400] = "";
    if (has_add && c->rrt) {
        if (c->resx)
            snprintf(pre, sizeof pre, "  tensor<fp32, [%s]> xx = mul(x = x, y = fp32(0x1p+0))[name = string(\"xx\")];\n", xs);
        else
            snprintf(pre, sizeof pre, "  tensor<fp32, [%s]> rr = mul(x = r, y = fp32(0x1p+0))[name = string(\"rr\")];\n", ys);
    }
    char addl[400] = "", relul[300] = "";
    if (has_add)
        snprintf(addl, sizeof addl, "  tensor<%s, [%s]> a = add(x = %s, y = %s)[name = string(\"a\")];\n",
                 dts[c->dt[1]], ys, c->swap ? "y" : rname, c->swap ? rname : "y");
    if (has_relu)
        snprintf(relul, sizeof relul, "  tensor<%s, [%s]> z = relu(x = %s)[name = string(\"z\")];\n", dts[c->dt[2]],
                 ys, has_add ? "a" : "y");
    const char *ret;
    switch (c->tail) {
    case 0: ret = "y"; break;
    case 1: ret = "z"; break;
    case 2: ret = "a"; break;
    case 3: ret = "z"; break;
    case 4: ret = "y, z"; break;
    case 5: ret = "y, z"; break;
    default: ret = "a, z"; break;
    }
    char *f = fmt("func main<ios16>(tensor<fp32, [%s]> x%s) {\n%s"
                  "  tensor<%s, [%s]> y = conv(x = %s, weight = %s%s%s, %s)[name = string(\"y\")];\n"
                  "%s%s} -> (%s);\n",
                  xs, rin, pre, dts[c->dt[0]], ys, xname, wl, bl ? ", bias = " : "", bl ? bl : "", params, addl, relul, ret);
    free(wl);
    free(bl);
    return f;
}

/* one line saying how two runs' statistics of op i differ */
static void stats_differ(int idx, int threads, int mode, int i, const char *an, const exec_op_stat *a, const char *bn,
                         const exec_op_stat *b) {
    const exec_op_stat *s[2] = {a, b};
    const char *nm[2] = {an, bn};
    fprintf(stderr, "case %d thr %d mode %d op %d: stats", idx, threads, mode, i);
    for (int k = 0; k < 2; k++)
        fprintf(stderr, " %s(nv %llu nan %llu inf %llu ovf %llu max %.9g)", nm[k], (unsigned long long)s[k]->n_values,
                (unsigned long long)s[k]->n_nan, (unsigned long long)s[k]->n_inf, (unsigned long long)s[k]->n_overflow,
                s[k]->max_abs);
    fputc('\n', stderr);
}

/* naive double conv and sum of |terms| */
static void conv_ref(const cfg *c, const float *x, const float *w, const float *b, double *y, double *ab) {
    int N = c->N, C = c->C, H = c->H, W = c->W, O = c->O, kh = c->kh, kw = c->kw, g = c->g;
    int Cg = C / g, Og = O / g, Ho = c->Ho, Wo = c->Wo;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int oh = 0; oh < Ho; oh++)
                for (int ow = 0; ow < Wo; ow++) {
                    double acc = b ? b[o] : 0, aa = b ? fabs(b[o]) : 0;
                    int gi = o / Og;
                    for (int ci = 0; ci < Cg; ci++)
                        for (int i = 0; i < kh; i++)
                            for (int j = 0; j < kw; j++) {
                                int ih = oh * c->s0 - c->p[0] + i * c->d0, iw = ow * c->s1 - c->p[2] + j * c->d1;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                double t = (double)x[((n * C + gi * Cg + ci) * H + ih) * W + iw] *
                                           w[((o * Cg + ci) * kh + i) * kw + j];
                                acc += t;
                                aa += fabs(t);
                            }
                    size_t k = (((size_t)n * O + o) * Ho + oh) * Wo + ow;
                    y[k] = acc;
                    ab[k] = aa;
                    /* A 3x3 stride-1 conv may run as Winograd F(2x2, 3x3), whose
                     * rounding scales with the whole 4x4 input tile of the 2x2
                     * outputs, not only this output's 3x3 window: every tile
                     * input enters the transformed sums and cancels in the
                     * output transform. Its bound: each channel's largest
                     * |x| in the tile times its sum of |w|. */
                    if (kh == 3 && kw == 3 && c->s0 == 1 && c->s1 == 1 && c->d0 == 1 && c->d1 == 1) {
                        double at = 0;
                        for (int ci = 0; ci < Cg; ci++) {
                            double mx = 0, sw = 0;
                            for (int i = 0; i < 4; i++)
                                for (int j = 0; j < 4; j++) {
                                    int ih = oh / 2 * 2 - c->p[0] + i, iw = ow / 2 * 2 - c->p[2] + j;
                                    if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                    double v = fabs((double)x[((n * C + gi * Cg + ci) * H + ih) * W + iw]);
                                    if (v > mx) mx = v;
                                }
                            for (int i = 0; i < 9; i++) sw += fabs((double)w[(o * Cg + ci) * 9 + i]);
                            at += mx * sw;
                        }
                        if (at > ab[k]) ab[k] = at;
                    }
                }
}

static int g_verbose;
static long g_bad_cases, g_runs;

/* all the comparisons of one case; returns the number of problems */
static int run_case(int idx, const cfg *c) {
    int Cg = c->C / c->g;
    size_t nx = (size_t)c->N * c->C * c->H * c->W, nw = (size_t)c->O * Cg * c->kh * c->kw,
           ny = (size_t)c->N * c->O * c->Ho * c->Wo;
    float *x = malloc(nx * 4 + 4), *w = malloc(nw * 4), *b = malloc((size_t)c->O * 4), *r = malloc(ny * 4 + 4);
    for (size_t i = 0; i < nw; i++) {
        w[i] = rf() * 0.5f;
        if (c->w16) w[i] = exec_round_fp16(w[i]);
    }
    /* a weight past what the Winograd mode takes (it falls back to the direct sum) */
    if (c->winf && nw > 1) w[rnd64() % nw] = chance(50) ? INFINITY : -INFINITY;
    for (int i = 0; i < c->O; i++) b[i] = c->below ? 1000.0f : rf();
    if (c->below)
        for (size_t i = 0; i < nw; i++) w[i] = -fabsf(w[i]);
    char *f = build_mil(c, w, c->bias ? b : NULL);
    lmodel *lm = load_mil(f);
    int probs = 0;
    if (!lm || !lm->model) {
        fprintf(stderr, "case %d: load failed\n", idx);
        print_cfg(c);
        fputs(f, stderr);
        probs++;
        goto out;
    }
    bool has_add = c->tail >= 2 && c->tail != 5;
    bool need_r = has_add && !c->resx;
    const int o0 = has_add && c->rrt ? 1 : 0; /* the conv's op index */
    double *yref = malloc(ny * sizeof(double)), *ab = malloc(ny * sizeof(double));
    int nth_list[3] = {1, 2, 3};
    int modes[4] = {EXEC_FP32, EXEC_FP16_EMU, EXEC_TYPED, EXEC_FP32};
    for (int ti = 0; ti < 3; ti++) {
        int threads = nth_list[ti];
        exec_plan *pl[3] = {NULL, NULL, NULL};
        hook_rec h[3];
        memset(h, 0, sizeof h);
        for (int pass = 0; pass < 3; pass++) {
            exec_opts o = pass_opts(pass, threads, &h[pass]);
            char err[256];
            pl[pass] = exec_prepare(lm->model, NULL, &o, err, sizeof err);
            unsetenv("CML_EXEC_BLAS_CONV");
            if (!pl[pass]) {
                fprintf(stderr, "case %d: prepare failed: %s\n", idx, err);
                probs++;
            }
        }
        if (!pl[0] || !pl[1] || !pl[2]) goto next_t;
        for (int mi = 0; mi < 4; mi++) {
            int mode = modes[mi];
            /* fresh inputs every run */
            for (size_t i = 0; i < nx; i++) x[i] = c->below ? fabsf(rf()) : rf();
            for (size_t i = 0; i < ny; i++) r[i] = rf() * 2;
            if (c->negres) r[ny / 2 + 1 < ny ? ny / 2 + 1 : 0] = -1000.0f;
            if (c->resnan) r[ny / 3] = NAN;
            if (c->special) {
                float big = c->special == 1 ? 30000.0f : c->special == 2 ? 70000.0f : 1e5f;
                for (size_t i = 0; i < nx; i += (size_t)ri(3, 11)) x[i] *= big;
                if (c->special >= 2 && nx > 3) {
                    x[rnd64() % nx] = NAN;
                    x[rnd64() % nx] = INFINITY;
                    x[rnd64() % nx] = -INFINITY;
                }
                if (ny > 2) {
                    r[rnd64() % ny] = 70000.0f;
                    if (c->special == 3) r[rnd64() % ny] = NAN;
                }
            }
            exec_tensor in[2] = {TS("x", x, c->N, c->C, c->H, c->W), TS("r", r, c->N, c->O, c->Ho, c->Wo)};
            if (c->rank3) {
                in[0] = TS("x", x, c->N, c->C, c->W);
                in[1] = TS("r", r, c->N, c->O, c->Wo);
            }
            size_t nin = need_r ? 2 : 1;
            exec_stats es[3];
            exec_op_stat st[3][5];
            size_t nst[3] = {0, 0, 0};
            float *fin[3][2] = {{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
            size_t nout[3] = {0, 0, 0};
            bool ok = true;
            for (int pass = 0; pass < 3; pass++) {
                exec_tensor *out = NULL;
                size_t no = 0;
                int rc = exec_run(pl[pass], (exec_mode)mode, in, nin, &out, &no, &es[pass]);
                g_runs++;
                if (rc) {
                    fprintf(stderr, "case %d: run failed (pass %d): %s\n", idx, pass, exec_last_error(pl[pass]));
                    probs++;
                    ok = false;
                    continue;
                }
                nst[pass] = es[pass].n_ops < 5 ? es[pass].n_ops : 5;
                memcpy(st[pass], es[pass].ops, nst[pass] * sizeof *es[pass].ops);
                nout[pass] = no;
                for (size_t k = 0; k < no && k < 2; k++) {
                    size_t n = exec_tensor_count(&out[k]);
                    fin[pass][k] = malloc(n * sizeof(float) + 4);
                    memcpy(fin[pass][k], out[k].data, n * sizeof(float));
                    if (n != ny) {
                        fprintf(stderr, "case %d: output %zu has %zu values, want %zu\n", idx, k, n, ny);
                        probs++;
                        ok = false;
                    }
                }
                exec_tensors_free(out, no);
            }
            if (!ok) goto next_m;
            int nops = nst[1] < 5 ? (int)nst[1] : 5;
            if (nst[0] != nst[1] || nst[2] != nst[1]) {
                fprintf(stderr, "case %d: op counts %zu %zu %zu\n", idx, nst[0], nst[1], nst[2]);
                probs++;
            }
            double tol = mode == EXEC_FP32 ? 1e-4 : 2.5e-3;
            /* fast (hooked) vs BLAS: every op's output and stats */
            /* the reference, and the sum of |terms| for every tolerance */
            conv_ref(c, x, w, c->bias ? b : NULL, yref, ab);
            for (int i = 0; i < nops; i++) {
                const exec_op_stat *a = &st[0][i], *e = &st[1][i];
                /* where fp16 rounds (fp16 emulation, fp16 declared in typed
                 * mode), a sum within rounding of 65520 may become Inf on one
                 * path and 65504 on the other: those values may move the
                 * Inf count and the largest finite value */
                uint64_t edge = 0, at_max = 0;
                for (size_t k = 0; mode != EXEC_FP32 && k < ny && h[0].n[i] == ny && h[1].n[i] == ny; k++) {
                    float u = h[0].v[i][k], v = h[1].v[i][k];
                    if (isinf(u) != isinf(v) && fabsf(isinf(u) ? v : u) >= 65000.0f) edge++;
                    /* a sum just above 65504 on one path and just below on the
                     * other rounds to 65504 on both, counted as an overflow
                     * on one of them only */
                    if (fabsf(u) == 65504.0f || fabsf(v) == 65504.0f) at_max++;
                }
                uint64_t dinf = a->n_inf > e->n_inf ? a->n_inf - e->n_inf : e->n_inf - a->n_inf;
                uint64_t dovf = a->n_overflow > e->n_overflow ? a->n_overflow - e->n_overflow
                                                              : e->n_overflow - a->n_overflow;
                if (a->n_values != e->n_values || a->n_nan != e->n_nan || dinf > edge ||
                    (!edge && dovf > at_max) ||
                    (!edge && !(fabs(a->max_abs - e->max_abs) <= tol * e->max_abs + 1e-6))) {
                    stats_differ(idx, threads, mode, i, "fast", a, "blas", e);
                    probs++;
                }
                /* the unhooked run's statistics equal the hooked one's */
                const exec_op_stat *q = &st[2][i];
                if (q->n_values != a->n_values || q->n_nan != a->n_nan || q->n_inf != a->n_inf ||
                    q->n_overflow != a->n_overflow || q->max_abs != a->max_abs) {
                    stats_differ(idx, threads, mode, i, "chain", q, "hooked", a);
                    probs++;
                }
                if (h[0].n[i] != ny || h[1].n[i] != ny) {
                    fprintf(stderr, "case %d: hook op %d sizes %zu %zu\n", idx, i, h[0].n[i], h[1].n[i]);
                    probs++;
                    continue;
                }
                size_t bad = 0, first = 0;
                for (size_t k = 0; k < ny; k++) {
                    double u = h[0].v[i][k], v = h[1].v[i][k];
                    double yv = i <= o0 ? v : h[1].v[o0][k];
                    double t = tol * (fabs(v) + (i > o0 ? fabs(yv) : 0)) + 1e-6 * ab[k] + 2e-7 +
                               (mode == EXEC_FP32 ? 1e-5 : 0);
                    /* (as the stats allow) */
                    bool at_edge = fp16_edge(mode, u, v);
                    /* ... and a fused op after such a conv output: Inf on the one
                     * path, Inf plus (or relu of) the other's 65504 on the other */
                    if (i > o0 && fp16_edge(mode, h[0].v[o0][k], h[1].v[o0][k]) && isinf(u) != isinf(v)) at_edge = true;
                    if (!(fabs(u - v) <= t) && !(u == v) && !(u != u && v != v) && !at_edge) {
                        if (!bad) first = k;
                        bad++;
                    }
                }
                if (bad) {
                    double u = h[0].v[i][first], v = h[1].v[i][first];
                    fprintf(stderr, "case %d thr %d mode %d op %d: %zu of %zu values differ, first [%zu] fast %.9g blas %.9g ref %.9g\n",
                            idx, threads, mode, i, bad, ny, first, u, v, i == o0 ? yref[first] : NAN);
                    probs++;
                }
            }
            /* conv vs the double reference (fp32 without special values) */
            if (mode == EXEC_FP32 && !c->special && !c->winf && h[0].n[o0] == ny) {
                size_t bad = 0, first = 0;
                for (size_t k = 0; k < ny; k++) {
                    double u = h[0].v[o0][k], v = yref[k];
                    if (!(fabs(u - v) <= 1e-4 * fabs(v) + 1e-5 + 1e-6 * ab[k])) {
                        if (!bad) first = k;
                        bad++;
                    }
                }
                if (bad) {
                    fprintf(stderr, "case %d thr %d: conv vs naive: %zu of %zu differ, first [%zu] fast %.9g ref %.9g blas %.9g\n",
                            idx, threads, bad, ny, first, h[0].v[o0][first], yref[first], h[1].v[o0][first]);
                    probs++;
                }
            }
            /* unhooked vs hooked: the function outputs bit for bit */
            for (size_t k = 0; k < nout[0] && k < 2; k++) {
                if (!fin[0][k] || !fin[2][k]) continue;
                if (memcmp(fin[0][k], fin[2][k], ny * sizeof(float)) != 0) {
                    size_t d = 0;
                    while (d < ny && !memcmp(&fin[0][k][d], &fin[2][k][d], 4)) d++;
                    size_t cnt = 0;
                    for (size_t q = 0; q < ny; q++) cnt += memcmp(&fin[0][k][q], &fin[2][k][q], 4) != 0;
                    fprintf(stderr, "case %d thr %d mode %d: output %zu unhooked differs from hooked in %zu values, first [%zu] %.9g vs %.9g (blas out %.9g)\n",
                            idx, threads, mode, k, cnt, d, fin[2][k][d], fin[0][k][d], fin[1][k] ? fin[1][k][d] : NAN);
                    probs++;
                }
            }
        next_m:
            for (int pass = 0; pass < 3; pass++) free(fin[pass][0]), free(fin[pass][1]);
        }
    next_t:
        for (int pass = 0; pass < 3; pass++) {
            exec_plan_free(pl[pass]);
            hook_free(&h[pass]);
        }
    }
    free(yref);
    free(ab);
out:
    if (probs) {
        g_bad_cases++;
        fprintf(stderr, "^^ case %d config: ", idx);
        print_cfg(c);
    }
    loader_free(lm);
    free(f);
    free(x); free(w); free(b); free(r);
    return probs;
}

static unsigned long g_seed = 1;
static int g_ncases = 48;

/* Cases every run includes, whatever the seed: a fused conv -> add -> relu
 * whose tiles take the register epilogue (fp32 mode, K in one block:
 * pointwise, and a 2x2 kernel through the im2col panel), with partial tiles
 * and a remainder block of channels, and one residual value far below the
 * others, so that the add's largest |x| (that value) differs from the
 * relu's: a stage's statistics reported as another's would show; half of
 * them with every conv output below its bias, where a lane past the last
 * pixel (its sum 0, plus the bias) counted as a value would be the largest.
 * Two more take the Winograd mode, with a NaN in the residual, and four an
 * add in place over a residual with a NaN, one per mode. */
#define N_FIXED 10
static void fixed_case(int i, cfg *c) {
    memset(c, 0, sizeof *c);
    if (i >= 6) {
        /* a chain whose add writes over its residual (a runtime tensor that
         * nothing reads later) with a NaN in it: the register tile must
         * not store before its check, and the other modes must leave such
         * a chain to epilogue(). 6 Winograd, 7 direct (odd output width),
         * 8 phase (stride 2), 9 the register tile (1x1) */
        c->N = 1;
        c->C = c->O = 20;
        c->H = i == 8 ? 20 : 10;
        c->W = i == 7 ? 11 : i == 8 ? 20 : 10;
        c->kh = c->kw = i == 9 ? 1 : 3;
        c->d0 = c->d1 = c->g = 1;
        c->s0 = c->s1 = i == 8 ? 2 : 1;
        if (i != 9) c->p[0] = c->p[1] = c->p[2] = c->p[3] = 1;
        c->bias = 1;
        c->tail = 3;
        c->rrt = 1;
        c->resnan = 1;
        c->negres = 1;
        c->Ho = (c->H + c->p[0] + c->p[1] - c->kh) / c->s0 + 1;
        c->Wo = (c->W + c->p[2] + c->p[3] - c->kw) / c->s1 + 1;
        return;
    }
    if (i >= 4) {
        /* the Winograd mode's epilogue: 3x3, stride 1, even output sizes,
         * a chain whose add meets a NaN in one of its runs of tiles (the
         * run is counted again one value at a time) */
        c->N = 1;
        c->C = 20;
        c->O = 30;
        c->H = 10;
        c->W = i == 4 ? 12 : 36;
        c->kh = c->kw = 3;
        c->s0 = c->s1 = c->d0 = c->d1 = c->g = 1;
        c->p[0] = c->p[1] = c->p[2] = c->p[3] = 1;
        c->bias = 1;
        c->tail = i == 4 ? 3 : 6;
        c->negres = 1;
        c->resnan = 1;
        c->Ho = c->H;
        c->Wo = c->W;
        return;
    }
    c->N = 1;
    c->C = i % 2 ? 40 : 64;
    c->O = 24 + 5 * i;
    c->H = 7 + i;
    c->W = 9;
    c->kh = c->kw = i >= 2 ? 2 : 1;
    c->s0 = c->s1 = c->d0 = c->d1 = c->g = 1;
    c->padtype = 2; /* valid */
    c->bias = 1;
    c->tail = i % 2 ? 6 : 3;
    c->swap = i == 1;
    c->rrt = i == 3;
    c->negres = 1;
    c->below = i % 2 == 0;
    c->Ho = c->H - c->kh + 1;
    c->Wo = c->W - c->kw + 1;
}

static void test_conv_crosscheck(void) {
    const char *only = getenv("CF_ONLY");
    long done = 0;
    unsetenv("CML_EXEC_BLAS_CONV");
    for (int i = 0; i < g_ncases; i++) {
        rs_ = (g_seed * 1000003ull + (uint64_t)i) * 0x9E3779B97F4A7C15ull + 1;
        for (int k = 0; k < 4; k++) rnd64();
        cfg c;
        while (!gen(&c)) {}
        if (only && atoi(only) != i) continue;
        if (g_verbose || only) { fprintf(stderr, "case %d: ", i); print_cfg(&c); }
        check_failures_ += run_case(i, &c);
        done++;
    }
    for (int i = 0; i < N_FIXED && !only; i++) {
        rs_ = 0x5DEECE66Dull * (uint64_t)(i + 1);
        cfg c;
        fixed_case(i, &c);
        if (g_verbose) { fprintf(stderr, "fixed case %d: ", i); print_cfg(&c); }
        check_failures_ += run_case(1000 + i, &c);
        done++;
    }
    fprintf(stderr, "seed %lu: %ld cases, %ld runs, %ld bad cases\n", g_seed, done, g_runs, g_bad_cases);
    CHECK(done > 0 && g_runs >= done * 3 * 4 * 3);
}

int main(int argc, char **argv) {
    /* the suite's run: seed 1, CML_CONV_CASES cases (default 48) */
    const char *env_n = getenv("CML_CONV_CASES");
    if (argc > 1) g_seed = strtoul(argv[1], NULL, 0);
    if (argc > 2) g_ncases = atoi(argv[2]);
    else if (env_n) g_ncases = atoi(env_n);
    g_verbose = argc > 3 ? atoi(argv[3]) : 0;
    harness_init();
    RUN(test_conv_crosscheck);
    harness_done();
    return CHECK_DONE();
}
#endif
