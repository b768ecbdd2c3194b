/* SPDX-License-Identifier: Apache-2.0 */
/* nn_rnn.c — NeuralNetwork recurrent layers: simpleRecurrent, gru,
 * uniDirectionalLSTM and biDirectionalLSTM.
 *
 * The input is a sequence [Seq, Batch, inputVectorSize, 1, 1] (a blob of
 * lower rank is read with leading 1s; the last three dims together must
 * hold inputVectorSize values); the optional state inputs hold [1, Batch,
 * outputVectorSize, 1, 1] (one vector is used for every batch entry;
 * absent ones start at zero). Outputs are rank 5: the sequence (every step
 * when sequenceOutput, else the last) and the final states. Gate
 * pre-activations are clipped to [-50, 50] and computed in double.
 *
 * The activations of recurrent layers are fixed functions (coremltools'
 * NeuralNetworkBuilder writes them as empty messages,
 * builder.py _set_recurrent_activation): the proto lists "Linear, Sigmoid,
 * Tanh, ReLU, Scaled Tanh (alpha = 1.71, beta = 2/3), Hard sigmoid (alpha
 * = 0.2, beta = 0.5)"; parameters a model does set (non-zero) are used.
 *
 * Direction: reverseInput runs the sequence from its end and emits the
 * outputs in the order it computes them (coremltools
 * converters/mil/mil/ops/tests/iOS14/test_recurrent.py checks the NN
 * backend's GRU and LSTM with direction "reverse" against the forward
 * recurrence on the flipped input); the bidirectional LSTM aligns the
 * backward outputs with the input positions ("[yf_1, yb_3], [yf_2, yb_2],
 * [yf_3, yb_1]" in the proto). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

/* ---- activations ------------------------------------------------------------------------ */

enum { RA_LINEAR, RA_SIGMOID, RA_TANH, RA_RELU, RA_SCALED_TANH, RA_HARD_SIGMOID };

typedef struct ract {
    int kind;
    double a, b;
} ract;

static int ract_parse(xctx *c, const char *prefix, ract *r) {
    static const struct {
        const char *name;
        int kind;
        double a, b;
    } K[] = {{"linear", RA_LINEAR, 1, 0},          {"sigmoid", RA_SIGMOID, 0, 0},
             {"tanh", RA_TANH, 0, 0},              {"ReLU", RA_RELU, 0, 0},
             {"scaledTanh", RA_SCALED_TANH, 1.71, 2.0 / 3.0}, {"sigmoidHard", RA_HARD_SIGMOID, 0.2, 0.5}};
    char name[160];
    for (size_t i = 0; i < sizeof K / sizeof *K; i++) {
        snprintf(name, sizeof name, "%s.%s", prefix, K[i].name);
        if (!exec_ab(c, name)) continue;
        r->kind = K[i].kind;
        char an[176], bn[176];
        snprintf(an, sizeof an, "%s.alpha", name);
        snprintf(bn, sizeof bn, "%s.beta", name);
        double a = exec_af(c, an, 0), b = exec_af(c, bn, 0);
        bool given = a != 0 || b != 0;
        r->a = given ? a : K[i].a;
        r->b = given ? b : K[i].b;
        return 0;
    }
    return exec_fail(c, "%s: not one of the activations recurrent layers support (linear, sigmoid, tanh, ReLU, "
                        "scaledTanh, sigmoidHard)", prefix);
}

static inline double ract_apply(const ract *r, double v) {
    switch (r->kind) {
    case RA_LINEAR: return r->a * v + r->b;
    case RA_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case RA_TANH: return tanh(v);
    case RA_RELU: return v > 0 ? v : 0;
    case RA_SCALED_TANH: return r->a * tanh(r->b * v);
    default: { double t = r->a * v + r->b; return t < 0 ? 0 : t > 1 ? 1 : t; }
    }
}

static inline double clip50(double v) { return v < -50 ? -50 : v > 50 ? 50 : v; }

/* ---- operands --------------------------------------------------------------------------- */

typedef struct rseq {
    int64_t S, B, I;
    const float *x;
} rseq;

static int seq_in(xctx *c, int64_t I, rseq *s) {
    const xt *x = exec_nn_in(c, 0);
    NEED(x, "input sequence");
    if (x->rank > 5) return exec_fail(c, "input rank %d (recurrent layers take [Seq, Batch, C, 1, 1])", x->rank);
    int64_t d[5];
    for (int i = 0; i < 5; i++) d[i] = i < 5 - x->rank ? 1 : x->dim[i - (5 - x->rank)];
    if (d[2] * d[3] * d[4] != I)
        return exec_fail(c, "input vectors hold %lld values, inputVectorSize is %lld", (long long)(d[2] * d[3] * d[4]),
                         (long long)I);
    s->S = d[0];
    s->B = d[1];
    s->I = I;
    s->x = x->d;
    return 0;
}

/* state input k as B x H values (zeros when absent) */
static int state_in(xctx *c, size_t k, int64_t B, int64_t H, double *out) {
    const xt *t = exec_nn_n_in(c) > k ? exec_nn_in(c, k) : NULL;
    if (!t || !t->d) {
        memset(out, 0, (size_t)(B * H) * sizeof *out);
        return 0;
    }
    if (t->n == (size_t)(B * H)) {
        for (int64_t i = 0; i < B * H; i++) out[i] = t->d[i];
    } else if (t->n == (size_t)H) {
        for (int64_t b = 0; b < B; b++)
            for (int64_t i = 0; i < H; i++) out[b * H + i] = t->d[i];
    } else {
        return exec_fail(c, "state input %zu holds %zu values, %lld expected", k, t->n, (long long)(B * H));
    }
    return 0;
}

/* a weight of n values, or NULL (required: fail) */
static const float *weight(xctx *c, const char *name, size_t n, bool required, int *rc) {
    const xt *w = exec_aval(c, name);
    if (!w || !w->d) {
        if (required) *rc = exec_fail(c, "missing %s", name);
        return NULL;
    }
    if (w->n != n) {
        *rc = exec_fail(c, "%s holds %zu values, %zu expected", name, w->n, n);
        return NULL;
    }
    return w->d;
}

/* out[h] = W[h, :] . x + R[h, :] . y (+ b[h]) */
static void gate(const float *W, const float *R, const float *b, const float *x, int64_t I, const double *y, int64_t H,
                 double *out) {
    for (int64_t h = 0; h < H; h++) {
        double s = b ? b[h] : 0;
        const float *wr = W + h * I, *rr = R + h * H;
        for (int64_t i = 0; i < I; i++) s += (double)wr[i] * x[i];
        for (int64_t i = 0; i < H; i++) s += (double)rr[i] * y[i];
        out[h] = s;
    }
}

static xt *seq_out(xctx *c, size_t k, int64_t S, int64_t B, int64_t H) {
    if (k >= exec_n_outputs(c)) return NULL;
    int64_t dim[5] = {S, B, H, 1, 1};
    return exec_out(c, k, 5, dim);
}

/* output k (when the layer has it): a final state [1, B, H, 1, 1] from v */
static void state_out(xctx *c, size_t k, int64_t B, int64_t H, const double *v) {
    xt *o = seq_out(c, k, 1, B, H);
    if (o)
        for (int64_t i = 0; i < B * H; i++) o->d[i] = (float)v[i];
}

/* The weight counts H x I and H x H. inputVectorSize and outputVectorSize
 * are uint64 in the proto: their products may overflow int64 (2^32 x
 * 2^32). 0, or -1 after exec_fail. */
static int weight_counts(xctx *c, int64_t I, int64_t H, size_t *wi, size_t *wh) {
    int64_t a, b;
    if (__builtin_mul_overflow(H, I, &a) || __builtin_mul_overflow(H, H, &b))
        return exec_fail(c, "inputVectorSize %lld, outputVectorSize %lld: out of range (the weight counts overflow)",
                         (long long)I, (long long)H);
    *wi = (size_t)a;
    *wh = (size_t)b;
    return 0;
}

/* ---- simple recurrent ------------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3452-3508
 * SimpleRecurrentLayerParams: y_t = f(clip(W x_t + R y_{t-1} + b)). */
static int k_simpleRecurrent(xctx *c) {
    int64_t I = exec_ai(c, "inputVectorSize", 0), H = exec_ai(c, "outputVectorSize", 0);
    if (I < 1 || H < 1) return exec_fail(c, "bad vector sizes");
    rseq s;
    if (seq_in(c, I, &s) != 0) return -1;
    ract act;
    if (ract_parse(c, "activation", &act) != 0) return -1;
    int rc = 0;
    size_t wi = 0, wh = 0;
    if (weight_counts(c, I, H, &wi, &wh) != 0) return -1;
    const float *W = weight(c, "weightMatrix", wi, true, &rc),
                *R = weight(c, "recursionMatrix", wh, true, &rc),
                *b = exec_ab(c, "hasBiasVector") ? weight(c, "biasVector", (size_t)H, true, &rc) : NULL;
    if (rc) return -1;
    bool seq = exec_ab(c, "sequenceOutput"), rev = exec_ab(c, "reverseInput");
    double *y = malloc((size_t)(s.B * H) * 2 * sizeof *y);
    if (!y) return exec_fail(c, "out of memory");
    double *pre = y + s.B * H;
    if (state_in(c, 1, s.B, H, y) != 0) { free(y); return -1; }
    xt *yo = seq_out(c, 0, seq ? s.S : 1, s.B, H);
    if (!yo && exec_n_outputs(c)) { free(y); return exec_fail(c, "out of memory"); }
    for (int64_t k = 0; k < s.S; k++) {
        int64_t t = rev ? s.S - 1 - k : k;
        for (int64_t bi = 0; bi < s.B; bi++) {
            gate(W, R, b, s.x + (t * s.B + bi) * I, I, y + bi * H, H, pre);
            for (int64_t h = 0; h < H; h++) y[bi * H + h] = ract_apply(&act, clip50(pre[h]));
            if (yo && (seq || k == s.S - 1))
                for (int64_t h = 0; h < H; h++) yo->d[((seq ? k : 0) * s.B + bi) * H + h] = (float)y[bi * H + h];
        }
    }
    if (yo && s.S == 0) memset(yo->d, 0, yo->n * sizeof(float));
    state_out(c, 1, s.B, H, y);
    free(y);
    return 0;
}

/* ---- GRU ------------------------------------------------------------------------------------ */

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3510-3606
 * GRULayerParams: z = f(clip(W_z x + R_z y + b_z)), r = f(clip(W_r x +
 * R_r y + b_r)), c = y * r, o = g(clip(W_o x + R_o c + b_o)), y' = (1 - z)
 * * o + z * y; activations [f, g]. */
static int k_gru(xctx *c) {
    int64_t I = exec_ai(c, "inputVectorSize", 0), H = exec_ai(c, "outputVectorSize", 0);
    if (I < 1 || H < 1) return exec_fail(c, "bad vector sizes");
    rseq s;
    if (seq_in(c, I, &s) != 0) return -1;
    ract f, g;
    if (ract_parse(c, "activations[0]", &f) != 0 || ract_parse(c, "activations[1]", &g) != 0) return -1;
    int rc = 0;
    size_t wi = 0, wh = 0;
    if (weight_counts(c, I, H, &wi, &wh) != 0) return -1;
    const float *Wz = weight(c, "updateGateWeightMatrix", wi, true, &rc), *Wr = weight(c, "resetGateWeightMatrix", wi, true, &rc),
                *Wo = weight(c, "outputGateWeightMatrix", wi, true, &rc),
                *Rz = weight(c, "updateGateRecursionMatrix", wh, true, &rc),
                *Rr = weight(c, "resetGateRecursionMatrix", wh, true, &rc),
                *Ro = weight(c, "outputGateRecursionMatrix", wh, true, &rc);
    bool hb = exec_ab(c, "hasBiasVectors");
    const float *bz = hb ? weight(c, "updateGateBiasVector", (size_t)H, false, &rc) : NULL,
                *br = hb ? weight(c, "resetGateBiasVector", (size_t)H, false, &rc) : NULL,
                *bo = hb ? weight(c, "outputGateBiasVector", (size_t)H, false, &rc) : NULL;
    if (rc) return -1;
    bool seq = exec_ab(c, "sequenceOutput"), rev = exec_ab(c, "reverseInput");
    double *y = malloc((size_t)(s.B * H + 4 * H) * sizeof *y);
    if (!y) return exec_fail(c, "out of memory");
    double *z = y + s.B * H, *r = z + H, *cm = r + H, *o = cm + H;
    if (state_in(c, 1, s.B, H, y) != 0) { free(y); return -1; }
    xt *yo = seq_out(c, 0, seq ? s.S : 1, s.B, H);
    if (!yo && exec_n_outputs(c)) { free(y); return exec_fail(c, "out of memory"); }
    for (int64_t k = 0; k < s.S; k++) {
        int64_t t = rev ? s.S - 1 - k : k;
        for (int64_t bi = 0; bi < s.B; bi++) {
            const float *xt_ = s.x + (t * s.B + bi) * I;
            double *yb = y + bi * H;
            gate(Wz, Rz, bz, xt_, I, yb, H, z);
            gate(Wr, Rr, br, xt_, I, yb, H, r);
            for (int64_t h = 0; h < H; h++) {
                z[h] = ract_apply(&f, clip50(z[h]));
                r[h] = ract_apply(&f, clip50(r[h]));
                cm[h] = yb[h] * r[h];
            }
            gate(Wo, Ro, bo, xt_, I, cm, H, o);
            for (int64_t h = 0; h < H; h++) {
                double oh = ract_apply(&g, clip50(o[h]));
                yb[h] = (1 - z[h]) * oh + z[h] * yb[h];
            }
            if (yo && (seq || k == s.S - 1))
                for (int64_t h = 0; h < H; h++) yo->d[((seq ? k : 0) * s.B + bi) * H + h] = (float)yb[h];
        }
    }
    if (yo && s.S == 0) memset(yo->d, 0, yo->n * sizeof(float));
    state_out(c, 1, s.B, H, y);
    free(y);
    return 0;
}

/* ---- LSTM ------------------------------------------------------------------------------------ */

typedef struct lstm_w {
    const float *W[4], *R[4], *b[4], *p[3]; /* gates i, f, z, o; peepholes i, f, o */
} lstm_w;

typedef struct lstm_cfg {
    ract f, g, h;
    bool forget_bias, peephole, coupled;
    double clip;                              /* cell clip threshold */
} lstm_cfg;

static int lstm_weights(xctx *c, const char *prefix, int64_t I, int64_t H, bool bias, bool peep, lstm_w *w) {
    static const char *const gates[4] = {"inputGate", "forgetGate", "blockInput", "outputGate"};
    static const char *const peeps[3] = {"inputGate", "forgetGate", "outputGate"};
    char name[192];
    int rc = 0;
    memset(w, 0, sizeof *w);
    size_t wi = 0, wh = 0;
    if (weight_counts(c, I, H, &wi, &wh) != 0) return -1;
    for (int k = 0; k < 4; k++) {
        snprintf(name, sizeof name, "%s.%sWeightMatrix", prefix, gates[k]);
        w->W[k] = weight(c, name, wi, true, &rc);
        snprintf(name, sizeof name, "%s.%sRecursionMatrix", prefix, gates[k]);
        w->R[k] = weight(c, name, wh, true, &rc);
        if (bias) {
            snprintf(name, sizeof name, "%s.%sBiasVector", prefix, gates[k]);
            w->b[k] = weight(c, name, (size_t)H, false, &rc);
        }
    }
    for (int k = 0; peep && k < 3; k++) {
        snprintf(name, sizeof name, "%s.%sPeepholeVector", prefix, peeps[k]);
        w->p[k] = weight(c, name, (size_t)H, false, &rc);
    }
    return rc;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3608-3706 LSTMParams:
 * i = f(clip(W_i x + R_i y + p_i * c + b_i)), f_t likewise with p_f,
 * z = g(clip(W_z x + R_z y + b_z)), c' = c * f_t + i * z (coupled input
 * and forget gate: c * (1 - i) + i * z), c' clipped to
 * +-cellClipThreshold (0 means 50), o = f(clip(W_o x + R_o y + p_o * c' +
 * b_o)), y' = h(c') * o; forgetBias adds 1 to b_f. One batch entry's
 * sequence, steps in order `order`; y[k] written for step k's position
 * pos(k) when ys is set. */
static void lstm_run(const lstm_cfg *cf, const lstm_w *w, const rseq *s, int64_t bi, int64_t H, bool rev, double *y,
                     double *cs, double *tmp, float *ys, int64_t ystride, int64_t yoff, bool align_input, bool seq) {
    int64_t I = s->I;
    double *gi = tmp, *gf = tmp + H, *gz = tmp + 2 * H, *go = tmp + 3 * H;
    for (int64_t k = 0; k < s->S; k++) {
        int64_t t = rev ? s->S - 1 - k : k;
        const float *x = s->x + (t * s->B + bi) * I;
        gate(w->W[0], w->R[0], w->b[0], x, I, y, H, gi);
        gate(w->W[1], w->R[1], w->b[1], x, I, y, H, gf);
        gate(w->W[2], w->R[2], w->b[2], x, I, y, H, gz);
        gate(w->W[3], w->R[3], w->b[3], x, I, y, H, go);
        for (int64_t h = 0; h < H; h++) {
            double ai = gi[h], af = gf[h] + (cf->forget_bias ? 1.0 : 0.0);
            if (w->p[0]) ai += w->p[0][h] * cs[h];
            if (w->p[1]) af += w->p[1][h] * cs[h];
            double it = ract_apply(&cf->f, clip50(ai)), ft = ract_apply(&cf->f, clip50(af)),
                   zt = ract_apply(&cf->g, clip50(gz[h]));
            double cn = cf->coupled ? cs[h] * (1 - it) + it * zt : cs[h] * ft + it * zt;
            if (cn > cf->clip) cn = cf->clip;
            if (cn < -cf->clip) cn = -cf->clip;
            double ao = go[h];
            if (w->p[2]) ao += w->p[2][h] * cn;
            double ot = ract_apply(&cf->f, clip50(ao));
            cs[h] = cn;
            gi[h] = ract_apply(&cf->h, cn) * ot; /* the new y, kept until every unit is done */
        }
        memcpy(y, gi, (size_t)H * sizeof *y);
        if (ys && (seq || k == s->S - 1)) {
            int64_t pos = !seq ? 0 : align_input ? t : k;
            float *dst = ys + (pos * s->B + bi) * ystride + yoff;
            for (int64_t h = 0; h < H; h++) dst[h] = (float)y[h];
        }
    }
}

static int lstm_cfg_read(xctx *c, const char *act_prefix, lstm_cfg *cf) {
    char n0[64], n1[64], n2[64];
    snprintf(n0, sizeof n0, "%s[0]", act_prefix);
    snprintf(n1, sizeof n1, "%s[1]", act_prefix);
    snprintf(n2, sizeof n2, "%s[2]", act_prefix);
    if (ract_parse(c, n0, &cf->f) != 0 || ract_parse(c, n1, &cf->g) != 0 || ract_parse(c, n2, &cf->h) != 0) return -1;
    cf->forget_bias = exec_ab(c, "params.forgetBias");
    cf->peephole = exec_ab(c, "params.hasPeepholeVectors");
    cf->coupled = exec_ab(c, "params.coupledInputAndForgetGate");
    cf->clip = exec_af(c, "params.cellClipThreshold", 0);
    if (cf->clip == 0) cf->clip = 50;
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3736-3773,3608-3706,3708-3734
 * UniDirectionalLSTMLayerParams: inputs (x, y0, c0), outputs (y, y_T,
 * c_T); activations [f, g, h]; LSTMParams; LSTMWeightParams. */
static int k_uniDirectionalLSTM(xctx *c) {
    int64_t I = exec_ai(c, "inputVectorSize", 0), H = exec_ai(c, "outputVectorSize", 0);
    if (I < 1 || H < 1) return exec_fail(c, "bad vector sizes");
    rseq s;
    if (seq_in(c, I, &s) != 0) return -1;
    lstm_cfg cf;
    if (lstm_cfg_read(c, "activations", &cf) != 0) return -1;
    lstm_w w;
    if (lstm_weights(c, "weightParams", I, H, exec_ab(c, "params.hasBiasVectors"), cf.peephole, &w) != 0) return -1;
    bool seq = exec_ab(c, "params.sequenceOutput"), rev = exec_ab(c, "reverseInput");
    double *y = malloc((size_t)(2 * s.B * H + 4 * H) * sizeof *y);
    if (!y) return exec_fail(c, "out of memory");
    double *cs = y + s.B * H, *tmp = cs + s.B * H;
    if (state_in(c, 1, s.B, H, y) != 0 || state_in(c, 2, s.B, H, cs) != 0) { free(y); return -1; }
    xt *yo = seq_out(c, 0, seq ? s.S : 1, s.B, H);
    if (!yo && exec_n_outputs(c)) { free(y); return exec_fail(c, "out of memory"); }
    if (yo && (s.S == 0 || !seq)) memset(yo->d, 0, yo->n * sizeof(float));
    for (int64_t bi = 0; bi < s.B; bi++)
        lstm_run(&cf, &w, &s, bi, H, rev, y + bi * H, cs + bi * H, tmp, yo ? yo->d : NULL, H, 0, false, seq);
    state_out(c, 1, s.B, H, y);
    state_out(c, 2, s.B, H, cs);
    free(y);
    return 0;
}

/* SOURCE: apple/coremltools mlmodel/format/NeuralNetwork.proto:3775-3856
 * BiDirectionalLSTMLayerParams: inputs (x, y0_f, c0_f, y0_b, c0_b),
 * outputs (y, y_f, c_f, y_b, c_b); y holds [forward, backward] per step
 * (2 * outputVectorSize), the backward one aligned with the input
 * position; without sequenceOutput [yf_T, yb_1]; weightParams[0] forward,
 * [1] backward; activationsForwardLSTM / activationsBackwardLSTM. */
static int k_biDirectionalLSTM(xctx *c) {
    int64_t I = exec_ai(c, "inputVectorSize", 0), H = exec_ai(c, "outputVectorSize", 0);
    if (I < 1 || H < 1) return exec_fail(c, "bad vector sizes");
    rseq s;
    if (seq_in(c, I, &s) != 0) return -1;
    lstm_cfg cf[2];
    if (lstm_cfg_read(c, "activationsForwardLSTM", &cf[0]) != 0) return -1;
    if (exec_ab(c, "activationsBackwardLSTM[0].sigmoid") || exec_ab(c, "activationsBackwardLSTM[0].tanh") ||
        exec_ab(c, "activationsBackwardLSTM[0].sigmoidHard") || exec_ab(c, "activationsBackwardLSTM[0].linear") ||
        exec_ab(c, "activationsBackwardLSTM[0].ReLU") || exec_ab(c, "activationsBackwardLSTM[0].scaledTanh")) {
        if (lstm_cfg_read(c, "activationsBackwardLSTM", &cf[1]) != 0) return -1;
    } else {
        cf[1] = cf[0];
    }
    bool bias = exec_ab(c, "params.hasBiasVectors");
    lstm_w w[2];
    if (lstm_weights(c, "weightParams[0]", I, H, bias, cf[0].peephole, &w[0]) != 0 ||
        lstm_weights(c, "weightParams[1]", I, H, bias, cf[0].peephole, &w[1]) != 0)
        return -1;
    bool seq = exec_ab(c, "params.sequenceOutput");
    double *st = malloc((size_t)(4 * s.B * H + 4 * H) * sizeof *st);
    if (!st) return exec_fail(c, "out of memory");
    double *yf = st, *cfw = yf + s.B * H, *yb = cfw + s.B * H, *cb = yb + s.B * H, *tmp = cb + s.B * H;
    if (state_in(c, 1, s.B, H, yf) != 0 || state_in(c, 2, s.B, H, cfw) != 0 || state_in(c, 3, s.B, H, yb) != 0 ||
        state_in(c, 4, s.B, H, cb) != 0) {
        free(st);
        return -1;
    }
    xt *yo = seq_out(c, 0, seq ? s.S : 1, s.B, 2 * H);
    if (!yo && exec_n_outputs(c)) { free(st); return exec_fail(c, "out of memory"); }
    if (yo && (s.S == 0 || !seq)) memset(yo->d, 0, yo->n * sizeof(float));
    for (int64_t bi = 0; bi < s.B; bi++) {
        lstm_run(&cf[0], &w[0], &s, bi, H, false, yf + bi * H, cfw + bi * H, tmp, yo ? yo->d : NULL, 2 * H, 0, true, seq);
        lstm_run(&cf[1], &w[1], &s, bi, H, true, yb + bi * H, cb + bi * H, tmp, yo ? yo->d : NULL, 2 * H, H, true, seq);
    }
    double *states[4] = {yf, cfw, yb, cb};
    for (size_t k = 0; k < 4; k++) state_out(c, k + 1, s.B, H, states[k]);
    free(st);
    return 0;
}

static const exec_kdef RNN[] = {NN_K(biDirectionalLSTM), NN_K(gru), NN_K(simpleRecurrent), NN_K(uniDirectionalLSTM)};
NN_TABLE(NN_RNN_TABLE, RNN);
