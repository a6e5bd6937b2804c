// The manager's overview: every pen and sterilizer of every clinic with its state, the open alerts next
// to them, and what just happened; all of it kept current by the event stream.
import { useState } from "preact/hooks";
import type { Device, DisplayState } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { StateBadge } from "../components/Badges";
import { Empty, ErrorBox, Loading, PageTitle } from "../components/Common";
import { DeadLetters } from "../components/DeadLetters";
import { Icon } from "../components/Icon";
import { ago, kindLabel, ruleLabel, stateLabel, stateOrder } from "../format";
import { type Activity, byUrgency, useFleet } from "../live/fleet";
import { href } from "../router";
import { useNow } from "../useNow";

function Battery({ pct }: { pct: number }) {
  const level = pct < 20 ? "low" : pct < 40 ? "mid" : "ok";
  return (
    <span class={`battery ${level}`} title={`Battery ${Math.round(pct)} %`}>
      <span class="battery-bar" aria-hidden="true">
        <span style={{ width: `${Math.max(4, Math.min(100, pct))}%` }} />
      </span>
      {Math.round(pct)} %
    </span>
  );
}

function DeviceCard({ device, now }: { device: Device; now: number }) {
  const isSterilizer = device.kind === "sterilizer";
  return (
    <a class={`device-card state-edge-${device.state}`} href={href.device(device.id)} data-device={device.id}>
      <div class="device-card-head">
        <span class="device-id">
          <Icon name={isSterilizer ? "sterilizer" : "pen"} size={16} />
          {device.id}
        </span>
        <StateBadge state={device.state} />
      </div>
      <div class="device-card-body">
        <span class="muted">{device.model || kindLabel(device.kind)}</span>
        {!isSterilizer && device.telemetry && <Battery pct={device.telemetry.battery_pct} />}
        {!isSterilizer && (
          <span class="muted small">
            {device.mounted_cartridge ? `Cartridge ${device.mounted_cartridge}` : "No cartridge mounted"}
          </span>
        )}
        <span class="muted small">Seen {ago(device.last_seen, now)}</span>
      </div>
      {(device.open_alerts > 0 || device.in_maintenance) && (
        <div class="device-card-foot">
          {device.open_alerts > 0 && (
            <span class={`alert-count severity-${device.worst_severity}`}>
              <Icon name="alert" size={14} />
              {device.open_alerts} active alert{device.open_alerts > 1 ? "s" : ""}
            </span>
          )}
          {device.in_maintenance && <span class="badge neutral">Maintenance</span>}
        </div>
      )}
    </a>
  );
}

function StateSummary({ devices }: { devices: Device[] }) {
  const counts = new Map<DisplayState, number>();
  for (const d of devices) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  return (
    <ul class="state-summary" aria-label="Devices by state">
      {stateOrder
        .filter((s) => counts.get(s))
        .map((s) => (
          <li key={s} class={`state-chip state-${s}`}>
            <strong>{counts.get(s)}</strong> {stateLabel[s]}
          </li>
        ))}
    </ul>
  );
}

function ClinicSection({
  clinic,
  devices,
  alerts,
  now,
}: {
  clinic: string;
  devices: Device[];
  alerts: number;
  now: number;
}) {
  const pens = devices.filter((d) => d.kind !== "sterilizer").sort((a, b) => a.id.localeCompare(b.id));
  const sterilizers = devices.filter((d) => d.kind === "sterilizer").sort((a, b) => a.id.localeCompare(b.id));
  return (
    <section class="clinic" aria-labelledby={`clinic-${clinic}`} data-clinic={clinic}>
      <div class="clinic-head">
        <h2 id={`clinic-${clinic}`}>Clinic {clinic}</h2>
        <span class="muted">
          {pens.length} pen{pens.length === 1 ? "" : "s"} · {sterilizers.length} sterilizer
          {sterilizers.length === 1 ? "" : "s"} · {alerts} active alert{alerts === 1 ? "" : "s"}
        </span>
      </div>
      <StateSummary devices={devices} />
      {pens.length > 0 && (
        <>
          <h3 class="group-title">Pens</h3>
          <div class="device-grid">
            {pens.map((d) => (
              <DeviceCard key={d.id} device={d} now={now} />
            ))}
          </div>
        </>
      )}
      {sterilizers.length > 0 && (
        <>
          <h3 class="group-title">Sterilizers</h3>
          <div class="device-grid">
            {sterilizers.map((d) => (
              <DeviceCard key={d.id} device={d} now={now} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

const transitionText: Record<string, string> = {
  opened: "opened",
  occurred: "occurred again",
  acknowledged: "acknowledged",
  resolved: "resolved",
  reopened: "reopened",
  withdrawn: "withdrawn",
  silenced: "silenced",
};

function ActivityFeed({ activity }: { activity: Activity[] }) {
  if (activity.length === 0) return <Empty>Alert changes appear here as they happen.</Empty>;
  return (
    <ol class="activity" aria-live="polite">
      {activity.map((a) => (
        <li key={a.id}>
          <span class="activity-time">
            {a.at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" })}
          </span>
          <span>
            <strong>{ruleLabel(a.alert.rule)}</strong> {transitionText[a.transition] ?? a.transition} ·{" "}
            <a href={href.device(a.alert.device)}>{a.alert.device}</a>
          </span>
        </li>
      ))}
    </ol>
  );
}

export function Fleet() {
  const { devices, alerts, loaded, error, activity } = useFleet();
  const now = useNow(15000);
  const [clinicFilter, setClinicFilter] = useState<string | null>(null);

  if (!loaded && error) return <ErrorBox error={error} />;
  if (!loaded) return <Loading what="Loading the fleet" />;

  const all = [...devices.values()];
  const clinics = [...new Set(all.map((d) => d.clinic))].sort();
  const shown = clinicFilter ? clinics.filter((c) => c === clinicFilter) : clinics;
  const active = [...alerts.values()].filter((a) => !clinicFilter || a.clinic === clinicFilter).sort(byUrgency);
  const open = active.filter((a) => a.state === "open");

  return (
    <>
      <PageTitle title="Fleet">
        {clinics.length > 1 && (
          <div class="chips" role="group" aria-label="Clinic">
            <button
              class={`chip ${clinicFilter === null ? "on" : ""}`}
              onClick={() => setClinicFilter(null)}
              aria-pressed={clinicFilter === null}
            >
              All clinics
            </button>
            {clinics.map((c) => (
              <button
                key={c}
                class={`chip ${clinicFilter === c ? "on" : ""}`}
                onClick={() => setClinicFilter(c)}
                aria-pressed={clinicFilter === c}
              >
                {c}
              </button>
            ))}
          </div>
        )}
      </PageTitle>
      {error && <ErrorBox error={error} />}
      <DeadLetters summary />
      <div class="fleet-layout">
        <div class="fleet-main">
          {shown.length === 0 && (
            <Empty>No device has reported yet. Devices appear here as soon as they connect.</Empty>
          )}
          {shown.map((c) => (
            <ClinicSection
              key={c}
              clinic={c}
              devices={all.filter((d) => d.clinic === c)}
              alerts={active.filter((a) => a.clinic === c).length}
              now={now}
            />
          ))}
        </div>
        <aside class="fleet-side" aria-label="Open alerts">
          <div class="panel">
            <div class="panel-head">
              <h2>Open alerts</h2>
              <span class={`pill ${open.length ? "attention" : "calm"}`}>
                {open.length} open · {active.length - open.length} acknowledged
              </span>
            </div>
            <div class="alert-list" id="fleet-alerts">
              {active.length === 0 && <Empty>No active alerts. Everything is compliant.</Empty>}
              {active.slice(0, 6).map((a) => (
                <AlertCard key={a.id} alert={a} compact />
              ))}
            </div>
            {active.length > 4 && (
              <a class="more" href={href.alerts()}>
                All {active.length} active alerts
              </a>
            )}
          </div>
          <div class="panel activity-panel">
            <div class="panel-head">
              <h2>Live activity</h2>
            </div>
            <ActivityFeed activity={activity} />
          </div>
        </aside>
      </div>
    </>
  );
}
