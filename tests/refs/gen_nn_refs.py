#!/usr/bin/python3
"""gen_nn_refs.py - reference values for the executor's NeuralNetwork layer
tests (tests/unit/probe/test_exec_nn.c), written to nn_refs.txt beside this
script.

Each case draws its inputs and parameters from a seeded NumPy generator and
computes the expected outputs independently of the executor: with PyTorch
where PyTorch has the same operation (LSTM, RNN, conv3d, pooling, layer
norm, LRN, interpolate, pixel_shuffle, topk, erf ...), else with a direct
NumPy transcription of the formula in the comment of the layer's message
in apple/coremltools mlmodel/format/NeuralNetwork.proto (GRU, the LSTM
options PyTorch lacks, the sampling modes of resizeBilinear and
cropResize, the gathers and scatters, slicing, cumulative sums, ...).
The C test builds the same layer with the same parameters and reads the
tensors by name.

Run with Debian's Python (torch 1.13, numpy):
    /usr/bin/python3 tests/refs/gen_nn_refs.py
Format: one tensor per line, "NAME RANK D0 .. D(RANK-1) V0 V1 ...",
float32 values printed with 9 significant digits (exact round trip).
"""
import math
import os

import numpy as np
import torch

OUT = {}


def put(name, a):
    a = np.asarray(a, dtype=np.float32)
    assert name not in OUT, name
    OUT[name] = a


def rng(seed):
    return np.random.default_rng(seed)


def u(g, *shape, lo=-1.0, hi=1.0):
    return g.uniform(lo, hi, size=shape).astype(np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def hard_sigmoid(x, a=0.2, b=0.5):
    return np.clip(a * x + b, 0.0, 1.0)


def scaled_tanh(x, a=1.71, b=2.0 / 3.0):
    return a * np.tanh(b * x)


def clip50(x):
    return np.clip(x, -50.0, 50.0)


# ---- LSTM --------------------------------------------------------------------------------


def lstm_ref(x, h0, c0, W, R, b, p, f, g, h, forget_bias=False, coupled=False, clip=50.0, reverse=False):
    """NeuralNetwork.proto LSTMParams equations; W/R/b dicts over 'i','f','z','o' (b may be None); p over
    'i','f','o' or None. x [S, B, I]; returns the outputs in processing order [S, B, H], the final y and c."""
    S, B, _ = x.shape
    H = h0.shape[-1]
    x = x.astype(np.float64)
    y = h0.astype(np.float64).copy()
    c = c0.astype(np.float64).copy()
    outs = np.zeros((S, B, H))
    order = range(S - 1, -1, -1) if reverse else range(S)
    for k, t in enumerate(order):
        xt = x[t]
        pre = {q: xt @ W[q].T.astype(np.float64) + y @ R[q].T.astype(np.float64) + (b[q] if b else 0) for q in "ifzo"}
        if forget_bias:
            pre["f"] = pre["f"] + 1.0
        if p:
            pre["i"] = pre["i"] + p["i"] * c
            pre["f"] = pre["f"] + p["f"] * c
        it = f(clip50(pre["i"]))
        ft = f(clip50(pre["f"]))
        zt = g(clip50(pre["z"]))
        cn = c * (1 - it) + it * zt if coupled else c * ft + it * zt
        cn = np.clip(cn, -clip, clip)
        ao = pre["o"] + (p["o"] * cn if p else 0)
        ot = f(clip50(ao))
        c = cn
        y = h(cn) * ot
        outs[k] = y
    return outs, y, c


def lstm_params(gen, I, H, peep):
    W = {q: u(gen, H, I) for q in "ifzo"}
    R = {q: u(gen, H, H) for q in "ifzo"}
    b = {q: u(gen, H) for q in "ifzo"}
    p = {q: u(gen, H) for q in "ifo"} if peep else None
    return W, R, b, p


def put_lstm_params(prefix, W, R, b, p):
    for q in "ifzo":
        put(f"{prefix}.W{q}", W[q])
        put(f"{prefix}.R{q}", R[q])
        put(f"{prefix}.b{q}", b[q])
    if p:
        for q in "ifo":
            put(f"{prefix}.p{q}", p[q])


def case_lstm():
    # a: the standard configuration, checked against torch.nn.LSTM
    g = rng(1)
    S, B, I, H = 5, 2, 3, 4
    W, R, b, _ = lstm_params(g, I, H, False)
    x, h0, c0 = u(g, S, B, I), u(g, B, H), u(g, B, H)
    m = torch.nn.LSTM(I, H)
    with torch.no_grad():
        # torch gate order i, f, g(z), o; its two biases add up
        m.weight_ih_l0.copy_(torch.from_numpy(np.concatenate([W[q] for q in "ifzo"])))
        m.weight_hh_l0.copy_(torch.from_numpy(np.concatenate([R[q] for q in "ifzo"])))
        m.bias_ih_l0.copy_(torch.from_numpy(np.concatenate([b[q] for q in "ifzo"])))
        m.bias_hh_l0.zero_()
        y, (hT, cT) = m(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    put_lstm_params("lstm_a", W, R, b, None)
    put("lstm_a.x", x.reshape(S, B, I, 1, 1))
    put("lstm_a.h0", h0.reshape(1, B, H, 1, 1))
    put("lstm_a.c0", c0.reshape(1, B, H, 1, 1))
    put("lstm_a.y", y.numpy().reshape(S, B, H, 1, 1))
    put("lstm_a.hT", hT.numpy().reshape(1, B, H, 1, 1))
    put("lstm_a.cT", cT.numpy().reshape(1, B, H, 1, 1))
    # the NumPy transcription agrees with torch on the standard case
    ny, nh, nc = lstm_ref(x, h0, c0, W, R, b, None, sigmoid, np.tanh, np.tanh)
    assert np.allclose(ny, y.numpy(), atol=1e-5) and np.allclose(nc, cT.numpy()[0], atol=1e-5)

    # b: reverse, last output only, peepholes, forget bias, cell clip 0.3,
    # hard sigmoid / scaled tanh / tanh
    g = rng(2)
    W, R, b, p = lstm_params(g, I, H, True)
    x, h0, c0 = u(g, S, B, I, lo=-2, hi=2), u(g, B, H), u(g, B, H)
    y, hT, cT = lstm_ref(x, h0, c0, W, R, b, p, hard_sigmoid, scaled_tanh, np.tanh, forget_bias=True, clip=0.3,
                         reverse=True)
    put_lstm_params("lstm_b", W, R, b, p)
    put("lstm_b.x", x.reshape(S, B, I, 1, 1))
    put("lstm_b.h0", h0.reshape(1, B, H, 1, 1))
    put("lstm_b.c0", c0.reshape(1, B, H, 1, 1))
    put("lstm_b.y", y[-1:].reshape(1, B, H, 1, 1))
    put("lstm_b.hT", hT.reshape(1, B, H, 1, 1))
    put("lstm_b.cT", cT.reshape(1, B, H, 1, 1))

    # c: coupled input and forget gate, linear h(), sequence output, no initial state, no bias
    g = rng(3)
    W, R, _, p = lstm_params(g, I, H, True)
    x = u(g, S, 1, I)
    z = np.zeros((1, H), np.float32)
    y, hT, cT = lstm_ref(x, z, z, W, R, None, p, sigmoid, np.tanh, lambda v: v, coupled=True)
    put_lstm_params("lstm_c", W, R, {q: np.zeros(H) for q in "ifzo"}, p)
    put("lstm_c.x", x.reshape(S, 1, I, 1, 1))
    put("lstm_c.y", y.reshape(S, 1, H, 1, 1))
    put("lstm_c.cT", cT.reshape(1, 1, H, 1, 1))

    # bi: bidirectional, sequence output, checked against torch's bidirectional LSTM
    g = rng(4)
    Wf, Rf, bf, _ = lstm_params(g, I, H, False)
    Wb, Rb, bb, _ = lstm_params(g, I, H, False)
    x = u(g, S, B, I)
    hs = [u(g, B, H) for _ in range(4)]
    m = torch.nn.LSTM(I, H, bidirectional=True)
    with torch.no_grad():
        for sfx, Wd, Rd, bd in (("", Wf, Rf, bf), ("_reverse", Wb, Rb, bb)):
            getattr(m, "weight_ih_l0" + sfx).copy_(torch.from_numpy(np.concatenate([Wd[q] for q in "ifzo"])))
            getattr(m, "weight_hh_l0" + sfx).copy_(torch.from_numpy(np.concatenate([Rd[q] for q in "ifzo"])))
            getattr(m, "bias_ih_l0" + sfx).copy_(torch.from_numpy(np.concatenate([bd[q] for q in "ifzo"])))
            getattr(m, "bias_hh_l0" + sfx).zero_()
        h0 = torch.from_numpy(np.stack([hs[0], hs[2]]))
        c0 = torch.from_numpy(np.stack([hs[1], hs[3]]))
        y, (hT, cT) = m(torch.from_numpy(x), (h0, c0))
    put_lstm_params("bilstm.f", Wf, Rf, bf, None)
    put_lstm_params("bilstm.b", Wb, Rb, bb, None)
    put("bilstm.x", x.reshape(S, B, I, 1, 1))
    for k, nm in enumerate(("h0f", "c0f", "h0b", "c0b")):
        put("bilstm." + nm, hs[k].reshape(1, B, H, 1, 1))
    put("bilstm.y", y.numpy().reshape(S, B, 2 * H, 1, 1))
    put("bilstm.hf", hT.numpy()[0].reshape(1, B, H, 1, 1))
    put("bilstm.cf", cT.numpy()[0].reshape(1, B, H, 1, 1))
    put("bilstm.hb", hT.numpy()[1].reshape(1, B, H, 1, 1))
    put("bilstm.cb", cT.numpy()[1].reshape(1, B, H, 1, 1))
    # and without sequence output: [yf_T, yb_1]
    yy = y.numpy()
    put("bilstm.ylast", np.concatenate([yy[-1, :, :H], yy[0, :, H:]], axis=-1).reshape(1, B, 2 * H, 1, 1))


# ---- GRU and simple RNN ------------------------------------------------------------------


def case_gru():
    g = rng(5)
    S, B, I, H = 4, 2, 3, 5
    Wz, Wr, Wo = u(g, H, I), u(g, H, I), u(g, H, I)
    Rz, Rr, Ro = u(g, H, H), u(g, H, H), u(g, H, H)
    bz, br, bo = u(g, H), u(g, H), u(g, H)
    x, h0 = u(g, S, B, I), u(g, B, H)

    def run(f, gg, reverse):
        y = h0.astype(np.float64)
        outs = []
        for t in (range(S - 1, -1, -1) if reverse else range(S)):
            xt = x[t].astype(np.float64)
            z = f(clip50(xt @ Wz.T + y @ Rz.T + bz))
            r = f(clip50(xt @ Wr.T + y @ Rr.T + br))
            cm = y * r
            o = gg(clip50(xt @ Wo.T + cm @ Ro.T + bo))
            y = (1 - z) * o + z * y
            outs.append(y)
        return np.stack(outs), y

    for nm, v in (("Wz", Wz), ("Wr", Wr), ("Wo", Wo), ("Rz", Rz), ("Rr", Rr), ("Ro", Ro), ("bz", bz), ("br", br),
                  ("bo", bo)):
        put("gru." + nm, v)
    put("gru.x", x.reshape(S, B, I, 1, 1))
    put("gru.h0", h0.reshape(1, B, H, 1, 1))
    ys, yT = run(sigmoid, np.tanh, True)  # reverse, sequence output in processing order
    put("gru.y_rev", ys.reshape(S, B, H, 1, 1))
    put("gru.h_rev", yT.reshape(1, B, H, 1, 1))
    ys, yT = run(hard_sigmoid, np.tanh, False)
    put("gru.y_hard_last", yT.reshape(1, B, H, 1, 1))

    # simple recurrent: torch.nn.RNN (tanh)
    g = rng(6)
    W, R, b = u(g, H, I), u(g, H, H), u(g, H)
    m = torch.nn.RNN(I, H, nonlinearity="tanh")
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(W))
        m.weight_hh_l0.copy_(torch.from_numpy(R))
        m.bias_ih_l0.copy_(torch.from_numpy(b))
        m.bias_hh_l0.zero_()
        y, hT = m(torch.from_numpy(x), torch.from_numpy(h0)[None])
    put("rnn.W", W)
    put("rnn.R", R)
    put("rnn.b", b)
    put("rnn.y", y.numpy().reshape(S, B, H, 1, 1))
    put("rnn.hT", hT.numpy().reshape(1, B, H, 1, 1))


# ---- resampling -------------------------------------------------------------------------


def grid(method, n, ext):
    """NeuralNetwork.proto SamplingMode over an interval of extent ext (X - 1)."""
    X = ext + 1.0
    if method == 0:
        return np.linspace(0, ext, n) if n > 1 else np.zeros(1)
    if method == 1:
        return np.linspace(0, ext, n) if n > 1 else np.array([ext / 2])
    if method == 2:
        return np.minimum(ext, np.linspace(0, X - X / n, n))
    sp = max(1.0, ext) / n
    return np.minimum(ext, np.linspace(0.5 * sp, 0.5 * sp + (n - 1) * sp, n))


def bilinear(img, gy, gx):
    """img [..., H, W]; sample at grid rows gy, columns gx (clamped)."""
    H, W = img.shape[-2:]
    gy = np.clip(gy, 0, H - 1)
    gx = np.clip(gx, 0, W - 1)
    y0 = np.floor(gy).astype(int)
    x0 = np.floor(gx).astype(int)
    y1 = np.minimum(y0 + 1, H - 1)
    x1 = np.minimum(x0 + 1, W - 1)
    wy = (gy - y0)[:, None]
    wx = (gx - x0)[None, :]
    img = img.astype(np.float64)
    a = img[..., y0, :][..., :, x0] * (1 - wx) + img[..., y0, :][..., :, x1] * wx
    b = img[..., y1, :][..., :, x0] * (1 - wx) + img[..., y1, :][..., :, x1] * wx
    return a * (1 - wy) + b * wy


def case_resample():
    g = rng(7)
    x = u(g, 1, 2, 3, 4)
    put("resize.x", x)
    for m in range(4):
        put(f"resize.m{m}", bilinear(x, grid(m, 5, 2.0), grid(m, 7, 3.0)))
        put(f"resize.m{m}_1x1", bilinear(x, grid(m, 1, 2.0), grid(m, 1, 3.0)))
    # STRICT_ALIGN_ENDPOINTS is torch's align_corners=True
    t = torch.nn.functional.interpolate(torch.from_numpy(x), size=(5, 7), mode="bilinear", align_corners=True)
    assert np.allclose(t.numpy(), OUT["resize.m0"], atol=1e-5)

    # upsample: DEFAULT with integer factors (the proto's grid), align modes against torch
    xi = u(g, 1, 1, 2, 3)
    put("up.x", xi)
    gy = np.minimum(1, np.arange(4) * ((2 - 2 / 4) / 3))
    gx = np.minimum(2, np.arange(9) * ((3 - 3 / 9) / 8))
    put("up.default", bilinear(xi, gy, gx))
    for ac in (True, False):
        t = torch.nn.functional.interpolate(torch.from_numpy(xi), scale_factor=(2.5, 1.5), mode="bilinear",
                                            align_corners=ac, recompute_scale_factor=True)
        put("up.align_" + ("true" if ac else "false"), t.numpy())
    put("up.nearest", np.repeat(np.repeat(xi, 2, axis=2), 3, axis=3))

    # cropResize: two boxes of a [1, B=2, C=2, 5, 6] map, every box mode
    fm = u(g, 1, 2, 2, 5, 6)
    put("cr.x", fm)
    boxes = np.array([[0.5, 1.0, 3.5, 4.0], [1.0, 0.0, 4.0, 5.0]], np.float32)  # h0 w0 h1 w1
    put("cr.boxes_hf", boxes.reshape(2, 1, 4, 1, 1))
    wf = boxes[:, [1, 0, 3, 2]]
    put("cr.boxes_wf", wf.reshape(2, 1, 4, 1, 1))
    cs = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, boxes[:, 2] - boxes[:, 0],
                   boxes[:, 3] - boxes[:, 1]], axis=1)
    put("cr.boxes_chf", cs.reshape(2, 1, 4, 1, 1))
    put("cr.boxes_cwf", cs[:, [1, 0, 3, 2]].reshape(2, 1, 4, 1, 1))
    for m in range(4):
        out = np.zeros((2, 2, 2, 3, 4))
        for n in range(2):
            h0, w0, h1, w1 = boxes[n]
            gy = h0 + grid(m, 3, h1 - h0)
            gx = w0 + grid(m, 4, w1 - w0)
            out[n] = bilinear(fm[0], gy, gx)
        put(f"cr.m{m}", out)
    # five values per box (batch index first), normalized coordinates, spatial scale 2
    b5 = np.array([[1, 0.1, 0.2, 0.4, 0.3], [0, 0.0, 0.0, 0.25, 0.5]], np.float32)
    put("cr.boxes5", b5.reshape(2, 1, 5, 1, 1))
    out = np.zeros((2, 1, 2, 3, 4))
    for n in range(2):
        bi = int(b5[n, 0])
        h0, w0, h1, w1 = b5[n, 1:] * np.array([4, 5, 4, 5]) * 2
        out[n, 0] = bilinear(fm[0, bi], h0 + grid(0, 3, h1 - h0), w0 + grid(0, 4, w1 - w0))
    put("cr.norm5", out)


# ---- 3-D convolution and pooling ------------------------------------------------------------


def case_3d():
    g = rng(8)
    x = u(g, 2, 4, 3, 5, 6)
    put("c3.x", x)
    w = u(g, 6, 2, 2, 3, 2)  # Cout 6, groups 2: Cin/groups 2
    b = u(g, 6)
    put("c3.w", w)
    put("c3.b", b)
    tx = torch.from_numpy(x)
    # custom padding (front 1, back 0, top 1, bottom 2, left 0, right 1), stride (1, 2, 1), dilation (1, 1, 2)
    xp = torch.nn.functional.pad(tx, (0, 1, 1, 2, 1, 0))
    y = torch.nn.functional.conv3d(xp, torch.from_numpy(w), torch.from_numpy(b), stride=(1, 2, 1), dilation=(1, 1, 2),
                                   groups=2)
    put("c3.custom", y.numpy())
    # same padding, stride 2: total (k_eff - 1 ...) split with the odd unit after
    def same_pads(n, k, s, d=1):
        ek = (k - 1) * d + 1
        o = -(-n // s)
        tot = max(0, (o - 1) * s + ek - n)
        return tot // 2, tot - tot // 2
    pd, ph, pw = same_pads(3, 2, 2), same_pads(5, 3, 2), same_pads(6, 2, 2)
    xp = torch.nn.functional.pad(tx, (pw[0], pw[1], ph[0], ph[1], pd[0], pd[1]))
    y = torch.nn.functional.conv3d(xp, torch.from_numpy(w), torch.from_numpy(b), stride=2, groups=2)
    put("c3.same", y.numpy())
    # deconvolution: weights [Cin, Cout/groups, k...] (torch's layout), stride 2, custom padding 1 everywhere
    wd = u(g, 4, 3, 2, 2, 3)
    put("c3.wd", wd)
    y = torch.nn.functional.conv_transpose3d(tx, torch.from_numpy(wd), None, stride=2, padding=1, groups=1)
    put("c3.deconv", y.numpy())

    xq = u(g, 1, 2, 4, 5, 5)
    put("p3.x", xq)
    t = torch.from_numpy(xq)
    put("p3.max_valid", torch.nn.functional.max_pool3d(t, (2, 2, 3), stride=(1, 2, 1)).numpy())
    put("p3.avg_incl", torch.nn.functional.avg_pool3d(t, 3, stride=2, padding=1, count_include_pad=True).numpy())
    put("p3.avg_excl", torch.nn.functional.avg_pool3d(t, 3, stride=2, padding=1, count_include_pad=False).numpy())
    put("p3.gmax", xq.max(axis=(2, 3, 4), keepdims=True))
    put("p3.gavg", xq.mean(axis=(2, 3, 4), keepdims=True))


# ---- normalisation -----------------------------------------------------------------------------


def case_norm():
    g = rng(9)
    x = u(g, 2, 3, 4, 5, lo=-3, hi=3)
    put("norm.x", x)
    gamma, beta = u(g, 4, 5), u(g, 4, 5)
    put("ln.gamma", gamma)
    put("ln.beta", beta)
    put("ln.y", torch.nn.functional.layer_norm(torch.from_numpy(x), (4, 5), torch.from_numpy(gamma),
                                               torch.from_numpy(beta), eps=1e-3).numpy())
    put("lrn.y", torch.nn.functional.local_response_norm(torch.from_numpy(x), 3, alpha=0.5, beta=0.75, k=2.0).numpy())
    xd = x.astype(np.float64)
    m = xd.mean(axis=(2, 3), keepdims=True)
    v = xd.var(axis=(2, 3), keepdims=True)
    put("mvn.plane", (xd - m) / np.sqrt(v + 1e-6))
    m = xd.mean(axis=(1, 2, 3), keepdims=True)
    v = xd.var(axis=(1, 2, 3), keepdims=True)
    put("mvn.across", (xd - m) / np.sqrt(v + 1e-4))
    put("mvn.mean_only", xd - xd.mean(axis=(2, 3), keepdims=True))
    put("l2.y", xd / np.sqrt((xd ** 2).sum(axis=(1, 2, 3), keepdims=True) + 1e-6))


# ---- rank-N data movement ----------------------------------------------------------------------


def case_nd():
    g = rng(10)
    x = u(g, 3, 4, 5)
    put("nd.x", x)
    # sliceStatic: begin [1, -1, 0], end [3, 0, 5], strides [1, -2, 2], begin mask on axis 0, squeeze axis 2? (no)
    put("nd.slice_a", x[:3:1, -1:0:-2, 0:5:2])
    put("nd.slice_b", x[1, ::-1, 1:4])  # squeeze axis 0 at 1, masks + stride -1 on axis 1
    # gather along axis 1 with negative indices
    idx = np.array([[0, -1], [2, 1], [3, 3]], np.float32)
    put("nd.gidx", idx)
    put("nd.gather1", np.take(x, idx.astype(int), axis=1))
    # gatherND
    ind = np.array([[0, 1], [2, 3], [1, 0]], np.float32)
    put("nd.ndidx", ind)
    put("nd.gathernd", x[ind[:, 0].astype(int), ind[:, 1].astype(int)])
    # scatterND ADD of [3, 5] updates
    upd = u(g, 3, 5)
    put("nd.ndupd", upd)
    y = x.copy()
    for k in range(3):
        y[int(ind[k, 0]), int(ind[k, 1])] += upd[k]
    put("nd.scatternd_add", y)
    # scatter on axis 1 (MAX) with updates [3, 2, 5]
    sidx = np.array([1, 3], np.float32)
    supd = u(g, 3, 2, 5)
    put("nd.sidx", sidx)
    put("nd.supd", supd)
    y = x.copy()
    for k in range(2):
        y[:, int(sidx[k]), :] = np.maximum(y[:, int(sidx[k]), :], supd[:, k, :])
    put("nd.scatter_max", y)
    # gather / scatter along axis 2
    aidx = g.integers(0, 5, size=(3, 4, 2)).astype(np.float32)
    put("nd.aidx", aidx)
    put("nd.gather_along", np.take_along_axis(x, aidx.astype(int), axis=2))
    aupd = u(g, 3, 4, 2)
    put("nd.aupd", aupd)
    y = x.copy()
    np.put_along_axis(y, aidx.astype(int), aupd, axis=2)
    put("nd.scatter_along", y)
    # cumulative sums on axis 1
    put("nd.cumsum", np.cumsum(x, axis=1))
    put("nd.cumsum_excl_rev", np.flip(np.cumsum(np.flip(x, 1), axis=1) - np.flip(x, 1), 1))
    # topK, argsort, argmax
    v, i = torch.topk(torch.from_numpy(x), 2, dim=2, largest=True, sorted=True)
    put("nd.topk_v", v.numpy())
    put("nd.topk_i", i.numpy())
    v, i = torch.topk(torch.from_numpy(x), 3, dim=0, largest=False, sorted=True)
    put("nd.botk_v", v.numpy())
    put("nd.botk_i", i.numpy())
    put("nd.argsort_desc", np.argsort(-x, axis=1, kind="stable"))
    put("nd.argmin1", np.argmin(x, axis=1))
    # tile, stack, reverse, band parts
    put("nd.tile", np.tile(x, (2, 1, 3)))
    put("nd.stack", np.stack([x, -x], axis=-2))
    put("nd.reverse", np.flip(np.flip(x, 0), 2))
    put("nd.band", np.triu(np.tril(x, 1), -2))
    put("nd.tril", np.tril(x, -1))
    put("nd.triu", np.triu(x, 2))
    # batched matmul: a [2, 1, 3, 4] transposed, b [3, 5, 3] (broadcast) -> [2, 3, 4, 5]
    a = u(g, 2, 1, 3, 4)
    b = u(g, 3, 5, 3)
    put("bmm.a", a)
    put("bmm.b", b)
    put("bmm.y", np.matmul(np.swapaxes(a, -1, -2), np.swapaxes(b, -1, -2)))
    # math functions
    t = u(g, 2, 6, lo=-0.9, hi=0.9)
    put("fn.x", t)
    tt = torch.from_numpy(t).double()
    put("fn.erf", torch.erf(tt).numpy())
    put("fn.asinh", np.arcsinh(t.astype(np.float64)))
    put("fn.atanh", np.arctanh(t.astype(np.float64)))
    put("fn.xa", 2.0 + t)
    put("fn.acosh", np.arccosh(OUT["fn.xa"].astype(np.float64)))
    put("fn.x5", t * 5)
    put("fn.round", np.around(OUT["fn.x5"].astype(np.float64)))
    # reorganizeData: pixel shuffle (torch) and depth-to-space (DCR)
    d = u(g, 1, 8, 2, 3)
    put("ro.x", d)
    put("ro.pixel_shuffle", torch.pixel_shuffle(torch.from_numpy(d), 2).numpy())
    bsz = 2
    n, c, h, w = d.shape
    dcr = d.reshape(n, bsz, bsz, c // 4, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, c // 4, h * 2, w * 2)
    put("ro.depth_to_space", dcr)
    # embeddingND
    wv = u(g, 6, 10)
    put("emb.w", wv)
    put("emb.b", u(g, 6))
    ids = np.array([[3], [0], [9], [3]], np.float32)
    put("emb.ids", ids)
    put("emb.y", wv[:, ids[:, 0].astype(int)].T + OUT["emb.b"])
    # slidingWindows: axis 1 of [2, 7, 3], window 3, step 2
    sw = u(g, 2, 7, 3)
    put("sw.x", sw)
    put("sw.y", np.stack([sw[:, k * 2:k * 2 + 3, :] for k in range(3)], axis=1))


def main():
    for f in (case_lstm, case_gru, case_resample, case_3d, case_norm, case_nd):
        f()
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_refs.txt")
    with open(path, "w") as fh:
        fh.write("# written by tests/refs/gen_nn_refs.py: NAME RANK DIMS... VALUES...\n")
        for name in sorted(OUT):
            a = OUT[name]
            vals = " ".join("%.9g" % v for v in a.reshape(-1))
            fh.write("%s %d %s %s\n" % (name, a.ndim, " ".join(str(d) for d in a.shape), vals))
    print("wrote %d tensors to %s" % (len(OUT), path))


if __name__ == "__main__":
    main()
