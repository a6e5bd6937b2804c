// The audit trail for auditors: every change the daemon recorded (who, what, when, before and after), a
// page at a time in commit order, filtered by clinic, actor, action, entity and period; above it,
// whether the hash chain verifies and when it was last checked (GET /api/v1/audit/verify).
//
// A single daemon keeps one chain ("fleet"), seq unique: its page reads as it always has. A cluster keeps
// a chain per clinic ("clinic:<id>", seq counting within it) whose heads the fleet chain anchors; then a
// record is known by (chain, seq), the rows say their chain, and the verification counts the chains.
import { useState } from "preact/hooks";
import { useAllowed } from "../access";
import { api } from "../api/client";
import type { AuditRecord, AuditVerification, Page } from "../api/types";
import { Restricted } from "../components/Access";
import { Empty, ErrorBox, Loading, PageTitle } from "../components/Common";
import { ClinicField, DayField } from "../components/Filters";
import { Hash } from "../components/Hash";
import { Icon } from "../components/Icon";
import { Pager, usePages } from "../components/Pager";
import { WorkspaceTabs } from "../components/Workspace";
import { addDays, ago, when } from "../format";
import { useClinics } from "../useClinics";
import { useLoad } from "../useLoad";
import { useNow } from "../useNow";

const pageSize = 50;

interface Filters {
  clinic: string;
  actor: string;
  action: string;
  entity: string;
  /** YYYY-MM-DD, UTC days; `to` included */
  from: string;
  to: string;
}

const noFilters: Filters = { clinic: "", actor: "", action: "", entity: "", from: "", to: "" };

function query(f: Filters, after: string | null) {
  return {
    clinic: f.clinic,
    actor: f.actor.trim(),
    action: f.action.trim(),
    entity: f.entity.trim(),
    from: f.from ? `${f.from}T00:00:00Z` : "",
    to: f.to ? `${addDays(f.to, 1)}T00:00:00Z` : "",
    after,
    limit: pageSize,
  };
}

const fleetChain = "fleet";

// What the verification found, in one sentence; a single chain's wording is the one it always had.
function verdict(v: AuditVerification): string {
  if (v.chains <= 1) {
    return v.intact
      ? `All ${v.records} records link to the one before and hash to what is stored: none was altered, removed or inserted.`
      : `Record #${v.first_bad ?? "?"} is the first that does not verify: ${v.problem}`;
  }
  if (v.intact) {
    return (
      `All ${v.records} records in ${v.chains} chains link to the one before and hash to what is stored, ` +
      "and every anchored clinic record is as the fleet chain states."
    );
  }
  const chain = v.first_bad_chain;
  // The daemon's problem names a clinic chain too ("chain clinic:C01: ..."): said once, here.
  const named = chain ? `chain ${chain}: ` : "";
  const problem = named && v.problem.startsWith(named) ? v.problem.slice(named.length) : v.problem;
  return `Record #${v.first_bad ?? "?"}${chain ? ` of chain ${chain}` : ""} is the first that does not verify: ${problem}`;
}

// Clinic records stored since their chain's last anchor: intact, not yet under a checkpoint. A shard
// anchors its clinics every audit.anchor_interval_s (a minute by default); a checkpoint signs the fleet
// chain, anchors included (every audit.checkpoint_interval_s, and for every report).
function unanchoredText(n: number): string {
  if (n === 0) return "None: every clinic record is anchored in the fleet chain.";
  return (
    `${n} recent ${n === 1 ? "record, intact: the fleet chain anchors it" : "records, intact: the fleet chain anchors them"} ` +
    `at its shard's next anchor (every audit.anchor_interval_s), and the checkpoint after that covers ${n === 1 ? "it" : "them"}.`
  );
}

function ChainStatus() {
  const now = useNow(30000);
  const [checkedAt, setCheckedAt] = useState<Date | null>(null);
  const { data, error, loading, reload } = useLoad(async () => {
    const v = await api.get<AuditVerification>("/audit/verify");
    setCheckedAt(new Date());
    return v;
  }, []);
  return (
    <section class="panel chain-status" id="chain-status" data-intact={data ? String(data.intact) : ""}>
      <div class="panel-head">
        <h2>Hash chain</h2>
        <button class="button secondary" onClick={reload} disabled={loading}>
          <Icon name="cycle" /> {loading ? "Verifying…" : "Verify again"}
        </button>
      </div>
      {!data && loading && <Loading what="Verifying the hash chain" />}
      {error !== null && <ErrorBox error={error} />}
      {data && (
        <>
          <p class="verdict-head" data-chains={data.chains}>
            {data.intact ? (
              <span class="badge result-good" data-chain="intact">
                <Icon name="shield" size={16} /> Chain intact
              </span>
            ) : (
              <span class="badge result-bad" data-chain="broken">
                <Icon name="alert" size={16} /> Chain broken
              </span>
            )}
            <span>{verdict(data)}</span>
          </p>
          <dl class="seal">
            <div>
              <dt>{data.chains > 1 ? "Head of the fleet chain" : "Head of the chain"}</dt>
              <dd>
                record #{data.head.seq} <Hash value={data.head.hash} />
              </dd>
            </div>
            {data.chains > 1 && data.intact && (
              <div>
                <dt>Not yet anchored</dt>
                <dd data-unanchored={data.unanchored}>{unanchoredText(data.unanchored)}</dd>
              </div>
            )}
            <div>
              <dt>Last verified</dt>
              <dd data-verified-at={checkedAt?.toISOString() ?? ""}>
                {checkedAt ? `${checkedAt.toLocaleTimeString()} (${ago(checkedAt.toISOString(), now)})` : "—"}
              </dd>
            </div>
          </dl>
        </>
      )}
    </section>
  );
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">nothing</span>;
  return <pre class="json">{JSON.stringify(value, null, 2)}</pre>;
}

// A record is known by (chain, seq). A fleet record keeps the id a single daemon's always had
// (audit-<seq>); a clinic chain's is audit-clinic:<id>-<seq> (an id may hold any character but a space,
// and a clinic id holds none).
function recordId(record: AuditRecord): string {
  return record.chain === fleetChain ? `audit-${record.seq}` : `audit-${record.chain}-${record.seq}`;
}

// "clinic:C01" with a break allowed after the colon, so a long clinic id does not widen the # column.
function ChainName({ chain }: { chain: string }) {
  const colon = chain.indexOf(":");
  if (colon < 0) return <>{chain}</>;
  return (
    <>
      {chain.slice(0, colon + 1)}
      <wbr />
      {chain.slice(colon + 1)}
    </>
  );
}

function RecordRows({ record, showChain }: { record: AuditRecord; showChain: boolean }) {
  const [open, setOpen] = useState(false);
  const detailId = recordId(record);
  return (
    <>
      <tr data-seq={record.seq} data-chain={record.chain} data-action={record.action} class={open ? "has-detail" : ""}>
        <td class="num">
          {record.seq}
          {showChain && (
            <span class="cell-sub chain-of">
              in&nbsp;
              <ChainName chain={record.chain} />
            </span>
          )}
        </td>
        <td class="nowrap" title={record.at}>
          {when(record.at)}
        </td>
        <td data-field="actor">{record.actor}</td>
        <td data-field="action">
          <strong>{record.action}</strong>
          <span class="cell-sub">{record.entity}</span>
        </td>
        <td>{record.clinic ?? <span class="muted">fleet</span>}</td>
        <td>
          <button class="button secondary" aria-expanded={open} aria-controls={detailId} onClick={() => setOpen(!open)}>
            {open ? "Hide changes" : "Before / after"}
          </button>
        </td>
      </tr>
      {open && (
        <tr class="detail-row" id={detailId}>
          <td colSpan={6}>
            <div class="before-after">
              <div>
                <h3>Before</h3>
                <Json value={record.before} />
              </div>
              <div>
                <h3>After</h3>
                <Json value={record.after} />
              </div>
            </div>
            <p class="small muted">
              Cause: {record.cause || "—"} · recorded {record.at}
              <br />
              Hash <Hash value={record.hash} />
            </p>
          </td>
        </tr>
      )}
    </>
  );
}

function FilterForm({ applied, onApply }: { applied: Filters; onApply: (f: Filters) => void }) {
  const [draft, setDraft] = useState<Filters>(applied);
  const clinics = useClinics();
  const set = (key: keyof Filters) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  const text = (key: keyof Filters, label: string, placeholder: string) => (
    <label class="field">
      <span>{label}</span>
      <input
        type="text"
        name={key}
        value={draft[key]}
        placeholder={placeholder}
        spellcheck={false}
        onInput={set(key)}
      />
    </label>
  );
  const day = (key: keyof Filters, label: string) => (
    <DayField name={key} label={label} value={draft[key]} onChange={(value) => setDraft({ ...draft, [key]: value })} />
  );
  return (
    <form
      class="panel form-row filters"
      id="audit-filters"
      onSubmit={(e) => {
        e.preventDefault();
        onApply(draft);
      }}
    >
      <ClinicField
        value={draft.clinic}
        options={clinics}
        all="Every clinic and the fleet"
        onChange={(clinic) => setDraft({ ...draft, clinic })}
      />
      {text("actor", "Who", "token:ann, device:PEN-01, engine")}
      {text("action", "What (action)", "acknowledged, compliance_report")}
      {text("entity", "About (entity)", "alert:17, device:PEN-01")}
      {day("from", "From (day)")}
      {day("to", "To (day, included)")}
      <div class="form-actions">
        <button type="submit" class="button primary">
          Apply filters
        </button>
        <button
          type="button"
          class="button secondary"
          onClick={() => {
            setDraft(noFilters);
            onApply(noFilters);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function AuditList() {
  const [filters, setFilters] = useState<Filters>(noFilters);
  const pages = usePages();
  const { data, error, loading } = useLoad(
    () => api.get<Page<AuditRecord>>("/audit", query(filters, pages.after)),
    [filters, pages.after],
  );
  const filtered = Object.values(filters).some(Boolean);
  // One chain on this page (a single daemon's, or a cluster's fleet records only): it reads as it always has.
  const chained = data?.items.some((r) => r.chain !== fleetChain) ?? false;

  return (
    <>
      <FilterForm
        applied={filters}
        onApply={(f) => {
          setFilters(f);
          pages.first();
        }}
      />
      {error !== null && <ErrorBox error={error} />}
      {!data && loading && <Loading what="Loading audit records" />}
      {data && (
        <section class="panel" aria-labelledby="records-heading">
          <div class="panel-head">
            <h2 id="records-heading">
              Records{filtered ? " matching the filters" : ""}, page {pages.number}
            </h2>
            <span class="muted small">
              {chained ? "in commit order" : "in the chain's order"}, oldest first, {pageSize} a page
            </span>
          </div>
          {data.items.length === 0 ? (
            <Empty>No audit record{filtered ? " matches these filters" : " yet"}.</Empty>
          ) : (
            <div class="table-wrap">
              <table class="table" id="audit-records" aria-busy={loading}>
                <thead>
                  <tr>
                    <th class="num">#</th>
                    <th>When</th>
                    <th>Who</th>
                    <th>What</th>
                    <th>Clinic</th>
                    <th>Changes</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((r) => (
                    <RecordRows key={recordId(r)} record={r} showChain={chained} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          <Pager
            pages={pages}
            next={data.next}
            busy={loading}
            label="Pages of audit records"
            words={{ first: "First page", previous: "Previous", next: "Next" }}
          />
        </section>
      )}
    </>
  );
}

function AuditPage() {
  // Verifying reads the whole chain, which runs through every clinic: only a token for all of them may.
  const mayVerify = useAllowed("GET", "/api/v1/audit/verify");
  return (
    <>
      <PageTitle title="Audit trail" />
      {mayVerify ? (
        <ChainStatus />
      ) : (
        <p class="notice">
          The chain runs through every clinic's records: verifying it takes a token for every clinic. This token lists
          its clinics' records only.
        </p>
      )}
      <AuditList />
    </>
  );
}

export function Audit() {
  return (
    <>
      <WorkspaceTabs current="audit" />
      <Restricted path="/api/v1/audit" title="Audit trail" what="the audit trail">
        <AuditPage />
      </Restricted>
    </>
  );
}
