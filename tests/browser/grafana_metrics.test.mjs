// The Grafana dashboard (dashboards/grafana/sterifleet.json) is well-formed, and every metric it
// queries is one a live sterifleetd exports. The daemon runs against a real Mosquitto with a simulated
// day that makes every metric family appear: injected violations (which send lock and rebirth commands)
// and a malformed message (which is quarantined).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { Fleet, required, waitFor } from "./lib/fleet.mjs";

const dashboard = JSON.parse(readFileSync(required("GRAFANA_DASHBOARD"), "utf8"));
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queried = panels.filter((p) => p.type !== "row");

function expressions() {
  const exprs = queried.flatMap((p) => p.targets.map((t) => t.expr));
  for (const v of dashboard.templating.list) if (v.definition) exprs.push(v.definition);
  return exprs;
}

function metricNames() {
  return [...new Set(expressions().flatMap((e) => e.match(/\bsterifleet_[a-z0-9_]+/g) ?? []))].sort();
}

test("the dashboard is a Grafana dashboard with a data source variable", () => {
  assert.equal(typeof dashboard.title, "string");
  assert.match(dashboard.uid, /^[a-zA-Z0-9_-]{1,40}$/);
  assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36, "schemaVersion");
  const source = dashboard.templating.list.find((v) => v.type === "datasource");
  assert.ok(source, "a datasource variable");
  assert.equal(source.query, "prometheus");
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, "panel ids are unique");
  for (const p of panels) {
    const { x, y, w, h } = p.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && y >= 0 && h > 0, `${p.title}: gridPos within 24 columns`);
  }
  for (const p of queried) {
    assert.equal(p.datasource.uid, `\${${source.name}}`, `${p.title}: uses the data source variable`);
    assert.ok(p.targets.length > 0, `${p.title}: has queries`);
    assert.equal(new Set(p.targets.map((t) => t.refId)).size, p.targets.length, `${p.title}: unique refIds`);
    for (const t of p.targets) {
      assert.equal(t.datasource.uid, p.datasource.uid, `${p.title}/${t.refId}: data source`);
      let depth = 0;
      for (const c of t.expr) {
        depth += "({[".includes(c) ? 1 : ")}]".includes(c) ? -1 : 0;
        assert.ok(depth >= 0, `${p.title}/${t.refId}: brackets balance in ${t.expr}`);
      }
      assert.equal(depth, 0, `${p.title}/${t.refId}: brackets balance in ${t.expr}`);
    }
  }
});

test("every panel area is used once: no two panels overlap", () => {
  const taken = new Map();
  for (const p of panels) {
    const { x, y, w, h } = p.gridPos;
    for (let row = y; row < y + h; ++row) {
      for (let col = x; col < x + w; ++col) {
        const key = `${row}:${col}`;
        assert.ok(!taken.has(key), `${p.title} overlaps ${taken.get(key)}`);
        taken.set(key, p.title);
      }
    }
  }
});

let fleet;

before(async () => {
  fleet = await Fleet.start();
});

after(async () => {
  await fleet?.stop();
});

test("every metric the dashboard queries is exported by a live daemon", { timeout: 300000 }, async (t) => {
  const sim = fleet.startSim([
    "--days",
    "1",
    "--speed",
    "0",
    "--violations",
    "1",
    "--violation-kinds",
    "device.unknown,cartridge.expired",
  ]);
  await waitFor("the simulated day to end", () => !sim.running, 240000, 250);
  assert.equal((await sim.exited).code, 0, `sterifleet-sim failed:\n${fleet.logs()}`);
  await fleet.publish("sterifleet/v1/C01/C01-PEN-01/event", "this is not JSON");
  await waitFor(
    "the malformed message to be quarantined",
    async () => (await fleet.metricSum("sterifleet_messages_quarantined_total")) > 0,
    30000,
  );
  await waitFor(
    "commands to be sent",
    async () => (await fleet.metricSum("sterifleet_commands_sent_total")) > 0,
    30000,
  );

  const { samples } = await fleet.metrics();
  const exported = new Set([...samples.keys()].map((key) => key.replace(/\{.*$/, "")));
  const names = metricNames();
  t.diagnostic(`${names.length} metrics queried: ${names.join(", ")}`);
  const missing = names.filter((n) => !exported.has(n));
  assert.deepEqual(
    missing,
    [],
    `queried by the dashboard but not in /metrics (exported: ${[...exported].sort().join(", ")})`,
  );
  // The dashboard covers what the brief asks for.
  for (const family of [
    "sterifleet_messages_stored_total",
    "sterifleet_messages_quarantined_total",
    "sterifleet_open_alerts",
    "sterifleet_alert_transitions_total",
    "sterifleet_devices",
    "sterifleet_commands_sent_total",
    "sterifleet_http_requests_total",
    "sterifleet_http_request_seconds_bucket",
    "sterifleet_ready",
  ]) {
    assert.ok(names.includes(family), `the dashboard shows ${family}`);
  }
});
