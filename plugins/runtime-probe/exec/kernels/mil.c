/* SPDX-License-Identifier: Apache-2.0 */
/* mil.c — ML Program op kernels of the reference executor: elementwise,
 * activations, normalisation, reductions, linear algebra, convolution and
 * pooling (1-D / 2-D here, 3-D in mil_spatial.c), shape ops, states and
 * classify; and the lookup exec_find_mil, which also searches the tables of
 * the family files (mil.h: mil_control.c, mil_tensor.c, mil_image.c,
 * mil_seq.c). Every op coremltools registers for iOS15..iOS18 has a kernel;
 * docs/mil-ops.md lists them with their tests (test_exec_mil_ops checks the
 * list).
 *
 * One kernel per MIL op type, named k_<op>; the table at the end maps op
 * types to kernels. Semantics follow the op definitions in
 * apple/coremltools converters/mil/mil/ops/defs/iOS15..iOS18 (cited per
 * kernel as SOURCE): parameter names, defaults (softmax axis -1, epsilon
 * 1e-5 for the norms, 1e-12 for rsqrt, 1e-4 for inverse, 1e-45 for log),
 * padding rules (valid / same / same_lower / custom, ceil_mode), NumPy
 * broadcasting, Python slice semantics for slice_by_index. Kernels compute
 * in float32 with double accumulation where it is cheap; the run loop rounds
 * outputs to fp16 in emulation mode. cast to fp16 is an identity in fp32
 * mode (the whole program then runs in fp32) and a rounding in fp16 mode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../exec_blas.h"
#include "coreml-lint/coreml_facts.h"
#include "mil.h"

static const xt *X(xctx *c) { return exec_in(c, "x"); }

/* ---- unary ------------------------------------------------------------------- */

enum {
    U_RELU, U_RELU6, U_SIGMOID, U_TANH, U_SILU, U_SOFTPLUS, U_SOFTSIGN, U_ERF, U_EXP, U_EXP2, U_SQRT,
    U_ABS, U_CEIL, U_FLOOR, U_ROUND, U_SIGN, U_SIN, U_COS, U_TAN, U_ASIN, U_ACOS, U_ATAN, U_SINH,
    U_COSH, U_ATANH, U_SQUARE, U_NOT, U_IDENT
};

static float round_half_even(float x) {
    float r = rintf(x); /* default rounding mode: to nearest, ties to even */
    return r;
}

static float unary1(int op, float x) {
    switch (op) {
    case U_RELU: return x > 0 || x != x ? x : 0.0f;
    case U_RELU6: return x != x ? x : x < 0 ? 0 : x > 6 ? 6 : x;
    case U_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case U_TANH: return tanhf(x);
    case U_SILU: return x / (1.0f + expf(-x));
    case U_SOFTPLUS: return log1pf(expf(-fabsf(x))) + (x > 0 ? x : 0);
    case U_SOFTSIGN: return x / (1.0f + fabsf(x));
    case U_ERF: return erff(x);
    case U_EXP: return expf(x);
    case U_EXP2: return exp2f(x);
    case U_SQRT: return sqrtf(x);
    case U_ABS: return fabsf(x);
    case U_CEIL: return ceilf(x);
    case U_FLOOR: return floorf(x);
    case U_ROUND: return round_half_even(x);
    case U_SIGN: return x > 0 ? 1.0f : x < 0 ? -1.0f : 0.0f;
    case U_SIN: return sinf(x);
    case U_COS: return cosf(x);
    case U_TAN: return tanf(x);
    case U_ASIN: return asinf(x);
    case U_ACOS: return acosf(x);
    case U_ATAN: return atanf(x);
    case U_SINH: return sinhf(x);
    case U_COSH: return coshf(x);
    case U_ATANH: return atanhf(x);
    case U_SQUARE: return x * x;
    case U_NOT: return x == 0;
    default: return x;
    }
}

typedef struct unary_job {
    int op;
    const float *x;
    float *y;
} unary_job;

EXEC_HOT static void unary_range(void *arg, size_t b, size_t e, int range) {
    const unary_job *j = arg;
    (void)range;
    if (j->op == U_RELU) {
        for (size_t i = b; i < e; i++) { float v = j->x[i]; j->y[i] = v > 0 || v != v ? v : 0.0f; }
    } else {
        for (size_t i = b; i < e; i++) j->y[i] = unary1(j->op, j->x[i]);
    }
}

static int unary(xctx *c, int op) {
    const xt *x = X(c);
    NEED(x, "x");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (op == U_IDENT) {
        exec_copy(y, x);
    } else {
        unary_job j = {op, x->d, y->d};
        exec_par_for(c->p, x->n, op == U_RELU ? 1u << 15 : 1u << 12, unary_range, &j);
    }
    return 0;
}

#define UNARY(name, op) static int k_##name(xctx *c) { return unary(c, op); }
/* SOURCE: ops/defs/iOS15/activation.py (relu, relu6, sigmoid, silu, softplus,
 * softsign) and elementwise_unary.py (the math functions). */
UNARY(relu, U_RELU)
UNARY(relu6, U_RELU6)
UNARY(sigmoid, U_SIGMOID)
UNARY(tanh, U_TANH)
UNARY(silu, U_SILU)
UNARY(softplus, U_SOFTPLUS)
UNARY(softsign, U_SOFTSIGN)
UNARY(erf, U_ERF)
UNARY(exp, U_EXP)
UNARY(exp2, U_EXP2)
UNARY(sqrt, U_SQRT)
UNARY(abs, U_ABS)
UNARY(ceil, U_CEIL)
UNARY(floor, U_FLOOR)
UNARY(round, U_ROUND)
UNARY(sign, U_SIGN)
UNARY(sin, U_SIN)
UNARY(cos, U_COS)
UNARY(tan, U_TAN)
UNARY(asin, U_ASIN)
UNARY(acos, U_ACOS)
UNARY(atan, U_ATAN)
UNARY(sinh, U_SINH)
UNARY(cosh, U_COSH)
UNARY(atanh, U_ATANH)
UNARY(square, U_SQUARE)
UNARY(logical_not, U_NOT)
UNARY(identity, U_IDENT)

/* SOURCE: elementwise_unary.py: log(x + epsilon) (default 1e-45),
 * rsqrt = 1/sqrt(x + epsilon) (1e-12), inverse = 1/(x + epsilon) (1e-4). */
static int k_log(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    float eps = (float)exec_pf(c, "epsilon", 1e-45);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) y->d[i] = logf(x->d[i] + eps);
    return 0;
}

static int k_rsqrt(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    float eps = (float)exec_pf(c, "epsilon", 1e-12);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) y->d[i] = 1.0f / sqrtf(x->d[i] + eps);
    return 0;
}

static int k_inverse(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    float eps = (float)exec_pf(c, "epsilon", 1e-4);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) y->d[i] = 1.0f / (x->d[i] + eps);
    return 0;
}

enum { A_CLIP, A_LEAKY, A_ELU, A_THRESH_RELU, A_THRESHOLD, A_SIGMOID_HARD, A_LINEAR, A_SCALED_TANH, A_CLAMPED };

static int act_ab(xctx *c, int kind) {
    const xt *x = X(c);
    NEED(x, "x");
    float a = (float)exec_pf(c, "alpha", kind == A_SIGMOID_HARD ? 0.2 : kind == A_LEAKY ? 0.01 : 1.0);
    float b = (float)exec_pf(c, "beta", kind == A_SIGMOID_HARD ? 0.5 : kind == A_SCALED_TANH ? 1.0 : 0.0);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    const float *xd = x->d;
    float *yd = y->d;
    size_t n = x->n;
    switch (kind) {
    case A_CLIP: /* SOURCE: elementwise_unary.py clip: min(max(x, alpha), beta) */
        for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v != v ? v : v < a ? a : v > b ? b : v; }
        break;
    case A_LEAKY: /* SOURCE: activation.py leaky_relu: x if x >= 0 else alpha*x */
        for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v < 0 ? a * v : v; }
        break;
    case A_ELU: /* SOURCE: activation.py elu: x if x > 0 else alpha*(e^x - 1) */
        for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v < 0 ? a * expm1f(v) : v; }
        break;
    case A_THRESH_RELU: /* SOURCE: activation.py thresholded_relu: x if x >= alpha else 0 */
        for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v < a ? 0.0f : v; }
        break;
    case A_THRESHOLD: /* SOURCE: elementwise_unary.py threshold: max(x, alpha) */
        for (size_t i = 0; i < n; i++) { float v = xd[i]; yd[i] = v < a ? a : v; }
        break;
    case A_SIGMOID_HARD: /* SOURCE: activation.py sigmoid_hard: min(max(alpha*x + beta, 0), 1) */
        for (size_t i = 0; i < n; i++) { float v = a * xd[i] + b; yd[i] = v < 0 ? 0 : v > 1 ? 1 : v; }
        break;
    case A_LINEAR: /* SOURCE: activation.py linear_activation: alpha*x + beta */
        for (size_t i = 0; i < n; i++) yd[i] = a * xd[i] + b;
        break;
    case A_SCALED_TANH: /* SOURCE: activation.py scaled_tanh: alpha*tanh(beta*x) */
        for (size_t i = 0; i < n; i++) yd[i] = a * tanhf(b * xd[i]);
        break;
    case A_CLAMPED: /* SOURCE: activation.py clamped_relu: min(max(x,0),beta) + min(min(x,0)*alpha, beta) */
        for (size_t i = 0; i < n; i++) {
            float v = xd[i], p = v > 0 ? v : 0, q = v < 0 ? v * a : 0;
            yd[i] = (p < b ? p : b) + (q < b ? q : b);
        }
        break;
    default: break;
    }
    return 0;
}

static int k_clip(xctx *c) { return act_ab(c, A_CLIP); }
static int k_leaky_relu(xctx *c) { return act_ab(c, A_LEAKY); }
static int k_elu(xctx *c) { return act_ab(c, A_ELU); }
static int k_thresholded_relu(xctx *c) { return act_ab(c, A_THRESH_RELU); }
static int k_threshold(xctx *c) { return act_ab(c, A_THRESHOLD); }
static int k_sigmoid_hard(xctx *c) { return act_ab(c, A_SIGMOID_HARD); }
static int k_linear_activation(xctx *c) { return act_ab(c, A_LINEAR); }
static int k_scaled_tanh(xctx *c) { return act_ab(c, A_SCALED_TANH); }
static int k_clamped_relu(xctx *c) { return act_ab(c, A_CLAMPED); }

/* SOURCE: activation.py gelu: EXACT 0.5x(1+erf(x/sqrt2)); TANH_APPROXIMATION
 * 0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3))); SIGMOID_APPROXIMATION x*sigmoid(1.702x). */
static int k_gelu(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    const char *mode = exec_ps(c, "mode");
    if (!mode) mode = "EXACT";
    int m = !strcmp(mode, "EXACT") ? 0 : !strcmp(mode, "TANH_APPROXIMATION") ? 1
          : !strcmp(mode, "SIGMOID_APPROXIMATION") ? 2 : -1;
    if (m < 0) return exec_fail(c, "unknown gelu mode '%s'", mode);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) {
        double v = x->d[i];
        double r = m == 0 ? 0.5 * v * (1.0 + erf(v / sqrt(2.0)))
                 : m == 1 ? 0.5 * v * (1.0 + tanh(0.7978845608028654 /* sqrt(2/pi) */ * (v + 0.044715 * v * v * v)))
                 : v / (1.0 + exp(-1.702 * v));
        y->d[i] = (float)r;
    }
    return 0;
}

/* per-channel alpha/beta on axis 1. SOURCE: ops/defs/iOS15/activation.py
 * prelu (x of rank 3, 4 or 5, alpha of length x.shape[1], broadcast "on all
 * dims besides the channel (2nd) dim") and softplus_parametric (rank >= 3,
 * alpha and beta of length x.shape[1], the same broadcast). */
static int chan_act(xctx *c, int kind) {
    const xt *x = X(c), *al = exec_in(c, "alpha"), *be = exec_in(c, "beta");
    NEED(x, "x");
    NEED(al, "alpha");
    if (x->rank < 3) return exec_fail(c, "input rank must be at least 3");
    int64_t C = x->dim[1], HW = 1;
    for (int d = 2; d < x->rank; d++) HW *= x->dim[d];
    if ((int64_t)al->n != C && al->n != 1) return exec_fail(c, "alpha length %zu != channels %lld", al->n, (long long)C);
    if (be && be->d && (int64_t)be->n != C && be->n != 1) return exec_fail(c, "beta length != channels");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) {
        size_t ch = (size_t)((int64_t)i / HW % C);
        float a = al->d[al->n == 1 ? 0 : ch], v = x->d[i];
        if (kind == 0) y->d[i] = v > 0 ? v : a * v;
        else {
            float b = be && be->n ? be->d[be->n == 1 ? 0 : ch] : 1.0f;
            y->d[i] = a * log1pf(expf(b * v));
        }
    }
    return 0;
}
static int k_prelu(xctx *c) { return chan_act(c, 0); }
static int k_softplus_parametric(xctx *c) { return chan_act(c, 1); }

/* ---- binary --------------------------------------------------------------------- */

static int binary(xctx *c, int op) {
    const xt *a = exec_in(c, "x"), *b = exec_in(c, "y");
    NEED(a, "x");
    NEED(b, "y");
    int r;
    int64_t dim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(a, b, &r, dim) != 0) return exec_fail(c, "shapes do not broadcast");
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (y->n) exec_binary_par(c->p, op, a, b, y);
    return 0;
}

#define BINARY(name, op) static int k_##name(xctx *c) { return binary(c, op); }
/* SOURCE: ops/defs/iOS15/elementwise_binary.py (NumPy broadcasting) */
BINARY(add, BIN_ADD)
BINARY(sub, BIN_SUB)
BINARY(mul, BIN_MUL)
BINARY(real_div, BIN_DIV)
BINARY(maximum, BIN_MAX)
BINARY(minimum, BIN_MIN)
BINARY(pow, BIN_POW)
BINARY(floor_div, BIN_FLOORDIV)
BINARY(mod, BIN_MOD)
BINARY(equal, BIN_EQ)
BINARY(not_equal, BIN_NE)
BINARY(greater, BIN_GT)
BINARY(greater_equal, BIN_GE)
BINARY(less, BIN_LT)
BINARY(less_equal, BIN_LE)
BINARY(logical_and, BIN_AND)
BINARY(logical_or, BIN_OR)
BINARY(logical_xor, BIN_XOR)

/* SOURCE: ops/defs/iOS15/control_flow.py select: cond ? a : b, broadcast */
static int k_select(xctx *c) {
    const xt *cd = exec_in(c, "cond"), *a = exec_in(c, "a"), *b = exec_in(c, "b");
    NEED(cd, "cond");
    NEED(a, "a");
    NEED(b, "b");
    int r1, r;
    int64_t d1[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    if (exec_broadcast_shape(a, b, &r1, d1) != 0) return exec_fail(c, "shapes do not broadcast");
    xt ab = {.rank = r1};
    memcpy(ab.dim, d1, sizeof d1);
    if (exec_broadcast_shape(cd, &ab, &r, dim) != 0) return exec_fail(c, "shapes do not broadcast");
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    /* y = a*(cond!=0) + b*(cond==0) via two broadcasts into temporaries */
    xt m = {.rank = r, .n = y->n}, ta = m, tb = m;
    memcpy(m.dim, dim, sizeof dim);
    ta = m;
    tb = m;
    float *buf = malloc((y->n ? y->n : 1) * 3 * sizeof(float));
    if (!buf) return exec_fail(c, "out of memory");
    xt one = {.rank = 0, .n = 1};
    float zero = 0.0f;
    one.d = &zero;
    m.d = buf; ta.d = buf + y->n; tb.d = buf + 2 * y->n;
    exec_binary(BIN_NE, cd, &one, &m);
    exec_binary(BIN_ADD, a, &one, &ta);
    exec_binary(BIN_ADD, b, &one, &tb);
    for (size_t i = 0; i < y->n; i++) y->d[i] = m.d[i] != 0 ? ta.d[i] : tb.d[i];
    free(buf);
    return 0;
}

/* ---- normalisation ---------------------------------------------------------------- */

static int norm_axis(xctx *c, int64_t a, int rank) {
    int r = exec_axis((int)a, rank);
    if (r < 0) exec_fail(c, "axis %lld out of range for rank %d", (long long)a, rank);
    return r;
}

static int k_softmax(xctx *c) {
    /* SOURCE: activation.py softmax: axis default -1 */
    const xt *x = X(c);
    NEED(x, "x");
    int axis = norm_axis(c, exec_pi(c, "axis", -1), x->rank);
    if (axis < 0) return -1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (x->n) exec_softmax_axis(x->d, y->d, x->rank, x->dim, axis);
    return 0;
}

/* normalise over the axes in mask: y = (x - mean) / sqrt(var + eps) */
static int normalize(xctx *c, const xt *x, unsigned mask, float eps, float *y) {
    xt mean = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) mean.dim[i] = (mask & (1u << i)) ? 1 : x->dim[i];
    mean.n = exec_count(mean.rank, mean.dim);
    float *buf = malloc((mean.n ? mean.n : 1) * 2 * sizeof(float));
    if (!buf) return exec_fail(c, "out of memory");
    mean.d = buf;
    exec_reduce(RED_MEAN, x, mask, mean.d);
    xt diff = *x;
    diff.d = y;
    exec_binary(BIN_SUB, x, &mean, &diff);
    xt var = mean;
    var.d = buf + mean.n;
    xt sq = diff;
    /* variance: mean of squared deviations (two-pass, stable) */
    float *tmp = malloc((x->n ? x->n : 1) * sizeof(float));
    if (!tmp) { free(buf); return exec_fail(c, "out of memory"); }
    for (size_t i = 0; i < x->n; i++) tmp[i] = y[i] * y[i];
    sq.d = tmp;
    exec_reduce(RED_MEAN, &sq, mask, var.d);
    free(tmp);
    for (size_t i = 0; i < var.n; i++) var.d[i] = (float)(1.0 / sqrt((double)var.d[i] + eps));
    exec_binary(BIN_MUL, &diff, &var, &diff);
    free(buf);
    return 0;
}

/* SOURCE: ops/defs/iOS15/normalization.py layer_norm: out = gamma * (x - E[x]) /
 * sqrt(Var[x] + epsilon) + beta over `axes` (default all), gamma/beta shaped
 * x.shape[axes]; epsilon default 1e-5. */
static int k_layer_norm(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t ax[EXEC_MAX_RANK];
    int na = exec_pints(c, "axes", ax, EXEC_MAX_RANK);
    unsigned mask = 0;
    if (na < 0) mask = (1u << x->rank) - 1u;
    for (int i = 0; i < na; i++) {
        int a = norm_axis(c, ax[i], x->rank);
        if (a < 0) return -1;
        mask |= 1u << a;
    }
    float eps = (float)exec_pf(c, "epsilon", 1e-5);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (normalize(c, x, mask, eps, y->d) != 0) return -1;
    const xt *g = exec_in(c, "gamma"), *b = exec_in(c, "beta");
    /* gamma/beta laid out over the normalised axes */
    xt gv = {.rank = x->rank};
    for (int i = 0; i < x->rank; i++) gv.dim[i] = (mask & (1u << i)) ? x->dim[i] : 1;
    gv.n = exec_count(gv.rank, gv.dim);
    if (g && g->d) {
        if (g->n != gv.n) return exec_fail(c, "gamma has %zu values, expected %zu", g->n, gv.n);
        gv.d = g->d;
        exec_binary(BIN_MUL, y, &gv, y);
    }
    if (b && b->d) {
        if (b->n != gv.n) return exec_fail(c, "beta has %zu values, expected %zu", b->n, gv.n);
        gv.d = b->d;
        exec_binary(BIN_ADD, y, &gv, y);
    }
    return 0;
}

/* SOURCE: normalization.py batch_norm: y = gamma*(x-mean)/sqrt(var+eps)+beta
 * per channel (axis 1), x rank 3..5, epsilon 1e-5. */
static int k_batch_norm(xctx *c) {
    const xt *x = X(c), *mean = exec_in(c, "mean"), *var = exec_in(c, "variance");
    NEED(x, "x");
    NEED(mean, "mean");
    NEED(var, "variance");
    const xt *g = exec_in(c, "gamma"), *b = exec_in(c, "beta");
    float eps = (float)exec_pf(c, "epsilon", 1e-5);
    if (x->rank < 2) return exec_fail(c, "rank must be at least 2");
    int64_t C = x->dim[1], inner = 1;
    for (int i = 2; i < x->rank; i++) inner *= x->dim[i];
    if ((int64_t)mean->n != C || (int64_t)var->n != C) return exec_fail(c, "mean/variance length != channels");
    if ((g && g->d && (int64_t)g->n != C) || (b && b->d && (int64_t)b->n != C))
        return exec_fail(c, "gamma/beta length != channels");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    for (size_t i = 0; i < x->n; i++) {
        size_t ch = (size_t)((int64_t)i / inner % C);
        double s = 1.0 / sqrt((double)var->d[ch] + eps) * (g && g->d ? g->d[ch] : 1.0f);
        y->d[i] = (float)((x->d[i] - mean->d[ch]) * s + (b && b->d ? b->d[ch] : 0.0f));
    }
    return 0;
}

/* SOURCE: normalization.py instance_norm: per (n, c) over the spatial dims,
 * gamma/beta per channel, epsilon 1e-5. */
static int k_instance_norm(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    unsigned mask = 0;
    for (int i = 2; i < x->rank; i++) mask |= 1u << i;
    float eps = (float)exec_pf(c, "epsilon", 1e-5);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (normalize(c, x, mask, eps, y->d) != 0) return -1;
    const xt *g = exec_in(c, "gamma"), *b = exec_in(c, "beta");
    int64_t C = x->dim[1], inner = (int64_t)(x->n / exec_nz(x->dim[0] * C));
    if ((g && g->d && (int64_t)g->n != C) || (b && b->d && (int64_t)b->n != C))
        return exec_fail(c, "gamma/beta length != channels");
    for (size_t i = 0; i < x->n; i++) {
        size_t ch = (size_t)((int64_t)i / inner % C);
        y->d[i] = y->d[i] * (g && g->d ? g->d[ch] : 1.0f) + (b && b->d ? b->d[ch] : 0.0f);
    }
    return 0;
}

/* ---- reductions ----------------------------------------------------------------------- */

static int reduce(xctx *c, int op) {
    /* SOURCE: ops/defs/iOS15/reduction.py: axes default all, keep_dims default
     * False; reduce_argmax/argmin take one `axis` (default -1). */
    const xt *x = X(c);
    NEED(x, "x");
    bool keep = exec_pb(c, "keep_dims", false);
    unsigned mask = 0;
    if (op == RED_ARGMAX || op == RED_ARGMIN) {
        int a = norm_axis(c, exec_pi(c, "axis", -1), x->rank);
        if (a < 0) return -1;
        mask = 1u << a;
    } else {
        int64_t ax[EXEC_MAX_RANK];
        int na = exec_pints(c, "axes", ax, EXEC_MAX_RANK);
        if (na < 0) mask = x->rank ? (1u << x->rank) - 1u : 0;
        for (int i = 0; i < na; i++) {
            int a = norm_axis(c, ax[i], x->rank);
            if (a < 0) return -1;
            mask |= 1u << a;
        }
    }
    int64_t dim[EXEC_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (mask & (1u << i)) { if (keep) dim[r++] = 1; }
        else dim[r++] = x->dim[i];
    }
    xt *y = exec_out(c, 0, r, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (op == RED_ARGMAX || op == RED_ARGMIN) y->dt = EXEC_DT_INT32;
    exec_reduce(op, x, mask, y->d);
    return 0;
}
#define REDUCE(name, op) static int k_##name(xctx *c) { return reduce(c, op); }
REDUCE(reduce_sum, RED_SUM)
REDUCE(reduce_mean, RED_MEAN)
REDUCE(reduce_max, RED_MAX)
REDUCE(reduce_min, RED_MIN)
REDUCE(reduce_prod, RED_PROD)
REDUCE(reduce_l1_norm, RED_L1)
REDUCE(reduce_l2_norm, RED_L2)
REDUCE(reduce_log_sum, RED_LOGSUM)
REDUCE(reduce_log_sum_exp, RED_LOGSUMEXP)
REDUCE(reduce_sum_square, RED_SUMSQ)
REDUCE(reduce_argmax, RED_ARGMAX)
REDUCE(reduce_argmin, RED_ARGMIN)

/* ---- linear algebra ---------------------------------------------------------------------- */

/* SOURCE: ops/defs/iOS15/linear.py linear: y = x * weight^T + bias,
 * weight [D_out, D_in]. */
static int k_linear(xctx *c) {
    const xt *x = X(c), *w = exec_in_w(c, "weight"), *b = exec_in(c, "bias");
    NEED(x, "x");
    NEED(w, "weight");
    if (x->rank < 1 || w->rank != 2) return exec_fail(c, "bad ranks (x %d, weight %d)", x->rank, w->rank);
    int64_t K = x->dim[x->rank - 1], N = w->dim[0];
    if (w->dim[1] != K) return exec_fail(c, "x has %lld features, weight expects %lld", (long long)K, (long long)w->dim[1]);
    if (b && b->d && (int64_t)b->n != N) return exec_fail(c, "bias length %zu != %lld", b->n, (long long)N);
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[x->rank - 1] = N;
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t M = K ? x->n / (size_t)K : 0;
    if (M && N && exec_linear_w(c, x->d, M, K, w, b && b->d ? b->d : NULL, N, y->d) != 0) return -1;
    return 0;
}

/* SOURCE: linear.py matmul: NumPy matmul rules (rank-1 operands promoted and
 * the inserted dim removed), batch dims broadcast, transpose_x/transpose_y
 * swap the last two dims first. */
static int k_matmul(xctx *c) {
    const xt *a = exec_in(c, "x"), *b = exec_in(c, "y");
    NEED(a, "x");
    NEED(b, "y");
    bool ta = exec_pb(c, "transpose_x", false), tb = exec_pb(c, "transpose_y", false);
    if (a->rank < 1 || b->rank < 1) return exec_fail(c, "matmul operands must have rank >= 1");
    xt A = *a, B = *b;
    bool a1 = a->rank == 1, b1 = b->rank == 1;
    if (a1) { A.rank = 2; A.dim[0] = 1; A.dim[1] = a->dim[0]; ta = false; }
    if (b1) { B.rank = 2; B.dim[0] = b->dim[0]; B.dim[1] = 1; tb = false; }
    int64_t M = ta ? A.dim[A.rank - 1] : A.dim[A.rank - 2], K = ta ? A.dim[A.rank - 2] : A.dim[A.rank - 1];
    int64_t K2 = tb ? B.dim[B.rank - 1] : B.dim[B.rank - 2], N = tb ? B.dim[B.rank - 2] : B.dim[B.rank - 1];
    if (K != K2) return exec_fail(c, "inner dimensions differ (%lld vs %lld)", (long long)K, (long long)K2);
    xt ba = {.rank = A.rank - 2}, bb = {.rank = B.rank - 2};
    for (int i = 0; i < ba.rank; i++) ba.dim[i] = A.dim[i];
    for (int i = 0; i < bb.rank; i++) bb.dim[i] = B.dim[i];
    int br;
    int64_t bd[EXEC_MAX_RANK];
    if (exec_broadcast_shape(&ba, &bb, &br, bd) != 0 || br + 2 > EXEC_MAX_RANK)
        return exec_fail(c, "batch dimensions do not broadcast");
    int64_t od[EXEC_MAX_RANK];
    int orank = 0;
    for (int i = 0; i < br; i++) od[orank++] = bd[i];
    if (!a1) od[orank++] = M;
    if (!b1) od[orank++] = N;
    xt *y = exec_out(c, 0, orank, od);
    if (!y) return exec_fail(c, "out of memory");
    size_t nb = exec_count(br, bd);
    int64_t sa = A.dim[A.rank - 2] * A.dim[A.rank - 1], sb = B.dim[B.rank - 2] * B.dim[B.rank - 1];
    int64_t idx[EXEC_MAX_RANK] = {0};
    for (size_t bi = 0; bi < nb; bi++) {
        /* offsets of the broadcast batch index in A and B */
        int64_t oa = 0, ob = 0, ma = 1, mb = 1;
        for (int d = br - 1; d >= 0; d--) {
            int ia = d - (br - ba.rank), ib = d - (br - bb.rank);
            if (ia >= 0) { oa += (ba.dim[ia] == 1 ? 0 : idx[d]) * ma; ma *= ba.dim[ia]; }
            if (ib >= 0) { ob += (bb.dim[ib] == 1 ? 0 : idx[d]) * mb; mb *= bb.dim[ib]; }
        }
        if (M && N)
            exec_gemm(c->p, ta, tb, M, N, K, a->d + oa * sa, A.dim[A.rank - 1], b->d + ob * sb, B.dim[B.rank - 1],
                      y->d + bi * (size_t)(M * N), N);
        exec_idx_next(idx, br, bd);
    }
    return 0;
}

/* ---- convolution and pooling -------------------------------------------------------------- */

/* spatial params of conv/pool: strides, dilations, pads (top, bottom, left,
 * right); x is the rank-4 view, nsp the op's own spatial dims (1 for a 1-D
 * op: one stride and dilation, pad [left, right]) */
static int spatial(xctx *c, const xt *x, int nsp, int64_t kh, int64_t kw, bool is_pool, int64_t s[2], int64_t d[2],
                   int64_t pad[4], bool *ceil_mode) {
    int64_t v[8];
    s[0] = s[1] = d[0] = d[1] = 1;
    pad[0] = pad[1] = pad[2] = pad[3] = 0;
    int n = exec_pints(c, "strides", v, 8);
    if (n == 2) { s[0] = v[0]; s[1] = v[1]; }
    else if (n == 1 && nsp == 1) s[1] = v[0];
    n = exec_pints(c, "dilations", v, 8);
    if (n == 2) { d[0] = v[0]; d[1] = v[1]; }
    else if (n == 1 && nsp == 1) d[1] = v[0];
    if (s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1) return exec_fail(c, "strides/dilations must be >= 1");
    /* past 2^31 no stride, dilation or pad describes a tensor that fits in
     * memory, and (k - 1) * dilation or pad + pad wrapped int64 (an audit's
     * conv with dilation 2^62); a pool's huge kernel is fine (its window
     * count is taken in double) */
    const int64_t lim = EXEC_GEOM_MAX;
    int64_t ekh, ekw;
    if (s[0] > lim || s[1] > lim || d[0] > lim || d[1] > lim || kh < 1 || kw < 1 ||
        __builtin_mul_overflow(kh - 1, d[0], &ekh) || __builtin_mul_overflow(kw - 1, d[1], &ekw) ||
        ekh > INT64_MAX / 4 || ekw > INT64_MAX / 4)
        return exec_fail(c, "kernel, strides or dilations out of range");
    const char *pt = exec_ps(c, "pad_type");
    if (!pt) pt = is_pool ? "valid" : "valid";
    *ceil_mode = is_pool && exec_pb(c, "ceil_mode", false);
    int64_t H = x->dim[x->rank - 2], W = x->dim[x->rank - 1];
    int64_t ek[2] = {(kh - 1) * d[0] + 1, (kw - 1) * d[1] + 1}, in[2] = {H, W};
    if (!strcmp(pt, "custom")) {
        n = exec_pints(c, "pad", v, 8);
        if (n == 4) { pad[0] = v[0]; pad[1] = v[1]; pad[2] = v[2]; pad[3] = v[3]; }
        else if (n == 2 && nsp == 1) { pad[2] = v[0]; pad[3] = v[1]; }
        else if (n > 0) return exec_fail(c, "pad must have 2 values per spatial dimension");
        for (int k = 0; k < 4; k++)
            if (pad[k] < -lim || pad[k] > lim) return exec_fail(c, "pad %lld out of range", (long long)pad[k]);
    } else if (!strcmp(pt, "same") || !strcmp(pt, "same_lower")) {
        /* SOURCE: ops/defs/_utils.py aggregated_pad: total = max(0, s*ceil(i/s) - i + k - s);
         * same puts the odd pixel after, same_lower before. */
        for (int k = 0; k < 2; k++) {
            int64_t o = (in[k] + s[k] - 1) / s[k];
            int64_t tot = (o - 1) * s[k] + ek[k] - in[k];
            if (tot < 0) tot = 0;
            int64_t lo = !strcmp(pt, "same") ? tot / 2 : tot - tot / 2;
            pad[2 * k] = lo;
            pad[2 * k + 1] = tot - lo;
        }
    } else if (strcmp(pt, "valid") != 0) {
        return exec_fail(c, "unknown pad_type '%s'", pt);
    }
    return 0;
}

/* SOURCE: ops/defs/_utils.py spatial_dimensions_out_shape (ceil_mode drops a
 * last window that starts in the right padding). */
static int64_t out_dim(int64_t in, int64_t ek, int64_t s, int64_t p0, int64_t p1, bool ceil_mode) {
    int64_t tot = p0 + p1;
    if (!ceil_mode) return (in + tot - ek) / s + 1;
    int64_t o = (in + tot - ek + s - 1) / s + 1;
    if (tot > 0 && (o - 1) * s >= in + p0) o--;
    return o;
}

/* treat rank-3 (1-D) inputs as [N, C, 1, W] */
static void as2d(const xt *x, xt *v) {
    *v = *x;
    if (x->rank == 3) {
        v->rank = 4;
        v->dim[3] = x->dim[2];
        v->dim[2] = 1;
    }
}

/* SOURCE: ops/defs/iOS15/conv.py conv: x [n, C_in, *d_in], weight
 * [C_out, C_in/groups, *K], out floor((d + pads - (K-1)*dil - 1)/s) + 1. */
static int conv_run(xctx *c, const xt *x0, const xt *w, const xt *b) {
    NEED(x0, "x");
    NEED(w, "weight");
    if (x0->rank == 5) {
        if (w->rank != 5) return exec_fail(c, "weight rank %d does not match input rank 5", w->rank);
        const float *wd = exec_dense(c, w); /* a stored-form weight decoded for this step */
        if (!wd) return exec_fail(c, "out of memory (weights)");
        return mil_conv3d(c, x0, wd, w->dim, b && b->d ? b->d : NULL, b && b->d ? b->n : 0, false);
    }
    if (x0->rank != 4 && x0->rank != 3) return exec_fail(c, "convolution needs an input of rank 3, 4 or 5");
    if (w->rank != x0->rank) return exec_fail(c, "weight rank %d does not match input rank %d", w->rank, x0->rank);
    xt x;
    as2d(x0, &x);
    int64_t groups = exec_pi(c, "groups", 1);
    int64_t cout = w->dim[0], kh = w->rank == 4 ? w->dim[2] : 1, kw = w->dim[w->rank - 1];
    int64_t cin = x.dim[1];
    if (groups < 1 || cin % groups || cout % groups || w->dim[1] * groups != cin)
        return exec_fail(c, "channels (%lld in, weight %lld x %lld) do not match groups %lld", (long long)cin,
                         (long long)cout, (long long)w->dim[1], (long long)groups);
    if (b && b->d && (int64_t)b->n != cout) return exec_fail(c, "bias length != output channels");
    if (kh < 1 || kw < 1) return exec_fail(c, "empty kernel");
    int64_t s[2], d[2], pad[4];
    bool cm;
    if (spatial(c, &x, x0->rank - 2, kh, kw, false, s, d, pad, &cm) != 0) return -1;
    int64_t ho = out_dim(x.dim[2], (kh - 1) * d[0] + 1, s[0], pad[0], pad[1], false);
    int64_t wo = out_dim(x.dim[3], (kw - 1) * d[1] + 1, s[1], pad[2], pad[3], false);
    if (ho < 1 || wo < 1) return exec_fail(c, "empty output");
    int64_t od[4] = {x.dim[0], cout, ho, wo};
    xt *y = x0->rank == 3 ? exec_out(c, 0, 3, (int64_t[]){x.dim[0], cout, wo}) : exec_out(c, 0, 4, od);
    if (!y) return exec_fail(c, "out of memory");
    xt yv = *y;
    yv.rank = 4;
    memcpy(yv.dim, od, sizeof od);
    /* the executor's own GEMM, with a following add / relu fused where the plan allows */
    int fr = exec_conv2d_fast(c, &x, w, b && b->d ? b->d : NULL, cout, groups, kh, kw, s, d, pad, &yv, true);
    if (fr <= 0) return fr;
    return exec_conv2d_w(c, &x, w, b && b->d ? b->d : NULL, cout, groups, kh, kw, s, d, pad, &yv);
}

static int k_conv(xctx *c) { return conv_run(c, X(c), exec_in_w(c, "weight"), exec_in(c, "bias")); }

/* SOURCE: ops/defs/iOS15/conv.py conv_quantized: weight uint8, "linear":
 * W = W_q * quant_scale + quant_bias (scalars or one per output channel).
 * "lut" gives no formula in the definition; the executor reads quant_scale
 * as the 2^nbits-entry table (the only parameter that can hold one). */
static int k_conv_quantized(xctx *c) {
    const xt *w = exec_in(c, "weight"), *qs = exec_in(c, "quant_scale"), *qb = exec_in(c, "quant_bias");
    NEED(w, "weight");
    NEED(qs, "quant_scale");
    const char *qt = exec_ps(c, "quantization_type");
    bool lut = qt && !strcmp(qt, "lut");
    if (!qt || (!lut && strcmp(qt, "linear"))) return exec_fail(c, "quantization_type must be linear or lut");
    int64_t nbits = exec_pi(c, "nbits", 8), cout = w->rank ? w->dim[0] : 1;
    if (nbits < 1 || nbits > 8) return exec_fail(c, "nbits %lld out of range", (long long)nbits);
    if (lut && (int64_t)qs->n != ((int64_t)1 << nbits)) return exec_fail(c, "a lut needs 2^nbits quant_scale values");
    if (!lut && ((qs->n != 1 && (int64_t)qs->n != cout) || !qb || !qb->d || (qb->n != 1 && (int64_t)qb->n != cout)))
        return exec_fail(c, "quant_scale / quant_bias must hold 1 or %lld values", (long long)cout);
    xt wd = *w;
    wd.d = malloc((w->n ? w->n : 1) * sizeof(float));
    if (!wd.d) return exec_fail(c, "out of memory");
    size_t per = w->n / exec_nz(cout);
    for (size_t i = 0; i < w->n; i++) {
        float q = w->d[i];
        size_t o = i / (per ? per : 1);
        if (q < 0 || q >= (float)(1 << nbits)) { free(wd.d); return exec_fail(c, "quantized weight %g out of range", (double)q); }
        wd.d[i] = lut ? qs->d[(size_t)q] : q * qs->d[qs->n == 1 ? 0 : o] + qb->d[qb->n == 1 ? 0 : o];
    }
    int rc = conv_run(c, X(c), &wd, exec_in(c, "bias"));
    free(wd.d);
    return rc;
}

static int k_conv_transpose(xctx *c) {
    const xt *x0 = X(c), *w = exec_in(c, "weight"), *b = exec_in(c, "bias");
    NEED(x0, "x");
    NEED(w, "weight");
    if (x0->rank == 5) {
        if (w->rank != 5) return exec_fail(c, "weight rank %d does not match input rank 5", w->rank);
        return mil_conv3d(c, x0, w->d, w->dim, b && b->d ? b->d : NULL, b && b->d ? b->n : 0, true);
    }
    if (x0->rank != 4 && x0->rank != 3) return exec_fail(c, "transposed convolution needs an input of rank 3, 4 or 5");
    if (w->rank != x0->rank) return exec_fail(c, "weight rank %d does not match input rank %d", w->rank, x0->rank);
    xt x;
    as2d(x0, &x);
    int64_t groups = exec_pi(c, "groups", 1);
    int64_t cin = x.dim[1], cout = w->dim[1] * groups, kh = w->rank == 4 ? w->dim[2] : 1, kw = w->dim[w->rank - 1];
    if (w->dim[0] != cin || groups < 1 || cin % groups || kh < 1 || kw < 1)
        return exec_fail(c, "weight does not match the input channels");
    if (b && b->d && (int64_t)b->n != cout) return exec_fail(c, "bias length != output channels");
    int64_t s[2] = {1, 1}, d[2] = {1, 1}, pad[4] = {0, 0, 0, 0}, v[8];
    int n = exec_pints(c, "strides", v, 8);
    if (n == 2) { s[0] = v[0]; s[1] = v[1]; } else if (n == 1) s[1] = v[0];
    n = exec_pints(c, "dilations", v, 8);
    if (n == 2) { d[0] = v[0]; d[1] = v[1]; } else if (n == 1) d[1] = v[0];
    const char *pt = exec_ps(c, "pad_type");
    if (!pt) pt = "valid";
    int64_t H = x.dim[2], W = x.dim[3], ho, wo;
    int64_t full_h = (H - 1) * s[0] + (kh - 1) * d[0] + 1, full_w = (W - 1) * s[1] + (kw - 1) * d[1] + 1;
    if (!strcmp(pt, "custom")) {
        n = exec_pints(c, "pad", v, 8);
        if (n == 4) { pad[0] = v[0]; pad[1] = v[1]; pad[2] = v[2]; pad[3] = v[3]; }
        else if (n == 2) { pad[2] = v[0]; pad[3] = v[1]; }
        ho = full_h - pad[0] - pad[1];
        wo = full_w - pad[2] - pad[3];
    } else if (!strcmp(pt, "same")) {
        ho = H * s[0];
        wo = W * s[1];
        int64_t th = full_h - ho, tw = full_w - wo;
        pad[0] = th > 0 ? th / 2 : 0; pad[1] = th > 0 ? th - pad[0] : 0;
        pad[2] = tw > 0 ? tw / 2 : 0; pad[3] = tw > 0 ? tw - pad[2] : 0;
    } else {
        ho = full_h;
        wo = full_w;
    }
    n = exec_pints(c, "output_shape", v, 8);
    if (n >= 3) { ho = n == 4 ? v[2] : 1; wo = v[n - 1]; }
    if (ho < 1 || wo < 1) return exec_fail(c, "empty output");
    int64_t od[4] = {x.dim[0], cout, ho, wo};
    xt *y = x0->rank == 3 ? exec_out(c, 0, 3, (int64_t[]){x.dim[0], cout, wo}) : exec_out(c, 0, 4, od);
    if (!y) return exec_fail(c, "out of memory");
    xt yv = *y;
    yv.rank = 4;
    memcpy(yv.dim, od, sizeof od);
    return exec_deconv2d(c, &x, w->d, b && b->d ? b->d : NULL, cout, groups, kh, kw, s, d, pad, &yv);
}

/* SOURCE: ops/defs/iOS15/pool.py (avg_pool exclude_padding_from_average,
 * ceil_mode; kernel_sizes, strides, pad_type, pad). */
static int pool(xctx *c, int type) {
    const xt *x0 = X(c);
    NEED(x0, "x");
    if (x0->rank == 5) return mil_pool3d(c, x0, type);
    if (x0->rank != 4 && x0->rank != 3) return exec_fail(c, "pooling needs an input of rank 3, 4 or 5");
    xt x;
    as2d(x0, &x);
    int64_t k[2];
    int nk = exec_pints(c, "kernel_sizes", k, 2);
    if (nk == 1) { k[1] = k[0]; k[0] = 1; }
    else if (nk != 2) return exec_fail(c, "kernel_sizes missing");
    if (k[0] < 1 || k[1] < 1) return exec_fail(c, "empty kernel");
    int64_t s[2], d[2], pad[4];
    bool cm;
    if (spatial(c, &x, x0->rank - 2, k[0], k[1], true, s, d, pad, &cm) != 0) return -1;
    int64_t ho = out_dim(x.dim[2], k[0], s[0], pad[0], pad[1], cm);
    int64_t wo = out_dim(x.dim[3], k[1], s[1], pad[2], pad[3], cm);
    if (ho < 1 || wo < 1) return exec_fail(c, "empty output");
    int64_t od[4] = {x.dim[0], x.dim[1], ho, wo};
    xt *y = x0->rank == 3 ? exec_out(c, 0, 3, (int64_t[]){x.dim[0], x.dim[1], wo}) : exec_out(c, 0, 4, od);
    if (!y) return exec_fail(c, "out of memory");
    xt yv = *y;
    yv.rank = 4;
    memcpy(yv.dim, od, sizeof od);
    exec_pool2d(c->p, &x, &yv, type, k[0], k[1], s, pad, exec_pb(c, "exclude_padding_from_average", false));
    return 0;
}
static int k_max_pool(xctx *c) { return pool(c, POOL_MAX); }
static int k_avg_pool(xctx *c) { return pool(c, POOL_AVG); }
static int k_l2_pool(xctx *c) { return pool(c, POOL_L2); }

/* ---- shape ops --------------------------------------------------------------------------- */

static int copy_out(xctx *c, const xt *x, int rank, const int64_t *dim) {
    if (exec_count(rank, dim) != x->n) return exec_fail(c, "element count changes (%zu -> %zu)", x->n, exec_count(rank, dim));
    xt *y = exec_out(c, 0, rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, x);
    return 0;
}

/* SOURCE: tensor_transformation.py reshape: -1 inferred; 0 copies the input
 * dim when len(shape) == rank(x). iOS17/tensor_transformation.py reshape:
 * each 0 copies the input dim at the same distance from the right (1 when
 * there is none), whatever len(shape) is. */
static int k_reshape(xctx *c) {
    const xt *x = X(c), *sh = exec_in(c, "shape");
    NEED(x, "x");
    NEED(sh, "shape");
    if (sh->n > EXEC_MAX_RANK) return exec_fail(c, "target rank too large");
    int64_t dim[EXEC_MAX_RANK];
    int r = (int)sh->n, infer = -1;
    size_t known = 1;
    for (int i = 0; i < r; i++) {
        int64_t v = exec_f2i(sh->d[i]);
        if (v == 0 && mil_opset(c) >= 17) {
            int j = x->rank - (r - i);
            v = j >= 0 ? x->dim[j] : 1;
        } else if (v == 0 && r == x->rank) {
            v = x->dim[i];
        }
        if (v == -1) { if (infer >= 0) return exec_fail(c, "two -1 in shape"); infer = i; dim[i] = 1; continue; }
        if (v < 0) return exec_fail(c, "bad dim %lld", (long long)v);
        dim[i] = v;
        known *= (size_t)v;
    }
    if (infer >= 0) dim[infer] = known ? (int64_t)(x->n / known) : 0;
    return copy_out(c, x, r, dim);
}

static int k_transpose(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t pv[EXEC_MAX_RANK];
    int n = exec_pints(c, "perm", pv, EXEC_MAX_RANK);
    if (n != x->rank) return exec_fail(c, "perm length %d != rank %d", n, x->rank);
    int perm[EXEC_MAX_RANK];
    int64_t dim[EXEC_MAX_RANK];
    unsigned seen = 0;
    for (int i = 0; i < n; i++) {
        int a = exec_axis((int)pv[i], x->rank);
        if (a < 0 || (seen & (1u << a))) return exec_fail(c, "bad perm");
        seen |= 1u << a;
        perm[i] = a;
        dim[i] = x->dim[a];
    }
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    if (x->n) exec_permute(x, perm, y);
    return 0;
}

/* SOURCE: tensor_operation.py concat: values variadic, axis, interleave
 * (true: chunks of size 1 along axis taken from each input in turn). */
static int k_concat(xctx *c) {
    size_t n = exec_in_count(c, "values");
    if (!n) return exec_fail(c, "no values");
    const xt *first = exec_in_at(c, "values", 0);
    NEED(first, "values");
    if (first->rank == 0) {
        /* scalars: each counts as length 1, the result is [n] (concat's
         * type inference takes a rank-0 value's axis length as 1; a public
         * TF2 LSTM model concatenates two int32 scalars into INT32[2]) */
        int64_t d1[1] = {(int64_t)n};
        for (size_t i = 0; i < n; i++) {
            const xt *v = exec_in_at(c, "values", i);
            NEED(v, "values");
            if (v->rank != 0) return exec_fail(c, "ranks differ");
        }
        xt *y = exec_out(c, 0, 1, d1);
        if (!y) return exec_fail(c, "out of memory");
        for (size_t i = 0; i < n; i++) y->d[i] = exec_in_at(c, "values", i)->d[0];
        return 0;
    }
    int axis = norm_axis(c, exec_pi(c, "axis", 0), first->rank);
    if (axis < 0) return -1;
    bool inter = exec_pb(c, "interleave", false);
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, first->dim, sizeof dim);
    dim[axis] = 0;
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_in_at(c, "values", i);
        NEED(v, "values");
        if (v->rank != first->rank) return exec_fail(c, "ranks differ");
        for (int k = 0; k < v->rank; k++)
            if (k != axis && v->dim[k] != first->dim[k]) return exec_fail(c, "shapes differ off the axis");
        if (inter && v->dim[axis] != first->dim[axis]) return exec_fail(c, "interleave needs equal sizes");
        dim[axis] += v->dim[axis];
    }
    xt *y = exec_out(c, 0, first->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t inner = 1, outer = 1;
    for (int k = axis + 1; k < first->rank; k++) inner *= first->dim[k];
    for (int k = 0; k < axis; k++) outer *= first->dim[k];
    if (!inter) {
        int64_t off = 0;
        for (size_t i = 0; i < n; i++) {
            const xt *v = exec_in_at(c, "values", i);
            int64_t chunk = v->dim[axis] * inner;
            for (int64_t o = 0; o < outer; o++)
                memcpy(y->d + o * dim[axis] * inner + off, v->d + o * chunk, (size_t)chunk * sizeof(float));
            off += chunk;
        }
    } else {
        int64_t D = first->dim[axis];
        for (size_t i = 0; i < n; i++) {
            const xt *v = exec_in_at(c, "values", i);
            for (int64_t o = 0; o < outer; o++)
                for (int64_t k = 0; k < D; k++)
                    memcpy(y->d + (o * dim[axis] + k * (int64_t)n + (int64_t)i) * inner,
                           v->d + (o * D + k) * inner, (size_t)inner * sizeof(float));
        }
    }
    return 0;
}

/* SOURCE: tensor_operation.py stack: new axis. */
static int k_stack(xctx *c) {
    size_t n = exec_in_count(c, "values");
    const xt *first = n ? exec_in_at(c, "values", 0) : NULL;
    NEED(first, "values");
    if (first->rank + 1 > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int axis = norm_axis(c, exec_pi(c, "axis", 0), first->rank + 1);
    if (axis < 0) return -1;
    int64_t dim[EXEC_MAX_RANK];
    for (int k = 0, j = 0; k < first->rank + 1; k++) dim[k] = k == axis ? (int64_t)n : first->dim[j++];
    xt *y = exec_out(c, 0, first->rank + 1, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t inner = 1, outer = 1;
    for (int k = axis; k < first->rank; k++) inner *= first->dim[k];
    for (int k = 0; k < axis; k++) outer *= first->dim[k];
    for (size_t i = 0; i < n; i++) {
        const xt *v = exec_in_at(c, "values", i);
        NEED(v, "values");
        if (v->n != first->n) return exec_fail(c, "shapes differ");
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->d + (o * (int64_t)n + (int64_t)i) * inner, v->d + o * inner, (size_t)inner * sizeof(float));
    }
    return 0;
}

/* SOURCE: tensor_operation.py split: num_splits (equal parts, the last may be
 * smaller) or split_sizes, along axis. */
static int k_split(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int axis = norm_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    size_t nout = exec_n_outputs(c);
    int64_t sizes[64];
    if (nout > 64) return exec_fail(c, "too many outputs");
    int ns = exec_pints(c, "split_sizes", sizes, 64);
    int64_t D = x->dim[axis];
    if (ns < 0) {
        int64_t parts = exec_pi(c, "num_splits", (int64_t)nout);
        if (parts < 1) return exec_fail(c, "bad num_splits");
        int64_t each = (D + parts - 1) / parts;
        for (int64_t i = 0; i < parts && i < 64; i++) sizes[i] = (i + 1) * each <= D ? each : D - i * each;
        ns = (int)parts;
    }
    if ((size_t)ns != nout) return exec_fail(c, "%d splits for %zu outputs", ns, nout);
    int64_t inner = 1, outer = 1, off = 0;
    for (int k = axis + 1; k < x->rank; k++) inner *= x->dim[k];
    for (int k = 0; k < axis; k++) outer *= x->dim[k];
    for (int i = 0; i < ns; i++) {
        int64_t dim[EXEC_MAX_RANK];
        memcpy(dim, x->dim, sizeof dim);
        dim[axis] = sizes[i];
        if (sizes[i] < 0 || off + sizes[i] > D) return exec_fail(c, "split sizes exceed the axis");
        xt *y = exec_out(c, (size_t)i, x->rank, dim);
        if (!y) return exec_fail(c, "out of memory");
        for (int64_t o = 0; o < outer; o++)
            memcpy(y->d + o * sizes[i] * inner, x->d + (o * D + off) * inner, (size_t)(sizes[i] * inner) * sizeof(float));
        off += sizes[i];
    }
    return 0;
}

/* gather a strided box: start[k] + i*step[k] for i < cnt[k] */
static void box_copy(const xt *x, const int64_t *start, const int64_t *step, const int64_t *cnt, float *y) {
    int R = x->rank;
    int64_t xs[EXEC_MAX_RANK], s = 1;
    for (int i = R - 1; i >= 0; i--) { xs[i] = s; s *= x->dim[i]; }
    size_t n = exec_count(R, cnt);
    if (!n) return;
    if (R == 0) { y[0] = x->d[0]; return; }
    int64_t idx[EXEC_MAX_RANK] = {0};
    int64_t base = 0;
    for (int i = 0; i < R; i++) base += start[i] * xs[i];
    int64_t L = cnt[R - 1], ls = step[R - 1];
    size_t outer = n / (size_t)L;
    int64_t off = base;
    for (size_t o = 0; o < outer; o++) {
        const float *px = x->d + off;
        float *py = y + o * (size_t)L;
        if (ls == 1) memcpy(py, px, (size_t)L * sizeof(float));
        else for (int64_t i = 0; i < L; i++) py[i] = px[i * ls];
        for (int d = R - 2; d >= 0; d--) {
            idx[d]++;
            off += step[d] * xs[d];
            if (idx[d] < cnt[d]) break;
            off -= step[d] * xs[d] * cnt[d];
            idx[d] = 0;
        }
    }
}

/* Python slice(begin, end, stride).indices(dim) */
static int64_t py_slice(int64_t dim, bool has_b, int64_t b, bool has_e, int64_t e, int64_t s, int64_t *start) {
    int64_t lo, hi;
    if (s > 0) {
        lo = 0; hi = dim;
        if (!has_b) b = lo; else { if (b < 0) b += dim; if (b < lo) b = lo; if (b > hi) b = hi; }
        if (!has_e) e = hi; else { if (e < 0) e += dim; if (e < lo) e = lo; if (e > hi) e = hi; }
        *start = b;
        return e > b ? (e - b + s - 1) / s : 0;
    }
    lo = -1; hi = dim - 1;
    if (!has_b) b = hi; else { if (b < 0) b += dim; if (b < lo) b = lo; if (b > hi) b = hi; }
    if (!has_e) e = lo; else { if (e < 0) { e += dim; if (e < lo) e = lo; } if (e > hi) e = hi; }
    *start = b;
    return b > e ? (b - e + (-s) - 1) / (-s) : 0;
}

/* SOURCE: tensor_transformation.py slice_by_index and _utils.py
 * solve_slice_by_index_slice: Python slices; masks replace begin/end;
 * squeeze_mask takes the single element at begin and drops the dim. */
int mil_slice_params(xctx *c, const xt *x, int64_t *start, int64_t *step, int64_t *cnt, int64_t *od, int *orank) {
    int R = x->rank;
    int64_t b[EXEC_MAX_RANK], e[EXEC_MAX_RANK], st[EXEC_MAX_RANK], bm[EXEC_MAX_RANK], em[EXEC_MAX_RANK],
        sm[EXEC_MAX_RANK];
    int nb = exec_pints(c, "begin", b, EXEC_MAX_RANK), ne = exec_pints(c, "end", e, EXEC_MAX_RANK);
    if (nb != R || ne != R) return exec_fail(c, "begin/end must have rank(x) values");
    int ns = exec_pints(c, "stride", st, EXEC_MAX_RANK), nbm = exec_pints(c, "begin_mask", bm, EXEC_MAX_RANK),
        nem = exec_pints(c, "end_mask", em, EXEC_MAX_RANK), nsm = exec_pints(c, "squeeze_mask", sm, EXEC_MAX_RANK);
    *orank = 0;
    for (int i = 0; i < R; i++) {
        int64_t s = ns == R ? st[i] : 1;
        bool sq = nsm == R && sm[i];
        if (s == 0) return exec_fail(c, "zero stride");
        if (sq) {
            int64_t bi = nbm == R && bm[i] ? 0 : b[i];
            if (bi < 0) bi += x->dim[i];
            if (bi < 0 || bi >= x->dim[i]) return exec_fail(c, "squeezed index out of range");
            start[i] = bi; step[i] = 1; cnt[i] = 1;
            continue;
        }
        cnt[i] = py_slice(x->dim[i], !(nbm == R && bm[i]), b[i], !(nem == R && em[i]), e[i], s, &start[i]);
        step[i] = s;
        od[(*orank)++] = cnt[i];
    }
    return 0;
}

static int k_slice_by_index(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t start[EXEC_MAX_RANK], step[EXEC_MAX_RANK], cnt[EXEC_MAX_RANK], od[EXEC_MAX_RANK];
    int orank;
    if (mil_slice_params(c, x, start, step, cnt, od, &orank) != 0) return -1;
    xt *y = exec_out(c, 0, orank, od);
    if (!y) return exec_fail(c, "out of memory");
    box_copy(x, start, step, cnt, y->d);
    return 0;
}

/* SOURCE: tensor_transformation.py slice_by_size: size -1 = to the end. */
static int k_slice_by_size(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int R = x->rank;
    int64_t b[EXEC_MAX_RANK], sz[EXEC_MAX_RANK], step[EXEC_MAX_RANK];
    if (exec_pints(c, "begin", b, EXEC_MAX_RANK) != R || exec_pints(c, "size", sz, EXEC_MAX_RANK) != R)
        return exec_fail(c, "begin/size must have rank(x) values");
    for (int i = 0; i < R; i++) {
        if (b[i] < 0) b[i] += x->dim[i];
        if (sz[i] == -1) sz[i] = x->dim[i] - b[i];
        if (b[i] < 0 || sz[i] < 0 || b[i] + sz[i] > x->dim[i]) return exec_fail(c, "slice out of range");
        step[i] = 1;
    }
    xt *y = exec_out(c, 0, R, sz);
    if (!y) return exec_fail(c, "out of memory");
    box_copy(x, b, step, sz, y->d);
    return 0;
}

/* SOURCE: tensor_transformation.py squeeze (axes default: all size-1 dims) */
static int k_squeeze(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t ax[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    int na = exec_pints(c, "axes", ax, EXEC_MAX_RANK);
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = norm_axis(c, ax[i], x->rank);
        if (a < 0) return -1;
        mask |= 1u << a;
    }
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        bool drop = na < 0 ? x->dim[i] == 1 : (mask & (1u << i)) && x->dim[i] == 1;
        if (!drop) dim[r++] = x->dim[i];
    }
    return copy_out(c, x, r, dim);
}

/* SOURCE: tensor_transformation.py expand_dims: axes index the output rank. */
static int k_expand_dims(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t ax[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    int na = exec_pints(c, "axes", ax, EXEC_MAX_RANK);
    if (na < 1) return exec_fail(c, "axes missing");
    int R = x->rank + na;
    if (R > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    unsigned mask = 0;
    for (int i = 0; i < na; i++) {
        int a = exec_axis((int)ax[i], R);
        if (a < 0) return exec_fail(c, "axis out of range");
        mask |= 1u << a;
    }
    for (int i = 0, j = 0; i < R; i++) dim[i] = (mask & (1u << i)) ? 1 : x->dim[j++];
    return copy_out(c, x, R, dim);
}

/* SOURCE: tensor_transformation.py flatten2d: [prod(d[:axis]), prod(d[axis:])], axis default 1. */
static int k_flatten2d(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t a = exec_pi(c, "axis", 1);
    if (a < 0) a += x->rank;
    if (a < 0 || a > x->rank) return exec_fail(c, "axis out of range");
    int64_t d0 = 1;
    for (int i = 0; i < a; i++) d0 *= x->dim[i];
    int64_t dim[2] = {d0, d0 ? (int64_t)(x->n / (size_t)d0) : 0};
    return copy_out(c, x, 2, dim);
}

/* SOURCE: tensor_operation.py pad: pad has 2N values for the last N dims;
 * modes constant (constant_val), reflect, replicate. */
static int k_pad(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t pv[2 * EXEC_MAX_RANK];
    int np = exec_pints(c, "pad", pv, 2 * EXEC_MAX_RANK);
    if (np < 0 || np % 2 || np / 2 > x->rank) return exec_fail(c, "pad must hold 2 values per padded dim");
    const char *mode = exec_ps(c, "mode");
    if (!mode) mode = "constant";
    int m = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "reflect") ? 1 : !strcmp(mode, "replicate") ? 2 : -1;
    if (m < 0) return exec_fail(c, "unknown pad mode '%s'", mode);
    float cv = (float)exec_pf(c, "constant_val", 0.0);
    int R = x->rank, first = R - np / 2;
    int64_t lo[EXEC_MAX_RANK] = {0}, dim[EXEC_MAX_RANK];
    for (int i = 0; i < R; i++) {
        int64_t a = i >= first ? pv[2 * (i - first)] : 0, b = i >= first ? pv[2 * (i - first) + 1] : 0;
        if (a < 0 || b < 0) return exec_fail(c, "negative padding");
        if (m == 1 && (a >= x->dim[i] || b >= x->dim[i])) return exec_fail(c, "reflect padding must be < dim");
        lo[i] = a;
        dim[i] = x->dim[i] + a + b;
    }
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK], s = 1;
    for (int i = R - 1; i >= 0; i--) { xs[i] = s; s *= x->dim[i]; }
    int64_t idx[EXEC_MAX_RANK] = {0};
    for (size_t f = 0; f < y->n; f++) {
        int64_t off = 0;
        bool outside = false;
        for (int i = 0; i < R; i++) {
            int64_t j = idx[i] - lo[i], D = x->dim[i];
            if (j < 0 || j >= D) {
                if (m == 0) { outside = true; break; }
                if (m == 1) j = j < 0 ? -j : 2 * (D - 1) - j;
                else j = j < 0 ? 0 : D - 1;
            }
            off += j * xs[i];
        }
        y->d[f] = outside ? cv : x->d[off];
        exec_idx_next(idx, R, dim);
    }
    return 0;
}

/* SOURCE: scatter_gather.py gather_along_axis: out[p] = x[p with p[axis] = indices[p]]. */
static int k_gather_along_axis(xctx *c) {
    const xt *x = X(c), *ix = exec_in(c, "indices");
    NEED(x, "x");
    NEED(ix, "indices");
    int axis = norm_axis(c, exec_pi(c, "axis", 0), x->rank);
    if (axis < 0) return -1;
    if (ix->rank != x->rank) return exec_fail(c, "indices rank must equal x rank");
    /* SOURCE: apple/coremltools ops/defs/iOS15/scatter_gather.py gather_along_axis: indices has x's
     * shape on every axis but `axis`. The loops below take the dims before the axis from indices:
     * more of them than x has read past x's end. */
    for (int i = 0; i < x->rank; i++)
        if (i != axis && ix->dim[i] != x->dim[i])
            return exec_fail(c, "indices differ from x off the axis (dim %d: %lld vs %lld)", i, (long long)ix->dim[i],
                             (long long)x->dim[i]);
    xt *y = exec_out_like(c, 0, ix);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = exec_in(c, "x")->dt == EXEC_DT_INT32 ? EXEC_DT_INT32 : y->dt;
    int64_t inner = 1, D = x->dim[axis], Di = ix->dim[axis];
    for (int i = axis + 1; i < x->rank; i++) inner *= ix->dim[i];
    int64_t xinner = 1;
    for (int i = axis + 1; i < x->rank; i++) xinner *= x->dim[i];
    if (xinner != inner) return exec_fail(c, "indices and x differ off the axis");
    size_t outer = ix->n / exec_nz(Di * inner);
    for (size_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < Di; k++)
            for (int64_t i = 0; i < inner; i++) {
                size_t f = (o * (size_t)Di + (size_t)k) * (size_t)inner + (size_t)i;
                int64_t j = exec_wrap_index(ix->d[f], D);
                if (j < 0) return exec_fail(c, "index out of range");
                y->d[f] = x->d[((int64_t)o * D + j) * inner + i];
            }
    return 0;
}

/* SOURCE: tensor_operation.py tile: reps per dim. */
static int k_tile(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t reps[EXEC_MAX_RANK], dim[EXEC_MAX_RANK];
    if (exec_pints(c, "reps", reps, EXEC_MAX_RANK) != x->rank) return exec_fail(c, "reps must have rank(x) values");
    for (int i = 0; i < x->rank; i++) dim[i] = x->dim[i] * reps[i];
    xt *y = exec_out(c, 0, x->rank, dim);
    if (!y) return exec_fail(c, "out of memory");
    int64_t xs[EXEC_MAX_RANK], s = 1;
    for (int i = x->rank - 1; i >= 0; i--) { xs[i] = s; s *= x->dim[i]; }
    int64_t idx[EXEC_MAX_RANK] = {0};
    for (size_t f = 0; f < y->n; f++) {
        int64_t off = 0;
        for (int i = 0; i < x->rank; i++) off += (idx[i] % x->dim[i]) * xs[i];
        y->d[f] = x->d[off];
        exec_idx_next(idx, x->rank, dim);
    }
    return 0;
}

static int k_shape(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    int64_t r = x->rank;
    xt *y = exec_out(c, 0, 1, &r);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_INT32;
    for (int i = 0; i < x->rank; i++) y->d[i] = (float)x->dim[i];
    return 0;
}

/* SOURCE: elementwise_unary.py cast: dtype int32 (truncation, as numpy
 * astype), fp16, fp32, bool; iOS17/elementwise_unary.py adds int8, uint8,
 * int16, uint16, whose values wrap modulo 2^bits as NumPy's astype (the
 * op's value_inference) does. */
static int k_cast(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    const char *dt = exec_ps(c, "dtype");
    if (!dt) return exec_fail(c, "dtype missing");
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    if (!strcmp(dt, "int32") || !strcmp(dt, "int64") || !strcmp(dt, "int16") || !strcmp(dt, "int8") ||
        !strcmp(dt, "uint8") || !strcmp(dt, "uint16") || !strcmp(dt, "uint32")) {
        int bits = strstr(dt, "8") ? 8 : strstr(dt, "16") ? 16 : 0;
        bool uns = dt[0] == 'u';
        for (size_t i = 0; i < x->n; i++) {
            float v = truncf(x->d[i]);
            if (bits && v == v && fabsf(v) < 9.2e18f) {
                uint64_t m = (uint64_t)(int64_t)v & ((1ull << bits) - 1);
                v = uns || m < (1ull << (bits - 1)) ? (float)m : (float)((int64_t)m - (1ll << bits));
            }
            y->d[i] = v;
        }
        y->dt = EXEC_DT_INT32;
    } else if (!strcmp(dt, "bool")) {
        for (size_t i = 0; i < x->n; i++) y->d[i] = x->d[i] != 0;
        y->dt = EXEC_DT_BOOL;
    } else if (!strcmp(dt, "fp16") || !strcmp(dt, "fp32") || !strcmp(dt, "fp64")) {
        exec_copy(y, x);
        y->dt = !strcmp(dt, "fp16") ? EXEC_DT_FP16 : EXEC_DT_FP32;
    } else {
        return exec_fail(c, "unsupported dtype '%s'", dt);
    }
    return 0;
}

static int k_fill(xctx *c) {
    const xt *sh = exec_in(c, "shape");
    NEED(sh, "shape");
    if (sh->n > EXEC_MAX_RANK) return exec_fail(c, "rank too large");
    int64_t dim[EXEC_MAX_RANK];
    for (size_t i = 0; i < sh->n; i++) dim[i] = exec_f2i(sh->d[i]);
    xt *y = exec_out(c, 0, (int)sh->n, dim);
    if (!y) return exec_fail(c, "out of memory");
    float v = (float)exec_pf(c, "value", 0.0);
    for (size_t i = 0; i < y->n; i++) y->d[i] = v;
    return 0;
}

static int k_range_1d(xctx *c) {
    double s = exec_pf(c, "start", 0), e = exec_pf(c, "end", 0), st = exec_pf(c, "step", 1);
    if (st == 0) return exec_fail(c, "zero step");
    double cnt = ceil((e - s) / st);
    /* an infinite or NaN bound has no count (converting it is undefined
     * behaviour: a fuzzed end = inf); a finite huge one is refused by
     * exec_out as the memory it would take */
    if (cnt != cnt || isinf(cnt)) return exec_fail(c, "start, end and step give no finite element count");
    int64_t n = cnt > 0 ? exec_f2i(cnt) : 0;
    xt *y = exec_out(c, 0, 1, &n);
    if (!y) return exec_fail(c, "out of memory");
    for (int64_t i = 0; i < n; i++) y->d[i] = (float)(s + st * (double)i);
    return 0;
}

/* SOURCE: image_resizing.py upsample_nearest_neighbor: integer or fractional
 * factors, source index floor(out / factor). */
static int k_upsample_nearest_neighbor(xctx *c) {
    const xt *x = X(c);
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    double fh = exec_pf(c, "scale_factor_height", 1), fw = exec_pf(c, "scale_factor_width", 1);
    int R = x->rank;
    int64_t H = x->dim[R - 2], W = x->dim[R - 1], dim[EXEC_MAX_RANK];
    memcpy(dim, x->dim, sizeof dim);
    dim[R - 2] = exec_f2i(floor((double)H * fh));
    dim[R - 1] = exec_f2i(floor((double)W * fw));
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t planes = x->n / exec_nz(H * W);
    int64_t Ho = dim[R - 2], Wo = dim[R - 1];
    for (size_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < Ho; oh++) {
            int64_t ih = exec_f2i(floor((double)oh / fh));
            if (ih >= H) ih = H - 1;
            for (int64_t ow = 0; ow < Wo; ow++) {
                int64_t iw = exec_f2i(floor((double)ow / fw));
                if (iw >= W) iw = W - 1;
                y->d[(p * (size_t)Ho + (size_t)oh) * (size_t)Wo + (size_t)ow] = x->d[(p * (size_t)H + (size_t)ih) * (size_t)W + (size_t)iw];
            }
        }
    return 0;
}

/* ---- states and classify ------------------------------------------------------------------ */

int exec_state_slot(xctx *c, const char *arg) {
    for (size_t i = 0; i < c->op->n_inputs; i++)
        if (!strcmp(c->op->inputs[i]->name, arg) && c->op->inputs[i]->n_values) {
            int s = c->st->in_slots[i][0];
            return c->p->slots[s].kind == SLOT_STATE ? s : -1;
        }
    return -1;
}

/* SOURCE: ops/defs/iOS18/states.py read_state / write_state (the converter
 * lowers coreml_update_state to write_state followed by read_state). */
static int k_read_state(xctx *c) {
    const xt *st = exec_in(c, "input");
    NEED(st, "input");
    if (exec_state_slot(c, "input") < 0) return exec_fail(c, "input is not a state");
    xt *y = exec_out_like(c, 0, st);
    if (!y) return exec_fail(c, "out of memory");
    exec_copy(y, st);
    return 0;
}

static int write_state(xctx *c, const char *sname, const char *dname) {
    int s = exec_state_slot(c, sname);
    const xt *v = exec_in(c, dname);
    NEED(v, dname);
    if (s < 0) return exec_fail(c, "'%s' is not a state", sname);
    xt *t = &c->p->slots[s].t;
    if (t->n != v->n) return exec_fail(c, "state holds %zu values, data %zu", t->n, v->n);
    memcpy(t->d, v->d, v->n * sizeof(float));
    if (c->mode == EXEC_FP16_EMU || (c->mode == EXEC_TYPED && c->p->slots[s].decl == EXEC_DT_FP16))
        for (size_t i = 0; i < t->n; i++) t->d[i] = exec_r16(t->d[i]);
    return 0;
}

static int k_write_state(xctx *c) { return write_state(c, "input", "data"); }

static int k_coreml_update_state(xctx *c) {
    if (write_state(c, "state", "value") != 0) return -1;
    const xt *v = exec_in(c, "value");
    if (exec_n_outputs(c)) {
        xt *y = exec_out_like(c, 0, v);
        if (!y) return exec_fail(c, "out of memory");
        exec_copy(y, v);
    }
    return 0;
}

/* SOURCE: ops/defs/iOS15/classify.py: outputs the class label of the largest
 * probability and the probabilities as a dictionary keyed by `classes` (a
 * list of strings or int64). Here the label is its index (EXEC_DT_LABEL)
 * with the class's name, and the dictionary the flat probability vector with
 * the classes as its names; classes the executor could not read (or of
 * another count) leave both unnamed. */
static int k_classify(xctx *c) {
    const xt *pr = exec_in(c, "probabilities");
    NEED(pr, "probabilities");
    const xt *cl = exec_in(c, "classes");
    int64_t one = 1, n = (int64_t)pr->n;
    size_t best = 0;
    for (size_t i = 1; i < pr->n; i++)
        if (pr->d[i] > pr->d[best]) best = i;
    bool strs = cl && cl->strs && cl->nstr == pr->n, ints = cl && cl->ikeys && cl->n == pr->n;
    xt *lab = exec_out(c, 0, 1, &one);
    if (!lab) return exec_fail(c, "out of memory");
    lab->d[0] = (float)best;
    lab->dt = EXEC_DT_LABEL;
    /* the label's name is the class at its index (exec.c) */
    if (strs) {
        lab->strs = cl->strs;
        lab->nstr = cl->nstr;
    } else if (ints) {
        lab->ikeys = cl->ikeys;
        lab->nstr = cl->n;
    }
    if (exec_n_outputs(c) > 1) {
        xt *y = exec_out(c, 1, 1, &n);
        if (!y) return exec_fail(c, "out of memory");
        exec_copy(y, pr);
        y->dt = EXEC_DT_FP32;
        if (strs) {
            y->strs = cl->strs;
            y->nstr = cl->nstr;
        } else if (ints) y->ikeys = cl->ikeys;
    }
    return 0;
}

/* ---- prepare-time checks ---- */

/* the string parameter `name`, when given, is one of the NULL-terminated ok[] */
static int chk_one_of(const exec_io *io, const cml_op *op, const char *name, const char *const *ok, char *why,
                      size_t n) {
    const char *v = exec_ir_str(io, op, name);
    if (!v) return 0;
    for (size_t i = 0; ok[i]; i++)
        if (!strcmp(v, ok[i])) return 0;
    snprintf(why, n, "%s %s", name, v);
    return -1;
}

static int chk_gelu(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"EXACT", "TANH_APPROXIMATION", "SIGMOID_APPROXIMATION", NULL};
    return chk_one_of(io, op, "mode", ok, why, n);
}

static int chk_spatial(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"valid", "same", "same_lower", "custom", NULL};
    if (chk_one_of(io, op, "pad_type", ok, why, n) != 0) return -1;
    const cml_value *x = cml_op_param(op, "x");
    if (x && x->type.shape.rank > 5) {
        snprintf(why, n, "rank %d", (int)x->type.shape.rank);
        return -1;
    }
    return 0;
}

static int chk_cast(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"int32", "int64", "int16", "int8", "uint8", "uint16", "uint32",
                                     "bool", "fp16", "fp32", "fp64", NULL};
    return chk_one_of(io, op, "dtype", ok, why, n);
}

static int chk_pad(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const ok[] = {"constant", "reflect", "replicate", NULL};
    return chk_one_of(io, op, "mode", ok, why, n);
}

/* ---- table ------------------------------------------------------------------------------- */

#define K(name) {#name, k_##name, NULL}
#define KC(name, chk) {#name, k_##name, chk}
static const exec_kdef MIL_KERNELS[] = {
    K(abs), K(acos), K(add), K(asin), K(atan), K(atanh), KC(avg_pool, chk_spatial), K(batch_norm), KC(cast, chk_cast), K(ceil),
    K(clamped_relu), K(classify), K(clip), K(concat), KC(conv, chk_spatial), KC(conv_quantized, chk_spatial), KC(conv_transpose, chk_spatial), K(coreml_update_state),
    K(cos), K(cosh), K(elu), K(equal), K(erf), K(exp), K(exp2), K(expand_dims), K(fill), K(flatten2d),
    K(floor), K(floor_div), K(gather_along_axis), KC(gelu, chk_gelu), K(greater), K(greater_equal),
    K(identity), K(instance_norm), K(inverse), KC(l2_pool, chk_spatial), K(layer_norm), K(leaky_relu), K(less),
    K(less_equal), K(linear), K(linear_activation), K(log), K(logical_and), K(logical_not), K(logical_or),
    K(logical_xor), K(matmul), KC(max_pool, chk_spatial), K(maximum), K(minimum), K(mod), K(mul), K(not_equal), KC(pad, chk_pad),
    K(pow), K(prelu), K(range_1d), K(read_state), K(real_div), K(reduce_argmax), K(reduce_argmin),
    K(reduce_l1_norm), K(reduce_l2_norm), K(reduce_log_sum), K(reduce_log_sum_exp), K(reduce_max),
    K(reduce_mean), K(reduce_min), K(reduce_prod), K(reduce_sum), K(reduce_sum_square), K(relu), K(relu6),
    K(reshape), K(round), K(rsqrt), K(scaled_tanh), K(select), K(shape), K(sigmoid), K(sigmoid_hard),
    K(sign), K(silu), K(sin), K(sinh), K(slice_by_index), K(slice_by_size), K(softmax), K(softplus),
    K(softplus_parametric), K(softsign), K(split), K(sqrt), K(square), K(squeeze), K(stack), K(sub),
    K(tan), K(tanh), K(threshold), K(thresholded_relu), K(tile), K(transpose), K(upsample_nearest_neighbor),
    K(write_state),
};

const exec_kdef *exec_find_mil(const char *kind) {
    for (size_t i = 0; i < sizeof MIL_KERNELS / sizeof *MIL_KERNELS; i++)
        if (!strcmp(MIL_KERNELS[i].kind, kind)) return &MIL_KERNELS[i];
    static const mil_table *const families[] = {&EXEC_MIL_CONTROL, &EXEC_MIL_TENSOR, &EXEC_MIL_IMAGE, &EXEC_MIL_SEQ};
    for (size_t f = 0; f < sizeof families / sizeof *families; f++)
        for (size_t i = 0; i < families[f]->n; i++)
            if (!strcmp(families[f]->k[i].kind, kind)) return &families[f]->k[i];
    return NULL;
}

/* ---- helpers the family files share (mil.h) ---- */

int mil_axis(xctx *c, int64_t a, int rank) {
    int r = a < -rank || a >= rank ? -1 : exec_axis((int)a, rank);
    if (r < 0) exec_fail(c, "axis %lld out of range for rank %d", (long long)a, rank);
    return r;
}

int mil_dtype(const char *name) {
    if (!name) return -1;
    if (!strcmp(name, "fp32") || !strcmp(name, "fp64")) return EXEC_DT_FP32;
    if (!strcmp(name, "fp16")) return EXEC_DT_FP16;
    if (!strcmp(name, "bool")) return EXEC_DT_BOOL;
    static const char *const ints[] = {"int32", "int64", "int16", "int8", "uint8", "uint16", "uint32", "uint64", NULL};
    for (size_t i = 0; ints[i]; i++)
        if (!strcmp(name, ints[i])) return EXEC_DT_INT32;
    return -1;
}

int mil_chk_one_of(const exec_io *io, const cml_op *op, const char *name, const char *const *ok, char *why,
                   size_t n) {
    return chk_one_of(io, op, name, ok, why, n);
}

/* SOURCE: coremltools/__init__.py _OPSET (iOS15 "CoreML5" .. iOS18 "CoreML8",
 * iOS26 "CoreML9") */
int mil_opset(xctx *c) {
    /* from the one table of facts: the opset's specification version, and
     * the iOS release that introduced it (CoreML6 -> 7 -> iOS 16) */
    const cml_function *fn = c->op->function;
    uint32_t ios = cml_spec_min_os(cml_opset_spec(fn ? fn->opset : NULL), CML_PLATFORM_IOS);
    int major = (int)(ios / 1000000u);
    return major >= 15 ? major : 15;
}

void mil_strides(int rank, const int64_t *dim, int64_t *st) {
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        st[i] = s;
        s *= dim[i];
    }
}
