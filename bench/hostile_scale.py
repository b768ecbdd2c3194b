#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# bench/hostile_scale.py — does a hostile model's cost grow with its size,
# and no faster? Each shape below once made `check` (or its report) super-
# linear: a few KB or MB that ran for minutes, or failed a bundled rule's
# budget. The script writes each shape at size N and 4N (model.mil in a
# compiled folder, a package's Manifest.json, many small models), runs the
# binary on both, one core, best of three, and prints the times and their
# ratio: about 4 is linear, 16 quadratic. Figures and machine in
# bench/README.md.
#   bench/hostile_scale.py [BINARY] [SCALE]    (SCALE multiplies every N)
# A run longer than LIMIT seconds (environment, default 120) is stopped and
# shown as ">LIMIT".
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/coreml-lint")
SCALE = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
LIMIT = float(os.environ.get("LIMIT", "120"))


def program(funcs):
    return "program(1.0)\n{\n" + "".join(funcs) + "}\n"


def func(name, params, body, out):
    return "  func %s<ios17>(%s) {\n%s  } -> (%s);\n" % (name, params, "".join(body), out)


def op(t, name, kind, args):
    return '    %s %s = %s(%s)[name = string("%s")];\n' % (t, name, kind, args, name)


F16, F32 = "tensor<fp16, [1]>", "tensor<fp32, [1]>"


def preprocess_fanout(k):
    # five adds that each read the previous one k times, then a cast
    body, prev = [], "x"
    for lvl in range(5):
        body.append(op(F32, "a%d" % lvl, "add", "x = (%s), y = %s" % (", ".join([prev] * k), prev)))
        prev = "a%d" % lvl
    body.append(op(F16, "c", "cast", 'x = %s, dtype = string("fp16")' % prev))
    return program([func("main", F32 + " x", body, "c")])


def constexpr_chain(n):
    body = ['    %s c0 = const()[name = string("c0"), val = %s([1])];\n' % (F16, F16)]
    for i in range(1, n + 1):
        body.append(op(F16, "c%d" % i, "constexpr_cast", 'source_val = c%d, output_dtype = string("fp16")' % (i - 1)))
    return program([func("main", "", body, "c%d" % n)])


def one_cast_islands(n):
    body = [op(F16, "h", "relu", "x = x")]
    for i in range(n):
        body.append(op(F32, "c%d" % i, "cast", 'x = h, dtype = string("fp32")'))
    return program([func("main", F16 + " x", body, "h")])


def island_of_kinds(n):
    body, prev = [], "x"
    for i in range(n // 8 + 10):
        body.append(op(F16, "h%d" % i, "relu", "x = " + prev))
        prev = "h%d" % i
    body.append(op(F32, "c", "cast", 'x = %s, dtype = string("fp32")' % prev))
    prev = "c"
    for i in range(n):
        body.append(op(F32, "k%d" % i, "kind_%07d" % i, "x = " + prev))
        prev = "k%d" % i
    return program([func("main", F16 + " x", body, prev)])


def nan_constants(n):
    body = ['    %s w%d = const()[name = string("w%d"), val = %s([nan])];\n' % (F32, i, i, F32) for i in range(n)]
    return program([func("main", F32 + " x", body, "x")])


def plain_constants(n):
    body = ['    %s w%d = const()[name = string("w%d"), val = %s([1])];\n' % (F32, i, i, F32) for i in range(n)]
    return program([func("main", F32 + " x", body, "x")])


def many_functions(n):
    return program([func("f%d" % i, F16 + " x", [op(F16, "a", "relu", "x = x")], "a") for i in range(n)])


def relu_chain(n):
    body, prev = [], "x"
    for i in range(n):
        body.append(op(F16, "a%d" % i, "relu", "x = " + prev))
        prev = "a%d" % i
    return program([func("main", F16 + " x", body, prev)])


def write_mil(d, text):
    m = os.path.join(d, "m.mlmodelc")
    os.makedirs(m)
    with open(os.path.join(m, "model.mil"), "w") as f:
        f.write(text)
    return [m]


def deep_manifest(n):
    # n Manifest items whose paths are 2,000 names deep and do not exist
    def make(d):
        p = os.path.join(d, "m.mlpackage")
        os.makedirs(os.path.join(p, "Data", "com.apple.CoreML"))
        open(os.path.join(p, "Data", "com.apple.CoreML", "model.mlmodel"), "wb").close()
        deep = "/".join(["a"] * 2000)
        items = {"I%d" % i: {"path": deep, "name": "x", "author": "x", "description": "x"} for i in range(n)}
        items["root"] = {"path": "com.apple.CoreML/model.mlmodel", "name": "model.mlmodel",
                         "author": "x", "description": "x"}
        with open(os.path.join(p, "Manifest.json"), "w") as f:
            json.dump({"fileFormatVersion": "1.0.0", "itemInfoEntries": items, "rootModelIdentifier": "root"}, f)
        return [p]
    return make


def many_models(n):
    def make(d):
        txt = program([func("main", F32 + " x", [op(F32, "y", "softmax", "x = x, axis = int32(0)")], "y")])
        for i in range(n):
            m = os.path.join(d, "models", "m%06d.mlmodelc" % i)
            os.makedirs(m)
            with open(os.path.join(m, "model.mil"), "w") as f:
                f.write(txt)
        return [os.path.join(d, "models")]
    return make


# (name, smaller N, generator, extra arguments of check)
SHAPES = [
    ("input preprocessing fan-out (k reads per add)", 40, preprocess_fanout, []),
    ("constexpr chain", 2000, constexpr_chain, []),
    ("one-cast fp32 islands", 25000, one_cast_islands, []),
    ("one island of n op kinds", 20000, island_of_kinds, []),
    ("NaN constants (numerics)", 10000, nan_constants, []),
    ("plain constants (weight reads)", 25000, plain_constants, []),
    ("functions of one op", 1000, many_functions, []),
    ("relu chain (Lua rules' memory)", 25000, relu_chain, []),
    ("Manifest items 2,000 names deep", 200, deep_manifest, []),
    ("small models, HTML report", 1000, many_models, ["--format", "html"]),
]


def best_of(cmd, runs=3):
    best = None
    for _ in range(runs):
        t = time.perf_counter()
        try:
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=LIMIT)
        except subprocess.TimeoutExpired:
            return None
        dt = time.perf_counter() - t
        if r.returncode > 1:
            sys.exit("bench/hostile_scale.py: %s exited %d: %s" % (" ".join(cmd), r.returncode,
                                                                   r.stderr.decode(errors="replace")[-400:]))
        best = dt if best is None else min(best, dt)
    return best


def main():
    if not os.access(BIN, os.X_OK):
        sys.exit("bench/hostile_scale.py: %s is not an executable" % BIN)
    print("| shape | N | time at N (s) | time at 4N (s) | ratio |")
    print("|---|--:|--:|--:|--:|")
    for name, n0, gen, extra in SHAPES:
        n0 = max(1, int(n0 * SCALE))
        times = []
        for n in (n0, 4 * n0):
            d = tempfile.mkdtemp(prefix="cml-scale-")
            try:
                made = gen(n)
                paths = made(d) if callable(made) else write_mil(d, made)
                cmd = ["taskset", "-c", "0", BIN, "check", "--no-config", "-q", "--keep-going"] + extra + paths
                times.append(best_of(cmd))
            finally:
                shutil.rmtree(d)
        shown = [">%g" % LIMIT if t is None else "%.3f" % t for t in times]
        ratio = "-" if None in times else "%.1f" % (times[1] / max(times[0], 1e-9))
        print("| %s | %d | %s | %s | %s |" % (name, n0, shown[0], shown[1], ratio))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
