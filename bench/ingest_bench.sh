#!/usr/bin/env bash
# Sustained ingest of sterifleetd against the real limit, in one run on one broker.
#
# A private Mosquitto holds one backlog of COUNT QoS 1 messages (the simulator's flood: births, telemetry,
# cartridge events and faults from 1,000 devices) for three persistent sessions: a bare Paho subscriber
# that only counts (bench/bare_subscriber.cpp), the same subscriber appending each raw message to SQLite
# and nothing more (the least a consumer that keeps them can do: the cost of storing alone), and
# sterifleetd (decoded, judged by every rule, stored in SQLite and acknowledged only after the commit).
# Each drains the same backlog alone on the machine; the figure is the ratio of sterifleetd's rate to
# the bare subscriber's, in the median of ROUNDS rounds (a new backlog each).
#
#   bench/ingest_bench.sh [BUILD_DIR (build/release)] [COUNT (200000)] [ROUNDS (5)]
#   STERIFLEETD_SET="store.synchronous=FULL" bench/ingest_bench.sh ...   # a configuration key to try
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
count=${2:-200000}
rounds=${3:-5}
daemon=$build/daemon/app/sterifleetd
sim=$build/protocol/sim/sterifleet-sim
bare=$build/bench/bare_subscriber
# shellcheck source=private_broker.sh
source bench/private_broker.sh "$daemon" "$sim" "$bare"

# CPU seconds (user + system) a process has used so far.
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "/proc/$1/stat"; }

metric_sum() {  # the sum of every sample of the named counters
  curl -sf "http://127.0.0.1:$http_port/metrics" |
    awk -v names="$1" 'BEGIN { n = split(names, w, " "); for (i = 1; i <= n; i++) want[w[i]] = 1 }
      /^#/ { next } { split($1, k, "{"); if (k[1] in want) s += $NF } END { printf "%d\n", s }'
}
start_daemon() {
  "$daemon" --mqtt "$broker" --db "$work/sterifleet.db" --http "127.0.0.1:$http_port" --log-level warn \
    ${STERIFLEETD_SET:+--set "$STERIFLEETD_SET"} \
    >>"$work/daemon.log" 2>&1 &
  daemon_pid=$!
  pids+=("$daemon_pid")
  until curl -sf "http://127.0.0.1:$http_port/readyz" >/dev/null; do sleep 0.05; done
}

# The subscriber's JSON, with the CPU seconds it used.
run_subscriber() {
  python3 -c 'import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
result = json.loads(out)
result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
print(json.dumps(result))' "$bare" --broker "$broker" --count "$count" "$@"
}

counters="sterifleet_messages_stored_total sterifleet_messages_duplicate_total sterifleet_messages_quarantined_total"

# 1. The sessions exist and are subscribed before the backlog is published.
"$bare" --broker "$broker" --client-id bare --prepare
"$bare" --broker "$broker" --client-id raw-store --prepare
start_daemon
sleep 1
kill -TERM "$daemon_pid" && wait "$daemon_pid" || true

# Rounds: this machine's speed drifts by a third from one minute to the next (other tenants), so each
# round puts the two consumers side by side on the same backlog, and the median round is the figure.
for _ in $(seq 1 "$rounds"); do
  # 2. The backlog.
  "$sim" --broker "$broker" --flood 0 --flood-count "$count" --publishers 4 --flood-devices 1000 \
    --state-dir "$work/sim" --log-level warn >"$work/flood.json"

  # 3. The real limit (and the CPU it and the broker spend on it), then the cost of storing alone.
  broker_cpu_before=$(cpu_seconds "$mosquitto_pid")
  bare_json=$(run_subscriber --client-id bare)
  bare_broker_cpu=$(python3 -c "print($(cpu_seconds "$mosquitto_pid") - $broker_cpu_before)")
  rm -f "$work"/raw.db*
  raw_json=$(run_subscriber --client-id raw-store --store "$work/raw.db")

  # 4. The daemon, timed from its first stored group to its last by the store's own receipt times, so
  # that watching it costs almost nothing (polling /metrics often took a tenth of a core from it).
  rm -f "$work/daemon.log"
  since_ms=$(date +%s%3N)
  broker_cpu_before=$(cpu_seconds "$mosquitto_pid")
  start_daemon
  daemon_cpu_before=$(cpu_seconds "$daemon_pid")
  until [ "$(metric_sum "$counters")" -ge "$count" ]; do sleep 0.5; done
  quarantined=$(metric_sum sterifleet_messages_quarantined_total)
  commits=$(metric_sum sterifleet_store_commit_seconds_count)
  rss_kib=$(awk '/VmHWM/ { print $2 }' "/proc/$daemon_pid/status")
  daemon_cpu=$(python3 -c "print($(cpu_seconds "$daemon_pid") - $daemon_cpu_before)")
  # Paho's receive thread, the daemon's busiest (it starts with the connection: all its CPU is this drain's).
  receive_thread_cpu=0
  for task in /proc/"$daemon_pid"/task/*; do
    if [ "$(cat "$task/comm")" = MQTTAsync_rcv ]; then
      receive_thread_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' "$task/stat")
    fi
  done
  daemon_broker_cpu=$(python3 -c "print($(cpu_seconds "$mosquitto_pid") - $broker_cpu_before)")
  kill -TERM "$daemon_pid" && wait "$daemon_pid" || true

  python3 - "$bare_json" "$work/sterifleet.db" "$since_ms" "$count" "$quarantined" "$rss_kib" \
    "$bare_broker_cpu" "$daemon_cpu" "$daemon_broker_cpu" "$commits" "$receive_thread_cpu" "$raw_json" \
    >>"$work/rounds.jsonl" <<'EOF'
import json, sqlite3, sys
bare, raw = json.loads(sys.argv[1]), json.loads(sys.argv[12])
since, count = int(sys.argv[3]), int(sys.argv[4])
bare_broker_cpu, daemon_cpu, daemon_broker_cpu = (float(x) for x in sys.argv[7:10])
# A group's messages share one receipt time (milliseconds): the rate counts what came after the first group.
received = sqlite3.connect(sys.argv[2]).execute(
    "SELECT received_at, count(*) FROM (SELECT received_at FROM messages UNION ALL SELECT received_at FROM quarantine) "
    "WHERE received_at >= ? GROUP BY received_at ORDER BY received_at", (since,)).fetchall()
first, first_group = received[0]
last = received[-1][0]
daemon_rate = (sum(n for _, n in received) - first_group) / ((last - first) / 1000)
micros = lambda seconds: round(seconds / count * 1e6, 1)
print(json.dumps({
    "bare_subscriber_per_second": round(bare["per_second"]),
    "sterifleetd_per_second": round(daemon_rate),
    "ratio": round(daemon_rate / bare["per_second"], 3),
    "raw_store_per_second": round(raw["per_second"]),
    "raw_store_ratio": round(raw["per_second"] / bare["per_second"], 3),
    "sterifleetd_quarantined": int(sys.argv[5]),
    "sterifleetd_peak_rss_mib": round(int(sys.argv[6]) / 1024, 1),
    "sterifleetd_messages_per_transaction": round(count / max(int(sys.argv[10]), 1), 1),
    # CPU time a message costs, consumer and broker (both share the machine's cores).
    "cpu_us_per_message": {
        "bare_subscriber": micros(bare["cpu_seconds"]), "broker_for_bare": micros(bare_broker_cpu),
        "raw_store": micros(raw["cpu_seconds"]),
        "sterifleetd": micros(daemon_cpu), "broker_for_sterifleetd": micros(daemon_broker_cpu),
        "sterifleetd_receive_thread": micros(float(sys.argv[11]))},
}))
EOF
  tail -n 1 "$work/rounds.jsonl" >&2
done

# 5. The median round (by ratio), with the range of every rate.
python3 - "$work/rounds.jsonl" "$count" <<'EOF'
import json, os, sys
rounds = [json.loads(line) for line in open(sys.argv[1])]
median = sorted(rounds, key=lambda r: r["ratio"])[len(rounds) // 2]
spread = lambda key: [min(r[key] for r in rounds), max(r[key] for r in rounds)]
print(json.dumps({
    "messages_a_round": int(sys.argv[2]), "rounds": len(rounds), "median_round": median,
    "ratio_range": spread("ratio"), "bare_subscriber_per_second_range": spread("bare_subscriber_per_second"),
    "sterifleetd_per_second_range": spread("sterifleetd_per_second"),
    "raw_store_ratio_range": spread("raw_store_ratio"), "cores": os.cpu_count()}))
EOF
