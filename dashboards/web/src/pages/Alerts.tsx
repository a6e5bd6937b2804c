// Every active alert, filtered by clinic and severity, with acknowledge and resolve; and the history
// of closed alerts from the store.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Alert, Page, Severity } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { Empty, ErrorBox, Loading, PageTitle } from "../components/Common";
import { DeadLetters } from "../components/DeadLetters";
import { byUrgency, useFleet } from "../live/fleet";
import { useLoad } from "../useLoad";

type View = "active" | "resolved";

function ClosedAlerts({ clinic }: { clinic: string | null }) {
  const { data, error, loading } = useLoad(
    () => api.get<Page<Alert>>("/alerts", { state: "resolved", clinic, limit: 100 }),
    [clinic],
  );
  if (error) return <ErrorBox error={error} />;
  if (loading && !data) return <Loading what="Loading resolved alerts" />;
  if (!data || data.items.length === 0) return <Empty>No resolved alerts.</Empty>;
  return (
    <div class="alert-grid">
      {data.items.map((a) => (
        <AlertCard key={a.id} alert={a} />
      ))}
    </div>
  );
}

export function Alerts() {
  const { alerts, devices, loaded } = useFleet();
  const [view, setView] = useState<View>("active");
  const [clinic, setClinic] = useState<string | null>(null);
  const [severity, setSeverity] = useState<Severity | null>(null);
  const clinics = [...new Set([...devices.values()].map((d) => d.clinic))].sort();
  const active = [...alerts.values()]
    .filter((a) => (!clinic || a.clinic === clinic) && (!severity || a.severity === severity))
    .sort(byUrgency);

  return (
    <>
      <PageTitle title="Alerts">
        <div class="chips" role="group" aria-label="Which alerts">
          <button
            class={`chip ${view === "active" ? "on" : ""}`}
            aria-pressed={view === "active"}
            onClick={() => setView("active")}
          >
            Active
          </button>
          <button
            class={`chip ${view === "resolved" ? "on" : ""}`}
            aria-pressed={view === "resolved"}
            onClick={() => setView("resolved")}
          >
            Resolved
          </button>
        </div>
        <label class="select">
          <span>Clinic</span>
          <select value={clinic ?? ""} onChange={(e) => setClinic((e.target as HTMLSelectElement).value || null)}>
            <option value="">All clinics</option>
            {clinics.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        {view === "active" && (
          <label class="select">
            <span>Severity</span>
            <select
              value={severity ?? ""}
              onChange={(e) => setSeverity(((e.target as HTMLSelectElement).value || null) as Severity | null)}
            >
              <option value="">All</option>
              <option value="critical">Critical</option>
              <option value="warning">Warning</option>
              <option value="info">Info</option>
            </select>
          </label>
        )}
      </PageTitle>
      <DeadLetters />
      {view === "resolved" ? (
        <ClosedAlerts clinic={clinic} />
      ) : !loaded ? (
        <Loading what="Loading alerts" />
      ) : active.length === 0 ? (
        <Empty>No active alerts{clinic ? ` in ${clinic}` : ""}.</Empty>
      ) : (
        <div class="alert-grid" id="alert-list">
          {active.map((a) => (
            <AlertCard key={a.id} alert={a} />
          ))}
        </div>
      )}
    </>
  );
}
