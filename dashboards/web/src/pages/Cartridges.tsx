// Cartridge use: which cartridges (and lots) were used on which pen, how much of each cartridge's rated
// strokes a session took, and which cartridges broke a rule (reused, expired, overused).
import { useState } from "preact/hooks";
import { api, getAll } from "../api/client";
import type { Alert, Page, Session } from "../api/types";
import { ChartCanvas, palette } from "../components/Chart";
import { Empty, ErrorBox, Figure, Loading, PageTitle } from "../components/Common";
import { ClinicSelect, PeriodChips, periodStart } from "../components/Filters";
import { dateOnly, dayOf, ruleLabel, timeOf } from "../format";
import { href } from "../router";
import { useLoad } from "../useLoad";

const cartridgeRules = ["cartridge.reused", "cartridge.expired", "cartridge.overused"];
const maxSessions = 5000;
const pageRows = 40;

interface Loaded {
  sessions: Session[];
  flags: Map<string, string[]>;
}

async function load(clinic: string | null, from: string): Promise<Loaded> {
  const [sessions, ...alertPages] = await Promise.all([
    getAll<Session>("/sessions", { clinic, from }, maxSessions),
    ...cartridgeRules.map((rule) => api.get<Page<Alert>>("/alerts", { rule, clinic, from, limit: 1000 })),
  ]);
  const flags = new Map<string, string[]>();
  for (const page of alertPages) {
    for (const a of page.items) {
      if (a.state === "withdrawn") continue;
      flags.set(a.subject, [...(flags.get(a.subject) ?? []), a.rule]);
    }
  }
  return { sessions, flags };
}

function Usage({ session }: { session: Session }) {
  if (session.strokes === null) return <span class="muted">in use</span>;
  const share = session.strokes / Math.max(1, session.cartridge.max_strokes);
  const tone = share > 1 ? "bad" : share > 0.9 ? "mid" : "ok";
  return (
    <span class={`usage ${tone}`} title={`${session.strokes} of ${session.cartridge.max_strokes} rated strokes`}>
      <span class="usage-bar" aria-hidden="true">
        <span style={{ width: `${Math.min(100, share * 100)}%` }} />
      </span>
      {Math.round(share * 100)} %
    </span>
  );
}

function perDayChart(sessions: Session[], days: number) {
  const dayKeys: string[] = [];
  const start = new Date(periodStart(days));
  for (let i = 0; i < days; ++i) dayKeys.push(new Date(start.getTime() + i * 86400000).toISOString().slice(0, 10));
  const clinics = [...new Set(sessions.map((s) => s.clinic))].sort();
  const counts = new Map<string, number>();
  for (const s of sessions) {
    const key = `${s.clinic}|${s.started.slice(0, 10)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return {
    labels: dayKeys.map((d) =>
      new Date(`${d}T00:00:00Z`).toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" }),
    ),
    datasets: clinics.map((c, i) => ({
      label: c,
      data: dayKeys.map((d) => counts.get(`${c}|${d}`) ?? 0),
      backgroundColor: palette[i % palette.length],
      borderRadius: 3,
      maxBarThickness: 36,
    })),
  };
}

export function Cartridges() {
  const [clinic, setClinic] = useState<string | null>(null);
  const [days, setDays] = useState(7);
  const [rows, setRows] = useState(pageRows);
  const { data, error, loading } = useLoad(() => load(clinic, periodStart(days)), [clinic, days]);

  const sessions = data?.sessions ?? [];
  const lots = new Map<string, { count: number; expires: string }>();
  for (const s of sessions) {
    const lot = lots.get(s.cartridge.lot) ?? { count: 0, expires: s.cartridge.expires };
    lot.count += 1;
    if (s.cartridge.expires < lot.expires) lot.expires = s.cartridge.expires;
    lots.set(s.cartridge.lot, lot);
  }
  const cartridges = new Set(sessions.map((s) => s.cartridge.id));
  const flagged = data ? [...data.flags.keys()].length : 0;
  const newestFirst = [...sessions].reverse();
  const latest = newestFirst.slice(0, rows);

  return (
    <>
      <PageTitle title="Cartridge use">
        <ClinicSelect value={clinic} onChange={setClinic} />
        <PeriodChips days={days} options={[1, 7, 30]} onChange={setDays} />
      </PageTitle>
      {error && <ErrorBox error={error} />}
      {!data && loading && <Loading what="Loading cartridge use" />}
      {data && (
        <>
          <div class="figures">
            <Figure label="Cartridges used" value={cartridges.size} />
            <Figure label="Sessions" value={sessions.length} />
            <Figure label="Lots in use" value={lots.size} />
            <Figure label="Cartridges with a violation" value={flagged} tone={flagged ? "attention" : "good"} />
          </div>
          <div class="chart-grid wide-first">
            <section class="panel">
              <h2>Cartridges used per day</h2>
              <ChartCanvas
                label="Cartridges used per day, by clinic"
                height={240}
                config={{
                  type: "bar",
                  data: perDayChart(sessions, days),
                  options: {
                    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
                    plugins: { legend: { position: "bottom" } },
                  },
                }}
              />
            </section>
            <section class="panel">
              <h2>Lots</h2>
              {lots.size === 0 ? (
                <Empty>No cartridge used in this period.</Empty>
              ) : (
                <div class="table-wrap">
                  <table class="table">
                    <thead>
                      <tr>
                        <th>Lot</th>
                        <th class="num">Used</th>
                        <th>Expires</th>
                      </tr>
                    </thead>
                    <tbody>
                      {[...lots.entries()]
                        .sort((a, b) => b[1].count - a[1].count)
                        .slice(0, 12)
                        .map(([lot, l]) => (
                          <tr key={lot}>
                            <td>{lot}</td>
                            <td class="num">{l.count}</td>
                            <td>{dateOnly(l.expires)}</td>
                          </tr>
                        ))}
                    </tbody>
                  </table>
                </div>
              )}
            </section>
          </div>
          <section class="panel">
            <h2>Latest cartridge uses</h2>
            {latest.length === 0 ? (
              <Empty>No session in this period.</Empty>
            ) : (
              <div class="table-wrap">
                <table class="table" id="cartridge-uses">
                  <thead>
                    <tr>
                      <th>Session start</th>
                      <th>Cartridge</th>
                      <th>Lot and expiry</th>
                      <th>Pen and operator</th>
                      <th>Strokes used</th>
                      <th>Check</th>
                    </tr>
                  </thead>
                  <tbody>
                    {latest.map((s) => {
                      const rules = data.flags.get(s.cartridge.id) ?? [];
                      return (
                        <tr key={s.key}>
                          <td>
                            <span class="cell-main">{timeOf(s.started)}</span>
                            <span class="cell-sub">{dayOf(s.started)}</span>
                          </td>
                          <td class="nowrap">
                            {s.cartridge.id}
                            <span class="cell-sub">{s.cartridge.needles} needles</span>
                          </td>
                          <td>
                            <span class="cell-main">{s.cartridge.lot}</span>
                            <span class="cell-sub">expires {dateOnly(s.cartridge.expires)}</span>
                          </td>
                          <td>
                            <a class="cell-main" href={href.device(s.pen)}>
                              {s.pen}
                            </a>
                            <span class="cell-sub">{s.operator}</span>
                          </td>
                          <td>
                            <Usage session={s} />
                          </td>
                          <td>
                            {rules.length === 0 ? (
                              <span class="badge result-good">OK</span>
                            ) : (
                              rules.map((r) => (
                                <span key={r} class="badge result-bad">
                                  {ruleLabel(r)}
                                </span>
                              ))
                            )}
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
            {newestFirst.length > latest.length && (
              <button class="link-button" onClick={() => setRows(rows + pageRows)}>
                Show older ({newestFirst.length - latest.length} more)
              </button>
            )}
            {sessions.length >= maxSessions && (
              <p class="muted small">Showing the first {maxSessions} sessions of the period.</p>
            )}
          </section>
        </>
      )}
    </>
  );
}
