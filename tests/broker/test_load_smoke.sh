#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mqttwire-load against mqttwire-broker with small counts: every scenario must deliver exactly
# what it expects (received == expected, no duplicates) and keep every idle connection open.
#   MQTTWIRE_BROKER=path/to/mqttwire-broker MQTTWIRE_LOAD=path/to/mqttwire-load test_load_smoke.sh
set -euo pipefail
broker=${MQTTWIRE_BROKER:?set MQTTWIRE_BROKER to the mqttwire-broker binary}
load=${MQTTWIRE_LOAD:-$(dirname "$broker")/mqttwire-load}
work=$(mktemp -d)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$broker" --port 0 2>"$work/broker.log" &
pid=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^listening mqtt=127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/broker.log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { echo "the broker did not say its port"; cat "$work/broker.log"; exit 1; }

failures=0
# check NAME EXPECTED_FIELD... -- LOAD ARGS: runs the tool and checks its line field by field.
check() {
  local name=$1; shift
  local want=()
  while [[ $1 != -- ]]; do want+=("$1"); shift; done
  shift
  local line rc=0
  line=$(timeout 15 "$load" --port "$port" --timeout 10 --broker-pid "$pid" "$@") || rc=$?
  echo "$name: $line"
  local ok=1
  ((rc == 0)) || { echo "  exit status $rc"; ok=0; }
  for field in "${want[@]}"; do
    [[ " $line " == *" $field "* ]] || { echo "  missing $field"; ok=0; }
  done
  ((ok)) || failures=$((failures + 1))
}
check fan-in-qos0 received=2000 expected=2000 duplicates=0 -- --clients 20 --messages 2000 fan-in
check fan-in-qos1 received=2000 expected=2000 duplicates=0 pubacks=2000 -- \
  --qos 1 --clients 20 --messages 2000 fan-in
check fan-out-qos0 received=4000 expected=4000 duplicates=0 -- --clients 20 --messages 200 fan-out
check fan-out-qos1 received=4000 expected=4000 duplicates=0 pubacks=200 -- \
  --qos 1 --clients 20 --messages 200 fan-out
check idle connected=200 open_at_end=200 failed_connections=0 -- --hold 0.2 idle 200

kill "$pid"
wait "$pid" || { echo "the broker did not stop cleanly"; failures=$((failures + 1)); }
pid=
grep -q 'dropped=0' "$work/broker.log" || { echo "the broker dropped messages"; failures=$((failures + 1)); }
if ((failures)); then
  echo "test_load_smoke: $failures failed"
  exit 1
fi
echo "test_load_smoke: passed"
