#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# completion_test.sh — the man page and the shell completions, generated
# from the flag table, say what the tool takes.
#  - every command and every flag of `coreml-lint --help` is in the man page,
#    which groff formats without warnings (when groff is installed);
#  - bash: the completion function, run as bash runs it, offers a command's
#    own flags (not another's), the formats of the writer table, the rule
#    ids, and the commands;
#  - zsh and fish: the scripts parse (zsh -n, fish -n) and fish's completer
#    offers the same (each where the shell is installed; skipped otherwise);
#  - the build installs exactly what the tool prints now.
# Argument: BUILD_DIR.
set -u
B=$1
BIN=$B/coreml-lint
T=$(mktemp -d /tmp/cml-compl-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$BIN" --help > "$T/help.txt" || bad "--help failed"
"$BIN" manpage > "$T/man.1" || bad "manpage failed"
for sh in bash zsh fish; do "$BIN" completion $sh > "$T/c.$sh" || bad "completion $sh failed"; done
"$BIN" completion tcsh > /dev/null 2>&1 && bad "completion tcsh should be a usage error"

# ---- the build's generated files are the current output -----------------------------------
for pair in "man.1 coreml-lint.1" "c.bash coreml-lint.bash" "c.zsh _coreml-lint" "c.fish coreml-lint.fish"; do
    set -- $pair
    cmp -s "$T/$1" "$B/generated/$2" || bad "$B/generated/$2 is not what the tool prints now"
done

# ---- the man page ------------------------------------------------------------------------
flags=$(grep -oE '^  (-[a-zA-Z], )?--[a-z-]+' "$T/help.txt" | sed 's/.*--/--/' | sort -u)
[ "$(echo "$flags" | wc -l)" -ge 25 ] || bad "--help lists only $(echo "$flags" | wc -l) flags"
for f in $flags; do
    esc=$(printf '%s' "$f" | sed 's/-/\\\\-/g')
    grep -q "fB$esc\\\\fR" "$T/man.1" || bad "the man page lacks $f"
done
for c in check inspect rules probe compare test-rule completion manpage; do
    grep -q "^$c " "$T/help.txt" || grep -q "^  $c " "$T/help.txt" || bad "--help lacks the command $c"
    grep -q "^\\.B $(printf '%s' "$c" | sed 's/-/\\\\-/g')\$" "$T/man.1" || bad "the man page lacks the command $c"
done
# every variable the tool reads, but the executor's and the tests' own knobs
# (CML_EXEC_*, CML_PROBE_*: bench/README.md) and TERM, is in ENVIRONMENT
SRC=$(cd "$(dirname "$0")/.." && pwd)
vars=$(grep -rhoE '(getenv|env_dir)\("[A-Z_]+"' "$SRC/core" "$SRC/sarif" "$SRC/plugins" --include='*.c' |
    sed 's/.*("//; s/"//' | grep -vE '^(CML_EXEC_|CML_PROBE_|TERM$)' | sort -u)
[ "$(echo "$vars" | wc -l)" -ge 6 ] || bad "found only $(echo "$vars" | wc -l) environment variables in the source"
env_section=$(sed -n '/^\.SH ENVIRONMENT/,/^\.SH EXAMPLES/p' "$T/man.1")
for v in $vars; do
    echo "$env_section" | grep -q "$v" || bad "the man page's ENVIRONMENT lacks $v"
done
if command -v groff > /dev/null 2>&1; then
    warn=$(groff -man -Tutf8 -ww -z "$T/man.1" 2>&1)
    [ -z "$warn" ] || bad "groff warns about the man page: $warn"
    groff -man -Tutf8 "$T/man.1" 2> /dev/null | grep -q "keep-going" || bad "the formatted man page lacks --keep-going"
else
    echo "SKIP (man): groff not found"
fi

# ---- bash ----------------------------------------------------------------------------------
complete_bash() { # words... (the last one is being completed)
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _coreml_lint; printf "%s\n" "${COMPREPLY[@]}"' \
        sh "$T/c.bash" "$@" | sort
}
bash -n "$T/c.bash" || bad "the bash completion does not parse"
got=$(complete_bash "$BIN" check --for)
[ "$got" = "--format" ] || bad "bash: 'check --for' gave '$got'"
got=$(complete_bash "$BIN" --format "")
for fmt in text sarif json github xcode html markdown; do
    echo "$got" | grep -qx "$fmt" || bad "bash: --format lacks $fmt: $got"
done
got=$(complete_bash "$BIN" rules --)
echo "$got" | grep -qx -- "--docs" || bad "bash: rules lacks --docs"
echo "$got" | grep -qx -- "--threads" && bad "bash: rules offers probe's --threads"
got=$(complete_bash "$BIN" probe --thr)
[ "$got" = "--threads" ] || bad "bash: 'probe --thr' gave '$got'"
got=$(complete_bash "$BIN" test)
echo "$got" | grep -qx "test-rule" || bad "bash: commands lack test-rule: $got"
got=$(complete_bash "$BIN" check --enable meta/)
echo "$got" | grep -qx "meta/missing-metadata" || bad "bash: --enable does not offer rule ids: $got"
got=$(complete_bash "$BIN" --fail-on w)
[ "$got" = "warning" ] || bad "bash: '--fail-on w' gave '$got'"

# ---- zsh, fish ----------------------------------------------------------------------------
if command -v zsh > /dev/null 2>&1; then
    zsh -n "$T/c.zsh" || bad "the zsh completion does not parse"
else
    echo "SKIP (zsh): zsh not found"
fi
if command -v fish > /dev/null 2>&1; then
    fish -n "$T/c.fish" || bad "the fish completion does not parse"
    got=$(fish -c "source '$T/c.fish'; complete -C 'coreml-lint check --for'" 2>&1 | cut -f1)
    [ "$got" = "--format" ] || bad "fish: 'check --for' gave '$got'"
    got=$(fish -c "source '$T/c.fish'; complete -C 'coreml-lint rules --'" 2>&1 | cut -f1)
    echo "$got" | grep -qx -- "--docs" || bad "fish: rules lacks --docs"
    echo "$got" | grep -qx -- "--threads" && bad "fish: rules offers probe's --threads"
    got=$(fish -c "source '$T/c.fish'; complete -C 'coreml-lint --format '" 2>&1 | cut -f1)
    echo "$got" | grep -qx "xcode" || bad "fish: --format lacks xcode"
else
    echo "SKIP (fish): fish not found"
fi
[ $fail -eq 0 ] && echo "ok   man page ($(echo "$flags" | wc -l) flags) and bash/zsh/fish completions"
exit $fail
