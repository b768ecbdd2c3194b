#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""bench/export_onnx.py — the ONNX Runtime peer's networks (see "Runtime probe
against ONNX Runtime" in bench/README.md).

    /usr/bin/python3 bench/export_onnx.py OUT_DIR

Writes OUT_DIR/resnet18.onnx and OUT_DIR/resnet50.onnx: torchvision's
architectures with random weights (torch.manual_seed(0), eval mode), input
"input" 1x3x224x224 float32, output "logits", opset 13, constants folded.
The corpus models the probe runs are the same architectures with other random
weights: latency and memory do not depend on the values. Needs Debian's
python3-torch and python3-torchvision (/usr/bin/python3, not a pyenv python).
Exit: 0 ok, 2 a missing module or argument.
"""
import os
import sys

try:
    import torch
    import torchvision
except ImportError as e:  # pragma: no cover - environment check
    print(f"bench/export_onnx.py: {e} (apt-get install python3-torch python3-torchvision; "
          "run with /usr/bin/python3)", file=sys.stderr)
    sys.exit(2)


def main():
    if len(sys.argv) != 2:
        print("usage: /usr/bin/python3 bench/export_onnx.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in ("resnet18", "resnet50"):
        torch.manual_seed(0)
        net = getattr(torchvision.models, name)(weights=None).eval()
        x = torch.randn(1, 3, 224, 224)
        path = os.path.join(out, name + ".onnx")
        with torch.no_grad():
            torch.onnx.export(net, x, path, opset_version=13, input_names=["input"],
                              output_names=["logits"], do_constant_folding=True)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
