#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""docs_test.py — the set-up guides can be followed as written.
 - Every `coreml-lint` command in a shell block of README.md and docs/*.md
   names a command and flags the tool has (as its --help lists them).
 - docs/github.md's workflows are valid YAML; the action's `with:` keys are
   inputs of action.yml, and the permissions allow the SARIF upload.
 - docs/pre-commit.md's configuration is valid YAML naming the hook id of
   .pre-commit-hooks.yaml, and its pattern is the hook's.
 - docs/xcode.md's build-phase script is valid sh (bash -n) and, run as Xcode runs it
   (SRCROOT, PLATFORM_NAME, the deployment target, SCRIPT_INPUT_FILE_*), checks the
   phase's Input Files when there are any, else $SRCROOT/Models.
 - docs/editors.md's problem matcher is the one in .vscode/tasks.json.
 - Every relative link in README.md and docs/*.md (rule pages aside, which
   test_check_cli checks) points at a file that exists.
Arguments: SOURCE_DIR BUILD_DIR. YAML checks skip without PyYAML."""
import json
import os
import re
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
binary = os.path.join(build, "coreml-lint")
fails = []


def bad(msg):
    fails.append(msg)
    print("FAIL:", msg)


try:
    import yaml
except ImportError:
    yaml = None
    print("SKIP (yaml): PyYAML not installed (Debian: python3-yaml)")

help_text = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
flags = set(re.findall(r"(--[a-z][a-z-]*)", help_text))
commands = set(re.findall(r"^  ([a-z][a-z-]+) +\S", help_text, re.M))
if "test-rule" not in commands or "--keep-going" not in flags:
    bad("could not read the commands and flags from --help")

docs = [os.path.join(src, "README.md")] + sorted(
    os.path.join(src, "docs", f) for f in os.listdir(os.path.join(src, "docs")) if f.endswith(".md"))


def blocks(text, langs):
    return [m.group(2) for m in re.finditer(r"^```(\w*)\n(.*?)^```", text, re.M | re.S) if m.group(1) in langs]


n_cmds = 0
for path in docs:
    text = open(path, encoding="utf-8").read()
    name = os.path.relpath(path, src)
    for block in blocks(text, ("sh", "yaml", "")):
        for line in block.replace("\\\n", " ").splitlines():
            # coreml-lint as the command: first on the line (after a prompt,
            # `run:` or `- `), or after xargs, a pipe, `&&`, `;`
            for m in re.finditer(r"(?:^\s*(?:-\s+)?(?:run:\s*)?|xargs(?:\s+-[0r]+)?\s+|[|;&]\s*)coreml-lint\s+([^|;&#)]*)", line):
                words = m.group(1).split()
                if not words or words[0].startswith(("$", "[", ">")):
                    continue
                n_cmds += 1
                if not words[0].startswith("-") and words[0] not in commands and "/" not in words[0] \
                        and "." not in words[0]:
                    bad("%s: '%s' is no coreml-lint command: %s" % (name, words[0], line.strip()))
                for w in words:
                    if w == "--":  # the end of the options: paths follow
                        break
                    f = w.split("=")[0]
                    if f.startswith("--") and f not in flags:
                        bad("%s: coreml-lint has no flag %s: %s" % (name, f, line.strip()))
    # relative links
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target) or target.startswith("rules/"):
            continue
        full = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if not os.path.exists(full):
            bad("%s links to %s, which does not exist" % (name, target))
if n_cmds < 20:
    bad("only %d coreml-lint commands found in the docs" % n_cmds)

gh = open(os.path.join(src, "docs", "github.md"), encoding="utf-8").read()
pc = open(os.path.join(src, "docs", "pre-commit.md"), encoding="utf-8").read()
if yaml:
    action = yaml.safe_load(open(os.path.join(src, "action.yml")))
    inputs = set(action["inputs"])
    full = [b for b in blocks(gh, ("yaml",)) if b.startswith("name:")]
    if not full:
        bad("docs/github.md has no complete workflow")
    for b in blocks(gh, ("yaml",)):
        doc = yaml.safe_load(b)
        steps = doc if isinstance(doc, list) else [s for j in doc.get("jobs", {}).values() for s in j["steps"]]
        for s in steps:
            if str(s.get("uses", "")).startswith("coreml-lint/coreml-lint@"):
                unknown = set(s.get("with", {})) - inputs
                if unknown:
                    bad("docs/github.md passes inputs action.yml lacks: %s" % sorted(unknown))
        if isinstance(doc, dict) and "jobs" in doc:
            if doc.get("permissions", {}).get("security-events") != "write":
                bad("docs/github.md's workflow lacks security-events: write")
    hooks = yaml.safe_load(open(os.path.join(src, ".pre-commit-hooks.yaml")))
    ids = {h["id"] for h in hooks}
    cfgs = [yaml.safe_load(b) for b in blocks(pc, ("yaml",))]
    used = [h["id"] for c in cfgs for r in c["repos"] for h in r["hooks"]]
    if not used or set(used) - ids:
        bad("docs/pre-commit.md names hooks %s; .pre-commit-hooks.yaml has %s" % (used, sorted(ids)))
    if hooks[0]["files"] not in pc:
        bad("docs/pre-commit.md's grep pattern is not the hook's: %s" % hooks[0]["files"])

xc = open(os.path.join(src, "docs", "xcode.md"), encoding="utf-8").read()
scripts = blocks(xc, ("sh",))
if not scripts:
    bad("docs/xcode.md has no build-phase script")
for s in scripts:
    r = subprocess.run(["bash", "-n"], input=s, capture_output=True, text=True)
    if r.returncode:
        bad("docs/xcode.md's script does not parse: " + r.stderr)
    if "--format xcode" not in s:
        bad("docs/xcode.md's script does not use --format xcode")
    # run as Xcode would: /bin/sh, the build settings in the environment;
    # with Input Files (a sandboxed phase may read nothing else) it checks
    # those, without them the whole $SRCROOT/Models
    ex = os.path.join(build, "examples")
    if os.path.isdir(ex):
        import shutil
        import tempfile
        with tempfile.TemporaryDirectory() as t:
            models = os.path.join(t, "My App", "Models")
            os.makedirs(models)
            for m in ("tiny_pipeline.mlmodel", "tiny_image_nn.mlmodel"):
                shutil.copy(os.path.join(ex, m), models)
            env = dict(os.environ, PATH=build + os.pathsep + os.environ.get("PATH", ""),
                       SRCROOT=os.path.join(t, "My App"), PLATFORM_NAME="iphoneos",
                       IPHONEOS_DEPLOYMENT_TARGET="16.0")
            env.pop("SCRIPT_INPUT_FILE_COUNT", None)
            whole = subprocess.run(["sh", "-c", s], capture_output=True, text=True, env=env, cwd=t)
            env.update(SCRIPT_INPUT_FILE_COUNT="1", SCRIPT_INPUT_FILE_0=os.path.join(models, "tiny_pipeline.mlmodel"))
            listed = subprocess.run(["sh", "-c", s], capture_output=True, text=True, env=env, cwd=t)
            for r, want, unwanted in ((whole, 2, None), (listed, 1, "tiny_image_nn")):
                if r.returncode > 1 or "tiny_pipeline.mlmodel:1:1: " not in r.stdout:
                    bad("docs/xcode.md's script as Xcode runs it: exit %d, %s" % (r.returncode, r.stdout + r.stderr))
                if "iOS16.0 from Xcode's build settings" not in r.stderr:
                    bad("docs/xcode.md's script did not take the target from the build settings: " + r.stderr)
                if ("%d model%s checked" % (want, "s" if want > 1 else "")) not in r.stderr:
                    bad("docs/xcode.md's script checked the wrong models: " + r.stderr)
                if unwanted and unwanted in r.stdout + r.stderr:
                    bad("docs/xcode.md's script checked a model not among the Input Files: " + r.stdout)

ed = open(os.path.join(src, "docs", "editors.md"), encoding="utf-8").read()
tasks_text = "\n".join(l for l in open(os.path.join(src, ".vscode", "tasks.json")).read().splitlines()
                       if not l.lstrip().startswith("//"))
tasks = json.loads(tasks_text)["tasks"]
matchers = [m for t in tasks for m in (t.get("problemMatcher") if isinstance(t.get("problemMatcher"), list)
                                      else [t.get("problemMatcher")]) if isinstance(m, dict)]
if not matchers:
    bad(".vscode/tasks.json has no problem matcher")
for m in matchers:
    if json.dumps(m["pattern"]["regexp"]) not in ed:
        bad("docs/editors.md's problem matchers are not the ones in .vscode/tasks.json")

if not fails:
    print("ok   %d docs: %d coreml-lint commands, links, workflows, hook, build phase, matcher" % (len(docs), n_cmds))
sys.exit(1 if fails else 0)
