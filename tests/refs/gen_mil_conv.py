#!/usr/bin/python3
"""gen_mil_conv.py — reference cases for 3-D convolution, transposed
convolution and pooling (kernels/mil_spatial.c) and conv_quantized
(kernels/mil.c). Writes mil_conv.ref next to itself.

    /usr/bin/python3 tests/refs/gen_mil_conv.py

References: torch.nn.functional conv3d, conv_transpose3d, max_pool3d,
avg_pool3d (count_include_pad = not exclude_padding_from_average, ceil_mode);
l2 pooling and the MIL "same" paddings in NumPy / explicit F.pad.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F

from milref import Writer, b, fp, func, i32, lit, op, s

rng = np.random.default_rng(19)
HERE = os.path.dirname(os.path.abspath(__file__))


def rnd(*shape):
    return (np.round(rng.standard_normal(shape) * 16) / 16).astype(np.float32)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def ints(v):
    return lit(np.array(v), "int32")


W = Writer(os.path.join(HERE, "mil_conv.ref"), __doc__)

x = rnd(1, 4, 3, 4, 3)
w = rnd(4, 2, 2, 2, 2)  # groups 2
bias = rnd(4)
for name, args, tw in (
        ("valid", {"pad_type": s("valid"), "strides": ints([1, 2, 1])}, dict(stride=(1, 2, 1))),
        ("custom_dil", {"pad_type": s("custom"), "pad": ints([1, 0, 2, 1, 0, 1]), "dilations": ints([2, 1, 1])},
         dict(dilation=(2, 1, 1)))):
    xin = x
    if name == "custom_dil":
        xin = np.pad(x, ((0, 0), (0, 0), (1, 0), (2, 1), (0, 1)))
    want = F.conv3d(T(xin), T(w), T(bias), groups=2, **tw).numpy()
    a = {"x": "x", "weight": lit(w, "fp32"), "bias": lit(bias, "fp32"), "groups": i32(2)}
    a.update(args)
    W.case("conv3d_%s" % name,
           func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", want.shape), "conv", a, "c")], ["y"]),
           [("x", x)], [want])
# same padding: total = (ceil(i/s) - 1) s + k - i, the odd pixel after (same) or before (same_lower)
w1 = rnd(2, 4, 3, 2, 2)
for pt in ("same", "same_lower"):
    pads = []
    for i, k, st in zip(x.shape[2:], w1.shape[2:], (2, 1, 2)):
        o = -(-i // st)
        tot = max(0, (o - 1) * st + k - i)
        lo = tot // 2 if pt == "same" else tot - tot // 2
        pads.append((lo, tot - lo))
    xin = np.pad(x, ((0, 0), (0, 0)) + tuple(pads))
    want = F.conv3d(T(xin), T(w1), stride=(2, 1, 2)).numpy()
    W.case("conv3d_%s" % pt,
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", want.shape), "conv",
                    {"x": "x", "weight": lit(w1, "fp32"), "strides": ints([2, 1, 2]), "pad_type": s(pt)}, "c")], ["y"]),
           [("x", x)], [want])
# transposed
wt = rnd(4, 2, 2, 2, 3)  # [C_in, C_out/groups, k...], groups 1
want = F.conv_transpose3d(T(x), T(wt), stride=(2, 1, 2), padding=(0, 1, 1)).numpy()
W.case("conv_transpose3d_custom",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "conv_transpose",
                {"x": "x", "weight": lit(wt, "fp32"), "strides": ints([2, 1, 2]), "pad_type": s("custom"),
                 "pad": ints([0, 0, 1, 1, 1, 1])}, "c")], ["y"]),
       [("x", x)], [want])
wt2 = rnd(4, 1, 2, 2, 2)  # groups 4 (depthwise)
bt = rnd(4)
want = F.conv_transpose3d(T(x), T(wt2), T(bt), stride=1, groups=4, dilation=(1, 2, 1)).numpy()
W.case("conv_transpose3d_groups",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "conv_transpose",
                {"x": "x", "weight": lit(wt2, "fp32"), "bias": lit(bt, "fp32"), "groups": i32(4),
                 "dilations": ints([1, 2, 1])}, "c")], ["y"]),
       [("x", x)], [want])

# pooling
x = rnd(1, 1, 5, 4, 5)
for ceil in (False, True):
    want = F.max_pool3d(T(x), (2, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=ceil).numpy()
    W.case("max_pool3d_ceil%d" % ceil,
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", want.shape), "max_pool",
                    {"x": "x", "kernel_sizes": ints([2, 2, 3]), "strides": ints([2, 1, 2]), "pad_type": s("custom"),
                     "pad": ints([1, 1, 0, 0, 1, 1]), "ceil_mode": b(ceil)}, "p")], ["y"]),
           [("x", x)], [want])
    for excl in (False, True):
        want = F.avg_pool3d(T(x), (2, 2, 3), stride=(2, 1, 2), padding=(1, 0, 1), ceil_mode=ceil,
                            count_include_pad=not excl).numpy()
        W.case("avg_pool3d_ceil%d_excl%d" % (ceil, excl),
               func("ios15", [("x", "fp32", x.shape)],
                    [op(("y", "fp32", want.shape), "avg_pool",
                        {"x": "x", "kernel_sizes": ints([2, 2, 3]), "strides": ints([2, 1, 2]), "pad_type": s("custom"),
                         "pad": ints([1, 1, 0, 0, 1, 1]), "ceil_mode": b(ceil),
                         "exclude_padding_from_average": b(excl)}, "p")], ["y"]),
               [("x", x)], [want])
sq = F.avg_pool3d(T(x.astype(np.float64) ** 2), (2, 2, 2), stride=2).numpy() * 8
W.case("l2_pool3d",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", sq.shape), "l2_pool",
                {"x": "x", "kernel_sizes": ints([2, 2, 2]), "strides": ints([2, 2, 2]), "pad_type": s("valid")}, "p")],
            ["y"]),
       [("x", x)], [np.sqrt(sq).astype(np.float32)])

# conv_quantized: W = q * scale + bias per output channel (linear)
x = rnd(1, 2, 4, 4)
q = rng.integers(0, 256, size=(4, 2, 3, 3)).astype(np.uint8)
qs = np.array([0.01, 0.02, 0.005, 0.03], np.float32)
qb = np.array([-1.0, -2.0, -0.5, -3.0], np.float32)
wd = q.astype(np.float32) * qs[:, None, None, None] + qb[:, None, None, None]
want = F.conv2d(T(x), T(wd), padding=1).numpy()
W.case("conv_quantized_linear",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "conv_quantized",
                {"x": "x", "weight": lit(q, "uint8"), "quantization_type": s("linear"), "nbits": i32(8),
                 "quant_scale": lit(qs, "fp32"), "quant_bias": lit(qb, "fp32"), "pad_type": s("same")}, "c")], ["y"]),
       [("x", x)], [want], tol=2e-5)
# 1-D forms (rank 3): one stride, one dilation, pad [left, right]
x1 = rnd(2, 4, 11)
w1d = rnd(6, 2, 3)
b1d = rnd(6)
want = F.conv1d(T(np.pad(x1, ((0, 0), (0, 0), (1, 2)))), T(w1d), T(b1d), stride=2, dilation=2, groups=2).numpy()
W.case("conv1d_custom",
       func("ios15", [("x", "fp32", x1.shape)],
            [op(("y", "fp32", want.shape), "conv",
                {"x": "x", "weight": lit(w1d, "fp32"), "bias": lit(b1d, "fp32"), "strides": ints([2]),
                 "dilations": ints([2]), "pad_type": s("custom"), "pad": ints([1, 2]), "groups": i32(2)}, "c")], ["y"]),
       [("x", x1)], [want])
o = -(-11 // 3)
tot = max(0, (o - 1) * 3 + 3 - 11)
want = F.conv1d(T(np.pad(x1, ((0, 0), (0, 0), (tot // 2, tot - tot // 2)))), T(w1d[:, :, :]), stride=3, groups=2).numpy()
W.case("conv1d_same",
       func("ios15", [("x", "fp32", x1.shape)],
            [op(("y", "fp32", want.shape), "conv",
                {"x": "x", "weight": lit(w1d, "fp32"), "strides": ints([3]), "pad_type": s("same"), "groups": i32(2)},
                "c")], ["y"]),
       [("x", x1)], [want])
wt1 = rnd(4, 3, 3)
want = F.conv_transpose1d(T(x1), T(wt1), stride=2, padding=1).numpy()
W.case("conv_transpose1d",
       func("ios15", [("x", "fp32", x1.shape)],
            [op(("y", "fp32", want.shape), "conv_transpose",
                {"x": "x", "weight": lit(wt1, "fp32"), "strides": ints([2]), "pad_type": s("custom"), "pad": ints([1, 1])},
                "c")], ["y"]),
       [("x", x1)], [want])
want = F.max_pool1d(T(x1), 3, stride=2, padding=1).numpy()
W.case("max_pool1d",
       func("ios15", [("x", "fp32", x1.shape)],
            [op(("y", "fp32", want.shape), "max_pool",
                {"x": "x", "kernel_sizes": ints([3]), "strides": ints([2]), "pad_type": s("custom"), "pad": ints([1, 1])},
                "p")], ["y"]),
       [("x", x1)], [want])
want = F.avg_pool1d(T(x1), 2, stride=3).numpy()
W.case("avg_pool1d",
       func("ios15", [("x", "fp32", x1.shape)],
            [op(("y", "fp32", want.shape), "avg_pool",
                {"x": "x", "kernel_sizes": ints([2]), "strides": ints([3]), "pad_type": s("valid")}, "p")], ["y"]),
       [("x", x1)], [want])
W.close()
