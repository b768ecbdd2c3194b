/* SPDX-License-Identifier: Apache-2.0 */
/* test_ir_helpers.c — the header-only helpers of include/coreml-lint/ir.h
 * that the host, the executor and plugins share: binary16 conversion both
 * ways (every one of the 65536 bit patterns, and floats around every
 * rounding boundary, against an independent nearest-value search) and the
 * enum names. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "coreml-lint/ir.h"

/* The value of a binary16 by its definition: (-1)^s * 2^(e-15) * 1.m, or
 * 2^-14 * 0.m for e = 0 (IEEE 754-2008 §3.4). */
static double half_value(uint16_t h) {
    int s = h >> 15, e = (h >> 10) & 0x1f, m = h & 0x3ff;
    double v = e ? ldexp(1.0 + m / 1024.0, e - 15) : ldexp(m / 1024.0, -14);
    if (e == 31) v = m ? NAN : INFINITY;
    return s ? -v : v;
}

static void test_half_to_float(void) {
    size_t bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = cml_half_to_float((uint16_t)h);
        double want = half_value((uint16_t)h);
        if (isnan(want) ? !isnan(f) : ((double)f != want || !signbit(f) != !signbit(want))) bad++;
    }
    CHECK_INT(bad, 0);
    CHECK(cml_half_to_float(0x3c00) == 1.0f);
    CHECK(cml_half_to_float(0x7bff) == 65504.0f);
    CHECK(cml_half_to_float(0x0001) == ldexpf(1.0f, -24));
}

/* The binary16 nearest to x (ties to the even pattern), by search over the
 * finite values of x's sign; Inf above the largest finite plus half an ulp. */
static uint16_t nearest_half(double x) {
    uint16_t sign = signbit(x) ? 0x8000 : 0;
    double a = fabs(x);
    if (a >= 65520.0) return sign | 0x7c00;
    uint16_t lo = 0, hi = 0x7bff;
    while (lo < hi) {                         /* largest pattern with value <= a */
        uint16_t mid = (uint16_t)((lo + hi + 1) / 2);
        if (half_value(mid) <= a) lo = mid;
        else hi = mid - 1;
    }
    uint16_t best = lo;
    if (lo < 0x7bff) {
        double dl = a - half_value(lo), du = half_value(lo + 1) - a;
        if (du < dl || (du == dl && ((lo + 1) & 1) == 0)) best = lo + 1;
    } else if (a - 65504.0 >= 8.0) {
        best = 0x7c00;
    }
    return sign | best;
}

static void test_float_to_half(void) {
    /* round trip of every pattern (NaN stays NaN) */
    size_t bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t back = cml_float_to_half(cml_half_to_float((uint16_t)h));
        bool nan = ((h >> 10) & 0x1f) == 31 && (h & 0x3ff);
        if (nan ? !(((back >> 10) & 0x1f) == 31 && (back & 0x3ff)) : back != h) bad++;
    }
    CHECK_INT(bad, 0);
    /* every midpoint between neighbours, and a float either side of it */
    bad = 0;
    for (uint32_t h = 0; h < 0x7bff; h++) {
        double mid = (half_value((uint16_t)h) + half_value((uint16_t)(h + 1))) / 2;
        float f = (float)mid;
        float probes[3] = {nextafterf(f, 0.0f), f, nextafterf(f, INFINITY)};
        for (int k = 0; k < 3; k++)
            for (int sg = 0; sg < 2; sg++) {
                float x = sg ? -probes[k] : probes[k];
                if (cml_float_to_half(x) != nearest_half(x)) {
                    if (bad++ < 5)
                        fprintf(stderr, "  %a -> %04x, nearest %04x\n", (double)x, cml_float_to_half(x),
                                nearest_half(x));
                }
            }
    }
    CHECK_INT(bad, 0);
    /* the overflow boundary and underflow to zero */
    CHECK_INT(cml_float_to_half(65519.0f), 0x7bff);
    CHECK_INT(cml_float_to_half(65520.0f), 0x7c00);
    CHECK_INT(cml_float_to_half(-1e9f), 0xfc00);
    CHECK_INT(cml_float_to_half(ldexpf(1.0f, -25)), 0x0000);          /* tie with 0: even */
    CHECK_INT(cml_float_to_half(nextafterf(ldexpf(1.0f, -25), 1.0f)), 0x0001);
    CHECK_INT(cml_float_to_half(-0.0f), 0x8000);
}

static void test_names(void) {
    CHECK_STR(cml_format_name(CML_FMT_MLPACKAGE), "mlpackage");
    CHECK_STR(cml_feature_kind_name(CML_FEAT_MULTIARRAY), "multiArray");
    CHECK_STR(cml_color_name(CML_COLOR_BGR), "BGR");
    CHECK_STR(cml_array_dtype_name(CML_ARR_FLOAT16), "FLOAT16");
    CHECK_STR(cml_granularity_name(CML_GRAN_PER_BLOCK), "per_block");
}

static void test_shape_elems(void) {
    static const int64_t d3[] = {2, 3, 4}, dz[] = {5, 0, 7}, du[] = {2, CML_DIM_UNKNOWN},
                         big[] = {INT64_C(1) << 40, INT64_C(1) << 30};
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){3, d3}), 24);
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){0, NULL}), 1);   /* a scalar */
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){3, dz}), 0);     /* an empty tensor */
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){2, du}), 0);     /* a dimension unknown */
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){-1, NULL}), 0);  /* rank unknown */
    CHECK_INT((long long)cml_shape_elems(&(cml_shape){2, big}), 0);    /* 2^70 overflows */
    CHECK_INT((long long)cml_shape_elems(NULL), 0);
}

/* cml_attr_input_name_prefix: the parameter an "...InputFeatureName"
 * string names an input for */
static void test_input_name_prefix(void) {
    cml_attr a = {.name = "iouThresholdInputFeatureName", .kind = CML_ATTR_STRING, .s = "iouThreshold"};
    CHECK_INT(cml_attr_input_name_prefix(&a), strlen("iouThreshold"));
    a.s = "";
    CHECK_INT(cml_attr_input_name_prefix(&a), 0);   /* no feature named */
    a.s = "x";
    a.kind = CML_ATTR_INT;
    CHECK_INT(cml_attr_input_name_prefix(&a), 0);   /* not a string */
    a.kind = CML_ATTR_STRING;
    a.name = "InputFeatureName";
    CHECK_INT(cml_attr_input_name_prefix(&a), 0);   /* no parameter before it */
    a.name = "iouThreshold";
    CHECK_INT(cml_attr_input_name_prefix(&a), 0);
    a.name = "confidenceOutputFeatureName";
    CHECK_INT(cml_attr_input_name_prefix(&a), 0);
}

int main(void) {
    RUN(test_half_to_float);
    RUN(test_input_name_prefix);
    RUN(test_float_to_half);
    RUN(test_names);
    RUN(test_shape_elems);
    return CHECK_DONE();
}
