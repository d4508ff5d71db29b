#!/usr/bin/env bash
# Garbage is refused as soon as the bytes that prove it arrive, not at end of input: the stream
# below stays open (nothing is ever closed), so the tool must answer from the first bytes alone.
# usage: at-once.sh <mqttwire>
set -uo pipefail
mqttwire=$1
work=$(mktemp -d)
trap 'exec 3>&-; rm -rf "$work"' EXIT
mkfifo "$work/in"
exec 3<>"$work/in"  # held open read-write: the reader never sees end of file
printf 'GET / HTTP/1.1\r\n' >&3
start=$SECONDS
timeout 20 "$mqttwire" decode <"$work/in" >"$work/out" 2>"$work/err"
rc=$?
took=$((SECONDS - start))
want='{"error": "invalid_fixed_header_flags", "offset": 0}'
ok=1
if [ "$rc" != 1 ]; then echo "exit code: expected 1, got $rc (124 = it waited for more input)"; ok=0; fi
if [ "$(cat "$work/out")" != "$want" ]; then echo "stdout: expected $want, got $(cat "$work/out")"; ok=0; fi
if [ -s "$work/err" ]; then echo "stderr not empty: $(cat "$work/err")"; ok=0; fi
((ok)) && echo "ok: refused in ${took} s with the stream still open"
((ok))
