#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bench/run.sh — loader/inspect benchmarks for coreml-lint (see bench/README.md).
#
#   bench/run.sh [CORPUS_DIR] [BINARY]
#
# CORPUS_DIR defaults to ../shared/corpus, BINARY to build/coreml-lint (both
# relative to the repository root; paths given are taken from the caller's
# cwd). Builds nothing but the Python protobuf classes of proto/*.proto,
# generated with protoc into a temp dir that is removed on exit.
# Needs: /usr/bin/python3 with google.protobuf (Debian python3-protobuf),
# protoc, GNU time at /usr/bin/time; hyperfine is used when present (else a
# date +%s%N loop). Env: RUNS (default 50), WARMUP (5).
#
# Benchmarks:
#   1. inspect --format json resnet50 (C) vs bench/inspect_peer.py (Python)
#   2. peak RSS of inspect for resnet18w25 / resnet18 / resnet50
#   3. inspect --format json of the whole corpus directory in one invocation
# Exit: 0 ok, 1 a real failure (a command failed, C and Python disagree),
# 2 a missing tool or input.
set -u -o pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CALLER=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$CALLER/$1" ;; esac; }
# given paths are relative to the caller's directory, defaults to the repository root
if [ $# -ge 1 ]; then CORPUS=$(abs "$1"); else CORPUS=../shared/corpus; fi
if [ $# -ge 2 ]; then BIN=$(abs "$2"); else BIN=build/coreml-lint; fi
cd "$ROOT" || exit 2
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
PY=/usr/bin/python3

need() { echo "bench/run.sh: $*" >&2; exit 2; }
fail() { echo "bench/run.sh: FAILED: $*" >&2; exit 1; }

[ -x "$BIN" ] || need "binary '$BIN' not found or not executable (build it: cmake --build build --target coreml-lint)"
[ -d "$CORPUS" ] || need "corpus directory '$CORPUS' not found"
[ -x "$PY" ] || need "$PY not found (apt-get install -y python3)"
"$PY" -c 'import google.protobuf' 2>/dev/null ||
    need "$PY has no google.protobuf (apt-get install -y python3-protobuf)"
command -v protoc >/dev/null || need "protoc not found (apt-get install -y protobuf-compiler)"
/usr/bin/time -v true >/dev/null 2>&1 || need "GNU time not found at /usr/bin/time (apt-get install -y time)"
HAVE_HF=0
command -v hyperfine >/dev/null && HAVE_HF=1

R50="$CORPUS/resnet50_mlprogram_fp16_ios16.mlpackage"
R18="$CORPUS/resnet18_mlprogram_fp16_ios16.mlpackage"
R18W25="$CORPUS/resnet18w25_mlprogram_fp16_ios16.mlpackage"
for m in "$R50" "$R18" "$R18W25"; do [ -d "$m" ] || need "model '$m' not found"; done

TMP=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/pb"
protoc -I proto --python_out="$TMP/pb" proto/*.proto || fail "protoc --python_out"
PEER=("$PY" bench/inspect_peer.py --pb-dir "$TMP/pb")
BACKEND=$("${PEER[@]}" --backend) || fail "peer --backend"
case "$BACKEND" in cpp|upb) ;; *) echo "bench/run.sh: warning: protobuf backend is '$BACKEND', not cpp/upb" >&2 ;; esac

# ---- 0. both sides do the same job: compare the facts they share ----------
"$BIN" inspect --format json "$R50" >"$TMP/c.json" || fail "$BIN inspect $R50 (exit $?)"
"${PEER[@]}" "$R50" >"$TMP/py.json" || fail "inspect_peer.py $R50"
"$PY" - "$TMP/c.json" "$TMP/py.json" <<'EOF' || fail "C and Python outputs disagree"
import json, sys
c = json.load(open(sys.argv[1])); p = json.load(open(sys.argv[2]))
if isinstance(c, list): c = c[0]
keys = ["model_type", "specification_version", "is_updatable"]
bad = [k for k in keys if c.get(k) != p.get(k)]
if c["mil"]["functions"] != p["mil"]["functions"]: bad.append("mil.functions")
if [x["name"] for x in c["inputs"] + c["outputs"]] != [x["name"] for x in p["inputs"] + p["outputs"]]: bad.append("interface")
wk = ["size_bytes", "storage_version", "blob_count", "blobs_parsed", "blobs_referenced", "blob_dtypes", "blob_payload_bytes"]
for cw, pw in zip(c["package"]["weights"], p["package"]["weights"]):
    bad += ["weights." + k for k in wk if cw.get(k) != pw.get(k)]
if bad: sys.exit("differ: " + ", ".join(bad))
EOF

# ---- timing helper: prints "median_ms min_ms runs" --------------------------
timeit() { # name cmd...
    local name=$1; shift
    if [ "$HAVE_HF" = 1 ]; then
        hyperfine -N --style none --warmup "$WARMUP" --runs "$RUNS" \
            --export-json "$TMP/$name.json" -- "$(printf '%q ' "$@")" >/dev/null 2>"$TMP/$name.err" ||
            { cat "$TMP/$name.err" >&2; fail "hyperfine $name"; }
        "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; print("%.2f %.2f %d" % (r["median"]*1e3, r["min"]*1e3, len(r["times"])))' "$TMP/$name.json"
    else
        local i t0 t1
        for ((i = 0; i < WARMUP; i++)); do "$@" >/dev/null || fail "$name"; done
        : >"$TMP/$name.ns"
        for ((i = 0; i < RUNS; i++)); do
            t0=$(date +%s%N); "$@" >/dev/null || fail "$name"; t1=$(date +%s%N)
            echo $((t1 - t0)) >>"$TMP/$name.ns"
        done
        "$PY" -c 'import statistics,sys; t=[int(x)/1e6 for x in open(sys.argv[1])]; print("%.2f %.2f %d" % (statistics.median(t), min(t), len(t)))' "$TMP/$name.ns"
    fi
}

# peak RSS in kB: median of 5 runs
peak_rss() {
    local i
    for i in 1 2 3 4 5; do
        /usr/bin/time -v -o "$TMP/time.txt" "$@" >/dev/null || fail "$* (exit $?)"
        awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt"
    done | sort -n | sed -n 3p
}

echo "coreml-lint loader/inspect benchmarks — $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM"
echo "timer: $([ "$HAVE_HF" = 1 ] && hyperfine --version || echo 'date +%s%N loop'), $WARMUP warm-up + $RUNS runs; python: $($PY --version 2>&1), protobuf $($PY -c 'import google.protobuf as g; print(g.__version__)') backend=$BACKEND"
echo

# ---- 1. speed: C vs Python on resnet50 --------------------------------------
read -r c_med c_min c_n < <(timeit c_r50 "$BIN" inspect --format json "$R50") || exit 1
read -r p_med p_min p_n < <(timeit py_r50 "${PEER[@]}" "$R50") || exit 1
# context for the Python figure: interpreter start + imports alone, and the
# job alone timed inside one warm interpreter (imports excluded)
read -r i_med i_min i_n < <(timeit py_imports "$PY" -c 'import sys; sys.path.insert(0, sys.argv[1]); import Model_pb2' "$TMP/pb") || exit 1
read -r w_med w_min w_n < <("${PEER[@]}" --repeat "$RUNS" "$R50") || exit 1
[ -n "${c_med:-}" ] && [ -n "${p_med:-}" ] && [ -n "${i_med:-}" ] && [ -n "${w_med:-}" ] || fail "timing"
echo "1. inspect resnet50_mlprogram_fp16_ios16.mlpackage (warm cache)"
echo "| implementation | median ms | min ms | runs |"
echo "|---|---:|---:|---:|"
echo "| coreml-lint inspect --format json (C) | $c_med | $c_min | $c_n |"
echo "| inspect_peer.py (python3 + protobuf $BACKEND) | $p_med | $p_min | $p_n |"
echo "| ↳ of which: python3 start + import Model_pb2 only | $i_med | $i_min | $i_n |"
echo "| ↳ the peer's job alone, in one warm interpreter | $w_med | $w_min | $w_n |"
ratio=$(awk -v a="$p_med" -v b="$c_med" -v c="$p_min" -v d="$c_min" 'BEGIN {printf "%.1fx (median), %.1fx (min)", a/b, c/d}')
met=$(awk -v a="$p_med" -v b="$c_med" 'BEGIN {print (a/b >= 20) ? "met" : "MISSED"}')
echo "speed-up: $ratio — target >= 20x: $met"
echo

# ---- 2. peak RSS vs weight.bin size -----------------------------------------
echo "2. peak RSS of inspect --format json (median of 5)"
echo "| model | weight.bin bytes | C peak RSS KiB | Python peak RSS KiB |"
echo "|---|---:|---:|---:|"
for m in "$R18W25" "$R18" "$R50"; do
    wb=$(stat -c %s "$m/Data/com.apple.CoreML/weights/weight.bin")
    rc=$(peak_rss "$BIN" inspect --format json "$m") || exit 1
    rp=$(peak_rss "${PEER[@]}" "$m") || exit 1
    echo "| $(basename "$m" .mlpackage) | $wb | $rc | $rp |"
done
echo

# ---- 3. whole corpus in one invocation --------------------------------------
nmodels=$("$BIN" inspect --format json "$CORPUS" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len(d) if isinstance(d, list) else 1)') ||
    fail "$BIN inspect $CORPUS"
cbytes=$(du -sb "$CORPUS" | cut -f1)
read -r k_med k_min k_n < <(timeit c_corpus "$BIN" inspect --format json "$CORPUS") || exit 1
krss=$(peak_rss "$BIN" inspect --format json "$CORPUS") || exit 1
echo "3. inspect --format json of the whole corpus directory (one invocation)"
echo "| models | corpus bytes | median ms | min ms | runs | peak RSS KiB |"
echo "|---:|---:|---:|---:|---:|---:|"
echo "| $nmodels | $cbytes | $k_med | $k_min | $k_n | $krss |"
