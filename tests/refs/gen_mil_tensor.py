#!/usr/bin/python3
"""gen_mil_tensor.py — reference cases for the executor's gather / scatter /
sort / rearrangement kernels (kernels/mil_tensor.c), computed with NumPy and
PyTorch independently of the executor. Writes mil_gather.ref, mil_scatter.ref, mil_sort.ref and mil_shape.ref
next to itself.

    /usr/bin/python3 tests/refs/gen_mil_tensor.py

The op semantics follow apple/coremltools ops/defs (iOS15..iOS18); where the
MIL definition names a framework's op (tf.gather, tf.gather_nd,
tf.space_to_batch_nd, torch.nn.PixelShuffle, np.take_along_axis) the
reference is that framework's own function or a direct NumPy transcription.
"""
import os

import numpy as np
import torch

from milref import Writer, b, func, fp, i32, lit, op, r16, s, tt

rng = np.random.default_rng(13)


def rnd(*shape):
    """values on a 1/32 grid (short to write, exact in fp32 and fp16)"""
    return (np.round(rng.standard_normal(shape) * 32) / 32).astype(np.float32)


def distinct(*shape):
    """values without ties (for sorting)"""
    n = int(np.prod(shape))
    return (rng.permutation(n).astype(np.float32) * 0.25 - n / 8).reshape(shape)


HERE = os.path.dirname(os.path.abspath(__file__))
W = Writer(os.path.join(HERE, "mil_gather.ref"), __doc__)

# ---- gather ------------------------------------------------------------------
x = rnd(3, 4, 5)
idx = np.array([[2, 0], [-1, 1]], np.int32)
for axis in (0, 1, -1):
    D = x.shape[axis]
    want = np.take(x, np.where(idx < 0, idx + D, idx), axis=axis)
    W.case("gather_axis%d" % axis,
           func("ios16", [("x", "fp32", x.shape)],
                [op(("y", "fp32", want.shape), "gather",
                    {"x": "x", "indices": lit(idx, "int32"), "axis": i32(axis)}, "g")], ["y"]),
           [("x", x)], [want])


def gather_batch(params, indices, axis, batch_dims):
    """tf.gather with batch_dims (coremltools _utils.compute_gather)"""
    bs = params.shape[:batch_dims]
    p = params.reshape((-1,) + params.shape[batch_dims:])
    i = indices.reshape((-1,) + indices.shape[batch_dims:])
    res = np.stack([np.take(pp, ii, axis=axis - batch_dims) for pp, ii in zip(p, i)])
    return res.reshape(tuple(bs) + res.shape[1:])


x = rnd(2, 3, 4)
idx = rng.integers(0, 4, size=(2, 3, 2)).astype(np.int32)
want = gather_batch(x, idx, 2, 2)
W.case("gather_batch_dims2",
       func("ios16", [("x", "fp32", x.shape), ("i", "int32", idx.shape)],
            [op(("y", "fp32", want.shape), "gather", {"x": "x", "indices": "i", "axis": i32(2), "batch_dims": i32(2)},
                "g")], ["y"]),
       [("x", x), ("i", idx)], [want])
idx = rng.integers(0, 3, size=(2, 5)).astype(np.int32)
want = gather_batch(x, idx, 1, 1)
W.case("gather_batch_dims1",
       func("ios17", [("x", "fp32", x.shape), ("i", "int32", idx.shape)],
            [op(("y", "fp32", want.shape), "gather",
                {"x": "x", "indices": "i", "axis": i32(1), "batch_dims": i32(1), "validate_indices": b(True)}, "g")],
            ["y"]),
       [("x", x), ("i", idx)], [want])
bad = np.array([0, 7], np.int32)
W.case("gather_out_of_range",
       func("ios16", [("x", "fp32", (3, 2)), ("i", "int32", (2,))],
            [op(("y", "fp32", (2, 2)), "gather", {"x": "x", "indices": "i"}, "g")], ["y"]),
       [("x", rnd(3, 2)), ("i", bad)], [], err="out of range")

# gather_along_axis: np.take_along_axis
x = rnd(3, 4)
idx = rng.integers(0, 4, size=(3, 6)).astype(np.int32)
W.case("gather_along_axis",
       func("ios17", [("x", "fp32", x.shape), ("i", "int32", idx.shape)],
            [op(("y", "fp32", idx.shape), "gather_along_axis", {"x": "x", "indices": "i", "axis": i32(1)}, "g")],
            ["y"]),
       [("x", x), ("i", idx)], [np.take_along_axis(x, idx, axis=1)])


# ---- gather_nd -------------------------------------------------------------------------
def gather_nd(params, indices, batch_dims=0):
    """tf.gather_nd, written out"""
    bs = params.shape[:batch_dims]
    nb = int(np.prod(bs)) if batch_dims else 1
    p = params.reshape((nb,) + params.shape[batch_dims:])
    i = indices.reshape((nb,) + indices.shape[batch_dims:])
    out = []
    for pp, ii in zip(p, i):
        rows = ii.reshape(-1, ii.shape[-1])
        sl = [pp[tuple(r)] for r in rows]
        out.append(np.stack(sl).reshape(ii.shape[:-1] + pp.shape[ii.shape[-1]:]))
    res = np.stack(out)
    return res.reshape(tuple(bs) + res.shape[1:])


x = rnd(3, 4, 2)
idx = np.array([[[0, 1], [2, 3]], [[1, 0], [2, 2]]], np.int32)  # depth 2 -> slices of [2]
want = gather_nd(x, idx)
W.case("gather_nd_depth2",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "gather_nd", {"x": "x", "indices": lit(idx, "int32")}, "g")], ["y"]),
       [("x", x)], [want])
idx = np.array([[2, 1, 0], [0, 3, 1]], np.int32)  # depth 3 -> scalars
want = gather_nd(x, idx)
W.case("gather_nd_full",
       func("ios15", [("x", "fp32", x.shape), ("i", "int32", idx.shape)],
            [op(("y", "fp32", want.shape), "gather_nd", {"x": "x", "indices": "i"}, "g")], ["y"]),
       [("x", x), ("i", idx)], [want])
x = rnd(2, 3, 4)
idx = rng.integers(0, 3, size=(2, 5, 1)).astype(np.int32)
want = gather_nd(x, idx, batch_dims=1)
W.case("gather_nd_batch_dims1",
       func("ios16", [("x", "fp32", x.shape), ("i", "int32", idx.shape)],
            [op(("y", "fp32", want.shape), "gather_nd", {"x": "x", "indices": "i", "batch_dims": i32(1)}, "g")],
            ["y"]),
       [("x", x), ("i", idx)], [want])

W.close()
W = Writer(os.path.join(HERE, "mil_scatter.ref"), __doc__)
# ---- scatter ------------------------------------------------------------------------------
MODES = {"update": lambda o, u: u, "add": lambda o, u: o + u, "sub": lambda o, u: o - u,
         "mul": lambda o, u: o * u, "div": lambda o, u: o / u, "max": np.maximum, "min": np.minimum}
data = rnd(4, 3)
ind = np.array([1, 3, 1], np.int32)  # index 1 twice: applied in order
upd = rnd(3, 3)
for mode, f in MODES.items():
    want = data.copy()
    for k, j in enumerate(ind):
        want[j] = f(want[j], upd[k])
    W.case("scatter_%s" % mode,
           func("ios17", [("d", "fp32", data.shape), ("u", "fp32", upd.shape)],
                [op(("y", "fp32", data.shape), "scatter",
                    {"data": "d", "indices": lit(ind, "int32"), "updates": "u", "axis": i32(0), "mode": s(mode)},
                    "sc")], ["y"]),
           [("d", data), ("u", upd)], [want.astype(np.float32)])
# axis 1, default mode (add)
upd2 = rnd(4, 2)
ind2 = np.array([2, 0], np.int32)
want = data.copy()
for k, j in enumerate(ind2):
    want[:, j] += upd2[:, k]
W.case("scatter_axis1_default_add",
       func("ios15", [("d", "fp32", data.shape), ("u", "fp32", upd2.shape)],
            [op(("y", "fp32", data.shape), "scatter", {"data": "d", "indices": lit(ind2, "int32"), "updates": "u",
                                                       "axis": i32(1)}, "sc")], ["y"]),
       [("d", data), ("u", upd2)], [want])
# scatter_along_axis: np.put_along_axis generalised to modes
data = rnd(3, 4)
ind = np.array([[0, 3], [1, 1], [2, 0]], np.int32)
upd = rnd(3, 2)
for mode in ("update", "add", "max"):
    want = data.copy()
    for r in range(3):
        for k in range(2):
            want[r, ind[r, k]] = MODES[mode](want[r, ind[r, k]], upd[r, k])
    W.case("scatter_along_axis_%s" % mode,
           func("ios17", [("d", "fp32", data.shape), ("u", "fp32", upd.shape)],
                [op(("y", "fp32", data.shape), "scatter_along_axis",
                    {"data": "d", "indices": lit(ind, "int32"), "updates": "u", "axis": i32(1), "mode": s(mode)},
                    "sc")], ["y"]),
           [("d", data), ("u", upd)], [want])
# scatter_nd
data = rnd(3, 4, 2)
ind = np.array([[0, 1], [2, 3], [0, 1]], np.int32)
upd = rnd(3, 2)
for mode in ("update", "add", "mul", "min"):
    want = data.copy()
    for k in range(3):
        want[tuple(ind[k])] = MODES[mode](want[tuple(ind[k])], upd[k])
    W.case("scatter_nd_%s" % mode,
           func("ios17", [("d", "fp32", data.shape), ("u", "fp32", upd.shape)],
                [op(("y", "fp32", data.shape), "scatter_nd",
                    {"data": "d", "indices": lit(ind, "int32"), "updates": "u", "mode": s(mode)}, "sc")], ["y"]),
           [("d", data), ("u", upd)], [want])

# ---- slice_update -------------------------------------------------------------------------
x = rnd(4, 5, 3)
want = x.copy()
upd = rnd(2, 2, 3)
want[1:4:2, -1:0:-2, :] = upd
W.case("slice_update_strided",
       func("ios18", [("x", "fp32", x.shape), ("u", "fp32", upd.shape)],
            [op(("y", "fp32", x.shape), "slice_update",
                {"x": "x", "update": "u", "begin": lit(np.array([1, -1, 0]), "int32"),
                 "end": lit(np.array([4, 0, 0]), "int32"), "stride": lit(np.array([2, -2, 1]), "int32"),
                 "end_mask": lit(np.array([False, False, True]), "bool")}, "su")], ["y"]),
       [("x", x), ("u", upd)], [want])
want = x.copy()
upd = rnd(5)
want[2, :, 1] = upd
W.case("slice_update_squeeze",
       func("ios18", [("x", "fp32", x.shape), ("u", "fp32", upd.shape)],
            [op(("y", "fp32", x.shape), "slice_update",
                {"x": "x", "update": "u", "begin": lit(np.array([2, 0, 1]), "int32"),
                 "end": lit(np.array([3, 5, 2]), "int32"),
                 "squeeze_mask": lit(np.array([True, False, True]), "bool")}, "su")], ["y"]),
       [("x", x), ("u", upd)], [want])

W.close()
W = Writer(os.path.join(HERE, "mil_sort.ref"), __doc__)
# ---- topk / argsort -------------------------------------------------------------------------
x = distinct(3, 7)
for asc in (False, True):
    for axis in (1, 0):
        k = 3 if axis == 1 else 2
        v, i = torch.topk(torch.from_numpy(x), k, dim=axis, largest=not asc, sorted=True)
        W.case("topk_axis%d_%s" % (axis, "asc" if asc else "desc"),
               func("ios16", [("x", "fp32", x.shape)],
                    [op([("v", "fp32", v.shape), ("i", "int32", i.shape)], "topk",
                        {"x": "x", "k": i32(k), "axis": i32(axis), "ascending": b(asc)}, "t")], ["v", "i"]),
               [("x", x)], [v.numpy(), i.numpy()])
# k given by the graph (a value from an input), and iOS17 k = -1 (all)
v, i = torch.topk(torch.from_numpy(x), 5, dim=-1)
W.case("topk_k_from_input",
       func("ios17", [("x", "fp32", x.shape), ("k", "int32", ())],
            [op([("v", "fp32", (3, 5)), ("i", "int32", (3, 5))], "topk", {"x": "x", "k": "k"}, "t")], ["v", "i"]),
       [("x", x), ("k", np.array(5, np.int32))], [v.numpy(), i.numpy()])
v, i = torch.sort(torch.from_numpy(x), dim=-1, descending=True)
W.case("topk_all_values_only",
       func("ios17", [("x", "fp32", x.shape)],
            [op(("v", "fp32", x.shape), "topk", {"x": "x", "k": i32(-1), "return_indices": b(False)}, "t")], ["v"]),
       [("x", x)], [v.numpy()])
x = distinct(2, 3, 4)
for asc in (False, True):
    want = np.argsort(x if asc else -x, axis=1, kind="stable").astype(np.int32)
    W.case("argsort_%s" % ("asc" if asc else "desc"),
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "int32", x.shape), "argsort", {"x": "x", "axis": i32(1), "ascending": b(asc)}, "a")], ["y"]),
           [("x", x)], [want])
# ties keep index order (a stable sort)
xt_ = np.array([[1, 3, 1, 3, 2]], np.float32)
W.case("argsort_ties_stable",
       func("ios15", [("x", "fp32", xt_.shape)],
            [op(("y", "int32", xt_.shape), "argsort", {"x": "x"}, "a")], ["y"]),
       [("x", xt_)], [np.argsort(-xt_, axis=-1, kind="stable").astype(np.int32)])

# ---- cumsum ----------------------------------------------------------------------------------
x = rnd(3, 5)


def cumsum(a, axis, exclusive, reverse):
    d = np.flip(a, axis) if reverse else a
    c = np.cumsum(d.astype(np.float64), axis=axis)
    if exclusive:
        c = c - d
    return (np.flip(c, axis) if reverse else c).astype(np.float32)


for ex in (False, True):
    for rv in (False, True):
        W.case("cumsum_ex%d_rev%d" % (ex, rv),
               func("ios15", [("x", "fp32", x.shape)],
                    [op(("y", "fp32", x.shape), "cumsum",
                        {"x": "x", "axis": i32(1), "exclusive": b(ex), "reverse": b(rv)}, "c")], ["y"]),
               [("x", x)], [cumsum(x, 1, ex, rv)])
# fp16 emulation: the inputs rounded, the sums rounded once at the output
x16 = r16(rnd(2, 6) * 30)
W.case("cumsum_fp16",
       func("ios16", [("x", "fp16", x16.shape)],
            [op(("y", "fp16", x16.shape), "cumsum", {"x": "x", "axis": i32(-1)}, "c")], ["y"]),
       [("x", x16)], [r16(cumsum(x16, 1, False, False))], tol=1e-3, mode="fp16")

W.close()
W = Writer(os.path.join(HERE, "mil_shape.ref"), __doc__)
# ---- band_part, one_hot, reverse, reverse_sequence ----------------------------------------------
x = rnd(2, 4, 5)
for lo, up in ((-1, 0), (0, -1), (1, 2), (0, 0)):
    m = np.arange(4)[:, None]
    n = np.arange(5)[None, :]
    band = ((lo < 0) | (m - n <= lo)) & ((up < 0) | (n - m <= up))
    W.case("band_part_%d_%d" % (lo, up),
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", x.shape), "band_part", {"x": "x", "lower": i32(lo), "upper": i32(up)}, "bp")], ["y"]),
           [("x", x)], [x * band])
ind = np.array([[0, 3], [5, 1]], np.int32)  # 5 is out of range: all off
for axis in (-1, 0, 1):
    oh = torch.nn.functional.one_hot(torch.from_numpy(np.where(ind < 4, ind, 0)).long(), 4).numpy().astype(np.float32)
    oh[ind >= 4] = 0
    oh = oh * 2.5 + (1 - oh) * -1
    want = np.moveaxis(oh, -1, axis if axis >= 0 else oh.ndim + axis)
    W.case("one_hot_axis%d" % axis,
           func("ios15", [("i", "int32", ind.shape)],
                [op(("y", "fp32", want.shape), "one_hot",
                    {"indices": "i", "one_hot_vector_size": i32(4), "axis": i32(axis), "on_value": fp(2.5),
                     "off_value": fp(-1)}, "oh")], ["y"]),
           [("i", ind)], [want])
x = rnd(2, 3, 4)
for axes in ((0,), (1, 2), (-1,), None):
    args = {"x": "x"}
    if axes is not None:
        args["axes"] = lit(np.array(axes), "int32")
    W.case("reverse_%s" % ("all" if axes is None else "_".join(str(a) for a in axes)).replace("-", "m"),
           func("ios15", [("x", "fp32", x.shape)], [op(("y", "fp32", x.shape), "reverse", args, "r")], ["y"]),
           [("x", x)], [np.flip(x, axes).copy()])
x = rnd(4, 3, 2)
lens = np.array([2, 0, 4], np.int32)
want = x.copy()
for bi in range(3):
    want[:lens[bi], bi] = x[:lens[bi], bi][::-1]
W.case("reverse_sequence",
       func("ios15", [("x", "fp32", x.shape), ("l", "int32", lens.shape)],
            [op(("y", "fp32", x.shape), "reverse_sequence", {"x": "x", "lengths": "l", "seq_axis": i32(0),
                                                              "batch_axis": i32(1)}, "rs")], ["y"]),
       [("x", x), ("l", lens)], [want])

# ---- non_zero (shape from the values), fill_like, reshape_like ----------------------------------
x = (rng.integers(0, 3, size=(3, 4)) * (rng.integers(0, 2, size=(3, 4)))).astype(np.float32)
want = np.argwhere(x).astype(np.int32)
W.case("non_zero",
       func("ios15", [("x", "fp32", x.shape)], [op(("y", "int32", ("?", 2)), "non_zero", {"x": "x"}, "nz")], ["y"]),
       [("x", x)], [want])
W.case("non_zero_none",
       func("ios15", [("x", "fp32", (2, 2))], [op(("y", "int32", ("?", 2)), "non_zero", {"x": "x"}, "nz")], ["y"]),
       [("x", np.zeros((2, 2), np.float32))], [np.zeros((0, 2), np.float32)])
W.case("fill_like",
       func("ios16", [("x", "fp32", (2, 3))], [op(("y", "fp32", (2, 3)), "fill_like", {"ref_tensor": "x", "value": fp(4.5)},
                                                   "f")], ["y"]),
       [("x", rnd(2, 3))], [np.full((2, 3), 4.5, np.float32)])
x = rnd(2, 12)
W.case("reshape_like",
       func("ios16", [("x", "fp32", x.shape), ("r1", "fp32", (2, 3, 4)), ("r2", "fp32", (1, 2, 2))],
            [op(("y", "fp32", (2, 3, 2, 2)), "reshape_like",
                {"x": "x", "ref_tensors": "(r1, r2)", "begins": "(int32(0), int32(1))",
                 "ends": "(int32(2), int32(0))", "end_masks": "(bool(false), bool(true))"}, "rl")], ["y"]),
       [("x", x), ("r1", rnd(2, 3, 4)), ("r2", rnd(1, 2, 2))], [x.reshape(2, 3, 2, 2)])

# ---- depth / space / batch ------------------------------------------------------------------------
x = rnd(2, 8, 2, 3)
n, cc, h, w = x.shape
bs = 2
d2s = x.reshape(n, bs, bs, cc // 4, h, w).transpose(0, 3, 4, 1, 5, 2).reshape(n, cc // 4, h * bs, w * bs)
W.case("depth_to_space",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", d2s.shape), "depth_to_space", {"x": "x", "block_size": i32(2)}, "d")], ["y"]),
       [("x", x)], [d2s])
W.case("space_to_depth",
       func("ios15", [("x", "fp32", d2s.shape)],
            [op(("y", "fp32", x.shape), "space_to_depth", {"x": "x", "block_size": i32(2)}, "d")], ["y"]),
       [("x", d2s)], [x])
x = rnd(1, 18, 2, 2)
ps = torch.nn.functional.pixel_shuffle(torch.from_numpy(x), 3).numpy()
W.case("pixel_shuffle",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", ps.shape), "pixel_shuffle", {"x": "x", "upscale_factor": i32(3)}, "p")], ["y"]),
       [("x", x)], [ps])
x = rnd(2, 2, 4, 6)
pu = torch.nn.functional.pixel_unshuffle(torch.from_numpy(x), 2).numpy()
W.case("pixel_unshuffle",
       func("ios16", [("x", "fp32", x.shape)],
            [op(("y", "fp32", pu.shape), "pixel_unshuffle", {"x": "x", "downscale_factor": "uint32(2)"}, "p")], ["y"]),
       [("x", x)], [pu])


def space_to_batch(a, block, pads):
    """tf.space_to_batch_nd in NCHW"""
    p = np.pad(a, ((0, 0), (0, 0), tuple(pads[0]), tuple(pads[1])))
    N, C, H, Wd = p.shape
    r = p.reshape(N, C, H // block[0], block[0], Wd // block[1], block[1])
    r = r.transpose(3, 5, 0, 1, 2, 4)
    return r.reshape(block[0] * block[1] * N, C, H // block[0], Wd // block[1])


x = rnd(2, 3, 3, 5)
pads = [[1, 0], [0, 1]]
sb = space_to_batch(x, (2, 3), pads)
W.case("space_to_batch",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", sb.shape), "space_to_batch",
                {"x": "x", "block_shape": lit(np.array([2, 3]), "int32"),
                 "paddings": lit(np.array(pads), "int32")}, "sb")], ["y"]),
       [("x", x)], [sb])
W.case("batch_to_space",
       func("ios15", [("x", "fp32", sb.shape)],
            [op(("y", "fp32", x.shape), "batch_to_space",
                {"x": "x", "block_shape": lit(np.array([2, 3]), "int32"),
                 "crops": lit(np.array(pads), "int32")}, "bs")], ["y"]),
       [("x", sb)], [x])

# ---- sliding_windows ---------------------------------------------------------------------------------
x = rnd(2, 7, 3)
for size, stride in ((3, 1), (2, 2)):
    nwin = (7 - size) // stride + 1
    want = np.stack([x[:, k * stride:k * stride + size] for k in range(nwin)], axis=1)
    W.case("sliding_windows_%d_%d" % (size, stride),
           func("ios15", [("x", "fp32", x.shape)],
                [op(("y", "fp32", want.shape), "sliding_windows",
                    {"x": "x", "axis": i32(1), "size": i32(size), "stride": i32(stride)}, "sw")], ["y"]),
           [("x", x)], [want])

# ---- cast (iOS17 narrow integer types wrap as NumPy's astype) ----------------------------------------
x = np.array([-300.75, -1.5, 0.5, 127.875, 128.25, 255.5, 300.25, 70000.5], np.float32)
for dt, npdt in (("int8", np.int8), ("uint8", np.uint8), ("int16", np.int16), ("uint16", np.uint16),
                 ("int32", np.int32), ("bool", bool)):
    want = (x != 0) if dt == "bool" else x.astype(np.int64).astype(npdt)
    W.case("cast_%s" % dt,
           func("ios17", [("x", "fp32", x.shape)], [op(("y", dt, x.shape), "cast", {"x": "x", "dtype": s(dt)}, "c")],
                ["y"]),
           [("x", x)], [want.astype(np.float32)])
# ---- reshape: 0 in shape (iOS15: same rank, position by position; iOS17: from the right, 1 past x's rank)
x = rnd(2, 6)
W.case("reshape15_zero",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", (2, 3, 2)), "reshape", {"x": "x", "shape": lit(np.array([0, 3, -1]), "int32")}, "r")][:0] +
            [op(("y", "fp32", (2, 6)), "reshape", {"x": "x", "shape": lit(np.array([0, -1]), "int32")}, "r")], ["y"]),
       [("x", x)], [x.reshape(2, 6)])
x = rnd(2, 5)
W.case("reshape17_zero_from_right",  # the iOS17 docstring's example, [2, 50] -> [1, 1, 2, 50], scaled down
       func("ios17", [("x", "fp32", x.shape)],
            [op(("y", "fp32", (1, 1, 2, 5)), "reshape", {"x": "x", "shape": lit(np.array([1, 0, -1, 0]), "int32")}, "r")],
            ["y"]),
       [("x", x)], [x.reshape(1, 1, 2, 5)])
W.close()
