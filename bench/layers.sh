#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/layers.sh — each convolution of a net, ours against ONNX Runtime's
# (see "Runtime probe against ONNX Runtime" in bench/README.md).
#
#   bench/layers.sh NET [THREADS] [CORPUS_DIR] [EXEC_BENCH]   # NET: resnet50 or resnet18
#
# Runs `cml-exec-bench --ops` (CML_BENCH_EACH=1: each convolution's fastest
# run) on CORPUS_DIR/NET_mlprogram_fp16_ios16.mlpackage and `node
# bench/ort_bench.js ORT_DIR/NET.onnx --layers` (ORT's profiler: each Conv
# node's fastest run), RUNS timed runs each, one after the other, and pairs
# the layers by shape: output channels, K = input channels x kernel, output
# pixels and kernel size, the n-th of each shape with the n-th (the two
# graphs run a block's downsampling and its last convolution in either
# order). Prints one row per pair and the totals. ORT's times include the
# activation and the residual add it fuses into its Conv nodes, as ours do.
# Env: ORT_DIR (default /opt/ort-peer), RUNS (default 20).
# Exit: 0 ok, 1 a command failed, 2 a missing tool or input.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NET=${1:?usage: bench/layers.sh NET [THREADS] [CORPUS_DIR] [EXEC_BENCH]}
T=${2:-1}
CORPUS=${3:-$ROOT/../shared/corpus}
BIN=${4:-$ROOT/build/tests/cml-exec-bench}
ORT_DIR=${ORT_DIR:-/opt/ort-peer}
RUNS=${RUNS:-20}

need() { echo "bench/layers.sh: $*" >&2; exit 2; }
[ -x "$BIN" ] || need "'$BIN' not found (cmake --build build --target cml-exec-bench)"
command -v node >/dev/null || need "node not found (apt-get install nodejs)"
[ -f "$ORT_DIR/$NET.onnx" ] || need "no $ORT_DIR/$NET.onnx (/usr/bin/python3 bench/export_onnx.py $ORT_DIR)"
M="$CORPUS/${NET}_mlprogram_fp16_ios16.mlpackage"
IN="$CORPUS/${NET}_mlprogram_fp16_ios16.input.input.f32"
[ -d "$M" ] && [ -f "$IN" ] || need "no ${NET}_mlprogram_fp16_ios16.mlpackage or its .input.input.f32 in $CORPUS"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
CML_BENCH_EACH=1 "$BIN" --threads "$T" --runs "$RUNS" --mode fp32 --ops --input "input=$IN" "$M" >"$tmp/ours" ||
    { echo "bench/layers.sh: cml-exec-bench failed" >&2; exit 1; }
NODE_PATH="$ORT_DIR/node_modules${NODE_PATH:+:$NODE_PATH}" node "$ROOT/bench/ort_bench.js" "$ORT_DIR/$NET.onnx" \
    --threads "$T" --runs "$RUNS" --input "$IN" --layers >"$tmp/ort" ||
    { echo "bench/layers.sh: ort_bench.js failed" >&2; exit 1; }

echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $NET, $T thread(s), fastest of $RUNS runs per layer; load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
    # ours:  "    NAME K 576 Cout 64 P 3136 (3x3)   1.297 ms  178.3 GFLOP/s"
    FNR == NR {
        if ($2 == "K" && $4 == "Cout" && $6 == "P") {
            k = $5 " " $3 " " $7 " " $8
            i = ++no[k]; ours[k, i] = $9 * 1000; name[k, i] = $1; order[++n] = k SUBSEP i
        }
        next
    }
    # ORT:   "layer Conv w=64x64x3x3 y=1x64x56x56 min_us 1058"
    $1 == "layer" && $2 != "Gemm" {
        split(substr($3, 3), w, "x"); split(substr($4, 3), y, "x")
        k = w[1] " " w[2] * w[3] * w[4] " " y[3] * y[4] " (" w[3] "x" w[4] ")"
        ort[k, ++nr[k]] = $6
    }
    END {
        printf "| layer (ours) | Cout | K | pixels | kernel | ours us | ORT us | ours / ORT |\n|---|---:|---:|---:|---|---:|---:|---:|\n"
        for (j = 1; j <= n; j++) {
            split(order[j], ki, SUBSEP); k = ki[1]; i = ki[2]; split(k, f, " ")
            o = ours[k, i]; r = ((k, i) in ort) ? ort[k, i] : 0
            so += o; if (r) { sr += r; sp += o }
            printf "| %s | %s | %s | %s | %s | %.0f | %s | %s |\n", name[k, i], f[1], f[2], f[3], f[4], o,
                r ? r : "-", r ? sprintf("%.2f", o / r) : "-"
        }
        printf "| **all convolutions** | | | | | %.0f | %.0f | %.2f |\n", sp, sr, sr ? sp / sr : 0
        if (sp != so) printf "(%.0f us of ours had no ORT layer of the same shape)\n", so - sp
    }' "$tmp/ours" "$tmp/ort"
