#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sarif_all.sh — every kind of SARIF the tool writes passes the shared
# validator (SARIF 2.1.0 schema + GitHub code-scanning ingestion rules):
# all bundled rules over the examples and the broken models, over the rule
# fixtures, over the real corpus (with a deployment target, so compat rules
# fire), and a run with the hostile Lua rules, whose failures become
# toolExecutionNotifications. Skips (77) like sarif_validate.sh when the
# validator or npm is unavailable.
#
#   CML_BUILD_DIR=build CML_SOURCE_DIR=. CML_CORPUS_DIR=../shared/corpus tests/sarif_all.sh
set -u
build="${CML_BUILD_DIR:?}"
src="${CML_SOURCE_DIR:?}"
corpus="${CML_CORPUS_DIR:-}"
bin="$build/coreml-lint"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

run() { # name, args...
    name=$1; shift
    "$bin" check --no-config --format sarif -o "$tmp/$name.sarif" "$@" 2>"$tmp/$name.err"
    rc=$?
    if [ $rc -gt 1 ]; then
        echo "FAIL: coreml-lint check $* exited $rc"; cat "$tmp/$name.err"; exit 1
    fi
    files="$files $tmp/$name.sarif"
}

files=""
run examples "$build/examples"
run rule-fixtures "$build/rule-fixtures"
run hostile --keep-going --rules-dir "$src/tests/lua/hostile" "$build/examples/tiny_convnet_nn.mlmodel" \
    "$build/examples/tiny_mlprogram.mlpackage"
if [ -n "$corpus" ] && [ -f "$corpus/manifest.json" ]; then
    run corpus --target iOS16 "$corpus"
else
    echo "note: corpus not found; the corpus SARIF is not validated"
fi
# the hostile run must carry its notifications
grep -q '"toolExecutionNotifications"' "$tmp/hostile.sarif" || { echo "FAIL: no notifications in hostile run"; exit 1; }
# shellcheck disable=SC2086
sh "$src/tests/sarif_validate.sh" $files
