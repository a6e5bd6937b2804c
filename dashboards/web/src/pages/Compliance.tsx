// Compliance over time for a clinic or the whole fleet: the share of compliant sessions and the alerts
// opened, per UTC day (GET /api/v1/stats/compliance).
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { ComplianceStats } from "../api/types";
import { ChartCanvas } from "../components/Chart";
import { ErrorBox, Figure, Loading, PageTitle } from "../components/Common";
import { ClinicSelect, PeriodChips, periodStart } from "../components/Filters";
import { dateOnly, percent } from "../format";
import { useLoad } from "../useLoad";

function shortDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, {
    day: "numeric",
    month: "short",
    timeZone: "UTC",
  });
}

export function Compliance() {
  const [clinic, setClinic] = useState<string | null>(null);
  const [days, setDays] = useState(14);
  const { data, error, loading } = useLoad(
    () => api.get<ComplianceStats>("/stats/compliance", { clinic, from: periodStart(days) }),
    [clinic, days],
  );

  const labels = data?.days.map((d) => shortDay(d.day)) ?? [];
  const share =
    data?.days.map((d) => (d.sessions ? Math.round((1000 * d.compliant_sessions) / d.sessions) / 10 : null)) ?? [];
  const t = data?.totals;

  return (
    <>
      <PageTitle title="Compliance">
        <ClinicSelect value={clinic} onChange={setClinic} />
        <PeriodChips days={days} options={[7, 14, 30, 90]} onChange={setDays} />
      </PageTitle>
      {error && <ErrorBox error={error} />}
      {!data && loading && <Loading what="Loading compliance" />}
      {data && t && (
        <>
          <div class="figures">
            <Figure label="Sessions" value={t.sessions} />
            <Figure
              label="Compliant sessions"
              value={percent(t.compliant_sessions, t.sessions)}
              tone={t.compliant_sessions < t.sessions ? "attention" : "good"}
            />
            <Figure
              label="Non-compliant sessions"
              value={t.sessions - t.compliant_sessions}
              tone={t.compliant_sessions < t.sessions ? "attention" : undefined}
            />
            <Figure label="Alerts opened" value={t.alerts_opened} tone={t.alerts_opened ? "attention" : "good"} />
          </div>
          <div class="chart-grid">
            <section class="panel" id="chart-compliance">
              <h2>Compliant sessions per day</h2>
              <p class="muted small">
                Share of the day's sessions that started on a properly reprocessed pen with a valid cartridge.
              </p>
              <ChartCanvas
                label="Share of compliant sessions per day"
                config={{
                  type: "bar",
                  data: {
                    labels,
                    datasets: [
                      {
                        label: "Compliant sessions (%)",
                        data: share,
                        backgroundColor: share.map((v) => (v !== null && v < 100 ? "#d97706" : "#0f766e")),
                        borderRadius: 4,
                        maxBarThickness: 36,
                      },
                    ],
                  },
                  options: {
                    scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } },
                    plugins: {
                      legend: { display: false },
                      tooltip: {
                        callbacks: {
                          label: (item) => {
                            const d = data.days[item.dataIndex];
                            return `${d.compliant_sessions} of ${d.sessions} sessions compliant (${percent(d.compliant_sessions, d.sessions)})`;
                          },
                        },
                      },
                    },
                  },
                }}
              />
            </section>
            <section class="panel" id="chart-alerts">
              <h2>Alerts opened per day</h2>
              <p class="muted small">
                Every compliance alert the daemon raised, whatever its severity; withdrawn alerts are not counted.
              </p>
              <ChartCanvas
                label="Alerts opened per day"
                config={{
                  type: "bar",
                  data: {
                    labels,
                    datasets: [
                      {
                        label: "Alerts opened",
                        data: data.days.map((d) => d.alerts_opened),
                        backgroundColor: "#b45309",
                        borderRadius: 4,
                        maxBarThickness: 36,
                      },
                    ],
                  },
                  options: {
                    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
                    plugins: { legend: { display: false } },
                  },
                }}
              />
            </section>
          </div>
          <details class="panel">
            <summary>The figures as a table</summary>
            <div class="table-wrap">
              <table class="table">
                <thead>
                  <tr>
                    <th>Day (UTC)</th>
                    <th class="num">Sessions</th>
                    <th class="num">Compliant</th>
                    <th class="num">Share</th>
                    <th class="num">Alerts opened</th>
                  </tr>
                </thead>
                <tbody>
                  {data.days.map((d) => (
                    <tr key={d.day}>
                      <td>{dateOnly(d.day)}</td>
                      <td class="num">{d.sessions}</td>
                      <td class="num">{d.compliant_sessions}</td>
                      <td class="num">{percent(d.compliant_sessions, d.sessions)}</td>
                      <td class="num">{d.alerts_opened}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </details>
        </>
      )}
    </>
  );
}
