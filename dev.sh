#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# dev.sh — the two set-up commands of README.md.
#
#   ./dev.sh examples   install what is missing, build, run the analyzer on
#                       the bundled examples (written by our fixture writer)
#   ./dev.sh test       install what is missing, build twice (normal and
#                       ASan+UBSan) and run the whole test suite in both
#
# Works on a fresh Debian 12 machine as root (apt-get installs what is
# missing); as another user it says which packages to install.
set -eu
cd "$(dirname "$0")"

BUILD_DEPS="build-essential cmake pkg-config protobuf-c-compiler libprotobuf-c-dev liblua5.4-dev libcjson-dev libopenblas-dev"
# for the tests, optional: luacheck lints the Lua rules; node + npm run the
# shared SARIF validator; chromium renders the HTML report (html_render);
# groff, zsh and fish check the man page and the completions (completions);
# clang reads every C file as a macOS build would (clang_c11); vim reads the
# report with docs/editors.md's errorformat (problem_matcher)
# (those tests skip, with a message, without them)
TEST_TOOLS="luacheck:lua-check npm:npm node:nodejs chromium:chromium groff:groff-base zsh:zsh fish:fish python3:python3 shellcheck:shellcheck clang:clang vim:vim-nox"
# optional libraries of those tools (PyYAML reads action.yml and the workflows)
TEST_PACKAGES="python3-yaml"
JOBS=$(nproc 2>/dev/null || echo 2)

UPDATED=""
apt_update_once() {
    [ -n "$UPDATED" ] && return 0
    UPDATED=1
    apt-get update -qq >&2 || echo "dev.sh: apt-get update failed; trying the installed package lists" >&2
}

need() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "dev.sh: installing$missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt_update_once
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >&2
    else
        echo "dev.sh: missing packages:$missing (run: sudo apt-get install$missing)" >&2
        exit 2
    fi
}

# Optional tools: install the package of each missing command; a failure
# (held packages, no registry, a node from another source already owning
# npm) is reported and the tests that need the tool skip.
want_tools() {
    for t in "$@"; do
        cmd=${t%%:*} pkg=${t#*:}
        command -v "$cmd" >/dev/null 2>&1 && continue
        if [ "$(id -u)" = 0 ]; then
            echo "dev.sh: installing $pkg (for $cmd)" >&2
            apt_update_once
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2 ||
                echo "dev.sh: could not install $pkg; the tests that need $cmd will skip" >&2
        else
            echo "dev.sh: $cmd not found (package $pkg); the tests that need it will skip" >&2
        fi
    done
}

# Optional packages that are no command: installed when possible, else the
# tests that need them skip that part.
want_packages() {
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" && continue
        if [ "$(id -u)" = 0 ]; then
            apt_update_once
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$pkg" >&2 ||
                echo "dev.sh: could not install $pkg; the tests that use it skip that part" >&2
        else
            echo "dev.sh: $pkg is not installed; the tests that use it skip that part" >&2
        fi
    done
}

build() { # dir, extra cmake args...
    dir=$1; shift
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS"
}

case "${1:-}" in
examples)
    # shellcheck disable=SC2086
    need $BUILD_DEPS
    build build
    echo "== coreml-lint inspect build/examples/tiny_mlprogram.mlpackage"
    ./build/coreml-lint inspect build/examples/tiny_mlprogram.mlpackage
    echo "== coreml-lint check build/examples (exit code 1 = findings at error level: the broken models)"
    ./build/coreml-lint check build/examples || [ $? -eq 1 ]
    ;;
test)
    # shellcheck disable=SC2086
    need $BUILD_DEPS
    # shellcheck disable=SC2086
    want_tools $TEST_TOOLS
    # shellcheck disable=SC2086
    want_packages $TEST_PACKAGES
    build build -DCML_WERROR=ON
    (cd build && ctest -j "$JOBS" --output-on-failure)
    build build-asan -DCML_WERROR=ON -DCML_SANITIZE=ON
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest -j "$JOBS" --output-on-failure -LE nosan)
    ;;
*)
    echo "usage: ./dev.sh examples | test" >&2
    exit 2
    ;;
esac
