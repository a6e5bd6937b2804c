// Recalls: every positive biological indicator, and for one of them what the daemon traced: the recalled
// cycles, the devices in their loads and every session to review (patient reference, operator, time),
// downloadable as the daemon's CSV or PDF trace (cycle → pens → sessions → patient references).
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Alert, Page, Recall } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { AlertStateBadge } from "../components/Badges";
import { Empty, ErrorBox, Figure, Loading, PageTitle } from "../components/Common";
import { Hash } from "../components/Hash";
import { Icon } from "../components/Icon";
import { saveFile } from "../files";
import { when } from "../format";
import { useFleet } from "../live/fleet";
import { href } from "../router";
import { useLoad } from "../useLoad";

type ExportFormat = "csv" | "pdf";

/**
 * The daemon's export (patient references masked as the JSON form masks them for this token's role),
 * sealed as its reports are: its SHA-256 and the audit head are shown once it is saved.
 */
function useRecallExport(sterilizer: string, cycle: string) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<{ name: string; sha256: string; head: string } | null>(null);
  async function save(format: ExportFormat) {
    setBusy(format);
    setError(null);
    try {
      const path = `/recalls/${encodeURIComponent(sterilizer)}/${encodeURIComponent(cycle)}`;
      const file = await api.file(path, { format }, `recall-${sterilizer}-${cycle}.${format}`);
      saveFile(file);
      setSaved({
        name: file.name,
        sha256: file.headers.get("X-Report-SHA256") ?? "",
        head: file.headers.get("X-Report-Audit-Head") ?? "",
      });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }
  const buttons = (["csv", "pdf"] as ExportFormat[]).map((f) => (
    <button key={f} class="button secondary" onClick={() => save(f)} disabled={busy !== null}>
      <Icon name="download" />
      {`Download ${f.toUpperCase()}`}
    </button>
  ));
  const status = (
    <>
      {busy && <Loading what={`Making the ${busy.toUpperCase()} trace`} />}
      {error !== null && <ErrorBox error={error} />}
      {saved && saved.sha256 && (
        <p class="small muted" id="recall-saved" data-sha256={saved.sha256}>
          Saved {saved.name}, sealed with SHA-256 <Hash value={saved.sha256} />
          {saved.head && <> and the audit head, record #{saved.head.split(" ")[0]}</>}.
        </p>
      )}
    </>
  );
  return { buttons, status };
}

function RecallDetail({ sterilizer, cycle }: { sterilizer: string; cycle: string }) {
  const key = `${sterilizer}/${cycle}`;
  const { data, error, loading } = useLoad(
    () => api.get<Recall>(`/recalls/${encodeURIComponent(sterilizer)}/${encodeURIComponent(cycle)}`),
    [key],
  );
  const { alerts } = useFleet();
  const alert = [...alerts.values()].find((a) => a.rule === "cycle.bi_positive" && a.subject === key);
  const exporter = useRecallExport(sterilizer, cycle);

  if (error) return <ErrorBox error={error} />;
  if (!data) return loading ? <Loading what={`Loading the recall of ${key}`} /> : null;
  return (
    <div class="recall" data-recall={key}>
      <a class="back" href={href.recalls()}>
        <Icon name="back" size={16} /> All recalls
      </a>
      <PageTitle title={<>Recall of {key}</>}>{exporter.buttons}</PageTitle>
      {exporter.status}
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
