#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# sarif_validate.sh — run the shared SARIF validator (../shared/tools/sarif-validate:
# SARIF 2.1.0 schema + GitHub code-scanning ingestion rules + GitHub limits) on
# the SARIF files given as arguments, for ctest.
#
#   CML_SOURCE_DIR=/path/to/main tests/sarif_validate.sh FILE.sarif...
#
# Exit 0: every file passes with 0 errors. Exit 1: the validator reported an
# error (its output is shown). Exit 77 (ctest: skipped): the validator is not
# there, or it could not install its npm tools / run node (no network, no npm):
# the message says which. Warnings are shown but do not fail the test.
set -u

src="${CML_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}"
validator="${SARIF_VALIDATE:-$src/../shared/tools/sarif-validate}"

if [ $# -eq 0 ]; then
  echo "usage: $0 FILE.sarif..." >&2
  exit 2
fi
if [ ! -f "$validator" ]; then
  echo "SKIP: SARIF validator not found at $validator"
  exit 77
fi
for f in "$@"; do
  if [ ! -r "$f" ]; then
    echo "FAIL: cannot read $f"
    exit 1
  fi
done

out="$(bash "$validator" "$@" 2>&1)"
rc=$?
printf '%s\n' "$out"

# The validator installs @microsoft/sarif-multitool-linux, ajv and ajv-formats
# with npm on first use; without npm or a registry it prints "npm install
# failed" and exits 2. Without node its checks cannot run at all.
if [ $rc -ne 0 ]; then
  if printf '%s\n' "$out" | grep -Eq 'npm install failed|npm: (command )?not found|node: (command )?not found|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT'; then
    echo "SKIP: the SARIF validator could not install or run its npm tools (npm/node or the registry is unreachable)"
    exit 77
  fi
  echo "FAIL: sarif-validate exited with $rc"
  exit 1
fi
# Belt and braces: every file must be reported "ok, 0 error(s)".
for f in "$@"; do
  if ! printf '%s\n' "$out" | grep -Fq "$f: ok, 0 error(s)"; then
    echo "FAIL: no '$f: ok, 0 error(s)' line from the validator"
    exit 1
  fi
done
exit 0
