#!/usr/bin/env python3
"""Times the dashboard's reads against a running sterifleetd: GET /api/v1/devices, /api/v1/alerts and
/api/v1/stats/compliance in turn, on one kept-alive connection, at a steady pace (a few dashboards
polling, not a load test), for a number of seconds. Prints JSON: each path's count, p50, p99 and max in
milliseconds, from sending the request to the last byte of the response.

    api_latency_client.py HOST:PORT TOKEN SECONDS [REQUESTS_A_SECOND (30)]
"""
import http.client
import json
import sys
import time

PATHS = ["/api/v1/devices", "/api/v1/alerts", "/api/v1/stats/compliance"]


def percentile(sorted_values, share):
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def main():
    address, token, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    pace = 1.0 / float(sys.argv[4]) if len(sys.argv) > 4 else 1.0 / 30
    host, port = address.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": "Bearer " + token}
    times = {path: [] for path in PATHS}
    deadline = time.monotonic() + seconds
    due = time.monotonic()
    sent = 0
    while time.monotonic() < deadline:
        path = PATHS[sent % len(PATHS)]
        sent += 1
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if response.status != 200:
            sys.exit(f"{path}: HTTP {response.status}")
        times[path].append(elapsed_ms)
        due += pace
        time.sleep(max(0.0, due - time.monotonic()))
    out = {}
    for path, values in times.items():
        values.sort()
        out[path] = {"requests": len(values), "p50_ms": round(percentile(values, 0.50), 2),
                     "p99_ms": round(percentile(values, 0.99), 2), "max_ms": round(values[-1], 2)}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
