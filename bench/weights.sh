#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/weights.sh — the runtime probe against the size of the weights (see
# "Runtime probe: scaling with the weights" in bench/README.md).
#
#   bench/weights.sh [BINARY]        # default build/coreml-lint (repository root)
#
# For each KIND and each model in MODELS (LAYERSxK: LAYERS linear layers of
# K x K weights, input x[1, K]), writes the model with
#   cml-fixture --linear-stack LAYERS K KIND OUT.mlpackage
# into a temporary folder (deleted on exit; nothing is written in the
# repository), reads its weight.bin once (warm page cache, as for any
# model the host just loaded), and runs
#   coreml-lint probe --no-config --no-coreml --runs RUNS --threads THREADS --format json
# printing one row: weight.bin MB, the probe's prepare time (load_ms: plan,
# constants) and its rate over the weights, the first fp32 run, the fp32 and
# fp16-emulation medians, the constants the plan holds, the probe process's
# peak RSS and its ratio to weight.bin. BASE=another coreml-lint adds a row
# for it on the same model (models up to BASE_MAX_MB, default 1100: older
# builds decode every weight to float32 and need ~3x the weights in RAM).
# Env: KINDS (default "fp16 int8 lut4"), MODELS (default
# "1x5120 2x8192 8x8192 32x8192"), RUNS (default 5), THREADS (default 1),
# FIXTURE (default build/tests/fixtures/cml-fixture), TMPDIR.
# Exit: 0 ok, 1 a command failed, 2 a missing tool or input.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CALLER=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$CALLER/$1" ;; esac; }
if [ $# -ge 1 ]; then BIN=$(abs "$1"); else BIN=$ROOT/build/coreml-lint; fi
FIXTURE=${FIXTURE:-$ROOT/build/tests/fixtures/cml-fixture}
KINDS=${KINDS:-"fp16 int8 lut4"}
MODELS=${MODELS:-"1x5120 2x8192 8x8192 32x8192"}
RUNS=${RUNS:-5}
THREADS=${THREADS:-1}
BASE=${BASE:-}
BASE_MAX_MB=${BASE_MAX_MB:-1100}
PY=/usr/bin/python3

need() { echo "bench/weights.sh: $*" >&2; exit 2; }
[ -x "$BIN" ] || need "binary '$BIN' not found (build it: cmake --build build)"
[ -x "$FIXTURE" ] || need "'$FIXTURE' not found (cmake --build build --target cml-fixture)"
[ -z "$BASE" ] || [ -x "$BASE" ] || need "BASE '$BASE' is not executable"
"$PY" -c 'import json' 2>/dev/null || need "$PY not found"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/cml-weights.XXXXXX") || exit 1
trap 'rm -rf "$WORK"' EXIT

printf '%-5s %-7s %-6s | %9s | %9s %8s | %9s %9s %9s | %9s | %9s %6s\n' kind model binary weight_MB \
    prepare_ms GB/s first_ms fp32_med fp16_med const_MB peak_MB /wts
row() { # binary-label model-path weight-bytes kind model
    local label=$1 pkg=$2 wbytes=$3 kind=$4 model=$5 bin=$6 out
    out=$("$bin" probe --no-config --no-coreml --runs "$RUNS" --threads "$THREADS" --format json "$pkg" 2>/dev/null)
    local rc=$?
    if [ $rc -gt 1 ] || [ -z "$out" ]; then echo "bench/weights.sh: $label probe failed ($rc) on $pkg" >&2; return 1; fi
    OUT=$out "$PY" - "$kind" "$model" "$label" "$wbytes" <<'EOF'
import json, os, sys
kind, model, label, wbytes = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
o = json.loads(os.environ["OUT"])
f = next(iter(o["properties"]["probe"].values()))
mb = wbytes / 2**20
if f.get("status") != "ok":
    print(f"{kind:<5} {model:<7} {label:<6} | {mb:9.0f} | status {f.get('status')}: {f.get('message')}")
    sys.exit(0)
l32, l16 = f["latency_ms"]["fp32"], f["latency_ms"]["fp16_emulation"]
prep = f["load_ms"]
rate = (wbytes / 1e9) / (prep / 1e3) if prep > 0 else float("inf")
print(f"{kind:<5} {model:<7} {label:<6} | {mb:9.0f} | {prep:9.1f} {rate:8.1f} | {l32['first']:9.1f} "
      f"{l32['median']:9.1f} {l16['median']:9.1f} | {f['constants_mb']:9.1f} | {f['peak_rss_mb']:9.0f} "
      f"{f['peak_rss_mb'] / mb:6.2f}")
EOF
}

for kind in $KINDS; do
    for model in $MODELS; do
        layers=${model%x*}
        k=${model#*x}
        pkg=$WORK/${kind}_${model}.mlpackage
        "$FIXTURE" --linear-stack "$layers" "$k" "$kind" "$pkg" >/dev/null || { echo "bench/weights.sh: cml-fixture failed" >&2; exit 1; }
        wbin=$pkg/Data/com.apple.CoreML/weights/weight.bin
        wbytes=$(stat -c %s "$wbin")
        cat "$wbin" >/dev/null # warm page cache
        row ours "$pkg" "$wbytes" "$kind" "$model" "$BIN" || exit 1
        if [ -n "$BASE" ] && [ $((wbytes / 1048576)) -le "$BASE_MAX_MB" ]; then
            row base "$pkg" "$wbytes" "$kind" "$model" "$BASE" || exit 1
        fi
        rm -rf "$pkg"
    done
done
echo "(threads $THREADS, $RUNS runs per mode; prepare = the probe's load_ms; /wts = peak RSS / weight.bin)"
