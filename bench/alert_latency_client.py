#!/usr/bin/env python3
"""Times alerts from a violating message's publish to the webhook's receipt of its notice.

Serves the webhook the daemon is configured to deliver to (a threaded http.server on 127.0.0.1:HOOK_PORT,
answering 200) and, as one sterilizer of clinic `bench`, publishes its birth (boot BOOT, seq 1), then
VIOLATIONS `cycle.complete` events with `ci: "fail"` (seq 2, 3, ...; a new cycle id each, so each raises
its own critical `cycle.indicator_failed` alert; the load is one pen, since a failed cycle of an empty load
is cleared at once and notified as resolved only), one every 100 ms, each a line written to one long-lived
`mosquitto_pub -l -q 1` (one connection, one message a line). The time just before a line is written is
its publish time; the time a POST's body has been read is the receipt time of each notice in it. They are
matched by the alert's trigger, the message key `<device>/<boot>/<seq>`. Waits up to 10 s after the last
publish. Prints JSON: the phase, how many violations were published and received, p50/p99/max in
milliseconds, and the keys of any that did not arrive within 10 s of their publish.

    alert_latency_client.py MQTT_HOST:PORT HOOK_PORT PHASE VIOLATIONS BOOT

With ALERT_BENCH_TRACE=path, appends a line a violation to that file: UTC publish time, phase, key, ms.

Python 3 standard library only (no MQTT client library: mosquitto_pub publishes).
"""
import datetime
import http.server
import json
import os
import subprocess
import sys
import threading
import time

CLINIC = "bench"
DEVICE = "STER-BENCH"
RULE = "cycle.indicator_failed"
PACE_S = 0.1
WAIT_S = 10.0


def timestamp():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def envelope(boot, seq, type_, body):
    return json.dumps({"v": 1, "device": DEVICE, "boot": boot, "seq": seq, "ts": timestamp(), "type": type_,
                       "body": body}, separators=(",", ":"))


def percentile(sorted_values, share):
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


class Receipts:
    """The first receipt time of each trigger's firing notice; copies counted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.first = {}
        self.copies = 0
        self.other = 0
        self.other_sample = None
        self.arrived = threading.Condition(self.lock)

    def record(self, at, body):
        notices = json.loads(body).get("notices", [])
        with self.lock:
            for notice in notices:
                alert = notice.get("alert", {})
                if alert.get("rule") != RULE or notice.get("kind") != "firing":
                    self.other += 1
                    self.other_sample = self.other_sample or {"kind": notice.get("kind"), "rule": alert.get("rule"),
                                                              "trigger": alert.get("trigger")}
                    continue
                self.copies += 1
                self.first.setdefault(alert.get("trigger"), at)
            self.arrived.notify_all()


def serve(port, receipts):
    class Hook(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            at = time.monotonic()
            try:
                receipts.record(at, body)
            finally:
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    broker, hook_port, phase, violations, boot = sys.argv[1:6]
    host, port = broker.rsplit(":", 1)
    violations, boot = int(violations), int(boot)
    receipts = Receipts()
    server = serve(int(hook_port), receipts)
    base = f"sterifleet/v1/{CLINIC}/{DEVICE}"
    birth = envelope(boot, 1, "birth", {"kind": "sterilizer", "model": "Bench 1", "firmware": "1.0"})
    # Acknowledged (QoS 1) before the events' publisher connects, so the daemon reads it first.
    subprocess.run(["mosquitto_pub", "-h", host, "-p", port, "-q", "1", "-t", base + "/birth", "-m", birth],
                   check=True)
    time.sleep(1.0)
    publisher = subprocess.Popen(["mosquitto_pub", "-h", host, "-p", port, "-q", "1", "-l", "-t", base + "/event"],
                                 stdin=subprocess.PIPE, text=True, bufsize=1)
    time.sleep(0.5)  # connected before the first line is timed
    published = {}
    wall = {}
    due = time.monotonic()
    for i in range(violations):
        seq = i + 2
        line = envelope(boot, seq, "cycle.complete",
                        {"cycle": f"CYC-{boot}-{seq}", "method": "steam_gravity", "wrapped": True, "temp_c": 121.5,
                         "exposure_s": 1800, "pressure_kpa": 205.0, "load": ["PEN-BENCH"], "ci": "fail", "operator": "op-bench"}) + "\n"
        published[f"{DEVICE}/{boot}/{seq}"] = time.monotonic()
        wall[f"{DEVICE}/{boot}/{seq}"] = timestamp()
        publisher.stdin.write(line)
        publisher.stdin.flush()
        due += PACE_S
        time.sleep(max(0.0, due - time.monotonic()))
    deadline = time.monotonic() + WAIT_S
    with receipts.lock:
        while not set(published) <= set(receipts.first) and time.monotonic() < deadline:
            receipts.arrived.wait(max(0.0, deadline - time.monotonic()))
        first = dict(receipts.first)
        copies, other, other_sample = receipts.copies, receipts.other, receipts.other_sample
    publisher.stdin.close()
    publisher.wait(timeout=10)
    server.shutdown()
    latencies = sorted((first[key] - at) * 1000 for key, at in published.items() if key in first)
    late = sorted(key for key, at in published.items() if key not in first or first[key] - at > WAIT_S)
    out = {"phase": phase, "published": len(published), "received": len(latencies),
           "late_or_missing": late, "duplicate_copies": copies - len(first), "other_notices": other}
    if other_sample:
        out["other_notice_sample"] = other_sample
    if latencies:
        out.update({"p50_ms": round(percentile(latencies, 0.50), 1), "p99_ms": round(percentile(latencies, 0.99), 1),
                    "max_ms": round(latencies[-1], 1), "min_ms": round(latencies[0], 1)})
    if os.environ.get("ALERT_BENCH_TRACE"):  # each violation: UTC publish time, key, latency in ms
        with open(os.environ["ALERT_BENCH_TRACE"], "a") as trace:
            for key, at in published.items():
                latency = f"{(first[key] - at) * 1000:.1f}" if key in first else "missing"
                trace.write(f"{wall[key]} {phase} {key} {latency}\n")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
