#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The whole traffic system for a bounded time on 127.0.0.1: a broker, traffic-monitor and
# traffic-generator (50 vehicles, QoS 1, persistent sessions, the scripted jam 3 s to 16 s in),
# with the broker (persistent) restarted 26 s in. Checks: the monitor sees every vehicle, the congestion alert is published
# retained and cleared (an empty retained payload), no QoS 1 position is lost (every report the
# generator made reaches the monitor, duplicates allowed), every vehicle's status is retained
# (online before the restart and after it, offline at the end), traffic/network is retained, and
# the generator survives the restart (every vehicle reconnects to its kept session and reports
# again; everything it sent is acknowledged).
#   usage: tests/traffic/system.sh <build dir> <mosquitto|mqttwire> [work dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
kind=$2
work=${3:-$build/traffic-artifacts/system-$kind}
source "$here/lib.sh"
bin=$build/examples/traffic
vehicles=50
duration=36
restart_at=26
rm -rf "$work"
mkdir -p "$work"
port=$(free_port)
ws=$(free_port)

start_broker() {
  case $kind in
    mosquitto) start_mosquitto "$work/broker" "$port" "$ws" "$build/traffic-web" ;;
    mqttwire)
      mkdir -p "$work/broker"
      "$build/examples/mqttwire-broker" --bind 127.0.0.1 --port "$port" --ws-port "$ws" \
        --http-root "$build/traffic-web" --persist "$work/broker/store" \
        >>"$work/broker/broker.log" 2>&1 &
      broker_pid=$!
      pids+=("$broker_pid")
      wait_port "$port"
      ;;
    *) echo "unknown broker kind $kind"; exit 2 ;;
  esac
}

start_broker
echo "broker ($kind) on 127.0.0.1:$port, WebSockets on $ws; logs in $work"

# a recorder of the alerts as they travel (retained or not), until the restart
timeout $((restart_at + 5)) mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'traffic/alerts/#' \
  -F '%t|%r|%p' >"$work/alerts.txt" 2>/dev/null &
recorder=$!
pids+=("$recorder")

timeout $((duration + 40)) "$bin/traffic-monitor" --port "$port" --json \
  >"$work/monitor.jsonl" 2>"$work/monitor.err" &
monitor=$!
pids+=("$monitor")
for _ in $(seq 100); do grep -q subscribed "$work/monitor.err" && break; sleep 0.1; done
grep -q subscribed "$work/monitor.err" || { echo "FAIL: the monitor did not subscribe"; exit 1; }

timeout $((duration + 40)) "$bin/traffic-generator" --port "$port" --vehicles "$vehicles" \
  --qos 1 --duration "$duration" --jam-at 3 --jam-for 13 --json \
  >"$work/generator.jsonl" 2>"$work/generator.err" &
generator=$!
pids+=("$generator")

# the retained statuses: every vehicle, as the broker holds them (2 s without a new one: done)
retained_statuses() {
  timeout 10 mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'traffic/vehicles/+/status' \
    --retained-only -W 2 >"$work/$1" 2>/dev/null || true
}
sleep $((restart_at - 3))
retained_statuses statuses-before.txt
sleep 3
echo "restarting the broker"
stop_pid "$broker_pid"
sleep 2
start_broker
sleep 3
retained_statuses statuses-after-restart.txt

gen_rc=0
wait "$generator" || gen_rc=$?
sleep 3  # the last reports reach the monitor
stop_pid "$monitor"
wait "$monitor" 2>/dev/null || true
retained_statuses statuses-end.txt
mosquitto_sub -h 127.0.0.1 -p "$port" -v -t 'traffic/alerts/#' --retained-only -W 2 \
  >"$work/retained-alerts.txt" 2>/dev/null || true
mosquitto_sub -h 127.0.0.1 -p "$port" -t 'traffic/network' -C 1 -W 3 \
  >"$work/network.json" 2>/dev/null || true

echo "generator exit code $gen_rc"
/usr/bin/python3 - "$work" "$vehicles" "$gen_rc" <<'PY'
import json, sys
work, vehicles, gen_rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
failures = []
def check(ok, what):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok: failures.append(what)
gen = [json.loads(l) for l in open(work + "/generator.jsonl") if l.startswith("{")]
mon = [json.loads(l) for l in open(work + "/monitor.jsonl") if l.startswith("{")]
summary = next(j for j in gen if j.get("summary"))
final = next(j for j in mon if j.get("final"))
ticks = [j for j in mon if not j.get("final")]
print("generator:", json.dumps(summary))
print("monitor:", json.dumps({k: v for k, v in final.items() if k not in ("vehicles", "slowest")}))
check(gen_rc == 0, "the generator ended cleanly")
ids = sorted("v%d" % i for i in range(1, vehicles + 1))
check(sorted(final["vehicles"]) == ids, "the monitor saw all %d vehicles" % vehicles)
check(max(t["online"] for t in ticks) == vehicles, "the monitor counted %d online" % vehicles)
# QoS 1: every report reached the monitor; nothing unacknowledged at the generator
check(summary["unacknowledged"] == 0, "the generator has nothing unacknowledged")
check(summary["delivered"] == summary["published_acked"], "every QoS 1 PUBLISH was acknowledged")
check(summary["dropped"] == 0, "the generator dropped no report")
check(final["lost"] == 0, "the monitor found no gap in any vehicle's seq")
check(final["received"] - final["duplicates"] == summary["positions"],
      "reports received (%d, %d duplicates) = reports sent (%d)"
      % (final["received"], final["duplicates"], summary["positions"]))
# the broker restart: everyone reconnected and reported again
check(summary["reconnects"] >= vehicles, "every vehicle reconnected (%d reconnects)" % summary["reconnects"])
check(summary["resumed"] >= vehicles,
      "every vehicle found its session kept by the broker (%d CONNACKs with session present)"
      % summary["resumed"])
def statuses(name):
    got = {}
    for l in open(work + "/" + name):
        topic, _, payload = l.rstrip("\n").partition(" ")
        got[topic] = payload
    return got
def all_status(name, want):
    want_map = {"traffic/vehicles/%s/status" % i: want for i in ids}
    got = statuses(name)
    check(got == want_map, "%s: every vehicle's retained status is %s (%d topics, %d as expected)"
          % (name, want, len(got), sum(1 for k, v in got.items() if want_map.get(k) == v)))
all_status("statuses-before.txt", "online")
all_status("statuses-after-restart.txt", "online")
all_status("statuses-end.txt", "offline")
late = [t for t in gen if not t.get("summary")][-5:]
check(all(t["connected"] == vehicles and t["positions_per_s"] > 0 for t in late),
      "after the restart all vehicles are connected and reporting")
check(any(not t["connected"] for t in ticks) or final["connects"] >= 2,
      "the monitor went through the restart too")
# the jam: the alert on A2-B2 is raised, then cleared, as the monitor saw it ...
with_alert = [i for i, t in enumerate(ticks) if "A2-B2" in t["alerts"]]
check(bool(with_alert), "the monitor raised the congestion alert on A2-B2")
if with_alert:
    check(any("A2-B2" not in t["alerts"] for t in ticks[with_alert[-1] + 1:]),
          "and cleared it (%d s with the alert)" % len(with_alert))
# ... and as it travelled through the broker: JSON, then an empty payload
alerts = [l.rstrip("\n").split("|", 2) for l in open(work + "/alerts.txt") if l.startswith("traffic/alerts/congestion/A2-B2|")]
payloads = [a[2] for a in alerts]
set_msgs = [p for p in payloads if p]
check(bool(set_msgs) and json.loads(set_msgs[0])["segment"] == "A2-B2"
      and json.loads(set_msgs[0])["avg_speed"] < json.loads(set_msgs[0])["threshold"],
      "the alert was published with its payload: %s" % (set_msgs[0] if set_msgs else None))
check(bool(payloads) and payloads[-1] == "", "the alert was cleared with an empty payload")
check(open(work + "/retained-alerts.txt").read().strip() == "", "no alert is retained at the end")
net = json.loads(open(work + "/network.json").read() or "{}")
check(net.get("type") == "FeatureCollection" and len(net.get("features", [])) == 24,
      "traffic/network is retained (24 segments)")
print("system test (%s): %d checks failed" % (work, len(failures)))
sys.exit(1 if failures else 0)
PY
