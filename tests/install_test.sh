#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# install_test.sh — an install works wherever it lands. `cmake --install`
# the build into a temporary prefix, move the whole prefix elsewhere, and
# the moved tool must list exactly the rules the build tree lists (every
# bundled Lua rule and plugin, found relative to the executable), report
# their folders inside the moved prefix in --version, and check a model.
# Then the same through DESTDIR staging (as packagers do): a prefix of
# /opt/coreml-lint staged under a temporary folder.
# Arguments: CMAKE_COMMAND BUILD_DIR.
set -u
CMAKE=$1
B=$2
T=$(mktemp -d /tmp/cml-install-XXXXXX)
T=$(cd "$T" && pwd -P)
trap 'rm -rf "$T"' EXIT
unset CML_RULES_DIR CML_PLUGIN_DIR
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$B/coreml-lint" rules --no-config > "$T/want.txt" 2> "$T/want.err" || bad "rules in the build tree failed: $(cat "$T/want.err")"
n_want=$(wc -l < "$T/want.txt")
[ "$n_want" -ge 50 ] || bad "the build tree lists only $n_want rules"

# one installed tree: the same rules as the build, folders under its prefix
check_tree() { # label, prefix
    bin=$2/bin/coreml-lint
    [ -x "$bin" ] || { bad "$1: $bin is not installed"; return; }
    "$bin" rules --no-config > "$T/got.txt" 2> "$T/got.err" || bad "$1: rules failed: $(cat "$T/got.err")"
    if ! cmp -s "$T/want.txt" "$T/got.txt"; then
        bad "$1: lists $(wc -l < "$T/got.txt") rules, the build tree $n_want:"
        diff "$T/want.txt" "$T/got.txt" | head -20
    fi
    [ -s "$T/got.err" ] && bad "$1: rules complained: $(head -3 "$T/got.err")"
    "$bin" --version > "$T/version.txt" || bad "$1: --version failed"
    grep -q "^rules:   $2/share/coreml-lint/rules\$" "$T/version.txt" ||
        bad "$1: bundled rules not found inside the prefix: $(cat "$T/version.txt")"
    grep -q "^plugins: $2/lib[^ ]*/coreml-lint\$" "$T/version.txt" ||
        bad "$1: bundled plugins not found inside the prefix: $(cat "$T/version.txt")"
    # the man page and the completions, generated from the flag table
    for f in share/man/man1/coreml-lint.1 share/bash-completion/completions/coreml-lint \
             share/zsh/site-functions/_coreml-lint share/fish/vendor_completions.d/coreml-lint.fish; do
        [ -s "$2/$f" ] || bad "$1: $f is not installed"
    done
    # what docs/lua-rules.md and README.md start a rule author from, beside the installed pages
    for f in docs/lua-rules.md rules/_template.lua rules/.luacheckrc examples/house-rules/model-size-budget.lua \
             plugins/_template/README.md plugins/_template/my_rule.c; do
        [ -s "$2/share/doc/coreml-lint/$f" ] || bad "$1: share/doc/coreml-lint/$f is not installed"
    done
    # every relative link of the installed pages leads to an installed file
    D=$2/share/doc/coreml-lint
    for md in "$D"/README.md $(find "$D/docs" -name '*.md'); do
        for l in $(grep -o '](\([^)#[:space:]]*\)' "$md" | sed 's/^](//' | grep -v -E '^(https?:|mailto:|$)'); do
            [ -e "$(dirname "$md")/$l" ] || bad "$1: ${md#"$D"/} links to $l, which is not installed"
        done
    done
    # every installed header compiles on its own as C11, pedantic, warnings
    # as errors (child.h and realpath.h with the feature levels they document)
    for h in "$2"/include/coreml-lint/*.h; do
        n=$(basename "$h")
        d=
        case "$n" in child.h) d=-D_POSIX_C_SOURCE=200809L ;; realpath.h) d=-D_XOPEN_SOURCE=700 ;; esac
        printf '#include <coreml-lint/%s>\nint cml_header_check_;\n' "$n" |
            ${CC:-cc} -std=c11 -Wall -Wextra -pedantic -Werror $d -I"$2/include" -x c -c - -o /dev/null \
                > "$T/hdr.err" 2>&1 || bad "$1: $n does not compile on its own: $(head -5 "$T/hdr.err")"
    done
    model=$B/examples/tiny_mlprogram.mlpackage
    if [ -d "$model" ]; then
        "$bin" check --no-config --format json "$model" > "$T/check.json" 2> "$T/check.err"
        rc=$?
        [ $rc -le 1 ] || bad "$1: check exited $rc: $(cat "$T/check.err")"
        grep -q '"rule":[[:space:]]*"meta/missing-metadata"' "$T/check.json" ||
            bad "$1: check did not run the bundled Lua rules"
        grep -q 'bundled-missing' "$T/check.json" "$T/check.err" && bad "$1: check says bundled folders are missing"
    fi
    [ $fail -eq 0 ] && echo "ok   $1: $n_want rules, $(head -1 "$T/version.txt")"
}

"$CMAKE" --install "$B" --prefix "$T/first" > "$T/install.log" 2>&1 || { cat "$T/install.log"; bad "cmake --install failed"; exit 1; }
mv "$T/first" "$T/moved"
check_tree "moved prefix" "$T/moved"

DESTDIR="$T/stage" "$CMAKE" --install "$B" --prefix /opt/coreml-lint > "$T/install.log" 2>&1 ||
    { cat "$T/install.log"; bad "DESTDIR install failed"; exit 1; }
check_tree "DESTDIR staging" "$T/stage/opt/coreml-lint"

# the executable copied away from its install, where no plugin folder can be
# found (unless one is installed at the build's own prefix): the run says so
# instead of quietly running without the plugins' rules
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$B/CMakeCache.txt")
lib=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$B/CMakeCache.txt")
case $lib in /*) libdir=$lib/coreml-lint ;; *) libdir=$prefix/${lib:-lib}/coreml-lint ;; esac
model=$B/examples/tiny_mlprogram.mlpackage
if [ -d "$model" ] && [ ! -d "$libdir" ]; then
    mkdir -p "$T/alone" && cp "$B/coreml-lint" "$T/alone/"
    "$T/alone/coreml-lint" check --no-config "$model" > "$T/alone.out" 2> "$T/alone.err"
    grep -q 'the bundled plugins were not found' "$T/alone.out" "$T/alone.err" ||
        bad "an executable without its plugins did not warn: $(cat "$T/alone.out" "$T/alone.err" | tail -3)"
    CML_PLUGIN_DIR= "$T/alone/coreml-lint" check --no-config "$model" > "$T/alone.out" 2>&1
    grep -q 'bundled-missing\|were not found' "$T/alone.out" && bad "CML_PLUGIN_DIR= (none) still warned"
fi
exit $fail
