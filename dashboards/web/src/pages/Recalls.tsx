// Recalls: every positive biological indicator, and for one of them what the daemon traced: the recalled
// cycles, the devices in their loads and every session to review (patient reference, operator, time).
import { api } from "../api/client";
import type { Alert, Page, Recall } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { AlertStateBadge } from "../components/Badges";
import { Empty, ErrorBox, Figure, Loading, PageTitle } from "../components/Common";
import { Icon } from "../components/Icon";
import { when } from "../format";
import { useFleet } from "../live/fleet";
import { href } from "../router";
import { useLoad } from "../useLoad";

// OWASP's CSV injection guidance, as the daemon's CSV reports follow it: text a spreadsheet would run as
// a formula gets a leading single quote and quotes; a field that is wholly a number stays a number.
function cell(v: string): string {
  const formula = /^[=+\-@\t\r]/.test(v) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(v);
  if (formula) return `"'${v.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

function csv(recall: Recall): string {
  const rows = [["pen", "session", "started", "operator", "patient", "after_cycle"]];
  for (const s of recall.sessions)
    rows.push([s.pen, s.session, s.started, s.operator, s.patient ?? "withheld", s.after_cycle]);
  return rows.map((r) => r.map(cell).join(",")).join("\n") + "\n";
}

function download(recall: Recall) {
  const url = URL.createObjectURL(new Blob([csv(recall)], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `recall-${recall.cycle.replace(/\//g, "-")}.csv`;
  link.click();
  URL.revokeObjectURL(url);
}

function RecallDetail({ sterilizer, cycle }: { sterilizer: string; cycle: string }) {
  const key = `${sterilizer}/${cycle}`;
  const { data, error, loading } = useLoad(
    () => api.get<Recall>(`/recalls/${encodeURIComponent(sterilizer)}/${encodeURIComponent(cycle)}`),
    [key],
  );
  const { alerts } = useFleet();
  const alert = [...alerts.values()].find((a) => a.rule === "cycle.bi_positive" && a.subject === key);

  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what={`Loading the recall of ${key}`} /> : null;
  return (
    <div class="recall" data-recall={key}>
      <a class="back" href={href.recalls()}>
        <Icon name="back" size={16} /> All recalls
      </a>
      <PageTitle title={<>Recall of {key}</>}>
        <button class="button secondary" onClick={() => download(data)}>
          Download sessions (CSV)
        </button>
      </PageTitle>
      <p class="muted">
        Biological indicator read positive at {when(data.bi_read_at)}. Every item of the loads below is treated as not
        sterile; each session that used one of them before its next valid reprocessing must be reviewed.
      </p>
      <div class="figures">
        <Figure label="Cycles recalled" value={data.cycles.length} tone="attention" />
        <Figure label="Devices in the loads" value={data.devices.length} />
        <Figure
          label="Sessions to review"
          value={data.sessions.length}
          tone={data.sessions.length ? "attention" : "good"}
        />
      </div>
      {alert && (
        <section class="panel">
          <h2>Alert</h2>
          <p class="muted small">
            Resolve the alert once every session is reviewed; the reason is kept in the audit trail.
          </p>
          <AlertCard alert={alert} recallLink={false} />
        </section>
      )}
      <div class="chart-grid">
        <section class="panel">
          <h2>Recalled cycles</h2>
          <ul class="plain-list">
            {data.cycles.map((c) => (
              <li key={c}>
                <a href={href.device(c.split("/")[0])}>{c}</a>
              </li>
            ))}
          </ul>
        </section>
        <section class="panel">
          <h2>Devices in the loads</h2>
          {data.devices.length === 0 ? (
            <Empty>No device was in these loads.</Empty>
          ) : (
            <ul class="plain-list inline">
              {data.devices.map((d) => (
                <li key={d}>
                  <a href={href.device(d)}>{d}</a>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
      <section class="panel">
        <h2>Sessions to review</h2>
        {data.sessions.length === 0 ? (
          <Empty>No session used a recalled item.</Empty>
        ) : (
          <div class="table-wrap">
            <table class="table" id="recall-sessions">
              <thead>
                <tr>
                  <th>Started</th>
                  <th>Pen</th>
                  <th>Session</th>
                  <th>Operator</th>
                  <th>Patient reference</th>
                  <th>After cycle</th>
                </tr>
              </thead>
              <tbody>
                {data.sessions.map((s) => (
                  <tr key={`${s.pen}/${s.session}`}>
                    <td>{when(s.started)}</td>
                    <td>
                      <a href={href.device(s.pen)}>{s.pen}</a>
                    </td>
                    <td>{s.session}</td>
                    <td>{s.operator}</td>
                    <td>{s.patient ?? "withheld"}</td>
                    <td>{s.after_cycle}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}

function RecallList() {
  const { data, error, loading } = useLoad(
    () => api.get<Page<Alert>>("/alerts", { rule: "cycle.bi_positive", limit: 500 }),
    [],
  );
  const { alerts } = useFleet();
  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what="Loading recalls" /> : null;
  // Recalls that arrived live since the page loaded come first.
  const known = new Set(data.items.map((a) => a.id));
  const fresh = [...alerts.values()].filter((a) => a.rule === "cycle.bi_positive" && !known.has(a.id));
  const all = [...fresh, ...data.items.map((a) => alerts.get(a.id) ?? a)].filter((a) => a.state !== "withdrawn");
  return (
    <>
      <PageTitle title="Recalls" />
      <p class="muted">A recall starts when a sterilizer load's biological indicator reads positive.</p>
      {all.length === 0 ? (
        <Empty>No biological indicator has read positive. There is nothing to recall.</Empty>
      ) : (
        <div class="table-wrap panel">
          <table class="table" id="recalls">
            <thead>
              <tr>
                <th>BI read positive</th>
                <th>Cycle</th>
                <th>Clinic</th>
                <th>Alert</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {all.map((a) => (
                <tr key={a.id}>
                  <td>{when(a.opened_at)}</td>
                  <td>{a.subject}</td>
                  <td>{a.clinic}</td>
                  <td>
                    <AlertStateBadge state={a.state} />
                  </td>
                  <td>
                    <a class="button secondary small" href={href.recall(a.subject)}>
                      Open recall
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function Recalls({ sterilizer, cycle }: { sterilizer?: string; cycle?: string }) {
  return sterilizer && cycle ? <RecallDetail sterilizer={sterilizer} cycle={cycle} /> : <RecallList />;
}
