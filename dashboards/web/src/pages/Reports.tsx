// Compliance reports for auditors: pick a clinic (or every clinic) and a period, see the summary, and
// download the report as CSV, JSON or PDF. Each file the daemon makes is sealed (its SHA-256 and the
// audit chain's head, shown here) and recorded in the audit trail. Below, a drop zone checks a report
// file someone handed over against the store and says plainly whether it is authentic.
import { useState } from "preact/hooks";
import { type ApiFile, api } from "../api/client";
import type { ComplianceReport, ReportSummary } from "../api/types";
import { Restricted } from "../components/Access";
import { ErrorBox, Figure, FormError, Loading, PageTitle } from "../components/Common";
import { ClinicField, DayField } from "../components/Filters";
import { Hash } from "../components/Hash";
import { Icon } from "../components/Icon";
import { WorkspaceTabs } from "../components/Workspace";
import { VerifyReport } from "../components/VerifyReport";
import { saveFile } from "../files";
import { addDays, dateOnly, percent, ruleLabel, utcDay, when } from "../format";
import { useIdentity } from "../identity";
import { useClinics } from "../useClinics";

type Format = "csv" | "json" | "pdf";

const formatLabel: Record<Format, string> = { csv: "CSV", json: "JSON", pdf: "PDF" };

interface Period {
  /** first day, YYYY-MM-DD (UTC) */
  from: string;
  /** last day, inclusive, YYYY-MM-DD (UTC) */
  to: string;
}

/** A file the daemon made and sealed in this visit. */
interface Made {
  format: Format;
  name: string;
  sha256: string;
  head: { seq: number; hash: string } | null;
  at: Date;
  clinic: string | null;
  period: Period;
}

function lastDays(days: number): Period {
  const today = utcDay(new Date());
  return { from: addDays(today, 1 - days), to: today };
}

function previousMonth(): Period {
  const now = new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 0));
  return { from: utcDay(first), to: utcDay(last) };
}

/** The API's [from, to): whole UTC days, the last one included. */
function query(clinic: string | null, period: Period, format: Format) {
  return { clinic, from: `${period.from}T00:00:00Z`, to: `${addDays(period.to, 1)}T00:00:00Z`, format };
}

function sealOf(file: ApiFile, format: Format, clinic: string | null, period: Period): Made {
  const head = /^(\d+) ([0-9a-f]+)$/.exec(file.headers.get("X-Report-Audit-Head") ?? "");
  return {
    format,
    name: file.name,
    sha256: file.headers.get("X-Report-SHA256") ?? "",
    head: head ? { seq: Number(head[1]), hash: head[2] } : null,
    at: new Date(),
    clinic,
    period,
  };
}

function Summary({ summary }: { summary: ReportSummary }) {
  const s = summary.sessions;
  const c = summary.cycles;
  const v = summary.violations;
  const r = summary.recalls;
  return (
    <>
      <div class="figures" id="report-summary">
        <Figure label="Sessions" value={s.total} />
        <Figure
          label="Compliant sessions"
          value={percent(s.compliant, s.total)}
          tone={s.not_compliant ? "attention" : "good"}
        />
        <Figure label="Sterilizer cycles" value={c.total} />
        <Figure label="Cycles not valid or recalled" value={c.invalid} tone={c.invalid ? "attention" : "good"} />
        <Figure label="Violations" value={v.total} tone={v.total ? "attention" : "good"} />
        <Figure label="Positive BIs (recalls)" value={r.positive_bis} tone={r.positive_bis ? "attention" : "good"} />
        <Figure label="Sessions to review" value={r.sessions} tone={r.sessions ? "attention" : "good"} />
      </div>
      {v.by_rule.length > 0 && (
        <div class="table-wrap">
          <table class="table" id="report-violations">
            <thead>
              <tr>
                <th>Rule</th>
                <th class="num">Opened</th>
                <th class="num">Cleared</th>
                <th class="num">Resolved</th>
                <th class="num">Withdrawn</th>
                <th class="num">Acknowledged</th>
                <th class="num">Still open</th>
              </tr>
            </thead>
            <tbody>
              {v.by_rule.map((row) => (
                <tr key={row.rule} data-rule={row.rule}>
                  <td>
                    {ruleLabel(row.rule)}
                    <span class="cell-sub">{row.rule}</span>
                  </td>
                  <td class="num">{row.opened}</td>
                  <td class="num">{row.auto_cleared}</td>
                  <td class="num">{row.resolved}</td>
                  <td class="num">{row.withdrawn}</td>
                  <td class="num">{row.acknowledged}</td>
                  <td class="num">{row.open}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function MadeList({ made }: { made: Made[] }) {
  if (made.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="made-heading">
      <h2 id="made-heading">Files made in this visit</h2>
      <p class="muted small">
        Each file is a new report, sealed with its own SHA-256 and the audit chain's head at its making, and recorded in
        the audit trail (entity <code>report:&lt;sha256&gt;</code>).
      </p>
      <div class="table-wrap">
        <table class="table" id="reports-made">
          <thead>
            <tr>
              <th>Made</th>
              <th>File</th>
              <th>SHA-256</th>
              <th>Audit head</th>
            </tr>
          </thead>
          <tbody>
            {made.map((m) => (
              <tr key={`${m.sha256}-${m.at.getTime()}`} data-format={m.format} data-sha256={m.sha256}>
                <td class="nowrap">{when(m.at.toISOString())}</td>
                <td>
                  <span class="cell-main">{m.name}</span>
                  <span class="cell-sub">
                    {formatLabel[m.format]} · {m.clinic ?? "every clinic"} · {dateOnly(m.period.from)} to{" "}
                    {dateOnly(m.period.to)}
                  </span>
                </td>
                <td>
                  <Hash value={m.sha256} />
                </td>
                <td data-audit-head={m.head ? `${m.head.seq} ${m.head.hash}` : ""}>
                  {m.head ? (
                    <>
                      <span class="cell-main">record #{m.head.seq}</span>
                      <Hash value={m.head.hash} />
                    </>
                  ) : (
                    "—"
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ReportMaker() {
  const me = useIdentity();
  const clinics = useClinics();
  // A token for several clinics names one of them; a token for one clinic reports on that one.
  const mayChooseAll = !me?.clinics;
  const [clinic, setClinic] = useState<string | null>(null);
  const [period, setPeriod] = useState<Period>(lastDays(30));
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [shown, setShown] = useState<{ report: ComplianceReport; file: ApiFile; seal: Made } | null>(null);
  const [made, setMade] = useState<Made[]>([]);
  const options = clinics ?? me?.clinics ?? [];
  const chosen = clinic ?? (mayChooseAll ? null : (options[0] ?? null));
  const periodError = period.from && period.to && period.from > period.to ? "The period ends before it starts." : null;

  // The JSON behind the summary is the report on screen: downloading it keeps its seal.
  const shownMatches =
    shown !== null &&
    shown.seal.clinic === chosen &&
    shown.seal.period.from === period.from &&
    shown.seal.period.to === period.to;

  async function make(format: Format, save: boolean) {
    if (periodError || !period.from || !period.to) return;
    setBusy(format);
    setError(null);
    try {
      const file = await api.file("/reports/compliance", query(chosen, period, format), `compliance.${format}`);
      const seal = sealOf(file, format, chosen, period);
      setMade((m) => [seal, ...m]);
      if (format === "json") {
        const report = JSON.parse(await file.blob.text()) as ComplianceReport;
        setShown({ report, file, seal });
      }
      if (save) saveFile(file);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <>
      <section class="panel report-form" aria-labelledby="report-heading">
        <h2 id="report-heading">Compliance report</h2>
        <p class="muted small">
          Every session, sterilizer cycle and violation of the period, the recalls of positive biological indicators,
          and a summary. Days are whole UTC days; the last day is included.
        </p>
        <form
          class="form-row"
          onSubmit={(e) => {
            e.preventDefault();
            void make("json", false);
          }}
        >
          <ClinicField
            value={chosen ?? ""}
            options={options}
            all={mayChooseAll ? "Every clinic" : undefined}
            onChange={(c) => setClinic(c || null)}
          />
          <DayField
            name="from"
            label="From (first day)"
            required
            value={period.from}
            onChange={(from) => setPeriod((p) => ({ ...p, from }))}
          />
          <DayField
            name="to"
            label="To (last day)"
            required
            value={period.to}
            onChange={(to) => setPeriod((p) => ({ ...p, to }))}
          />
          <div class="chips" role="group" aria-label="Quick periods">
            <button type="button" class="chip" onClick={() => setPeriod(lastDays(7))}>
              Last 7 days
            </button>
            <button type="button" class="chip" onClick={() => setPeriod(lastDays(30))}>
              Last 30 days
            </button>
            <button type="button" class="chip" onClick={() => setPeriod(previousMonth())}>
              Previous month
            </button>
          </div>
          <FormError message={periodError} />
          <div class="form-actions">
            <button type="submit" class="button primary" disabled={busy !== null || !!periodError}>
              <Icon name="report" />
              Show summary
            </button>
            {(["csv", "pdf", "json"] as Format[]).map((f) => (
              <button
                key={f}
                type="button"
                class="button secondary"
                disabled={busy !== null || !!periodError}
                onClick={() => (f === "json" && shown && shownMatches ? saveFile(shown.file) : make(f, true))}
              >
                <Icon name="download" />
                {`Download ${formatLabel[f]}`}
              </button>
            ))}
          </div>
        </form>
        {busy && <Loading what={`Making the ${formatLabel[busy]} report`} />}
        {error !== null && <ErrorBox error={error} />}
      </section>

      {shown && (
        <section class="panel" id="report-shown" aria-labelledby="summary-heading" data-sha256={shown.seal.sha256}>
          <div class="panel-head">
            <h2 id="summary-heading">
              Summary: {shown.report.report.clinic ?? "every clinic"}, {dateOnly(shown.seal.period.from)} to{" "}
              {dateOnly(shown.seal.period.to)}
            </h2>
            <span class="muted small">
              made {when(shown.report.report.generated_at)} by {shown.report.report.generated_by}
            </span>
          </div>
          <Summary summary={shown.report.summary} />
          <dl class="seal">
            <div>
              <dt>SHA-256 of this report (JSON)</dt>
              <dd data-seal="sha256">
                <Hash value={shown.seal.sha256} />
              </dd>
            </div>
            <div>
              <dt>Audit chain head when it was made</dt>
              <dd data-seal="audit-head">
                {shown.seal.head ? (
                  <>
                    record #{shown.seal.head.seq} <Hash value={shown.seal.head.hash} />
                  </>
                ) : (
                  "—"
                )}
              </dd>
            </div>
          </dl>
        </section>
      )}
      <MadeList made={made} />
    </>
  );
}

export function Reports() {
  return (
    <>
      <WorkspaceTabs current="reports" />
      <Restricted path="/api/v1/reports/compliance" title="Reports" what="compliance reports">
        <PageTitle title="Reports" />
        <ReportMaker />
        <VerifyReport />
      </Restricted>
    </>
  );
}
