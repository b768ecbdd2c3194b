#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# html_render.sh — `--format html` as a browser shows it. The built binary
# writes three reports: `check` over the bundled examples, `probe` on two
# models (latency, slowest ops and fp16 divergence charts) and `compare` of
# a model with itself. Each must be one self-contained file (no script, no
# external resource) holding its sections and inline SVG charts; then
# headless Chromium renders it: the screenshot must be a real PNG of a drawn
# page (kept in $CML_BUILD_DIR/html-report/ for people to look at) and the
# browser's console must stay empty (a Content Security Policy violation,
# a script error or a failed load would be logged there).
# Skips (exit 77) with a message when Chromium is not installed
# (Debian: apt-get install chromium; ./dev.sh test installs it).
set -u
B=${CML_BUILD_DIR:?CML_BUILD_DIR is not set (run through ctest)}
BIN=$B/coreml-lint
CHROME=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$CHROME" ]; then
    echo "SKIP: chromium not found (Debian: apt-get install chromium; ./dev.sh test installs it)"
    exit 77
fi
[ -x "$BIN" ] || { echo "FAIL: $BIN is not built"; exit 1; }
T=$(mktemp -d /tmp/cml-html-XXXXXX)
trap 'rm -rf "$T"' EXIT
SHOTS=$B/html-report
mkdir -p "$SHOTS"
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# ---- the reports -------------------------------------------------------------
"$BIN" check --no-config --format html -o "$T/check.html" "$B/examples" 2> "$T/check.err"
rc=$?
[ $rc -le 1 ] || bad "check --format html exited $rc: $(cat "$T/check.err")"
reports="check"
TINY=$B/examples/tiny_mlprogram.mlpackage
OVER=$B/rule-fixtures/probe/fire_overflow.mlpackage
if [ -f "$B/plugins/runtime-probe.so" ]; then
    "$BIN" probe --no-config --runs 2 --format html -o "$T/probe.html" "$TINY" "$OVER" 2> "$T/probe.err"
    rc=$?
    [ $rc -le 1 ] || bad "probe --format html exited $rc: $(cat "$T/probe.err")"
    "$BIN" compare --no-config --runs 2 --format html -o "$T/compare.html" "$TINY" "$TINY" 2> "$T/compare.err"
    rc=$?
    [ $rc -le 1 ] || bad "compare --format html exited $rc: $(cat "$T/compare.err")"
    reports="check probe compare"
else
    echo "note: no runtime-probe plugin in this build; the probe and compare reports are not rendered"
fi

# ---- what the files hold ------------------------------------------------------
has() { # file, fixed string
    grep -qF -- "$2" "$1" || bad "$(basename "$1") lacks '$2'"
}
for r in $reports; do
    f=$T/$r.html
    [ -s "$f" ] || { bad "$r.html was not written"; continue; }
    if grep -qiE '<script|<link|<img|<iframe|src="|url\(' "$f"; then
        bad "$r.html loads or runs something: $(grep -oiE '.{0,30}(<script|<link|<img|<iframe|src="|url\().{0,30}' "$f" | head -1)"
    fi
    has "$f" "default-src 'none'"
    has "$f" "<svg"
    has "$f" "Compute units (estimate)"
    has "$f" "<h3>Ops</h3>"
    has "$f" "<h3>Interface</h3>"
    has "$f" "minimum OS"
done
has "$T/check.html" "<h3>Findings</h3>"
has "$T/check.html" "tiny_compressed.mlpackage"
if [ "$reports" != check ]; then
    has "$T/probe.html" "Latency per prediction, per mode"
    has "$T/probe.html" "Slowest ops (fp32, per prediction)"
    has "$T/probe.html" "fp16 divergence per op"
    has "$T/compare.html" "Compared with its baseline"
fi

# ---- rendered by Chromium ---------------------------------------------------------
sandbox=""
[ "$(id -u)" = 0 ] && sandbox="--no-sandbox"
for r in $reports; do
    png=$SHOTS/$r.png
    rm -f "$png"
    # shellcheck disable=SC2086
    timeout 120 "$CHROME" --headless $sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$T/profile-$r" --enable-logging=stderr --v=0 --window-size=1200,2400 \
        --screenshot="$png" "file://$T/$r.html" > "$T/$r.chrome" 2>&1
    rc=$?
    [ $rc -eq 0 ] || bad "chromium exited $rc on $r.html: $(tail -n 3 "$T/$r.chrome")"
    if [ ! -s "$png" ]; then
        bad "no screenshot of $r.html"
        continue
    fi
    magic=$(od -An -c -N4 "$png" | tr -d ' ')
    [ "$magic" = "211PNG" ] || bad "$r.png is not a PNG ($magic)"
    size=$(wc -c < "$png")
    # a blank 1200x2400 page compresses to a few kB; a drawn report is far larger
    [ "$size" -gt 20000 ] || bad "$r.png is only $size bytes: the page looks empty"
    if grep -q "CONSOLE" "$T/$r.chrome"; then
        bad "console messages on $r.html:"
        grep "CONSOLE" "$T/$r.chrome" | head -5
    fi
    [ $fail -eq 0 ] && echo "ok   $r.html rendered ($size bytes of PNG, console empty): $png"
done
cp "$T"/*.html "$SHOTS"/ 2>/dev/null
exit $fail
