#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""clang_c11.py — every C file of the build, as clang reads it.

The build uses GCC, which takes some things C11 does not allow (a
declaration right after a case label) and knows CPU feature names clang
does not; macOS builds use clang. This check runs `clang -fsyntax-only`
with the build's own flags (compile_commands.json), -Werror included, over
every translation unit. Exit 77 (ctest: skipped) without clang.

Usage: tests/clang_c11.py BUILD_DIR
"""
import concurrent.futures
import json
import os
import shlex
import shutil
import subprocess
import sys


def main() -> int:
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    clang = shutil.which("clang")
    if not clang:
        print("SKIP: clang not found (apt-get install clang)")
        return 77
    path = os.path.join(build, "compile_commands.json")
    try:
        with open(path, encoding="utf-8") as f:
            entries = json.load(f)
    except OSError as e:
        print(f"SKIP: {path}: {e.strerror} (configure with CMAKE_EXPORT_COMPILE_COMMANDS)")
        return 77
    jobs = []
    for e in entries:
        src = e["file"]
        if not src.endswith(".c"):
            continue
        args = e.get("arguments") or shlex.split(e["command"])
        out = [clang, "-fsyntax-only", "-Wno-unknown-warning-option"]
        skip = False
        for a in args[1:]:
            if skip:
                skip = False
                continue
            if a in ("-o", "-MF", "-MT", "-MQ"):
                skip = True
                continue
            if a in ("-c", "-MD", "-MMD") or a.startswith("-fsanitize") or a == src:
                continue
            # GCC's own optimizer switches (CMake adds them for GCC only)
            if a.startswith("-ftree-") or a.startswith("-fno-tree-"):
                continue
            out.append(a)
        out.append(src)
        jobs.append((src, e.get("directory", build), out))

    def run(job):
        src, cwd, cmd = job
        r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        return src, r.returncode, r.stderr

    bad = 0
    n = max(1, min(len(jobs), os.cpu_count() or 2))
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
        for src, rc, err in ex.map(run, jobs):
            if rc != 0:
                bad += 1
                print(f"{src}: clang refuses it\n{err}")
    print(f"{len(jobs)} files, {bad} refused by clang")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
