#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# layering.sh — the dependency arrows of core/ point one way:
#   cli -> host -> ir -> format, and sarif/ (the writers) -> host.
# Each file may include headers of its own layer and the layers below it,
# the public SDK (coreml-lint/...), the generated protobuf-c headers and
# system headers. Inside host/, the scheduler side (host/*.c) names no
# engine: each engine is a folder host/NAME/ (every one found, so a new
# engine is checked without an edit here) that includes only its own
# headers, and only cli/ (sources.c) includes an engine's.
# Usage: tests/layering.sh [SOURCE_DIR]; prints every violation, exit 1 if any.
#        tests/layering.sh --self-test: the checker finds what it must in a
#        scratch tree (an upward include, one indented, a new engine folder's).
set -u
if [ "${1:-}" = "--self-test" ]; then
    t=$(mktemp -d) || exit 2
    trap 'rm -rf "$t"' EXIT
    mkdir -p "$t/core/format" "$t/core/ir" "$t/core/host/newengine" "$t/core/cli" "$t/sarif"
    printf '#include "ir/ir.h"\n' > "$t/core/format/a.c"                     # format -> ir: up
    printf '#include "host/lua/engine.h"\n' > "$t/core/host/run.c"            # scheduler -> engine
    printf '  #  include "cli/cli.h"\n#include "host/newengine/e.h"\n' > "$t/core/host/newengine/e.c"
    printf '#include "host/lua/engine.h"\n#include "format/x.h"\n' > "$t/core/cli/sources.c"   # allowed
    printf '#include "format/x.h"\n#include "host/run.h"\n' > "$t/core/ir/b.c"   # ir -> host: up
    out=$(sh "$0" "$t")
    rc=$?
    want="core/format/a.c:1: includes \"ir/ir.h\", above its layer
core/ir/b.c:2: includes \"host/run.h\", above its layer
core/host/run.c:1: includes \"host/lua/engine.h\", above its layer
core/host/newengine/e.c:1: includes \"cli/cli.h\", above its layer"
    if [ "$rc" -ne 1 ] || [ "$out" != "$want" ]; then
        printf 'layering self-test: exit %s, found:\n%s\nwanted:\n%s\n' "$rc" "$out" "$want"
        exit 1
    fi
    echo "layering self-test: the four planted upward includes were found"
    exit 0
fi
src="${1:-${CML_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}}"
cd "$src" || exit 2
bad=0
check() { # file, allowed-prefix regex
    f=$1 allow=$2
    [ -f "$f" ] || return 0   # an unmatched glob
    # "# include" and "  #include" are includes too
    grep -En '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | while IFS= read -r line; do
        inc=$(printf '%s' "$line" | sed 's/^[^"]*"\([^"]*\)".*/\1/')
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
    for f in core/host/*.[ch]; do check "$f" 'format/|ir/|host/[a-z_]+\.(h|def)'; done
    for f in core/host/*/*.[ch]; do
        d=$(basename "$(dirname "$f")")
        check "$f" "format/|ir/|host/[a-z_]+\\.(h|def)|host/$d/"
    done
    for f in sarif/*.[ch]; do check "$f" 'format/|host/[a-z_]+\.(h|def)|sarif/'; done
    for f in core/cli/*.[ch]; do check "$f" 'format/|ir/|host/|sarif/|cli/'; done
)
if [ -n "$out" ]; then
    printf '%s\n' "$out"
    exit 1
fi
echo "layering: format <- ir <- host <- cli, sarif <- cli: no include points up"
exit 0
