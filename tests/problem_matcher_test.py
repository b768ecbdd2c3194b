#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""problem_matcher_test.py — the VS Code problem matcher of .vscode/tasks.json
against real output. The text report of the bundled examples and rule
fixtures (every kind of finding: binary models, model.mil lines and
columns, packages) is matched line by line with the matcher's own regular
expression, as VS Code would (JavaScript's RegExp, through node when it is
installed; Python's re otherwise, which reads this pattern the same way).
Each finding of the JSON report of the same run must be matched by exactly
one line, with its file, line, column, severity, message and rule id in
the matcher's groups; fix lines, tool notifications, the summary and the
probe figures must not match. Arguments: SOURCE_DIR BUILD_DIR."""
import json
import os
import re
import shutil
import subprocess
import sys

src, build = sys.argv[1], sys.argv[2]
binary = os.path.join(build, "coreml-lint")
failures = []


def bad(msg):
    failures.append(msg)
    print("FAIL:", msg)


with open(os.path.join(src, ".vscode", "tasks.json"), encoding="utf-8") as f:
    text = "\n".join(l for l in f.read().splitlines() if not l.lstrip().startswith("//"))
tasks = json.loads(text)["tasks"]
matchers = [t["problemMatcher"] for t in tasks if isinstance(t.get("problemMatcher"), dict)]
if len(matchers) != 1:
    bad("tasks.json should have one problem matcher, has %d" % len(matchers))
    sys.exit(1)
pm = matchers[0]
pat = pm["pattern"]
if pm.get("fileLocation", [None])[0] != "relative":
    bad("fileLocation should be relative to the workspace: %r" % pm.get("fileLocation"))
check_task = [t for t in tasks if t.get("problemMatcher") is pm][0]
if "--no-color" not in check_task.get("args", []):
    bad("the task must pass --no-color (a task runs in a terminal: colour codes would break the pattern)")

targets = [os.path.join(build, "examples"), os.path.join(build, "rule-fixtures")]
targets = [t for t in targets if os.path.isdir(t)]
if not targets:
    print("SKIP: the fixture writer's examples are missing")
    sys.exit(77)
run = lambda *a: subprocess.run([binary, "check", "--no-config", "--keep-going"] + list(a) + targets,
                                capture_output=True, text=True, cwd=build)
txt = run("--no-color")
js = run("--format", "json")
if txt.returncode > 1 or js.returncode > 1:
    bad("check exited %d/%d: %s" % (txt.returncode, js.returncode, txt.stderr[-500:]))
report = json.loads(js.stdout)
findings = [f for f in report["findings"] if not f["suppressed"]]
lines = txt.stdout.splitlines()


def match_all(regexp, lines):
    """[groups or None] per line, with JavaScript semantics when node is there."""
    node = shutil.which("node")
    if node:
        prog = ("const re = new RegExp(process.argv[1]); const lines = require('fs').readFileSync(0, 'utf8')"
                ".split('\\n'); lines.pop(); console.log(JSON.stringify(lines.map(l => { const m = re.exec(l); "
                "return m ? Array.from(m).map(x => x === undefined ? null : x) : null; })));")
        out = subprocess.run([node, "-e", prog, regexp], input="\n".join(lines) + "\n", capture_output=True,
                             text=True)
        if out.returncode == 0:
            return json.loads(out.stdout), "node"
        bad("node could not run the pattern: " + out.stderr[-300:])
    rx = re.compile(regexp)
    res = []
    for l in lines:
        m = rx.search(l)
        res.append([m.group(0)] + list(m.groups()) if m else None)
    return res, "python"


matches, engine = match_all(pat["regexp"], lines)
got = []
for line, m in zip(lines, matches):
    if m is None:
        continue
    g = lambda k: m[pat[k]] if pat.get(k) is not None and pat[k] < len(m) else None
    got.append({"line_text": line, "file": g("file"), "line": g("line"), "column": g("column"),
                "severity": g("severity"), "message": g("message"), "code": g("code")})

# what must match: every finding, once
expected = []
for f in findings:
    has_pos = f["line"] is not None and f["artifact"] and f["artifact"].endswith((".mil", ".json", ".txt"))
    expected.append({"file": f["path"], "line": str(f["line"]) if has_pos else None,
                     "column": str(f["column"]) if has_pos and f["column"] else None,
                     "severity": f["level"] if f["level"] != "none" else "note", "code": f["rule"],
                     "message": " ".join(f["message"].split())})
used = [False] * len(got)
for e in expected:
    hits = [i for i, g in enumerate(got) if not used[i] and g["file"] == e["file"] and g["line"] == e["line"]
            and g["column"] == e["column"] and g["severity"] == e["severity"] and g["code"] == e["code"]
            and " ".join(g["message"].split()).startswith(e["message"])]
    if not hits:
        bad("no line matched as %r" % e)
        continue
    used[hits[0]] = True
for i, g in enumerate(got):
    if not used[i]:
        bad("a line that is not a finding matched: %r" % g["line_text"])
for line in lines:
    if ": note: fix: " in line and any(g["line_text"] == line for g in got):
        bad("a fix line matched: " + line)
with_pos = sum(1 for e in expected if e["line"])
if not failures:
    print("ok   %d findings matched (%d with a line and column) out of %d lines, with %s's RegExp"
          % (len(expected), with_pos, len(lines), engine))
if with_pos == 0:
    bad("no finding with a line in the output: the line/column groups went untested")
sys.exit(1 if failures else 0)
