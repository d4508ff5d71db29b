#!/usr/bin/env bash
# Runs one CLI test case (tests/cli/cases/*.case) and compares stdout, stderr and the exit code
# exactly. usage: run-case.sh <mqttwire> <case file> [<feed helper> trickle]
# A case file has an "args:" line, an "exit:" line, then sections that each start with a line
#   == stdin ==  (text, each line ends in a newline)   == stdin hex ==  (bytes as hex, via xxd)
#   == stdout ==   == stderr ==   (expected, each line ends in a newline; absent = empty)
#   == stdout hex ==  (expected raw output as hex, white space ignored)
set -uo pipefail
mqttwire=$1 case_file=$2 feed=${3:-} mode=${4:-whole}
section() { awk -v name="== $1 ==" '/^== .* ==$/ { on = ($0 == name); next } on' "$case_file"; }
has_section() { grep -qxF "== $1 ==" "$case_file"; }
args=$(sed -n 's/^args: *//p' "$case_file" | head -n 1)
want_exit=$(sed -n 's/^exit: *//p' "$case_file" | head -n 1)
[ -n "$want_exit" ] || { echo "$case_file: no exit: line"; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if has_section "stdin hex"; then
  section "stdin hex" | xxd -r -p >"$work/in"
else
  section stdin >"$work/in"
fi
section stdout >"$work/want-out"
# Raw binary output is compared as hex: "== stdout hex ==" holds the bytes, white space ignored.
raw_out=0
if has_section "stdout hex"; then
  raw_out=1
  section "stdout hex" | tr -d ' \n' >"$work/want-out"
fi
section stderr >"$work/want-err"

# shellcheck disable=SC2086  # args is a word list on purpose
if [ "$mode" = trickle ]; then
  "$feed" trickle <"$work/in" | "$mqttwire" $args >"$work/out" 2>"$work/err"
  got_exit=${PIPESTATUS[1]}
else
  "$mqttwire" $args <"$work/in" >"$work/out" 2>"$work/err"
  got_exit=$?
fi

if ((raw_out)); then
  xxd -p "$work/out" | tr -d '\n' >"$work/out.hex"
  mv "$work/out.hex" "$work/out"
fi

ok=1
if ! diff -u "$work/want-out" "$work/out" >"$work/diff-out"; then
  echo "stdout differs (- expected, + actual):"; cat "$work/diff-out"; ok=0
fi
if ! diff -u "$work/want-err" "$work/err" >"$work/diff-err"; then
  echo "stderr differs (- expected, + actual):"; cat "$work/diff-err"; ok=0
fi
if [ "$got_exit" != "$want_exit" ]; then
  echo "exit code: expected $want_exit, got $got_exit"; ok=0
fi
((ok)) && echo "ok: $(basename "$case_file") ($mode)"
((ok))
