#!/bin/sh
# Restart time of the fleet (engine + store) with N stored device messages (default 10 million), from a snapshot
# and without, and what writing a snapshot costs. Run it from a release build:
#   cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
#   cmake --build build/release --target restart_bench
#   bench/restart_bench.sh [BUILD_DIR] [WORK_DIR]
# Needs about 1 GB of disk per million messages in WORK_DIR. Every step prints one JSON line.
set -eu
build=${1:-build/release}
work=${2:-/tmp/sterifleet-restart-bench}
n=${N:-10000000}
bench="$build/bench/restart_bench"
db="$work/sterifleet.db"
mkdir -p "$work"
rm -f "$db" "$db-wal" "$db-shm"

step() { echo "# $1" >&2; shift; "$bench" "$@"; }

step "journal of 90 % of the messages"                  fill "$db" --messages $((n / 10 * 9))
step "restart without a snapshot (90 %), then a clean stop writes one" restore "$db" --snapshot
step "the last 10 % of the messages"                    fill "$db" --messages "$n"
step "restart from the snapshot plus a 10 % tail (a crash just before the next snapshot is due)" restore "$db"
step "restart again, then a clean stop writes a snapshot" restore "$db" --snapshot
step "restart from a snapshot with nothing after it"    restore "$db"
step "forget the snapshots"                             forget-snapshots "$db"
step "restart without a snapshot (100 %)"               restore "$db"
