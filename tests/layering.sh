#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# layering.sh — the dependency arrows of core/ point one way:
#   cli -> host -> ir -> format, and sarif/ (the writers) -> host.
# Each file may include headers of its own layer and the layers below it,
# the public SDK (coreml-lint/...), the generated protobuf-c headers and
# system headers. Inside host/, the scheduler side (host/*.c) names no
# engine: only the engines (host/lua, host/so, host/builtin) include their
# own headers, and only cli/ (sources.c) includes an engine's.
# Usage: tests/layering.sh [SOURCE_DIR]; prints every violation, exit 1 if any.
set -u
src="${1:-${CML_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}}"
cd "$src" || exit 2
bad=0
check() { # file, allowed-prefix regex
    f=$1 allow=$2
    grep -n '^#include "' "$f" | while IFS= read -r line; do
        inc=$(printf '%s' "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
        case "$inc" in
            coreml-lint/*|*.pb-c.h) continue ;;
        esac
        # a header beside the file, by its bare name
        [ -f "$(dirname "$f")/$inc" ] && [ "${inc#*/}" = "$inc" ] && continue
        if ! printf '%s' "$inc" | grep -Eq "^($allow)"; then
            echo "$f:${line%%:*}: includes \"$inc\", above its layer"
        fi
    done
}
out=$(
    for f in core/format/*.[ch]; do check "$f" 'format/'; done
    for f in core/ir/*.[ch]; do check "$f" 'format/|ir/'; done
    for f in core/host/*.[ch]; do check "$f" 'format/|ir/|host/[a-z_]+\.h'; done
    for f in core/host/lua/*.[ch] core/host/so/*.[ch] core/host/builtin/*.[ch]; do
        d=$(basename "$(dirname "$f")")
        check "$f" "format/|ir/|host/[a-z_]+\\.h|host/$d/"
    done
    for f in sarif/*.[ch]; do check "$f" 'format/|host/[a-z_]+\.h|sarif/'; done
    for f in core/cli/*.[ch]; do check "$f" 'format/|ir/|host/|sarif/|cli/'; done
)
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    exit 1
fi
echo "layering: format <- ir <- host <- cli, sarif <- cli: no include points up"
exit 0
