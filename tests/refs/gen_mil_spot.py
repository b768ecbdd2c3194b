#!/usr/bin/python3
"""gen_mil_spot.py — reference cases an audit of the executor added: odd
shapes, rank 5, negative axes, broadcasting, empty dimensions and
asymmetric padding across the normalisation, elementwise, matmul, reduction,
pad, shape, gather/scatter, pooling, convolution, attention and resize
kernels, computed with NumPy and PyTorch independently of the executor.
Writes mil_spot.ref next to itself.

    /usr/bin/python3 tests/refs/gen_mil_spot.py

Semantics: apple/coremltools ops/defs (iOS15..iOS18); l2_norm treats the
dims before the last three as batch (iOS15/normalization.py l2_norm
value_inference); conv "same" pads as TensorFlow (the extra row at the end,
"same_lower" at the start).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from milref import Writer, b, func, fp, i32, lit, op, r16, s, tt

HERE = os.path.dirname(os.path.abspath(__file__))
W = Writer(os.path.join(HERE, "mil_spot.ref"), __doc__)
f64 = lambda a: np.asarray(a, np.float64)
T = lambda a: torch.from_numpy(f64(a))

# ---- normalisation, broadcasting, shapes ----
rng = np.random.default_rng(4242)


def rnd(*sh, scale=1.0):
    return (rng.standard_normal(sh) * scale).astype(np.float32)



# 1 layer_norm non-contiguous axes, rank 5
x = rnd(2, 3, 1, 4, 5)
for axes in ((1, 3), (-2, -1), (0, 2, 4)):
    xd = f64(x); mu = xd.mean(axis=axes, keepdims=True); var = ((xd - mu) ** 2).mean(axis=axes, keepdims=True)
    want = (xd - mu) / np.sqrt(var + 1e-3)
    W.case("ln_axes_%s" % "_".join(map(str, axes)).replace("-", "m"),
           func("ios16", [("x", "fp32", x.shape)],
                [op(("y", "fp32", x.shape), "layer_norm", {"x": "x", "axes": lit(np.array(axes), "int32"), "epsilon": fp(1e-3)}, "l")], ["y"]),
           [("x", x)], [want.astype(np.float32)])
g = rnd(4, 5); be = rnd(4, 5)
xd = f64(x); mu = xd.mean(axis=(-2, -1), keepdims=True); var = ((xd - mu) ** 2).mean(axis=(-2, -1), keepdims=True)
W.case("ln_gamma_beta",
       func("ios16", [("x", "fp32", x.shape)],
            [op(("y", "fp32", x.shape), "layer_norm", {"x": "x", "axes": lit(np.array([-2, -1]), "int32"), "gamma": lit(g, "fp32"), "beta": lit(be, "fp32"), "epsilon": fp(1e-5)}, "l")], ["y"]),
       [("x", x)], [((xd - mu) / np.sqrt(var + 1e-5) * g + be).astype(np.float32)])
# 2 instance_norm rank 4 odd
x = rnd(2, 3, 5, 7); g = rnd(3); be = rnd(3)
want = F.instance_norm(torch.from_numpy(f64(x)), weight=torch.from_numpy(f64(g)), bias=torch.from_numpy(f64(be)), eps=1e-5).numpy()
W.case("inorm", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", x.shape), "instance_norm", {"x": "x", "gamma": lit(g, "fp32"), "beta": lit(be, "fp32"), "epsilon": fp(1e-5)}, "i")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
x3 = rnd(3, 4, 6)
want = F.instance_norm(torch.from_numpy(f64(x3)), eps=1e-5).numpy()
W.case("inorm_rank3", func("ios15", [("x", "fp32", x3.shape)],
       [op(("y", "fp32", x3.shape), "instance_norm", {"x": "x", "epsilon": fp(1e-5)}, "i")], ["y"]),
       [("x", x3)], [want.astype(np.float32)])
# 3 batch_norm rank 5
x = rnd(2, 3, 2, 3, 4); m = rnd(3); v = np.abs(rnd(3)) + 0.1; g = rnd(3); be = rnd(3)
want = F.batch_norm(torch.from_numpy(f64(x)), torch.from_numpy(f64(m)), torch.from_numpy(f64(v)), torch.from_numpy(f64(g)), torch.from_numpy(f64(be)), eps=1e-4).numpy()
W.case("bn_rank5", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", x.shape), "batch_norm", {"x": "x", "mean": lit(m, "fp32"), "variance": lit(v, "fp32"), "gamma": lit(g, "fp32"), "beta": lit(be, "fp32"), "epsilon": fp(1e-4)}, "b")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
# 4 broadcast rank 5
a = rnd(2, 1, 3, 1, 5); c = rnd(3, 4, 1)
for k, fn in (("add", np.add), ("mul", np.multiply), ("maximum", np.maximum)):
    W.case("bc5_" + k, func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
           [op(("y", "fp32", (2, 1, 3, 4, 5)), k, {"x": "a", "y": "c"}, "o")], ["y"]), [("a", a), ("c", c)], [fn(a, c)])
# 5 matmul batched broadcast
a = rnd(2, 1, 3, 4); c = rnd(5, 4, 6)
W.case("matmul_bcast", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
       [op(("y", "fp32", (2, 5, 3, 6)), "matmul", {"x": "a", "y": "c"}, "o")], ["y"]), [("a", a), ("c", c)], [(f64(a) @ f64(c)).astype(np.float32)])
a = rnd(2, 1, 4, 3); c = rnd(5, 6, 4)
W.case("matmul_tt", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
       [op(("y", "fp32", (2, 5, 3, 6)), "matmul", {"x": "a", "y": "c", "transpose_x": b(True), "transpose_y": b(True)}, "o")], ["y"]), [("a", a), ("c", c)],
       [(np.swapaxes(f64(a), -1, -2) @ np.swapaxes(f64(c), -1, -2)).astype(np.float32)])
a = rnd(4); c = rnd(2, 4, 3)
W.case("matmul_vec", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
       [op(("y", "fp32", (2, 3)), "matmul", {"x": "a", "y": "c"}, "o")], ["y"]), [("a", a), ("c", c)], [(f64(a) @ f64(c)).astype(np.float32)])
a = rnd(2, 3, 4); c = rnd(4)
W.case("matmul_vec_r", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
       [op(("y", "fp32", (2, 3)), "matmul", {"x": "a", "y": "c"}, "o")], ["y"]), [("a", a), ("c", c)], [(f64(a) @ f64(c)).astype(np.float32)])
# 6 reductions large values, rank 5 negative axes
x = (rng.uniform(80, 100, (2, 3, 2, 2, 3))).astype(np.float32)
want = torch.logsumexp(torch.from_numpy(f64(x)), dim=(-4, -1), keepdim=True).numpy()
W.case("lse_big", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", want.shape), "reduce_log_sum_exp", {"x": "x", "axes": lit(np.array([-4, -1]), "int32"), "keep_dims": b(True)}, "r")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
want = torch.softmax(torch.from_numpy(f64(x)), dim=-3).numpy()
W.case("softmax_big_m3", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", x.shape), "softmax", {"x": "x", "axis": i32(-3)}, "r")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
x = rnd(2, 3, 2, 2, 3)
want = f64(x).mean(axis=(-4, -1))
W.case("mean_m4m1", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", want.shape), "reduce_mean", {"x": "x", "axes": lit(np.array([-4, -1]), "int32"), "keep_dims": b(False)}, "r")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
# 9 pad
x = rnd(2, 3, 4, 5)
for mode, tm in (("reflect", "reflect"), ("replicate", "replicate")):
    want = F.pad(torch.from_numpy(x), (2, 0, 1, 3), mode=tm).numpy()
    W.case("pad_" + mode, func("ios15", [("x", "fp32", x.shape)],
           [op(("y", "fp32", want.shape), "pad", {"x": "x", "pad": lit(np.array([1, 3, 2, 0]), "int32"), "mode": s(mode)}, "p")], ["y"]),
           [("x", x)], [want])
x = rnd(2, 3, 2, 3, 2)
want = np.pad(x, ((0, 0), (0, 0), (1, 0), (0, 2), (1, 1)), constant_values=1.5)
W.case("pad_const5", func("ios15", [("x", "fp32", x.shape)],
       [op(("y", "fp32", want.shape), "pad", {"x": "x", "pad": lit(np.array([1, 0, 0, 2, 1, 1]), "int32"), "mode": s("constant"), "constant_val": fp(1.5)}, "p")], ["y"]),
       [("x", x)], [want])
# 10 tile / transpose rank 5
x = rnd(2, 1, 3, 2, 2)
want = np.tile(x, (1, 2, 1, 3, 1))
W.case("tile5", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "tile", {"x": "x", "reps": lit(np.array([1, 2, 1, 3, 1]), "int32")}, "t")], ["y"]), [("x", x)], [want])
want = np.transpose(x, (4, 2, 0, 3, 1))
W.case("transpose5", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "transpose", {"x": "x", "perm": lit(np.array([4, 2, 0, 3, 1]), "int32")}, "t")], ["y"]), [("x", x)], [want])
# 11 slice_by_index rank 5
x = rnd(3, 4, 5, 2, 6)
want = x[2:0:-1, :, -4:, 1, ::-2]
W.case("slice5", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "slice_by_index",
       {"x": "x", "begin": lit(np.array([2, 0, -4, 1, -1]), "int32"), "end": lit(np.array([0, 4, 0, 2, 0]), "int32"),
        "stride": lit(np.array([-1, 1, 1, 1, -2]), "int32"),
        "begin_mask": lit(np.array([False, True, False, False, True]), "bool"), "end_mask": lit(np.array([False, True, True, False, True]), "bool"),
        "squeeze_mask": lit(np.array([False, False, False, True, False]), "bool")}, "s")], ["y"]), [("x", x)], [want])
# 12 split / stack / concat
x = rnd(2, 3, 7, 2)
parts = np.split(x, [2, 3], axis=-2)
W.case("split_sizes", func("ios15", [("x", "fp32", x.shape)], [op([("p%d" % i, "fp32", p.shape) for i, p in enumerate(parts)], "split",
       {"x": "x", "split_sizes": lit(np.array([2, 1, 4]), "int32"), "axis": i32(-2)}, "s")], ["p0", "p1", "p2"]), [("x", x)], parts)
a, c = rnd(2, 3), rnd(2, 3)
want = np.stack([a, c], axis=-1)
W.case("stack_m1", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)], [op(("y", "fp32", want.shape), "stack", {"values": "(a, c)", "axis": i32(-1)}, "s")], ["y"]), [("a", a), ("c", c)], [want])
a, c = rnd(2, 3, 4), rnd(2, 1, 4)
want = np.concatenate([a, c, a], axis=-2)
W.case("concat_m2", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)], [op(("y", "fp32", want.shape), "concat", {"values": "(a, c, a)", "axis": i32(-2)}, "s")], ["y"]), [("a", a), ("c", c)], [want])
# 13 cumsum / gather_along_axis / reverse
x = rnd(3, 4, 5)
xr = np.flip(f64(x), axis=-2); cs = np.cumsum(xr, axis=-2) - xr; want = np.flip(cs, axis=-2)
W.case("cumsum_excl_rev", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", x.shape), "cumsum", {"x": "x", "axis": i32(-2), "exclusive": b(True), "reverse": b(True)}, "c")], ["y"]), [("x", x)], [want.astype(np.float32)])
idx = rng.integers(-5, 5, (3, 4, 2)).astype(np.int32)
want = np.take_along_axis(x, np.where(idx < 0, idx + 5, idx), axis=-1)
W.case("gaa_m1", func("ios16", [("x", "fp32", x.shape), ("i", "int32", idx.shape)], [op(("y", "fp32", want.shape), "gather_along_axis", {"x": "x", "indices": "i", "axis": i32(-1)}, "g")], ["y"]), [("x", x), ("i", idx)], [want])
want = np.flip(x, axis=(0, -1))
W.case("reverse", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", x.shape), "reverse", {"x": "x", "axes": lit(np.array([0, -1]), "int32")}, "r")], ["y"]), [("x", x)], [want])
# 14 l2_norm rank 5 / lrn
x = rnd(2, 3, 2, 3, 4)
xd = f64(x).reshape(6, -1); want = (xd / np.sqrt((xd * xd).sum(1, keepdims=True) + 1e-6)).reshape(x.shape)
W.case("l2norm5", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", x.shape), "l2_norm", {"x": "x"}, "l")], ["y"]), [("x", x)], [want.astype(np.float32)])
x = rnd(2, 7, 3, 4)
want = F.local_response_norm(torch.from_numpy(f64(x)), size=3, alpha=0.3, beta=0.6, k=1.5).numpy()
W.case("lrn", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", x.shape), "local_response_norm", {"x": "x", "size": i32(3), "alpha": fp(0.3), "beta": fp(0.6), "k": fp(1.5)}, "l")], ["y"]), [("x", x)], [want.astype(np.float32)])
# 16 conv same with even kernel, stride, dilation, groups
x = rnd(1, 4, 7, 6); w = rnd(6, 2, 4, 3)
def same_pad(n, k, s_, d):
    ke = (k - 1) * d + 1; o = -(-n // s_); p = max((o - 1) * s_ + ke - n, 0); return p // 2, p - p // 2
for pt in ("same", "same_lower"):
    ph = same_pad(7, 4, 2, 1); pw = same_pad(6, 3, 1, 2)
    if pt == "same_lower": ph, pw = ph[::-1], pw[::-1]
    xp = F.pad(torch.from_numpy(f64(x)), (pw[0], pw[1], ph[0], ph[1]))
    want = F.conv2d(xp, torch.from_numpy(f64(w)), stride=(2, 1), dilation=(1, 2), groups=2).numpy()
    W.case("conv_" + pt, func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "conv", {"x": "x", "weight": lit(w, "fp32"), "strides": lit(np.array([2, 1]), "int32"),
           "dilations": lit(np.array([1, 2]), "int32"), "groups": i32(2), "pad_type": s(pt)}, "c")], ["y"]), [("x", x)], [want.astype(np.float32)], tol=1e-5)

# ---- pooling, convolution, gather/scatter, attention ----
rng = np.random.default_rng(777)


def rnd(*sh, scale=1.0):
    return (rng.standard_normal(sh) * scale).astype(np.float32)



# pooling 2-D, custom asymmetric pad, exclude padding
x = rnd(2, 3, 7, 6)
def pool(x, k, st, pad, kind, excl):
    N, C, H, Wd = x.shape
    xp = np.pad(f64(x), ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])), constant_values=np.nan)
    Ho = (H + pad[0] + pad[1] - k[0]) // st[0] + 1; Wo = (Wd + pad[2] + pad[3] - k[1]) // st[1] + 1
    y = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            win = xp[:, :, i*st[0]:i*st[0]+k[0], j*st[1]:j*st[1]+k[1]].reshape(N, C, -1)
            valid = ~np.isnan(win)
            if kind == "max": y[:, :, i, j] = np.nanmax(win, -1)
            elif kind == "avg":
                sm = np.nansum(win, -1); y[:, :, i, j] = sm / (valid.sum(-1) if excl else k[0]*k[1])
            else: y[:, :, i, j] = np.sqrt(np.nansum(win**2, -1))
    return y.astype(np.float32)
for kind in ("max", "avg", "l2"):
    for excl in ((True, False) if kind == "avg" else (False,)):
        pad = (1, 0, 1, 1); k = (3, 2); st = (2, 3)
        want = pool(x, k, st, pad, kind, excl)
        args = {"x": "x", "kernel_sizes": lit(np.array(k), "int32"), "strides": lit(np.array(st), "int32"), "pad_type": s("custom"),
                "pad": lit(np.array(pad), "int32"), "ceil_mode": b(False)}
        if kind == "avg": args["exclude_padding_from_average"] = b(excl)
        W.case("pool2d_%s_%d" % (kind, excl), func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), kind + "_pool", args, "p")], ["y"]), [("x", x)], [want])
# conv_transpose 2-D groups, stride, dilation, custom pad
x = rnd(1, 4, 3, 5); w = rnd(4, 3, 3, 2)
full = F.conv_transpose2d(T(x), T(w), stride=(2, 3), dilation=(1, 2), groups=2).numpy()
pad = (1, 0, 2, 1)
want = full[:, :, pad[0]:full.shape[2]-pad[1], pad[2]:full.shape[3]-pad[3]]
bias = rnd(6)
want = want + bias[None, :, None, None]
W.case("conv_t2d", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "conv_transpose", {"x": "x", "weight": lit(w, "fp32"), "bias": lit(bias, "fp32"),
       "strides": lit(np.array([2, 3]), "int32"), "dilations": lit(np.array([1, 2]), "int32"), "groups": i32(2), "pad_type": s("custom"), "pad": lit(np.array(pad), "int32")}, "c")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
# conv 2-D custom pad bias groups=C (depthwise)
x = rnd(2, 5, 6, 7); w = rnd(5, 1, 3, 3); bias = rnd(5)
want = F.conv2d(F.pad(T(x), (2, 0, 1, 1)), T(w), T(bias), stride=(1, 2), groups=5).numpy()
W.case("conv_dw", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "conv", {"x": "x", "weight": lit(w, "fp32"), "bias": lit(bias, "fp32"),
       "strides": lit(np.array([1, 2]), "int32"), "groups": i32(5), "pad_type": s("custom"), "pad": lit(np.array([1, 1, 2, 0]), "int32")}, "c")], ["y"]),
       [("x", x)], [want.astype(np.float32)])
# gather_nd batch_dims 1
x = rnd(2, 3, 4, 5); idx = np.stack([rng.integers(0, 3, (2, 6)), rng.integers(-4, 4, (2, 6))], -1).astype(np.int32)
want = np.stack([x[bb][idx[bb, :, 0], np.where(idx[bb, :, 1] < 0, idx[bb, :, 1] + 4, idx[bb, :, 1])] for bb in range(2)])
W.case("gather_nd_bd1", func("ios16", [("x", "fp32", x.shape), ("i", "int32", idx.shape)], [op(("y", "fp32", want.shape), "gather_nd", {"x": "x", "indices": "i", "batch_dims": i32(1)}, "g")], ["y"]),
       [("x", x), ("i", idx)], [want])
# scatter_nd add with duplicate indices
x = rnd(4, 3, 2); idx = np.array([[1, 2], [3, 0], [1, 2], [0, -1]], np.int32); u = rnd(4, 2)
want = f64(x).copy()
for r, (i, j) in enumerate(idx): want[i, j] += u[r]
W.case("scatter_nd_dup_add", func("ios15", [("x", "fp32", x.shape), ("u", "fp32", u.shape)], [op(("y", "fp32", x.shape), "scatter_nd", {"data": "x", "indices": lit(idx, "int32"), "updates": "u", "mode": s("add")}, "s")], ["y"]),
       [("x", x), ("u", u)], [want.astype(np.float32)])
# sdpa rank 3 with float mask
q = rnd(3, 5, 4); k = rnd(3, 7, 4); v = rnd(3, 7, 6); m = rnd(5, 7)
sc = T(q) @ T(k).transpose(-1, -2) / np.sqrt(4) + T(m); want = (torch.softmax(sc, -1) @ T(v)).numpy()
W.case("sdpa_r3", func("ios18", [("q", "fp32", q.shape), ("k", "fp32", k.shape), ("v", "fp32", v.shape), ("m", "fp32", m.shape)],
       [op(("y", "fp32", want.shape), "scaled_dot_product_attention", {"query": "q", "key": "k", "value": "v", "attn_mask": "m"}, "a")], ["y"]),
       [("q", q), ("k", k), ("v", v), ("m", m)], [want.astype(np.float32)])
# topk negative axis
x = (rng.permutation(60).astype(np.float32) - 30).reshape(3, 4, 5)
vals, inds = torch.topk(torch.from_numpy(x), 2, dim=-2)
W.case("topk_m2", func("ios15", [("x", "fp32", x.shape)], [op([("v", "fp32", (3, 2, 5)), ("i", "int32", (3, 2, 5))], "topk", {"x": "x", "k": i32(2), "axis": i32(-2)}, "t")], ["v", "i"]),
       [("x", x)], [vals.numpy(), inds.numpy().astype(np.float32)])
# one_hot negative axis on rank 2 indices, on/off values
idx = np.array([[0, 3], [2, 1], [1, 3]], np.int32)
want = np.where(np.eye(4)[idx] > 0, 2.5, -1.0).astype(np.float32)  # axis -1
W.case("one_hot_m1", func("ios15", [("i", "int32", idx.shape)], [op(("y", "fp32", want.shape), "one_hot", {"indices": "i", "one_hot_vector_size": i32(4), "axis": i32(-1), "on_value": fp(2.5), "off_value": fp(-1.0)}, "o")], ["y"]),
       [("i", idx)], [want])
# einsum with batched heads
a = rnd(2, 3, 4, 5); c = rnd(2, 3, 6, 5)
want = np.einsum("bhqd,bhkd->bhqk", f64(a), f64(c))
W.case("einsum_attn", func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)], [op(("y", "fp32", want.shape), "einsum", {"values": "(a, c)", "equation": s("bhqd,bhkd->bhqk")}, "e")], ["y"]),
       [("a", a), ("c", c)], [want.astype(np.float32)])
# softmax fp16 mode with large logits
x = r16(rnd(2, 9, scale=6))
want = r16(torch.softmax(T(x), -1).numpy())
W.case("softmax_fp16", func("ios16", [("x", "fp16", x.shape)], [op(("y", "fp16", x.shape), "softmax", {"x": "x", "axis": i32(-1)}, "s")], ["y"]), [("x", x)], [want], tol=2e-3, mode="fp16")
# linear with rank-3 input
x = rnd(2, 3, 5); w = rnd(4, 5); bb = rnd(4)
W.case("linear_r3", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", (2, 3, 4)), "linear", {"x": "x", "weight": lit(w, "fp32"), "bias": lit(bb, "fp32")}, "l")], ["y"]),
       [("x", x)], [(f64(x) @ f64(w).T + bb).astype(np.float32)])
# upsample nearest fractional / resize_nearest_neighbor
x = rnd(1, 2, 3, 5)
want = F.interpolate(T(x), size=(7, 4), mode="nearest").numpy()
W.case("rnn_nearest_7x4", func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "resize_nearest_neighbor", {"x": "x", "target_size_height": i32(7), "target_size_width": i32(4)}, "r")], ["y"]),
       [("x", x)], [want.astype(np.float32)])

# ---- empty dimensions ----
a = np.arange(6, dtype=np.float32).reshape(2, 3); e = np.zeros((2, 0), np.float32)
W.case("concat_empty", func("ios15", [("a", "fp32", a.shape), ("e", "fp32", e.shape)], [op(("y", "fp32", (2, 3)), "concat", {"values": "(a, e, a)", "axis": i32(1)}, "c")], ["y"]),
       [("a", a), ("e", e)], [np.concatenate([a, e, a], 1)])
W.case("sum_empty", func("ios15", [("e", "fp32", e.shape)], [op(("y", "fp32", (2,)), "reduce_sum", {"x": "e", "axes": lit(np.array([1]), "int32")}, "c")], ["y"]),
       [("e", e)], [np.zeros(2, np.float32)])
W.case("add_empty", func("ios15", [("e", "fp32", e.shape)], [op(("y", "fp32", (2, 0)), "add", {"x": "e", "y": fp(1.0)}, "c")], ["y"]),
       [("e", e)], [e])
W.case("slice_to_empty", func("ios15", [("a", "fp32", a.shape)], [op(("y", "fp32", (2, 0)), "slice_by_index", {"x": "a", "begin": lit(np.array([0, 2]), "int32"), "end": lit(np.array([2, 2]), "int32")}, "c")], ["y"]),
       [("a", a)], [a[:, 2:2]])
W.case("matmul_k0", func("ios15", [("e", "fp32", e.shape)], [op(("y", "fp32", (2, 2)), "matmul", {"x": "e", "y": "e", "transpose_y": b(True)}, "c")], ["y"]),
       [("e", e)], [np.zeros((2, 2), np.float32)])
W.close()
