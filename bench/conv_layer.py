#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""conv_layer.py — one convolution as a compiled model, to time a layer alone.

Writes DIR (a .mlmodelc folder holding only model.mil, which the loader
reads as an ML Program) with one function: x (fp32) cast to fp16, a conv
with fp16 weights and bias (as Apple's converter writes resnet layers), an
optional fused add of a second input r and relu, cast back to fp32. The
probe's executor then runs it alone:

    python3 bench/conv_layer.py /tmp/k64.mlmodelc --cin 64 --cout 256 --size 56
    CML_BENCH_EACH=1 taskset -c 1 build/tests/cml-exec-bench --threads 1 \\
        --runs 150 --mode fp32 --ops /tmp/k64.mlmodelc

`--ops` with CML_BENCH_EACH=1 prints the conv's fastest run ("y"). Several
binaries (or environment settings) run in turn, a few rounds each, give
comparable figures on a machine whose speed drifts (bench/README.md, set 11).
Weights and bias are pseudo-random (fixed seed); the standard library only.
A benchmark tool, not a test.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", help="the .mlmodelc folder to write")
    ap.add_argument("--cin", type=int, required=True, help="input channels")
    ap.add_argument("--cout", type=int, required=True, help="output channels")
    ap.add_argument("--size", type=int, required=True, help="input height and width")
    ap.add_argument("--kernel", type=int, default=1, help="kernel height and width (default 1)")
    ap.add_argument("--stride", type=int, default=1, help="stride (default 1)")
    ap.add_argument("--add-relu", action="store_true", help="a fused add of input r, then relu")
    a = ap.parse_args()
    k, s, n = a.kernel, a.stride, a.size
    p = (k - 1) // 2
    no = (n + 2 * p - k) // s + 1
    if min(a.cin, a.cout, n, k, s, no) < 1:
        ap.error("sizes must be positive and leave an output")
    rng = random.Random(1)
    w = ", ".join("%.4f" % rng.uniform(-0.1, 0.1) for _ in range(a.cout * a.cin * k * k))
    b = ", ".join("%.4f" % rng.uniform(-0.1, 0.1) for _ in range(a.cout))
    xs = "1, %d, %d, %d" % (a.cin, n, n)
    ys = "1, %d, %d, %d" % (a.cout, no, no)
    ws = "%d, %d, %d, %d" % (a.cout, a.cin, k, k)
    args = "tensor<fp32, [%s]> x" % xs
    if a.add_relu:
        args += ", tensor<fp32, [%s]> r" % ys
    lines = [
        "func main<ios16>(%s) {" % args,
        '  tensor<fp16, [%s]> xh = cast(x = x, dtype = string("fp16"))[name = string("xh")];' % xs,
        '  tensor<fp16, [%s]> W = const()[name = string("W"), val = tensor<fp16, [%s]>([%s])];' % (ws, ws, w),
        '  tensor<fp16, [%d]> B = const()[name = string("B"), val = tensor<fp16, [%d]>([%s])];' % (a.cout, a.cout, b),
        '  tensor<fp16, [%s]> y = conv(x = xh, weight = W, bias = B, groups = int32(1), '
        'strides = tensor<int32, [2]>([%d, %d]), dilations = tensor<int32, [2]>([1, 1]), '
        'pad_type = string("custom"), pad = tensor<int32, [4]>([%d, %d, %d, %d]))[name = string("y")];'
        % (ys, s, s, p, p, p, p),
    ]
    out = "y"
    if a.add_relu:
        lines += [
            '  tensor<fp16, [%s]> rh = cast(x = r, dtype = string("fp16"))[name = string("rh")];' % ys,
            '  tensor<fp16, [%s]> s = add(x = y, y = rh)[name = string("s")];' % ys,
            '  tensor<fp16, [%s]> z = relu(x = s)[name = string("z")];' % ys,
        ]
        out = "z"
    lines += ['  tensor<fp32, [%s]> o = cast(x = %s, dtype = string("fp32"))[name = string("o")];' % (ys, out),
              "} -> (o);"]
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "model.mil"), "w") as f:
        f.write("program(1.0)\n{\n" + "\n".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
