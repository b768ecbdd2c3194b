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
check_tasks = [t for t in tasks if isinstance(t.get("problemMatcher"), (dict, list)) and t["problemMatcher"]]
if len(check_tasks) != 1:
    bad("tasks.json should have one task with problem matchers, has %d" % len(check_tasks))
    sys.exit(1)
check_task = check_tasks[0]
pms = check_task["problemMatcher"]
pms = pms if isinstance(pms, list) else [pms]
for pm in pms:
    if pm.get("fileLocation", [None])[0] != "relative":
        bad("fileLocation should be relative to the workspace: %r" % pm.get("fileLocation"))
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


# VS Code's rule (problemMatcher.ts, getMarkerMatch/getLocation): a match of
# a "location" pattern without a line makes no marker; a "file" pattern's
# match marks the whole file. A line matched by two matchers would be two
# markers.
got = []
per_line = [[] for _ in lines]
engine = None
for pm in pms:
    pat = pm["pattern"]
    whole_file = pat.get("kind") == "file"
    matches, engine = match_all(pat["regexp"], lines)
    for i, (line, m) in enumerate(zip(lines, matches)):
        if m is None:
            continue
        g = lambda k: m[pat[k]] if pat.get(k) is not None and pat[k] < len(m) else None
        if not whole_file and not g("line"):
            bad("a location matcher matched a line without a line number (VS Code shows nothing): %r" % line)
            continue
        per_line[i].append(len(got))
        got.append({"line_text": line, "file": g("file"), "line": None if whole_file else g("line"),
                    "column": None if whole_file else g("column"), "severity": g("severity"),
                    "message": g("message"), "code": g("code")})
for i, hits in enumerate(per_line):
    if len(hits) > 1:
        bad("two matchers matched one line (two markers): %r" % lines[i])

# what must match: every finding, once. The text report writes the ':'
# before "LINE: level: " inside a message as U+FF1A (a model string must
# not read as another file's line and level: fixture
# lua/fire_small_epsilon_forged.mlmodel), so the expected text does too.
forged = re.compile(r":(?=\d+(?::\d+)?: (?:error|warning|note):)")
expected = []
for f in findings:
    has_pos = f["line"] is not None and f["artifact"] and f["artifact"].endswith((".mil", ".json", ".txt"))
    expected.append({"file": f["path"], "line": str(f["line"]) if has_pos else None,
                     "column": str(f["column"]) if has_pos and f["column"] else None,
                     "severity": f["level"] if f["level"] != "none" else "note", "code": f["rule"],
                     "message": forged.sub("\uff1a", " ".join(f["message"].split()))})
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
# Vim: the errorformat docs/editors.md gives, over the same report, makes one
# valid quickfix entry per finding and none of the indented lines
vim = shutil.which("vim")
with open(os.path.join(src, "docs", "editors.md"), encoding="utf-8") as f:
    efm = re.search(r"`:set (errorformat=[^`]+)`", f.read())
if not efm:
    bad("docs/editors.md gives no errorformat")
elif vim:
    import tempfile
    with tempfile.TemporaryDirectory() as td:
        rep, qf, script = (os.path.join(td, n) for n in ("report.txt", "qf.txt", "qf.vim"))
        with open(rep, "w", encoding="utf-8") as f:
            f.write(txt.stdout)
        with open(script, "w", encoding="utf-8") as f:
            f.write("set " + efm.group(1) + "\ncgetfile " + rep + "\nlet out = []\nfor e in getqflist()\n"
                    "  if e.valid | call add(out, bufname(e.bufnr) . '|' . e.lnum . '|' . e.col . '|' . e.vcol . '|' . e.text) | endif\n"
                    "endfor\ncall writefile(out, '" + qf + "')\nqa!\n")
        subprocess.run([vim, "-u", "NONE", "-i", "NONE", "-es", "-S", script], capture_output=True, timeout=60)
        entries = open(qf, encoding="utf-8").read().splitlines() if os.path.exists(qf) else []
    paths = {e["file"] for e in expected}
    strays = [e for e in entries if e.split("|", 1)[0] not in paths]
    if len(entries) != len(expected) or strays:
        bad("vim with docs/editors.md's errorformat: %d valid entries for %d findings; not a model: %r"
            % (len(entries), len(expected), strays[:3]))
    # columns count characters: Vim must read them as such (%v), not as
    # byte indexes (%c)
    cols = {(e["file"], e["line"], e["column"]) for e in expected if e["line"] and e["column"]}
    for e in entries:
        f_, l_, c_, v_ = e.split("|", 4)[:4]
        if c_ != "0" and (f_, l_, c_) in cols and v_ != "1":
            bad("vim with docs/editors.md's errorformat reads a column as a byte index (%c), not a character: " + e)
            break
with_pos = sum(1 for e in expected if e["line"])
if not failures:
    print("ok   %d findings matched (%d with a line and column) out of %d lines, with %s's RegExp"
          % (len(expected), with_pos, len(lines), engine))
if with_pos == 0:
    bad("no finding with a line in the output: the line/column groups went untested")
sys.exit(1 if failures else 0)
