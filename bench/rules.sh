#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench/rules.sh — the rule host's cost on top of loading: resnet50
# (51 MB of weights) loaded alone (`inspect`), checked with every bundled
# rule (weight-streaming ones included), with only the Lua rules, and with a
# Lua rule that walks every op; all on one core (taskset -c 0).
#   bench/rules.sh [CORPUS_DIR] [BINARY]
set -eu
corpus="${1:-../shared/corpus}"
bin="${2:-build/coreml-lint}"
model="$corpus/resnet50_mlprogram_fp16_ios16.mlpackage"
[ -d "$model" ] || { echo "bench/rules.sh: $model not found" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/rules.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
one="taskset -c 0"
hyperfine -N -i --warmup "${WARMUP:-5}" --runs "${RUNS:-50}" --export-markdown /tmp/cml-rules-bench.md \
  -n "inspect (load + IR + passes)" "$one $bin inspect --format json $model" \
  -n "check, every bundled rule" "$one $bin check --no-config $model" \
  -n "check, one builtin rule enabled (registry only)" "$one $bin check --no-config --disable '*/*' --enable load/spec-version $model" \
  -n "check, every rule but the two weight scans" "$one $bin check --no-config --disable numerics/fp16-overflow --disable compress/pruning-sparsity $model" \
  -n "cat weight.bin (reading the 51 MB once)" "$one cat $model/Data/com.apple.CoreML/weights/weight.bin" \
  -n "check, Lua rules only" "$one $bin check --no-config --disable '*/*' --enable 'meta/*' --enable 'custom/*' --enable 'shapes/*' --enable 'numerics/small-epsilon' --enable 'io/*' --enable 'determinism/*' --enable 'preprocess/*' --enable 'compat/empty-input' --enable 'compat/encrypted' --enable 'size/first-load' $model" \
  -n "check, one Lua rule walking every op" "$one $bin check --no-config --disable '*/*' --rules-dir $here/lua --enable 'lua/op-walk' $model"
cat /tmp/cml-rules-bench.md
