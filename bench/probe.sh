#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/probe.sh — the runtime probe's reference executor against PyTorch on
# the CPU (see "Runtime probe" in bench/README.md).
#
#   bench/probe.sh [CORPUS_DIR] [BINARY]
#
# CORPUS_DIR defaults to ../shared/corpus, BINARY to build/coreml-lint (both
# relative to the repository root; paths given are taken from the caller's
# cwd). For resnet18 and resnet50 (corpus resnet18_mlprogram_fp16_ios16 and
# resnet50_mlprogram_fp16_ios16, run by our executor in fp32 mode and in fp16
# emulation) and for each thread count in THREADS, it runs
#   coreml-lint probe --no-config --no-coreml --runs RUNS --threads T
#                     --input input=<the corpus reference input> --format json
# and bench/probe_vs_torch.py (torchvision's resnet18/50, random weights,
# same 1x3x224x224 input file, torch.set_num_threads(T)), and prints one
# row per (model, threads): median and p90 latency of the warm runs (the
# first run is reported apart), the ratio to PyTorch, fp16 emulation over
# fp32, and the peak RSS of the probe's process (the forked child that
# holds the model, both modes' constants and the activations) next to the
# Python process's. Needs Debian's /usr/bin/python3 with python3-torch
# (python3-torchvision is used when present). Env: RUNS (default 20),
# THREADS (default "1 N" with N = nproc).
# Exit: 0 ok, 1 a command failed, 2 a missing tool or input.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CALLER=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$CALLER/$1" ;; esac; }
if [ $# -ge 1 ]; then CORPUS=$(abs "$1"); else CORPUS=$ROOT/../shared/corpus; fi
if [ $# -ge 2 ]; then BIN=$(abs "$2"); else BIN=$ROOT/build/coreml-lint; fi
RUNS=${RUNS:-20}
NPROC=$(nproc 2>/dev/null || echo 1)
if [ "$NPROC" -gt 1 ]; then THREADS=${THREADS:-"1 $NPROC"}; else THREADS=${THREADS:-1}; fi
PY=/usr/bin/python3

need() { echo "bench/probe.sh: $*" >&2; exit 2; }
[ -x "$BIN" ] || need "binary '$BIN' not found (build it: cmake --build build)"
[ -d "$CORPUS" ] || need "corpus directory '$CORPUS' not found"
"$PY" -c 'import torch' 2>/dev/null || need "$PY has no torch (apt-get install -y python3-torch)"

printf '%-9s %3s | %9s %9s %9s | %9s %9s | %6s | %9s %7s | %9s %9s\n' model thr ours_1st ours_med ours_p90 \
    torch_med torch_p90 ratio fp16_med fp16/32 ours_rss torch_rss
for model in resnet18 resnet50; do
    pkg=$CORPUS/${model}_mlprogram_fp16_ios16.mlpackage
    input=$CORPUS/${model}_mlprogram_fp16_ios16.input.input.f32
    [ -d "$pkg" ] && [ -f "$input" ] || need "$pkg or its reference input not found"
    for t in $THREADS; do
        ours=$("$BIN" probe --no-config --no-coreml --runs "$RUNS" --threads "$t" --input "input=$input" \
            --format json "$pkg" 2>/dev/null)
        rc=$?
        # exit 1 = findings (the probe still measured); 2 = a tool error
        if [ $rc -gt 1 ] || [ -z "$ours" ]; then echo "bench/probe.sh: coreml-lint probe failed ($rc)" >&2; exit 1; fi
        torch=$("$PY" "$ROOT/bench/probe_vs_torch.py" --model "$model" --threads "$t" --runs "$RUNS" \
            --input "$input") || { echo "bench/probe.sh: probe_vs_torch.py failed" >&2; exit 1; }
        OURS=$ours TORCH=$torch "$PY" - "$model" "$t" <<'EOF' || exit 1
import json, os, sys
o = json.loads(os.environ["OURS"])
f = next(iter(o["properties"]["probe"].values()))
if f.get("status") != "ok":
    sys.exit(f"probe status {f.get('status')}: {f.get('message')}")
t = json.loads(os.environ["TORCH"])
l32, l16 = f["latency_ms"]["fp32"], f["latency_ms"]["fp16_emulation"]
print(f"{sys.argv[1]:<9} {sys.argv[2]:>3} | {l32['first']:9.1f} {l32['median']:9.1f} {l32['p90']:9.1f} | "
      f"{t['median_ms']:9.1f} {t['p90_ms']:9.1f} | {l32['median'] / t['median_ms']:6.2f} | "
      f"{l16['median']:9.1f} {l16['median'] / l32['median']:7.2f} | {f['peak_rss_mb']:9.0f} {t['peak_rss_mb']:9.0f}")
EOF
    done
done
echo "(ms; ratio = ours / PyTorch fp32 median; RSS in MB; torch: $("$PY" -c 'import torch; print(torch.__version__)'))"
