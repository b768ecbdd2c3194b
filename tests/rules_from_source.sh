#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# rules_from_source.sh BUILD_DIR SOURCE_DIR — the bundled Lua rules report
# exactly the same whether they run from the chunks the build compiled
# (core/host/lua/bytecode.h) or are compiled from their text
# (CML_RULES_FROM_SOURCE=1): the examples and broken examples the build
# writes, the real-world fixtures, and the corpus when CML_CORPUS_DIR is
# there. Same report bytes, same exit status.
set -eu
bin=$1/coreml-lint
src=$2
[ -x "$bin" ] || { echo "rules_from_source.sh: no $bin" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cml-rfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
set -- "$1/examples" "$src/tests/data/realworld"
if [ -n "${CML_CORPUS_DIR:-}" ] && [ -d "$CML_CORPUS_DIR" ]; then set -- "$@" "$CML_CORPUS_DIR"; fi
fail=0
for d in "$@"; do
    [ -d "$d" ] || { echo "rules_from_source.sh: no $d" >&2; exit 1; }
    a=0; b=0
    "$bin" check --no-config --format json "$d" >"$tmp/pre.json" 2>"$tmp/pre.err" || a=$?
    CML_RULES_FROM_SOURCE=1 "$bin" check --no-config --format json "$d" >"$tmp/src.json" 2>"$tmp/src.err" || b=$?
    if [ "$a" != "$b" ] || ! cmp -s "$tmp/pre.json" "$tmp/src.json" || ! cmp -s "$tmp/pre.err" "$tmp/src.err"; then
        echo "FAIL $d: precompiled (exit $a) and from source (exit $b) differ" >&2
        diff "$tmp/pre.json" "$tmp/src.json" | head -20 >&2 || true
        fail=1
    else
        n=$(grep -c '"rule":' "$tmp/pre.json" || true)
        echo "ok   $d: same report ($n findings), exit $a"
    fi
done
exit $fail
