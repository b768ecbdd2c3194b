/* SPDX-License-Identifier: Apache-2.0 */
/* nn_elem.c — elementwise NeuralNetwork layers of the iOS 13+ (rank-N)
 * family: the one-input math functions (ceil, floor, sign, round, exp2,
 * the trigonometric and hyperbolic functions and their inverses, erf),
 * clampedReLU, the comparisons (one input against alpha, or two
 * broadcast inputs), the logical operators, floor division and modulo
 * with broadcasting, and whereBroadcastable. Values are computed in double
 * and stored as float32 (exec.c rounds them to fp16 in fp16 emulation). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* ---- one-input math ---------------------------------------------------------------- */

enum { U_CEIL, U_FLOOR, U_SIGN, U_ROUND, U_EXP2, U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH, U_COSH,
       U_TANH, U_ASINH, U_ACOSH, U_ATANH, U_ERF };

static double unary1(int op, double v) {
    switch (op) {
    case U_CEIL: return ceil(v);
    case U_FLOOR: return floor(v);
    case U_SIGN: return v > 0 ? 1.0 : v < 0 ? -1.0 : v == v ? 0.0 : v;
    case U_ROUND: return nearbyint(v); /* the default rounding mode: to nearest, ties to even */
    case U_EXP2: return exp2(v);
    case U_SIN: return sin(v);
    case U_COS: return cos(v);
    case U_TAN: return tan(v);
    case U_ASIN: return asin(v);
    case U_ACOS: return acos(v);
    case U_ATAN: return atan(v);
    case U_SINH: return sinh(v);
    case U_COSH: return cosh(v);
    case U_TANH: return tanh(v);
    case U_ASINH: return asinh(v);
    case U_ACOSH: return acosh(v);
    case U_ATANH: return atanh(v);
    default: return erf(v);
    }
}

static int unary_layer(xctx *c, int op) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) y->d[i] = (float)unary1(op, x->d[i]);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:5782-5792,5806-5816,5818-5828 CeilLayerParams,
 * FloorLayerParams, SignLayerParams (+1, -1, 0), RoundLayerParams ("the
 * nearest integer"; coremltools test_numpy_nn_layers.py test_round_cpu
 * compares with np.around, which rounds ties to even), Exp2LayerParams,
 * Sin...AtanhLayerParams, ErfLayerParams: elementwise, output shaped like
 * the input. */
static int k_ceil(xctx *c) { return unary_layer(c, U_CEIL); }
static int k_floor(xctx *c) { return unary_layer(c, U_FLOOR); }
static int k_sign(xctx *c) { return unary_layer(c, U_SIGN); }
static int k_round(xctx *c) { return unary_layer(c, U_ROUND); }
static int k_exp2(xctx *c) { return unary_layer(c, U_EXP2); }
static int k_sin(xctx *c) { return unary_layer(c, U_SIN); }
static int k_cos(xctx *c) { return unary_layer(c, U_COS); }
static int k_tan(xctx *c) { return unary_layer(c, U_TAN); }
static int k_asin(xctx *c) { return unary_layer(c, U_ASIN); }
static int k_acos(xctx *c) { return unary_layer(c, U_ACOS); }
static int k_atan(xctx *c) { return unary_layer(c, U_ATAN); }
static int k_sinh(xctx *c) { return unary_layer(c, U_SINH); }
static int k_cosh(xctx *c) { return unary_layer(c, U_COSH); }
static int k_tanh(xctx *c) { return unary_layer(c, U_TANH); }
static int k_asinh(xctx *c) { return unary_layer(c, U_ASINH); }
static int k_acosh(xctx *c) { return unary_layer(c, U_ACOSH); }
static int k_atanh(xctx *c) { return unary_layer(c, U_ATANH); }
static int k_erf(xctx *c) { return unary_layer(c, U_ERF); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:6209-6231
 * ClampedReLULayerParams: f(x) = min(beta, x) for x >= 0, min(beta,
 * alpha * x) for x < 0. */
static int k_clampedReLU(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    double a = exec_af(c, "alpha", 0), b = exec_af(c, "beta", 0);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) {
        double v = x->d[i], r = v >= 0 ? v : a * v;
        y->d[i] = (float)(r < b || r != r ? r : b);
    }
    return 0;
}

/* ---- comparisons and logic ------------------------------------------------------------- */

/* y = op(x1, x2) with broadcasting, or op(x1, alpha) with one input.
 * SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:954-979
 * EqualLayerParams, NotEqual, LessThan, LessEqual, GreaterThan,
 * GreaterEqual: 1 or 2 inputs, "y = x1 == alpha, if only one input is
 * provided", output 1.0 or 0.0, broadcasting; LogicalAnd / Or / Xor: two
 * inputs, 0.0 is false; ModBroadcastable / FloorDivBroadcastable: two
 * inputs with broadcasting (coremltools test_numpy_nn_layers.py
 * test_elementwise_binary compares them with np.mod and np.floor_divide:
 * the remainder takes the divisor's sign). */
static int binary_layer(xctx *c, int op, bool alpha_ok) {
    const xt *a = exec_nn_in(c, 0);
    NEED(a, "input 0");
    xt one = {.rank = 0, .n = 1};
    float alpha;
    const xt *b;
    if (exec_nn_n_in(c) >= 2) {
        b = exec_nn_in(c, 1);
        NEED(b, "input 1");
    } else if (alpha_ok) {
        alpha = (float)exec_af(c, "alpha", 0);
        one.d = &alpha;
        b = &one;
    } else {
        return exec_fail(c, "needs two inputs");
    }
    int r;
    int64_t dim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(a, b, &r, dim) != 0) return exec_fail(c, "inputs do not broadcast");
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_binary_par(c->p, op, a, b, y);
    return 0;
}
static int k_equal(xctx *c) { return binary_layer(c, BIN_EQ, true); }
static int k_notEqual(xctx *c) { return binary_layer(c, BIN_NE, true); }
static int k_lessThan(xctx *c) { return binary_layer(c, BIN_LT, true); }
static int k_lessEqual(xctx *c) { return binary_layer(c, BIN_LE, true); }
static int k_greaterThan(xctx *c) { return binary_layer(c, BIN_GT, true); }
static int k_greaterEqual(xctx *c) { return binary_layer(c, BIN_GE, true); }
static int k_logicalAnd(xctx *c) { return binary_layer(c, BIN_AND, false); }
static int k_logicalOr(xctx *c) { return binary_layer(c, BIN_OR, false); }
static int k_logicalXor(xctx *c) { return binary_layer(c, BIN_XOR, false); }
static int k_modBroadcastable(xctx *c) { return binary_layer(c, BIN_MOD, false); }
static int k_floorDivBroadcastable(xctx *c) { return binary_layer(c, BIN_FLOORDIV, false); }

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:1068-1085
 * LogicalNotLayerParams: 1.0 where the input is 0.0, else 0.0. */
static int k_logicalNot(xctx *c) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) y->d[i] = x->d[i] == 0.0f ? 1.0f : 0.0f;
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:4229-4249
 * WhereBroadcastableLayerParams: inputs condition, x, y broadcast to a
 * common shape; out = x where the condition is true (non-zero), else y. */
static int k_whereBroadcastable(xctx *c) {
    if (exec_nn_n_in(c) < 3) return exec_fail(c, "needs 3 inputs (condition, x, y)");
    const xt *in[3];
    for (int i = 0; i < 3; i++) {
        in[i] = exec_nn_in(c, (size_t)i);
        NEED(in[i], "input");
    }
    xt acc = *in[0];
    int r = acc.rank;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, acc.dim, sizeof dim);
    for (int i = 1; i < 3; i++) {
        xt s = {.rank = r};
        memcpy(s.dim, dim, sizeof dim);
        if (exec_broadcast_shape(&s, in[i], &r, dim) != 0) return exec_fail(c, "inputs do not broadcast");
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t ost[EXEC_MAX_RANK], ist[3][EXEC_MAX_RANK];
    nn_strides(r, dim, ost);
    for (int i = 0; i < 3; i++) {
        int64_t st[EXEC_MAX_RANK];
        nn_strides(in[i]->rank, in[i]->dim, st);
        int off = r - in[i]->rank;
        for (int k = 0; k < r; k++)
            ist[i][k] = k < off || in[i]->dim[k - off] == 1 ? 0 : st[k - off];
    }
    for (size_t o = 0; o < y->n; o++) {
        size_t rem = o, at[3] = {0, 0, 0};
        for (int k = 0; k < r; k++) {
            size_t q = rem / (size_t)ost[k];
            rem %= (size_t)ost[k];
            for (int i = 0; i < 3; i++) at[i] += q * (size_t)ist[i][k];
        }
        y->d[o] = in[0]->d[at[0]] != 0.0f ? in[1]->d[at[1]] : in[2]->d[at[2]];
    }
    return 0;
}

static const exec_kdef ELEM[] = {
    NN_K(acos), NN_K(acosh), NN_K(asin), NN_K(asinh), NN_K(atan), NN_K(atanh), NN_K(ceil), NN_K(clampedReLU),
    NN_K(cos), NN_K(cosh), NN_K(equal), NN_K(erf), NN_K(exp2), NN_K(floor), NN_K(floorDivBroadcastable),
    NN_K(greaterEqual), NN_K(greaterThan), NN_K(lessEqual), NN_K(lessThan), NN_K(logicalAnd), NN_K(logicalNot),
    NN_K(logicalOr), NN_K(logicalXor), NN_K(modBroadcastable), NN_K(notEqual), NN_K(round), NN_K(sign), NN_K(sin),
    NN_K(sinh), NN_K(tan), NN_K(tanh), NN_K(whereBroadcastable),
};
NN_TABLE(NN_ELEM_TABLE, ELEM);
