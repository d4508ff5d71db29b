#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's "run it" command: the traffic telemetry system on this machine's loopback.
# Installs what it needs on Debian 12 (tools/install-deps.sh), builds, starts mqttwire-broker
# (MQTT over TCP, and on a second port MQTT over WebSockets and the map page), traffic-monitor and
# traffic-generator (50 vehicles), shows the monitor's live table for 20 seconds, prints the
# map's URL and stops everything by pid.
#   bash tools/run-demo.sh              # 20 seconds
#   bash tools/run-demo.sh --keep       # until Ctrl-C (open the map in a browser meanwhile)
#   bash tools/run-demo.sh --seconds N  # N seconds
# Ports: MQTTWIRE_DEMO_PORT (default 1883) and MQTTWIRE_DEMO_WS_PORT (default 8080), or free ones
# if those are taken; all on 127.0.0.1. MQTTWIRE_DEMO_BUILD names the build directory (default
# build/demo); MQTTWIRE_DEMO_SKIP_DEPS=1 and MQTTWIRE_DEMO_SKIP_BUILD=1 skip those steps (CI).
# The CLI inspector's demo is tools/run-cli-demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=20
keep=0
vehicles=${MQTTWIRE_DEMO_VEHICLES:-50}
while (($#)); do
  case $1 in
    --keep) keep=1 ;;
    --seconds) seconds=$2; shift ;;
    *) echo "usage: $0 [--keep] [--seconds N]"; exit 2 ;;
  esac
  shift
done
[ -n "${MQTTWIRE_DEMO_SKIP_DEPS:-}" ] || bash tools/install-deps.sh
build=${MQTTWIRE_DEMO_BUILD:-build/demo}
targets=(mqttwire_broker traffic_generator traffic_monitor traffic_web)
if [ -z "${MQTTWIRE_DEMO_SKIP_BUILD:-}" ]; then
  echo "building ${targets[*]} in $build (a minute or two the first time) ..."
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMQTTWIRE_BUILD_TESTS=OFF >/dev/null
  cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null
fi
build=$(cd "$build" && pwd)
bin=$build/examples/traffic
logs=$build/demo-logs
mkdir -p "$logs"

pids=()
stop_all() {
  local pid
  # the generator first (its vehicles say offline), then the monitor, then the broker
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids=()
}
trap stop_all EXIT
trap 'echo; echo "stopping"; exit 0' INT TERM

listening() { /usr/bin/python3 -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1',$1)) == 0 else 1)"; }
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
port=${MQTTWIRE_DEMO_PORT:-1883}
ws=${MQTTWIRE_DEMO_WS_PORT:-8080}
! listening "$port" || port=$(free_port)
! listening "$ws" || ws=$(free_port)
wait_port() {
  for _ in $(seq 100); do listening "$1" && return 0; sleep 0.1; done
  echo "the broker did not open port $1 (see $logs)"; exit 1
}

ulimit -n 65536 2>/dev/null || true
broker="mqttwire-broker"
"$build/examples/mqttwire-broker" --bind 127.0.0.1 --port "$port" --ws-port "$ws" \
  --http-root "$build/traffic-web" >"$logs/broker.log" 2>&1 &
broker_pid=$!
pids=("$broker_pid")
wait_port "$port"
wait_port "$ws"
"$bin/traffic-generator" --port "$port" --vehicles "$vehicles" --jam-at 5 --jam-for 25 \
  >"$logs/generator.log" 2>&1 &
generator_pid=$!
pids=("$generator_pid" "$broker_pid")
url="http://127.0.0.1:$ws/index.html"
echo "$broker on 127.0.0.1:$port (MQTT) and :$ws (WebSockets, the map); $vehicles vehicles"
echo "the map: $url"
duration=$seconds
((keep)) && duration=0
"$bin/traffic-monitor" --port "$port" --duration "$duration" \
  --note "$broker, $vehicles vehicles; the map: $url" 2>"$logs/monitor.err" &
monitor_pid=$!
pids=("$generator_pid" "$monitor_pid" "$broker_pid")
wait "$monitor_pid" || true
echo
echo "the map: $url (run with --keep to keep it live; a congestion alert appears about 13 s in)"
echo "logs: $logs"
stop_all
echo "stopped: generator $generator_pid, monitor $monitor_pid, $broker $broker_pid"
