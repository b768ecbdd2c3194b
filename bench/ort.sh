#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/ort.sh — the runtime probe's executor against ONNX Runtime on the CPU
# (see "Runtime probe against ONNX Runtime" in bench/README.md).
#
#   bench/ort.sh [CORPUS_DIR] [EXEC_BENCH]   # defaults: ../shared/corpus build/tests/cml-exec-bench
#
# For each NET (resnet50, resnet18), each thread count and REPEAT times, runs,
# one after the other, each under /usr/bin/time -v:
#   ours fp32:  cml-exec-bench --threads T --runs RUNS --mode fp32 --input input=NET.input.input.f32
#               CORPUS_DIR/NET_mlprogram_fp16_ios16.mlpackage
#   ours fp16:  the same with --mode fp16 (the fp16 emulation mode)
#   ORT:        node bench/ort_bench.js ORT_DIR/NET.onnx --threads T --runs RUNS --input (same file)
# and prints one row: the load average when the row started, each median
# (ms, of RUNS timed runs after one warm-up, all in one process), ours / ORT,
# fp16 / fp32, and each process's peak RSS ("Maximum resident set size").
# The ONNX files: /usr/bin/python3 bench/export_onnx.py ORT_DIR. ORT:
# (cd ORT_DIR && npm install --ignore-scripts onnxruntime-node).
# Env: ORT_DIR (default /opt/ort-peer), NETS (default "resnet50 resnet18"),
# THREADS (default "1 2"), REPEAT (default 3), RUNS (default 20), PIN1 (a
# CPU number: every one-thread run is pinned to it with taskset, so that no
# migration between CPUs adds to either side's figures).
# Exit: 0 ok, 1 a command failed, 2 a missing tool or input.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${1:-$ROOT/../shared/corpus}
BIN=${2:-$ROOT/build/tests/cml-exec-bench}
ORT_DIR=${ORT_DIR:-/opt/ort-peer}
NETS=${NETS:-"resnet50 resnet18"}
THREADS=${THREADS:-"1 2"}
REPEAT=${REPEAT:-3}
RUNS=${RUNS:-20}

need() { echo "bench/ort.sh: $*" >&2; exit 2; }
[ -x "$BIN" ] || need "'$BIN' not found (cmake --build build --target cml-exec-bench)"
[ -x /usr/bin/time ] || need "GNU time not found (apt-get install time)"
command -v node >/dev/null || need "node not found (apt-get install nodejs)"
[ -d "$ORT_DIR/node_modules/onnxruntime-node" ] ||
    need "no $ORT_DIR/node_modules/onnxruntime-node (cd $ORT_DIR && npm install --ignore-scripts onnxruntime-node)"
for n in $NETS; do
    [ -f "$ORT_DIR/$n.onnx" ] || need "no $ORT_DIR/$n.onnx (/usr/bin/python3 bench/export_onnx.py $ORT_DIR)"
    [ -d "$CORPUS/${n}_mlprogram_fp16_ios16.mlpackage" ] || need "no ${n}_mlprogram_fp16_ios16.mlpackage in $CORPUS"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cml-ort.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# run LABEL CMD...: the command under /usr/bin/time -v; sets MED (median_ms) and RSS (MB)
run() {
    local label=$1
    shift
    if ! /usr/bin/time -v "$@" >"$TMP/out" 2>"$TMP/err"; then
        echo "bench/ort.sh: $label failed:" >&2
        cat "$TMP/out" "$TMP/err" >&2
        exit 1
    fi
    # the wall-clock median: " median_ms N" (both outputs also print cpu_median_ms, the
    # cpu time of all threads, which is not the figure for T > 1)
    MED=$(grep -oE '(^| )median_ms [0-9.]+' "$TMP/out" | tail -1 | awk '{print $2}')
    RSS=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$TMP/err")
    [ -n "$MED" ] && [ -n "$RSS" ] || { echo "bench/ort.sh: $label: no figures in its output" >&2; cat "$TMP/out" >&2; exit 1; }
}

echo "# $(date -u '+%F %T') UTC; nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')"
echo "# binary $BIN; ORT $(cd "$ORT_DIR" && node -e 'console.log(require("onnxruntime-node/package.json").version)')"
printf '| net | threads | run | load avg | ours fp32 ms | ORT ms | ours/ORT | ours fp16 ms | fp16/fp32 | RSS fp32 MB | RSS fp16 MB | RSS ORT MB |\n'
printf '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
for n in $NETS; do
    model=$CORPUS/${n}_mlprogram_fp16_ios16.mlpackage
    input=$CORPUS/${n}_mlprogram_fp16_ios16.input.input.f32
    for t in $THREADS; do
        for r in $(seq 1 "$REPEAT"); do
            load=$(cut -d' ' -f1 /proc/loadavg)
            pin=()
            [ "$t" = 1 ] && [ -n "${PIN1:-}" ] && pin=(taskset -c "$PIN1")
            run "ours fp32" "${pin[@]}" "$BIN" --threads "$t" --runs "$RUNS" --mode fp32 --input "input=$input" "$model"
            f32=$MED r32=$RSS
            run "ORT" "${pin[@]}" env NODE_PATH="$ORT_DIR/node_modules" node "$ROOT/bench/ort_bench.js" "$ORT_DIR/$n.onnx" \
                --threads "$t" --runs "$RUNS" --input "$input"
            ort=$MED rort=$RSS
            run "ours fp16" "${pin[@]}" "$BIN" --threads "$t" --runs "$RUNS" --mode fp16 --input "input=$input" "$model"
            f16=$MED r16=$RSS
            awk -v n="$n" -v t="$t" -v r="$r" -v l="$load" -v a="$f32" -v o="$ort" -v h="$f16" \
                -v ra="$r32" -v rh="$r16" -v ro="$rort" 'BEGIN {
                printf "| %s | %d | %d | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.1f | %.1f |\n",
                       n, t, r, l, a, o, a / o, h, h / a, ra, rh, ro }'
        done
    done
done
echo "# end $(date -u '+%T') UTC; load average $(cut -d' ' -f1-3 /proc/loadavg)"
