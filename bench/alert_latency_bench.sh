#!/usr/bin/env bash
# From a violating message's publish to the webhook's receipt of its alert: p50/p99/max of that latency
# (bench/alert_latency_client.py) in two phases on one broker and daemon:
#   idle   nothing else happens;
#   flood  the simulator publishes 20,000 msg/s at QoS 1 (telemetry and events of 1,000 devices of other
#          clinics), started 2 s before the first violation.
# A phase is a sterilizer's birth (a new boot each phase), then VIOLATIONS cycle.complete events with a
# failed chemical indicator, one every 100 ms, each raising a critical cycle.indicator_failed alert that
# one route sends to the client's webhook at once (webhook receiver, group_wait_s = 0, no repeats; the
# route takes only clinic `bench`, so the flood's own alerts are not delivered). Every violation must
# arrive: the client names those that did not within 10 s. The flood phase also gives the rate the daemon
# stored messages at meanwhile (/metrics). Target: p99 under 1 s. LOG_LEVEL (warn) sets the daemon's log
# level, DAEMON_LOG=path keeps its log, METRICS_OUT=path keeps /metrics after each phase (path.idle,
# path.flood), ALERT_BENCH_TRACE=path each violation's latency (bench/alert_latency_client.py).
#
#   bench/alert_latency_bench.sh [BUILD_DIR (build/release)] [VIOLATIONS a phase (200)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
violations=${2:-200}
daemon=${STERIFLEETD:-$build/daemon/app/sterifleetd}
sim=$build/protocol/sim/sterifleet-sim
command -v mosquitto_pub >/dev/null || { echo "missing mosquitto_pub (mosquitto-clients)" >&2; exit 2; }
# shellcheck source=private_broker.sh
source bench/private_broker.sh "$daemon" "$sim"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
hook_port=$(free_port)

printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n' >"$work/webhook.secret"
cat >"$work/sterifleetd.toml" <<CONF
[notify]
[[notify.receiver]]
name = "bench-hook"
type = "webhook"
url = "http://127.0.0.1:$hook_port/hook"
secret_file = "$work/webhook.secret"

[[notify.route]]
name = "bench"
clinics = ["bench"]
rules = ["cycle.indicator_failed"]
receiver = "bench-hook"
repeat_interval_min = 0
group_wait_s = 0
CONF

stored() {
  curl -sf "http://127.0.0.1:$http_port/metrics" |
    awk '/^sterifleet_messages_(stored|duplicate|quarantined)_total/ { s += $NF } END { printf "%d\n", s }'
}
keep_log() { [ -z "${DAEMON_LOG:-}" ] || cp "$work/daemon.log" "$DAEMON_LOG"; }

"$daemon" --config "$work/sterifleetd.toml" --mqtt "$broker" --db "$work/sterifleet.db" \
  --http "127.0.0.1:$http_port" --log-level "${LOG_LEVEL:-warn}" >>"$work/daemon.log" 2>&1 &
daemon_pid=$!
pids+=("$daemon_pid")
until curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null; do
  kill -0 "$daemon_pid" 2>/dev/null || { cat "$work/daemon.log" >&2; exit 1; }
  sleep 0.05
done

# One phase: the client's run while $2 ("idle", or a flood rate) goes on; boot $3 of the sterilizer.
phase() {
  local name=$1 rate=$2 boot=$3 before after started ended sim_pid= result
  if [ "$rate" != idle ]; then
    # Long enough to outlast the phase (birth, 1.5 s, the violations, their last delivery); stopped after.
    "$sim" --broker "$broker" --flood "$rate" --flood-count $((rate * (violations / 10 + 30))) --publishers 2 \
      --flood-devices 1000 --state-dir "$work/sim" --log-level warn >/dev/null &
    sim_pid=$!
    pids+=("$sim_pid")
    sleep 2
  fi
  before=$(stored)
  started=$(date +%s.%N)
  result=$("$python" bench/alert_latency_client.py "127.0.0.1:$mqtt_port" "$hook_port" "$name" "$violations" "$boot")
  ended=$(date +%s.%N)
  after=$(stored)
  [ -z "${METRICS_OUT:-}" ] || curl -sf "http://127.0.0.1:$http_port/metrics" >"$METRICS_OUT.$name"
  if [ -n "$sim_pid" ]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  "$python" -c 'import json, sys
out = json.loads(sys.argv[2])
if sys.argv[1] != "idle":
    out["stored_per_second"] = round((int(sys.argv[4]) - int(sys.argv[3])) / (float(sys.argv[6]) - float(sys.argv[5])))
print(json.dumps(out))' "$rate" "$result" "$before" "$after" "$started" "$ended"
}

phase idle idle 1
phase flood 20000 2
keep_log
echo "{\"cores\": $(nproc), \"load_average\": \"$(uptime | sed 's/.*load average: //')\"}"
