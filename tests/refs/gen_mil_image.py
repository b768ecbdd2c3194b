#!/usr/bin/python3
"""gen_mil_image.py — reference cases for the executor's resize, crop,
resample and NMS kernels (kernels/mil_image.c). Writes mil_resize.ref and
mil_sample.ref next to itself.

    /usr/bin/python3 tests/refs/gen_mil_image.py

References: PyTorch's interpolate (bilinear with align_corners true/false,
nearest, nearest-exact), grid_sample + affine_grid, torchvision's
roi_align and nms; where no framework has the mode (TensorFlow's legacy
DEFAULT grid, ALIGN_CORNERS / OFFSET_CORNERS over a crop box, symmetric
padding) a NumPy transcription of the grid formulas in the op definitions
(iOS15/image_resizing.py) and of SamplingMode in NeuralNetwork.proto.
"""
import os

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from milref import Writer, b, fp, func, i32, lit, op, r16, s

rng = np.random.default_rng(15)
HERE = os.path.dirname(os.path.abspath(__file__))


def rnd(*shape):
    return (np.round(rng.standard_normal(shape) * 32) / 32).astype(np.float32)


def T(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def grid(mode, X, N):
    """SamplingMode as numpy.linspace (NeuralNetwork.proto), plus UNALIGN"""
    if mode == "STRICT_ALIGN_CORNERS":
        g = np.linspace(0, X - 1, N) if N > 1 else np.zeros(1)
    elif mode == "ALIGN_CORNERS":
        g = np.linspace(0, X - 1, N) if N > 1 else np.array([(X - 1) / 2])
    elif mode == "DEFAULT":  # UPSAMPLE_MODE
        g = np.linspace(0, X - X / N, N)
    elif mode == "OFFSET_CORNERS":  # ROI_ALIGN_MODE
        sp = max(1, X - 1) / N
        g = np.linspace(0.5 * sp, 0.5 * sp + (N - 1) * sp, N)
    else:  # UNALIGN_CORNERS (iOS15 resize_bilinear docstring)
        sp = X / N
        g = np.arange(N) * sp + 0.5 * sp - 0.5
    return np.clip(g, 0, X - 1)


def lerp_axis(a, g, axis):
    """linear interpolation of a along axis at points g (in [0, X-1])"""
    X = a.shape[axis]
    i0 = np.floor(g).astype(int)
    i1 = np.minimum(i0 + 1, X - 1)
    w = g - i0
    shp = [1] * a.ndim
    shp[axis] = len(g)
    return np.take(a, i0, axis) * (1 - w).reshape(shp) + np.take(a, i1, axis) * w.reshape(shp)


def resize_np(a, Ho, Wo, mode):
    a = a.astype(np.float64)
    a = lerp_axis(a, grid(mode, a.shape[-2], Ho), a.ndim - 2)
    a = lerp_axis(a, grid(mode, a.shape[-1], Wo), a.ndim - 1)
    return a.astype(np.float32)


W = Writer(os.path.join(HERE, "mil_resize.ref"), __doc__)

# ---- upsample_bilinear ---------------------------------------------------------
x = rnd(1, 2, 3, 4)
for sh, sw in ((2, 2), (1.5, 2.5)):
    Ho, Wo = int(np.floor(3 * sh)), int(np.floor(4 * sw))
    for ac in (True, False):
        want = F.interpolate(T(x), size=(Ho, Wo), mode="bilinear", align_corners=ac).numpy()
        W.case("upsample_bilinear_%g_%g_ac%d" % (sh, sw, ac),
               func("ios15", [("x", "fp32", x.shape)],
                    [op(("y", "fp32", want.shape), "upsample_bilinear",
                        {"x": "x", "scale_factor_height": fp(sh), "scale_factor_width": fp(sw), "align_corners": b(ac)},
                        "u")], ["y"]),
               [("x", x)], [want])
# iOS16 half_pixel_centers = false with align_corners = false: the legacy grid
want = resize_np(x, 6, 8, "DEFAULT")
W.case("upsample_bilinear_legacy",
       func("ios16", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "upsample_bilinear",
                {"x": "x", "scale_factor_height": i32(2), "scale_factor_width": i32(2), "align_corners": b(False),
                 "half_pixel_centers": b(False)}, "u")], ["y"]),
       [("x", x)], [want])

# ---- resize_bilinear, every sampling mode; torch where it has the grid ----------------
x = rnd(1, 1, 4, 5)
for mode in ("STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "DEFAULT", "OFFSET_CORNERS", "UNALIGN_CORNERS"):
    for Ho, Wo in ((7, 3), (1, 9)):
        want = resize_np(x, Ho, Wo, mode)
        if mode == "UNALIGN_CORNERS":
            assert np.allclose(want, F.interpolate(T(x), size=(Ho, Wo), mode="bilinear", align_corners=False).numpy(),
                               atol=1e-5)
        if mode == "STRICT_ALIGN_CORNERS" and Ho > 1:
            assert np.allclose(want, F.interpolate(T(x), size=(Ho, Wo), mode="bilinear", align_corners=True).numpy(),
                               atol=1e-5)
        W.case("resize_bilinear_%s_%dx%d" % (mode.lower(), Ho, Wo),
               func("ios15", [("x", "fp32", x.shape)],
                    [op(("y", "fp32", (1, 1, Ho, Wo)), "resize_bilinear",
                        {"x": "x", "target_size_height": i32(Ho), "target_size_width": i32(Wo), "sampling_mode": s(mode)},
                        "r")], ["y"]),
               [("x", x)], [want])

# fp16 emulation: rounded input, the interpolation in float, the result rounded once
x16 = r16(rnd(1, 1, 4, 5) * 40)
W.case("resize_bilinear_fp16",
       func("ios16", [("x", "fp16", x16.shape)],
            [op(("y", "fp16", (1, 1, 7, 3)), "resize_bilinear",
                {"x": "x", "target_size_height": i32(7), "target_size_width": i32(3),
                 "sampling_mode": s("ALIGN_CORNERS")}, "r")], ["y"]),
       [("x", x16)], [r16(resize_np(x16, 7, 3, "ALIGN_CORNERS"))], tol=1e-3, mode="fp16")

# ---- nearest ------------------------------------------------------------------------------
x = rnd(2, 3, 5)
want = F.interpolate(T(x[None]), size=(7, 3), mode="nearest").numpy()[0]
W.case("resize_nearest_neighbor",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", want.shape), "resize_nearest_neighbor",
                {"x": "x", "target_size_height": i32(7), "target_size_width": i32(3)}, "r")], ["y"]),
       [("x", x)], [want])

# ---- iOS17 resize: dims from a shape tensor (0 keeps x's), both interpolations ----------
x = rnd(1, 1, 4, 6)
cases = [("LINEAR", "UNALIGN_CORNERS", F.interpolate(T(x), size=(8, 6), mode="bilinear", align_corners=False)),
         ("LINEAR", "STRICT_ALIGN_CORNERS", F.interpolate(T(x), size=(8, 6), mode="bilinear", align_corners=True)),
         ("NEAREST_NEIGHBOR", "DEFAULT", F.interpolate(T(x), size=(8, 6), mode="nearest")),
         ("NEAREST_NEIGHBOR", "UNALIGN_CORNERS", F.interpolate(T(x), size=(8, 6), mode="nearest-exact"))]
for interp, mode, want in cases:
    W.case("resize_%s_%s" % (interp.lower(), mode.lower()),
           func("ios17", [("x", "fp32", x.shape), ("shp", "int32", (3,))],
                [op(("y", "fp32", (1, 1, 8, 6)), "resize",
                    {"x": "x", "shape": "shp", "resized_dims": "uint32(2)", "interpolation_mode": s(interp),
                     "sampling_mode": s(mode)}, "r")], ["y"]),
           [("x", x), ("shp", np.array([5, 8, 0], np.int32))], [want.numpy()])

# ---- crop ------------------------------------------------------------------------------------
x = rnd(1, 2, 5, 6)
W.case("crop",
       func("ios15", [("x", "fp32", x.shape)],
            [op(("y", "fp32", (1, 2, 2, 3)), "crop",
                {"x": "x", "crop_height": lit(np.array([1, 2]), "int32"), "crop_width": lit(np.array([3, 0]), "int32")},
                "c")], ["y"]),
       [("x", x)], [x[:, :, 1:3, 3:]])

# ---- iOS17 resize over 0, 1 and 3 dims ----------------------------------------------------
# only the last resized_dims dims are resampled (iOS17/image_resizing.py
# type_inference); OFFSET_CORNERS moves the samples of a resized dim even at
# its own size, and must not touch the others. Three dims: trilinear and
# nearest are the 1-D sampling along each dim in turn (torch's trilinear,
# align_corners=True, for STRICT_ALIGN_CORNERS). A generator of its own, so
# that the cases above and mil_sample.ref keep their values.
g17 = np.random.default_rng(17)
xr = (np.round(g17.standard_normal((2, 1)) * 32) / 32).astype(np.float32)
W.case("resize17_dims1_offset_keeps_rows",
       func("ios17", [("x", "fp32", xr.shape)],
            [op(("y", "fp32", (2, 5)), "resize",
                {"x": "x", "shape": lit(np.array([5]), "int32"), "resized_dims": "uint32(1)",
                 "interpolation_mode": s("LINEAR"), "sampling_mode": s("OFFSET_CORNERS")}, "r")], ["y"]),
       [("x", xr)], [np.repeat(xr, 5, axis=1)])
xr = (np.round(g17.standard_normal((2, 3, 4)) * 32) / 32).astype(np.float32)
want = lerp_axis(xr.astype(np.float64), grid("OFFSET_CORNERS", 4, 4), 2).astype(np.float32)
W.case("resize17_dims1_offset_same_size",
       func("ios17", [("x", "fp32", xr.shape)],
            [op(("y", "fp32", xr.shape), "resize",
                {"x": "x", "shape": lit(np.array([9, 0]), "int32"), "resized_dims": "uint32(1)",
                 "interpolation_mode": s("LINEAR"), "sampling_mode": s("OFFSET_CORNERS")}, "r")], ["y"]),
       [("x", xr)], [want])
W.case("resize17_dims0_identity",
       func("ios17", [("x", "fp32", xr.shape)],
            [op(("y", "fp32", xr.shape), "resize",
                {"x": "x", "shape": lit(np.array([7]), "int32"), "resized_dims": "uint32(0)",
                 "interpolation_mode": s("LINEAR"), "sampling_mode": s("OFFSET_CORNERS")}, "r")], ["y"]),
       [("x", xr)], [xr])
xr = (np.round(g17.standard_normal((1, 2, 3, 4)) * 32) / 32).astype(np.float32)
for interp, mode, want in (
        ("LINEAR", "STRICT_ALIGN_CORNERS",
         F.interpolate(T(xr[None]), size=(5, 2, 6), mode="trilinear", align_corners=True).numpy()[0]),
        ("NEAREST_NEIGHBOR", "DEFAULT", F.interpolate(T(xr[None]), size=(5, 2, 6), mode="nearest").numpy()[0]),
        ("LINEAR", "OFFSET_CORNERS",
         lerp_axis(lerp_axis(lerp_axis(xr.astype(np.float64), grid("OFFSET_CORNERS", 2, 5), 1),
                             grid("OFFSET_CORNERS", 3, 2), 2), grid("OFFSET_CORNERS", 4, 6), 3).astype(np.float32))):
    W.case("resize17_dims3_%s_%s" % (interp.lower(), mode.lower()),
           func("ios17", [("x", "fp32", xr.shape)],
                [op(("y", "fp32", (1, 5, 2, 6)), "resize",
                    {"x": "x", "shape": lit(np.array([0, 5, 2, 6]), "int32"), "resized_dims": "uint32(3)",
                     "interpolation_mode": s(interp), "sampling_mode": s(mode)}, "r")], ["y"]),
           [("x", xr)], [want])
W.close()

W = Writer(os.path.join(HERE, "mil_sample.ref"), __doc__)


# ---- crop_resize ----------------------------------------------------------------------------------
def crop_resize_np(img, boxes, Ho, Wo, mode, pad=0.0):
    """each box [h0, w0, h1, w1] in pixels: the SamplingMode grid over the box
    (its extent in place of X - 1), bilinear, pad outside the image"""
    C, H, Wd = img.shape
    out = np.zeros((len(boxes), C, Ho, Wo), np.float64)
    for n, (h0, w0, h1, w1) in enumerate(boxes):
        gh = h0 + grid(mode, h1 - h0 + 1, Ho)
        gw = w0 + grid(mode, w1 - w0 + 1, Wo)
        for i, hh in enumerate(gh):
            for j, ww in enumerate(gw):
                if not (0 <= hh <= H - 1 and 0 <= ww <= Wd - 1):
                    out[n, :, i, j] = pad
                    continue
                a0, b0 = int(np.floor(hh)), int(np.floor(ww))
                a1, b1 = min(a0 + 1, H - 1), min(b0 + 1, Wd - 1)
                fa, fb = hh - a0, ww - b0
                out[n, :, i, j] = (img[:, a0, b0] * (1 - fa) * (1 - fb) + img[:, a0, b1] * (1 - fa) * fb +
                                   img[:, a1, b0] * fa * (1 - fb) + img[:, a1, b1] * fa * fb)
    return out.astype(np.float32)


x = rnd(2, 1, 7, 8)
boxes = np.array([[1, 2, 5, 6], [0.5, 0, 6, 3.5], [2, 2, 3.5, 7]], np.float32)  # [h0, w0, h1, w1]
# OFFSET_CORNERS is RoI Align with one sample per bin: torchvision.ops.roi_align
tv = torchvision.ops.roi_align(T(x), [T(boxes[:, [1, 0, 3, 2]])] * 1 + [T(boxes[:0, [1, 0, 3, 2]])], (4, 3),
                               spatial_scale=1.0, sampling_ratio=1, aligned=False).numpy()
npv = crop_resize_np(x[0], boxes, 4, 3, "OFFSET_CORNERS")
assert np.allclose(tv, npv, atol=1e-5), abs(tv - npv).max()
for mode in ("OFFSET_CORNERS", "STRICT_ALIGN_CORNERS", "ALIGN_CORNERS", "DEFAULT", "UNALIGN_CORNERS"):
    idx = np.array([1, 0, 1], np.int32)
    want = np.stack([crop_resize_np(x[idx[n]], boxes[n:n + 1], 4, 3, mode, pad=-2.0)[0] for n in range(3)])
    W.case("crop_resize17_%s" % mode.lower(),
           func("ios17", [("x", "fp32", x.shape), ("bx", "fp32", boxes.shape), ("bi", "int32", (3,))],
                [op(("y", "fp32", want.shape), "crop_resize",
                    {"x": "x", "boxes": "bx", "box_indices": "bi", "target_height": i32(4), "target_width": i32(3),
                     "sampling_mode": s(mode), "pad_value": fp(-2)}, "cr")], ["y"]),
           [("x", x), ("bx", boxes), ("bi", idx)], [want])
# iOS15 roi [N, 1, 4, 1, 1]: every box on every image; normalized, width-first corners, spatial_scale
nb = np.array([[0.1, 0.2, 0.9, 0.7], [0.0, 0.0, 1.0, 1.0]], np.float32)  # [w0, h0, w1, h1] in [0, 1]
Hm, Wm = x.shape[2] - 1, x.shape[3] - 1
pix = np.stack([nb[:, 1] * Hm, nb[:, 0] * Wm, nb[:, 3] * Hm, nb[:, 2] * Wm], 1) * 0.5
want = np.stack([np.stack([crop_resize_np(x[bb], pix[n:n + 1], 3, 3, "ALIGN_CORNERS")[0] for bb in range(2)])
                 for n in range(2)])
W.case("crop_resize15_normalized",
       func("ios15", [("x", "fp32", x.shape), ("roi", "fp32", (2, 1, 4, 1, 1))],
            [op(("y", "fp32", want.shape), "crop_resize",
                {"x": "x", "roi": "roi", "target_height": i32(3), "target_width": i32(3),
                 "normalized_coordinates": b(True), "spatial_scale": fp(0.5), "box_coordinate_mode":
                     s("CORNERS_WIDTH_FIRST"), "sampling_mode": s("ALIGN_CORNERS")}, "cr")], ["y"]),
       [("x", x), ("roi", nb.reshape(2, 1, 4, 1, 1))], [want])
# roi [N, 1, 5, 1, 1] with a batch index and centre-size boxes
cs = np.array([[1, 4, 3, 6, 4], [0, 2, 5, 3, 2]], np.float32)  # [index, hc, wc, bh, bw]
pixc = np.stack([cs[:, 1] - cs[:, 3] / 2, cs[:, 2] - cs[:, 4] / 2, cs[:, 1] + cs[:, 3] / 2, cs[:, 2] + cs[:, 4] / 2], 1)
want = np.stack([crop_resize_np(x[int(cs[n, 0])], pixc[n:n + 1], 2, 5, "DEFAULT") for n in range(2)])
W.case("crop_resize16_index_center",
       func("ios16", [("x", "fp32", x.shape), ("roi", "fp32", (2, 1, 5, 1, 1))],
            [op(("y", "fp32", want.shape), "crop_resize",
                {"x": "x", "roi": "roi", "target_height": i32(2), "target_width": i32(5),
                 "box_coordinate_mode": s("CENTER_SIZE_HEIGHT_FIRST")}, "cr")], ["y"]),
       [("x", x), ("roi", cs.reshape(2, 1, 5, 1, 1))], [want])


# ---- resample ---------------------------------------------------------------------------------------
def resample_np(img, coords, sampling, padding, cmode, align, pval):
    """pad the image by a wide margin the way the mode says, then sample"""
    B, C, H, Wd = img.shape
    m = 8
    npmode = {"constant": "constant", "border": "edge", "reflection": "reflect", "symmetric": "symmetric"}[padding]
    kw = {"constant_values": pval} if padding == "constant" else {}
    P = np.pad(img.astype(np.float64), ((0, 0), (0, 0), (m, m), (m, m)), mode=npmode, **kw)
    out = np.zeros((B, C) + coords.shape[1:3])
    for bb in range(B):
        for i in range(coords.shape[1]):
            for j in range(coords.shape[2]):
                cx, cy = coords[bb, i, j]
                if cmode == "normalized_minus_one_to_one":
                    px = (cx + 1) / 2 * (Wd - 1) if align else ((cx + 1) * Wd - 1) / 2
                    py = (cy + 1) / 2 * (H - 1) if align else ((cy + 1) * H - 1) / 2
                elif cmode == "normalized_zero_to_one":
                    px = cx * (Wd - 1) if align else cx * Wd - 0.5
                    py = cy * (H - 1) if align else cy * H - 0.5
                else:
                    px, py = cx, cy
                px, py = px + m, py + m
                if sampling == "nearest":
                    out[bb, :, i, j] = P[bb, :, int(np.rint(py)), int(np.rint(px))]
                else:
                    y0, x0 = int(np.floor(py)), int(np.floor(px))
                    fy, fx = py - y0, px - x0
                    out[bb, :, i, j] = (P[bb, :, y0, x0] * (1 - fy) * (1 - fx) + P[bb, :, y0, x0 + 1] * (1 - fy) * fx +
                                        P[bb, :, y0 + 1, x0] * fy * (1 - fx) + P[bb, :, y0 + 1, x0 + 1] * fy * fx)
    return out.astype(np.float32)


x = rnd(2, 1, 4, 5)
coords = (np.round(rng.uniform(-1.4, 1.4, size=(2, 2, 3, 2)) * 16) / 16).astype(np.float32)
for sampling in ("bilinear", "nearest"):
    for padding in ("constant", "border", "reflection", "symmetric"):
        for align in (True, False):
            if sampling == "nearest" and not align:
                continue
            want = resample_np(x, coords, sampling, padding, "normalized_minus_one_to_one", align, 0.5)
            tpad = {"constant": "zeros", "border": "border", "reflection": "reflection"}.get(padding)
            if tpad and (padding != "constant") and (padding != "reflection" or align) and sampling == "bilinear":
                tw = F.grid_sample(T(x), T(coords), mode=sampling, padding_mode=tpad, align_corners=align).numpy()
                assert np.allclose(tw, want, atol=1e-5), (padding, align, abs(tw - want).max())
            W.case("resample_%s_%s_ac%d" % (sampling, padding, align),
                   func("ios16", [("x", "fp32", x.shape), ("g", "fp32", coords.shape)],
                        [op(("y", "fp32", want.shape), "resample",
                            {"x": "x", "coordinates": "g", "sampling_mode": s(sampling), "padding_mode": s(padding),
                             "padding_value": fp(0.5), "coordinates_mode": s("normalized_minus_one_to_one"),
                             "align_corners": b(align)}, "rs")], ["y"]),
                   [("x", x), ("g", coords)], [want])
for cmode, g in (("unnormalized", coords * 3 + 2), ("normalized_zero_to_one", coords * 0.6 + 0.5)):
    g = g.astype(np.float32)
    want = resample_np(x, g, "bilinear", "border", cmode, False, 0)
    W.case("resample_%s" % cmode,
           func("ios15", [("x", "fp32", x.shape), ("g", "fp32", g.shape)],
                [op(("y", "fp32", want.shape), "resample",
                    {"x": "x", "coordinates": "g", "sampling_mode": s("bilinear"), "padding_mode": s("border"),
                     "padding_value": fp(0), "coordinates_mode": s(cmode), "align_corners": b(False)}, "rs")], ["y"]),
           [("x", x), ("g", g)], [want])

# ---- affine: torch affine_grid + grid_sample (zeros, align_corners) ------------------------------------
x = rnd(2, 2, 4, 5)
theta = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]], [[1.2, 0.0, 0.3], [0.0, 0.8, 0.0]]], np.float32)
gridt = F.affine_grid(T(theta), (2, 2, 3, 6), align_corners=True)
want = F.grid_sample(T(x), gridt, mode="bilinear", padding_mode="zeros", align_corners=True).numpy()
W.case("affine",
       func("ios15", [("x", "fp32", x.shape), ("m", "fp32", (2, 6))],
            [op(("y", "fp32", want.shape), "affine",
                {"x": "x", "transform_matrix": "m", "output_height": i32(3), "output_width": i32(6),
                 "sampling_mode": s("bilinear"), "padding_mode": s("constant"), "padding_value": fp(0),
                 "coordinates_mode": s("normalized_minus_one_to_one"), "align_corners": b(True)}, "af")], ["y"]),
       [("x", x), ("m", theta.reshape(2, 6))], [want])


# ---- non_maximum_suppression: torchvision.ops.nms / batched_nms -----------------------------------------
def to_xyxy(bxs):
    return np.stack([bxs[:, 0] - bxs[:, 2] / 2, bxs[:, 1] - bxs[:, 3] / 2, bxs[:, 0] + bxs[:, 2] / 2,
                     bxs[:, 1] + bxs[:, 3] / 2], 1)


def nms_ref(bxs, scores, iou_t, score_t, maxb, per_class):
    best = scores.max(1)
    cls = scores.argmax(1)
    cand = np.nonzero(best >= score_t)[0]
    if per_class:
        keep = torchvision.ops.batched_nms(T(to_xyxy(bxs[cand])), T(best[cand]), T(cls[cand]), iou_t).numpy()
    else:
        keep = torchvision.ops.nms(T(to_xyxy(bxs[cand])), T(best[cand]), iou_t).numpy()
    sel = cand[keep][:maxb]
    if len(sel) == 0:
        sel = np.array([int(np.argmax(best))])
    ob = np.zeros((maxb, 4), np.float32)
    osc = np.zeros((maxb, scores.shape[1]), np.float32)
    oi = -np.ones(maxb, np.float32)
    ob[:len(sel)] = bxs[sel]
    osc[:len(sel)] = scores[sel]
    oi[:len(sel)] = sel
    return ob, osc, oi, len(sel)


nB, K = 10, 3
cen = rng.uniform(0, 10, size=(2, nB, 2))
size = rng.uniform(2, 5, size=(2, nB, 2))
bxs = (np.round(np.concatenate([cen, size], 2) * 16) / 16).astype(np.float32)
scores = rng.permutation(2 * nB * K).reshape(2, nB, K).astype(np.float32) / (2 * nB * K)
for per_class in (False, True):
    for score_t, name in ((0.3, "thr"), (2.0, "none_pass")):
        res = [nms_ref(bxs[i], scores[i], 0.3, score_t, 5, per_class) for i in range(2)]
        outs = [np.stack([r[k] for r in res]) for k in range(3)] + [np.array([r[3] for r in res], np.float32)]
        W.case("nms15_%s_pc%d" % (name, per_class),
               func("ios15", [("bx", "fp32", bxs.shape), ("sc", "fp32", scores.shape)],
                    [op([("ob", "fp32", (2, 5, 4)), ("os", "fp32", (2, 5, K)), ("oi", "int32", (2, 5)),
                         ("on", "int32", (2,))], "non_maximum_suppression",
                        {"boxes": "bx", "scores": "sc", "iou_threshold": fp(0.3), "score_threshold": fp(score_t),
                         "max_boxes": i32(5), "per_class_suppression": b(per_class)}, "nms")],
                    ["ob", "os", "oi", "on"]),
               [("bx", bxs), ("sc", scores)], outs)
# iOS17 layout: [n, 4, B] / [n, K, B], no score threshold, three outputs
res = [nms_ref(bxs[i], scores[i], 0.5, -1e9, 4, False) for i in range(2)]
outs = [np.stack([r[0].T for r in res]), np.stack([r[1].T for r in res]), np.stack([r[2] for r in res])]
W.case("nms17",
       func("ios17", [("bx", "fp32", (2, 4, nB)), ("sc", "fp32", (2, K, nB))],
            [op([("ob", "fp32", (2, 4, 4)), ("os", "fp32", (2, K, 4)), ("oi", "int32", (2, 4))],
                "non_maximum_suppression",
                {"boxes": "bx", "scores": "sc", "iou_threshold": fp(0.5), "max_boxes": i32(4)}, "nms")],
            ["ob", "os", "oi"]),
       [("bx", bxs.transpose(0, 2, 1)), ("sc", scores.transpose(0, 2, 1))], outs)
W.close()
