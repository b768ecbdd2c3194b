#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""gen_models.py — small real models for the executor's end-to-end tests,
converted by Apple's coremltools from PyTorch (or built with its MIL
Builder where PyTorch 1.13 has no form that converts to the op), with the
PyTorch outputs on fixed inputs as the reference. Writes NAME.mlpackage and
models.ref next to itself (format: tests/refs/milref.py, with `model` naming
the package and `next` starting another prediction on the same plan, so a
stateful model's states carry over).

    PYTHONPATH=/opt/coremltools-build/pylib:/opt/coremltools-build/coremltools \\
        /usr/bin/python3 tests/models/gen_models.py

The models: a two-layer transformer encoder (matmul / softmax / layer_norm /
gelu), self-attention through scaled_dot_product_attention (iOS18, built
with the MIL Builder: PyTorch 1.13 has no F.scaled_dot_product_attention),
a decoder step with its key / value cache in fp16 states (iOS18, run for
several steps), a bidirectional LSTM, a two-layer GRU (which the converter
unrolls into while_loops), a UNet with bilinear upsampling, an ESPCN-style
super-resolution net with pixel_shuffle, a detector ending in
torchvision's nms (non_maximum_suppression and value-dependent shapes), a
TorchScript loop with a branch in it (while_loop + cond) and a recurrent
cell whose steps are collected in a MIL list (make_list / list_write /
list_gather in a while_loop, MIL Builder). Every model is converted with
compute_precision FLOAT32 except the stateful one (Core ML states are fp16).
"""
import os
import sys

import numpy as np
import torch
import torchvision

import coremltools as ct
from coremltools.converters.mil import Builder as mb
from coremltools.converters.mil.mil import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "refs"))
from milref import fmt_arr  # noqa: E402

torch.manual_seed(31)
rng = np.random.default_rng(31)
FP32 = ct.precision.FLOAT32
OUT = open(os.path.join(HERE, "models.ref"), "w")
for line in __doc__.strip().splitlines():
    OUT.write("# %s\n" % line)


def save(ml, name):
    path = os.path.join(HERE, name + ".mlpackage")
    if os.path.exists(path):
        import shutil
        shutil.rmtree(path)
    ml.save(path)
    ops = set()

    def walk(block):
        for o in block.operations:
            ops.add(o.op_type)
            for bb in o.blocks:
                walk(bb)

    for f in ml._mil_program.functions.values():
        walk(f)
    return sorted(ops)


def case(name, ml, steps, tol, mode="fp32", note=""):
    """steps: [(inputs [(name, array)], outputs [array])], one per prediction"""
    ops = save(ml, name)
    OUT.write("case %s\n# ops: %s%s\nmodel %s.mlpackage\nmode %s\ntol %g\n" % (
        name, " ".join(o for o in ops if o != "const"), ("\n# " + note) if note else "", name, mode, tol))
    for k, (ins, outs) in enumerate(steps):
        if k:
            OUT.write("next\n")
        for n, a in ins:
            dims, vals = fmt_arr(np.asarray(a, np.float32))
            OUT.write("in %s %s : %s\n" % (n, dims, vals))
        for i, a in enumerate(outs):
            dims, vals = fmt_arr(np.asarray(a, np.float32), exact=False)
            OUT.write("out %d %s : %s\n" % (i, dims, vals))
    OUT.write("end\n")
    print(name, ops)


def rnd(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def convert(m, inputs, target=ct.target.iOS17, precision=FP32, **kw):
    ex = tuple(torch.from_numpy(a) for _, a in inputs)
    tr = torch.jit.trace(m.eval(), ex if len(ex) > 1 else ex[0])
    specs = [ct.TensorType(name=n, shape=a.shape, dtype=np.int32 if a.dtype == np.int32 else np.float32)
             for n, a in inputs]
    return ct.convert(tr, inputs=specs, convert_to="mlprogram", compute_precision=precision,
                      minimum_deployment_target=target, **kw)


def torch_out(m, inputs):
    with torch.no_grad():
        y = m(*[torch.from_numpy(a) for _, a in inputs])
    return [t.numpy() for t in (y if isinstance(y, tuple) else (y,))]


# ---- transformer encoder ---------------------------------------------------------------
class EncoderLayer(torch.nn.Module):
    def __init__(self, d, h, ff):
        super().__init__()
        self.h = h
        self.qkv = torch.nn.Linear(d, 3 * d)
        self.o = torch.nn.Linear(d, d)
        self.n1 = torch.nn.LayerNorm(d)
        self.n2 = torch.nn.LayerNorm(d)
        self.f1 = torch.nn.Linear(d, ff)
        self.f2 = torch.nn.Linear(ff, d)

    def forward(self, x):
        B, L, D = x.shape
        q, k, v = self.qkv(x).chunk(3, -1)
        sh = lambda t: t.reshape(B, L, self.h, D // self.h).transpose(1, 2)
        q, k, v = sh(q), sh(k), sh(v)
        a = torch.softmax(q @ k.transpose(-1, -2) / (D // self.h) ** 0.5, -1) @ v
        x = self.n1(x + self.o(a.transpose(1, 2).reshape(B, L, D)))
        return self.n2(x + self.f2(torch.nn.functional.gelu(self.f1(x))))


enc = torch.nn.Sequential(EncoderLayer(32, 4, 64), EncoderLayer(32, 4, 64))
ins = [("x", rnd(2, 6, 32))]
case("transformer_encoder", convert(enc, ins), [(ins, torch_out(enc, ins))], 1e-4)

# ---- self-attention through scaled_dot_product_attention (MIL Builder) ------------------------
D, H, L = 16, 2, 5
mha = torch.nn.MultiheadAttention(D, H, batch_first=True).eval()
Wq, Wk, Wv = [t.detach().numpy() for t in mha.in_proj_weight.chunk(3)]
bq, bk, bv = [t.detach().numpy() for t in mha.in_proj_bias.chunk(3)]
Wo, bo = mha.out_proj.weight.detach().numpy(), mha.out_proj.bias.detach().numpy()
causal = np.triu(np.full((L, L), -1e4, np.float32), 1)


@mb.program(input_specs=[mb.TensorSpec(shape=(1, L, D))], opset_version=ct.target.iOS18)
def sdpa_prog(x):
    def heads(t):
        return mb.transpose(x=mb.reshape(x=t, shape=[1, L, H, D // H]), perm=[0, 2, 1, 3])
    q = heads(mb.linear(x=x, weight=Wq, bias=bq))
    k = heads(mb.linear(x=x, weight=Wk, bias=bk))
    v = heads(mb.linear(x=x, weight=Wv, bias=bv))
    a = mb.scaled_dot_product_attention(query=q, key=k, value=v, attn_mask=causal)
    a = mb.reshape(x=mb.transpose(x=a, perm=[0, 2, 1, 3]), shape=[1, L, D])
    return mb.linear(x=a, weight=Wo, bias=bo, name="y")


x = rnd(1, L, D)
with torch.no_grad():
    want = mha(torch.from_numpy(x), torch.from_numpy(x), torch.from_numpy(x), attn_mask=torch.from_numpy(causal),
               need_weights=False)[0].numpy()
case("attention_sdpa", ct.convert(sdpa_prog, convert_to="mlprogram", compute_precision=FP32,
                                  minimum_deployment_target=ct.target.iOS18),
     [([("x", x)], [want])], 1e-4, note="reference: torch.nn.MultiheadAttention with the same weights and causal mask")


# ---- decoder step with a KV cache in fp16 states --------------------------------------------------
class DecoderStep(torch.nn.Module):
    def __init__(self, d=16, n=6):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d) for _ in range(4))
        self.register_buffer("kc", torch.zeros(1, n, d))
        self.register_buffer("vc", torch.zeros(1, n, d))

    def forward(self, x, pos):
        k, v = self.k(x), self.v(x)
        idx = torch.arange(self.kc.shape[1]).reshape(1, -1, 1)
        sel = (idx == pos.reshape(1, 1, 1)).float()
        self.kc.mul_(1 - sel).add_(sel * k)
        self.vc.mul_(1 - sel).add_(sel * v)
        sc = self.q(x) @ self.kc.transpose(1, 2) / 4.0
        sc = sc + (idx.reshape(1, 1, -1) > pos.reshape(1, 1, 1)).float() * -1e4
        return self.o(torch.softmax(sc, -1) @ self.vc)


dec = DecoderStep().eval()
xs = [rnd(1, 1, 16) * 0.5 for _ in range(4)]
ex = [("x", xs[0]), ("pos", np.array([0], np.int32))]
ml = convert(dec, ex, target=ct.target.iOS18, precision=ct.precision.FLOAT16,
             states=[ct.StateType(wrapped_type=ct.TensorType(shape=(1, 6, 16), dtype=np.float16), name="kc"),
                     ct.StateType(wrapped_type=ct.TensorType(shape=(1, 6, 16), dtype=np.float16), name="vc")])
dec.kc.zero_()
dec.vc.zero_()
steps = []
for p, xv in enumerate(xs):
    ins = [("x", xv), ("pos", np.array([p], np.int32))]
    steps.append((ins, torch_out(dec, ins)))
case("decoder_kv_cache", ml, steps, 2e-2, mode="typed",
     note="fp16 program and states: compared in its own precision against fp32 PyTorch")

# ---- recurrent ------------------------------------------------------------------------------------------
class BiLSTM(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.l = torch.nn.LSTM(8, 12, batch_first=True, bidirectional=True)
        self.fc = torch.nn.Linear(24, 4)

    def forward(self, x):
        return self.fc(self.l(x)[0])


m = BiLSTM()
ins = [("x", rnd(2, 7, 8))]
case("lstm_bidirectional", convert(m, ins), [(ins, torch_out(m, ins))], 1e-4)


class GRU2(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.g = torch.nn.GRU(8, 12, num_layers=2, batch_first=True)
        self.fc = torch.nn.Linear(12, 4)

    def forward(self, x):
        y, h = self.g(x)
        return self.fc(y), h


m = GRU2()
ins = [("x", rnd(1, 7, 8))]
case("gru_two_layers", convert(m, ins), [(ins, torch_out(m, ins))], 1e-4)


# ---- image models ----------------------------------------------------------------------------------------
def block(ci, co):
    return torch.nn.Sequential(torch.nn.Conv2d(ci, co, 3, padding=1), torch.nn.BatchNorm2d(co), torch.nn.ReLU())


class UNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.e1, self.e2, self.e3 = block(3, 8), block(8, 16), block(16, 16)
        self.d2, self.d1 = block(32, 8), block(16, 8)
        self.out = torch.nn.Conv2d(8, 2, 1)

    def forward(self, x):
        import torch.nn.functional as F
        a = self.e1(x)
        b = self.e2(F.max_pool2d(a, 2))
        c = self.e3(F.max_pool2d(b, 2))
        u = F.interpolate(c, scale_factor=2, mode="bilinear", align_corners=False)
        d = self.d2(torch.cat([u, b], 1))
        u = F.interpolate(d, size=a.shape[-2:], mode="bilinear", align_corners=True)
        return self.out(self.d1(torch.cat([u, a], 1)))


m = UNet()
with torch.no_grad():
    for mod in m.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.running_mean.copy_(torch.randn(mod.num_features) * 0.1)
            mod.running_var.copy_(torch.rand(mod.num_features) + 0.5)
ins = [("x", rnd(1, 3, 16, 16))]
case("unet_bilinear", convert(m, ins), [(ins, torch_out(m, ins))], 1e-4)


class ESPCN(torch.nn.Module):
    def __init__(self, r=3):
        super().__init__()
        self.b = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.Tanh(),
                                     torch.nn.Conv2d(16, 8, 3, padding=1), torch.nn.Tanh(),
                                     torch.nn.Conv2d(8, r * r, 3, padding=1), torch.nn.PixelShuffle(r))

    def forward(self, x):
        return self.b(x)


m = ESPCN()
ins = [("x", rnd(1, 1, 10, 12))]
case("espcn_pixel_shuffle", convert(m, ins), [(ins, torch_out(m, ins))], 1e-4)


class Detector(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.b = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, stride=2, padding=1), torch.nn.ReLU(),
                                     torch.nn.Conv2d(8, 5, 1))

    def forward(self, x):
        f = self.b(x).flatten(2).transpose(1, 2)[0]
        cxcy = torch.sigmoid(f[:, :2]) * 16
        wh = torch.exp(f[:, 2:4].clamp(-2, 2)) * 3
        boxes = torch.cat([cxcy - wh / 2, cxcy + wh / 2], 1)
        scores = torch.sigmoid(f[:, 4])
        keep = torchvision.ops.nms(boxes, scores, 0.3)
        return boxes[keep], scores[keep]


m = Detector()
ins = [("x", rnd(1, 3, 12, 12))]
case("detector_nms", convert(m, ins), [(ins, torch_out(m, ins))], 1e-4,
     note="the kept boxes' count depends on the values: outputs of a shape known only at run time")


# ---- TorchScript control flow -------------------------------------------------------------------------------
@torch.jit.script
def stepper(x: torch.Tensor, n: int):
    y = x
    for i in range(n):
        if bool(y.sum() > 0):
            y = y * 0.5 - 1.0
        else:
            y = torch.relu(y) + 0.25 * y + 1.0
    return y


class Loop(torch.nn.Module):
    def forward(self, x, n):
        return stepper(x, int(n.item()))


sm = torch.jit.script(Loop())
ml = ct.convert(sm, inputs=[ct.TensorType(name="x", shape=(2, 3)), ct.TensorType(name="n", shape=(1,), dtype=np.int32)],
                convert_to="mlprogram", compute_precision=FP32, minimum_deployment_target=ct.target.iOS17)
steps = []
for n in (0, 3, 7):
    ins = [("x", rnd(2, 3)), ("n", np.array([n], np.int32))]
    steps.append((ins, [stepper(torch.from_numpy(ins[0][1]), n).numpy()]))
case("script_loop_branch", ml, steps, 1e-5)

# ---- a recurrent cell collected in a MIL list (MIL Builder) ----------------------------------------------------
Wh, Ux, bh = rnd(4, 4) * 0.5, rnd(4, 3) * 0.5, rnd(4) * 0.1


@mb.program(input_specs=[mb.TensorSpec(shape=(1, 3)), mb.TensorSpec(shape=(1,), dtype=types.int32)],
            opset_version=ct.target.iOS17)
def list_prog(x, n):
    n0 = mb.squeeze(x=n)
    ls = mb.make_list(init_length=1, dynamic_length=True, elem_shape=[1, 4], dtype="fp32")
    u = mb.linear(x=x, weight=Ux, bias=bh)

    def cond(i, h, l):
        return mb.less(x=i, y=n0)

    def body(i, h, l):
        h2 = mb.tanh(x=mb.add(x=mb.linear(x=h, weight=Wh), y=u))
        return mb.add(x=i, y=1), h2, mb.list_write(ls=l, index=i, value=h2)

    _, hn, lo = mb.while_loop(_cond=cond, _body=body, loop_vars=(0, np.zeros((1, 4), np.float32), ls))
    seq = mb.list_gather(ls=lo, indices=mb.range_1d(start=0, end=n0, step=1), name="seq")
    return seq, mb.identity(x=hn, name="h"), mb.list_length(ls=lo, name="len")


ml = ct.convert(list_prog, convert_to="mlprogram", compute_precision=FP32, minimum_deployment_target=ct.target.iOS17)
steps = []
for n in (1, 5):
    x = rnd(1, 3)
    h = np.zeros((1, 4), np.float64)
    seq = []
    for _ in range(n):
        h = np.tanh(h @ Wh.T.astype(np.float64) + x @ Ux.T + bh)
        seq.append(h.copy())
    steps.append(([("x", x), ("n", np.array([n], np.int32))],
                  [np.stack(seq).astype(np.float32), h.astype(np.float32), np.array(n, np.float32)]))
case("rnn_cell_list", ml, steps, 1e-5, note="reference: the same recurrence in NumPy")
OUT.close()
