#!/bin/sh
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
TEST_DEPS="lua5.4 nodejs npm"
JOBS=$(nproc 2>/dev/null || echo 2)

need() {
    missing=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" = 0 ]; then
        echo "dev.sh: installing$missing" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >&2
        # shellcheck disable=SC2086
        apt-get install -y -qq --no-install-recommends $missing >&2
    else
        echo "dev.sh: missing packages:$missing (run: sudo apt-get install$missing)" >&2
        exit 2
    fi
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
    need $BUILD_DEPS $TEST_DEPS
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
