/* SPDX-License-Identifier: Apache-2.0 */
/* mil_spatial.c — 3-D convolution, transposed convolution and pooling.
 *
 * The 1-D and 2-D forms of conv, conv_transpose and the pools run through
 * mil.c's kernels (BLAS and the executor's own GEMM); an input of rank 5
 * [N, C, D, H, W] comes here: direct loops in double precision over three
 * spatial dims with the same parameter rules — strides, dilations, groups,
 * pad_type valid / same / same_lower / custom (pad: begin, end per dim),
 * conv_transpose's output_shape, the pools' kernel_sizes, ceil_mode and
 * exclude_padding_from_average.
 * SOURCE: apple/coremltools coremltools/converters/mil/mil/ops/defs/
 * iOS15/conv.py (conv, conv_transpose: x [n, C_in, *D_in] with 1 to 3
 * spatial dims, weight [C_out, C_in / groups, *K] and
 * [C_in, C_out / groups, *K]), iOS15/pool.py, ops/defs/_utils.py
 * (aggregated_pad, spatial_dimensions_out_shape). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mil.h"

#define ND 3

typedef struct sp3 {
    int64_t in[ND], k[ND], s[ND], d[ND], lo[ND], hi[ND], out[ND];
} sp3;

/* strides, dilations and pads of a 3-D op; k = the kernel; pool: ceil_mode */
static int sp3_params(xctx *c, const xt *x, const int64_t *k, bool pool, bool transpose, sp3 *p) {
    int64_t v[2 * ND];
    for (int i = 0; i < ND; i++) {
        p->in[i] = x->dim[2 + i];
        p->k[i] = k[i];
        p->s[i] = p->d[i] = 1;
        p->lo[i] = p->hi[i] = 0;
    }
    int n = exec_pints(c, "strides", v, ND);
    if (n == ND) memcpy(p->s, v, sizeof p->s);
    else if (n > 0) return exec_fail(c, "strides must hold 3 values");
    n = exec_pints(c, "dilations", v, ND);
    if (n == ND) memcpy(p->d, v, sizeof p->d);
    else if (n > 0) return exec_fail(c, "dilations must hold 3 values");
    for (int i = 0; i < ND; i++)
        if (p->s[i] < 1 || p->d[i] < 1 || p->k[i] < 1) return exec_fail(c, "strides, dilations and kernel must be >= 1");
    const char *pt = exec_ps(c, "pad_type");
    if (!pt) pt = "valid";
    bool same = !strcmp(pt, "same"), same_lower = !strcmp(pt, "same_lower");
    if (!strcmp(pt, "custom")) {
        n = exec_pints(c, "pad", v, 2 * ND);
        if (n == 2 * ND)
            for (int i = 0; i < ND; i++) { p->lo[i] = v[2 * i]; p->hi[i] = v[2 * i + 1]; }
        else if (n > 0) return exec_fail(c, "pad must hold 6 values");
    } else if (same || same_lower) {
        for (int i = 0; i < ND; i++) {
            int64_t ek = (p->k[i] - 1) * p->d[i] + 1, tot;
            if (transpose) {
                tot = (p->in[i] - 1) * p->s[i] + ek - p->in[i] * p->s[i];
            } else {
                /* SOURCE: _utils.py aggregated_pad */
                int64_t o = (p->in[i] + p->s[i] - 1) / p->s[i];
                tot = (o - 1) * p->s[i] + ek - p->in[i];
            }
            if (tot < 0) tot = 0;
            p->lo[i] = same ? tot / 2 : tot - tot / 2;
            p->hi[i] = tot - p->lo[i];
        }
    } else if (strcmp(pt, "valid") != 0) {
        return exec_fail(c, "unknown pad_type '%s'", pt);
    }
    bool ceil_mode = pool && exec_pb(c, "ceil_mode", false);
    for (int i = 0; i < ND; i++) {
        int64_t ek = (p->k[i] - 1) * p->d[i] + 1;
        if (transpose) {
            p->out[i] = (p->in[i] - 1) * p->s[i] + ek - p->lo[i] - p->hi[i];
        } else {
            int64_t span = p->in[i] + p->lo[i] + p->hi[i] - ek;
            if (span < 0) return exec_fail(c, "the kernel is larger than the padded input");
            if (!ceil_mode) {
                p->out[i] = span / p->s[i] + 1;
            } else {
                int64_t o = (span + p->s[i] - 1) / p->s[i] + 1;
                if (p->lo[i] + p->hi[i] > 0 && (o - 1) * p->s[i] >= p->in[i] + p->lo[i]) o--;
                p->out[i] = o;
            }
        }
        if (p->out[i] < 1) return exec_fail(c, "empty output");
    }
    return 0;
}

/* conv (transpose = false) or conv_transpose of a rank-5 x; w / bias given */
int mil_conv3d(xctx *c, const xt *x, const float *w, const int64_t *wdim, const float *bias, size_t nbias, bool transpose) {
    int64_t groups = exec_pi(c, "groups", 1), N = x->dim[0], Cin = x->dim[1];
    if (groups < 1 || Cin % groups) return exec_fail(c, "groups %lld do not divide %lld channels", (long long)groups, (long long)Cin);
    int64_t Cout = transpose ? wdim[1] * groups : wdim[0];
    int64_t Cg = Cin / groups, Og = Cout / groups;
    if ((transpose ? wdim[0] != Cin : wdim[1] * groups != Cin) || Cout % groups)
        return exec_fail(c, "weight does not match the input channels and groups");
    if (bias && (int64_t)nbias != Cout) return exec_fail(c, "bias length != output channels");
    sp3 p;
    if (sp3_params(c, x, wdim + 2, false, transpose, &p) != 0) return -1;
    if (transpose) {
        int64_t os[5];
        int n = exec_pints(c, "output_shape", os, 5);
        if (n == 5 || n == 3)
            for (int i = 0; i < ND; i++) p.out[i] = os[n - ND + i];
    }
    int64_t dim[5] = {N, Cout, p.out[0], p.out[1], p.out[2]};
    if ((double)exec_count(5, dim) * (double)Cg * (double)(p.k[0] * p.k[1] * p.k[2]) > 1e11)
        return exec_fail(c, "3-D convolution too large for the reference loops");
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t vin = (size_t)(p.in[0] * p.in[1] * p.in[2]), vout = (size_t)(p.out[0] * p.out[1] * p.out[2]);
    size_t kv = (size_t)(p.k[0] * p.k[1] * p.k[2]);
    if (!transpose) {
        for (int64_t n = 0; n < N; n++)
            for (int64_t o = 0; o < Cout; o++) {
                int64_t g = o / Og;
                for (int64_t a = 0; a < p.out[0]; a++)
                    for (int64_t bb = 0; bb < p.out[1]; bb++)
                        for (int64_t cc = 0; cc < p.out[2]; cc++) {
                            double acc = bias ? bias[o] : 0;
                            for (int64_t ci = 0; ci < Cg; ci++) {
                                const float *xc = x->d + (size_t)(n * Cin + g * Cg + ci) * vin;
                                const float *wc = w + (size_t)(o * Cg + ci) * kv;
                                for (int64_t ka = 0; ka < p.k[0]; ka++) {
                                    int64_t ia = a * p.s[0] - p.lo[0] + ka * p.d[0];
                                    if (ia < 0 || ia >= p.in[0]) continue;
                                    for (int64_t kb = 0; kb < p.k[1]; kb++) {
                                        int64_t ib = bb * p.s[1] - p.lo[1] + kb * p.d[1];
                                        if (ib < 0 || ib >= p.in[1]) continue;
                                        for (int64_t kc = 0; kc < p.k[2]; kc++) {
                                            int64_t ic = cc * p.s[2] - p.lo[2] + kc * p.d[2];
                                            if (ic < 0 || ic >= p.in[2]) continue;
                                            acc += (double)xc[(ia * p.in[1] + ib) * p.in[2] + ic] *
                                                   wc[(ka * p.k[1] + kb) * p.k[2] + kc];
                                        }
                                    }
                                }
                            }
                            y->d[(size_t)(n * Cout + o) * vout + (size_t)((a * p.out[1] + bb) * p.out[2] + cc)] = (float)acc;
                        }
            }
        return 0;
    }
    /* transposed: scatter every input point through the kernel */
    double *acc = calloc(vout ? vout : 1, sizeof *acc);
    if (!acc) return exec_fail(c, "out of memory");
    for (int64_t n = 0; n < N; n++)
        for (int64_t o = 0; o < Cout; o++) {
            int64_t g = o / Og, oo = o % Og;
            for (size_t i = 0; i < vout; i++) acc[i] = bias ? bias[o] : 0;
            for (int64_t ci = 0; ci < Cg; ci++) {
                const float *xc = x->d + (size_t)(n * Cin + g * Cg + ci) * vin;
                const float *wc = w + (size_t)((g * Cg + ci) * Og + oo) * kv;
                for (int64_t a = 0; a < p.in[0]; a++)
                    for (int64_t bb = 0; bb < p.in[1]; bb++)
                        for (int64_t cc = 0; cc < p.in[2]; cc++) {
                            double xv = xc[(a * p.in[1] + bb) * p.in[2] + cc];
                            for (int64_t ka = 0; ka < p.k[0]; ka++) {
                                int64_t oa = a * p.s[0] - p.lo[0] + ka * p.d[0];
                                if (oa < 0 || oa >= p.out[0]) continue;
                                for (int64_t kb = 0; kb < p.k[1]; kb++) {
                                    int64_t ob = bb * p.s[1] - p.lo[1] + kb * p.d[1];
                                    if (ob < 0 || ob >= p.out[1]) continue;
                                    for (int64_t kc = 0; kc < p.k[2]; kc++) {
                                        int64_t oc = cc * p.s[2] - p.lo[2] + kc * p.d[2];
                                        if (oc < 0 || oc >= p.out[2]) continue;
                                        acc[(oa * p.out[1] + ob) * p.out[2] + oc] += xv * wc[(ka * p.k[1] + kb) * p.k[2] + kc];
                                    }
                                }
                            }
                        }
            }
            float *yo = y->d + (size_t)(n * Cout + o) * vout;
            for (size_t i = 0; i < vout; i++) yo[i] = (float)acc[i];
        }
    free(acc);
    return 0;
}

/* max / avg / l2 pooling of a rank-5 x */
int mil_pool3d(xctx *c, const xt *x, int type) {
    int64_t k[ND];
    if (exec_pints(c, "kernel_sizes", k, ND) != ND) return exec_fail(c, "kernel_sizes must hold 3 values");
    sp3 p;
    if (sp3_params(c, x, k, true, false, &p) != 0) return -1;
    bool excl = exec_pb(c, "exclude_padding_from_average", false);
    int64_t dim[5] = {x->dim[0], x->dim[1], p.out[0], p.out[1], p.out[2]};
    xt *y = exec_out(c, 0, 5, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t planes = (size_t)(x->dim[0] * x->dim[1]), vin = (size_t)(p.in[0] * p.in[1] * p.in[2]);
    size_t o = 0;
    for (size_t pl = 0; pl < planes; pl++) {
        const float *xp = x->d + pl * vin;
        for (int64_t a = 0; a < p.out[0]; a++)
            for (int64_t bb = 0; bb < p.out[1]; bb++)
                for (int64_t cc = 0; cc < p.out[2]; cc++) {
                    int64_t st[ND] = {a * p.s[0] - p.lo[0], bb * p.s[1] - p.lo[1], cc * p.s[2] - p.lo[2]};
                    int64_t lo[ND], hi[ND], padded = 1, inside = 1;
                    for (int i = 0; i < ND; i++) {
                        int64_t e = st[i] + p.k[i];
                        int64_t pe = e < p.in[i] + p.hi[i] ? e : p.in[i] + p.hi[i];
                        lo[i] = st[i] < 0 ? 0 : st[i];
                        hi[i] = e < p.in[i] ? e : p.in[i];
                        padded *= pe - st[i];
                        inside *= hi[i] > lo[i] ? hi[i] - lo[i] : 0;
                    }
                    double acc = type == POOL_MAX ? -INFINITY : 0;
                    for (int64_t ia = lo[0]; ia < hi[0]; ia++)
                        for (int64_t ib = lo[1]; ib < hi[1]; ib++)
                            for (int64_t ic = lo[2]; ic < hi[2]; ic++) {
                                float v = xp[(ia * p.in[1] + ib) * p.in[2] + ic];
                                if (type == POOL_MAX) { if (v > acc || v != v) acc = v; }
                                else if (type == POOL_AVG) acc += v;
                                else acc += (double)v * v;
                            }
                    if (type == POOL_AVG) {
                        int64_t cnt = excl ? inside : padded;
                        acc = cnt > 0 ? acc / (double)cnt : 0;
                    } else if (type == POOL_L2) {
                        acc = sqrt(acc);
                    }
                    y->d[o++] = (float)acc;
                }
    }
    return 0;
}
