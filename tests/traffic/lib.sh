# shellcheck shell=bash
# Shared by the traffic system tests: free ports, brokers on 127.0.0.1, processes stopped by pid.
# usage: source tests/traffic/lib.sh; then `trap cleanup EXIT` is already set.

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  pids=()
}
trap cleanup EXIT

# A TCP port nobody listens on now (the kernel's choice).
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until 127.0.0.1:$1 accepts connections (10 s at most).
wait_port() {
  local port=$1
  for _ in $(seq 100); do
    if /usr/bin/python3 -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$port" >&2
  return 1
}

# start_mosquitto <dir> <tcp port> <ws port> <http dir>: mosquitto 2 on 127.0.0.1 with a
# WebSocket listener serving <http dir>, persistence in <dir>; sets broker_pid.
start_mosquitto() {
  local dir=$1 port=$2 ws=$3 http=$4
  mkdir -p "$dir"
  cat >"$dir/mosquitto.conf" <<CONF
per_listener_settings false
allow_anonymous true
persistence true
persistence_location $dir/
autosave_interval 10
user root
max_queued_messages 100000
listener $port 127.0.0.1
listener $ws 127.0.0.1
protocol websockets
http_dir $http
CONF
  ulimit -n 65536 2>/dev/null || true
  mosquitto -c "$dir/mosquitto.conf" >>"$dir/broker.log" 2>&1 &
  broker_pid=$!
  pids+=("$broker_pid")
  wait_port "$port"
}

# stop_pid <pid>: SIGTERM, then waits for it to end (10 s, then SIGKILL).
stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

# json_field <file> <python expression over j, the last line with "summary"/"final">
last_json() { grep "\"$2\":true" "$1" | tail -1; }
