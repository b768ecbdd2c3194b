#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh — the action's check step: one `coreml-lint check --format sarif`
# run for code scanning, then the same check as Markdown appended to
# $GITHUB_STEP_SUMMARY (and, when asked, as annotations in the log). The
# step itself always succeeds; its outputs say what happened
# (sarif-file=..., exit-code=...) and the action's last step fails the job
# by fail-on, after the upload.
# Environment: COREML_LINT (the executable; default from PATH), INPUT_PATHS,
# INPUT_TARGET, INPUT_FAIL_ON, INPUT_CONFIG, INPUT_ARGS, INPUT_SARIF_FILE,
# INPUT_SUMMARY, INPUT_ANNOTATIONS, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY.
set -uo pipefail
bin=${COREML_LINT:-coreml-lint}
out() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1" >> "$GITHUB_OUTPUT"; return 0; }
# fail-on: unset, the configuration's fail_on decides (else error): passing
# a default here overrode a committed "fail_on": "warning" and let the job pass
args=()
fail_on=${INPUT_FAIL_ON:-}
case $fail_on in
"") ;;
note | warning | error) args+=(--fail-on "$fail_on") ;;
never) ;;   # result.sh passes the step on exit 1; tool errors still fail it
*)
    echo "::error::fail-on must be note, warning, error or never, not '$fail_on'"
    out "exit-code=2"
    exit 0
    ;;
esac
[ -n "${INPUT_TARGET:-}" ] && args+=(--target "$INPUT_TARGET")
[ -n "${INPUT_CONFIG:-}" ] && args+=(--config "$INPUT_CONFIG")
# args: separated by spaces or newlines (a YAML "args: |" block); read -a
# alone stopped at the first line and dropped the rest (--rules-dir,
# --fail-on...) without a word
extra=()
while IFS= read -r line; do
    read -r -a words <<< "$line"
    extra+=("${words[@]}")
done <<< "${INPUT_ARGS:-}"
# paths: one per line when the input has several lines (names with spaces),
# else separated by spaces
paths=()
if [[ ${INPUT_PATHS:-} == *$'\n'* ]]; then
    while IFS= read -r p; do [ -n "$p" ] && paths+=("$p"); done <<< "$INPUT_PATHS"
else
    read -r -a paths <<< "${INPUT_PATHS:-.}"
fi
[ ${#paths[@]} -gt 0 ] || paths=(.)
sarif=${INPUT_SARIF_FILE:-${RUNNER_TEMP:-.}/coreml-lint.sarif}
case $sarif in -*) sarif=./$sarif ;; esac   # a name that reads as an option
mkdir -p -- "$(dirname -- "$sarif")"
rm -f -- "$sarif"

echo "coreml-lint check ${args[*]} ${extra[*]} ${paths[*]}"
"$bin" check "${args[@]}" "${extra[@]}" --format sarif -o "$sarif" "${paths[@]}"
rc=$?
if [ -s "$sarif" ]; then out "sarif-file=$sarif"; else out "sarif-file="; fi
out "exit-code=$rc"

if [ "${INPUT_SUMMARY:-true}" = true ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ $rc -le 1 ]; then
    "$bin" check "${args[@]}" "${extra[@]}" --quiet --format markdown "${paths[@]}" >> "$GITHUB_STEP_SUMMARY"
fi
if [ "${INPUT_ANNOTATIONS:-false}" = true ] && [ $rc -le 1 ]; then
    "$bin" check "${args[@]}" "${extra[@]}" --quiet --format github "${paths[@]}"
fi
exit 0
