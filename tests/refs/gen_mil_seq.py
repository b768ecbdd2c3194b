#!/usr/bin/python3
"""gen_mil_seq.py — reference cases for the executor's recurrent, attention,
einsum, normalisation and quantization kernels (kernels/mil_seq.c).
Writes mil_rnn.ref and mil_attn.ref next to itself.

    /usr/bin/python3 tests/refs/gen_mil_seq.py

References: torch.nn.LSTM / GRU / RNN (weights re-ordered to the MIL gate
layouts: LSTM ifoz, GRU r-o-z), F.scaled_dot_product_attention written out
(softmax(QK^T/sqrt(E) + mask) V), np.einsum, F.local_response_norm, and
NumPy for the rest. Peepholes, clipping and the activations PyTorch lacks
follow the reference loops of coremltools ops/tests/iOS14/test_recurrent.py.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from milref import Writer, b, fp, func, i32, lit, op, r16, s

rng = np.random.default_rng(17)
torch.manual_seed(17)
HERE = os.path.dirname(os.path.abspath(__file__))


def rnd(*shape, scale=1.0):
    return (np.round(rng.standard_normal(shape) * scale * 32) / 32).astype(np.float32)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


W = Writer(os.path.join(HERE, "mil_rnn.ref"), __doc__)

S, B, I, H = 3, 2, 2, 2


def ifzo_to_ifoz(a):
    i, f, z, o = np.split(a, 4)
    return np.concatenate([i, f, o, z])


def lstm_case(name, direction, seq, opset="ios15"):
    bidi = direction == "bidirectional"
    m = torch.nn.LSTM(I, H, 1, bidirectional=bidi)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(T(rnd(*p.shape, scale=0.5)))
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    x = rnd(S, B, I)
    D = 2 if bidi else 1
    h0 = rnd(D, B, H)
    c0 = rnd(D, B, H)
    xin = np.flip(x, 0).copy() if direction == "reverse" else x
    out, (hn, cn) = m(T(xin), (T(h0), T(c0)))
    out = out.detach().numpy()
    if not seq:
        if bidi:
            out = np.concatenate([out[-1:, :, :H], out[:1, :, H:]], 2)
        else:
            out = out[-1:]
    hn = np.concatenate(list(hn.detach().numpy()), 1)
    cn = np.concatenate(list(cn.detach().numpy()), 1)
    args = {"x": "x", "initial_h": "h0", "initial_c": "c0",
            "weight_ih": lit(ifzo_to_ifoz(sd["weight_ih_l0"]), "fp32"),
            "weight_hh": lit(ifzo_to_ifoz(sd["weight_hh_l0"]), "fp32"),
            "bias": lit(ifzo_to_ifoz(sd["bias_ih_l0"] + sd["bias_hh_l0"]), "fp32"),
            "direction": s(direction), "output_sequence": b(seq)}
    if bidi:
        args["weight_ih_back"] = lit(ifzo_to_ifoz(sd["weight_ih_l0_reverse"]), "fp32")
        args["weight_hh_back"] = lit(ifzo_to_ifoz(sd["weight_hh_l0_reverse"]), "fp32")
        args["bias_back"] = lit(ifzo_to_ifoz(sd["bias_ih_l0_reverse"] + sd["bias_hh_l0_reverse"]), "fp32")
    W.case(name,
           func(opset, [("x", "fp32", x.shape), ("h0", "fp32", (B, D * H)), ("c0", "fp32", (B, D * H))],
                [op([("y", "fp32", out.shape), ("hn", "fp32", hn.shape), ("cn", "fp32", cn.shape)], "lstm", args, "l")],
                ["y", "hn", "cn"]),
           [("x", x), ("h0", np.concatenate(list(h0), 1)), ("c0", np.concatenate(list(c0), 1))], [out, hn, cn])


lstm_case("lstm_forward_seq", "forward", True)
lstm_case("lstm_forward_last", "forward", False)
lstm_case("lstm_reverse_seq", "reverse", True)
lstm_case("lstm_bidirectional_seq", "bidirectional", True)
lstm_case("lstm_bidirectional_last", "bidirectional", False)


# peepholes, clip and other activations: the coremltools reference loop
def act(x, k):
    return {"tanh": np.tanh, "scaled_tanh": np.tanh, "relu": lambda v: np.maximum(0, v),
            "sigmoid": lambda v: 1 / (1 + np.exp(-v)), "hard_sigmoid": lambda v: np.clip(0.2 * v + 0.5, 0, 1),
            "linear": lambda v: v}[k](x)


def lstm_np(x, h, c, wx, wh, bb, p, acts, clip):
    Wi, Wf, Wo, Wz = np.split(wx, 4)
    Ri, Rf, Ro, Rz = np.split(wh, 4)
    bi, bf, bo, bz = np.split(bb, 4)
    pi, pf, po = np.split(p, 3)
    outs = []
    for t in range(x.shape[0]):
        xt = x[t].astype(np.float64)
        i = act(xt @ Wi.T + h @ Ri.T + bi + c * pi, acts[0])
        f = act(xt @ Wf.T + h @ Rf.T + bf + c * pf, acts[0])
        z = act(xt @ Wz.T + h @ Rz.T + bz, acts[1])
        c = f * c + i * z
        c = np.clip(c, -clip, clip)
        o = act(xt @ Wo.T + h @ Ro.T + bo + c * po, acts[0])
        h = o * act(c, acts[2])
        outs.append(h)
    return np.stack(outs).astype(np.float32), h.astype(np.float32), c.astype(np.float32)


x = rnd(S, B, I)
h0 = rnd(B, H)
c0 = rnd(B, H) * 3
wx = rnd(4 * H, I)
wh = rnd(4 * H, H, scale=0.5)
bb = rnd(4 * H)
pp = rnd(3 * H)
for acts in (("sigmoid", "tanh", "tanh"), ("hard_sigmoid", "relu", "scaled_tanh"), ("sigmoid", "linear", "tanh")):
    y, hn, cn = lstm_np(x, h0.astype(np.float64), c0.astype(np.float64), wx, wh, bb, pp, acts, 0.75)
    W.case("lstm_peephole_clip_%s" % "_".join(acts),
           func("ios17", [("x", "fp32", x.shape), ("h0", "fp32", h0.shape), ("c0", "fp32", c0.shape)],
                [op([("y", "fp32", y.shape), ("hn", "fp32", hn.shape), ("cn", "fp32", cn.shape)], "lstm",
                    {"x": "x", "initial_h": "h0", "initial_c": "c0", "weight_ih": lit(wx, "fp32"),
                     "weight_hh": lit(wh, "fp32"), "bias": lit(bb, "fp32"), "peephole": lit(pp, "fp32"),
                     "output_sequence": b(True), "recurrent_activation": s(acts[0]), "cell_activation": s(acts[1]),
                     "activation": s(acts[2]), "clip": fp(0.75)}, "l")], ["y", "hn", "cn"]),
           [("x", x), ("h0", h0), ("c0", c0)], [y, hn, cn], tol=2e-5)


# ---- gru ------------------------------------------------------------------------------------
def gru_case(name, direction, seq, reset_after):
    m = torch.nn.GRU(I, H, 1)
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(T(rnd(*p.shape, scale=0.5)))
        if not reset_after:
            # without reset_after the hidden-side bias of the new gate must be 0 for torch to agree
            m.bias_hh_l0[2 * H:] = 0
    sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
    x = rnd(S, B, I)
    h0 = rnd(1, B, H)
    xin = np.flip(x, 0).copy() if direction == "reverse" else x
    out, hn = m(T(xin), T(h0))
    out = out.detach().numpy()
    if not seq:
        out = out[-1:]
    hn = hn.detach().numpy()[0]

    def roz(a):  # torch r, z, n -> MIL r, o(n), z
        r, z, n = np.split(a, 3)
        return np.concatenate([r, n, z])

    args = {"x": "x", "initial_h": "h0", "weight_ih": lit(roz(sd["weight_ih_l0"]), "fp32"),
            "weight_hh": lit(roz(sd["weight_hh_l0"]), "fp32"), "direction": s(direction), "output_sequence": b(seq)}
    if reset_after:
        args["bias"] = lit(roz(sd["bias_hh_l0"]), "fp32")
        args["input_bias"] = lit(roz(sd["bias_ih_l0"]), "fp32")
        args["reset_after"] = b(True)
        opset = "ios18"
    else:
        # the new gate's r * (R_o h) (torch) equals R_o (r * h) when ... it does not; use the MIL form's reference
        opset = "ios15"
    if not reset_after:
        # reference: the coremltools loop, o = tanh(W_o x + R_o (r * h) + b_o)
        wi, whh_ = roz(sd["weight_ih_l0"]), roz(sd["weight_hh_l0"])
        bsum = roz(sd["bias_ih_l0"] + sd["bias_hh_l0"])
        args["bias"] = lit(bsum, "fp32")
        Wr, Wo, Wz = np.split(wi, 3)
        Rr, Ro, Rz = np.split(whh_, 3)
        br, bo, bz = np.split(bsum, 3)
        h = h0[0].astype(np.float64)
        outs = []
        for t in range(S):
            xt = xin[t].astype(np.float64)
            z = 1 / (1 + np.exp(-(xt @ Wz.T + h @ Rz.T + bz)))
            r = 1 / (1 + np.exp(-(xt @ Wr.T + h @ Rr.T + br)))
            o = np.tanh(xt @ Wo.T + (r * h) @ Ro.T + bo)
            h = (1 - z) * o + z * h
            outs.append(h)
        out = np.stack(outs).astype(np.float32)
        if not seq:
            out = out[-1:]
        hn = h.astype(np.float32)
    W.case(name,
           func(opset, [("x", "fp32", x.shape), ("h0", "fp32", (B, H))],
                [op([("y", "fp32", out.shape), ("hn", "fp32", hn.shape)], "gru", args, "g")], ["y", "hn"]),
           [("x", x), ("h0", h0[0])], [out, hn])


gru_case("gru18_reset_after_seq", "forward", True, True)
gru_case("gru18_reset_after_reverse_last", "reverse", False, True)
gru_case("gru15_seq", "forward", True, False)
gru_case("gru15_reverse_seq", "reverse", True, False)


# ---- rnn -------------------------------------------------------------------------------------
for direction in ("forward", "reverse"):
    for nl in ("tanh", "relu"):
        m = torch.nn.RNN(I, H, 1, nonlinearity=nl)
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(T(rnd(*p.shape, scale=0.5)))
        sd = {k: v.detach().numpy() for k, v in m.state_dict().items()}
        x = rnd(S, B, I)
        h0 = rnd(1, B, H)
        xin = np.flip(x, 0).copy() if direction == "reverse" else x
        out, hn = m(T(xin), T(h0))
        W.case("rnn_%s_%s" % (direction, nl),
               func("ios15", [("x", "fp32", x.shape), ("h0", "fp32", (B, H))],
                    [op([("y", "fp32", (S, B, H)), ("hn", "fp32", (B, H))], "rnn",
                        {"x": "x", "initial_h": "h0", "weight_ih": lit(sd["weight_ih_l0"], "fp32"),
                         "weight_hh": lit(sd["weight_hh_l0"], "fp32"),
                         "bias": lit(sd["bias_ih_l0"] + sd["bias_hh_l0"], "fp32"), "direction": s(direction),
                         "output_sequence": b(True), "activation": s(nl)}, "r")], ["y", "hn"]),
               [("x", x), ("h0", h0[0])], [out.detach().numpy(), hn.detach().numpy()[0]])

# fp16 emulation (iOS17 fp16 lstm): the states rounded to binary16 after every step
x16 = r16(rnd(S, B, I))
h16 = r16(rnd(B, H))
c16 = r16(rnd(B, H))
wx16, wh16, b16 = r16(wx), r16(wh), r16(bb)
h = h16.astype(np.float32)
cc = c16.astype(np.float32)
outs = []
for t in range(S):
    g = x16[t] @ wx16.T + h @ wh16.T + b16
    gi, gf, go, gz = np.split(g, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))
    cc = sig(gf) * cc + sig(gi) * np.tanh(gz)
    h = sig(go) * np.tanh(cc)
    h, cc = r16(h), r16(cc)
    outs.append(h)
W.case("lstm_fp16_states",
       func("ios17", [("x", "fp16", x16.shape), ("h0", "fp16", h16.shape), ("c0", "fp16", c16.shape)],
            [op([("y", "fp16", (S, B, H)), ("hn", "fp16", (B, H)), ("cn", "fp16", (B, H))], "lstm",
                {"x": "x", "initial_h": "h0", "initial_c": "c0", "weight_ih": lit(wx16, "fp16"),
                 "weight_hh": lit(wh16, "fp16"), "bias": lit(b16, "fp16"), "output_sequence": b(True)}, "l")],
            ["y", "hn", "cn"]),
       [("x", x16), ("h0", h16), ("c0", c16)], [np.stack(outs), h, cc], tol=2e-3, mode="fp16")
W.close()

# ---- attention, einsum, norms, quantization ----------------------------------------------------------
W = Writer(os.path.join(HERE, "mil_attn.ref"), __doc__)


def sdpa(q, k, v, mask=None):
    sc = q.astype(np.float64) @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        sc = np.where(mask, sc, -np.inf) if mask.dtype == bool else sc + mask
    sc = np.exp(sc - sc.max(-1, keepdims=True))
    return ((sc / sc.sum(-1, keepdims=True)) @ v).astype(np.float32)


q, k, v = rnd(1, 2, 4, 3), rnd(1, 2, 5, 3), rnd(1, 2, 5, 2)
want = sdpa(q, k, v)
assert np.allclose(want, F.scaled_dot_product_attention(T(q), T(k), T(v)).numpy(), atol=1e-5) \
    if hasattr(F, "scaled_dot_product_attention") else True
W.case("sdpa_nomask",
       func("ios18", [("q", "fp32", q.shape), ("k", "fp32", k.shape), ("v", "fp32", v.shape)],
            [op(("y", "fp32", want.shape), "scaled_dot_product_attention", {"query": "q", "key": "k", "value": "v"},
                "a")], ["y"]),
       [("q", q), ("k", k), ("v", v)], [want])
causal = np.tril(np.ones((4, 5), bool), 1)
W.case("sdpa_bool_mask",
       func("ios18", [("q", "fp32", q.shape), ("k", "fp32", k.shape), ("v", "fp32", v.shape)],
            [op(("y", "fp32", q.shape[:-1] + (2,)), "scaled_dot_product_attention",
                {"query": "q", "key": "k", "value": "v", "attn_mask": lit(causal, "bool")}, "a")], ["y"]),
       [("q", q), ("k", k), ("v", v)], [sdpa(q, k, v, causal)])
fm = rnd(2, 1, 5)
W.case("sdpa_float_mask_broadcast",
       func("ios18", [("q", "fp32", q.shape), ("k", "fp32", k.shape), ("v", "fp32", v.shape), ("m", "fp32", fm.shape)],
            [op(("y", "fp32", q.shape[:-1] + (2,)), "scaled_dot_product_attention",
                {"query": "q", "key": "k", "value": "v", "attn_mask": "m"}, "a")], ["y"]),
       [("q", q), ("k", k), ("v", v), ("m", fm)], [sdpa(q, k, v, fm)])

q16, k16, v16 = r16(q), r16(k), r16(v)
W.case("sdpa_fp16",
       func("ios18", [("q", "fp16", q.shape), ("k", "fp16", k.shape), ("v", "fp16", v.shape)],
            [op(("y", "fp16", q.shape[:-1] + (2,)), "scaled_dot_product_attention",
                {"query": "q", "key": "k", "value": "v", "attn_mask": lit(causal, "bool")}, "a")], ["y"]),
       [("q", q16), ("k", k16), ("v", v16)], [r16(sdpa(q16, k16, v16, causal))], tol=1e-3, mode="fp16")

# einsum: the two forms of the op definition (with broadcasting) and other equations
a4, b4 = rnd(2, 3, 1, 4), rnd(1, 4, 5, 2)
W.case("einsum_nchw_nwhu",
       func("ios15", [("a", "fp32", a4.shape), ("b", "fp32", b4.shape)],
            [op(("y", "fp32", (2, 3, 5, 2)), "einsum", {"values": "(a, b)", "equation": s("nchw,nwhu->nchu")}, "e")],
            ["y"]),
       [("a", a4), ("b", b4)],
       [np.einsum("nchw,nwhu->nchu", np.broadcast_to(a4, (2, 3, 5, 4)), np.broadcast_to(b4, (2, 4, 5, 2)))])
a3, b3 = rnd(3, 2, 4), rnd(4, 2, 5)
W.case("einsum_chw_whr",
       func("ios15", [("a", "fp32", a3.shape), ("b", "fp32", b3.shape)],
            [op(("y", "fp32", (3, 2, 5)), "einsum", {"values": "(a, b)", "equation": s("abc,cbd->abd")}, "e")], ["y"]),
       [("a", a3), ("b", b3)], [np.einsum("abc,cbd->abd", a3, b3)])
m1, m2 = rnd(2, 3, 4), rnd(2, 4, 3)
for eq, shp in (("bij,bjk->bik", (2, 3, 3)), ("bij,bjk->b", (2,)), ("bij,bji->bij", (2, 3, 4))):
    W.case("einsum_%s" % eq.replace(",", "_").replace("->", "_to_"),
           func("ios15", [("a", "fp32", m1.shape), ("b", "fp32", m2.shape)],
                [op(("y", "fp32", shp), "einsum", {"values": "(a, b)", "equation": s(eq)}, "e")], ["y"]),
           [("a", m1), ("b", m2)], [np.einsum(eq, m1, m2)])
W.case("einsum_unary_transpose_trace",
       func("ios15", [("a", "fp32", (3, 3, 2))],
            [op(("y", "fp32", (2,)), "einsum", {"values": "(a)", "equation": s("iik->k")}, "e")], ["y"]),
       [("a", m1.reshape(3, 4, 2)[:, :3].copy())], [np.einsum("iik->k", m1.reshape(3, 4, 2)[:, :3])])

# l2_norm and local_response_norm
x = rnd(2, 3, 2, 2)
for eps in (1e-6, 0.5):
    ss = np.sqrt((x.astype(np.float64) ** 2).reshape(2, -1).sum(1) + eps)
    W.case("l2_norm_eps%g" % eps,
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", x.shape), "l2_norm", {"x": "x", "epsilon": fp(eps)}, "n")], ["y"]),
           [("x", x)], [(x / ss[:, None, None, None]).astype(np.float32)])
x = rnd(2, 5, 3, 2)
for size in (3, 4):
    want = F.local_response_norm(T(x), size, alpha=0.3, beta=0.6, k=1.5).numpy()
    W.case("lrn_size%d" % size,
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", x.shape), "local_response_norm",
                    {"x": "x", "size": i32(size), "alpha": fp(0.3), "beta": fp(0.6), "k": fp(1.5)}, "n")], ["y"]),
           [("x", x)], [want])

# quantize / dequantize
x = rnd(2, 3, 4, scale=4)
sc = np.array([0.05, 0.1, 0.2], np.float32)
zp = np.array([3, -2, 0], np.int8)
q = np.clip(np.around(x / sc[None, :, None]) + zp[None, :, None], -128, 127).astype(np.float32)
W.case("quantize_int8_axis1",
       func("ios17", [("x", "fp32", x.shape)],
            [op(("y", "int8", x.shape), "quantize",
                {"input": "x", "scale": lit(sc, "fp32"), "zero_point": lit(zp, "int8"), "axis": i32(1),
                 "output_dtype": s("int8")}, "q")], ["y"]),
       [("x", x)], [q])
qu = np.clip(np.around(x / 0.125) + 128, 0, 255).astype(np.float32)
W.case("quantize_uint8_scalar",
       func("ios17", [("x", "fp32", x.shape)],
            [op(("y", "uint8", x.shape), "quantize",
                {"input": "x", "scale": fp(0.125), "zero_point": "uint8(128)", "output_dtype": s("uint8")}, "q")], ["y"]),
       [("x", x)], [qu])
qi = rng.integers(-128, 128, size=(2, 3, 4)).astype(np.int8)
W.case("dequantize_int8_axis1",
       func("ios17", [],
            [op(("y", "fp32", qi.shape), "dequantize",
                {"input": lit(qi, "int8"), "scale": lit(sc, "fp32"), "zero_point": lit(zp, "int8"), "axis": i32(1)},
                "d")], ["y"]),
       [], [(sc[None, :, None] * (qi.astype(np.float32) - zp[None, :, None])).astype(np.float32)])
W.close()
