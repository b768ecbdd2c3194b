#!/usr/bin/python3
"""gen_mil_elementwise.py — reference cases for the executor's elementwise,
activation and reduction kernels (kernels/mil.c), computed with NumPy /
PyTorch. Writes mil_unary.ref and mil_reduce.ref next to itself.

    /usr/bin/python3 tests/refs/gen_mil_elementwise.py

Formulas from apple/coremltools ops/defs/iOS15 elementwise_unary.py,
elementwise_binary.py, activation.py and reduction.py (epsilon defaults
1e-45 for log, 1e-12 for rsqrt, 1e-4 for inverse; NumPy broadcasting; round
half to even as np.round; floor_div as np.floor_divide, mod as np.mod).
fp16 cases: inputs rounded to binary16, the op computed, the output rounded
once more (Core ML stores every op's result in fp16).
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from milref import Writer, b, fp, func, i32, lit, op, r16, s

rng = np.random.default_rng(23)
HERE = os.path.dirname(os.path.abspath(__file__))


def grid(lo, hi, *shape):
    """values on a 1/64 grid in [lo, hi)"""
    return (np.floor(rng.uniform(lo, hi, size=shape) * 64) / 64).astype(np.float32)


def unary_case(W, name, kind, x, want, args=None, tol=1e-5, mode="fp32", dtype="fp32", opset="ios15"):
    a = {"x": "x"}
    a.update(args or {})
    W.case(name, func(opset, [("x", dtype, x.shape)], [op(("y", dtype, x.shape), kind, a, "u")], ["y"]),
           [("x", x)], [np.asarray(want, np.float32)], tol=tol, mode=mode)


W = Writer(os.path.join(HERE, "mil_unary.ref"), __doc__)
f64 = lambda x: x.astype(np.float64)
sig = lambda v: 1 / (1 + np.exp(-v))
UNARY = [
    ("abs", -3, 3, np.abs), ("acos", -0.99, 0.99, np.arccos), ("asin", -0.99, 0.99, np.arcsin),
    ("atan", -4, 4, np.arctan), ("atanh", -0.95, 0.95, np.arctanh), ("ceil", -3, 3, np.ceil),
    ("cos", -4, 4, np.cos), ("cosh", -3, 3, np.cosh), ("erf", -2, 2, lambda v: torch.erf(torch.from_numpy(v)).numpy()),
    ("exp", -4, 4, np.exp), ("exp2", -4, 4, np.exp2), ("floor", -3, 3, np.floor), ("round", -3, 3, np.round),
    ("sign", -2, 2, np.sign), ("sin", -4, 4, np.sin), ("sinh", -3, 3, np.sinh), ("sqrt", 0, 9, np.sqrt),
    ("square", -3, 3, np.square), ("tan", -1.2, 1.2, np.tan), ("tanh", -3, 3, np.tanh),
    ("relu", -2, 2, lambda v: np.maximum(v, 0)), ("relu6", -3, 9, lambda v: np.clip(v, 0, 6)),
    ("sigmoid", -6, 6, sig), ("silu", -6, 6, lambda v: v * sig(v)), ("softplus", -6, 6, lambda v: np.log1p(np.exp(v))),
    ("softsign", -4, 4, lambda v: v / (1 + np.abs(v))),
]
for kind, lo, hi, fn in UNARY:
    x = grid(lo, hi, 3, 5)
    if kind in ("round", "ceil", "floor", "sign"):
        x[0, :4] = [-2.5, -0.5, 0.5, 1.5]  # ties: half to even for round
    unary_case(W, kind, kind, x, fn(f64(x)))
x = grid(0.01, 4, 3, 5)
unary_case(W, "log", "log", x, np.log(f64(x) + 1e-45))
unary_case(W, "log_eps", "log", x, np.log(f64(x) + 0.5), {"epsilon": fp(0.5)})
unary_case(W, "rsqrt", "rsqrt", x, 1 / np.sqrt(f64(x) + 1e-12))
unary_case(W, "inverse", "inverse", x, 1 / (f64(x) + 1e-4))
unary_case(W, "inverse_eps", "inverse", x, 1 / (f64(x) + 0.25), {"epsilon": fp(0.25)})
xb = (grid(-1, 1, 3, 5) > 0).astype(np.float32)
W.case("logical_not", func("ios15", [("x", "bool", xb.shape)], [op(("y", "bool", xb.shape), "logical_not", {"x": "x"}, "u")],
                           ["y"]), [("x", xb)], [1 - xb])

# activations with parameters
x = grid(-4, 4, 2, 3, 2, 2)
al, be = 0.3, 1.7
ACT = [
    ("clip", {"alpha": fp(-1), "beta": fp(2)}, np.clip(f64(x), -1, 2)),
    ("leaky_relu", {"alpha": fp(al)}, np.where(x >= 0, x, al * f64(x))),
    ("elu", {"alpha": fp(al)}, np.where(x > 0, x, al * np.expm1(f64(x)))),
    ("thresholded_relu", {"alpha": fp(al)}, np.where(x >= al, x, 0)),
    ("threshold", {"alpha": fp(al)}, np.maximum(f64(x), al)),
    ("sigmoid_hard", {"alpha": fp(al), "beta": fp(0.4)}, np.clip(al * f64(x) + 0.4, 0, 1)),
    ("linear_activation", {"alpha": fp(al), "beta": fp(be)}, al * f64(x) + be),
    ("scaled_tanh", {"alpha": fp(al), "beta": fp(be)}, al * np.tanh(be * f64(x))),
    ("clamped_relu", {"alpha": fp(al), "beta": fp(be)},
     np.minimum(np.maximum(f64(x), 0), be) + np.minimum(np.minimum(f64(x), 0) * al, be)),
]
for kind, args, want in ACT:
    unary_case(W, kind, kind, x, want, args)
for mode, fn in (("EXACT", lambda v: F.gelu(torch.from_numpy(v)).numpy()),
                 ("TANH_APPROXIMATION", lambda v: F.gelu(torch.from_numpy(v), approximate="tanh").numpy()),
                 ("SIGMOID_APPROXIMATION", lambda v: v * sig(1.702 * v))):
    unary_case(W, "gelu_%s" % mode.lower(), "gelu", x, fn(f64(x)), {"mode": s(mode)})
alpha = np.array([0.1, -0.5, 2.0], np.float32)
unary_case(W, "prelu", "prelu", x, np.where(x > 0, x, alpha[None, :, None, None] * x), {"alpha": lit(alpha, "fp32")})
beta = np.array([1.0, 0.5, 2.0], np.float32)
unary_case(W, "softplus_parametric", "softplus_parametric", x,
           alpha[None, :, None, None] * np.log1p(np.exp(beta[None, :, None, None] * f64(x))),
           {"alpha": lit(alpha, "fp32"), "beta": lit(beta, "fp32")})
# rank 3 and 5: the channel is axis 1, whatever the rank (activation.py:
# alpha "on all dims besides the channel (2nd) dim"; prelu takes rank 3 and
# 5 only with one alpha value repeated). The trailing dims are chosen so that
# axis -3 is not the channel: a kernel that took it would fail or differ.
for shape in ((2, 3, 4), (1, 3, 2, 2, 3)):
    xr = ((np.arange(np.prod(shape)) * 7 % 23 - 11) / 4).astype(np.float32).reshape(shape)
    bc = (None, slice(None)) + (None,) * (len(shape) - 2)
    same = np.full(3, 0.25, np.float32)
    unary_case(W, "prelu_rank%d" % len(shape), "prelu", xr, np.where(xr > 0, xr, same[bc] * xr),
               {"alpha": lit(same, "fp32")})
    unary_case(W, "softplus_parametric_rank%d" % len(shape), "softplus_parametric", xr,
               alpha[bc] * np.log1p(np.exp(beta[bc] * f64(xr))),
               {"alpha": lit(alpha, "fp32"), "beta": lit(beta, "fp32")})
for axis in (-1, 1):
    unary_case(W, "softmax_axis%d" % axis, "softmax", x, torch.softmax(torch.from_numpy(x), axis).numpy(),
               {"axis": i32(axis)})

# binary, with broadcasting
a = grid(-4, 4, 2, 1, 4)
c = grid(-4, 4, 3, 1)
c[c == 0] = 0.5
BIN = [("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("real_div", np.divide), ("maximum", np.maximum),
       ("minimum", np.minimum), ("floor_div", np.floor_divide), ("mod", np.mod)]
for kind, fn in BIN:
    W.case("bin_%s" % kind,
           func("ios15", [("a", "fp32", a.shape), ("c", "fp32", c.shape)],
                [op(("y", "fp32", (2, 3, 4)), kind, {"x": "a", "y": "c"}, "b")], ["y"]),
           [("a", a), ("c", c)], [fn(f64(a), f64(c)).astype(np.float32)])
pa, pc = grid(0.1, 3, 2, 1, 4), grid(-2, 2, 3, 1)
W.case("bin_pow",
       func("ios15", [("a", "fp32", pa.shape), ("c", "fp32", pc.shape)],
            [op(("y", "fp32", (2, 3, 4)), "pow", {"x": "a", "y": "c"}, "b")], ["y"]),
       [("a", pa), ("c", pc)], [np.power(f64(pa), f64(pc)).astype(np.float32)])
ai, ci = np.round(a), np.round(c)
CMP = [("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater), ("greater_equal", np.greater_equal),
       ("less", np.less), ("less_equal", np.less_equal)]
for kind, fn in CMP:
    W.case("cmp_%s" % kind,
           func("ios15", [("a", "fp32", ai.shape), ("c", "fp32", ci.shape)],
                [op(("y", "bool", (2, 3, 4)), kind, {"x": "a", "y": "c"}, "b")], ["y"]),
           [("a", ai), ("c", ci)], [fn(ai, ci).astype(np.float32)])
la, lc = (grid(-1, 1, 2, 1, 4) > 0).astype(np.float32), (grid(-1, 1, 3, 1) > 0).astype(np.float32)
for kind, fn in (("logical_and", np.logical_and), ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)):
    W.case("bool_%s" % kind,
           func("ios15", [("a", "bool", la.shape), ("c", "bool", lc.shape)],
                [op(("y", "bool", (2, 3, 4)), kind, {"x": "a", "y": "c"}, "b")], ["y"]),
           [("a", la), ("c", lc)], [fn(la, lc).astype(np.float32)])
# select, fill, upsample_nearest_neighbor
cond = (grid(-1, 1, 2, 3, 1) > 0).astype(np.float32)
sa_, sc_ = grid(-2, 2, 3, 4), grid(-2, 2, 2, 1, 4)
W.case("select_broadcast",
       func("ios15", [("p", "bool", cond.shape), ("a", "fp32", sa_.shape), ("c", "fp32", sc_.shape)],
            [op(("y", "fp32", (2, 3, 4)), "select", {"cond": "p", "a": "a", "b": "c"}, "s")], ["y"]),
       [("p", cond), ("a", sa_), ("c", sc_)], [np.where(cond != 0, sa_, sc_)])
W.case("fill_from_shape",
       func("ios15", [("shp", "int32", (3,))], [op(("y", "fp32", ("?", "?", "?")), "fill", {"shape": "shp", "value": fp(2.5)}, "f")],
            ["y"]),
       [("shp", np.array([2, 1, 3], np.int32))], [np.full((2, 1, 3), 2.5, np.float32)])
x = grid(-2, 2, 1, 2, 3, 4)
for sh, sw in ((2, 3), (1.5, 2.5)):
    want = F.interpolate(torch.from_numpy(x), scale_factor=(sh, sw), mode="nearest").numpy()
    W.case("upsample_nearest_%g_%g" % (sh, sw),
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", want.shape), "upsample_nearest_neighbor",
                    {"x": "x", "scale_factor_height": fp(sh), "scale_factor_width": fp(sw)}, "u")], ["y"]),
           [("x", x)], [want])

# fp16 emulation: rounded inputs, rounded result
for kind, lo, hi, fn in (("exp", -4, 4, np.exp), ("tanh", -3, 3, np.tanh), ("sqrt", 0, 9, np.sqrt)):
    x = r16(grid(lo, hi, 2, 6))
    unary_case(W, "%s_fp16" % kind, kind, x, r16(fn(f64(x))), tol=1e-3, mode="fp16", dtype="fp16")
a16, c16 = r16(grid(-4, 4, 2, 6) * 100), r16(grid(-4, 4, 2, 6) * 100)
W.case("mul_fp16_overflow",
       func("ios16", [("a", "fp16", a16.shape), ("c", "fp16", c16.shape)],
            [op(("y", "fp16", a16.shape), "mul", {"x": "a", "y": "c"}, "b")], ["y"]),
       [("a", a16), ("c", c16)], [r16(f64(a16) * f64(c16))], tol=1e-3, mode="fp16")
W.close()

# ---- reductions -----------------------------------------------------------------------------------
W = Writer(os.path.join(HERE, "mil_reduce.ref"), __doc__)
x = grid(0.05, 3, 2, 3, 4)
RED = [("reduce_sum", np.sum), ("reduce_mean", np.mean), ("reduce_max", np.max), ("reduce_min", np.min),
       ("reduce_prod", np.prod), ("reduce_l1_norm", lambda v, axis, keepdims: np.sum(np.abs(v), axis, keepdims=keepdims)),
       ("reduce_l2_norm", lambda v, axis, keepdims: np.sqrt(np.sum(v * v, axis, keepdims=keepdims))),
       ("reduce_sum_square", lambda v, axis, keepdims: np.sum(v * v, axis, keepdims=keepdims)),
       ("reduce_log_sum", lambda v, axis, keepdims: np.log(np.sum(v, axis, keepdims=keepdims))),
       ("reduce_log_sum_exp", lambda v, axis, keepdims: np.log(np.sum(np.exp(v), axis, keepdims=keepdims)))]
for kind, fn in RED:
    for axes, keep in (((1,), False), ((0, 2), True), (None, False)):
        want = fn(f64(x), axis=axes, keepdims=keep)
        args = {"x": "x", "keep_dims": b(keep)}
        if axes is not None:
            args["axes"] = lit(np.array(axes), "int32")
        W.case("%s_%s_k%d" % (kind, "all" if axes is None else "_".join(map(str, axes)), keep),
               func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", np.shape(want)), kind, args, "r")], ["y"]),
               [("x", x)], [np.asarray(want, np.float32)])
xd = grid(-3, 3, 2, 3, 4)
for kind, fn in (("reduce_argmax", np.argmax), ("reduce_argmin", np.argmin)):
    for axis, keep in ((-1, False), (1, True)):
        want = fn(xd, axis=axis)
        if keep:
            want = np.expand_dims(want, axis)
        W.case("%s_%d_k%d" % (kind, axis, keep),
               func("ios15", [("x", "fp32", xd.shape)],
                    [op(("y", "int32", want.shape), kind, {"x": "x", "axis": i32(axis), "keep_dims": b(keep)}, "r")],
                    ["y"]),
               [("x", xd)], [want.astype(np.float32)])
W.close()
