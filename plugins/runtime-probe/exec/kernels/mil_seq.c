/* SPDX-License-Identifier: Apache-2.0 */
/* mil_seq.c — ML Program recurrent, attention, einsum, normalisation and
 * quantization kernels.
 *
 * lstm (forward / reverse / bidirectional, peepholes, clip, the six gate
 * activations), gru (iOS18 reset_after and input_bias), rnn: x is
 * [seq, batch, input]; a unidirectional reverse layer emits its steps in the
 * order it runs them (the last input first), a bidirectional one places the
 * backward direction's output at the time step it read, as the coremltools
 * op tests compare them with PyTorch (input projections for every step as one
 * matrix product, then the recurrence step by step in float32; in fp16
 * emulation the hidden and cell states are rounded to binary16 after every
 * step, where the GPU and Neural Engine store them). scaled_dot_product_attention
 * (bool or additive mask broadcast to [B.., L, S]), einsum (any equation of
 * one or two operands with explicit output, size-1 dims broadcast; the op
 * definition names two forms), l2_norm, local_response_norm (PyTorch's
 * channel window c - size/2 .. c + (size-1)/2), quantize / dequantize
 * (round half to even, clip to int8 / uint8).
 * SOURCE: apple/coremltools coremltools/converters/mil/mil/ops/defs/
 * iOS15/recurrent.py, iOS17/recurrent.py, iOS18/recurrent.py (gru
 * reset_after, input_bias), iOS18/transformers.py, iOS15/linear.py (einsum),
 * iOS15/normalization.py (l2_norm, local_response_norm),
 * iOS17/quantization_ops.py, coremltools/optimize/_utils.py
 * (quantize_by_scale_and_zp: np.around, clip); the reference loops of
 * ops/tests/iOS14/test_recurrent.py (gate order, peephole use of the old and
 * new cell state, clip of the cell state, activation defaults,
 * reverse-direction output order) and ops/tests/iOS18/test_recurrent.py
 * (reset_after against torch.nn.GRU). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mil.h"

/* ---- activations of the recurrent ops --------------------------------------------- */

enum { RA_SIGMOID, RA_TANH, RA_RELU, RA_HARD_SIGMOID, RA_LINEAR, RA_SCALED_TANH };

/* SOURCE: iOS15/recurrent.py lstm: hard_sigmoid, linear, relu, scaled_tanh,
 * sigmoid, tanh (rnn spells sigmoid_hard); ops/tests/iOS14/test_recurrent.py
 * _apply_act: the default parameters (scaled_tanh = tanh, hard_sigmoid
 * min(max(0.2x + 0.5, 0), 1)). */
static int ract_kind(const char *s, int def) {
    if (!s) return def;
    if (!strcasecmp(s, "sigmoid")) return RA_SIGMOID;
    if (!strcasecmp(s, "tanh")) return RA_TANH;
    if (!strcasecmp(s, "relu")) return RA_RELU;
    if (!strcasecmp(s, "hard_sigmoid") || !strcasecmp(s, "sigmoid_hard")) return RA_HARD_SIGMOID;
    if (!strcasecmp(s, "linear")) return RA_LINEAR;
    if (!strcasecmp(s, "scaled_tanh")) return RA_SCALED_TANH;
    return -1;
}

static inline float ract(int k, float x) {
    switch (k) {
    case RA_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case RA_TANH: case RA_SCALED_TANH: return tanhf(x);
    case RA_RELU: return x > 0 ? x : 0;
    case RA_HARD_SIGMOID: { float v = 0.2f * x + 0.5f; return v < 0 ? 0 : v > 1 ? 1 : v; }
    default: return x;
    }
}

static int chk_recurrent(const exec_io *io, const cml_op *op, char *why, size_t n) {
    static const char *const acts[] = {"sigmoid", "tanh", "relu", "hard_sigmoid", "sigmoid_hard", "linear",
                                       "scaled_tanh", "SIGMOID", "TANH", "RELU", "HARD_SIGMOID", "LINEAR",
                                       "SCALED_TANH", NULL};
    static const char *const dirs[] = {"forward", "reverse", "bidirectional", NULL};
    if (mil_chk_one_of(io, op, "direction", dirs, why, n) != 0) return -1;
    if (mil_chk_one_of(io, op, "activation", acts, why, n) != 0) return -1;
    if (mil_chk_one_of(io, op, "recurrent_activation", acts, why, n) != 0) return -1;
    return mil_chk_one_of(io, op, "cell_activation", acts, why, n);
}

static bool rounds16(xctx *c, size_t out) {
    return c->mode == EXEC_FP16_EMU ||
           (c->mode == EXEC_TYPED && out < exec_n_outputs(c) && c->p->slots[c->st->out_slots[out]].decl == EXEC_DT_FP16);
}

static void round_buf(float *d, size_t n) {
    for (size_t i = 0; i < n; i++) d[i] = exec_r16(d[i]);
}

/* the common shapes: x [S, B, I], a weight [G*H, I] / [G*H, H] */
typedef struct rshape {
    int64_t S, B, I, H;
} rshape;

static int rec_shapes(xctx *c, const xt *x, const xt *wih, const xt *whh, int gates, rshape *r) {
    if (x->rank != 3) return exec_fail(c, "x must be [seq, batch, input]");
    if (wih->rank != 2 || whh->rank != 2) return exec_fail(c, "weights must have rank 2");
    r->S = x->dim[0];
    r->B = x->dim[1];
    r->I = x->dim[2];
    r->H = whh->dim[1];
    if (whh->dim[0] != gates * r->H || wih->dim[0] != gates * r->H || wih->dim[1] != r->I)
        return exec_fail(c, "weights do not match %d gates of hidden size %lld and input size %lld", gates, (long long)r->H,
                         (long long)r->I);
    return 0;
}

static int vec_len(xctx *c, const xt *v, int64_t n, const char *name) {
    if (v && v->d && (int64_t)v->n != n) return exec_fail(c, "%s has %zu values, expected %lld", name, v->n, (long long)n);
    return 0;
}

/* ---- lstm ----------------------------------------------------------------------------- */

typedef struct lstm_dir {
    const xt *wih, *whh, *b, *peep;
} lstm_dir;

/* one direction over the sequence; h, c [B, H] in/out; seq_out [S, B, stride]
 * at column offset col (NULL: none); aligned: the output of step k goes to
 * time t (the step's input position), else to position k */
static int lstm_run(xctx *c, const rshape *r, const xt *x, const lstm_dir *d, bool reverse, bool aligned, int acts[3],
                    double clip, bool r16, float *h, float *cs, float *seq_out, int64_t stride, int64_t col) {
    int64_t S = r->S, B = r->B, I = r->I, H = r->H, G = 4 * H;
    float *xp = malloc((size_t)exec_nz(S * B * G) * sizeof(float)), *hp = malloc((size_t)exec_nz(B * G) * sizeof(float));
    if (!xp || !hp) { free(xp); free(hp); return exec_fail(c, "out of memory"); }
    /* every step's input projection at once: [S*B, 4H] */
    if (S * B > 0 && exec_linear(c, x->d, (size_t)(S * B), I, d->wih->d, d->b && d->b->d ? d->b->d : NULL, G, xp) != 0) {
        free(xp); free(hp);
        return -1;
    }
    const float *p = d->peep && d->peep->d ? d->peep->d : NULL;
    for (int64_t k = 0; k < S; k++) {
        int64_t t = reverse ? S - 1 - k : k;
        if (B && exec_linear(c, h, (size_t)B, H, d->whh->d, NULL, G, hp) != 0) { free(xp); free(hp); return -1; }
        for (int64_t b = 0; b < B; b++) {
            const float *gx = xp + (t * B + b) * G, *gh = hp + b * G;
            float *hb = h + b * H, *cb = cs + b * H;
            for (int64_t j = 0; j < H; j++) {
                /* gate order i, f, o, z (ifoz) */
                float cprev = cb[j];
                float gi = gx[j] + gh[j] + (p ? p[j] * cprev : 0);
                float gf = gx[H + j] + gh[H + j] + (p ? p[H + j] * cprev : 0);
                float gz = gx[3 * H + j] + gh[3 * H + j];
                float iv = ract(acts[0], gi), fv = ract(acts[0], gf), zv = ract(acts[1], gz);
                float cn = fv * cprev + iv * zv;
                if (clip > 0) cn = cn > (float)clip ? (float)clip : cn < -(float)clip ? -(float)clip : cn;
                float go = gx[2 * H + j] + gh[2 * H + j] + (p ? p[2 * H + j] * cn : 0);
                float ov = ract(acts[0], go);
                cb[j] = cn;
                hb[j] = ov * ract(acts[2], cn);
            }
        }
        if (r16) {
            round_buf(h, (size_t)(B * H));
            round_buf(cs, (size_t)(B * H));
        }
        if (seq_out) {
            int64_t pos = aligned ? t : k;
            for (int64_t b = 0; b < B; b++) memcpy(seq_out + (pos * B + b) * stride + col, h + b * H, (size_t)H * sizeof(float));
        }
    }
    free(xp);
    free(hp);
    return 0;
}

/* SOURCE: iOS15/recurrent.py lstm (outputs: sequence or last step
 * [S or 1, B, D*H], final h [B, D*H], final c [B, D*H]). */
static int k_lstm(xctx *c) {
    const xt *x = exec_in(c, "x"), *h0 = exec_in(c, "initial_h"), *c0 = exec_in(c, "initial_c");
    const xt *wih = exec_in(c, "weight_ih"), *whh = exec_in(c, "weight_hh");
    NEED(x, "x");
    NEED(h0, "initial_h");
    NEED(c0, "initial_c");
    NEED(wih, "weight_ih");
    NEED(whh, "weight_hh");
    rshape r = {0, 0, 0, 0};
    if (rec_shapes(c, x, wih, whh, 4, &r) != 0) return -1;
    const char *dir = exec_ps(c, "direction");
    bool bidi = dir && !strcmp(dir, "bidirectional"), rev = dir && !strcmp(dir, "reverse");
    int D = bidi ? 2 : 1;
    int acts[3] = {ract_kind(exec_ps(c, "recurrent_activation"), RA_SIGMOID), ract_kind(exec_ps(c, "cell_activation"), RA_TANH),
                   ract_kind(exec_ps(c, "activation"), RA_TANH)};
    if (acts[0] < 0 || acts[1] < 0 || acts[2] < 0) return exec_fail(c, "unknown activation");
    lstm_dir dirs[2] = {{wih, whh, exec_in(c, "bias"), exec_in(c, "peephole")},
                        {exec_in(c, "weight_ih_back"), exec_in(c, "weight_hh_back"), exec_in(c, "bias_back"),
                         exec_in(c, "peephole_back")}};
    if (bidi) {
        rshape r2 = {0, 0, 0, 0};
        if (!dirs[1].wih || !dirs[1].wih->d || !dirs[1].whh || !dirs[1].whh->d)
            return exec_fail(c, "a bidirectional lstm needs weight_ih_back and weight_hh_back");
        if (rec_shapes(c, x, dirs[1].wih, dirs[1].whh, 4, &r2) != 0) return -1;
        if (r2.H != r.H) return exec_fail(c, "backward hidden size differs");
    }
    for (int k = 0; k < D; k++)
        if (vec_len(c, dirs[k].b, 4 * r.H, "bias") || vec_len(c, dirs[k].peep, 3 * r.H, "peephole")) return -1;
    int64_t DH = D * r.H;
    if ((int64_t)h0->n != r.B * DH || (int64_t)c0->n != r.B * DH)
        return exec_fail(c, "initial states must be [batch, %lld]", (long long)DH);
    double clip = exec_in(c, "clip") ? exec_pf(c, "clip", 0) : 0;
    bool seq = exec_pb(c, "output_sequence", false), r16 = rounds16(c, 0);
    int64_t d0[3] = {seq ? r.S : 1, r.B, DH}, d1[2] = {r.B, DH};
    xt *y = exec_out(c, 0, 3, d0);
    xt *yh = exec_n_outputs(c) > 1 ? exec_out(c, 1, 2, d1) : NULL;
    xt *yc = exec_n_outputs(c) > 2 ? exec_out(c, 2, 2, d1) : NULL;
    if (!y || (exec_n_outputs(c) > 1 && !yh) || (exec_n_outputs(c) > 2 && !yc)) return exec_fail(c, "out of memory");
    float *h = malloc((size_t)exec_nz(r.B * r.H) * sizeof(float) * 2), *cs = h ? h + r.B * r.H : NULL;
    float *sq = seq ? y->d : malloc((size_t)exec_nz(r.S * r.B * DH) * sizeof(float));
    if (!h || !sq) { free(h); if (!seq) free(sq); return exec_fail(c, "out of memory"); }
    int rc = 0;
    for (int k = 0; k < D && !rc; k++) {
        for (int64_t b = 0; b < r.B; b++) {
            memcpy(h + b * r.H, h0->d + b * DH + k * r.H, (size_t)r.H * sizeof(float));
            memcpy(cs + b * r.H, c0->d + b * DH + k * r.H, (size_t)r.H * sizeof(float));
        }
        bool reverse = bidi ? k == 1 : rev;
        rc = lstm_run(c, &r, x, &dirs[k], reverse, bidi, acts, clip, r16, h, cs, sq, DH, k * r.H);
        for (int64_t b = 0; b < r.B && !rc; b++) {
            if (yh) memcpy(yh->d + b * DH + k * r.H, h + b * r.H, (size_t)r.H * sizeof(float));
            if (yc) memcpy(yc->d + b * DH + k * r.H, cs + b * r.H, (size_t)r.H * sizeof(float));
            /* the last step: forward's final state, backward's at time 0 (its final one) */
            if (!seq) memcpy(y->d + b * DH + k * r.H, h + b * r.H, (size_t)r.H * sizeof(float));
        }
    }
    free(h);
    if (!seq) free(sq);
    return rc;
}

/* ---- gru --------------------------------------------------------------------------------- */

/* SOURCE: iOS15/recurrent.py gru (gates r, o, z: weight rows [r | o | z]);
 * ops/tests/iOS14/test_recurrent.py: o = act(W_o x + R_o (r * h) + b_o);
 * iOS18/recurrent.py reset_after (o = act(W_o x + b_io + r * (R_o h + b_ho)),
 * PyTorch's GRU) with input_bias the input-side biases and bias the
 * hidden-side ones. */
static int k_gru(xctx *c) {
    const xt *x = exec_in(c, "x"), *h0 = exec_in(c, "initial_h"), *wih = exec_in(c, "weight_ih"),
             *whh = exec_in(c, "weight_hh"), *bias = exec_in(c, "bias"), *ibias = exec_in(c, "input_bias");
    NEED(x, "x");
    NEED(h0, "initial_h");
    NEED(wih, "weight_ih");
    NEED(whh, "weight_hh");
    rshape r = {0, 0, 0, 0};
    if (rec_shapes(c, x, wih, whh, 3, &r) != 0) return -1;
    int64_t S = r.S, B = r.B, H = r.H, G = 3 * H;
    if (vec_len(c, bias, G, "bias") || vec_len(c, ibias, G, "input_bias")) return -1;
    if ((int64_t)h0->n != B * H) return exec_fail(c, "initial_h must be [batch, %lld]", (long long)H);
    const char *dir = exec_ps(c, "direction");
    bool rev = dir && !strcmp(dir, "reverse"), seq = exec_pb(c, "output_sequence", false);
    bool after = exec_pb(c, "reset_after", false), r16 = rounds16(c, 0);
    int ra = ract_kind(exec_ps(c, "recurrent_activation"), RA_SIGMOID), act = ract_kind(exec_ps(c, "activation"), RA_TANH);
    if (ra < 0 || act < 0) return exec_fail(c, "unknown activation");
    int64_t d0[3] = {seq ? S : 1, B, H}, d1[2] = {B, H};
    xt *y = exec_out(c, 0, 3, d0), *yh = exec_n_outputs(c) > 1 ? exec_out(c, 1, 2, d1) : NULL;
    if (!y || (exec_n_outputs(c) > 1 && !yh)) return exec_fail(c, "out of memory");
    float *xp = malloc((size_t)exec_nz(S * B * G) * sizeof(float)), *hp = malloc((size_t)exec_nz(B * G) * sizeof(float));
    float *h = malloc((size_t)exec_nz(B * H) * sizeof(float)), *rh = malloc((size_t)exec_nz(B * H) * sizeof(float));
    float *bi = calloc((size_t)G, sizeof(float)), *bh = calloc((size_t)G, sizeof(float));
    int rc = -1;
    if (!xp || !hp || !h || !rh || !bi || !bh) { exec_fail(c, "out of memory"); goto out; }
    /* input-side and hidden-side biases (without reset_after they only add up) */
    for (int64_t j = 0; j < G; j++) {
        float vb = bias && bias->d ? bias->d[j] : 0, vi = ibias && ibias->d ? ibias->d[j] : 0;
        if (after) { bi[j] = vi; bh[j] = vb; }
        else bi[j] = vb + vi;
    }
    if (S * B > 0 && exec_linear(c, x->d, (size_t)(S * B), r.I, wih->d, bi, G, xp) != 0) goto out;
    memcpy(h, h0->d, (size_t)(B * H) * sizeof(float));
    for (int64_t k = 0; k < S; k++) {
        int64_t t = rev ? S - 1 - k : k;
        if (B && exec_linear(c, h, (size_t)B, H, whh->d, bh, G, hp) != 0) goto out;
        for (int64_t b = 0; b < B; b++) {
            const float *gx = xp + (t * B + b) * G, *gh = hp + b * G;
            float *hb = h + b * H, *rb = rh + b * H;
            /* rb: the reset gate (reset_after), else r * h for R_o (r * h) */
            for (int64_t j = 0; j < H; j++) {
                float rv = ract(ra, gx[j] + gh[j]);
                rb[j] = after ? rv : rv * hb[j];
            }
            for (int64_t j = 0; j < H; j++) {
                float hn;
                if (after) {
                    hn = gx[H + j] + rb[j] * gh[H + j];
                } else {
                    double acc = 0;
                    const float *wrow = whh->d + (H + j) * H;
                    for (int64_t q = 0; q < H; q++) acc += (double)wrow[q] * rb[q];
                    hn = gx[H + j] + (float)acc;
                }
                float zv = ract(ra, gx[2 * H + j] + gh[2 * H + j]), ov = ract(act, hn);
                /* hb[j] is read only here for unit j (rb holds what R_o needs) */
                hb[j] = (1 - zv) * ov + zv * hb[j];
            }
        }
        if (r16) round_buf(h, (size_t)(B * H));
        if (seq) memcpy(y->d + k * B * H, h, (size_t)(B * H) * sizeof(float));
    }
    if (!seq) memcpy(y->d, h, (size_t)(B * H) * sizeof(float));
    if (yh) memcpy(yh->d, h, (size_t)(B * H) * sizeof(float));
    rc = 0;
out:
    free(xp); free(hp); free(h); free(rh); free(bi); free(bh);
    return rc;
}

/* ---- rnn ---------------------------------------------------------------------------------- */

/* SOURCE: iOS15/recurrent.py rnn: h = act(W_ih x + W_hh h + bias). */
static int k_rnn(xctx *c) {
    const xt *x = exec_in(c, "x"), *h0 = exec_in(c, "initial_h"), *wih = exec_in(c, "weight_ih"),
             *whh = exec_in(c, "weight_hh"), *bias = exec_in(c, "bias");
    NEED(x, "x");
    NEED(h0, "initial_h");
    NEED(wih, "weight_ih");
    NEED(whh, "weight_hh");
    rshape r = {0, 0, 0, 0};
    if (rec_shapes(c, x, wih, whh, 1, &r) != 0) return -1;
    int64_t S = r.S, B = r.B, H = r.H;
    if (vec_len(c, bias, H, "bias")) return -1;
    if ((int64_t)h0->n != B * H) return exec_fail(c, "initial_h must be [batch, %lld]", (long long)H);
    const char *dir = exec_ps(c, "direction");
    bool rev = dir && !strcmp(dir, "reverse"), seq = exec_pb(c, "output_sequence", false), r16 = rounds16(c, 0);
    int act = ract_kind(exec_ps(c, "activation"), RA_TANH);
    if (act < 0) return exec_fail(c, "unknown activation");
    int64_t d0[3] = {seq ? S : 1, B, H}, d1[2] = {B, H};
    xt *y = exec_out(c, 0, 3, d0), *yh = exec_n_outputs(c) > 1 ? exec_out(c, 1, 2, d1) : NULL;
    if (!y || (exec_n_outputs(c) > 1 && !yh)) return exec_fail(c, "out of memory");
    float *xp = malloc((size_t)exec_nz(S * B * H) * sizeof(float)), *hp = malloc((size_t)exec_nz(B * H) * sizeof(float));
    float *h = malloc((size_t)exec_nz(B * H) * sizeof(float));
    int rc = -1;
    if (!xp || !hp || !h) { exec_fail(c, "out of memory"); goto out; }
    if (S * B > 0 && exec_linear(c, x->d, (size_t)(S * B), r.I, wih->d, bias && bias->d ? bias->d : NULL, H, xp) != 0) goto out;
    memcpy(h, h0->d, (size_t)(B * H) * sizeof(float));
    for (int64_t k = 0; k < S; k++) {
        int64_t t = rev ? S - 1 - k : k;
        if (B && exec_linear(c, h, (size_t)B, H, whh->d, NULL, H, hp) != 0) goto out;
        for (int64_t i = 0; i < B * H; i++) h[i] = ract(act, xp[t * B * H + i] + hp[i]);
        if (r16) round_buf(h, (size_t)(B * H));
        if (seq) memcpy(y->d + k * B * H, h, (size_t)(B * H) * sizeof(float));
    }
    if (!seq) memcpy(y->d, h, (size_t)(B * H) * sizeof(float));
    if (yh) memcpy(yh->d, h, (size_t)(B * H) * sizeof(float));
    rc = 0;
out:
    free(xp); free(hp); free(h);
    return rc;
}

/* ---- attention ------------------------------------------------------------------------------ */

/* SOURCE: iOS18/transformers.py scaled_dot_product_attention:
 * softmax(Q K^T / sqrt(E) + mask) V; a bool mask excludes the false
 * positions (-inf), a float mask is added; the mask broadcasts to [B.., L, S]. */
static int k_scaled_dot_product_attention(xctx *c) {
    const xt *q = exec_in(c, "query"), *k = exec_in(c, "key"), *v = exec_in(c, "value"), *m = exec_in(c, "attn_mask");
    NEED(q, "query");
    NEED(k, "key");
    NEED(v, "value");
    int R = q->rank;
    if (R < 3 || k->rank != R || v->rank != R) return exec_fail(c, "query, key and value need one rank >= 3");
    int64_t L = q->dim[R - 2], E = q->dim[R - 1], S = k->dim[R - 2], EV = v->dim[R - 1];
    if (k->dim[R - 1] != E || v->dim[R - 2] != S) return exec_fail(c, "key / value shapes do not match the query");
    for (int i = 0; i < R - 2; i++)
        if (k->dim[i] != q->dim[i] || v->dim[i] != q->dim[i]) return exec_fail(c, "batch dims differ");
    bool has_mask = m && m->d;
    int64_t ms[EXEC_MAX_RANK] = {0};
    if (has_mask) {
        if (m->rank > R) return exec_fail(c, "attn_mask rank exceeds the query's");
        /* strides of the mask broadcast to [B.., L, S] (0 on broadcast dims) */
        int64_t st[EXEC_MAX_RANK];
        mil_strides(m->rank, m->dim, st);
        for (int i = 0; i < R; i++) {
            int j = i - (R - m->rank);
            int64_t want = i == R - 2 ? L : i == R - 1 ? S : q->dim[i];
            if (j < 0) continue;
            if (m->dim[j] != 1 && m->dim[j] != want) return exec_fail(c, "attn_mask does not broadcast to [.., L, S]");
            ms[i] = m->dim[j] == 1 ? 0 : st[j];
        }
    }
    bool mbool = has_mask && m->dt == EXEC_DT_BOOL;
    int64_t dim[EXEC_MAX_RANK];
    memcpy(dim, q->dim, sizeof dim);
    dim[R - 1] = EV;
    xt *y = exec_out(c, 0, R, dim);
    if (!y) return exec_fail(c, "out of memory");
    size_t nb = exec_count(R - 2, q->dim);
    double *sc = malloc((size_t)exec_nz(S) * sizeof *sc), scale = 1.0 / sqrt((double)(E ? E : 1));
    if (!sc) return exec_fail(c, "out of memory");
    int64_t bidx[EXEC_MAX_RANK] = {0};
    for (size_t b = 0; b < nb; b++) {
        int64_t moff_b = 0;
        for (int i = 0; i < R - 2; i++) moff_b += bidx[i] * ms[i];
        const float *qb = q->d + b * (size_t)(L * E), *kb = k->d + b * (size_t)(S * E), *vb = v->d + b * (size_t)(S * EV);
        float *yb = y->d + b * (size_t)(L * EV);
        for (int64_t l = 0; l < L; l++) {
            double mx = -INFINITY;
            for (int64_t s = 0; s < S; s++) {
                double acc = 0;
                for (int64_t e = 0; e < E; e++) acc += (double)qb[l * E + e] * kb[s * E + e];
                acc *= scale;
                if (has_mask) {
                    float mv = m->d[moff_b + l * ms[R - 2] + s * ms[R - 1]];
                    if (mbool) acc = mv != 0 ? acc : -INFINITY;
                    else acc += mv;
                }
                sc[s] = acc;
                if (acc > mx) mx = acc;
            }
            double tot = 0;
            for (int64_t s = 0; s < S; s++) tot += (sc[s] = exp(sc[s] - mx));
            for (int64_t e = 0; e < EV; e++) {
                double acc = 0;
                for (int64_t s = 0; s < S; s++) acc += sc[s] * vb[s * EV + e];
                yb[l * EV + e] = (float)(acc / tot); /* a fully masked row: 0/0, NaN as in PyTorch */
            }
        }
        exec_idx_next(bidx, R - 2, q->dim);   /* the batch dims: all but the last two */
    }
    free(sc);
    return 0;
}

/* ---- einsum ---------------------------------------------------------------------------------- */

/* SOURCE: iOS15/linear.py einsum: "nchw,nwhu->nchu" / "chw,whr->chr" and
 * equivalent spellings, size-1 dims broadcast; evaluated here for any
 * explicit equation of one or two operands (np.einsum semantics). */
static int k_einsum(xctx *c) {
    const char *eq = exec_ps(c, "equation");
    size_t nv = exec_in_count(c, "values");
    if (!eq) return exec_fail(c, "equation missing");
    if (nv < 1 || nv > 2) return exec_fail(c, "einsum takes one or two operands, got %zu", nv);
    const xt *ops[2] = {exec_in_at(c, "values", 0), nv > 1 ? exec_in_at(c, "values", 1) : NULL};
    for (size_t i = 0; i < nv; i++) NEED(ops[i], "values");
    /* parse "ab,bc->ac" (spaces ignored) */
    char sub[3][EXEC_MAX_RANK + 1];
    int ns[3] = {0, 0, 0}, part = 0;
    bool arrow = false;
    for (const char *s = eq; *s; s++) {
        if (*s == ' ') continue;
        if (*s == ',') { if (part != 0 || nv < 2) return exec_fail(c, "bad equation '%s'", eq); part = 1; continue; }
        if (s[0] == '-' && s[1] == '>') { if (arrow) return exec_fail(c, "bad equation '%s'", eq); arrow = true; part = 2; s++; continue; }
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return exec_fail(c, "unsupported einsum syntax '%s'", eq);
        if (ns[part] >= EXEC_MAX_RANK) return exec_fail(c, "too many indices");
        sub[part][ns[part]++] = *s;
    }
    if (!arrow || (nv == 2 && part != 2)) return exec_fail(c, "the equation needs an explicit output (->)");
    /* the labels and their sizes */
    char lab[2 * EXEC_MAX_RANK + 1];
    int64_t sz[2 * EXEC_MAX_RANK];
    int nl = 0;
    for (size_t o = 0; o < nv; o++) {
        if (ns[o] != ops[o]->rank) return exec_fail(c, "operand %zu has rank %d for %d indices", o, ops[o]->rank, ns[o]);
        for (int i = 0; i < ns[o]; i++) {
            int l = 0;
            while (l < nl && lab[l] != sub[o][i]) l++;
            int64_t d = ops[o]->dim[i];
            if (l == nl) { lab[nl] = sub[o][i]; sz[nl++] = d; }
            else if (sz[l] != d) {
                if (sz[l] == 1) sz[l] = d;
                else if (d != 1) return exec_fail(c, "index '%c' has sizes %lld and %lld", sub[o][i], (long long)sz[l], (long long)d);
            }
        }
    }
    int64_t od[EXEC_MAX_RANK];
    int out_l[EXEC_MAX_RANK];
    for (int i = 0; i < ns[2]; i++) {
        int l = 0;
        while (l < nl && lab[l] != sub[2][i]) l++;
        if (l == nl) return exec_fail(c, "output index '%c' is not in the inputs", sub[2][i]);
        out_l[i] = l;
        od[i] = sz[l];
    }
    /* contracted labels: the others */
    int red[2 * EXEC_MAX_RANK], nr = 0;
    for (int l = 0; l < nl; l++) {
        bool in_out = false;
        for (int i = 0; i < ns[2]; i++) in_out |= out_l[i] == l;
        if (!in_out) red[nr++] = l;
    }
    xt *y = exec_out(c, 0, ns[2], od);
    if (!y) return exec_fail(c, "out of memory");
    /* per operand: the stride of each label (0 where the dim is 1: broadcast) */
    int64_t lst[2][2 * EXEC_MAX_RANK];
    memset(lst, 0, sizeof lst);
    for (size_t o = 0; o < nv; o++) {
        int64_t st[EXEC_MAX_RANK];
        mil_strides(ops[o]->rank, ops[o]->dim, st);
        for (int i = 0; i < ns[o]; i++) {
            int l = 0;
            while (lab[l] != sub[o][i]) l++;
            if (ops[o]->dim[i] != 1) lst[o][l] += st[i];
        }
    }
    double work = (double)y->n;
    int64_t nred = 1;
    for (int i = 0; i < nr; i++) {
        nred *= sz[red[i]];
        work *= (double)sz[red[i]];
    }
    if (work > 4e9) return exec_fail(c, "einsum of %.3g multiply-adds: too large for the reference loops", work);
    int64_t idx[2 * EXEC_MAX_RANK] = {0};
    for (size_t f = 0; f < y->n; f++) {
        /* output position -> label values */
        size_t rem = f;
        for (int i = ns[2] - 1; i >= 0; i--) {
            idx[out_l[i]] = (int64_t)(rem % (size_t)exec_nz(od[i]));
            rem /= (size_t)exec_nz(od[i]);
        }
        for (int i = 0; i < nr; i++) idx[red[i]] = 0;
        double acc = 0;
        for (int64_t rr = 0; rr < nred; rr++) {
            double prod = 1;
            for (size_t o = 0; o < nv; o++) {
                int64_t off = 0;
                for (int l = 0; l < nl; l++) off += idx[l] * lst[o][l];
                prod *= ops[o]->d[off];
            }
            acc += prod;
            for (int i = nr - 1; i >= 0; i--) {
                if (++idx[red[i]] < sz[red[i]]) break;
                idx[red[i]] = 0;
            }
        }
        y->d[f] = (float)acc;
    }
    return 0;
}

/* ---- normalisation ------------------------------------------------------------------------------ */

/* SOURCE: iOS15/normalization.py l2_norm: x / sqrt(sum(x^2) + epsilon) over
 * the last three dims (the leading ones are batch); epsilon 1e-6. */
static int k_l2_norm(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    double eps = exec_pf(c, "epsilon", 1e-6);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    size_t inner = exec_count(3, x->dim + x->rank - 3), nb = x->n / exec_nz((int64_t)inner);
    for (size_t b = 0; b < nb; b++) {
        const float *xb = x->d + b * inner;
        double ss = 0;
        for (size_t i = 0; i < inner; i++) ss += (double)xb[i] * xb[i];
        double s = 1.0 / sqrt(ss + eps);
        for (size_t i = 0; i < inner; i++) y->d[b * inner + i] = (float)(xb[i] * s);
    }
    return 0;
}

/* SOURCE: iOS15/normalization.py local_response_norm: x / (k + alpha/size *
 * sum of x^2 over `size` neighbouring channels)^beta; alpha 1e-4, beta 0.75,
 * k 1. The window c - size/2 .. c + (size-1)/2 is PyTorch's
 * (torch.nn.functional.local_response_norm), which converts to this op. */
static int k_local_response_norm(xctx *c) {
    const xt *x = exec_in(c, "x");
    NEED(x, "x");
    if (x->rank < 3) return exec_fail(c, "rank must be at least 3");
    int64_t size = exec_pi(c, "size", 0);
    if (size < 1) return exec_fail(c, "size must be >= 1");
    double alpha = exec_pf(c, "alpha", 1e-4), beta = exec_pf(c, "beta", 0.75), kk = exec_pf(c, "k", 1.0);
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    /* channels: dim 1 of [n, C, *D] (rank 3, 4), else the fourth from the end */
    int ca = x->rank <= 4 ? 1 : x->rank - 3;
    int64_t C = x->dim[ca], inner = 1;
    for (int i = ca + 1; i < x->rank; i++) inner *= x->dim[i];
    size_t outer = x->n / exec_nz(C * inner);
    int64_t lo = size / 2, hi = (size - 1) / 2;
    for (size_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < C; ch++)
            for (int64_t i = 0; i < inner; i++) {
                double ss = 0;
                /* the window clipped to the channels: size is the model's,
                 * and walking all of it took 2^40 steps for size 2^40 */
                int64_t j0 = ch - lo > 0 ? ch - lo : 0, j1 = hi < C - 1 - ch ? ch + hi : C - 1;
                for (int64_t j = j0; j <= j1; j++) {
                    double v = x->d[((int64_t)o * C + j) * inner + i];
                    ss += v * v;
                }
                size_t f = (size_t)(((int64_t)o * C + ch) * inner + i);
                y->d[f] = (float)(x->d[f] / pow(kk + alpha / (double)size * ss, beta));
            }
    return 0;
}

/* ---- quantize / dequantize --------------------------------------------------------------------- */

/* per-element scale / zero point: scalars, or vectors along axis */
static int qparams(xctx *c, const xt *x, const xt *scale, const xt *zp, int64_t *axis, int64_t *inner) {
    *axis = -1;
    *inner = 1;
    /* SOURCE: iOS17/quantization_ops.py quantize / dequantize: scale and
     * zero_point are a scalar or a vector of input.shape[axis] values. An
     * empty one fits only an input that is empty along axis; for any other
     * every element would read its value 0, past its end. */
    if (x->n && scale->n < 1) return exec_fail(c, "scale has 0 values (a scalar or one per index of axis)");
    if (x->n && zp && zp->d && zp->n < 1)
        return exec_fail(c, "zero_point has 0 values (a scalar or one per index of axis)");
    if (scale->n > 1 || (zp && zp->d && zp->n > 1)) {
        int a = mil_axis(c, exec_pi(c, "axis", 0), x->rank);
        if (a < 0) return -1;
        if ((int64_t)scale->n != x->dim[a] && scale->n != 1) return exec_fail(c, "scale must have %lld values", (long long)x->dim[a]);
        if (zp && zp->d && (int64_t)zp->n != x->dim[a] && zp->n != 1) return exec_fail(c, "zero_point must have %lld values", (long long)x->dim[a]);
        *axis = a;
        for (int i = a + 1; i < x->rank; i++) *inner *= x->dim[i];
    }
    return 0;
}

static inline size_t qidx(size_t f, int64_t axis, int64_t inner, int64_t D, size_t n) {
    return axis < 0 || n == 1 ? 0 : (size_t)((int64_t)f / inner % D);
}

/* SOURCE: iOS17/quantization_ops.py quantize: clip(round(x / scale) +
 * zero_point) to output_dtype (int8, uint8); optimize/_utils.py
 * quantize_by_scale_and_zp (np.around: half to even). */
static int k_quantize(xctx *c) {
    const xt *x = exec_in(c, "input"), *scale = exec_in(c, "scale"), *zp = exec_in(c, "zero_point");
    NEED(x, "input");
    NEED(scale, "scale");
    const char *dt = exec_ps(c, "output_dtype");
    double lo, hi;
    if (dt && !strcmp(dt, "int8")) { lo = -128; hi = 127; }
    else if (dt && !strcmp(dt, "uint8")) { lo = 0; hi = 255; }
    else return exec_fail(c, "output_dtype must be int8 or uint8");
    int64_t axis, inner;
    if (qparams(c, x, scale, zp, &axis, &inner) != 0) return -1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    y->dt = EXEC_DT_INT32;
    int64_t D = axis >= 0 ? x->dim[axis] : 1;
    for (size_t f = 0; f < x->n; f++) {
        float s = scale->d[qidx(f, axis, inner, D, scale->n)];
        double z = zp && zp->d ? zp->d[qidx(f, axis, inner, D, zp->n)] : 0;
        /* the division in float32, as the runtime and coremltools' NumPy do */
        double q = nearbyint((double)(x->d[f] / s)) + z;
        y->d[f] = (float)(q < lo ? lo : q > hi ? hi : q);
    }
    return 0;
}

/* SOURCE: iOS17/quantization_ops.py dequantize: scale * (input - zero_point). */
static int k_dequantize(xctx *c) {
    const xt *x = exec_in(c, "input"), *scale = exec_in(c, "scale"), *zp = exec_in(c, "zero_point");
    NEED(x, "input");
    NEED(scale, "scale");
    int64_t axis, inner;
    if (qparams(c, x, scale, zp, &axis, &inner) != 0) return -1;
    xt *y = exec_out_like(c, 0, x);
    if (!y) return exec_fail(c, "out of memory");
    int64_t D = axis >= 0 ? x->dim[axis] : 1;
    for (size_t f = 0; f < x->n; f++) {
        double s = scale->d[qidx(f, axis, inner, D, scale->n)];
        double z = zp && zp->d ? zp->d[qidx(f, axis, inner, D, zp->n)] : 0;
        y->d[f] = (float)(s * ((double)x->d[f] - z));
    }
    return 0;
}

/* ---- table -------------------------------------------------------------------------------------- */

#define K(name) {#name, k_##name, NULL}
#define KC(name, chk) {#name, k_##name, chk}
static const exec_kdef KERNELS[] = {
    KC(lstm, chk_recurrent), KC(gru, chk_recurrent), KC(rnn, chk_recurrent), K(scaled_dot_product_attention),
    K(einsum), K(l2_norm), K(local_response_norm), K(quantize), K(dequantize),
};
const mil_table EXEC_MIL_SEQ = {KERNELS, sizeof KERNELS / sizeof *KERNELS};
