#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# campaign.sh — one fuzzing campaign over the libFuzzer targets of
# tests/fuzz/ (see README.md there), seeded from the build's generated
# models: the examples, the rule fixtures, the hostile models of the
# security fixtures (nesting bombs, hostile strings) and the regression
# corpus. Prints one line of figures per target; crashes, hangs (-timeout)
# and leaks land in $work/<target>/ as crash-*, timeout-*, leak-*: copy them
# to tests/fuzz/regress/<target>/ so that ctest replays them from then on.
#
#   tests/fuzz/campaign.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs build-fuzz (CC=clang cmake -DCML_FUZZ=ON, targets fuzz_*) and build
# (a normal build: examples, rule-fixtures, security-fixtures, plugins).
# Override with CML_FUZZ_BUILD, CML_BUILD_DIR, CML_FUZZ_WORK.
set -eu
secs=${1:-180}
[ $# -gt 0 ] && shift
src=$(cd "$(dirname "$0")/../.." && pwd)
fz=${CML_FUZZ_BUILD:-$src/build-fuzz}
b=${CML_BUILD_DIR:-$src/build}
work=${CML_FUZZ_WORK:-$fz/campaign}
targets=${*:-"fuzz_config fuzz_blob fuzz_miltext fuzz_model fuzz_check fuzz_probe"}
reg=$src/tests/fuzz/regress
fixtures="$b/examples $b/rule-fixtures $b/security-fixtures"
sep() { printf '\n=CML=\n\000'; }   # fuzz_check's part separator (8 bytes)

seed() { # target seeds-dir (sh has no locals: sd, i are this function's)
    sd=$2 i=0
    mkdir -p "$sd"
    case $1 in
    fuzz_config)
        cp "$src/examples/.coreml-lint.json" "$sd/example.json"
        ;;
    fuzz_blob)
        find $fixtures -name weight.bin -type f | while read -r f; do i=$((i + 1)); cp "$f" "$sd/w$i"; done
        ;;
    fuzz_miltext)
        find $fixtures -name model.mil -type f | while read -r f; do i=$((i + 1)); cp "$f" "$sd/m$i"; done
        ;;
    fuzz_model)
        find $fixtures \( -name '*.mlmodel' -o -name model.mlmodel \) -type f -size -2048k |
            while read -r f; do i=$((i + 1)); cp "$f" "$sd/s$i"; done
        ;;
    fuzz_probe)
        find $fixtures -name '*.mlmodel' -type f -size -1024k | while read -r f; do
            i=$((i + 1)); { printf '\000'; cat "$f"; } >"$sd/s$i"; done
        find $fixtures -name model.mil -type f -size -1024k | while read -r f; do
            i=$((i + 1)); { printf '\001'; cat "$f"; } >"$sd/m$i"; done
        ;;
    fuzz_check)
        find $fixtures -name '*.mlpackage' -type d | while read -r p; do
            i=$((i + 1))
            {
                cat "$p/Manifest.json" 2>/dev/null || true; sep
                cat "$p/Data/com.apple.CoreML/model.mlmodel" 2>/dev/null || true; sep
                cat "$p/Data/com.apple.CoreML/weights/weight.bin" 2>/dev/null || true
            } >"$sd/p$i"
        done
        ;;
    esac
    [ -d "$reg/$1" ] && cp "$reg/$1"/* "$sd/" 2>/dev/null || true
}

printf '%-13s %8s %10s %8s %8s %8s %s\n' target seconds execs exec/s cov ft findings
for t in $targets; do
    bin=$fz/tests/$t
    [ -x "$bin" ] || { echo "$t: $bin not built (CC=clang cmake -DCML_FUZZ=ON)" >&2; continue; }
    d=$work/$t
    mkdir -p "$d/corpus"
    rm -rf "$d/seeds"
    seed "$t" "$d/seeds"
    log=$d/log.txt
    OPENBLAS_NUM_THREADS=1 CML_PLUGIN_DIR=$b/plugins CML_SOURCE_DIR=$src ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
        "$bin" -max_total_time="$secs" -timeout=30 -rss_limit_mb=3072 -max_len=1048576 -print_final_stats=1 \
        -artifact_prefix="$d/" "$d/corpus" "$d/seeds" >"$log" 2>&1 || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    found=$(find "$d" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'leak-*' -o -name 'oom-*' \) | wc -l)
    printf '%-13s %8s %10s %8s %8s %8s %s\n' "$t" "$secs" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "$found"
done
