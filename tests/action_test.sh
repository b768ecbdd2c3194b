#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# action_test.sh — the GitHub Action (action.yml, action/*.sh) run the way
# the runner runs it: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, GITHUB_PATH,
# RUNNER_TEMP and the INPUT_* variables set, the built tool on PATH.
#  - install.sh finds coreml-lint on PATH (build: auto), refuses a missing
#    one with build: never;
#  - run.sh writes the SARIF report and its outputs (exit-code 1 for the
#    examples' findings), appends the Markdown summary to the job summary,
#    takes paths one per line, and reports a missing path as exit-code 2
#    without a summary or SARIF;
#  - run.sh leaves fail-on to the configuration when the input is unset;
#  - result.sh fails the step by the exit code, except fail-on: never;
#  - action.yml's steps use only inputs it declares and scripts that exist,
#    and the workflows and .pre-commit-hooks.yaml are valid YAML; the
#    pre-commit hook's pattern keeps model files (those inside packages too)
#    and its entry, given three files of one package and a plain model as
#    pre-commit would, checks two models (with PyYAML; shellcheck lints the
#    scripts when installed).
# Arguments: SOURCE_DIR BUILD_DIR.
set -u
S=$1 B=$2
T=$(mktemp -d /tmp/cml-action-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v bash > /dev/null 2>&1 || { echo "SKIP: bash not found"; exit 77; }
MODEL=$B/examples/tiny_mlprogram.mlpackage
[ -d "$MODEL" ] || { echo "SKIP: the fixture writer's examples are missing"; exit 77; }

export GITHUB_ACTION_PATH="$S" RUNNER_TEMP="$T/runner" GITHUB_OUTPUT="$T/output" GITHUB_STEP_SUMMARY="$T/summary.md"
export GITHUB_PATH="$T/path"
mkdir -p "$RUNNER_TEMP"
output() { grep "^$1=" "$GITHUB_OUTPUT" | tail -1 | cut -d= -f2-; }

# ---- install.sh ------------------------------------------------------------------------
: > "$GITHUB_OUTPUT"
PATH="$B:$PATH" INPUT_BUILD=auto bash "$S/action/install.sh" > "$T/install.log" 2>&1 || bad "install.sh (auto) failed: $(cat "$T/install.log")"
[ "$(output coreml-lint)" = "$B/coreml-lint" ] || bad "install.sh did not pick the coreml-lint on PATH: $(cat "$GITHUB_OUTPUT")"
env -i PATH=/usr/bin:/bin HOME="$T" GITHUB_ACTION_PATH="$S" RUNNER_TEMP="$RUNNER_TEMP" INPUT_BUILD=never \
    bash "$S/action/install.sh" > "$T/never.log" 2>&1
[ $? -eq 2 ] || bad "install.sh with build: never and no coreml-lint should exit 2"
grep -q "::error::" "$T/never.log" || bad "install.sh did not say why as an ::error::"

# ---- run.sh: findings --------------------------------------------------------------------
: > "$GITHUB_OUTPUT"
: > "$GITHUB_STEP_SUMMARY"
(cd "$T" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="$MODEL $B/examples/broken/empty.mlmodel" INPUT_FAIL_ON=error \
    INPUT_SARIF_FILE=reports/coreml-lint.sarif INPUT_SUMMARY=true INPUT_ARGS="--no-config" \
    bash "$S/action/run.sh" > "$T/run.log" 2>&1) || bad "run.sh failed: $(cat "$T/run.log")"
[ "$(output exit-code)" = 1 ] || bad "exit-code is '$(output exit-code)', wanted 1 (the empty model is an error)"
[ "$(output sarif-file)" = reports/coreml-lint.sarif ] || bad "sarif-file is '$(output sarif-file)'"
python3 - "$T/reports/coreml-lint.sarif" << 'PY' || bad "the SARIF report is not what code scanning takes"
import json, sys
d = json.load(open(sys.argv[1]))
run = d["runs"][0]
assert d["version"] == "2.1.0" and run["tool"]["driver"]["name"] == "coreml-lint"
ids = {r["ruleId"] for r in run["results"]}
assert "load/protobuf-corrupt" in ids and "meta/missing-metadata" in ids, ids
assert all(r.get("helpUri", "").endswith(r["id"] + ".md") for r in run["tool"]["driver"]["rules"])
PY
# the heading and one row per model, with the counts of the SARIF run
grep -qE "^### coreml-lint: 1 error, [0-9]+ warnings?, [0-9]+ notes? in 2 models" "$GITHUB_STEP_SUMMARY" ||
    bad "the job summary lacks the heading: $(head -3 "$GITHUB_STEP_SUMMARY")"
n_tiny=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"]; print(sum(1 for x in r if "tiny_mlprogram" in x["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]))' "$T/reports/coreml-lint.sarif")
grep -qE "tiny\\\\_mlprogram.mlpackage \\| 0 \\| [0-9]+ \\| [0-9]+ \\|" "$GITHUB_STEP_SUMMARY" || bad "the job summary lacks the model's row"
row=$(grep "tiny\\\\_mlprogram.mlpackage |" "$GITHUB_STEP_SUMMARY" | head -1)
sum=$(echo "$row" | awk -F'|' '{print $3 + $4 + $5}')
[ "$sum" = "$n_tiny" ] || bad "the summary row counts $sum findings, the SARIF report $n_tiny: $row"

# paths one per line (a name with a space), fail-on never
mkdir -p "$T/my models"
cp "$B/examples/tiny_image_nn.mlmodel" "$T/my models/"
: > "$GITHUB_OUTPUT"
(cd "$T" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="my models
$MODEL" INPUT_FAIL_ON=never INPUT_SARIF_FILE=two.sarif INPUT_SUMMARY=false INPUT_ARGS="--no-config" \
    bash "$S/action/run.sh" > "$T/run2.log" 2>&1)
grep -q "my%20models/tiny_image_nn.mlmodel" "$T/two.sarif" 2> /dev/null || bad "paths one per line: the model in 'my models' was not checked"
[ "$(output exit-code)" = 0 ] || bad "fail-on never over clean-enough models: exit-code '$(output exit-code)'"

# args over several lines (a YAML "args: |" block): every line counts; the
# first line alone used to be read, so --fail-on on the second was lost
: > "$GITHUB_OUTPUT"
(cd "$T" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="$MODEL" INPUT_SUMMARY=false INPUT_SARIF_FILE=five.sarif \
    INPUT_FAIL_ON=never INPUT_ARGS="--no-config
--fail-on note" bash "$S/action/run.sh" > "$T/run5.log" 2>&1)
grep -q -- "--no-config --fail-on note" "$T/run5.log" || bad "args on two lines: $(head -2 "$T/run5.log")"
[ "$(output exit-code)" = 1 ] || bad "args on two lines: exit-code '$(output exit-code)', wanted 1 (the second line's --fail-on note)"

# no sarif-file input: the report goes to $RUNNER_TEMP, outside the (untrusted) checkout
: > "$GITHUB_OUTPUT"
rm -f "$RUNNER_TEMP/coreml-lint.sarif"
(cd "$T" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="$MODEL" INPUT_SUMMARY=false INPUT_ARGS="--no-config" \
    bash "$S/action/run.sh" > "$T/run4.log" 2>&1)
[ "$(output sarif-file)" = "$RUNNER_TEMP/coreml-lint.sarif" ] || bad "default sarif-file is '$(output sarif-file)', wanted \$RUNNER_TEMP/coreml-lint.sarif"
[ -s "$RUNNER_TEMP/coreml-lint.sarif" ] || bad "no report at \$RUNNER_TEMP/coreml-lint.sarif"
[ -e "$T/coreml-lint.sarif" ] && bad "the default report was written into the checkout"

# a path that does not exist: exit-code 2, no SARIF, no summary
: > "$GITHUB_OUTPUT"
: > "$GITHUB_STEP_SUMMARY"
(cd "$T" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="Models/nope" INPUT_SARIF_FILE=three.sarif INPUT_SUMMARY=true \
    bash "$S/action/run.sh" > "$T/run3.log" 2>&1) || bad "run.sh must not fail the step itself"
[ "$(output exit-code)" = 2 ] || bad "a missing path: exit-code '$(output exit-code)', wanted 2"
[ -z "$(output sarif-file)" ] || bad "a missing path: sarif-file '$(output sarif-file)', wanted none"
[ -s "$GITHUB_STEP_SUMMARY" ] && bad "a missing path wrote a summary"
grep -q "does not exist" "$T/run3.log" || bad "run.sh's log does not say the path does not exist"

# fail-on unset: the configuration's fail_on decides (the action's own
# default, --fail-on error, used to override it and pass the job)
mkdir -p "$T/cfg"
cp "$B/examples/tiny_image_nn.mlmodel" "$T/cfg/"
printf '{"fail_on": "warning"}\n' > "$T/cfg/.coreml-lint.json"
: > "$GITHUB_OUTPUT"
(cd "$T/cfg" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="tiny_image_nn.mlmodel" INPUT_SARIF_FILE=c.sarif \
    INPUT_SUMMARY=false bash "$S/action/run.sh" > "$T/run6.log" 2>&1)
[ "$(output exit-code)" = 1 ] || bad "the configuration's fail_on warning over a model with warnings: exit-code '$(output exit-code)', wanted 1"
grep -q -- "--fail-on" "$T/run6.log" && bad "fail-on unset, yet run.sh passed --fail-on: $(head -1 "$T/run6.log")"
: > "$GITHUB_OUTPUT"
(cd "$T/cfg" && COREML_LINT="$B/coreml-lint" INPUT_PATHS="tiny_image_nn.mlmodel" INPUT_SARIF_FILE=c.sarif \
    INPUT_FAIL_ON=error INPUT_SUMMARY=false bash "$S/action/run.sh" > "$T/run7.log" 2>&1)
[ "$(output exit-code)" = 0 ] || bad "fail-on error over the configuration's warning: exit-code '$(output exit-code)', wanted 0"

# ---- result.sh ------------------------------------------------------------------------------
for case in "0 error 0" "1 error 1" "1 never 0" "2 never 2" "2 error 2" "1 warning 1"; do
    set -- $case
    EXIT_CODE=$1 INPUT_FAIL_ON=$2 bash "$S/action/result.sh" > /dev/null 2>&1
    [ $? -eq "$3" ] || bad "result.sh with exit code $1 and fail-on $2 should exit $3"
done

# ---- the YAML files ----------------------------------------------------------------------------
export T
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if "$PY" -c "import yaml" 2> /dev/null; then
    "$PY" - "$S" << 'PY' || bad "action.yml, the workflows or .pre-commit-hooks.yaml"
import os, re, sys, yaml
src = sys.argv[1]
a = yaml.safe_load(open(os.path.join(src, "action.yml")))
inputs = set(a["inputs"])
assert a["runs"]["using"] == "composite"
steps = a["runs"]["steps"]
ids = {s.get("id") for s in steps}
text = open(os.path.join(src, "action.yml")).read()
for name in re.findall(r"inputs\.([a-z-]+)", text):
    assert name in inputs, "action.yml uses an undeclared input: " + name
for sid in re.findall(r"steps\.([a-z-]+)\.outputs", text):
    assert sid in ids, "action.yml reads outputs of no step: " + sid
for s in steps:
    if "run" in s:
        script = re.search(r"action/([a-z]+\.sh)", s["run"]).group(1)
        path = os.path.join(src, "action", script)
        assert os.access(path, os.X_OK), path + " is not executable"
        assert s.get("shell") == "bash"
    else:
        assert s["uses"].startswith("github/codeql-action/upload-sarif@")
for f in os.listdir(os.path.join(src, ".github", "workflows")):
    w = yaml.safe_load(open(os.path.join(src, ".github", "workflows", f)))
    assert "jobs" in w, f
ci = yaml.safe_load(open(os.path.join(src, ".github", "workflows", "ci.yml")))
runs = [s.get("run", "") for j in ci["jobs"].values() for s in j["steps"]]
uses = [s.get("uses", "") for j in ci["jobs"].values() for s in j["steps"]]
assert any("./dev.sh test" in r for r in runs), "ci.yml does not run ./dev.sh test"
assert "./" in uses, "ci.yml does not use the action"
hooks = yaml.safe_load(open(os.path.join(src, ".pre-commit-hooks.yaml")))
assert hooks[0]["id"] == "coreml-lint" and hooks[0]["entry"].startswith("coreml-lint")
# pre-commit filters the staged files with `files` (re.search)
rx = re.compile(hooks[0]["files"])
for path, want in [("Models/X.mlpackage/Manifest.json", True), ("Models/X.mlpackage/Data/com.apple.CoreML/model.mlmodel", True),
                   ("Models/X.mlpackage/Data/com.apple.CoreML/weights/weight.bin", True), ("A.mlmodel", True),
                   ("B.mlmodelc/model.mil", True), ("README.md", False), ("docs/x.mlmodel.md", False),
                   ("tools/mlpackage_tool.py", False)]:
    assert bool(rx.search(path)) == want, (path, want)
with open(os.path.join(os.environ["T"], "hook"), "w") as f:
    f.write(hooks[0]["entry"] + "\n" + hooks[0]["files"] + "\n")
PY
    # the hook as pre-commit runs it: its entry, the staged files its
    # pattern keeps (three files of one package, a plain model, a README)
    entry=$(sed -n 1p "$T/hook") pattern=$(sed -n 2p "$T/hook")
    staged=$(printf '%s\n' "$MODEL/Manifest.json" "$MODEL/Data/com.apple.CoreML/model.mlmodel" \
        "$MODEL/Data/com.apple.CoreML/weights/weight.bin" "$B/examples/tiny_image_nn.mlmodel" "$S/README.md" |
        grep -E "$pattern")
    # shellcheck disable=SC2086
    (cd "$T" && PATH="$B:$PATH" $entry --no-config --format json $staged > "$T/hook.json" 2> "$T/hook.err")
    rc=$?
    [ $rc -eq 0 ] || bad "the pre-commit hook exited $rc: $(cat "$T/hook.err")"
    grep -q "2 models checked" "$T/hook.err" || bad "the hook did not check the package once and the model: $(cat "$T/hook.err")"
else
    echo "SKIP (yaml): PyYAML not installed (Debian: python3-yaml)"
fi
if command -v shellcheck > /dev/null 2>&1; then
    shellcheck -s bash "$S"/action/*.sh || bad "shellcheck"
fi
[ $fail -eq 0 ] && echo "ok   the action: install, check (SARIF, outputs, job summary), result; YAML"
exit $fail
