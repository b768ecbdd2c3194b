/* SPDX-License-Identifier: Apache-2.0 */
/* test_exec_ops.c — unit tests of the reference executor's kernels.
 *
 * ML Program ops are written as model.mil text into a temporary .mlmodelc
 * folder and loaded with loader_load; NeuralNetwork layers are built as
 * protobuf-c messages and packed into a temporary .mlmodel. Each test runs
 * the executor and compares with hand-computed values (or, for convolution
 * and matmul over many shapes, with a naive double-precision loop in this
 * file): padding modes (valid/same/same_lower/custom, NN border amounts and
 * asymmetry modes), pooling ceil mode and includeLastPixel, broadcasting,
 * groups and depthwise convolution, Python slice semantics, every constexpr
 * decompression form (including the examples of the coremltools op
 * docstrings), sub-byte unpacking (LSB-first for MIL, MSB-first for NN
 * WeightParams), fp16 rounding and overflow statistics, states, classify,
 * the unsupported-op report and the input generator. */
#define _DEFAULT_SOURCE
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tmptree.h"
#ifdef CML_NO_EXEC
/* built without OpenBLAS: no executor to test */
CHECK_MAIN_NO_EXEC()
#else
#include "mil_harness.h"
#include "wblob.h"

#define CHECK_NEAR(a, b, tol)                                                                       \
    do {                                                                                            \
        double a_ = (a), b_ = (b);                                                                  \
        if (!(fabs(a_ - b_) <= (tol)) && !(a_ == b_)) {                                             \
            fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s = %.9g, expected %.9g\n", __FILE__,       \
                    __LINE__, #a, a_, b_);                                                          \
            check_failures_++;                                                                      \
        }                                                                                           \
    } while (0)

/* ---- running MIL text -------------------------------------------------------- */

/* (lit: a MIL tensor literal, in mil_harness.h) */

/* the MIL literals of a conv's weights (shape from the format) and its O
 * biases; the caller frees both */
static void conv_lits(const float *w, size_t nw, const float *b, int O, char **wl, char **bl, const char *shape_fmt,
                      ...) __attribute__((format(printf, 7, 8)));
static void conv_lits(const float *w, size_t nw, const float *b, int O, char **wl, char **bl, const char *shape_fmt,
                      ...) {
    char shp[64];
    va_list ap;
    va_start(ap, shape_fmt);
    vsnprintf(shp, sizeof shp, shape_fmt, ap);
    va_end(ap);
    *wl = lit("fp32", shp, w, nw);
    snprintf(shp, sizeof shp, "%d", O);
    *bl = lit("fp32", shp, b, (size_t)O);
}



static float frand(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

/* ---- fp16 ----------------------------------------------------------------------- */

static void test_fp16_rounding(void) {
    CHECK(exec_round_fp16(1.0f) == 1.0f);
    CHECK(exec_round_fp16(65504.0f) == 65504.0f);
    CHECK(exec_round_fp16(65519.0f) == 65504.0f);
    CHECK(isinf(exec_round_fp16(65520.0f)));           /* the midpoint ties to even: infinity */
    CHECK(isinf(exec_round_fp16(-1e6f)) && exec_round_fp16(-1e6f) < 0);
    CHECK(exec_round_fp16(1.0f + 0x1p-11f) == 1.0f);   /* tie -> even (1.0) */
    CHECK(exec_round_fp16(1.0f + 3 * 0x1p-11f) == 1.0f + 0x1p-9f); /* tie -> even (up) */
    CHECK(exec_round_fp16(1.0f + 0x1p-11f + 0x1p-20f) == 1.0f + 0x1p-10f);
    CHECK(exec_round_fp16(0x1p-25f) == 0.0f);          /* subnormal tie -> 0 */
    CHECK(exec_round_fp16(3 * 0x1p-25f) == 0x1p-23f);  /* 1.5 ulp -> 2 ulp */
    CHECK(exec_round_fp16(0x1p-24f) == 0x1p-24f);
    CHECK(exec_round_fp16(0x1p-14f) == 0x1p-14f);
    CHECK(exec_round_fp16(1e-9f) == 0.0f);
    float nz = exec_round_fp16(-0.0f);
    CHECK(nz == 0.0f && signbit(nz));
    CHECK(isnan(exec_round_fp16(NAN)));
    /* every binary16 value survives the round trip; every midpoint goes to the even neighbour */
    int bad = 0;
    for (uint32_t h = 0; h < 0x7c00; h++) {
        float f = cml_half_to_float((uint16_t)h);
        if (exec_round_fp16(f) != f || exec_round_fp16(-f) != -f) bad++;
        if (h + 1 < 0x7c00) {
            float g = cml_half_to_float((uint16_t)(h + 1));
            float mid = (float)(((double)f + (double)g) / 2);
            if (exec_round_fp16(mid) != ((h & 1) ? g : f)) bad++;
        }
    }
    CHECK_INT(bad, 0);
}

static void test_fp16_emulation_stats(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [3]> x) {\n"
        "  tensor<fp32, [3]> sq = mul(x = x, y = x)[name = string(\"sq\")];\n"
        "  tensor<fp32, [3]> z = add(x = sq, y = x)[name = string(\"z\")];\n"
        "  tensor<fp32, [3]> s = add(x = x, y = fp32(0x1.a36e2ep-12))[name = string(\"s\")];\n"
        "} -> (z, s);\n";
    float x[] = {300, 1, 2};
    exec_tensor in = TS("x", x, 3);
    res r;
    if (run(&r, f, EXEC_FP16_EMU, &in, 1)) {
        CHECK(isinf(r.o[0].data[0]));
        EXPECT(&r, 1, 0, 300, 1, 2); /* + 0.0004 vanishes in fp16 */
        CHECK_INT(r.st.n_ops, 3);
        CHECK_INT(r.st.first_overflow, 0);
        CHECK_INT(r.st.first_nonfinite, 0);
        CHECK_INT(r.st.ops[0].n_overflow, 1);
        CHECK_INT(r.st.ops[0].n_inf, 1);
        CHECK_NEAR(r.st.ops[0].max_abs, 90000, 0);
        CHECK_INT(r.st.ops[1].n_overflow, 0);
        CHECK_INT(r.st.ops[1].n_inf, 1);
        CHECK_INT(r.st.ops[0].n_values, 3);
        CHECK_STR(r.st.ops[0].op->name, "sq");
    }
    /* fp32: no overflow, exact */
    if (r.p && again(&r, EXEC_FP32, &in, 1)) {
        EXPECT(&r, 0, 0, 90300, 2, 6);
        CHECK_NEAR(r.o[1].data[1], 1.0004f, 1e-7);
        CHECK_INT(r.st.first_overflow, -1);
        CHECK_INT(r.st.first_nonfinite, -1);
        CHECK(r.st.ops[0].n_overflow == 0);
    }
    res_free(&r);
}

/* ---- convolution --------------------------------------------------------------------- */

static const float X16[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

/* A conv whose weight is computed at run time (here scaled by an input)
 * must see each run's weight: the executor's packed-weight cache is for
 * constants only. */
static void test_conv_runtime_weight(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [1, 2, 4, 4]> x, tensor<fp32, [1]> s) {\n"
        "  tensor<fp32, [2, 2, 1, 1]> w = const()[name = string(\"w\"), val = tensor<fp32, [2, 2, 1, 1]>([1, 2, 3, 4])];\n"
        "  tensor<fp32, [2, 2, 1, 1]> ws = mul(x = w, y = s)[name = string(\"ws\")];\n"
        "  tensor<fp32, [1, 2, 4, 4]> y = conv(x = x, weight = ws, pad_type = string(\"valid\"))[name = string(\"y\")];\n"
        "} -> (y);\n";
    float xs[32], one = 1, three = 3;
    for (int i = 0; i < 32; i++) xs[i] = (float)(i % 5);
    exec_tensor in[2] = {TS("x", xs, 1, 2, 4, 4), TS("s", &one, 1)};
    res r;
    if (!run(&r, f, EXEC_FP32, in, 2)) { res_free(&r); return; }
    float y1[32];
    memcpy(y1, r.o[0].data, sizeof y1);
    CHECK_NEAR(y1[0], 1 * xs[0] + 2 * xs[16], 1e-6);
    CHECK_NEAR(y1[16 + 5], 3 * xs[5] + 4 * xs[21], 1e-6);
    in[1].data = &three;
    for (int k = 0; k < 2; k++) {
        if (!again(&r, k ? EXEC_FP16_EMU : EXEC_FP32, in, 2)) break;
        for (int i = 0; i < 32; i++) CHECK_NEAR(r.o[0].data[i], 3 * y1[i], 1e-6);
    }
    res_free(&r);
}

static void test_conv_padding(void) {
    const char *tmpl =
        "func main<ios16>(tensor<fp32, [1, 1, 4, 4]> x) {\n"
        "  tensor<fp32, [1, 1, 3, 3]> w = const()[name = string(\"w\"), val = tensor<fp32, [1, 1, 3, 3]>([1, 1, 1, 1, 1, 1, 1, 1, 1])];\n"
        "  tensor<fp32, [1, 1, 2, 2]> y = conv(x = x, weight = w, strides = tensor<int32, [2]>([2, 2]), pad_type = string(\"%s\"))[name = string(\"y\")];\n"
        "} -> (y);\n";
    exec_tensor in = TS("x", X16, 1, 1, 4, 4);
    res r;
    char *f = fmt(tmpl, "same");
    if (run(&r, f, EXEC_FP32, &in, 1)) { SHAPE(&r, 0, 1, 1, 2, 2); EXPECT(&r, 0, 0, 45, 39, 66, 50); }
    res_free(&r);
    free(f);
    f = fmt(tmpl, "same_lower");
    if (run(&r, f, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, 10, 24, 51, 90);
    res_free(&r);
    free(f);
    f = fmt(tmpl, "valid");
    if (run(&r, f, EXEC_FP32, &in, 1)) { SHAPE(&r, 0, 1, 1, 1, 1); EXPECT(&r, 0, 0, 45); }
    res_free(&r);
    free(f);
    /* custom pad (top 1, bottom 0, left 0, right 1) with dilation 2 */
    const char *g =
        "func main<ios16>(tensor<fp32, [1, 1, 4, 4]> x) {\n"
        "  tensor<fp32, [1, 1, 3, 3]> y = conv(x = x, weight = tensor<fp32, [1, 1, 2, 2]>([1, 1, 1, 1]), pad_type = string(\"custom\"), pad = tensor<int32, [4]>([1, 0, 0, 1]), dilations = tensor<int32, [2]>([2, 2]), bias = tensor<fp32, [1]>([0.5]))[name = string(\"y\")];\n"
        "} -> (y);\n";
    if (run(&r, g, EXEC_FP32, &in, 1)) {
        SHAPE(&r, 0, 1, 1, 3, 3);
        EXPECT(&r, 0, 0, 10.5, 12.5, 6.5, 20.5, 24.5, 12.5, 36.5, 40.5, 20.5);
    }
    res_free(&r);
}

static void test_conv_groups(void) {
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)(i / 4 + 1); /* channel c holds c+1 */
    exec_tensor in = TS("x", x, 1, 4, 2, 2);
    res r;
    const char *f =
        "func main<ios16>(tensor<fp32, [1, 4, 2, 2]> x) {\n"
        "  tensor<fp32, [1, 2, 2, 2]> y = conv(x = x, weight = tensor<fp32, [2, 2, 1, 1]>([1, 2, 3, 4]), groups = int32(2), pad_type = string(\"valid\"))[name = string(\"y\")];\n"
        "} -> (y);\n";
    if (run(&r, f, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, 5, 5, 5, 5, 25, 25, 25, 25);
    res_free(&r);
    /* depthwise with channel multiplier 2, padding 1 */
    float x2[18];
    for (int i = 0; i < 18; i++) x2[i] = i < 9 ? 1.0f : 2.0f;
    exec_tensor in2 = TS("x", x2, 1, 2, 3, 3);
    float w[36];
    for (int i = 0; i < 36; i++) w[i] = (float)(i / 9 + 1);
    char *wl = lit("fp32", "4, 1, 3, 3", w, 36);
    char *g = fmt("func main<ios16>(tensor<fp32, [1, 2, 3, 3]> x) {\n"
                  "  tensor<fp32, [1, 4, 3, 3]> y = conv(x = x, weight = %s, groups = int32(2), pad_type = string(\"custom\"), pad = tensor<int32, [4]>([1, 1, 1, 1]))[name = string(\"y\")];\n"
                  "} -> (y);\n", wl);
    if (run(&r, g, EXEC_FP32, &in2, 1)) {
        SHAPE(&r, 0, 1, 4, 3, 3);
        CHECK_NEAR(r.o[0].data[0], 4, 0);        /* o0 corner */
        CHECK_NEAR(r.o[0].data[4], 9, 0);        /* o0 centre */
        CHECK_NEAR(r.o[0].data[9 + 4], 18, 0);   /* o1 centre */
        CHECK_NEAR(r.o[0].data[18 + 4], 54, 0);  /* o2 centre (input ch 1) */
        CHECK_NEAR(r.o[0].data[27 + 0], 32, 0);  /* o3 corner */
    }
    res_free(&r);
    free(wl);
    free(g);
}

/* naive conv for cross-checks */
static void conv_ref(const float *x, int N, int C, int H, int W, const float *w, int O, int kh, int kw, int g,
                     const int s[2], const int d[2], const int p[4], const float *b, float *y, int Ho, int Wo) {
    int Cg = C / g, Og = O / g;
    for (int n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int oh = 0; oh < Ho; oh++)
                for (int ow = 0; ow < Wo; ow++) {
                    double acc = b ? b[o] : 0;
                    int gi = o / Og;
                    for (int c = 0; c < Cg; c++)
                        for (int i = 0; i < kh; i++)
                            for (int j = 0; j < kw; j++) {
                                int ih = oh * s[0] - p[0] + i * d[0], iw = ow * s[1] - p[2] + j * d[1];
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)x[((n * C + gi * Cg + c) * H + ih) * W + iw] *
                                       w[((o * Cg + c) * kh + i) * kw + j];
                            }
                    y[((n * O + o) * Ho + oh) * Wo + ow] = (float)acc;
                }
}

static void test_conv_crosscheck(void) {
    struct { int N, C, H, W, O, kh, kw, g, s0, s1, d0, d1, p0, p1, p2, p3; } cs[] = {
        {1, 3, 7, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* im2col */
        {2, 4, 5, 5, 6, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},   /* pointwise, batch 2 */
        {1, 6, 9, 8, 6, 3, 3, 6, 2, 2, 1, 1, 1, 1, 1, 1},   /* depthwise stride 2 */
        {1, 4, 8, 9, 4, 3, 3, 4, 1, 1, 2, 2, 2, 2, 2, 2},   /* depthwise dilated */
        {1, 4, 6, 7, 8, 2, 3, 2, 2, 1, 1, 2, 0, 1, 2, 0},   /* grouped, asymmetric */
        {1, 3, 11, 10, 5, 5, 4, 1, 3, 2, 1, 1, 2, 1, 0, 3}, /* odd kernel, strides */
        /* 3x3 stride 1 (the direct mode on AVX-512): padding on one side only,
         * or more on the right than on the left (padded rows W + max(l, r) apart) */
        {1, 5, 9, 20, 7, 3, 3, 1, 1, 1, 1, 1, 2, 0, 0, 2},
        {1, 4, 8, 16, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 2, 0},
        {1, 6, 7, 15, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
        /* strides of 2 (a ResNet stem, downsampling 1x1 and 3x3) and other kernel sizes */
        {1, 5, 17, 19, 7, 3, 3, 1, 2, 2, 1, 1, 1, 1, 1, 1},  /* 3x3 stride 2 */
        {1, 3, 32, 30, 8, 7, 7, 1, 2, 2, 1, 1, 3, 3, 3, 3},  /* 7x7 stride 2 (a ResNet stem) */
        {1, 16, 20, 18, 12, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, /* 1x1 stride 2 */
        {1, 4, 16, 18, 6, 3, 3, 1, 2, 2, 1, 1, 0, 1, 0, 1},  /* 3x3 stride 2, padding after only */
        {1, 3, 12, 20, 5, 5, 5, 1, 1, 1, 1, 1, 2, 2, 2, 2},  /* 5x5 stride 1 */
        {1, 4, 9, 14, 6, 2, 3, 1, 1, 1, 1, 1, 0, 1, 1, 1},   /* 2x3 stride 1 */
        {2, 6, 15, 21, 10, 3, 3, 2, 2, 2, 1, 1, 1, 1, 1, 1}, /* stride 2, groups, batch 2 */
        /* 1x1 with strides: the pointwise path over a subsampled copy (rows of
         * 70: the vector copy and its scalar tail; strides 3 by 2) */
        {1, 8, 6, 70, 5, 1, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0},
        {1, 4, 10, 40, 6, 1, 1, 1, 3, 2, 1, 1, 0, 0, 0, 0},
        /* the direct mode's K in two blocks of whole channels (K = 9270 > 9216) */
        {1, 1030, 5, 9, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    };
    unsigned seed = 7;
    for (size_t t = 0; t < sizeof cs / sizeof *cs; t++) {
        int N = cs[t].N, C = cs[t].C, H = cs[t].H, W = cs[t].W, O = cs[t].O, kh = cs[t].kh, kw = cs[t].kw, g = cs[t].g;
        int s[2] = {cs[t].s0, cs[t].s1}, d[2] = {cs[t].d0, cs[t].d1}, p[4] = {cs[t].p0, cs[t].p1, cs[t].p2, cs[t].p3};
        int Ho = (H + p[0] + p[1] - (kh - 1) * d[0] - 1) / s[0] + 1, Wo = (W + p[2] + p[3] - (kw - 1) * d[1] - 1) / s[1] + 1;
        size_t nx = (size_t)(N * C * H * W), nw = (size_t)(O * (C / g) * kh * kw), ny = (size_t)(N * O * Ho * Wo);
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)O * 4), *y = malloc(ny * 4);
        for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) w[i] = frand(&seed);
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        conv_ref(x, N, C, H, W, w, O, kh, kw, g, s, d, p, b, y, Ho, Wo);
        char *wl, *bl;
        conv_lits(w, nw, b, O, &wl, &bl, "%d, %d, %d, %d", O, C / g, kh, kw);
        char *f = fmt("func main<ios16>(tensor<fp32, [%d, %d, %d, %d]> x) {\n"
                      "  tensor<fp32, [%d, %d, %d, %d]> y = conv(x = x, weight = %s, bias = %s, groups = int32(%d), "
                      "strides = tensor<int32, [2]>([%d, %d]), dilations = tensor<int32, [2]>([%d, %d]), pad_type = string(\"custom\"), "
                      "pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string(\"y\")];\n} -> (y);\n",
                      N, C, H, W, N, O, Ho, Wo, wl, bl, g, s[0], s[1], d[0], d[1], p[0], p[1], p[2], p[3]);
        exec_tensor in = TS("x", x, N, C, H, W);
        res r;
        if (run(&r, f, EXEC_FP32, &in, 1)) {
            SHAPE(&r, 0, N, O, Ho, Wo);
            /* sums of 9270 products of values in [-1, 1] cancel to ~0.2
             * from terms of ~30: an fp32 sum in another order is off by
             * ~1e-5 of the terms, not of the result */
            int K = C / g * kh * kw;
            expect_vals(&r, 0, y, ny, K > 4096 ? 2e-4 : 1e-5, __LINE__ + (int)t * 1000);
        }
        res_free(&r);
        free(f); free(wl); free(bl); free(x); free(w); free(b); free(y);
    }
}

/* The executor's own convolution GEMM (exec_conv.c, AVX-512 CPUs) against
 * the BLAS path (CML_EXEC_BLAS_CONV set: im2col + sgemm, and the add and relu
 * run as ops of their own): conv -> add -> relu and conv -> relu, shapes
 * that hit the partial register tiles, K in blocks, pointwise and strided
 * panels, groups, batch 2, small images (the transposed mode), one and two
 * threads, fp32, fp16 emulation and
 * the typed mode. Every op's output (through the hook) and statistics must
 * agree: values to fp32 (or binary16) rounding, the NaN, Inf and overflow
 * counts exactly. On other CPUs both runs take the BLAS path. */
/* (the hook's record: hook_rec, rec_hook in mil_harness.h) */

/* a plan of lm with options o, run twice (the second run sees the packed
 * weights and the fusion decided): its last outputs and statistics */
static exec_plan *plan_run2(lmodel *lm, const exec_opts *o, exec_mode mode, const exec_tensor *in, size_t n_in,
                            exec_tensor **out, size_t *no, exec_stats *es) {
    char err[256];
    exec_plan *p = exec_prepare(lm->model, NULL, o, err, sizeof err);
    CHECK(p != NULL);
    *out = NULL;
    *no = 0;
    for (int k = 0; p && k < 2; k++) {
        exec_tensors_free(*out, *no);
        *out = NULL;
        *no = 0;
        CHECK(exec_run(p, mode, in, n_in, out, no, es) == 0);
    }
    return p;
}

/* Run lm in fp32 with our GEMM (pass 0, no hook) and with the BLAS path
 * (pass 1), on `threads` threads: copies of its first two outputs of ny
 * values (got[pass][i], NULL where absent) and the first six op
 * statistics; how many values of the first nout outputs differ (two NaNs
 * are equal). The caller frees got. */
static size_t fast_vs_blas(lmodel *lm, int threads, const exec_tensor *in, size_t n_in, size_t ny, int nout,
                           float *got[2][2], exec_op_stat st[2][6], size_t nst[2]) {
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) setenv("CML_EXEC_BLAS_CONV", "1", 1);
        exec_opts o = host_opts;
        o.threads = threads;
        exec_tensor *out;
        size_t no;
        exec_stats es;
        exec_plan *p = plan_run2(lm, &o, EXEC_FP32, in, n_in, &out, &no, &es);
        nst[pass] = 0;
        if (p) {
            nst[pass] = es.n_ops < 6 ? es.n_ops : 6;
            memcpy(st[pass], es.ops, nst[pass] * sizeof *es.ops);
        }
        got[pass][0] = got[pass][1] = NULL;
        for (size_t i = 0; i < no && i < 2; i++)
            if (exec_tensor_count(&out[i]) == ny) {
                got[pass][i] = malloc(ny * sizeof(float));
                memcpy(got[pass][i], out[i].data, ny * sizeof(float));
            }
        exec_tensors_free(out, no);
        exec_plan_free(p);
        unsetenv("CML_EXEC_BLAS_CONV");
    }
    size_t bad = 0;
    for (int i = 0; i < nout; i++) {
        CHECK(got[0][i] && got[1][i]);
        for (size_t e = 0; got[0][i] && got[1][i] && e < ny; e++) {
            float u = got[0][i][e], v = got[1][i][e];
            if (!(fabs(u - v) <= 2e-5 * (1 + fabs(v))) && !(u == v) && !(u != u && v != v)) bad++;
        }
    }
    return bad;
}

static void test_conv_fast_fused(void) {
    struct { int N, C, H, W, O, kh, kw, g, s, d, p, add; float big; } cs[] = {
        {1, 64, 16, 16, 13, 3, 3, 1, 1, 1, 1, 1, 0},    /* K = 576 in two blocks; 13 channels */
        {2, 20, 9, 7, 30, 1, 1, 1, 1, 1, 0, 1, 0},      /* pointwise, 63 pixels, batch 2 */
        {1, 12, 13, 11, 24, 3, 3, 3, 2, 2, 2, 1, 0},    /* groups, stride 2, dilation 2 */
        {1, 3, 11, 10, 5, 5, 4, 1, 3, 1, 2, 0, 0},      /* stride 3: the general gather */
        {1, 600, 16, 16, 16, 1, 1, 1, 1, 1, 0, 0, 0},   /* pointwise, K = 600 in blocks, relu only */
        {1, 40, 7, 7, 48, 3, 3, 1, 1, 1, 1, 1, 0},      /* 7x7: channel vectors (transposed mode) */
        {1, 300, 7, 7, 48, 3, 3, 1, 1, 1, 1, 0, 0},     /* ... K = 2700 in two blocks */
        {2, 64, 7, 7, 32, 1, 1, 1, 1, 1, 0, 1, 0},      /* ... pointwise, batch 2 */
        {1, 16, 12, 12, 20, 3, 3, 1, 1, 1, 1, 1, 30000}, /* fp16 overflow, NaN and Inf; fp16-typed outputs */
        /* 3x3 stride 1 read from the padded input (direct mode): rows of 37 = 32 + 5
         * lanes; rows of 13 two per tile with an odd row count; groups; K = 1152 in blocks */
        {1, 32, 21, 37, 20, 3, 3, 1, 1, 1, 1, 1, 0},
        {2, 8, 9, 13, 12, 3, 3, 1, 1, 1, 1, 0, 0},
        {1, 12, 10, 18, 24, 3, 3, 3, 1, 1, 1, 1, 0},
        {1, 128, 12, 20, 36, 3, 3, 1, 1, 1, 1, 1, 0},
        {1, 24, 11, 23, 16, 3, 3, 1, 1, 1, 0, 1, 0},      /* no padding */
        /* direct mode, flattened tiles (vectors run across a row's end): rows
         * of 56 and 28 pixels, K = 576 in two blocks, with and without the add */
        {1, 64, 9, 56, 20, 3, 3, 1, 1, 1, 1, 1, 0},
        {2, 8, 6, 28, 12, 3, 3, 1, 1, 1, 1, 0, 0},
        /* strides of 2 (panels gathered with stride): 3x3 with the add, a 7x7 stem, 1x1 */
        {1, 16, 30, 30, 20, 3, 3, 1, 2, 1, 1, 1, 0},
        {1, 3, 40, 40, 16, 7, 7, 1, 2, 1, 3, 0, 0},
        {1, 32, 24, 24, 40, 1, 1, 1, 2, 1, 0, 1, 0},
    };
    unsigned seed = 11;
    for (size_t t = 0; t < sizeof cs / sizeof *cs; t++) {
        /* the transposed direct mode's binary16 weights widened into scratch
         * (odd cases) or in the kernel (even), whatever this CPU's choice */
        setenv("CML_EXEC_TRD_WIDEN", t % 2 ? "1" : "0", 1);
        int N = cs[t].N, C = cs[t].C, H = cs[t].H, W = cs[t].W, O = cs[t].O, kh = cs[t].kh, kw = cs[t].kw;
        int g = cs[t].g, s = cs[t].s, d = cs[t].d, pd = cs[t].p;
        int Ho = (H + 2 * pd - (kh - 1) * d - 1) / s + 1, Wo = (W + 2 * pd - (kw - 1) * d - 1) / s + 1;
        size_t nx = (size_t)N * C * H * W, nw = (size_t)O * (C / g) * kh * kw, ny = (size_t)N * O * Ho * Wo;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)O * 4), *rs = malloc(ny * 4);
        for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) w[i] = frand(&seed) * 0.5f;
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        for (size_t i = 0; i < ny; i++) rs[i] = frand(&seed);
        if (cs[t].big > 0) {
            for (size_t i = 0; i < nx; i += 7) x[i] *= cs[t].big; /* sums past 65504 */
            x[5] = NAN;
            x[nx / 2] = INFINITY;
        }
        char *wl, *bl;
        conv_lits(w, nw, b, O, &wl, &bl, "%d, %d, %d, %d", O, C / g, kh, kw);
        /* the last case declares the conv, add and relu fp16 (rounded in the typed mode) */
        const char *dt = cs[t].big > 0 ? "fp16" : "fp32";
        char *f = cs[t].add
            ? fmt("func main<ios16>(tensor<fp32, [%d, %d, %d, %d]> x, tensor<fp32, [%d, %d, %d, %d]> r) {\n"
                  "  tensor<%s, [%d, %d, %d, %d]> y = conv(x = x, weight = %s, bias = %s, groups = int32(%d), "
                  "strides = tensor<int32, [2]>([%d, %d]), dilations = tensor<int32, [2]>([%d, %d]), "
                  "pad_type = string(\"custom\"), pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string(\"y\")];\n"
                  "  tensor<%s, [%d, %d, %d, %d]> a = add(x = r, y = y)[name = string(\"a\")];\n"
                  "  tensor<%s, [%d, %d, %d, %d]> z = relu(x = a)[name = string(\"z\")];\n} -> (z);\n",
                  N, C, H, W, N, O, Ho, Wo, dt, N, O, Ho, Wo, wl, bl, g, s, s, d, d, pd, pd, pd, pd, dt, N, O, Ho, Wo,
                  dt, N, O, Ho, Wo)
            : fmt("func main<ios16>(tensor<fp32, [%d, %d, %d, %d]> x, tensor<fp32, [%d, %d, %d, %d]> r) {\n"
                  "  tensor<fp32, [%d, %d, %d, %d]> y = conv(x = x, weight = %s, bias = %s, groups = int32(%d), "
                  "strides = tensor<int32, [2]>([%d, %d]), dilations = tensor<int32, [2]>([%d, %d]), "
                  "pad_type = string(\"custom\"), pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string(\"y\")];\n"
                  "  tensor<fp32, [%d, %d, %d, %d]> z = relu(x = y)[name = string(\"z\")];\n} -> (z);\n",
                  N, C, H, W, N, O, Ho, Wo, N, O, Ho, Wo, wl, bl, g, s, s, d, d, pd, pd, pd, pd, N, O, Ho, Wo);
        exec_tensor in[2] = {TS("x", x, N, C, H, W), TS("r", rs, N, O, Ho, Wo)};
        lmodel *lm = load_mil(f);
        CHECK(lm && lm->model);
        for (int threads = 1; lm && lm->model && threads <= 2; threads++)
            for (int mode = EXEC_FP32; mode <= EXEC_TYPED; mode++) {
                hook_rec h[3];
                exec_op_stat st[3][4];
                size_t nst[3] = {0, 0, 0};
                float *fin[3] = {NULL, NULL, NULL}; /* the function's output */
                memset(h, 0, sizeof h);
                /* pass 0: our GEMM, hooked (every op's output written); 1: the BLAS
                 * path; 2: our GEMM without a hook (the fused chain in registers,
                 * intermediate outputs never written) */
                for (int pass = 0; pass < 3; pass++) {
                    exec_opts o = pass_opts(pass, threads, &h[pass]);
                    exec_tensor *out;
                    size_t no;
                    exec_stats es;
                    exec_plan *p = plan_run2(lm, &o, (exec_mode)mode, in, 2, &out, &no, &es);
                    if (p) {
                        nst[pass] = es.n_ops < 4 ? es.n_ops : 4;
                        memcpy(st[pass], es.ops, nst[pass] * sizeof *es.ops);
                    }
                    if (no == 1 && exec_tensor_count(&out[0]) == ny) {
                        fin[pass] = malloc(ny * sizeof(float));
                        memcpy(fin[pass], out[0].data, ny * sizeof(float));
                    }
                    exec_tensors_free(out, no);
                    exec_plan_free(p);
                    unsetenv("CML_EXEC_BLAS_CONV");
                }
                CHECK(nst[0] == nst[1] && nst[0] == nst[2] && nst[0] == (size_t)(cs[t].add ? 3 : 2));
                /* the chain in registers computes what the hooked run wrote, in
                 * the same order: the same bits and the same statistics */
                CHECK(fin[0] && fin[2] && memcmp(fin[0], fin[2], ny * sizeof(float)) == 0);
                for (size_t i = 0; i < nst[0] && i < nst[2]; i++) {
                    CHECK(st[0][i].n_values == st[2][i].n_values);
                    CHECK(st[0][i].n_nan == st[2][i].n_nan && st[0][i].n_inf == st[2][i].n_inf);
                    CHECK(st[0][i].n_overflow == st[2][i].n_overflow);
                    CHECK(st[0][i].max_abs == st[2][i].max_abs);
                }
                for (int k = 0; k < 3; k++) free(fin[k]);
                /* fp32 sums in another order; binary16 values may then round one step apart */
                double tol = mode == EXEC_FP32 ? 2e-5 : 2e-3;
                for (size_t i = 0; i < nst[0] && i < nst[1]; i++) {
                    CHECK(st[0][i].n_values == st[1][i].n_values);
                    CHECK(st[0][i].n_nan == st[1][i].n_nan);
                    CHECK(st[0][i].n_inf == st[1][i].n_inf);
                    CHECK(st[0][i].n_overflow == st[1][i].n_overflow);
                    CHECK_NEAR(st[0][i].max_abs, st[1][i].max_abs, tol * st[1][i].max_abs);
                    if (cs[t].big > 0) {
                        CHECK(st[0][i].n_nan > 0 && st[0][i].n_inf > 0);
                        if (mode != EXEC_FP32 && i == 0) CHECK(st[0][i].n_overflow > 0);
                    }
                    CHECK(h[0].n[i] == ny && h[1].n[i] == ny);
                    /* relative, and against the op's largest value (sums with cancellation) */
                    double scale = 1e-6 * st[1][i].max_abs;
                    size_t bad = 0;
                    for (size_t k = 0; h[0].v[i] && h[1].v[i] && k < ny; k++) {
                        double u = h[0].v[i][k], v = h[1].v[i][k];
                        if (!(fabs(u - v) <= tol * (1 + fabs(v)) + scale) && !(u == v) && !(u != u && v != v)) bad++;
                    }
                    if (bad) fprintf(stderr, "case %zu, threads %d, mode %d, op %zu: %zu values differ\n", t, threads,
                                     mode, i, bad);
                    CHECK(bad == 0);
                }
                for (int k = 0; k < 3; k++)
                    hook_free(&h[k]);
            }
        loader_free(lm);
        free(f); free(wl); free(bl); free(x); free(w); free(b); free(rs);
    }
    unsetenv("CML_EXEC_TRD_WIDEN");
}

/* The fused add writes its sum over the residual when that tensor dies at
 * the add (exec_out_over): the values must be those of the BLAS path, and a
 * residual that is read later, or that the convolution itself reads, must
 * not be written over. */
static void test_conv_fused_over(void) {
    /* form 0: the residual dies at the add; 1: it is read again after it;
     * 2: it is the convolution's own input (C == O, same size); bad: a NaN
     * in the residual and an Inf in the input (tiles that must
     * leave the registers for epilogue() with the residual as it was) */
    struct { int form, C, H, W, O, k, bad; } cs[] = {
        {0, 20, 9, 40, 24, 1, 0}, {0, 16, 12, 20, 20, 3, 0}, {0, 600, 6, 6, 16, 1, 0}, {1, 20, 9, 40, 24, 1, 0},
        {1, 16, 12, 20, 20, 3, 0}, {2, 24, 9, 40, 24, 1, 0}, {2, 16, 12, 20, 16, 3, 0}, {0, 20, 9, 40, 24, 1, 1},
        {0, 16, 12, 20, 20, 3, 1},
    };
    unsigned seed = 29;
    for (size_t t = 0; t < sizeof cs / sizeof *cs; t++) {
        int C = cs[t].C, H = cs[t].H, W = cs[t].W, O = cs[t].O, k = cs[t].k, pd = k / 2, form = cs[t].form;
        size_t nx = (size_t)C * H * W, nw = (size_t)O * C * k * k, ny = (size_t)O * H * W;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)O * 4), *rs = malloc(ny * 4);
        for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) w[i] = frand(&seed) * 0.5f;
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        for (size_t i = 0; i < ny; i++) rs[i] = frand(&seed);
        if (cs[t].bad) {
            rs[ny / 3] = NAN;
            x[nx / 2] = INFINITY;
        }
        char *wl, *bl;
        conv_lits(w, nw, b, O, &wl, &bl, "%d, %d, %d, %d", O, C, k, k);
        /* the residual r2 is a runtime tensor (a sigmoid of an input); in
         * form 2 the convolution reads it too */
        char *q = form == 1 ? fmt("  tensor<fp32, [1, %d, %d, %d]> q = mul(x = r2, y = r2)[name = string(\"q\")];\n",
                                  O, H, W)
                            : fmt("%s", "");
        const int nout = form == 1 ? 2 : 1;
        char *f = fmt("func main<ios16>(tensor<fp32, [1, %d, %d, %d]> x, tensor<fp32, [1, %d, %d, %d]> r) {\n"
                      "  tensor<fp32, [1, %d, %d, %d]> r2 = sigmoid(x = %s)[name = string(\"r2\")];\n"
                      "  tensor<fp32, [1, %d, %d, %d]> y = conv(x = %s, weight = %s, bias = %s, "
                      "pad_type = string(\"custom\"), pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string(\"y\")];\n"
                      "  tensor<fp32, [1, %d, %d, %d]> a = add(x = y, y = r2)[name = string(\"a\")];\n"
                      "  tensor<fp32, [1, %d, %d, %d]> z = relu(x = a)[name = string(\"z\")];\n"
                      "%s} -> (z%s);\n",
                      C, H, W, O, H, W, form == 2 ? C : O, H, W, form == 2 ? "x" : "r", O, H, W,
                      form == 2 ? "r2" : "x", wl, bl, pd, pd, pd, pd, O, H, W, O, H, W, q,
                      form == 1 ? ", q" : "");
        exec_tensor in[2] = {TS("x", x, 1, C, H, W), TS("r", rs, 1, O, H, W)};
        lmodel *lm = load_mil(f);
        CHECK(lm && lm->model);
        for (int threads = 1; lm && lm->model && threads <= 2; threads++) {
            float *got[2][2];
            exec_op_stat st[2][6];
            size_t nst[2];
            /* our GEMM unhooked (the chain) against BLAS */
            size_t bad = fast_vs_blas(lm, threads, in, 2, ny, nout, got, st, nst);
            if (bad) fprintf(stderr, "fused over: case %zu, threads %d: %zu values differ\n", t, threads, bad);
            CHECK(bad == 0);
            CHECK(nst[0] == nst[1] && nst[0] == (size_t)(4 + (form == 1)));
            uint64_t nan = 0, inf = 0;
            for (size_t i = 0; i < nst[0] && i < nst[1]; i++) {
                CHECK(st[0][i].n_values == st[1][i].n_values);
                CHECK(st[0][i].n_nan == st[1][i].n_nan && st[0][i].n_inf == st[1][i].n_inf);
                CHECK_NEAR(st[0][i].max_abs, st[1][i].max_abs, 2e-5 * st[1][i].max_abs);
                nan += st[0][i].n_nan;
                inf += st[0][i].n_inf;
            }
            CHECK(cs[t].bad ? nan > 0 && inf > 0 : nan == 0 && inf == 0);
            for (int i = 0; i < 2; i++)
                for (int pass = 0; pass < 2; pass++) free(got[pass][i]);
        }
        loader_free(lm);
        free(f); free(q); free(wl); free(bl); free(x); free(w); free(b); free(rs);
    }
}

/* The lanes of a register tile past the last pixel hold the bias alone: the
 * statistics must not count them. Every real output here is 0 (w = -b,
 * x = 1), so a tile's 17 unused lanes (15 pixels of 32) would report |b|. */
static void test_conv_stats_lanes(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [1, 1, 3, 5]> x, tensor<fp32, [1, 3, 3, 5]> r) {\n"
        "  tensor<fp32, [1, 3, 3, 5]> y = conv(x = x, weight = tensor<fp32, [3, 1, 1, 1]>([-2, 3, -4]), "
        "bias = tensor<fp32, [3]>([2, -3, 4]), pad_type = string(\"valid\"))[name = string(\"y\")];\n"
        "  tensor<fp32, [1, 3, 3, 5]> a = add(x = y, y = r)[name = string(\"a\")];\n"
        "  tensor<fp32, [1, 3, 3, 5]> z = relu(x = a)[name = string(\"z\")];\n"
        "} -> (z);\n";
    float x[15], r[45] = {0};
    for (int i = 0; i < 15; i++) x[i] = 1;
    exec_tensor in[2] = {TS("x", x, 1, 1, 3, 5), TS("r", r, 1, 3, 3, 5)};
    res rr;
    /* twice: the second run has the fusion decided */
    if (run(&rr, f, EXEC_FP32, in, 2) && again(&rr, EXEC_FP32, in, 2)) {
        CHECK(rr.st.n_ops == 3);
        for (size_t i = 0; i < rr.st.n_ops; i++) CHECK(rr.st.ops[i].max_abs == 0 && rr.st.ops[i].n_values == 45);
        CHECK(rr.n == 1 && exec_tensor_count(&rr.o[0]) == 45);
        for (size_t i = 0; rr.n == 1 && i < 45; i++) CHECK(rr.o[0].data[i] == 0);
    }
    res_free(&rr);
}

/* The direct 3x3 mode with both side paddings of 3 or more: an output row
 * (W + left + right - 2) is then longer than a row of the padded copy
 * (W + max(left, right)), so its tiles must not be laid across rows. It
 * wrote each row's last column with the next row's first pixel and left
 * that one unwritten. Against the BLAS path, with and without the fused
 * relu, on one and two threads. */
static void test_conv_direct_pads(void) {
    struct { int C, H, W, O, t, b, l, r; } cs[] = {
        {4, 5, 12, 3, 0, 0, 3, 3}, {6, 7, 11, 13, 1, 2, 3, 5}, {5, 6, 10, 12, 2, 2, 4, 3}, {3, 9, 17, 5, 0, 1, 2, 6},
    };
    unsigned seed = 41;
    for (size_t t = 0; t < sizeof cs / sizeof *cs; t++) {
        int C = cs[t].C, H = cs[t].H, W = cs[t].W, O = cs[t].O;
        int Ho = H + cs[t].t + cs[t].b - 2, Wo = W + cs[t].l + cs[t].r - 2;
        size_t nx = (size_t)C * H * W, nw = (size_t)O * C * 9, ny = (size_t)O * Ho * Wo;
        float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)O * 4);
        for (size_t i = 0; i < nx; i++) x[i] = frand(&seed);
        for (size_t i = 0; i < nw; i++) w[i] = frand(&seed);
        for (int i = 0; i < O; i++) b[i] = frand(&seed);
        char *wl, *bl;
        conv_lits(w, nw, b, O, &wl, &bl, "%d, %d, 3, 3", O, C);
        char *f = fmt("func main<ios16>(tensor<fp32, [1, %d, %d, %d]> x) {\n"
                      "  tensor<fp32, [1, %d, %d, %d]> y = conv(x = x, weight = %s, bias = %s, "
                      "pad_type = string(\"custom\"), pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string(\"y\")];\n"
                      "  tensor<fp32, [1, %d, %d, %d]> z = relu(x = y)[name = string(\"z\")];\n"
                      "} -> (y, z);\n",
                      C, H, W, O, Ho, Wo, wl, bl, cs[t].t, cs[t].b, cs[t].l, cs[t].r, O, Ho, Wo);
        exec_tensor in = TS("x", x, 1, C, H, W);
        lmodel *lm = load_mil(f);
        CHECK(lm && lm->model);
        for (int threads = 1; lm && lm->model && threads <= 2; threads++) {
            float *got[2][2];
            exec_op_stat st[2][6];
            size_t nst[2];
            /* our GEMM (the direct mode) against BLAS */
            size_t bad = fast_vs_blas(lm, threads, &in, 1, ny, 2, got, st, nst);
            for (int i = 0; i < 2; i++)
                for (int pass = 0; pass < 2; pass++) free(got[pass][i]);
            if (bad) fprintf(stderr, "direct pads: case %zu, threads %d: %zu values differ\n", t, threads, bad);
            CHECK(bad == 0);
        }
        loader_free(lm);
        free(f); free(wl); free(bl); free(x); free(w); free(b);
    }
}

/* exec_par_for: regions of 2 and 3 ranges in turn on 3 threads; each range
 * of each region must run exactly once. A worker late from a 2-range region
 * used to take its "range 2" once the next region's count (3) was written
 * and before its ticket was: a range ran twice, the pending count wrapped
 * and the pool waited forever (within ~1000 iterations here); the alarm
 * turns such a hang into a failure. */
typedef struct par_reg {
    atomic_int hits[3];
} par_reg;

static void par_hit(void *arg, size_t b, size_t e, int r) {
    (void)b;
    (void)e;
    par_reg *g = arg;
    if (r >= 0 && r < 3) atomic_fetch_add(&g->hits[r], 1);
}

static void par_hung(int sig) {
    (void)sig;
    static const char m[] = "test_par_regions: exec_par_for hung\n";
    if (write(2, m, sizeof m - 1) < 0) _exit(1);
    _exit(1);
}

static void test_par_regions(void) {
    exec_plan *p = calloc(1, sizeof *p);
    CHECK(p != NULL);
    if (!p) return;
    p->opts.threads = 3;
    signal(SIGALRM, par_hung);
    alarm(60);
    long bad = 0, i = 0;
    for (; i < 20000 && !bad; i++) {
        par_reg a, b;
        memset(&a, 0, sizeof a);
        memset(&b, 0, sizeof b);
        exec_par_for(p, 2, 1, par_hit, &a);
        exec_par_for(p, 3, 1, par_hit, &b);
        bad = a.hits[0] != 1 || a.hits[1] != 1 || a.hits[2] != 0 || b.hits[0] != 1 || b.hits[1] != 1 || b.hits[2] != 1;
    }
    alarm(0);
    signal(SIGALRM, SIG_DFL);
    if (bad) fprintf(stderr, "test_par_regions: a range ran twice or not at all, iteration %ld\n", i - 1);
    CHECK(!bad);
    exec_par_free(p);
    free(p);
}

/* A packing made in fp16 emulation holds weights rounded to binary16; an
 * fp32 run of the same plan needs them as stored. A palettized weight whose
 * LUT values are not binary16 (0.1, 0.3, ...), packed first by an fp16 run,
 * must not serve the fp32 run after it: that run equals a fresh plan's. */
static void test_conv_pack_modes(void) {
    /* 32 x 64 x 3 x 3 = 18,432 weights: past EXEC_LZ_MIN_BYTES as floats,
     * so the weight stays in its stored form and the conv packs it */
    enum { NW = 32 * 64 * 9, NX = 64 * 12 * 12 };
    static char idx[NW * 3 + 64];
    size_t k = 0;
    for (int i = 0; i < NW; i++) k += (size_t)snprintf(idx + k, sizeof idx - k, "%s%d", i ? ", " : "", (i * 7 + i / 5) % 4);
    char *f = fmt("func main<ios18>(tensor<fp32, [1, 64, 12, 12]> x) {\n"
                  "  tensor<fp32, [32, 64, 3, 3]> w = constexpr_lut_to_dense(indices = tensor<uint2, [32, 64, 3, 3]>([%s]), "
                  "lut = tensor<fp32, [1, 1, 1, 1, 4, 1]>([0.1, -0.3, 0.7, 1.1]))[name = string(\"w\")];\n"
                  "  tensor<fp32, [1, 32, 12, 12]> y = conv(x = x, weight = w, pad_type = string(\"same\"))[name = string(\"y\")];\n"
                  "} -> (y);\n",
                  idx);
    static float x[NX];
    for (int i = 0; i < NX; i++) x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    exec_tensor in = TS("x", x, 1, 64, 12, 12);
    res a, b;
    if (prep(&a, f) && prep(&b, f)) {
        CHECK(again(&a, EXEC_FP16_EMU, &in, 1));   /* a packs first in fp16 emulation */
        CHECK(again(&a, EXEC_FP32, &in, 1));
        CHECK(again(&b, EXEC_FP32, &in, 1));       /* b only ever runs fp32 */
        size_t n = 32 * 12 * 12, differ = 0;
        for (size_t i = 0; a.n && b.n && i < n; i++) differ += a.o[0].data[i] != b.o[0].data[i];
        CHECK(a.n == 1 && b.n == 1);
        CHECK_INT(differ, 0);
    }
    res_free(&a);
    res_free(&b);
    free(f);
}

/* exec_plan_bump: 64-byte aligned, disjoint, NULL from 1 MiB and once the
 * plan holds EXEC_BUMP_CHUNKS chunks; the latest buffer can be taken back */
static void test_plan_bump(void) {
    exec_plan *p = calloc(1, sizeof *p);
    CHECK(p != NULL);
    if (!p) return;
    CHECK(exec_plan_bump(p, (size_t)1 << 20) == NULL);
    CHECK(exec_plan_bump(p, 0) == NULL);
    unsigned char *a = exec_plan_bump(p, 100);
    CHECK(a != NULL && ((uintptr_t)a & 63) == 0);
    exec_plan_unbump(p, a, 100);
    CHECK(exec_plan_bump(p, 70) == a);               /* the same space again */
    unsigned char *b = exec_plan_bump(p, 5000);
    exec_plan_unbump(p, a, 70);                      /* not the latest: kept */
    CHECK(b == a + 128 && exec_plan_bump(p, 1) == b + 5056);
    /* fill: 700 KB buffers, two to a chunk, until the chunks run out */
    size_t n = 0, misaligned = 0;
    unsigned char *prev = NULL;
    long overlap = 0;
    for (unsigned char *m; (m = exec_plan_bump(p, 700000)) != NULL; n++) {
        if ((uintptr_t)m & 63) misaligned++;
        memset(m, (int)(n & 0xff), 700000);
        if (prev && prev[699999] != (unsigned char)((n - 1) & 0xff)) overlap++;
        prev = m;
    }
    CHECK_INT(misaligned, 0);
    CHECK_INT(overlap, 0);
    CHECK_INT(p->n_pk_chunks, EXEC_BUMP_CHUNKS);
    CHECK(n >= 2 * (EXEC_BUMP_CHUNKS - 1) && n <= 2 * EXEC_BUMP_CHUNKS);
    CHECK(exec_plan_bump(p, 64) != NULL || p->pk_end - p->pk_cur < 64);
    exec_plan_free(p);   /* a zeroed plan with chunks: frees them */
}

static void test_conv_transpose(void) {
    /* stride 2, 2x2 kernel: each input pixel writes a scaled copy of the kernel */
    const char *f =
        "func main<ios16>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
        "  tensor<fp32, [1, 1, 4, 4]> y = conv_transpose(x = x, weight = tensor<fp32, [1, 1, 2, 2]>([1, 2, 3, 4]), strides = tensor<int32, [2]>([2, 2]), pad_type = string(\"valid\"))[name = string(\"y\")];\n"
        "} -> (y);\n";
    float x[] = {1, 10, 100, 1000};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        SHAPE(&r, 0, 1, 1, 4, 4);
        EXPECT(&r, 0, 0, 1, 2, 10, 20, 3, 4, 30, 40, 100, 200, 1000, 2000, 300, 400, 3000, 4000);
    }
    res_free(&r);
    /* stride 1 with overlap and custom pad 1: output (2-1)+3-2 = 2 */
    const char *g =
        "func main<ios16>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
        "  tensor<fp32, [1, 1, 2, 2]> y = conv_transpose(x = x, weight = tensor<fp32, [1, 1, 3, 3]>([1, 1, 1, 1, 1, 1, 1, 1, 1]), pad_type = string(\"custom\"), pad = tensor<int32, [4]>([1, 1, 1, 1]))[name = string(\"y\")];\n"
        "} -> (y);\n";
    if (run(&r, g, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, 1111, 1111, 1111, 1111);
    res_free(&r);
}

/* ---- pooling ---------------------------------------------------------------------------- */

/* max_pool against a naive loop written here: 3x3 and 2x2 windows, strides
 * 2 and 1, even and odd widths, pads on either side, with NaN, -0 / +0 and
 * -inf among the values (a NaN propagates; equal values keep the earlier
 * tap's, so +0 then -0 stays +0). Bit-exact: max pooling does no arithmetic. */
static void test_max_pool_naive(void) {
    static const struct { int h, w, k, s, p0, p1, p2, p3; } C[] = {
        {9, 11, 3, 2, 1, 1, 1, 1}, {8, 8, 3, 2, 1, 1, 1, 1}, {112, 112, 3, 2, 1, 1, 1, 1},
        {7, 10, 2, 2, 0, 0, 0, 0}, {6, 9, 3, 2, 0, 1, 2, 0}, {5, 13, 3, 1, 1, 1, 1, 1},
        /* rows of several vectors, inner and edge ones (stride 1 and 2), a
         * 5x5 window, windows past the end, a window all in the padding */
        {20, 37, 3, 1, 1, 1, 1, 1}, {11, 70, 5, 2, 2, 2, 2, 2}, {9, 17, 3, 2, 0, 0, 0, 2}, {5, 6, 2, 2, 0, 0, 3, 0},
    };
    unsigned seed = 12345;
    /* pass 0: the vector two-pass kernel where the CPU has it; pass 1: the
     * scalar-rule loop (CML_EXEC_POOL_SCALAR, read when the plan is prepared) */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t t = 0; t < sizeof C / sizeof C[0]; t++) {
            int H = C[t].h, W = C[t].w, k = C[t].k, s = C[t].s;
            int Ho = (H + C[t].p0 + C[t].p1 - k) / s + 1, Wo = (W + C[t].p2 + C[t].p3 - k) / s + 1;
            size_t n = (size_t)2 * H * W, no = (size_t)2 * Ho * Wo;
            float *x = malloc(n * sizeof *x), *want = malloc(no * sizeof *want);
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = (seed >> 8) % 1000;
                x[i] = r < 5 ? NAN : r < 30 ? 0.0f : r < 55 ? -0.0f : r < 60 ? -INFINITY : (float)((int)r - 500) / 64.0f;
            }
            for (int c = 0; c < 2; c++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        float m = -INFINITY;
                        for (int i = 0; i < k; i++)
                            for (int j = 0; j < k; j++) {
                                int ih = oh * s - C[t].p0 + i, iw = ow * s - C[t].p2 + j;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                float v = x[((size_t)c * H + ih) * W + iw];
                                if (v > m || v != v) m = v;
                            }
                        want[((size_t)c * Ho + oh) * Wo + ow] = m;
                    }
            char *f = fmt("func main<ios16>(tensor<fp32, [1, 2, %d, %d]> x) {\n"
                          "  tensor<fp32, [1, 2, %d, %d]> y = max_pool(x = x, kernel_sizes = tensor<int32, [2]>([%d, %d]), "
                          "strides = tensor<int32, [2]>([%d, %d]), pad_type = string(\"custom\"), "
                          "pad = tensor<int32, [4]>([%d, %d, %d, %d]), ceil_mode = bool(false))[name = string(\"y\")];\n"
                          "} -> (y);\n",
                          H, W, Ho, Wo, k, k, s, s, C[t].p0, C[t].p1, C[t].p2, C[t].p3);
            exec_tensor in = TS("x", x, 1, 2, H, W);
            res r;
            if (pass == 1) setenv("CML_EXEC_POOL_SCALAR", "1", 1);
            bool ran = run(&r, f, EXEC_FP32, &in, 1);
            unsetenv("CML_EXEC_POOL_SCALAR");
            if (ran) {
                CHECK(r.n == 1 && exec_tensor_count(&r.o[0]) == no);
                size_t bad = 0;
                for (size_t i = 0; r.n == 1 && i < no; i++) {
                    uint32_t a, b;
                    memcpy(&a, &r.o[0].data[i], 4);
                    memcpy(&b, &want[i], 4);
                    bool both_nan = r.o[0].data[i] != r.o[0].data[i] && want[i] != want[i];
                    if (a != b && !both_nan) bad++;
                }
                if (bad) fprintf(stderr, "max_pool case %zu pass %d: %zu values differ from the naive loop\n", t, pass, bad);
                CHECK(bad == 0);
            }
            res_free(&r);
            free(f); free(x); free(want);
        }
    }
}

static void test_pooling(void) {
    float x[25];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    exec_tensor in = TS("x", x, 1, 1, 5, 5);
    const char *tmpl =
        "func main<ios16>(tensor<fp32, [1, 1, 5, 5]> x) {\n"
        "  tensor<fp32, [1, 1, 3, 3]> y = %s(x = x, kernel_sizes = tensor<int32, [2]>([2, 2]), strides = tensor<int32, [2]>([2, 2]), pad_type = string(\"%s\"), pad = tensor<int32, [4]>([%s]), ceil_mode = bool(%s)%s)[name = string(\"y\")];\n"
        "} -> (y);\n";
    res r;
    char *f = fmt(tmpl, "max_pool", "valid", "0, 0, 0, 0", "true", "");
    if (run(&r, f, EXEC_FP32, &in, 1)) { SHAPE(&r, 0, 1, 1, 3, 3); EXPECT(&r, 0, 0, 6, 8, 9, 16, 18, 19, 21, 23, 24); }
    res_free(&r); free(f);
    f = fmt(tmpl, "max_pool", "valid", "0, 0, 0, 0", "false", "");
    if (run(&r, f, EXEC_FP32, &in, 1)) { SHAPE(&r, 0, 1, 1, 2, 2); EXPECT(&r, 0, 0, 6, 8, 16, 18); }
    res_free(&r); free(f);
    /* ceil mode drops a last window that would start in the padding: 3x3, not 4x4 */
    f = fmt(tmpl, "max_pool", "custom", "1, 1, 1, 1", "true", "");
    if (run(&r, f, EXEC_FP32, &in, 1)) { SHAPE(&r, 0, 1, 1, 3, 3); EXPECT(&r, 0, 0, 0, 2, 4, 10, 12, 14, 20, 22, 24); }
    res_free(&r); free(f);
    /* average in ceil mode: partial windows divide by their extent inside the input */
    f = fmt(tmpl, "avg_pool", "valid", "0, 0, 0, 0", "true", ", exclude_padding_from_average = bool(false)");
    if (run(&r, f, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 1e-6, 3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24);
    res_free(&r); free(f);
    /* padding counted or excluded */
    float x9[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    exec_tensor in9 = TS("x", x9, 1, 1, 3, 3);
    const char *g =
        "func main<ios16>(tensor<fp32, [1, 1, 3, 3]> x) {\n"
        "  tensor<fp32, [1, 1, 3, 3]> y = avg_pool(x = x, kernel_sizes = tensor<int32, [2]>([3, 3]), strides = tensor<int32, [2]>([1, 1]), pad_type = string(\"same\"), exclude_padding_from_average = bool(%s))[name = string(\"y\")];\n"
        "} -> (y);\n";
    f = fmt(g, "false");
    if (run(&r, f, EXEC_FP32, &in9, 1)) EXPECT(&r, 0, 1e-6, 12 / 9.0, 21 / 9.0, 16 / 9.0, 27 / 9.0, 5, 33 / 9.0, 24 / 9.0, 39 / 9.0, 28 / 9.0);
    res_free(&r); free(f);
    f = fmt(g, "true");
    if (run(&r, f, EXEC_FP32, &in9, 1)) EXPECT(&r, 0, 1e-6, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7);
    res_free(&r); free(f);
}

/* ---- elementwise --------------------------------------------------------------------------- */

static void test_broadcast(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [2, 1, 3]> a, tensor<fp32, [4, 1]> b) {\n"
        "  tensor<fp32, [2, 4, 3]> s = add(x = a, y = b)[name = string(\"s\")];\n"
        "  tensor<fp32, [2, 1, 3]> m = mul(x = a, y = fp32(2))[name = string(\"m\")];\n"
        "  tensor<fp32, [2, 4, 3]> d = real_div(x = b, y = a)[name = string(\"d\")];\n"
        "  tensor<bool, [2, 4, 3]> g = greater(x = a, y = b)[name = string(\"g\")];\n"
        "  tensor<fp32, [2, 1, 3]> p = pow(x = a, y = tensor<fp32, [3]>([0, 1, 2]))[name = string(\"p\")];\n"
        "  tensor<fp32, [2, 4, 3]> mx = maximum(x = a, y = b)[name = string(\"mx\")];\n"
        "  tensor<fp32, [2, 4, 3]> sel = select(cond = g, a = a, b = fp32(-1))[name = string(\"sel\")];\n"
        "  tensor<fp32, [2, 1, 3]> fm = mod(x = a, y = fp32(-4))[name = string(\"fm\")];\n"
        "} -> (s, m, d, g, p, mx, sel, fm);\n";
    float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30, 40};
    exec_tensor in[] = {TS("a", a, 2, 1, 3), TS("b", b, 4, 1)};
    res r;
    if (run(&r, f, EXEC_FP32, in, 2)) {
        SHAPE(&r, 0, 2, 4, 3);
        EXPECT(&r, 0, 0, 11, 12, 13, 21, 22, 23, 31, 32, 33, 41, 42, 43, 14, 15, 16, 24, 25, 26, 34, 35, 36, 44, 45, 46);
        EXPECT(&r, 1, 0, 2, 4, 6, 8, 10, 12);
        CHECK_NEAR(r.o[2].data[0], 10, 1e-6);
        CHECK_NEAR(r.o[2].data[23], 40 / 6.0, 1e-6);
        CHECK(r.o[3].dtype == EXEC_DT_BOOL);
        CHECK_NEAR(r.o[3].data[0], 0, 0);
        EXPECT(&r, 4, 0, 1, 2, 9, 1, 5, 36);
        CHECK_NEAR(r.o[5].data[0], 10, 0);
        CHECK_NEAR(r.o[6].data[0], -1, 0);
        EXPECT(&r, 7, 0, -3, -2, -1, 0, -3, -2); /* floor mod follows the divisor's sign */
    }
    res_free(&r);
}

static void test_activations(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [7]> x) {\n"
        "  tensor<fp32, [7]> t = thresholded_relu(x = x, alpha = fp32(-3))[name = string(\"t\")];\n"
        "  tensor<fp32, [7]> h = sigmoid_hard(x = t, alpha = fp32(0x1.555556p-3), beta = fp32(0.5))[name = string(\"h\")];\n"
        "  tensor<fp32, [7]> hs = mul(x = t, y = h)[name = string(\"hs\")];\n"
        "  tensor<fp32, [7]> ge = gelu(x = x, mode = string(\"EXACT\"))[name = string(\"ge\")];\n"
        "  tensor<fp32, [7]> gt = gelu(x = x, mode = string(\"TANH_APPROXIMATION\"))[name = string(\"gt\")];\n"
        "  tensor<fp32, [7]> lr = leaky_relu(x = x, alpha = fp32(0.25))[name = string(\"lr\")];\n"
        "  tensor<fp32, [7]> cl = clip(x = x, alpha = fp32(-1), beta = fp32(2))[name = string(\"cl\")];\n"
        "  tensor<fp32, [7]> si = silu(x = x)[name = string(\"si\")];\n"
        "  tensor<fp32, [7]> sp = softplus(x = x)[name = string(\"sp\")];\n"
        "  tensor<fp32, [7]> el = elu(x = x, alpha = fp32(2))[name = string(\"el\")];\n"
        "  tensor<fp32, [7]> r6 = relu6(x = x)[name = string(\"r6\")];\n"
        "  tensor<fp32, [7]> rs = rsqrt(x = cl, epsilon = fp32(2))[name = string(\"rs\")];\n"
        "} -> (hs, ge, gt, lr, cl, si, sp, el, r6, rs);\n";
    float x[] = {-4, -3, -1, 0, 1, 3, 7};
    exec_tensor in = TS("x", x, 7);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        /* hard swish as the converter emits it: x * relu6(x + 3) / 6 */
        for (int i = 0; i < 7; i++) {
            double v = x[i], r6 = fmin(fmax(v + 3, 0), 6);
            CHECK_NEAR(r.o[0].data[i], v * r6 / 6, 1e-6);
            CHECK_NEAR(r.o[1].data[i], 0.5 * v * (1 + erf(v / sqrt(2.0))), 1e-6);
            CHECK_NEAR(r.o[2].data[i], 0.5 * v * (1 + tanh(sqrt(2 / 3.14159265358979) * (v + 0.044715 * v * v * v))), 1e-6);
            CHECK_NEAR(r.o[5].data[i], v / (1 + exp(-v)), 1e-6);
            CHECK_NEAR(r.o[6].data[i], log1p(exp(v)), 1e-6);
            CHECK_NEAR(r.o[7].data[i], v > 0 ? v : 2 * (exp(v) - 1), 1e-6);
        }
        EXPECT(&r, 3, 0, -1, -0.75, -0.25, 0, 1, 3, 7);
        EXPECT(&r, 4, 0, -1, -1, -1, 0, 1, 2, 2);
        EXPECT(&r, 8, 0, 0, 0, 0, 0, 1, 3, 6);
        CHECK_NEAR(r.o[9].data[0], 1, 1e-6);
    }
    res_free(&r);
}

/* ---- linear algebra ----------------------------------------------------------------------------- */

static void test_linear_matmul(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [2, 3]> x) {\n"
        "  tensor<fp32, [2, 2]> y = linear(x = x, weight = tensor<fp32, [2, 3]>([1, 0, -1, 2, 2, 2]), bias = tensor<fp32, [2]>([0.5, -0.5]))[name = string(\"y\")];\n"
        "} -> (y);\n";
    float x[] = {1, 2, 3, 4, 5, 6};
    exec_tensor in = TS("x", x, 2, 3);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, -1.5, 11.5, -1.5, 29.5);
    res_free(&r);
    /* batch broadcast [2,1,2,3] x [3,4,3]^T -> [2,3,2,4] */
    unsigned seed = 3;
    float a[12], b[36], want[48];
    for (int i = 0; i < 12; i++) a[i] = frand(&seed);
    for (int i = 0; i < 36; i++) b[i] = frand(&seed);
    for (int i0 = 0; i0 < 2; i0++)
        for (int i1 = 0; i1 < 3; i1++)
            for (int m = 0; m < 2; m++)
                for (int n = 0; n < 4; n++) {
                    double acc = 0;
                    for (int k = 0; k < 3; k++) acc += (double)a[(i0 * 2 + m) * 3 + k] * b[(i1 * 4 + n) * 3 + k];
                    want[((i0 * 3 + i1) * 2 + m) * 4 + n] = (float)acc;
                }
    const char *g =
        "func main<ios16>(tensor<fp32, [2, 1, 2, 3]> a, tensor<fp32, [3, 4, 3]> b) {\n"
        "  tensor<fp32, [2, 3, 2, 4]> y = matmul(x = a, y = b, transpose_x = bool(false), transpose_y = bool(true))[name = string(\"y\")];\n"
        "  tensor<fp32, [2, 1, 3, 3]> z = matmul(x = a, y = a, transpose_x = bool(true), transpose_y = bool(false))[name = string(\"z\")];\n"
        "  tensor<fp32, [2, 1, 2]> v = matmul(x = a, y = tensor<fp32, [3]>([1, 1, 1]))[name = string(\"v\")];\n"
        "} -> (y, z, v);\n";
    exec_tensor in2[] = {TS("a", a, 2, 1, 2, 3), TS("b", b, 3, 4, 3)};
    if (run(&r, g, EXEC_FP32, in2, 2)) {
        SHAPE(&r, 0, 2, 3, 2, 4);
        expect_vals(&r, 0, want, 48, 1e-5, __LINE__);
        SHAPE(&r, 1, 2, 1, 3, 3);
        CHECK_NEAR(r.o[1].data[1], a[0] * a[1] + a[3] * a[4], 1e-6);
        SHAPE(&r, 2, 2, 1, 2);
        CHECK_NEAR(r.o[2].data[3], a[9] + a[10] + a[11], 1e-6);
    }
    res_free(&r);
}

/* ---- normalisation and reductions -------------------------------------------------------------- */

/* reduce_mean / reduce_sum over the last axes (a global average pool; the
 * executor sums such contiguous runs with interleaved partial sums) and
 * over a middle axis, against a naive double loop written here */
static void test_reduce_trailing(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [2, 3, 5, 7]> x) {\n"
        "  tensor<fp32, [2, 3, 1, 1]> m = reduce_mean(x = x, axes = tensor<int32, [2]>([2, 3]), keep_dims = bool(true))[name = string(\"m\")];\n"
        "  tensor<fp32, [2, 3, 5]> s = reduce_sum(x = x, axes = tensor<int32, [1]>([-1]), keep_dims = bool(false))[name = string(\"s\")];\n"
        "  tensor<fp32, [2]> a = reduce_sum(x = x, axes = tensor<int32, [3]>([1, 2, 3]), keep_dims = bool(false))[name = string(\"a\")];\n"
        "  tensor<fp32, [2, 5, 7]> c = reduce_mean(x = x, axes = tensor<int32, [1]>([1]), keep_dims = bool(false))[name = string(\"c\")];\n"
        "} -> (m, s, a, c);\n";
    float x[210];
    unsigned seed = 99;
    for (int i = 0; i < 210; i++) x[i] = frand(&seed) * 100.0f;
    float m[6], s[30], a[2], c[70];
    for (int o = 0; o < 6; o++) {
        double t = 0;
        for (int i = 0; i < 35; i++) t += x[o * 35 + i];
        m[o] = (float)(t / 35);
    }
    for (int o = 0; o < 30; o++) {
        double t = 0;
        for (int i = 0; i < 7; i++) t += x[o * 7 + i];
        s[o] = (float)t;
    }
    for (int o = 0; o < 2; o++) {
        double t = 0;
        for (int i = 0; i < 105; i++) t += x[o * 105 + i];
        a[o] = (float)t;
    }
    for (int n = 0; n < 2; n++)
        for (int p = 0; p < 35; p++) {
            double t = 0;
            for (int ch = 0; ch < 3; ch++) t += x[(n * 3 + ch) * 35 + p];
            c[n * 35 + p] = (float)(t / 3);
        }
    exec_tensor in = TS("x", x, 2, 3, 5, 7);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        SHAPE(&r, 0, 2, 3, 1, 1);
        expect_vals(&r, 0, m, 6, 1e-6, __LINE__);
        expect_vals(&r, 1, s, 30, 1e-6, __LINE__);
        expect_vals(&r, 2, a, 2, 1e-6, __LINE__);
        expect_vals(&r, 3, c, 70, 1e-6, __LINE__);
    }
    res_free(&r);
}

static void test_norms_reductions(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [2, 3]> x) {\n"
        "  tensor<fp32, [2]> m = reduce_mean(x = x, axes = tensor<int32, [1]>([-1]), keep_dims = bool(false))[name = string(\"m\")];\n"
        "  tensor<fp32, [2, 1]> mk = reduce_sum(x = x, axes = tensor<int32, [1]>([1]), keep_dims = bool(true))[name = string(\"mk\")];\n"
        "  tensor<fp32, [3]> mx = reduce_max(x = x, axes = tensor<int32, [1]>([0]))[name = string(\"mx\")];\n"
        "  tensor<int32, [2]> am = reduce_argmax(x = x, axis = int32(1))[name = string(\"am\")];\n"
        "  fp32 l2 = reduce_l2_norm(x = x)[name = string(\"l2\")];\n"
        "  tensor<fp32, [2]> lse = reduce_log_sum_exp(x = x, axes = tensor<int32, [1]>([1]))[name = string(\"lse\")];\n"
        "  tensor<fp32, [2, 3]> sm = softmax(x = x, axis = int32(0))[name = string(\"sm\")];\n"
        "  tensor<fp32, [2, 3]> ln = layer_norm(x = x, axes = tensor<int32, [1]>([-1]), gamma = tensor<fp32, [3]>([1, 2, 3]), beta = tensor<fp32, [3]>([0, 1, 0]), epsilon = fp32(0x1.4f8b58p-17))[name = string(\"ln\")];\n"
        "  tensor<fp32, [2]> pr = reduce_prod(x = x, axes = tensor<int32, [1]>([1]))[name = string(\"pr\")];\n"
        "} -> (m, mk, mx, am, l2, lse, sm, ln, pr);\n";
    float x[] = {1, 2, 3, 4, 5, 7};
    exec_tensor in = TS("x", x, 2, 3);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        SHAPE(&r, 0, 2);
        EXPECT(&r, 0, 1e-6, 2, 16 / 3.0);
        SHAPE(&r, 1, 2, 1);
        EXPECT(&r, 1, 0, 6, 16);
        EXPECT(&r, 2, 0, 4, 5, 7);
        EXPECT(&r, 3, 0, 2, 2);
        CHECK(r.o[3].dtype == EXEC_DT_INT32);
        CHECK(r.n > 4 && r.o[4].rank == 0);
        EXPECT(&r, 4, 1e-6, sqrt(104.0));
        EXPECT(&r, 5, 1e-6, log(exp(1.0) + exp(2.0) + exp(3.0)), log(exp(4.0) + exp(5.0) + exp(7.0)));
        CHECK_NEAR(r.o[6].data[0], 1 / (1 + exp(3.0)), 1e-6);
        for (int row = 0; row < 2; row++) {
            double mu = (x[row * 3] + x[row * 3 + 1] + x[row * 3 + 2]) / 3, var = 0;
            for (int k = 0; k < 3; k++) var += (x[row * 3 + k] - mu) * (x[row * 3 + k] - mu) / 3;
            double g[] = {1, 2, 3}, be[] = {0, 1, 0};
            for (int k = 0; k < 3; k++)
                CHECK_NEAR(r.o[7].data[row * 3 + k], g[k] * (x[row * 3 + k] - mu) / sqrt(var + 1e-5) + be[k], 1e-5);
        }
        EXPECT(&r, 8, 0, 6, 140);
    }
    res_free(&r);
    const char *g =
        "func main<ios16>(tensor<fp32, [1, 2, 1, 2]> x) {\n"
        "  tensor<fp32, [1, 2, 1, 2]> bn = batch_norm(x = x, mean = tensor<fp32, [2]>([1, 2]), variance = tensor<fp32, [2]>([4, 0.25]), gamma = tensor<fp32, [2]>([2, 1]), beta = tensor<fp32, [2]>([0, 10]), epsilon = fp32(0))[name = string(\"bn\")];\n"
        "  tensor<fp32, [1, 2, 1, 2]> in = instance_norm(x = x, epsilon = fp32(0))[name = string(\"in\")];\n"
        "} -> (bn, in);\n";
    float x2[] = {1, 3, 2, 3};
    exec_tensor in2 = TS("x", x2, 1, 2, 1, 2);
    if (run(&r, g, EXEC_FP32, &in2, 1)) {
        EXPECT(&r, 0, 1e-6, 0, 2, 10, 12);
        EXPECT(&r, 1, 1e-6, -1, 1, -1, 1);
    }
    res_free(&r);
}

/* ---- shape ops ------------------------------------------------------------------------------------ */

static void test_shape_ops(void) {
    float x[20];
    for (int i = 0; i < 20; i++) x[i] = (float)i;
    exec_tensor in = TS("x", x, 4, 5);
    const char *f =
        "func main<ios16>(tensor<fp32, [4, 5]> x) {\n"
        "  tensor<fp32, [3, 3]> a = slice_by_index(x = x, begin = tensor<int32, [2]>([3, 0]), end = tensor<int32, [2]>([0, 5]), stride = tensor<int32, [2]>([-1, 2]))[name = string(\"a\")];\n"
        "  tensor<fp32, [2]> b = slice_by_index(x = x, begin = tensor<int32, [2]>([1, -1]), end = tensor<int32, [2]>([3, 0]), squeeze_mask = tensor<bool, [2]>([false, true]))[name = string(\"b\")];\n"
        "  tensor<fp32, [4, 2]> c = slice_by_index(x = x, begin = tensor<int32, [2]>([2, 1]), end = tensor<int32, [2]>([4, 3]), begin_mask = tensor<bool, [2]>([true, false]))[name = string(\"c\")];\n"
        "  tensor<fp32, [2, 4]> d = slice_by_size(x = x, begin = tensor<int32, [2]>([2, 1]), size = tensor<int32, [2]>([-1, 4]))[name = string(\"d\")];\n"
        "  tensor<fp32, [2, 10]> e = reshape(x = x, shape = tensor<int32, [2]>([2, -1]))[name = string(\"e\")];\n"
        "  tensor<fp32, [5, 4]> t = transpose(x = x, perm = tensor<int32, [2]>([1, 0]))[name = string(\"t\")];\n"
        "  tensor<fp32, [1, 4, 1, 5]> ex = expand_dims(x = x, axes = tensor<int32, [2]>([0, -2]))[name = string(\"ex\")];\n"
        "  tensor<fp32, [4, 5]> sq = squeeze(x = ex)[name = string(\"sq\")];\n"
        "  tensor<fp32, [4, 5]> r0 = reshape(x = x, shape = tensor<int32, [2]>([0, 5]))[name = string(\"r0\")];\n"
        "} -> (a, b, c, d, e, t, ex, sq, r0);\n";
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        SHAPE(&r, 0, 3, 3);
        EXPECT(&r, 0, 0, 15, 17, 19, 10, 12, 14, 5, 7, 9);
        SHAPE(&r, 1, 2);
        EXPECT(&r, 1, 0, 9, 14);
        SHAPE(&r, 2, 4, 2);
        EXPECT(&r, 2, 0, 1, 2, 6, 7, 11, 12, 16, 17);
        SHAPE(&r, 3, 2, 4);
        EXPECT(&r, 3, 0, 11, 12, 13, 14, 16, 17, 18, 19);
        SHAPE(&r, 4, 2, 10);
        SHAPE(&r, 5, 5, 4);
        EXPECT(&r, 5, 0, 0, 5, 10, 15, 1, 6, 11, 16, 2, 7, 12, 17, 3, 8, 13, 18, 4, 9, 14, 19);
        SHAPE(&r, 6, 1, 4, 1, 5);
        SHAPE(&r, 7, 4, 5);
        SHAPE(&r, 8, 4, 5);
    }
    res_free(&r);
    const char *g =
        "func main<ios16>(tensor<fp32, [1, 3]> x, tensor<fp32, [2]> a, tensor<fp32, [2]> b) {\n"
        "  tensor<fp32, [1, 6]> pr = pad(x = x, pad = tensor<int32, [2]>([2, 1]), mode = string(\"reflect\"))[name = string(\"pr\")];\n"
        "  tensor<fp32, [1, 6]> pp = pad(x = x, pad = tensor<int32, [2]>([2, 1]), mode = string(\"replicate\"))[name = string(\"pp\")];\n"
        "  tensor<fp32, [2, 6]> pc = pad(x = x, pad = tensor<int32, [4]>([1, 0, 2, 1]), mode = string(\"constant\"), constant_val = fp32(9))[name = string(\"pc\")];\n"
        "  tensor<fp32, [4]> ci = concat(values = (a, b), axis = int32(0), interleave = bool(true))[name = string(\"ci\")];\n"
        "  tensor<fp32, [4]> cn = concat(values = (a, b), axis = int32(0), interleave = bool(false))[name = string(\"cn\")];\n"
        "  tensor<fp32, [2, 2]> st = stack(values = (a, b), axis = int32(1))[name = string(\"st\")];\n"
        "  tensor<fp32, [2, 6]> ti = tile(x = x, reps = tensor<int32, [2]>([2, 2]))[name = string(\"ti\")];\n"
        "  tensor<int32, [1, 3]> ca = cast(x = x, dtype = string(\"int32\"))[name = string(\"ca\")];\n"
        "  tensor<int32, [2]> sh = shape(x = ti)[name = string(\"sh\")];\n"
        "} -> (pr, pp, pc, ci, cn, st, ti, ca, sh);\n";
    float x3[] = {1.5f, -2.7f, 3}, a[] = {1, 2}, b[] = {3, 4};
    exec_tensor in3[] = {TS("x", x3, 1, 3), TS("a", a, 2), TS("b", b, 2)};
    if (run(&r, g, EXEC_FP32, in3, 3)) {
        EXPECT(&r, 0, 0, 3, -2.7f, 1.5f, -2.7f, 3, -2.7f);
        EXPECT(&r, 1, 0, 1.5f, 1.5f, 1.5f, -2.7f, 3, 3);
        SHAPE(&r, 2, 2, 6);
        EXPECT(&r, 2, 0, 9, 9, 9, 9, 9, 9, 9, 9, 1.5f, -2.7f, 3, 9);
        EXPECT(&r, 3, 0, 1, 3, 2, 4);
        EXPECT(&r, 4, 0, 1, 2, 3, 4);
        EXPECT(&r, 5, 0, 1, 3, 2, 4);
        EXPECT(&r, 6, 0, 1.5f, -2.7f, 3, 1.5f, -2.7f, 3, 1.5f, -2.7f, 3, 1.5f, -2.7f, 3);
        EXPECT(&r, 7, 0, 1, -2, 3);
        CHECK(r.o[7].dtype == EXEC_DT_INT32);
        EXPECT(&r, 8, 0, 2, 6);
    }
    res_free(&r);
    /* concat of scalars: each counts as length 1, the result is [n]
     * (tensor_operation.py concat type inference; a public TF2 model) */
    const char *gs =
        "func main<ios16>(tensor<fp32, [2]> a) {\n"
        "  tensor<fp32, []> e0 = reduce_sum(x = a, axes = tensor<int32, [1]>([0]), keep_dims = bool(false))[name = string(\"e0\")];\n"
        "  tensor<fp32, []> e1 = reduce_max(x = a, axes = tensor<int32, [1]>([0]), keep_dims = bool(false))[name = string(\"e1\")];\n"
        "  tensor<fp32, [3]> cs = concat(values = (e0, e1, e0), axis = int32(0), interleave = bool(false))[name = string(\"cs\")];\n"
        "} -> (cs);\n";
    float a2[] = {4, 2};
    exec_tensor ins[] = {TS("a", a2, 2)};
    if (run(&r, gs, EXEC_FP32, ins, 1)) {
        SHAPE(&r, 0, 3);
        EXPECT(&r, 0, 0, 6, 4, 6);
    }
    res_free(&r);
    const char *h =
        "func main<ios16>(tensor<fp32, [1, 6]> x, tensor<fp32, [3, 2]> g) {\n"
        "  tensor<fp32, [1, 2]> s0, tensor<fp32, [1, 2]> s1, tensor<fp32, [1, 2]> s2 = split(x = x, num_splits = int32(3), axis = int32(1))[name = string(\"s\")];\n"
        "  tensor<fp32, [1, 1]> t0, tensor<fp32, [1, 2]> t1, tensor<fp32, [1, 3]> t2 = split(x = x, split_sizes = tensor<int32, [3]>([1, 2, 3]), axis = int32(-1))[name = string(\"t\")];\n"
        "  tensor<fp32, [2, 2]> ga = gather(x = g, indices = tensor<int32, [2]>([-1, 0]), axis = int32(0))[name = string(\"ga\")];\n"
        "  tensor<fp32, [3, 1]> gl = gather_along_axis(x = g, indices = tensor<int32, [3, 1]>([1, 0, 1]), axis = int32(1))[name = string(\"gl\")];\n"
        "  tensor<fp32, [6, 1]> f2 = flatten2d(x = g, axis = int32(2))[name = string(\"f2\")];\n"
        "} -> (s1, t2, ga, gl, f2);\n";
    float x6[] = {1, 2, 3, 4, 5, 6}, gg[] = {1, 2, 3, 4, 5, 6};
    exec_tensor in4[] = {TS("x", x6, 1, 6), TS("g", gg, 3, 2)};
    if (run(&r, h, EXEC_FP32, in4, 2)) {
        EXPECT(&r, 0, 0, 3, 4);
        EXPECT(&r, 1, 0, 4, 5, 6);
        EXPECT(&r, 2, 0, 5, 6, 1, 2);
        EXPECT(&r, 3, 0, 2, 3, 6);
        SHAPE(&r, 4, 6, 1);
    }
    res_free(&r);
}

/* gather_along_axis with indices [4, 3] on x [1, 3] (axis 1): the dims off
 * the axis compared only as the product after it, so 4 rows of indices
 * read 4 rows of an x of 1 (past its end); refused now, as
 * scatter_along_axis refuses it */
static void test_gather_along_axis_shape(void) {
    const char *f =
        "func main<ios15>(tensor<fp32, [1, 3]> x) {\n"
        "  tensor<fp32, [4, 3]> y = gather_along_axis(x = x, indices = tensor<int32, [4, 3]>([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2]), axis = int32(1))[name = string(\"y\")];\n"
        "} -> (y);\n";
    float x[3] = {1, 2, 3};
    exec_tensor in = TS("x", x, 1, 3);
    res r;
    if (prep(&r, f)) {
        CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
        CHECK(strstr(exec_last_error(r.p), "differ from x off the axis") != NULL);
    }
    res_free(&r);
}

/* prepare f and run it on in: a run error whose message holds `msg` */
static void expect_run_error(const char *f, const exec_tensor *in, size_t n_in, const char *msg) {
    res r;
    if (prep(&r, f)) {
        CHECK(run_rc(&r, EXEC_FP32, in, n_in) != 0);
        if (!strstr(exec_last_error(r.p), msg)) {
            fprintf(stderr, "expected an error with '%s', got '%s'\n", msg, exec_last_error(r.p));
            check_failures_++;
        }
    }
    res_free(&r);
}

/* resize_bilinear to 2^32 x 2^32: the check that an empty input is not
 * resized to a non-empty output multiplied the two target sizes in int64
 * (2^64, a signed overflow: UBSan stopped the run there) before the size
 * limit was looked at; the limit refuses it now */
static void test_resize_target_overflow(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<fp32, [?, ?, ?, ?]> y = resize_bilinear(x = x, target_size_height = int64(4294967296), target_size_width = int64(4294967296))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "output too large");
}

/* crop by 2^62 + 3 * 2^61 rows of 2: H - top - bottom overflowed int64
 * (UBSan stopped there) and wrapped to a large positive height, which with
 * an empty width passed every check and ran 2^62 rows of empty copies;
 * refused now, before the subtraction */
static void test_crop_overflow(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<fp32, [?, ?, ?, ?]> y = crop(x = x, crop_height = tensor<int64, [2]>([4611686018427387904, 6917529027641081856]), crop_width = tensor<int32, [2]>([2, 0]))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "crop out of range");
}

/* iOS17 resize of a scalar: shape [] and resized_dims 0 keep x's shape
 * (coremltools' type inference), so the output is x. The kernel read the
 * width as x->dim[R - 1], index -1 of the dims (UBSan: out of bounds) and
 * gave a rank-1 tensor of whatever that held (0 values here) */
static void test_resize_scalar(void) {
    float x = 7;
    exec_tensor in = TS0("x", &x);
    const char *f = "func main<ios17>(tensor<fp32, []> x) {\n"
                    "  tensor<fp32, []> y = resize(x = x, shape = tensor<int32, [0]>([]), resized_dims = uint32(0))[name = string(\"y\")];\n"
                    "} -> (y);\n";
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        SHAPE0(&r, 0);
        EXPECT(&r, 0, 0, 7);
    }
    res_free(&r);
}

/* crop_resize (iOS15) with a roi [3, 0, 4, 1, 1]: only dim 2 was checked,
 * so 3 boxes of 4 values were read from a roi of 0 values (a heap-buffer-
 * overflow under ASan, stray boxes without it); the roi must be
 * [N, 1, 4 or 5, 1, 1] */
static void test_crop_resize_roi_shape(void) {
    float x[4] = {1, 2, 3, 4}, roi[1] = {0};
    exec_tensor in[2] = {TS("x", x, 1, 1, 2, 2), TS("roi", roi, 3, 0, 4, 1, 1)};
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x, tensor<fp32, [3, 0, 4, 1, 1]> roi) {\n"
                     "  tensor<fp32, [?, ?, ?, ?, ?]> y = crop_resize(x = x, roi = roi, target_height = int32(2), target_width = int32(2))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     in, 2, "roi must be [N, 1, 4 or 5, 1, 1]");
}

/* resample and affine on an x with an empty plane ([1, 1, 0, 2] and
 * [1, 1, 2, 0]): border, reflection and symmetric padding take a pixel
 * of the image, and with none there the index came out -1 (x->d[-W], a
 * heap-buffer-overflow under ASan); refused now. Constant padding needs
 * no pixel: its output stays padding_value everywhere. */
static void test_resample_empty_plane(void) {
    float x[1] = {0}, g[8] = {0, 0, 1, 0, 0, 1, 1, 1};
    exec_tensor in[2] = {TS("x", x, 1, 1, 0, 2), TS("g", g, 1, 2, 2, 2)};
    const char *rs = "func main<ios15>(tensor<fp32, [1, 1, 0, 2]> x, tensor<fp32, [1, 2, 2, 2]> g) {\n"
                     "  tensor<fp32, [1, 1, 2, 2]> y = resample(x = x, coordinates = g, sampling_mode = string(\"nearest\"), padding_mode = string(\"%s\"), padding_value = fp32(5), coordinates_mode = string(\"unnormalized\"), align_corners = bool(false))[name = string(\"y\")];\n"
                     "} -> (y);\n";
    char *f = fmt(rs, "border");
    expect_run_error(f, in, 2, "empty 0 x 2 plane");
    free(f);
    f = fmt(rs, "constant");
    res r;
    if (run(&r, f, EXEC_FP32, in, 2)) EXPECT(&r, 0, 0, 5, 5, 5, 5);
    res_free(&r);
    free(f);
    exec_tensor ax = TS("x", x, 1, 1, 2, 0);
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 0]> x) {\n"
                     "  tensor<fp32, [1, 1, 2, 2]> y = affine(x = x, transform_matrix = tensor<fp32, [1, 6]>([1, 0, 0, 0, 1, 0]), output_height = int32(2), output_width = int32(2), sampling_mode = string(\"nearest\"), padding_mode = string(\"border\"), padding_value = fp32(0), coordinates_mode = string(\"normalized_minus_one_to_one\"), align_corners = bool(true))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &ax, 1, "empty 2 x 0 plane");
}

/* pixel_shuffle / depth_to_space with a factor of 2^32: its square
 * overflowed int64 (UBSan stopped there) and wrapped to 0, and C % 0 is a
 * division by zero (SIGFPE: the probe's child died); refused now */
static void test_rearrange_factor_overflow(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    static const char *const ops[2] = {"pixel_shuffle(x = x, upscale_factor", "depth_to_space(x = x, block_size"};
    for (int i = 0; i < 2; i++) {
        char *f = fmt("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                      "  tensor<fp32, [?, ?, ?, ?]> y = %s = int64(4294967296))[name = string(\"y\")];\n"
                      "} -> (y);\n",
                      ops[i]);
        expect_run_error(f, &in, 1, "4294967296: its square overflows");
        free(f);
    }
}

/* batch_to_space with block_shape [2^32, 2^32]: the block count
 * overflowed int64 (UBSan) and wrapped to 0, and N % 0 is a division by
 * zero (SIGFPE); space_to_batch with paddings of 2^62 + 2^62 rows
 * overflowed H + paddings the same way. Both refused now. */
static void test_space_batch_overflow(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<fp32, [?, ?, ?, ?]> y = batch_to_space(x = x, block_shape = tensor<int64, [2]>([4294967296, 4294967296]), crops = tensor<int32, [2, 2]>([0, 0, 0, 0]))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "overflow");
    expect_run_error("func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<fp32, [?, ?, ?, ?]> y = space_to_batch(x = x, block_shape = tensor<int32, [2]>([1, 1]), paddings = tensor<int64, [2, 2]>([4611686018427387904, 4611686018427387904, 0, 0]))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "overflow");
}

/* local_response_norm with size 2^40: each element summed over the window
 * c - size/2 .. c + (size-1)/2 by walking all of it, 2^40 channel indices
 * of which only those in [0, C) count (the probe hung until its timeout);
 * the window is clipped to the channels now, with the same result */
static void test_lrn_huge_window(void) {
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    exec_tensor in = TS("x", x, 1, 2, 2, 2);
    const char *f = "func main<ios15>(tensor<fp32, [1, 2, 2, 2]> x) {\n"
                    "  tensor<fp32, [1, 2, 2, 2]> y = local_response_norm(x = x, size = int64(1099511627776), alpha = fp32(1099511627776), beta = fp32(0.5), k = fp32(1))[name = string(\"y\")];\n"
                    "} -> (y);\n";
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        /* alpha / size = 1: y = x / sqrt(1 + x_c0^2 + x_c1^2) at each pixel */
        float want[8];
        for (int i = 0; i < 8; i++) want[i] = (float)(x[i] / sqrt(1.0 + x[i % 4] * x[i % 4] + x[4 + i % 4] * x[4 + i % 4]));
        expect_vals(&r, 0, want, 8, 1e-6, __LINE__);
    }
    res_free(&r);
}

/* quantize / dequantize with an empty scale or zero_point: a tensor of 0
 * values is neither the scalar nor the per-axis vector the op takes, and
 * every element read its scale as value 0 of it, past its end (whatever
 * the buffer held: int8 127s here, and a successful run); refused now */
static void test_quantize_empty_params(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    expect_run_error("func main<ios17>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<int8, [1, 1, 2, 2]> y = quantize(input = x, scale = tensor<fp32, [0]>([]), output_dtype = string(\"int8\"))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "scale has 0 values");
    expect_run_error("func main<ios17>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                     "  tensor<fp32, [1, 1, 2, 2]> y = dequantize(input = x, scale = fp32(0.5), zero_point = tensor<fp32, [0]>([]))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "zero_point has 0 values");
}

/* avg_pool with kernel_sizes [2^33, 2^33] and same padding: each window
 * counts 2^33 x 2^33 positions with its padding, a product that overflowed
 * int64 (UBSan stopped the probe's child; without it the count wrapped to
 * 0 and every average came out 0); the count is taken in double now, and
 * each output is the sum 10 over 2^66 */
static void test_avg_pool_count_overflow(void) {
    float x[4] = {1, 2, 3, 4};
    exec_tensor in = TS("x", x, 1, 1, 2, 2);
    const char *f = "func main<ios15>(tensor<fp32, [1, 1, 2, 2]> x) {\n"
                    "  tensor<fp32, [1, 1, 2, 2]> y = avg_pool(x = x, kernel_sizes = tensor<int64, [2]>([8589934592, 8589934592]), strides = tensor<int32, [2]>([1, 1]), pad_type = string(\"same\"), exclude_padding_from_average = bool(false))[name = string(\"y\")];\n"
                    "} -> (y);\n";
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1) && r.n == 1 && exec_tensor_count(&r.o[0]) == 4) {
        double want = 10.0 / 0x1p66;
        for (int i = 0; i < 4; i++) CHECK_NEAR(r.o[0].data[i] / want, 1.0, 1e-6);
    } else {
        CHECK(0);
    }
    res_free(&r);
}

/* an empty tensor whose other dims are huge ([1, 0, 2^32, 2^32]; here
 * [0, 2^16, 2^16, 2^16], 2^48 > 2^40): it held
 * no element, so the 2^40 limit let it pass, and resize multiplied its
 * H * W (2^64, a signed overflow UBSan stops at); the other dims of an
 * empty shape count against the limit now */
static void test_empty_huge_dims(void) {
    float one[1] = {1};
    exec_tensor in = TS("x", one, 1);
    expect_run_error("func main<ios15>(tensor<fp32, [1]> x) {\n"
                     "  tensor<fp32, [?, ?, ?, ?]> e = fill(shape = tensor<int32, [4]>([0, 65536, 65536, 65536]), value = fp32(0.0))[name = string(\"e\")];\n"
                     "  tensor<fp32, [?, ?, ?, ?]> y = resize_bilinear(x = e, target_size_height = int64(2), target_size_width = int64(2))[name = string(\"y\")];\n"
                     "} -> (y);\n",
                     &in, 1, "");
    int64_t big[4] = {1, 0, (int64_t)1 << 32, (int64_t)1 << 32};
    CHECK(exec_count(4, big) > EXEC_MAX_ELEMS);
    int64_t fine[3] = {2, 0, 3};
    CHECK_INT(exec_count(3, fine), 0);
    int64_t full[2] = {2, 3};
    CHECK_INT(exec_count(2, full), 6);
}

/* ---- constexpr ------------------------------------------------------------------------------------ */

static void test_constexpr_ios18(void) {
    const char *f =
        "func main<ios18>(tensor<fp32, [1]> x) {\n"
        /* coremltools iOS18 constexpr_lut_to_dense docstring, case 1 (2 groups of 2-bit LUTs) */
        "  tensor<fp16, [6, 2]> w = constexpr_lut_to_dense(indices = tensor<uint2, [6, 2]>([2, 3, 3, 0, 1, 0, 3, 0, 2, 1, 0, 3]), lut = tensor<fp16, [2, 1, 4, 1]>([1, 5, 9, 13, 2, 10, 18, 26]))[name = string(\"w\")];\n"
        /* case 2: vector palettization along axis 1 and 2 */
        "  tensor<fp32, [2, 6, 2]> v1 = constexpr_lut_to_dense(indices = tensor<uint1, [2, 2, 2]>([0, 0, 1, 0, 1, 1, 0, 0]), lut = tensor<fp32, [1, 1, 1, 2, 3]>([1, 2, 3, 10, 20, 30]), vector_axis = int32(1))[name = string(\"v1\")];\n"
        "  tensor<fp32, [2, 2, 6]> v2 = constexpr_lut_to_dense(indices = tensor<uint1, [2, 2, 2]>([0, 0, 1, 0, 1, 1, 0, 0]), lut = tensor<fp32, [1, 1, 1, 2, 3]>([1, 2, 3, 10, 20, 30]), vector_axis = int32(-1))[name = string(\"v2\")];\n"
        /* constexpr_lut_to_sparse docstring (scalar) + sparse_to_dense */
        "  tensor<uint1, [4, 6]> m, tensor<fp16, [9]> nz = constexpr_lut_to_sparse(indices_mask = tensor<uint1, [4, 6]>([1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]), indices_nonzero_data = tensor<uint1, [9]>([0, 1, 1, 0, 1, 1, 0, 0, 1]), lut = tensor<fp16, [1, 1, 2, 1]>([2, 3]))[name = string(\"ls\")];\n"
        "  tensor<fp16, [4, 6]> dn = constexpr_sparse_to_dense(nonzero_data = nz, mask = m)[name = string(\"dn\")];\n"
        /* vector form, vector_axis 0: the mask grows to [8, 6] */
        "  tensor<uint1, [8, 6]> mv, tensor<fp16, [18]> nzv = constexpr_lut_to_sparse(indices_mask = tensor<uint1, [4, 6]>([1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0]), indices_nonzero_data = tensor<uint1, [9]>([0, 1, 1, 0, 1, 1, 0, 0, 1]), lut = tensor<fp16, [1, 1, 2, 2]>([2, 2, 3, 3]), vector_axis = int32(0))[name = string(\"lv\")];\n"
        "  tensor<fp16, [8, 6]> dv = constexpr_sparse_to_dense(nonzero_data = nzv, mask = mv)[name = string(\"dv\")];\n"
        /* constexpr_sparse_blockwise_shift_scale docstring */
        "  tensor<uint1, [4, 4]> sm, tensor<fp32, [9]> snz = constexpr_sparse_blockwise_shift_scale(data_mask = tensor<uint1, [4, 4]>([1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0]), nonzero_data = tensor<int8, [9]>([10, 11, 3, 4, 5, 6, 7, 8, 9]), scale = tensor<fp32, [1, 4]>([0.1, 0.2, 0.3, 0.4]), offset = tensor<int8, [1, 4]>([1, 2, 3, 4]))[name = string(\"ss\")];\n"
        /* int4 blocks of 2 along axis 1 with offsets */
        "  tensor<fp32, [2, 4]> bs = constexpr_blockwise_shift_scale(data = tensor<int4, [2, 4]>([-8, -1, 0, 7, 1, 2, 3, 4]), scale = tensor<fp32, [2, 2]>([0.5, 1, 2, 4]), offset = tensor<int4, [2, 2]>([0, 1, -1, 2]))[name = string(\"bs\")];\n"
        "  tensor<fp32, [2]> cc = constexpr_cast(source_val = tensor<fp16, [2]>([0.5, 65504]), output_dtype = string(\"fp32\"))[name = string(\"cc\")];\n"
        "} -> (w, v1, v2, nz, dn, dv, snz, bs, cc);\n";
    float x[] = {0};
    exec_tensor in = TS("x", x, 1);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        EXPECT(&r, 0, 0, 9, 13, 13, 1, 5, 1, 26, 2, 18, 10, 2, 26);
        SHAPE(&r, 1, 2, 6, 2);
        EXPECT(&r, 1, 0, 1, 1, 2, 2, 3, 3, 10, 1, 20, 2, 30, 3, 10, 10, 20, 20, 30, 30, 1, 1, 2, 2, 3, 3);
        SHAPE(&r, 2, 2, 2, 6);
        EXPECT(&r, 2, 0, 1, 2, 3, 1, 2, 3, 10, 20, 30, 1, 2, 3, 10, 20, 30, 10, 20, 30, 1, 2, 3, 1, 2, 3);
        EXPECT(&r, 3, 0, 2, 3, 3, 2, 3, 3, 2, 2, 3);
        EXPECT(&r, 4, 0, 2, 3, 0, 0, 0, 0, 3, 2, 0, 0, 0, 3, 0, 3, 2, 0, 2, 0, 0, 0, 0, 3, 0, 0);
        EXPECT(&r, 5, 0, 2, 3, 0, 0, 0, 0, 2, 3, 0, 0, 0, 0, 3, 2, 0, 0, 0, 3, 3, 2, 0, 0, 0, 3, 0, 3, 2, 0, 2, 0,
               0, 3, 2, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 3, 0, 0);
        EXPECT(&r, 6, 1e-6, 0.9, 1.8, 0.2, 0.4, 0.6, 0.9, 1.2, 0.7, 1.4);
        EXPECT(&r, 7, 0, -4, -0.5, -1, 6, 4, 6, 4, 8);
        EXPECT(&r, 8, 0, 0.5, 65504);
    }
    res_free(&r);
}

static void test_constexpr_ios16(void) {
    /* CoreML6: parameters are attributes. 2-bit indices [1,2,3,0,3,1] packed
     * LSB-first: 1 | 2<<2 | 3<<4 | 0<<6 = 57, 3 | 1<<2 = 7. */
    const char *f =
        "func main<ios16>(tensor<fp32, [1]> x) {\n"
        "  tensor<fp32, [2, 3]> l = constexpr_lut_to_dense()[indices = tensor<uint8, [2]>([57, 7]), lut = tensor<fp32, [4]>([10, 20, 30, 40]), shape = tensor<uint32, [2]>([2, 3]), name = string(\"l\")];\n"
        "  tensor<fp32, [2, 3]> s = constexpr_sparse_to_dense()[mask = tensor<uint8, [1]>([45]), nonzero_data = tensor<fp32, [4]>([1, 2, 3, 4]), shape = tensor<uint32, [2]>([2, 3]), name = string(\"s\")];\n"
        "  tensor<fp32, [2, 3]> q = constexpr_affine_dequantize()[quantized_data = tensor<int8, [2, 3]>([-2, 0, 2, 10, 20, 30]), zero_point = tensor<int8, [2]>([0, 10]), scale = tensor<fp32, [2]>([0.5, 0.25]), axis = int32(0), name = string(\"q\")];\n"
        "  tensor<fp16, [2, 3]> q2 = constexpr_affine_dequantize()[quantized_data = tensor<uint8, [2, 3]>([0, 128, 255, 1, 2, 3]), zero_point = uint8(128), scale = fp16(0.1), axis = int32(1), name = string(\"q2\")];\n"
        "  tensor<fp32, [2, 3]> y = add(x = l, y = x)[name = string(\"y\")];\n"
        "} -> (l, s, q, q2, y);\n";
    float x[] = {0.5f};
    exec_tensor in = TS("x", x, 1);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        EXPECT(&r, 0, 0, 20, 30, 40, 10, 40, 20);
        EXPECT(&r, 1, 0, 1, 0, 2, 3, 0, 4);
        EXPECT(&r, 2, 0, -1, 0, 1, 0, 2.5, 5);
        /* fp16 outputs are rounded to fp16: 0.1 * 127 */
        EXPECT(&r, 3, 0, exec_round_fp16(exec_round_fp16(0.1f) * -128), 0, exec_round_fp16(exec_round_fp16(0.1f) * 127),
               exec_round_fp16(exec_round_fp16(0.1f) * -127), exec_round_fp16(exec_round_fp16(0.1f) * -126),
               exec_round_fp16(exec_round_fp16(0.1f) * -125));
        EXPECT(&r, 4, 0, 20.5, 30.5, 40.5, 10.5, 40.5, 20.5);
    }
    res_free(&r);
}

/* ---- constants kept in their stored form ------------------------------------------------------ */

/* A text buffer that grows. */
typedef struct sbuf {
    char *s;
    size_t n, cap;
} sbuf;

static void sb(sbuf *b, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int k = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (b->n + (size_t)k + 1 > b->cap) {
        b->cap = (b->n + (size_t)k + 1) * 2;
        b->s = realloc(b->s, b->cap);
    }
    va_start(ap, f);
    vsnprintf(b->s + b->n, (size_t)k + 1, f, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static unsigned lcg(unsigned *s) {
    *s = *s * 1103515245u + 12345u;
    return (*s >> 8) & 0xffffffu;
}

/* n integers in [lo, hi] (or, with mask, 0/1 at about 40% ones) as a literal list */
static void sb_ints(sbuf *b, unsigned *seed, size_t n, int lo, int hi) {
    for (size_t i = 0; i < n; i++) sb(b, "%s%d", i ? ", " : "", lo + (int)(lcg(seed) % (unsigned)(hi - lo + 1)));
}

static void sb_floats(sbuf *b, unsigned *seed, size_t n, float scale) {
    for (size_t i = 0; i < n; i++)
        sb(b, "%s%a", i ? ", " : "", (double)exec_round_fp16(((float)lcg(seed) / 16777216.0f - 0.5f) * scale));
}

/* a mask of n bits, ~40% set; returns the count */
static size_t sb_mask(sbuf *b, unsigned *seed, size_t n, bool packed) {
    size_t ones = 0;
    if (packed) {
        for (size_t i = 0; i < (n + 7) / 8; i++) {
            unsigned byte = 0;
            for (unsigned j = 0; j < 8 && i * 8 + j < n; j++)
                if (lcg(seed) % 5 < 2) { byte |= 1u << j; ones++; }
            sb(b, "%s%u", i ? ", " : "", byte);
        }
        return ones;
    }
    for (size_t i = 0; i < n; i++) {
        int v = lcg(seed) % 5 < 2;
        ones += (size_t)v;
        sb(b, "%s%d", i ? ", " : "", v);
    }
    return ones;
}

enum { SF_FP16, SF_FP32, SF_AFFINE8, SF_AFFINE_U8, SF_SHIFT4, SF_LUT16, SF_LUT18, SF_SPARSE16, SF_SPARSE18,
       SF_LUT_SPARSE, SF_SHIFT_SPARSE, SF_CAST, SF_N };
static const char *const SF_NAME[SF_N] = {"fp16", "fp32", "affine int8 axis 0", "affine uint8 scalar",
                                          "blockwise int4", "lut iOS16 4-bit", "lut iOS18 grouped uint2",
                                          "sparse iOS16", "sparse iOS18", "lut_to_sparse", "sparse shift_scale",
                                          "cast fp16 -> fp32"};

/* a constexpr chain (or const) named w of 160 x 128 values, shaped
 * [160, 128] (rank 2) or [160, 32, 2, 2] (rank 4) */
static void sf_chain(sbuf *b, int kind, int rank, unsigned *seed) {
    const size_t N = 160 * 128;
    const char *sh = rank == 2 ? "160, 128" : "160, 32, 2, 2";
    /* per-row-block parameters: 4 blocks of 32 along the last 128 */
    const char *psh = rank == 2 ? "160, 4" : "160, 4, 1, 1";
    const char *lsh = rank == 2 ? "4, 1, 4, 1" : "4, 1, 1, 1, 4, 1";
    size_t nnz;
    sbuf t = {0};
    switch (kind) {
    case SF_FP16:
    case SF_FP32:
        sb(b, "  tensor<%s, [%s]> w = const()[name = string(\"w\"), val = tensor<%s, [%s]>([", kind == SF_FP16 ? "fp16" : "fp32",
           sh, kind == SF_FP16 ? "fp16" : "fp32", sh);
        if (kind == SF_FP16) sb_floats(b, seed, N, 0.5f);
        else for (size_t i = 0; i < N; i++) sb(b, "%s%a", i ? ", " : "", (double)(((float)lcg(seed) / 16777216.0f - 0.5f) / 3.0f));
        sb(b, "])];\n");
        break;
    case SF_AFFINE8:
        sb(b, "  tensor<fp16, [%s]> w = constexpr_affine_dequantize()[quantized_data = tensor<int8, [%s]>([", sh, sh);
        sb_ints(b, seed, N, -128, 127);
        sb(b, "]), zero_point = tensor<int8, [160]>([");
        sb_ints(b, seed, 160, -3, 3);
        sb(b, "]), scale = tensor<fp16, [160]>([");
        sb_floats(b, seed, 160, 0.02f);
        sb(b, "]), axis = int32(0), name = string(\"w\")];\n");
        break;
    case SF_AFFINE_U8:
        sb(b, "  tensor<fp32, [%s]> w = constexpr_affine_dequantize()[quantized_data = tensor<uint8, [%s]>([", sh, sh);
        sb_ints(b, seed, N, 0, 255);
        sb(b, "]), zero_point = uint8(128), scale = fp32(0.0078125), axis = int32(1), name = string(\"w\")];\n");
        break;
    case SF_SHIFT4:
        sb(b, "  tensor<fp16, [%s]> w = constexpr_blockwise_shift_scale(data = tensor<int4, [%s]>([", sh, sh);
        sb_ints(b, seed, N, -8, 7);
        sb(b, "]), scale = tensor<fp16, [%s]>([", psh);
        sb_floats(b, seed, 640, 0.1f);
        sb(b, "]), offset = tensor<int4, [%s]>([", psh);
        sb_ints(b, seed, 640, -2, 2);
        sb(b, "]))[name = string(\"w\")];\n");
        break;
    case SF_LUT16:
        sb(b, "  tensor<fp16, [%s]> w = constexpr_lut_to_dense()[indices = tensor<uint8, [%zu]>([", sh, N / 2);
        sb_ints(b, seed, N / 2, 0, 255);
        sb(b, "]), lut = tensor<fp16, [16]>([");
        sb_floats(b, seed, 16, 1.0f);
        sb(b, "]), shape = tensor<uint32, [%d]>([%s]), name = string(\"w\")];\n", rank, sh);
        break;
    case SF_LUT18:
        sb(b, "  tensor<fp16, [%s]> w = constexpr_lut_to_dense(indices = tensor<uint2, [%s]>([", sh, sh);
        sb_ints(b, seed, N, 0, 3);
        sb(b, "]), lut = tensor<fp16, [%s]>([", lsh);
        sb_floats(b, seed, 16, 1.0f);
        sb(b, "]))[name = string(\"w\")];\n");
        break;
    case SF_SPARSE16:
        nnz = sb_mask(&t, seed, N, true);
        sb(b, "  tensor<fp16, [%s]> w = constexpr_sparse_to_dense()[mask = tensor<uint8, [%zu]>([%s]), nonzero_data = tensor<fp16, [%zu]>([",
           sh, N / 8, t.s, nnz);
        sb_floats(b, seed, nnz, 1.0f);
        sb(b, "]), shape = tensor<uint32, [%d]>([%s]), name = string(\"w\")];\n", rank, sh);
        break;
    case SF_SPARSE18:
        nnz = sb_mask(&t, seed, N, false);
        sb(b, "  tensor<fp16, [%s]> w = constexpr_sparse_to_dense(nonzero_data = tensor<fp16, [%zu]>([", sh, nnz);
        sb_floats(b, seed, nnz, 1.0f);
        sb(b, "]), mask = tensor<uint1, [%s]>([%s]))[name = string(\"w\")];\n", sh, t.s);
        break;
    case SF_LUT_SPARSE:
        nnz = sb_mask(&t, seed, N, false);
        sb(b, "  tensor<uint1, [%s]> m, tensor<fp16, [%zu]> nz = constexpr_lut_to_sparse(indices_mask = tensor<uint1, [%s]>([%s]), indices_nonzero_data = tensor<uint2, [%zu]>([",
           sh, nnz, sh, t.s, nnz);
        sb_ints(b, seed, nnz, 0, 3);
        sb(b, "]), lut = tensor<fp16, [%s]>([", lsh);
        sb_floats(b, seed, 16, 1.0f);
        sb(b, "]))[name = string(\"ls\")];\n");
        sb(b, "  tensor<fp16, [%s]> w = constexpr_sparse_to_dense(nonzero_data = nz, mask = m)[name = string(\"w\")];\n", sh);
        break;
    case SF_SHIFT_SPARSE:
        nnz = sb_mask(&t, seed, N, false);
        sb(b, "  tensor<uint1, [%s]> m, tensor<fp16, [%zu]> nz = constexpr_sparse_blockwise_shift_scale(data_mask = tensor<uint1, [%s]>([%s]), nonzero_data = tensor<int8, [%zu]>([",
           sh, nnz, sh, t.s, nnz);
        sb_ints(b, seed, nnz, -100, 100);
        sb(b, "]), scale = tensor<fp16, [%s]>([", psh);
        sb_floats(b, seed, 640, 0.05f);
        sb(b, "]), offset = tensor<int8, [%s]>([", psh);
        sb_ints(b, seed, 640, -5, 5);
        sb(b, "]))[name = string(\"ss\")];\n");
        sb(b, "  tensor<fp16, [%s]> w = constexpr_sparse_to_dense(nonzero_data = nz, mask = m)[name = string(\"w\")];\n", sh);
        break;
    case SF_CAST:
        sb(b, "  tensor<fp32, [%s]> w = constexpr_cast(source_val = tensor<fp16, [%s]>([", sh, sh);
        sb_floats(b, seed, N, 0.5f);
        sb(b, "]), output_dtype = string(\"fp32\"))[name = string(\"w\")];\n");
        break;
    }
    free(t.s);
}

static const cml_value *named_value(const cml_model *m, const char *name) {
    const cml_block *bl = cml_model_function(m, NULL)->block;
    for (size_t i = 0; i < bl->n_ops; i++)
        for (size_t j = 0; j < bl->ops[i]->n_outputs; j++)
            if (!strcmp(bl->ops[i]->outputs[j]->name, name)) return bl->ops[i]->outputs[j];
    return NULL;
}

static double max_rel(const exec_tensor *a, const exec_tensor *b) {
    size_t n = exec_tensor_count(a);
    double mx = 0, err = 0;
    for (size_t i = 0; i < n; i++) {
        mx = fmax(mx, fabs(b->data[i]));
        err = fmax(err, fabs((double)a->data[i] - b->data[i]));
    }
    return err / (mx > 0 ? mx : 1);
}

/* Every constexpr form (and plain fp16 / fp32 constants) large enough to
 * stay in stored form (>= 64 KiB as float32): the plan keeps no decoded
 * copy, the values it decodes (whole, and in odd sub-ranges) are bit for
 * bit the eager decoders' (CML_EXEC_DECODE_CONSTS), and linear (a vector
 * and a 2-row matrix) and conv over them agree with the decoded path:
 * the conv exactly (same packed weights), linear within 1e-5 of max|y| in
 * fp32 (our dot products against the BLAS's summation order) and 2^-9 in
 * the rounding modes. Both with the bytes in place (io.bytes) and copied
 * (no io.bytes), on 1 and 2 threads. */
static void test_stored_form(void) {
    unsigned seed = 2024;
    exec_opts inplace = host_opts;
    inplace.io.bytes = host_io_bytes;
    for (int kind = 0; kind < SF_N; kind++)
        for (int rank = 2; rank <= 4; rank += 2) {
            sbuf b = {0};
            const char *ios = kind == SF_AFFINE8 || kind == SF_AFFINE_U8 || kind == SF_LUT16 || kind == SF_SPARSE16 ? "ios16" : "ios18";
            if (rank == 2)
                sb(&b, "func main<%s>(tensor<fp16, [2, 128]> x2, tensor<fp16, [1, 128]> x1) {\n", ios);
            else
                sb(&b, "func main<%s>(tensor<fp16, [1, 32, 6, 5]> xc) {\n", ios);
            sf_chain(&b, kind, rank, &seed);
            if (rank == 2)
                sb(&b, "  tensor<fp16, [2, 160]> y2 = linear(x = x2, weight = w)[name = string(\"y2\")];\n"
                       "  tensor<fp16, [1, 160]> y1 = linear(x = x1, weight = w)[name = string(\"y1\")];\n"
                       "} -> (y2, y1);\n");
            else
                sb(&b, "  tensor<fp16, [1, 160, 5, 4]> yc = conv(x = xc, weight = w, pad_type = string(\"valid\"))[name = string(\"yc\")];\n"
                       "} -> (yc);\n");
            lmodel *lm = load_mil(b.s);
            free(b.s);
            CHECK(lm && lm->model);
            if (!lm || !lm->model) { loader_free(lm); continue; }
            float x2[256], x1[128], xc[960];
            for (int i = 0; i < 256; i++) x2[i] = frand(&seed);
            for (int i = 0; i < 128; i++) x1[i] = frand(&seed);
            for (int i = 0; i < 960; i++) xc[i] = frand(&seed);
            exec_tensor in2[2] = {TS("x2", x2, 2, 128), TS("x1", x1, 1, 128)}, inc[1] = {TS("xc", xc, 1, 32, 6, 5)};
            const cml_value *wv = named_value(lm->model, "w");
            CHECK(wv != NULL);
            char err[512];
            setenv("CML_EXEC_DECODE_CONSTS", "1", 1);
            exec_plan *pd = exec_prepare(lm->model, NULL, &host_opts, err, sizeof err);
            unsetenv("CML_EXEC_DECODE_CONSTS");
            CHECK(pd != NULL);
            exec_tensor wd;
            bool have_wd = pd && wv && exec_plan_const(pd, wv, &wd) == 0;
            CHECK(have_wd);
            for (int how = 0; how < 2 && have_wd; how++)
                for (int threads = 1; threads <= 2; threads++) {
                    exec_opts o = how ? host_opts : inplace;
                    o.threads = threads;
                    exec_plan *ps = exec_prepare(lm->model, NULL, &o, err, sizeof err);
                    CHECK(ps != NULL);
                    if (!ps) { fprintf(stderr, "%s: %s\n", SF_NAME[kind], err); continue; }
                    /* no decoded copy: in place, only the recipe and its side tables
                     * (per-channel scales, sparse prefix counts) are held; copied, the
                     * stored bytes (at most 16 bits a value but for fp32) */
                    size_t held = exec_plan_const_bytes(ps), lim = how ? (kind == SF_FP32 ? 160 * 128 * 4 : 160 * 128 * 2) + 8192 : 8192;
                    if (held > lim) fprintf(stderr, "%s rank %d: %zu constant bytes held\n", SF_NAME[kind], rank, held);
                    CHECK(held <= lim);
                    int sl = exec_slot_find(ps, wv);
                    const xlz *z = sl >= 0 ? ps->slots[sl].t.lz : NULL;
                    CHECK(z != NULL);
                    exec_tensor ws;
                    CHECK(exec_plan_const(ps, wv, &ws) == 0);
                    size_t n = exec_tensor_count(&wd);
                    CHECK(exec_tensor_count(&ws) == n);
                    if (memcmp(ws.data, wd.data, n * sizeof(float))) fprintf(stderr, "%s rank %d: decoded values differ\n", SF_NAME[kind], rank);
                    CHECK(memcmp(ws.data, wd.data, n * sizeof(float)) == 0);
                    /* sub-ranges at odd offsets (sub-byte starts, sparse chunks) */
                    float part[700];
                    for (int k = 0; z && k < 40; k++) {
                        size_t i0 = lcg(&seed) % (n - 1), len = 1 + lcg(&seed) % 690;
                        if (i0 + len > n) len = n - i0;
                        exec_lz_decode(z, i0, i0 + len, part, false);
                        CHECK(memcmp(part, wd.data + i0, len * sizeof(float)) == 0);
                    }
                    for (int mode = EXEC_FP32; mode <= EXEC_TYPED; mode++) {
                        exec_tensor *a = NULL, *c = NULL;
                        size_t na = 0, nc = 0;
                        const exec_tensor *in = rank == 2 ? in2 : inc;
                        size_t nin = rank == 2 ? 2 : 1;
                        for (int k = 0; k < 2; k++) {
                            exec_tensors_free(a, na);
                            a = NULL;
                            CHECK(exec_run(ps, (exec_mode)mode, in, nin, &a, &na, NULL) == 0);
                        }
                        CHECK(exec_run(pd, (exec_mode)mode, in, nin, &c, &nc, NULL) == 0);
                        CHECK(na == nc && na >= 1);
                        for (size_t i = 0; i < na && i < nc; i++) {
                            if (rank == 4) {
                                CHECK(memcmp(a[i].data, c[i].data, exec_tensor_count(&a[i]) * sizeof(float)) == 0);
                                continue;
                            }
                            double rel = max_rel(&a[i], &c[i]), bound = mode == EXEC_FP32 ? 1e-5 : 0x1p-9;
                            if (rel > bound)
                                fprintf(stderr, "%s: %s mode %d differs by %g\n", SF_NAME[kind], a[i].name, mode, rel);
                            CHECK(rel <= bound);
                        }
                        exec_tensors_free(a, na);
                        exec_tensors_free(c, nc);
                    }
                    exec_plan_free(ps);
                }
            exec_plan_free(pd);
            loader_free(lm);
        }
}

/* sub-byte storage decoded straight from bytes */
static void decode_bytes(cml_dtype dt, const unsigned char *b, size_t nb, uint64_t n, const float *want) {
    iweight w;
    memset(&w, 0, sizeof w);
    int64_t dim = (int64_t)n;
    w.pub.dtype = dt;
    w.pub.shape.rank = 1;
    w.pub.shape.dims = &dim;
    w.pub.n_elements = n;
    w.pub.nbytes = nb;
    w.pub.storage = CML_STORE_INLINE;
    w.inline_data = b;
    w.stored_as = ISTORE_RAW;
    xt t;
    char err[256];
    CHECK(exec_decode_weight(&host_opts.io, &w.pub, NULL, &t, err, sizeof err) == 0);
    CHECK(t.n == n);
    for (size_t i = 0; i < n && i < t.n; i++)
        if (t.d[i] != want[i]) {
            fprintf(stderr, "%s element %zu: %g, expected %g\n", cml_dtype_name(dt), i, t.d[i], want[i]);
            check_failures_++;
        }
    free(t.d);
}

static void test_subbyte(void) {
    /* LSB-first, values straddle bytes for 3 and 6 bits */
    const unsigned char u3[] = {0xB9, 0x3A};
    decode_bytes(CML_DT_UINT3, u3, 2, 5, (const float[]){1, 7, 2, 5, 3});
    const unsigned char u6[] = {0x7F, 0xA0, 0x02};
    decode_bytes(CML_DT_UINT6, u6, 3, 3, (const float[]){63, 1, 42});
    const unsigned char i4[] = {0x78, 0x0F};
    decode_bytes(CML_DT_INT4, i4, 2, 3, (const float[]){-8, 7, -1});
    const unsigned char u1[] = {0x8D, 0x01};
    decode_bytes(CML_DT_UINT1, u1, 2, 9, (const float[]){1, 0, 1, 1, 0, 0, 0, 1, 1});
    const unsigned char u2[] = {0xE4};
    decode_bytes(CML_DT_UINT2, u2, 1, 4, (const float[]){0, 1, 2, 3});
    const unsigned char u4[] = {0x21, 0xF3};
    decode_bytes(CML_DT_UINT4, u4, 2, 4, (const float[]){1, 2, 3, 15});
    const unsigned char h[] = {0x00, 0x3C, 0xFF, 0x7B, 0x01, 0x00, 0x00, 0xFC};
    decode_bytes(CML_DT_FP16, h, 8, 4, (const float[]){1, 65504, 0x1p-24f, -INFINITY});
}

/* ---- states, classify, errors, inputs --------------------------------------------------------------- */

static void test_state(void) {
    const char *f =
        "func main<ios18>(tensor<fp32, [1, 2]> x, state<tensor<fp32, [1, 2]>> acc) {\n"
        "  tensor<fp32, [1, 2]> r = read_state(input = acc)[name = string(\"r\")];\n"
        "  tensor<fp32, [1, 2]> s = add(x = r, y = x)[name = string(\"s\")];\n"
        "  write_state(data = s, input = acc)[name = string(\"w\")];\n"
        "  tensor<fp32, [1, 2]> y = read_state(input = acc)[name = string(\"y\")];\n"
        "} -> (y);\n";
    float x[] = {1, 2};
    exec_tensor in = TS("x", x, 1, 2);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        EXPECT(&r, 0, 0, 1, 2);
        if (again(&r, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, 2, 4);
        exec_reset_states(r.p);
        if (again(&r, EXEC_FP32, &in, 1)) EXPECT(&r, 0, 0, 1, 2);
    }
    res_free(&r);
}

static void test_classify(void) {
    const char *f =
        "func main<ios15>(tensor<fp32, [1, 3]> p) {\n"
        "  string lab, dict<string, fp32> pr = classify(probabilities = p, classes = list<string, 3>([\"a\", \"b\", \"c\"]))[name = string(\"cls\")];\n"
        "} -> (lab, pr);\n";
    float p[] = {0.1f, 0.7f, 0.2f};
    exec_tensor in = TS("p", p, 1, 3);
    res r;
    if (run(&r, f, EXEC_FP32, &in, 1)) {
        CHECK(r.o[0].dtype == EXEC_DT_LABEL);
        EXPECT(&r, 0, 0, 1);
        CHECK(r.o[0].label && !strcmp(r.o[0].label, "b"));
        SHAPE(&r, 1, 3);
        EXPECT(&r, 1, 0, 0.1f, 0.7f, 0.2f);
        /* the probabilities keep the classes as their names */
        CHECK(r.o[1].strings && !strcmp(r.o[1].strings[0], "a") && !strcmp(r.o[1].strings[2], "c"));
    }
    res_free(&r);
    /* int64 classes (coremltools writes them as np.int64): the label is the
     * class's value, not its index, and the probabilities are keyed by them */
    const char *fi =
        "func main<ios15>(tensor<fp32, [1, 3]> p) {\n"
        "  int64 lab, dict<int64, fp32> pr = classify(probabilities = p, classes = list<int64, 3>([7, 9000000001, -2]))[name = string(\"cls\")];\n"
        "} -> (lab, pr);\n";
    float q[] = {0.1f, 0.2f, 0.7f};
    exec_tensor iq = TS("p", q, 1, 3);
    if (run(&r, fi, EXEC_FP32, &iq, 1)) {
        EXPECT(&r, 0, 0, 2);
        CHECK(r.o[0].label && !strcmp(r.o[0].label, "-2"));
        CHECK(r.o[1].int_keys && r.o[1].int_keys[0] == 7 && r.o[1].int_keys[1] == 9000000001LL &&
              r.o[1].int_keys[2] == -2);
    }
    res_free(&r);
    if (run(&r, fi, EXEC_FP16_EMU, &iq, 1)) CHECK(r.o[0].label && !strcmp(r.o[0].label, "-2"));
    res_free(&r);
}

static void test_unsupported(void) {
    const char *f =
        "func main<ios16>(tensor<fp32, [2]> x) {\n"
        "  tensor<fp32, [2]> a = foo_op(x = x)[name = string(\"a\")];\n"
        "  tensor<fp32, [2]> b = bar_op(x = a)[name = string(\"b\")];\n"
        "  tensor<fp32, [2]> c = foo_op(x = b)[name = string(\"c\")];\n"
        "  tensor<fp32, [2]> d = gelu(x = c, mode = string(\"CUBIC\"))[name = string(\"d\")];\n"
        "} -> (d);\n";
    res r;
    CHECK(!prep_quiet(&r, f));
    CHECK(strstr(r.err, "foo_op") != NULL);
    CHECK(strstr(r.err, "bar_op") != NULL);
    CHECK(strstr(r.err, "gelu (mode CUBIC)") != NULL);
    CHECK(strstr(strstr(r.err, "foo_op") + 1, "foo_op") == NULL); /* listed once */
    res_free(&r);
    /* a constant whose declared count wraps 2^64 (3 x 6148914691236517206
     * = 2 mod 2^64) over its 2 stored values: refused by name at prepare
     * (the loader reports it too, and the probe does not run such a model) */
    const char *w =
        "func main<ios16>(tensor<fp32, [3]> x) {\n"
        "  tensor<fp32, [3, 6148914691236517206]> w = const()[name = string(\"w\"), "
        "val = tensor<fp32, [3, 6148914691236517206]>([1.0, 2.0])];\n"
        "  tensor<int32, [1]> ax = const()[name = string(\"ax\"), val = tensor<int32, [1]>([1])];\n"
        "  tensor<fp32, [3]> r = reduce_sum(x = w, axes = ax, keep_dims = false)[name = string(\"r\")];\n"
        "  tensor<fp32, [3]> y = add(x = x, y = r)[name = string(\"y\")];\n"
        "} -> (y);\n";
    CHECK(!prep_quiet(&r, w));
    CHECK(strstr(r.err, "constant 'w' holds 2 elements, its shape more than 2^40") != NULL);
    res_free(&r);
    /* a missing input is a run error, not a crash */
    const char *g = "func main<ios16>(tensor<fp32, [2]> x) {\n  tensor<fp32, [2]> y = relu(x = x)[name = string(\"y\")];\n} -> (y);\n";
    if (prep(&r, g)) {
        CHECK(exec_run(r.p, EXEC_FP32, NULL, 0, &r.o, &r.n, NULL) != 0);
        CHECK(strstr(exec_last_error(r.p), "'x' not given") != NULL);
        float bad[] = {1, 2, 3};
        exec_tensor in = TS("x", bad, 3);
        CHECK(exec_run(r.p, EXEC_FP32, &in, 1, &r.o, &r.n, NULL) != 0);
    }
    res_free(&r);
}

static void test_inputs_and_hook_cb(void *user, size_t index, const exec_op_stat *st, const exec_tensor *outs,
                                    size_t n_outs) {
    int *calls = user;
    (*calls)++;
    (void)index;
    (void)st;
    if (n_outs == 1 && outs[0].data) CHECK(exec_tensor_count(&outs[0]) == 6);
}

static void test_inputs_and_hook(void) {
    const char *f =
        "func main<ios16>(tensor<fp16, [2, 3]> x, tensor<int32, [4]> k) {\n"
        "  tensor<fp16, [2, 3]> y = relu(x = x)[name = string(\"y\")];\n"
        "  tensor<fp16, [2, 3]> z = mul(x = y, y = fp16(2))[name = string(\"z\")];\n"
        "} -> (z);\n";
    lmodel *lm = load_mil(f);
    CHECK(lm && lm->model);
    if (!lm || !lm->model) { loader_free(lm); return; }
    exec_tensor *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    char err[256];
    CHECK(exec_make_inputs(lm->model, NULL, 42, &a, &na, err, sizeof err) == 0);
    CHECK(exec_make_inputs(lm->model, NULL, 42, &b, &nb, err, sizeof err) == 0);
    CHECK_INT(na, 2);
    if (na == 2 && nb == 2) {
        CHECK(a[0].rank == 2 && a[0].shape[1] == 3 && a[0].dtype == EXEC_DT_FP16);
        CHECK(memcmp(a[0].data, b[0].data, 6 * sizeof(float)) == 0);
        for (int i = 0; i < 6; i++) CHECK(a[0].data[i] == exec_round_fp16(a[0].data[i]) && fabsf(a[0].data[i]) <= 1);
        CHECK(a[1].dtype == EXEC_DT_INT32);
        for (int i = 0; i < 4; i++) CHECK(a[1].data[i] == floorf(a[1].data[i]) && a[1].data[i] >= 0 && a[1].data[i] < 10);
    }
    int calls = 0;
    exec_opts o = {.threads = 1, .hook = test_inputs_and_hook_cb, .hook_user = &calls, .io = host_opts.io};
    exec_plan *p = exec_prepare(lm->model, NULL, &o, err, sizeof err);
    CHECK(p != NULL);
    if (p) {
        exec_tensor *out = NULL;
        size_t no = 0;
        CHECK(exec_run(p, EXEC_FP32, a, na, &out, &no, NULL) == 0);
        CHECK_INT(calls, 2);
        CHECK_INT(exec_plan_n_ops(p), 2);
        if (no == 1)
            for (int i = 0; i < 6; i++) CHECK(out[0].data[i] == 2 * fmaxf(a[0].data[i], 0));
        exec_tensors_free(out, no);
        exec_plan_free(p);
    }
    exec_tensors_free(a, na);
    exec_tensors_free(b, nb);
    loader_free(lm);
}

/* The .mlmodelc folder of an ML Program of n inputs f00000.. [1]
 * concatenated into y, whose metadata.json has the function "main"
 * declare the even inputs Int32 and the model-level schema every input
 * Float16; NULL when out of memory. */
static char *many_inputs_mil(int n) {
    size_t cap = (size_t)n * 160 + 4096, k = 0, m = 0, fm = 0;
    char *mil = malloc(cap), *meta = malloc(cap), *fmeta = malloc(cap), *dir = NULL;
    if (!mil || !meta || !fmeta) goto done;
    k = (size_t)snprintf(mil, cap, "program(1.0)\n{\n    func main<ios16>(");
    for (int i = 0; i < n; i++) k += (size_t)snprintf(mil + k, cap - k, "%stensor<fp32, [1]> f%05d", i ? ", " : "", i);
    k += (size_t)snprintf(mil + k, cap - k,
                          ") {\n        int32 ax = const()[name = string(\"ax\"), val = int32(0)];\n"
                          "        bool il = const()[name = string(\"il\"), val = bool(false)];\n"
                          "        tensor<fp32, [%d]> y = concat(values = (", n);
    for (int i = 0; i < n; i++) k += (size_t)snprintf(mil + k, cap - k, "%sf%05d", i ? ", " : "", i);
    snprintf(mil + k, cap - k, "), axis = ax, interleave = il)[name = string(\"y\")];\n    } -> (y);\n}\n");
    static const char ent[] = "%s{\"name\": \"f%05d\", \"type\": \"MultiArray\", \"dataType\": \"%s\", \"shape\": \"[1]\"}";
    for (int i = 0; i < n; i++) {
        m += (size_t)snprintf(meta + m, cap - m, ent, i ? ", " : "", i, "Float16");
        if (i % 2 == 0) fm += (size_t)snprintf(fmeta + fm, cap - fm, ent, fm ? ", " : "", i, "Int32");
    }
    dir = new_dir(".mlmodelc");
    write_file(dir, "model.mil", mil, strlen(mil));
    static const char out[] = "[{\"name\": \"y\", \"type\": \"MultiArray\", \"dataType\": \"Float32\", \"shape\": \"[%d]\"}]";
    k = (size_t)snprintf(mil, cap, "[{\"specificationVersion\": 7, \"modelType\": {\"name\": \"MLModelType_mlProgram\"},\n"
                                   " \"inputSchema\": [%s],\n \"outputSchema\": ", meta);
    k += (size_t)snprintf(mil + k, cap - k, out, n);
    k += (size_t)snprintf(mil + k, cap - k, ",\n \"functions\": [{\"name\": \"main\", \"inputSchema\": [%s],\n   \"outputSchema\": ", fmeta);
    k += (size_t)snprintf(mil + k, cap - k, out, n);
    k += (size_t)snprintf(mil + k, cap - k, "}],\n \"defaultFunctionName\": \"main\"}]\n");
    write_file(dir, "metadata.json", mil, k);
done:
    free(mil), free(meta), free(fmeta);
    return dir;
}

/* 30,000 inputs (many_inputs_mil): the generated inputs follow the
 * function's declaration first and the model's for the rest, and prepare,
 * input generation and the run all finish, y being the inputs in order.
 * Finding each input's feature by scanning the schema made preparing and
 * generating inputs quadratic in the inputs. */
static void test_many_inputs_mil(void) {
    enum { N = 30000 };
    const char *dir = many_inputs_mil(N);
    CHECK(dir != NULL);
    if (!dir) return;
    res r;
    memset(&r, 0, sizeof r);
    r.lm = loader_load(dir, NULL);
    CHECK(r.lm && r.lm->model);
    if (!r.lm || !r.lm->model) {
        res_free(&r);
        return;
    }
    exec_tensor *gen = NULL;
    size_t ngen = 0, bad = 0;
    CHECK(exec_make_inputs(r.lm->model, NULL, 5, &gen, &ngen, r.err, sizeof r.err) == 0);
    CHECK_INT(ngen, N);
    for (size_t i = 0; i < ngen && i < N; i++) {
        exec_dtype dt = i % 2 == 0 ? EXEC_DT_INT32 : EXEC_DT_FP16;
        const exec_tensor *g = &gen[i];
        bool ok = g->dtype == dt && g->rank == 1 && g->shape[0] == 1 &&
                  (dt == EXEC_DT_INT32 ? g->data[0] == floorf(g->data[0]) && g->data[0] >= 0 && g->data[0] < 10
                                       : g->data[0] == exec_round_fp16(g->data[0]) && fabsf(g->data[0]) <= 1);
        if (!ok && bad++ < 3) fprintf(stderr, "generated input %zu ('%s') does not follow its declaration\n", i, g->name);
    }
    CHECK_INT(bad, 0);
    r.p = exec_prepare(r.lm->model, NULL, &host_opts, r.err, sizeof r.err);
    CHECK(r.p != NULL);
    if (r.p && ngen == N && again(&r, EXEC_FP32, gen, ngen)) {
        size_t wrong = 0;
        CHECK_INT(r.n, 1);
        if (r.n == 1 && exec_tensor_count(&r.o[0]) == N)
            for (size_t i = 0; i < N; i++) wrong += r.o[0].data[i] != gen[i].data[0];
        else
            wrong = N;
        CHECK_INT(wrong, 0);
    }
    exec_tensors_free(gen, ngen);
    res_free(&r);
}

/* ---- NeuralNetwork layers ------------------------------------------------------------------------------ */

static void *g_pool[4096];
static size_t g_npool;

static void *pz(size_t n) {
    void *p = calloc(1, n ? n : 1);
    if (g_npool < sizeof g_pool / sizeof *g_pool) g_pool[g_npool++] = p;
    return p;
}

static void pool_free(void) {
    for (size_t i = 0; i < g_npool; i++) free(g_pool[i]);
    g_npool = 0;
}

static void *pdup(const void *src, size_t n) {
    void *p = pz(n);
    memcpy(p, src, n);
    return p;
}
#define PNEW(T, INIT) ((T *)pdup(&(T)INIT, sizeof(T)))

static char *pstr(const char *s) {
    char *d = pz(strlen(s) + 1);
    strcpy(d, s);
    return d;
}

static uint64_t *pu64(int n, ...) {
    uint64_t *v = pz((size_t)n * sizeof *v);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) v[i] = (uint64_t)va_arg(ap, int);
    va_end(ap);
    return v;
}

static Cmlpb__WeightParams *wpf(size_t n, const float *v) {
    Cmlpb__WeightParams *w = PNEW(Cmlpb__WeightParams, CMLPB__WEIGHT_PARAMS__INIT);
    w->n_floatvalue = n;
    w->floatvalue = pz(n * sizeof(float));
    memcpy(w->floatvalue, v, n * sizeof(float));
    return w;
}

static Cmlpb__FeatureDescription *feat(const char *name, int rank, const int64_t *dims) {
    Cmlpb__FeatureDescription *f = PNEW(Cmlpb__FeatureDescription, CMLPB__FEATURE_DESCRIPTION__INIT);
    f->name = pstr(name);
    Cmlpb__FeatureType *t = PNEW(Cmlpb__FeatureType, CMLPB__FEATURE_TYPE__INIT);
    Cmlpb__ArrayFeatureType *a = PNEW(Cmlpb__ArrayFeatureType, CMLPB__ARRAY_FEATURE_TYPE__INIT);
    a->datatype = CMLPB__ARRAY_FEATURE_TYPE__ARRAY_DATA_TYPE__FLOAT32;
    a->n_shape = (size_t)rank;
    a->shape = pz((size_t)rank * sizeof(int64_t));
    memcpy(a->shape, dims, (size_t)rank * sizeof(int64_t));
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_MULTI_ARRAY_TYPE;
    t->multiarraytype = a;
    f->type = t;
    return f;
}

typedef struct nnb {
    Cmlpb__Model *m;
    Cmlpb__NeuralNetwork *nn;
} nnb;

static nnb nn_new(int rank, const int64_t *dims) {
    nnb b;
    b.m = PNEW(Cmlpb__Model, CMLPB__MODEL__INIT);
    b.m->specificationversion = 4;
    Cmlpb__ModelDescription *d = PNEW(Cmlpb__ModelDescription, CMLPB__MODEL_DESCRIPTION__INIT);
    d->n_input = 1;
    d->input = pz(sizeof *d->input);
    d->input[0] = feat("x", rank, dims);
    d->n_output = 1;
    d->output = pz(sizeof *d->output);
    d->output[0] = feat("y", 0, dims);
    b.m->description = d;
    b.nn = PNEW(Cmlpb__NeuralNetwork, CMLPB__NEURAL_NETWORK__INIT);
    b.nn->arrayinputshapemapping = CMLPB__NEURAL_NETWORK_MULTI_ARRAY_SHAPE_MAPPING__EXACT_ARRAY_MAPPING;
    b.m->type_case = CMLPB__MODEL__TYPE_NEURAL_NETWORK;
    b.m->neuralnetwork = b.nn;
    return b;
}

static Cmlpb__NeuralNetworkLayer *nn_layer(nnb *b, const char *name, const char *in, const char *out) {
    Cmlpb__NeuralNetworkLayer *l = PNEW(Cmlpb__NeuralNetworkLayer, CMLPB__NEURAL_NETWORK_LAYER__INIT);
    l->name = pstr(name);
    l->n_input = 0;
    l->input = pz(4 * sizeof(char *));
    char buf[128];
    snprintf(buf, sizeof buf, "%s", in);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) l->input[l->n_input++] = pstr(tok);
    l->n_output = 1;
    l->output = pz(sizeof(char *));
    l->output[0] = pstr(out);
    Cmlpb__NeuralNetworkLayer **nl = pz((b->nn->n_layers + 1) * sizeof *nl);
    if (b->nn->n_layers) memcpy(nl, b->nn->layers, b->nn->n_layers * sizeof *nl);
    nl[b->nn->n_layers++] = l;
    b->nn->layers = nl;
    return l;
}

/* load and prepare b's model (false, with r->err, when either fails) */
static bool nn_prep(res *r, nnb *b) {
    memset(r, 0, sizeof *r);
    size_t len = cmlpb__model__get_packed_size(b->m);
    uint8_t *buf = malloc(len ? len : 1);
    cmlpb__model__pack(b->m, buf);
    char *dir = new_dir("");
    write_file(dir, "m.mlmodel", (const char *)buf, len);
    free(buf);
    char path[600];
    snprintf(path, sizeof path, "%s/m.mlmodel", dir);
    r->lm = loader_load(path, NULL);
    if (!r->lm || !r->lm->model) return false;
    r->p = exec_prepare(r->lm->model, NULL, &host_opts, r->err, sizeof r->err);
    if (!r->p) { fprintf(stderr, "NN prepare failed: %s\n", r->err); return false; }
    return true;
}

static bool nn_run(res *r, nnb *b, const exec_tensor *in, size_t n_in, exec_mode mode) {
    return nn_prep(r, b) && again(r, mode, in, n_in);
}

static Cmlpb__ConvolutionLayerParams *nn_conv_params(int cout, int cin, int k, int groups, int stride) {
    Cmlpb__ConvolutionLayerParams *c = PNEW(Cmlpb__ConvolutionLayerParams, CMLPB__CONVOLUTION_LAYER_PARAMS__INIT);
    c->outputchannels = (uint64_t)cout;
    c->kernelchannels = (uint64_t)(cin / groups);
    c->ngroups = (uint64_t)groups;
    c->n_kernelsize = 2;
    c->kernelsize = pu64(2, k, k);
    c->n_stride = 2;
    c->stride = pu64(2, stride, stride);
    return c;
}

static void test_nn_convolution(void) {
    int64_t dims[] = {1, 1, 4, 4};
    exec_tensor in = TS("x", X16, 1, 1, 4, 4);
    for (int mode = 0; mode < 2; mode++) {
        nnb b = nn_new(4, dims);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "conv", "x", "y");
        Cmlpb__ConvolutionLayerParams *c = nn_conv_params(1, 1, 3, 1, 2);
        float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        c->weights = wpf(9, ones);
        c->convolution_padding_type_case = CMLPB__CONVOLUTION_LAYER_PARAMS__CONVOLUTION_PADDING_TYPE_SAME;
        c->same = PNEW(Cmlpb__SamePadding, CMLPB__SAME_PADDING__INIT);
        c->same->asymmetrymode = mode ? CMLPB__SAME_PADDING__SAME_PADDING_MODE__TOP_LEFT_HEAVY
                                      : CMLPB__SAME_PADDING__SAME_PADDING_MODE__BOTTOM_RIGHT_HEAVY;
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CONVOLUTION;
        l->convolution = c;
        res r;
        if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
            SHAPE(&r, 0, 1, 1, 2, 2);
            if (mode == 0) EXPECT(&r, 0, 0, 45, 39, 66, 50);
            else EXPECT(&r, 0, 0, 10, 24, 51, 90);
        }
        res_free(&r);
        pool_free();
    }
    /* valid padding with border amounts, 2 groups, bias */
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = (float)(i / 4 + 1);
    int64_t d2[] = {1, 4, 2, 2};
    exec_tensor in2 = TS("x", x, 1, 4, 2, 2);
    nnb b = nn_new(4, d2);
    Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "conv", "x", "y");
    Cmlpb__ConvolutionLayerParams *c = nn_conv_params(2, 4, 1, 2, 1);
    c->weights = wpf(4, (const float[]){1, 2, 3, 4});
    c->hasbias = 1;
    c->bias = wpf(2, (const float[]){0.5f, -0.5f});
    c->convolution_padding_type_case = CMLPB__CONVOLUTION_LAYER_PARAMS__CONVOLUTION_PADDING_TYPE_VALID;
    c->valid = PNEW(Cmlpb__ValidPadding, CMLPB__VALID_PADDING__INIT);
    Cmlpb__BorderAmounts *ba = PNEW(Cmlpb__BorderAmounts, CMLPB__BORDER_AMOUNTS__INIT);
    ba->n_borderamounts = 2;
    ba->borderamounts = pz(2 * sizeof *ba->borderamounts);
    for (int i = 0; i < 2; i++) {
        ba->borderamounts[i] = PNEW(Cmlpb__BorderAmounts__EdgeSizes, CMLPB__BORDER_AMOUNTS__EDGE_SIZES__INIT);
        ba->borderamounts[i]->startedgesize = (uint64_t)i;  /* H: 0 before; W: 1 before */
        ba->borderamounts[i]->endedgesize = 0;
    }
    c->valid->paddingamounts = ba;
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CONVOLUTION;
    l->convolution = c;
    res r;
    if (nn_run(&r, &b, &in2, 1, EXEC_FP32)) {
        SHAPE(&r, 0, 1, 2, 2, 3);
        EXPECT(&r, 0, 0, 0.5, 5.5, 5.5, 0.5, 5.5, 5.5, -0.5, 24.5, 24.5, -0.5, 24.5, 24.5);
    }
    res_free(&r);
    pool_free();
}

static void test_nn_pooling(void) {
    float x[25];
    for (int i = 0; i < 25; i++) x[i] = (float)i;
    int64_t dims[] = {1, 1, 5, 5};
    exec_tensor in = TS("x", x, 1, 1, 5, 5);
    for (int avg = 0; avg < 2; avg++) {
        nnb b = nn_new(4, dims);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "pool", "x", "y");
        Cmlpb__PoolingLayerParams *p = PNEW(Cmlpb__PoolingLayerParams, CMLPB__POOLING_LAYER_PARAMS__INIT);
        p->type = avg ? CMLPB__POOLING_LAYER_PARAMS__POOLING_TYPE__AVERAGE : CMLPB__POOLING_LAYER_PARAMS__POOLING_TYPE__MAX;
        p->n_kernelsize = 2;
        p->kernelsize = pu64(2, 2, 2);
        p->n_stride = 2;
        p->stride = pu64(2, 2, 2);
        p->pooling_padding_type_case = CMLPB__POOLING_LAYER_PARAMS__POOLING_PADDING_TYPE_INCLUDE_LAST_PIXEL;
        p->includelastpixel = PNEW(Cmlpb__PoolingLayerParams__ValidCompletePadding,
                                   CMLPB__POOLING_LAYER_PARAMS__VALID_COMPLETE_PADDING__INIT);
        p->includelastpixel->n_paddingamounts = 2;
        p->includelastpixel->paddingamounts = pu64(2, 0, 0);
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_POOLING;
        l->pooling = p;
        res r;
        if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
            SHAPE(&r, 0, 1, 1, 3, 3);
            if (!avg) EXPECT(&r, 0, 0, 6, 8, 9, 16, 18, 19, 21, 23, 24);
            else EXPECT(&r, 0, 1e-6, 3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24);
        }
        res_free(&r);
        pool_free();
    }
    /* includeLastPixel with padding on the width only: the height's last
     * window (row 6 of 5) is dropped too, since either padding amount turns
     * the correction on (NeuralNetwork.proto PoolingLayerParams: "if
     * (paddingAmounts[0] > 0 or paddingAmounts[1] > 0)"); it used to come
     * out as a row of -inf. The IR's static shape agrees. */
    {
        float x15[15];
        for (int i = 0; i < 15; i++) x15[i] = (float)i;
        int64_t d15[] = {1, 1, 5, 3};
        exec_tensor in15 = TS("x", x15, 1, 1, 5, 3);
        nnb b = nn_new(4, d15);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "pool", "x", "y");
        Cmlpb__PoolingLayerParams *p = PNEW(Cmlpb__PoolingLayerParams, CMLPB__POOLING_LAYER_PARAMS__INIT);
        p->type = CMLPB__POOLING_LAYER_PARAMS__POOLING_TYPE__MAX;
        p->n_kernelsize = 2;
        p->kernelsize = pu64(2, 1, 3);
        p->n_stride = 2;
        p->stride = pu64(2, 3, 1);
        p->pooling_padding_type_case = CMLPB__POOLING_LAYER_PARAMS__POOLING_PADDING_TYPE_INCLUDE_LAST_PIXEL;
        p->includelastpixel = PNEW(Cmlpb__PoolingLayerParams__ValidCompletePadding,
                                   CMLPB__POOLING_LAYER_PARAMS__VALID_COMPLETE_PADDING__INIT);
        p->includelastpixel->n_paddingamounts = 2;
        p->includelastpixel->paddingamounts = pu64(2, 0, 1);
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_POOLING;
        l->pooling = p;
        res r;
        if (nn_run(&r, &b, &in15, 1, EXEC_FP32)) {
            SHAPE(&r, 0, 1, 1, 2, 3);
            EXPECT(&r, 0, 0, 1, 2, 2, 10, 11, 11);
            const cml_function *fn = r.lm->model->n_functions ? r.lm->model->functions[0] : NULL;
            const cml_op *op = fn && fn->block->n_ops ? fn->block->ops[0] : NULL;
            const cml_shape *sh = op && op->n_outputs ? &op->outputs[0]->type.shape : NULL;
            CHECK(sh && sh->rank == 4 && sh->dims[2] == 2 && sh->dims[3] == 3);
        }
        res_free(&r);
        pool_free();
    }
    /* global average pooling */
    nnb b = nn_new(4, dims);
    Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "gap", "x", "y");
    Cmlpb__PoolingLayerParams *p = PNEW(Cmlpb__PoolingLayerParams, CMLPB__POOLING_LAYER_PARAMS__INIT);
    p->type = CMLPB__POOLING_LAYER_PARAMS__POOLING_TYPE__AVERAGE;
    p->globalpooling = 1;
    p->pooling_padding_type_case = CMLPB__POOLING_LAYER_PARAMS__POOLING_PADDING_TYPE_VALID;
    p->valid = PNEW(Cmlpb__ValidPadding, CMLPB__VALID_PADDING__INIT);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_POOLING;
    l->pooling = p;
    res r;
    if (nn_run(&r, &b, &in, 1, EXEC_FP32)) { SHAPE(&r, 0, 1, 1, 1, 1); EXPECT(&r, 0, 1e-6, 12); }
    res_free(&r);
    pool_free();
}

/* innerProduct with the three WeightParams encodings */
static void test_nn_weights(void) {
    int64_t dims[] = {1, 3, 1, 1};
    float x[] = {1, 1, 1};
    exec_tensor in = TS("x", x, 1, 3, 1, 1);
    for (int kind = 0; kind < 3; kind++) {
        nnb b = nn_new(4, dims);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "fc", "x", "y");
        Cmlpb__InnerProductLayerParams *ip = PNEW(Cmlpb__InnerProductLayerParams, CMLPB__INNER_PRODUCT_LAYER_PARAMS__INIT);
        ip->inputchannels = 3;
        ip->outputchannels = 2;
        Cmlpb__WeightParams *w = PNEW(Cmlpb__WeightParams, CMLPB__WEIGHT_PARAMS__INIT);
        if (kind == 0) {
            /* linear 8-bit, per output channel: W = q*scale[c] + bias[c] */
            static const uint8_t q[] = {0, 1, 2, 3, 4, 5};
            w->rawvalue.len = 6;
            w->rawvalue.data = pz(6);
            memcpy(w->rawvalue.data, q, 6);
            Cmlpb__QuantizationParams *qp = PNEW(Cmlpb__QuantizationParams, CMLPB__QUANTIZATION_PARAMS__INIT);
            qp->numberofbits = 8;
            qp->quantization_type_case = CMLPB__QUANTIZATION_PARAMS__QUANTIZATION_TYPE_LINEAR_QUANTIZATION;
            qp->linearquantization = PNEW(Cmlpb__LinearQuantizationParams, CMLPB__LINEAR_QUANTIZATION_PARAMS__INIT);
            qp->linearquantization->n_scale = 2;
            qp->linearquantization->scale = pz(8);
            qp->linearquantization->scale[0] = 0.5f;
            qp->linearquantization->scale[1] = 2;
            qp->linearquantization->n_bias = 2;
            qp->linearquantization->bias = pz(8);
            qp->linearquantization->bias[0] = 1;
            qp->linearquantization->bias[1] = -1;
            w->quantization = qp;
        } else if (kind == 1) {
            /* 2-bit LUT, indices [3,0,1,2, 2,2] packed MSB-first: 11 00 01 10 | 10 10 (0000) */
            w->rawvalue.len = 2;
            w->rawvalue.data = pz(2);
            w->rawvalue.data[0] = 0xC6;
            w->rawvalue.data[1] = 0xA0;
            Cmlpb__QuantizationParams *qp = PNEW(Cmlpb__QuantizationParams, CMLPB__QUANTIZATION_PARAMS__INIT);
            qp->numberofbits = 2;
            qp->quantization_type_case = CMLPB__QUANTIZATION_PARAMS__QUANTIZATION_TYPE_LOOKUP_TABLE_QUANTIZATION;
            qp->lookuptablequantization = PNEW(Cmlpb__LookUpTableQuantizationParams,
                                                CMLPB__LOOK_UP_TABLE_QUANTIZATION_PARAMS__INIT);
            qp->lookuptablequantization->n_floatvalue = 4;
            qp->lookuptablequantization->floatvalue = pz(16);
            for (int i = 0; i < 4; i++) qp->lookuptablequantization->floatvalue[i] = (float)(10 * (i + 1));
            w->quantization = qp;
        } else {
            /* float16Value: 0.5, 2, -1, 1, 1, 65504 */
            static const uint8_t h[] = {0x00, 0x38, 0x00, 0x40, 0x00, 0xBC, 0x00, 0x3C, 0x00, 0x3C, 0xFF, 0x7B};
            w->float16value.len = 12;
            w->float16value.data = pz(12);
            memcpy(w->float16value.data, h, 12);
        }
        ip->weights = w;
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_INNER_PRODUCT;
        l->innerproduct = ip;
        res r;
        if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
            SHAPE(&r, 0, 1, 2, 1, 1);
            if (kind == 0) EXPECT(&r, 0, 1e-6, 4.5, 21);
            else if (kind == 1) EXPECT(&r, 0, 0, 40 + 10 + 20, 30 + 30 + 30);
            else EXPECT(&r, 0, 0, 1.5, 65506);
        }
        res_free(&r);
        pool_free();
    }
}

/* innerProduct on a rank-4 input: one row per leading index, its [C, H, W]
 * read flattened when they hold inputChannels values; any other size is
 * refused (it once ran as n / C_in rows into an output of x1 rows: a heap
 * overflow on a public Keras model, C_in 3 against [3, 3086, 2320]) */
static void test_nn_inner_product_rows(void) {
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = (float)(i + 1);
    for (int kind = 0; kind < 3; kind++) {
        /* [2, 3, 1, 1] with C_in 3; [1, 3, 2, 2] with C_in 12; [1, 3, 2, 2] with C_in 3 */
        int64_t dims[3][4] = {{2, 3, 1, 1}, {1, 3, 2, 2}, {1, 3, 2, 2}};
        int cin = kind == 1 ? 12 : 3;
        exec_tensor in = kind == 0 ? TS("x", x, 2, 3, 1, 1) : TS("x", x, 1, 3, 2, 2);
        nnb b = nn_new(4, dims[kind]);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "fc", "x", "y");
        Cmlpb__InnerProductLayerParams *ip = PNEW(Cmlpb__InnerProductLayerParams, CMLPB__INNER_PRODUCT_LAYER_PARAMS__INIT);
        ip->inputchannels = (uint64_t)cin;
        ip->outputchannels = 2;
        Cmlpb__WeightParams *w = PNEW(Cmlpb__WeightParams, CMLPB__WEIGHT_PARAMS__INIT);
        /* row 0 all ones (the row's sum), row 1 a one at its first value */
        w->n_floatvalue = (size_t)(2 * cin);
        w->floatvalue = pz(2 * (size_t)cin * sizeof(float));
        for (int i = 0; i < cin; i++) w->floatvalue[i] = 1;
        w->floatvalue[cin] = 1;
        ip->weights = w;
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_INNER_PRODUCT;
        l->innerproduct = ip;
        res r;
        if (kind < 2) {
            if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
                if (kind == 0) {
                    SHAPE(&r, 0, 2, 2, 1, 1);
                    EXPECT(&r, 0, 0, 6, 1, 15, 4);
                } else {
                    SHAPE(&r, 0, 1, 2, 1, 1);
                    EXPECT(&r, 0, 0, 78, 1);
                }
            }
        } else if (nn_prep(&r, &b)) {
            CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
            CHECK(strstr(exec_last_error(r.p), "12 values per row, inputChannels is 3") != NULL);
        }
        res_free(&r);
        pool_free();
    }
}

/* sizes whose product overflows int64: innerProduct's channels (2^33 x
 * 2^31) and a deconvolution's kernelSize (2^32 x 2^32, its output size
 * given): the weight counts wrapped to 0, which any weights pass (UBSan
 * stopped there; without it the deconvolution ran 2^32 x 2^32 taps over a
 * col buffer of 0 values); refused now, naming the overflow (the kernel
 * size, past 2^31, is refused before the product is formed) */
static void test_nn_size_overflow(void) {
    float x[16];
    for (int i = 0; i < 16; i++) x[i] = 1;
    for (int kind = 0; kind < 2; kind++) {
        int64_t dims[2][4] = {{1, 4, 1, 1}, {1, 1, 4, 4}};
        nnb b = nn_new(4, dims[kind]);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "l", "x", "y");
        float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        if (kind == 0) {
            Cmlpb__InnerProductLayerParams *ip = PNEW(Cmlpb__InnerProductLayerParams, CMLPB__INNER_PRODUCT_LAYER_PARAMS__INIT);
            ip->inputchannels = (uint64_t)1 << 33;
            ip->outputchannels = (uint64_t)1 << 31;
            ip->weights = wpf(8, ones);
            l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_INNER_PRODUCT;
            l->innerproduct = ip;
        } else {
            Cmlpb__ConvolutionLayerParams *cv = nn_conv_params(1, 1, 1, 1, 1);
            cv->kernelsize[0] = cv->kernelsize[1] = (uint64_t)1 << 32;
            cv->isdeconvolution = 1;
            cv->n_outputshape = 2;
            cv->outputshape = pu64(2, 4, 4);
            cv->weights = wpf(4, ones);
            l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CONVOLUTION;
            l->convolution = cv;
        }
        exec_tensor in = kind == 0 ? TS("x", x, 1, 4, 1, 1) : TS("x", x, 1, 1, 4, 4);
        res r;
        if (nn_prep(&r, &b)) {
            CHECK(run_rc(&r, EXEC_FP32, &in, 1) != 0);
            /* the deconvolution's kernel of 2^32 is past the geometry bound */
            CHECK(strstr(exec_last_error(r.p), kind == 0 ? "overflows" : "out of range") != NULL);
        }
        res_free(&r);
        pool_free();
    }
}

static void test_nn_misc(void) {
    float x[8];
    for (int i = 0; i < 8; i++) x[i] = (float)i;
    int64_t dims[] = {1, 2, 2, 2};
    exec_tensor in = TS("x", x, 1, 2, 2, 2);
    res r;
    /* flatten CHANNEL_LAST orders H, W, C */
    nnb b = nn_new(4, dims);
    Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "fl", "x", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_FLATTEN;
    l->flatten = PNEW(Cmlpb__FlattenLayerParams, CMLPB__FLATTEN_LAYER_PARAMS__INIT);
    l->flatten->mode = CMLPB__FLATTEN_LAYER_PARAMS__FLATTEN_ORDER__CHANNEL_LAST;
    if (nn_run(&r, &b, &in, 1, EXEC_FP32)) { SHAPE(&r, 0, 1, 8, 1, 1); EXPECT(&r, 0, 0, 0, 4, 1, 5, 2, 6, 3, 7); }
    res_free(&r);
    pool_free();
    /* activation chain: PReLU per channel, then add with a broadcast second input, then reduce HW avg */
    b = nn_new(4, dims);
    l = nn_layer(&b, "lin", "x", "t0");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
    l->activation = PNEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    l->activation->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_LINEAR;
    l->activation->linear = PNEW(Cmlpb__ActivationLinear, CMLPB__ACTIVATION_LINEAR__INIT);
    l->activation->linear->alpha = 1;
    l->activation->linear->beta = -4;
    l = nn_layer(&b, "prelu", "t0", "t1");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
    l->activation = PNEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    l->activation->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_PRE_LU;
    l->activation->prelu = PNEW(Cmlpb__ActivationPReLU, CMLPB__ACTIVATION_PRE_LU__INIT);
    l->activation->prelu->alpha = wpf(2, (const float[]){0.5f, 0.25f});
    l = nn_layer(&b, "red", "t1", "t2");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_REDUCE;
    l->reduce = PNEW(Cmlpb__ReduceLayerParams, CMLPB__REDUCE_LAYER_PARAMS__INIT);
    l->reduce->mode = CMLPB__REDUCE_LAYER_PARAMS__REDUCE_OPERATION__AVG;
    l->reduce->axis = CMLPB__REDUCE_LAYER_PARAMS__REDUCE_AXIS__HW;
    l = nn_layer(&b, "add", "t1,t2", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ADD;
    l->add = PNEW(Cmlpb__AddLayerParams, CMLPB__ADD_LAYER_PARAMS__INIT);
    if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
        /* t0 = x-4 = [-4..3]; t1 = [-2,-1.5,-1,-0.5, 0,1,2,3]; t2 = [-1.25, 1.5] */
        SHAPE(&r, 0, 1, 2, 2, 2);
        EXPECT(&r, 0, 1e-6, -3.25, -2.75, -2.25, -1.75, 1.5, 2.5, 3.5, 4.5);
    }
    res_free(&r);
    pool_free();
    /* padding (reflection) + unary RSQRT with shift + batchnorm + softmax over C */
    float x3[] = {1, 2, 3};
    int64_t d3[] = {1, 1, 1, 3};
    exec_tensor in3 = TS("x", x3, 1, 1, 1, 3);
    b = nn_new(4, d3);
    l = nn_layer(&b, "pad", "x", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_PADDING;
    l->padding = PNEW(Cmlpb__PaddingLayerParams, CMLPB__PADDING_LAYER_PARAMS__INIT);
    l->padding->padding_type_case = CMLPB__PADDING_LAYER_PARAMS__PADDING_TYPE_REFLECTION;
    l->padding->reflection = PNEW(Cmlpb__PaddingLayerParams__PaddingReflection,
                                  CMLPB__PADDING_LAYER_PARAMS__PADDING_REFLECTION__INIT);
    Cmlpb__BorderAmounts *ba = PNEW(Cmlpb__BorderAmounts, CMLPB__BORDER_AMOUNTS__INIT);
    ba->n_borderamounts = 2;
    ba->borderamounts = pz(2 * sizeof *ba->borderamounts);
    ba->borderamounts[0] = PNEW(Cmlpb__BorderAmounts__EdgeSizes, CMLPB__BORDER_AMOUNTS__EDGE_SIZES__INIT);
    ba->borderamounts[1] = PNEW(Cmlpb__BorderAmounts__EdgeSizes, CMLPB__BORDER_AMOUNTS__EDGE_SIZES__INIT);
    ba->borderamounts[1]->startedgesize = 2;
    ba->borderamounts[1]->endedgesize = 1;
    l->padding->paddingamounts = ba;
    if (nn_run(&r, &b, &in3, 1, EXEC_FP32)) { SHAPE(&r, 0, 1, 1, 1, 6); EXPECT(&r, 0, 0, 3, 2, 1, 2, 3, 2); }
    res_free(&r);
    pool_free();
    b = nn_new(4, d3);
    l = nn_layer(&b, "un", "x", "u");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_UNARY;
    l->unary = PNEW(Cmlpb__UnaryFunctionLayerParams, CMLPB__UNARY_FUNCTION_LAYER_PARAMS__INIT);
    l->unary->type = CMLPB__UNARY_FUNCTION_LAYER_PARAMS__OPERATION__RSQRT;
    l->unary->shift = 1;
    l = nn_layer(&b, "bn", "u", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_BATCHNORM;
    l->batchnorm = PNEW(Cmlpb__BatchnormLayerParams, CMLPB__BATCHNORM_LAYER_PARAMS__INIT);
    l->batchnorm->channels = 1;
    l->batchnorm->gamma = wpf(1, (const float[]){2});
    l->batchnorm->beta = wpf(1, (const float[]){1});
    l->batchnorm->mean = wpf(1, (const float[]){0.5f});
    l->batchnorm->variance = wpf(1, (const float[]){4});
    if (nn_run(&r, &b, &in3, 1, EXEC_FP32))
        for (int i = 0; i < 3; i++)
            CHECK_NEAR(r.o[0].data[i], 2 * (1 / sqrt(x3[i] + 1 + 1e-6) - 0.5) / sqrt(4 + 1e-5) + 1, 1e-6);
    res_free(&r);
    pool_free();
}

static Cmlpb__ActivationParams *act_params(int kind) {
    Cmlpb__ActivationParams *a = PNEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    switch (kind) {
    case 0:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_LEAKY_RE_LU;
        a->leakyrelu = PNEW(Cmlpb__ActivationLeakyReLU, CMLPB__ACTIVATION_LEAKY_RE_LU__INIT);
        a->leakyrelu->alpha = 0.1f;
        break;
    case 1:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_THRESHOLDED_RE_LU;
        a->thresholdedrelu = PNEW(Cmlpb__ActivationThresholdedReLU, CMLPB__ACTIVATION_THRESHOLDED_RE_LU__INIT);
        a->thresholdedrelu->alpha = 0.5f;
        break;
    case 2:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_ELU;
        a->elu = PNEW(Cmlpb__ActivationELU, CMLPB__ACTIVATION_ELU__INIT);
        a->elu->alpha = 2;
        break;
    case 3:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SCALED_TANH;
        a->scaledtanh = PNEW(Cmlpb__ActivationScaledTanh, CMLPB__ACTIVATION_SCALED_TANH__INIT);
        a->scaledtanh->alpha = 2;
        a->scaledtanh->beta = 0.5f;
        break;
    case 4:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SIGMOID_HARD;
        a->sigmoidhard = PNEW(Cmlpb__ActivationSigmoidHard, CMLPB__ACTIVATION_SIGMOID_HARD__INIT);
        a->sigmoidhard->alpha = 0.2f;
        a->sigmoidhard->beta = 0.5f;
        break;
    case 5:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SOFTSIGN;
        a->softsign = PNEW(Cmlpb__ActivationSoftsign, CMLPB__ACTIVATION_SOFTSIGN__INIT);
        break;
    case 6:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SOFTPLUS;
        a->softplus = PNEW(Cmlpb__ActivationSoftplus, CMLPB__ACTIVATION_SOFTPLUS__INIT);
        break;
    case 7:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_SIGMOID;
        a->sigmoid = PNEW(Cmlpb__ActivationSigmoid, CMLPB__ACTIVATION_SIGMOID__INIT);
        break;
    default:
        a->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_TANH;
        a->tanh = PNEW(Cmlpb__ActivationTanh, CMLPB__ACTIVATION_TANH__INIT);
        break;
    }
    return a;
}

static double act_ref(int kind, double v) {
    switch (kind) {
    case 0: return v >= 0 ? v : 0.1 * v;
    case 1: return v >= 0.5 ? v : 0;
    case 2: return v >= 0 ? v : 2 * (exp(v) - 1);
    case 3: return 2 * tanh(0.5 * v);
    case 4: return fmin(fmax(0.2 * v + 0.5, 0), 1);
    case 5: return v / (1 + fabs(v));
    case 6: return log1p(exp(v));
    case 7: return 1 / (1 + exp(-v));
    default: return tanh(v);
    }
}

static void test_nn_activations(void) {
    float x[] = {-3, -0.5f, 0, 0.5f, 4};
    int64_t dims[] = {1, 5, 1, 1};
    exec_tensor in = TS("x", x, 1, 5, 1, 1);
    for (int kind = 0; kind < 9; kind++) {
        nnb b = nn_new(4, dims);
        Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "act", "x", "y");
        l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
        l->activation = act_params(kind);
        res r;
        if (nn_run(&r, &b, &in, 1, EXEC_FP32))
            for (int i = 0; i < 5; i++) CHECK_NEAR(r.o[0].data[i], act_ref(kind, x[i]), 1e-6);
        res_free(&r);
        pool_free();
    }
    /* softmax over C, multiply by a scalar alpha, deconvolution */
    nnb b = nn_new(4, dims);
    Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "sm", "x", "s");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_SOFTMAX;
    l->softmax = PNEW(Cmlpb__SoftmaxLayerParams, CMLPB__SOFTMAX_LAYER_PARAMS__INIT);
    l = nn_layer(&b, "mul", "s", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_MULTIPLY;
    l->multiply = PNEW(Cmlpb__MultiplyLayerParams, CMLPB__MULTIPLY_LAYER_PARAMS__INIT);
    l->multiply->alpha = 10;
    res r;
    if (nn_run(&r, &b, &in, 1, EXEC_FP32)) {
        double z = 0;
        for (int i = 0; i < 5; i++) z += exp(x[i]);
        for (int i = 0; i < 5; i++) CHECK_NEAR(r.o[0].data[i], 10 * exp(x[i]) / z, 1e-6);
    }
    res_free(&r);
    pool_free();
    float x4[] = {1, 10, 100, 1000};
    int64_t d4[] = {1, 1, 2, 2};
    exec_tensor in4 = TS("x", x4, 1, 1, 2, 2);
    b = nn_new(4, d4);
    l = nn_layer(&b, "deconv", "x", "y");
    Cmlpb__ConvolutionLayerParams *c = nn_conv_params(1, 1, 2, 1, 2);
    c->isdeconvolution = 1;
    c->weights = wpf(4, (const float[]){1, 2, 3, 4});
    c->convolution_padding_type_case = CMLPB__CONVOLUTION_LAYER_PARAMS__CONVOLUTION_PADDING_TYPE_VALID;
    c->valid = PNEW(Cmlpb__ValidPadding, CMLPB__VALID_PADDING__INIT);
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_CONVOLUTION;
    l->convolution = c;
    if (nn_run(&r, &b, &in4, 1, EXEC_FP32)) {
        SHAPE(&r, 0, 1, 1, 4, 4);
        EXPECT(&r, 0, 0, 1, 2, 10, 20, 3, 4, 30, 40, 100, 200, 1000, 2000, 300, 400, 3000, 4000);
    }
    res_free(&r);
    pool_free();
}

static void test_nn_image_preprocessing(void) {
    /* BGR image: y = 2*x + bias[c] with blue/green/red biases 1/2/3 */
    nnb b = nn_new(4, (const int64_t[]){1, 3, 1, 2});
    Cmlpb__FeatureType *t = b.m->description->input[0]->type;
    Cmlpb__ImageFeatureType *im = PNEW(Cmlpb__ImageFeatureType, CMLPB__IMAGE_FEATURE_TYPE__INIT);
    im->width = 2;
    im->height = 1;
    im->colorspace = CMLPB__IMAGE_FEATURE_TYPE__COLOR_SPACE__BGR;
    t->type_case = CMLPB__FEATURE_TYPE__TYPE_IMAGE_TYPE;
    t->imagetype = im;
    Cmlpb__NeuralNetworkPreprocessing *pp = PNEW(Cmlpb__NeuralNetworkPreprocessing, CMLPB__NEURAL_NETWORK_PREPROCESSING__INIT);
    pp->featurename = pstr("x");
    pp->preprocessor_case = CMLPB__NEURAL_NETWORK_PREPROCESSING__PREPROCESSOR_SCALER;
    pp->scaler = PNEW(Cmlpb__NeuralNetworkImageScaler, CMLPB__NEURAL_NETWORK_IMAGE_SCALER__INIT);
    pp->scaler->channelscale = 2;
    pp->scaler->bluebias = 1;
    pp->scaler->greenbias = 2;
    pp->scaler->redbias = 3;
    b.nn->n_preprocessing = 1;
    b.nn->preprocessing = pz(sizeof *b.nn->preprocessing);
    b.nn->preprocessing[0] = pp;
    Cmlpb__NeuralNetworkLayer *l = nn_layer(&b, "relu", "x", "y");
    l->layer_case = CMLPB__NEURAL_NETWORK_LAYER__LAYER_ACTIVATION;
    l->activation = PNEW(Cmlpb__ActivationParams, CMLPB__ACTIVATION_PARAMS__INIT);
    l->activation->nonlinearity_type_case = CMLPB__ACTIVATION_PARAMS__NONLINEARITY_TYPE_RE_LU;
    l->activation->relu = PNEW(Cmlpb__ActivationReLU, CMLPB__ACTIVATION_RE_LU__INIT);
    float x[] = {0, 10, 20, 30, 40, 50};
    exec_tensor in = TS("x", x, 1, 3, 1, 2);
    res r;
    if (nn_run(&r, &b, &in, 1, EXEC_FP32)) EXPECT(&r, 0, 0, 1, 21, 42, 62, 83, 103);
    /* the generator makes integral pixels 0..255 */
    exec_tensor *g = NULL;
    size_t ng = 0;
    char err[128];
    if (r.lm && exec_make_inputs(r.lm->model, NULL, 1, &g, &ng, err, sizeof err) == 0 && ng == 1) {
        CHECK(g[0].rank == 4 && g[0].shape[1] == 3 && g[0].shape[3] == 2);
        for (int i = 0; i < 6; i++) CHECK(g[0].data[i] == floorf(g[0].data[i]) && g[0].data[i] >= 0 && g[0].data[i] <= 255);
    }
    exec_tensors_free(g, ng);
    res_free(&r);
    pool_free();
}

/* The host's reader, counted; and one that comes short (the file shrank). */
static size_t g_reads, g_read_bytes;
static size_t counting_read(void *u, const cml_weight *w, uint64_t off, void *buf, size_t n) {
    g_reads++;
    g_read_bytes += n;
    return host_io_read(u, w, off, buf, n);
}
static size_t short_read(void *u, const cml_weight *w, uint64_t off, void *buf, size_t n) {
    size_t got = host_io_read(u, w, off, buf, n);
    return n >= 4096 && got ? got - 1 : got;
}

/* A new .mlmodelc folder whose weights/weight.bin holds n pseudo-random
 * values (frand) as one fp16 blob, at *off (UINT64_MAX, a failed check,
 * when it could not be written); the caller writes model.mil into it. */
static char *fp16_blob_dir(size_t n, unsigned *seed, uint64_t *off) {
    float *wv = malloc(n * sizeof *wv);
    for (size_t i = 0; wv && i < n; i++) wv[i] = frand(seed);
    wblob *wb = wblob_new();
    *off = wb && wv ? wblob_add_fp16(wb, wv, n) : UINT64_MAX;
    CHECK(*off != UINT64_MAX);
    char *dir = new_dir(".mlmodelc");
    char wdir[700];
    snprintf(wdir, sizeof wdir, "%s/weights", dir);
    mkdir(wdir, 0700);
    strncat(wdir, "/weight.bin", sizeof wdir - strlen(wdir) - 1);
    CHECK(wb && wblob_write(wb, wdir) == 0);
    wblob_free(wb);
    free(wv);
    return dir;
}

/* A conv weight in weight.bin that the host has mapped is packed from its
 * stored bytes read through the host's reader, a chunk of whole blocks at a
 * time: the outputs are bit for bit those of the same weight copied (no
 * io.bytes: packed from the copy). Both modes (12 output channels a block
 * on a large image, 32 in the transposed mode on a small one), output
 * channels per group that fill no whole block, 1 and 2 groups (blocks and
 * chunks across the group boundary), one block per chunk, a few, all; 1
 * and 2 threads; each read of the weight counted. A reader that comes
 * short fails the run with a message, not a crash. */
static void test_conv_pack_staged(void) {
    unsigned seed = 77;
    enum { CO = 200, CI = 64, HW = 10 };
    for (int groups = 1; groups <= 2; groups++)
        for (int big = 0; big < 2; big++) {
            int cig = CI / groups, hw = big ? HW * 4 : 3;   /* 40x40 (12 wide) or 3x3 -> 2x2 (transposed) */
            size_t nw = (size_t)CO * (size_t)cig * 4;
            uint64_t off;
            char *dir = fp16_blob_dir(nw, &seed, &off);
            sbuf b = {0};
            sb(&b, "program(1.0)\n{\nfunc main<ios16>(tensor<fp16, [1, %d, %d, %d]> x) {\n", CI, hw, hw);
            sb(&b, "  tensor<fp16, [%d, %d, 2, 2]> w = const()[name = string(\"w\"), val = tensor<fp16, [%d, %d, 2, 2]>"
                   "(BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(%llu)))];\n",
               CO, cig, CO, cig, (unsigned long long)off);
            sb(&b, "  tensor<fp16, [1, %d, %d, %d]> y = conv(x = x, weight = w, groups = int32(%d), "
                   "pad_type = string(\"valid\"))[name = string(\"y\")];\n} -> (y);\n}\n", CO, hw - 1, hw - 1, groups);
            write_file(dir, "model.mil", b.s, strlen(b.s));
            free(b.s);
            lmodel *lm = loader_load(dir, NULL);
            CHECK(lm && lm->model);
            if (!lm || !lm->model) { loader_free(lm); continue; }
            size_t nx = (size_t)CI * (size_t)(hw * hw);
            float *x = malloc(nx * sizeof *x);
            for (size_t i = 0; x && i < nx; i++) x[i] = frand(&seed);
            exec_tensor in = TS("x", x, 1, CI, hw, hw);
            char err[512];
            exec_tensor *ref = NULL;
            size_t nref = 0;
            exec_plan *pc = exec_prepare(lm->model, NULL, &host_opts, err, sizeof err);
            CHECK(pc != NULL && exec_run(pc, EXEC_FP32, &in, 1, &ref, &nref, NULL) == 0 && nref == 1);
            /* bytes a block: 12 (or 32) rows of K = cig * 4 fp16 values */
            size_t per = (size_t)(big ? 12 : 32) * (size_t)cig * 4 * 2;
            char st[3][32];
            snprintf(st[0], sizeof st[0], "1");
            snprintf(st[1], sizeof st[1], "%zu", 3 * per);
            snprintf(st[2], sizeof st[2], "%zu", (size_t)1 << 30);
            for (int s = 0; s < 3 && nref == 1; s++)
                for (int threads = 1; threads <= 2; threads++) {
                    exec_opts o = host_opts;
                    o.io.bytes = host_io_bytes;
                    o.io.read = counting_read;
                    o.threads = threads;
                    setenv("CML_EXEC_PACK_STAGE", st[s], 1);
                    g_reads = g_read_bytes = 0;
                    exec_plan *ps = exec_prepare(lm->model, NULL, &o, err, sizeof err);
                    exec_tensor *out = NULL;
                    size_t nout = 0;
                    CHECK(ps != NULL && exec_run(ps, EXEC_FP32, &in, 1, &out, &nout, NULL) == 0 && nout == 1);
                    unsetenv("CML_EXEC_PACK_STAGE");
                    /* the whole weight, read once (a second time, in fp32, were a
                     * value not a binary16: these all are), and a value or so
                     * the plan reads at prepare time */
                    if (g_read_bytes < nw * 2 || g_read_bytes > nw * 2 + 64)
                        fprintf(stderr, "read %zu bytes in %zu calls, weight %zu\n", g_read_bytes, g_reads, nw * 2);
                    CHECK(g_read_bytes >= nw * 2 && g_read_bytes <= nw * 2 + 64);
                    if (s == 0) CHECK(g_reads > 4);   /* a block a read */
                    size_t n = exec_tensor_count(&ref[0]), differ = 0;
                    for (size_t i = 0; nout == 1 && i < n; i++) differ += out[0].data[i] != ref[0].data[i];
                    if (differ)
                        fprintf(stderr, "groups %d %s stage %s threads %d: %zu outputs differ\n", groups,
                                big ? "12 wide" : "transposed", st[s], threads, differ);
                    CHECK_INT(differ, 0);
                    exec_tensors_free(out, nout);
                    exec_plan_free(ps);
                }
            /* the file came short: the run fails and says so */
            exec_opts o = host_opts;
            o.io.bytes = host_io_bytes;
            o.io.read = short_read;
            exec_plan *ps = exec_prepare(lm->model, NULL, &o, err, sizeof err);
            exec_tensor *out = NULL;
            size_t nout = 0;
            CHECK(ps != NULL && exec_run(ps, EXEC_FP32, &in, 1, &out, &nout, NULL) != 0);
            CHECK(ps && strstr(exec_last_error(ps), "came short") != NULL);
            exec_tensors_free(out, nout);
            exec_plan_free(ps);
            exec_tensors_free(ref, nref);
            exec_plan_free(pc);
            loader_free(lm);
            free(x);
        }
}

/* A linear weight of 2 MiB or more in weight.bin that the host has mapped
 * is read where it lies, or copied once into memory of the plan's own when
 * the first touch of a mapped page is slow on this machine
 * (exec_lz_adopt; CML_EXEC_ADOPT=1 or 0 decides it for the test): either
 * way the outputs are bit for bit those of the weight copied by the plan
 * (no io.bytes). Copied, the plan holds the stored bytes and read them
 * through the host's reader; in place it holds none of them and read none
 * through the reader; undecided, the plan decides at the first run. A
 * vector and a 3-row matrix, 1 and 2 threads, both modes. */
static void test_linear_adopt(void) {
    unsigned seed = 91;
    enum { NO = 1040, K = 1024 };   /* 2.03 MiB of fp16: one 2 MiB chunk and a part */
    size_t nw = (size_t)NO * K;
    uint64_t off;
    char *dir = fp16_blob_dir(nw, &seed, &off);
    sbuf b = {0};
    sb(&b, "program(1.0)\n{\nfunc main<ios16>(tensor<fp16, [1, %d]> x1, tensor<fp16, [3, %d]> x3) {\n", K, K);
    sb(&b, "  tensor<fp16, [%d, %d]> w = const()[name = string(\"w\"), val = tensor<fp16, [%d, %d]>"
           "(BLOBFILE(path = string(\"@model_path/weights/weight.bin\"), offset = uint64(%llu)))];\n",
       NO, K, NO, K, (unsigned long long)off);
    sb(&b, "  tensor<fp16, [1, %d]> y1 = linear(x = x1, weight = w)[name = string(\"y1\")];\n"
           "  tensor<fp16, [3, %d]> y3 = linear(x = x3, weight = w)[name = string(\"y3\")];\n} -> (y1, y3);\n}\n",
       NO, NO);
    write_file(dir, "model.mil", b.s, strlen(b.s));
    free(b.s);
    lmodel *lm = loader_load(dir, NULL);
    CHECK(lm && lm->model);
    if (!lm || !lm->model) { loader_free(lm); return; }
    float x1[K], x3[3 * K];
    for (int i = 0; i < K; i++) x1[i] = frand(&seed);
    for (int i = 0; i < 3 * K; i++) x3[i] = frand(&seed);
    exec_tensor in[2] = {TS("x1", x1, 1, K), TS("x3", x3, 3, K)};
    char err[512];
    for (int mode = EXEC_FP32; mode <= EXEC_FP16_EMU; mode++) {
        exec_tensor *ref = NULL;
        size_t nref = 0;
        exec_plan *pc = exec_prepare(lm->model, NULL, &host_opts, err, sizeof err);
        CHECK(pc != NULL && exec_run(pc, (exec_mode)mode, in, 2, &ref, &nref, NULL) == 0 && nref == 2);
        for (int how = 0; how < 3 && nref == 2; how++)   /* copied, in place, decided here */
            for (int threads = 1; threads <= 2; threads++) {
                exec_opts o = host_opts;
                o.io.bytes = host_io_bytes;
                o.io.read = counting_read;
                o.threads = threads;
                if (how < 2) setenv("CML_EXEC_ADOPT", how ? "0" : "1", 1);
                exec_plan *ps = exec_prepare(lm->model, NULL, &o, err, sizeof err);
                unsetenv("CML_EXEC_ADOPT");
                CHECK(ps != NULL);
                if (!ps) continue;
                g_reads = g_read_bytes = 0;
                size_t differ = 0;
                for (int run = 0; run < 2; run++) {
                    exec_tensor *out = NULL;
                    size_t nout = 0;
                    CHECK(exec_run(ps, (exec_mode)mode, in, 2, &out, &nout, NULL) == 0 && nout == 2);
                    for (size_t t = 0; t < nout && t < 2; t++)
                        for (size_t i = 0; i < exec_tensor_count(&ref[t]); i++) differ += out[t].data[i] != ref[t].data[i];
                    exec_tensors_free(out, nout);
                }
                if (differ) fprintf(stderr, "linear adopt how %d threads %d mode %d: %zu outputs differ\n", how, threads, mode, differ);
                CHECK_INT(differ, 0);
                size_t held = exec_plan_const_bytes(ps);
                if (how == 0) {
                    CHECK(held >= nw * 2);
                    CHECK(g_read_bytes >= nw * 2);
                } else if (how == 1) {
                    if (held >= 65536 || g_read_bytes >= 65536)
                        fprintf(stderr, "in place: %zu bytes held, %zu read\n", held, g_read_bytes);
                    CHECK(held < 65536);
                    CHECK(g_read_bytes < 65536);
                } else {
                    CHECK(ps->adopt != 0);   /* decided at the first run */
                    CHECK(ps->adopt > 0 ? held >= nw * 2 : held < 65536);
                }
                exec_plan_free(ps);
            }
        exec_tensors_free(ref, nref);
        exec_plan_free(pc);
    }
    loader_free(lm);
}

int main(void) {
    harness_init();
    RUN(test_fp16_rounding);
    RUN(test_fp16_emulation_stats);
    RUN(test_conv_padding);
    RUN(test_conv_runtime_weight);
    RUN(test_conv_groups);
    RUN(test_conv_crosscheck);
    RUN(test_conv_fast_fused);
    RUN(test_conv_fused_over);
    RUN(test_conv_stats_lanes);
    RUN(test_conv_direct_pads);
    RUN(test_par_regions);
    RUN(test_plan_bump);
    RUN(test_conv_pack_modes);
    RUN(test_conv_pack_staged);
    RUN(test_linear_adopt);
    RUN(test_conv_transpose);
    RUN(test_pooling);
    RUN(test_max_pool_naive);
    RUN(test_broadcast);
    RUN(test_activations);
    RUN(test_linear_matmul);
    RUN(test_norms_reductions);
    RUN(test_reduce_trailing);
    RUN(test_shape_ops);
    RUN(test_gather_along_axis_shape);
    RUN(test_resize_target_overflow);
    RUN(test_empty_huge_dims);
    RUN(test_crop_overflow);
    RUN(test_resize_scalar);
    RUN(test_crop_resize_roi_shape);
    RUN(test_resample_empty_plane);
    RUN(test_rearrange_factor_overflow);
    RUN(test_space_batch_overflow);
    RUN(test_lrn_huge_window);
    RUN(test_quantize_empty_params);
    RUN(test_avg_pool_count_overflow);
    RUN(test_constexpr_ios18);
    RUN(test_constexpr_ios16);
    RUN(test_stored_form);
    RUN(test_subbyte);
    RUN(test_state);
    RUN(test_classify);
    RUN(test_unsupported);
    RUN(test_inputs_and_hook);
    RUN(test_many_inputs_mil);
    RUN(test_nn_convolution);
    RUN(test_nn_pooling);
    RUN(test_nn_weights);
    RUN(test_nn_inner_product_rows);
    RUN(test_nn_size_overflow);
    RUN(test_nn_misc);
    RUN(test_nn_activations);
    RUN(test_nn_image_preprocessing);
    harness_done();
    return CHECK_DONE();
}
#endif
