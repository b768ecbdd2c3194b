#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/probe_vs_torch.py — the PyTorch side of bench/probe.sh.

Runs torchvision's resnet18 or resnet50 (random weights: the corpus models
were converted from the same architectures with random weights, so the
network and its cost are the same, the values are not) on the CPU in eval
mode under torch.inference_mode(), on a given 1x3x224x224 input (a raw
little-endian float32 file, the same one the probe is given), with a given
number of intra-op threads (torch.set_num_threads; inter-op 1), and prints
one JSON object: first, median and p90 latency in ms of the timed runs (the
first of them is the first call, as the probe reports it), and the process's
peak RSS (ru_maxrss) after the runs. When torchvision is not installed
(Debian has python3-torchvision, but not every install does) the same
topology is built here from torch.nn layers (BasicBlock / Bottleneck, the
torchvision layout). Debian's /usr/bin/python3 with python3-torch.
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn


def _conv3(i, o, s=1):
    return nn.Conv2d(i, o, 3, s, 1, bias=False)


class _Basic(nn.Module):
    expansion = 1

    def __init__(self, i, o, s=1, down=None):
        super().__init__()
        self.c1, self.b1 = _conv3(i, o, s), nn.BatchNorm2d(o)
        self.c2, self.b2 = _conv3(o, o), nn.BatchNorm2d(o)
        self.relu, self.down = nn.ReLU(inplace=True), down

    def forward(self, x):
        idt = self.down(x) if self.down is not None else x
        y = self.relu(self.b1(self.c1(x)))
        return self.relu(self.b2(self.c2(y)) + idt)


class _Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, i, o, s=1, down=None):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(i, o, 1, bias=False), nn.BatchNorm2d(o)
        self.c2, self.b2 = _conv3(o, o, s), nn.BatchNorm2d(o)
        self.c3, self.b3 = nn.Conv2d(o, o * 4, 1, bias=False), nn.BatchNorm2d(o * 4)
        self.relu, self.down = nn.ReLU(inplace=True), down

    def forward(self, x):
        idt = self.down(x) if self.down is not None else x
        y = self.relu(self.b1(self.c1(x)))
        y = self.relu(self.b2(self.c2(y)))
        return self.relu(self.b3(self.c3(y)) + idt)


class _ResNet(nn.Module):
    def __init__(self, block, layers, classes=1000):
        super().__init__()
        self.inp = 64
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        self.layers = nn.Sequential(*[self._make(block, w, n, 1 if k == 0 else 2)
                                      for k, (w, n) in enumerate(zip((64, 128, 256, 512), layers))])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512 * block.expansion, classes)

    def _make(self, block, width, n, stride):
        down = None
        if stride != 1 or self.inp != width * block.expansion:
            down = nn.Sequential(nn.Conv2d(self.inp, width * block.expansion, 1, stride, bias=False),
                                 nn.BatchNorm2d(width * block.expansion))
        mods = [block(self.inp, width, stride, down)]
        self.inp = width * block.expansion
        mods += [block(self.inp, width) for _ in range(1, n)]
        return nn.Sequential(*mods)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))


def build(name):
    try:
        import torchvision.models as tvm
        ctor = getattr(tvm, name)
        try:
            return ctor(weights=None), "torchvision"
        except TypeError:  # torchvision < 0.13
            return ctor(pretrained=False), "torchvision"
    except ImportError:
        if name == "resnet18":
            return _ResNet(_Basic, (2, 2, 2, 2)), "torch.nn (torchvision absent)"
        return _ResNet(_Bottleneck, (3, 4, 6, 3)), "torch.nn (torchvision absent)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", choices=("resnet18", "resnet50"), required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--input", help="raw little-endian float32 file of 1x3x224x224 values")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)
    model, source = build(a.model)
    model.eval()
    if a.input:
        with open(a.input, "rb") as f:
            data = f.read()
        if len(data) != 3 * 224 * 224 * 4:
            sys.exit(f"{a.input}: {len(data)} bytes, expected {3 * 224 * 224 * 4}")
        x = torch.frombuffer(bytearray(data), dtype=torch.float32).reshape(1, 3, 224, 224)
    else:
        x = torch.rand(1, 3, 224, 224) * 2 - 1
    lat = []
    with torch.inference_mode():
        for _ in range(a.runs):
            t0 = time.perf_counter()
            y = model(x)
            lat.append((time.perf_counter() - t0) * 1e3)
    warm = sorted(lat[1:] if len(lat) > 1 else lat)
    p90 = warm[min(len(warm) - 1, max(0, -(-9 * len(warm) // 10) - 1))]
    print(json.dumps({
        "model": a.model, "source": source, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "runs": a.runs, "first_ms": lat[0], "median_ms": statistics.median(warm), "p90_ms": p90,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "output_max_abs": float(y.abs().max()),
    }))


if __name__ == "__main__":
    main()
