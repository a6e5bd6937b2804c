// One device: its live state and facts, its active alerts, and its history. A pen shows a timeline of
// sessions, cartridges, reprocessing and alerts; a sterilizer its cycles with indicator results.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Alert, Device, DeviceDetail, Page } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { StateBadge } from "../components/Badges";
import { Empty, ErrorBox, Loading } from "../components/Common";
import { CycleTable } from "../components/CycleTable";
import { Icon } from "../components/Icon";
import { Timeline } from "../components/Timeline";
import { ago, kindLabel, when } from "../format";
import { byUrgency, useFleet } from "../live/fleet";
import { href } from "../router";
import { useLoad } from "../useLoad";

interface Loaded {
  detail: DeviceDetail;
  alerts: Alert[];
}

async function load(id: string): Promise<Loaded> {
  const path = `/devices/${encodeURIComponent(id)}`;
  const [detail, alerts] = await Promise.all([
    api.get<DeviceDetail>(path, { limit: 20 }),
    api.get<Page<Alert>>("/alerts", { device: id, limit: 200 }),
  ]);
  return { detail, alerts: alerts.items };
}

function Fact({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Facts({ device, detail }: { device: Device; detail: DeviceDetail }) {
  const t = device.telemetry;
  const presence = { unknown: "Unknown", online: "Online", offline: "Offline", shutdown: "Shut down" }[device.presence];
  return (
    <dl class="facts">
      <Fact label="Clinic">{device.clinic}</Fact>
      <Fact label="Kind">{kindLabel(device.kind)}</Fact>
      <Fact label="Model">{device.model || "—"}</Fact>
      <Fact label="Firmware">{device.firmware || "—"}</Fact>
      <Fact label="Connection">{presence}</Fact>
      <Fact label="Last seen">
        <span title={device.last_seen ?? ""}>{ago(device.last_seen)}</span>
      </Fact>
      {device.kind !== "sterilizer" && (
        <>
          <Fact label="Cartridge">{device.mounted_cartridge ?? "None mounted"}</Fact>
          <Fact label="Battery">{t ? `${Math.round(t.battery_pct)} %` : "—"}</Fact>
          <Fact label="Motor run time">{t ? `${t.motor_runtime_h.toFixed(1)} h` : "—"}</Fact>
          <Fact label="Needle depth">{t ? `${t.depth_mm.toFixed(2)} mm` : "—"}</Fact>
        </>
      )}
      {device.kind === "sterilizer" && <Fact label="Cycles shown">{detail.cycles.length}</Fact>}
      {detail.maintenance.length > 0 && (
        <Fact label="Maintenance">
          {detail.maintenance.map((m) => (
            <div key={m.from}>
              {when(m.from)} – {when(m.to)}: {m.reason}
            </div>
          ))}
        </Fact>
      )}
    </dl>
  );
}

function RawMessages({ detail }: { detail: DeviceDetail }) {
  const items = detail.history?.items ?? [];
  if (items.length === 0) return null;
  return (
    <details class="panel raw">
      <summary>Latest messages received ({items.length})</summary>
      <div class="table-wrap">
        <table class="table">
          <thead>
            <tr>
              <th>Device time</th>
              <th>Received</th>
              <th>Type</th>
              <th>Boot / seq</th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => (
              <tr key={m.id}>
                <td>{when(m.ts)}</td>
                <td>{when(m.received_at)}</td>
                <td>{m.type}</td>
                <td>
                  {m.boot} / {m.seq ?? "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

export function DevicePage({ id }: { id: string }) {
  const fleet = useFleet();
  const live = fleet.devices.get(id);
  // Reload the history when something a manager would see changes, not on every telemetry message.
  const key = live ? `${live.state}|${live.open_alerts}|${live.mounted_cartridge}|${live.worst_severity}` : "";
  const { data, error, loading } = useLoad(() => load(id), [id, key]);
  const [showClosed, setShowClosed] = useState(false);

  if (error && !data) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what={`Loading ${id}`} /> : null;

  const device: Device = live ?? data.detail;
  // Active alerts come from the live picture, so an acknowledgement elsewhere shows here at once.
  const liveActive = [...fleet.alerts.values()].filter((a) => a.device === id).sort(byUrgency);
  const closed = data.alerts.filter((a) => a.state === "resolved");
  const isSterilizer = device.kind === "sterilizer";

  return (
    <div class="device-page" data-device-page={id}>
      <a class="back" href={href.fleet()}>
        <Icon name="back" size={16} /> Fleet
      </a>
      <div class="device-header">
        <div>
          <h1>
            <Icon name={isSterilizer ? "sterilizer" : "pen"} size={24} /> {device.id}
          </h1>
          <p class="muted">
            {kindLabel(device.kind)} in clinic {device.clinic}
            {device.model && ` · ${device.model}`}
          </p>
        </div>
        <StateBadge state={device.state} />
      </div>
      {error && <ErrorBox error={error} />}
      <div class="device-layout">
        <section class="panel">
          <h2>Details</h2>
          <Facts device={device} detail={data.detail} />
        </section>
        <section class="panel">
          <div class="panel-head">
            <h2>Active alerts</h2>
            <span class={`pill ${liveActive.length ? "attention" : "calm"}`}>{liveActive.length} active</span>
          </div>
          {liveActive.length === 0 ? (
            <Empty>No active alerts on this device.</Empty>
          ) : (
            <div class="alert-list">
              {liveActive.map((a) => (
                <AlertCard key={a.id} alert={a} />
              ))}
            </div>
          )}
          {closed.length > 0 && (
            <button class="link-button" onClick={() => setShowClosed(!showClosed)}>
              {showClosed ? "Hide" : "Show"} {closed.length} resolved alert{closed.length === 1 ? "" : "s"}
            </button>
          )}
          {showClosed && (
            <div class="alert-list">
              {closed.map((a) => (
                <AlertCard key={a.id} alert={a} compact />
              ))}
            </div>
          )}
        </section>
      </div>
      {isSterilizer ? (
        <section class="panel">
          <h2>Cycles</h2>
          <p class="muted small">
            The latest 50 cycles, newest first, with the chemical and biological indicator results.
          </p>
          <CycleTable cycles={data.detail.cycles} />
        </section>
      ) : (
        <section class="panel">
          <h2>Timeline</h2>
          <Timeline detail={data.detail} alerts={data.alerts} />
        </section>
      )}
      <RawMessages detail={data.detail} />
    </div>
  );
}
