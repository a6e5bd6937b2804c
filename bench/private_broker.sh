# Sourced by the benchmark scripts that need a broker: checks the binaries they run (given as
# arguments), makes a work folder removed on exit with every process listed in `pids`, picks free
# loopback ports ($mqtt_port, $http_port) and starts a private Mosquitto ($broker, $mosquitto_pid)
# whose offline sessions keep a whole backlog (the default keeps 1,000 messages and drops the rest).
for binary in "$@"; do
  [ -x "$binary" ] || { echo "missing $binary: build it first (cmake --build --preset release)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mqtt_port=$(free_port)
http_port=$(free_port)
broker=tcp://127.0.0.1:$mqtt_port
cat >"$work/mosquitto.conf" <<CONF
listener $mqtt_port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
max_queued_bytes 0
CONF
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
mosquitto_pid=$!
pids+=($mosquitto_pid)
sleep 0.5
