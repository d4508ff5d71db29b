#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mqttwire-broker against mosquitto under the same load (examples/load, mqttwire-load): fan-in
# (100 publishers -> 1 subscriber) and fan-out (1 publisher -> 100 subscribers) at QoS 0, QoS 1,
# and QoS 1 with persistence (our --persist DIR, mosquitto's `persistence true`, both with
# persistent sessions), then 10000 idle connections and the broker's RSS. Each broker runs
# alone, pinned to CPU 0 (taskset -c 0), on a free 127.0.0.1 port, stopped by its pid; the load
# runs on CPU 1. Every number in the table is measured by this run; nothing is asserted except
# that each run delivered exactly what it expected (the "delivered" column).
#   usage: tools/bench-broker.sh            (builds build/bench-broker, Release, g++)
#   env:   MQTTWIRE_BROKER, MQTTWIRE_LOAD   use these binaries instead of building
#          FAN_IN_MESSAGES (20000), FAN_OUT_MESSAGES (2000), IDLE (10000), RUN_TIMEOUT (30 s),
#          FAN_IN_WINDOW (1), FAN_OUT_WINDOW (4): messages per publisher not yet delivered.
#          IDLE_ONLY=1: only the idle connections (the memory figure), no throughput runs.
# mosquitto runs with max_queued_messages 0 (no limit): with its default of 1000, mosquitto
# 2.0.11 (Debian 12) dropped QoS 1 messages for the one fan-in subscriber ("Outgoing messages
# are being dropped") with only 100 outstanding, and the run stalled at about 1,450 of 20,000.
set -euo pipefail
cd "$(dirname "$0")/.."
fan_in_messages=${FAN_IN_MESSAGES:-20000}
fan_out_messages=${FAN_OUT_MESSAGES:-2000}
idle=${IDLE:-10000}
run_timeout=${RUN_TIMEOUT:-30}
fan_in_window=${FAN_IN_WINDOW:-1}
fan_out_window=${FAN_OUT_WINDOW:-4}
idle_only=${IDLE_ONLY:-0}

if [[ -z ${MQTTWIRE_BROKER:-} || -z ${MQTTWIRE_LOAD:-} ]]; then
  build=build/bench-broker
  cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=g++ -DCMAKE_BUILD_TYPE=Release \
    -DMQTTWIRE_BUILD_TESTS=OFF -DMQTTWIRE_WERROR=ON >/dev/null
  cmake --build "$build" -j "${MQTTWIRE_JOBS:-2}" --target mqttwire_broker mqttwire_load
  MQTTWIRE_BROKER=$build/examples/mqttwire-broker
  MQTTWIRE_LOAD=$build/examples/mqttwire-load
fi
command -v mosquitto >/dev/null || { echo "mosquitto is not installed (Debian: mosquitto)"; exit 1; }
# 10000 idle connections: a descriptor each in the load tool and in the broker.
ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < idle + 200)); then
  echo "the open file limit ($(ulimit -n)) is too low for $idle connections"
  exit 1
fi

work=$(mktemp -d)
pid=
stop_server() {
  if [[ -n $pid ]]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
  fi
}
trap 'stop_server; rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {  # the server is up once a TCP connect to $1 succeeds
  for _ in $(seq 100); do
    if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_server NAME PERSIST(0|1): starts ours or mosquitto on a fresh port, sets $pid and $port.
start_server() {
  local name=$1 persist=$2
  port=$(free_port)
  local dir="$work/$name-$persist-$port"
  mkdir -p "$dir"
  if [[ $name == ours ]]; then
    local args=(--port "$port" --max-connections $((idle + 100)))
    ((persist)) && args+=(--persist "$dir")
    taskset -c 0 "$MQTTWIRE_BROKER" "${args[@]}" 2>"$dir/log" &
  else
    {
      echo "listener $port 127.0.0.1"
      echo "allow_anonymous true"
      echo "log_type error"
      echo "max_queued_messages 0"
      if ((persist)); then
        echo "persistence true"
        echo "persistence_location $dir/"
      fi
    } >"$dir/mosquitto.conf"
    taskset -c 0 mosquitto -c "$dir/mosquitto.conf" 2>"$dir/log" &
  fi
  pid=$!
  wait_port "$port" || { echo "$name did not start:"; cat "$dir/log"; exit 1; }
}

# load ARGS...: one mqttwire-load run on CPU 1; prints its result line (empty on a crash).
load() {
  timeout --kill-after=5 $((run_timeout + 10)) taskset -c 1 "$MQTTWIRE_LOAD" --port "$port" \
    --broker-pid "$pid" --timeout "$run_timeout" "$@" || true
}

field() {  # field NAME LINE
  local v
  v=$(grep -o " $1=[^ ]*" <<<" $2" | head -1 | cut -d= -f2)
  echo "${v:--}"
}

declare -A result
for name in ours mosquitto; do
  for config in qos0 qos1 qos1-persist; do
    ((idle_only)) && break
    case $config in
      qos0) qos=0 persist=0 clean=1 ;;
      qos1) qos=1 persist=0 clean=1 ;;
      qos1-persist) qos=1 persist=1 clean=0 ;;
    esac
    for scenario in fan-in fan-out; do
      messages=$fan_in_messages window=$fan_in_window
      [[ $scenario == fan-out ]] && messages=$fan_out_messages window=$fan_out_window
      start_server "$name" "$persist"
      line=$(load --qos "$qos" --clean-session "$clean" --messages "$messages" --window "$window" \
        "$scenario")
      stop_server
      echo "$name $config: $line" >&2
      result[$name,$scenario $config]=$line
    done
  done
  start_server "$name" 0
  line=$(load --hold 2 idle "$idle")
  stop_server
  echo "$name idle: $line" >&2
  result[$name,idle]=$line
done

ratio() {  # ratio A B: A/B with two decimals, or - when either is missing
  if [[ $1 == - || $2 == - || $2 == 0 ]]; then echo -; else
    python3 -c "print(f'{$1 / $2:.2f}')"
  fi
}

if ((!idle_only)); then
echo
echo "| scenario | mqttwire-broker msgs/s | mosquitto msgs/s | ratio | ours p50 / p99 µs | mosquitto p50 / p99 µs | delivered ours / mosquitto |"
echo "|---|---|---|---|---|---|---|"
for config in qos0 qos1 qos1-persist; do
  for scenario in fan-in fan-out; do
    a=${result[ours,$scenario $config]}
    b=${result[mosquitto,$scenario $config]}
    echo "| $scenario $config | $(field msgs_per_s "$a") | $(field msgs_per_s "$b") |" \
      "$(ratio "$(field msgs_per_s "$a")" "$(field msgs_per_s "$b")") |" \
      "$(field p50_us "$a") / $(field p99_us "$a") | $(field p50_us "$b") / $(field p99_us "$b") |" \
      "$(field received "$a")/$(field expected "$a") / $(field received "$b")/$(field expected "$b") |"
  done
done
fi
echo
echo "| idle $idle connections | mqttwire-broker | mosquitto | ratio |"
echo "|---|---|---|---|"
a=${result[ours,idle]}
b=${result[mosquitto,idle]}
echo "| connected | $(field connected "$a") | $(field connected "$b") | |"
echo "| broker RSS KiB | $(field broker_rss_kib "$a") | $(field broker_rss_kib "$b") |" \
  "$(ratio "$(field broker_rss_kib "$a")" "$(field broker_rss_kib "$b")") |"
echo "| bytes per connection | $(field bytes_per_connection "$a") | $(field bytes_per_connection "$b") |" \
  "$(ratio "$(field bytes_per_connection "$a")" "$(field bytes_per_connection "$b")") |"
echo "| connect time s | $(field connect_seconds "$a") | $(field connect_seconds "$b") | |"
