#!/usr/bin/env bash
# The dashboard's reads against a live daemon: p50/p99 of GET /api/v1/devices, /api/v1/alerts and
# /api/v1/stats/compliance (bench/api_latency_client.py, 30 requests a second in turn) in three phases on
# one broker and store holding 1,000 devices:
#   idle      nothing else happens;
#   flood     the simulator publishes 20,000 msg/s at QoS 1 (telemetry and events of the 1,000 devices);
#   snapshot  the same flood, the daemon restarted to snapshot its engine every 20,000 journal entries
#             (about once a second), so that reads meet snapshots being taken.
# Each phase also gives the rate the daemon stored messages at meanwhile. Target: p99 under 20 ms in
# every phase, and the ingest rate not lower than before the change (compare two builds in one run of
# this script each, alternating: STERIFLEETD=path/to/other/sterifleetd bench/api_latency_bench.sh).
#
#   bench/api_latency_bench.sh [BUILD_DIR (build/release)] [SECONDS a phase (20)]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
seconds=${2:-20}
daemon=${STERIFLEETD:-$build/daemon/app/sterifleetd}
sim=$build/protocol/sim/sterifleet-sim
# shellcheck source=private_broker.sh
source bench/private_broker.sh "$daemon" "$sim"
token=bench-token-0123456789abcdefghij

stored() {
  curl -sf "http://127.0.0.1:$http_port/metrics" |
    awk '/^sterifleet_messages_(stored|duplicate|quarantined)_total/ { s += $NF } END { printf "%d\n", s }'
}
start_daemon() {
  STERIFLEET_BOOTSTRAP_TOKEN=$token "$daemon" --mqtt "$broker" --db "$work/sterifleet.db" \
    --http "127.0.0.1:$http_port" --log-level warn "$@" >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
  until curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null; do sleep 0.05; done
}
flood() {  # RATE COUNT
  "$sim" --broker "$broker" --flood "$1" --flood-count "$2" --publishers 2 --flood-devices 1000 \
    --state-dir "$work/sim" --log-level warn >/dev/null
}
# One phase: reads timed for $seconds while $1 (a command, or "idle") runs; the stored rate meanwhile.
phase() {
  local name=$1 load=$2 before after started ended load_pid=
  [ "$load" = idle ] || { $load & load_pid=$!; sleep 2; }
  before=$(stored)
  started=$(date +%s.%N)
  reads=$(python3 bench/api_latency_client.py "127.0.0.1:$http_port" "$token" "$seconds")
  ended=$(date +%s.%N)
  after=$(stored)
  [ -z "$load_pid" ] || wait "$load_pid"
  python3 -c 'import json, sys
reads = json.loads(sys.argv[2])
rate = (int(sys.argv[4]) - int(sys.argv[3])) / (float(sys.argv[6]) - float(sys.argv[5]))
print(json.dumps({"phase": sys.argv[1], "stored_per_second": round(rate), "reads": reads}))' \
    "$name" "$reads" "$before" "$after" "$started" "$ended"
}

start_daemon
flood 0 100000  # the fleet the reads show: 1,000 devices with history
until [ "$(stored)" -ge 100000 ]; do sleep 0.2; done
flood_count=$((20000 * (seconds + 4)))
phase idle idle
phase flood "flood 20000 $flood_count"
kill -TERM "$daemon_pid" && wait "$daemon_pid" || true
start_daemon --set engine.snapshot_every=20000
phase snapshot "flood 20000 $flood_count"
snapshots=$(curl -sf "http://127.0.0.1:$http_port/metrics" | awk '/^sterifleet_snapshot_seconds_count\{phase="locked"\}/ { print $NF }')
echo "{\"snapshots_in_last_phase\": \"${snapshots:-not counted by this build}\", \"cores\": $(nproc)}"
