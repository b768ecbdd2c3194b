#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# install.sh — the action's first step: find coreml-lint, or build it from
# the action's own source (the repository at the ref the workflow named) into
# $RUNNER_TEMP, installing the build dependencies with apt (Debian, Ubuntu)
# or Homebrew (macOS). Writes the executable's path to $GITHUB_OUTPUT
# (coreml-lint=...) and its folder to $GITHUB_PATH.
# Environment: INPUT_BUILD (auto|always|never), GITHUB_ACTION_PATH,
# RUNNER_TEMP, GITHUB_OUTPUT, GITHUB_PATH.
set -euo pipefail
mode=${INPUT_BUILD:-auto}
src=${GITHUB_ACTION_PATH:?}
temp=${RUNNER_TEMP:-/tmp}
out() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1" >> "$GITHUB_OUTPUT"; return 0; }

case $mode in auto | always | never) ;; *) echo "::error::build must be auto, always or never, not '$mode'"; exit 2 ;; esac
if [ "$mode" != always ] && command -v coreml-lint > /dev/null 2>&1; then
    bin=$(command -v coreml-lint)
    echo "Using $bin: $("$bin" --version | head -1)"
    out "coreml-lint=$bin"
    exit 0
fi
if [ "$mode" = never ]; then
    echo "::error::coreml-lint is not on PATH and build is 'never'"
    exit 2
fi

prefix=$temp/coreml-lint
build=$temp/coreml-lint-build
if [ -x "$prefix/bin/coreml-lint" ]; then
    echo "Using the coreml-lint built earlier in this job"
else
    echo "::group::Build dependencies"
    case "$(uname -s)" in
    Linux)
        sudo=""
        [ "$(id -u)" = 0 ] || sudo=sudo
        $sudo apt-get update -qq
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends build-essential \
            cmake pkg-config protobuf-c-compiler libprotobuf-c-dev liblua5.4-dev libcjson-dev libopenblas-dev
        ;;
    Darwin)
        brew install protobuf-c cjson lua@5.4 pkgconf cmake || true
        lua54=$(brew --prefix lua@5.4)
        export PKG_CONFIG_PATH="$lua54/lib/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
        ;;
    *) echo "::error::no build recipe for $(uname -s); install coreml-lint first and set build: never"; exit 2 ;;
    esac
    echo "::endgroup::"
    echo "::group::Build coreml-lint"
    jobs=$(getconf _NPROCESSORS_ONLN 2> /dev/null || echo 2)
    cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCML_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX="$prefix"
    cmake --build "$build" -j "$jobs"
    cmake --install "$build"
    echo "::endgroup::"
fi
bin=$prefix/bin/coreml-lint
"$bin" --version
[ -n "${GITHUB_PATH:-}" ] && echo "$prefix/bin" >> "$GITHUB_PATH"
out "coreml-lint=$bin"
