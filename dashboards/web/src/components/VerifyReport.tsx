// "Is this report authentic?" A report file (CSV, JSON or PDF) dropped here, or chosen, is sent as it is
// to the daemon (POST /api/v1/reports/verify), which checks its bytes against the seal it states and the
// audit record of its making. The answer is said in one plain sentence first, the evidence after.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { ReportVerification } from "../api/types";
import { fileSize } from "../files";
import { dateOnly, when } from "../format";
import { ErrorBox, Loading } from "./Common";
import { Hash } from "./Hash";
import { Icon } from "./Icon";

interface Checked {
  file: { name: string; size: number };
  result: ReportVerification;
}

/** What the report covers, from the audit record of its making: a recall's cycle, or a clinic and period. */
function scope(after: NonNullable<ReportVerification["record"]>["after"]): string {
  if (typeof after.cycle === "string") return `the recall of ${after.cycle}`;
  const clinic = after.clinic ?? "every clinic";
  if (!after.from || !after.to) return clinic;
  // `to` is exclusive: the last day covered is the day before.
  const last = new Date(new Date(after.to).getTime() - 1).toISOString();
  return `${clinic}, ${dateOnly(after.from)} to ${dateOnly(last)}`;
}

function Verdict({ checked }: { checked: Checked }) {
  const { result, file } = checked;
  const record = result.record;
  return (
    <div
      class={`verdict ${result.genuine ? "genuine" : "not-genuine"}`}
      id="verify-result"
      data-genuine={String(result.genuine)}
      role="status"
    >
      <p class="verdict-head">
        <span class={`badge ${result.genuine ? "result-good" : "result-bad"}`}>
          <Icon name={result.genuine ? "check" : "alert"} size={16} />
          {result.genuine ? "Authentic" : "Not authentic"}
        </span>
        <strong>
          {result.genuine
            ? `${file.name} is a report this daemon made, unaltered.`
            : `${file.name} cannot be trusted as a report of this daemon.`}
        </strong>
      </p>
      {result.problems.length > 0 && (
        <ul class="problems" aria-label="Problems found">
          {result.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <dl class="seal">
        <div>
          <dt>File</dt>
          <dd>
            {file.name} · {fileSize(file.size)} · {result.format ? result.format.toUpperCase() : "not a report format"}
          </dd>
        </div>
        <div>
          <dt>SHA-256 computed now</dt>
          <dd data-verify="sha256">
            <Hash value={result.sha256} />
          </dd>
        </div>
        <div>
          <dt>SHA-256 the file states</dt>
          <dd>{result.stated ? <Hash value={result.stated.sha256} /> : "none"}</dd>
        </div>
        <div>
          <dt>Audit head the file states</dt>
          <dd>
            {result.stated ? (
              <>
                record #{result.stated.audit_head.seq} <Hash value={result.stated.audit_head.hash} />
              </>
            ) : (
              "none"
            )}
          </dd>
        </div>
        <div>
          <dt>Recorded in the audit trail</dt>
          <dd data-verify="record">
            {record
              ? `record #${record.seq}: made ${when(record.at)} by ${record.actor} for ${scope(record.after)}`
              : "no record of its making"}
          </dd>
        </div>
        {result.checkpoint && (
          <div>
            <dt>Signed checkpoint</dt>
            <dd>
              record #{result.checkpoint.seq}, signed {when(result.checkpoint.at)} with key{" "}
              <Hash value={result.checkpoint.key} />
            </dd>
          </div>
        )}
      </dl>
      {result.notes.length > 0 && (
        <ul class="notes muted small">
          {result.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function VerifyReport() {
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [checked, setChecked] = useState<Checked | null>(null);

  async function check(file: File | undefined) {
    if (!file) return;
    setBusy(file.name);
    setError(null);
    setChecked(null);
    try {
      const result = await api.upload<ReportVerification>("/reports/verify", file);
      setChecked({ file: { name: file.name, size: file.size }, result });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section class="panel" id="verify-report" aria-labelledby="verify-heading">
      <h2 id="verify-heading">Verify a report</h2>
      <p class="muted small">
        Drop a report file someone gave you (CSV, JSON or PDF, as this daemon makes them). The daemon checks its bytes
        against the SHA-256 it states and against the audit record made with it. The file is not kept.
      </p>
      <label
        class={`dropzone ${over ? "over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void check(e.dataTransfer?.files[0]);
        }}
      >
        <Icon name="upload" size={28} />
        <span>
          <strong>Drop a report file here</strong> or choose one
        </span>
        <input
          type="file"
          name="report-file"
          class="visually-hidden"
          accept=".csv,.json,.pdf,text/csv,application/json,application/pdf"
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            void check(input.files?.[0]);
            input.value = "";
          }}
        />
      </label>
      {busy && <Loading what={`Checking ${busy}`} />}
      {error !== null && <ErrorBox error={error} />}
      {checked && <Verdict checked={checked} />}
    </section>
  );
}
