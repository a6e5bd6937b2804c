// The quarantine: every message the daemon could not accept, newest first, with the precise reason and
// the raw payload as it arrived. Nothing here changed the fleet's state; an event that could not be
// judged also raised a device.event_rejected alert, whose trigger names the message (#/quarantine/{id}).
import { useState } from "preact/hooks";
import { useAllowed } from "../access";
import { api } from "../api/client";
import type { Page, QuarantineCounts, Quarantined } from "../api/types";
import { Restricted } from "../components/Access";
import { Empty, ErrorBox, Figure, Loading, PageTitle } from "../components/Common";
import { ClinicField } from "../components/Filters";
import { Icon } from "../components/Icon";
import { Pager, usePages } from "../components/Pager";
import { WorkspaceTabs } from "../components/Workspace";
import { when } from "../format";
import { href } from "../router";
import { useClinics } from "../useClinics";
import { useLoad } from "../useLoad";

const pageSize = 50;

/** The payload as received: JSON laid out when it parses, else the text; hex when it is not UTF-8. */
function Payload({ message }: { message: Quarantined }) {
  if (message.payload === null) {
    return (
      <>
        <p class="small muted">Not UTF-8 text: the bytes in hexadecimal.</p>
        <pre class="payload">{message.payload_hex ?? ""}</pre>
      </>
    );
  }
  let shown = message.payload;
  try {
    shown = JSON.stringify(JSON.parse(message.payload), null, 2);
  } catch {
    // Not JSON: shown exactly as received.
  }
  return (
    <>
      <pre class="payload" data-payload>
        {shown}
      </pre>
      {shown !== message.payload && (
        <p class="small muted">Laid out for reading; {message.payload.length} bytes as received.</p>
      )}
    </>
  );
}

function Rows({ message }: { message: Quarantined }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr data-quarantine={message.id} data-reason={message.reason}>
        <td class="nowrap">
          <a href={href.quarantined(message.id)} title={message.received_at}>
            {when(message.received_at)}
          </a>
        </td>
        <td>
          {message.device ? <a href={href.device(message.device)}>{message.device}</a> : "—"}
          <span class="cell-sub">{message.clinic ?? "no clinic"}</span>
        </td>
        <td class="reason">
          <strong>{message.reason}</strong>
          <span class="cell-sub">{message.detail}</span>
        </td>
        <td class="topic">{message.topic}</td>
        <td>
          <button
            class="button secondary"
            aria-expanded={open}
            aria-controls={`payload-${message.id}`}
            onClick={() => setOpen(!open)}
          >
            {open ? "Hide payload" : "Raw payload"}
          </button>
        </td>
      </tr>
      {open && (
        <tr class="detail-row" id={`payload-${message.id}`}>
          <td colSpan={5}>
            <Payload message={message} />
          </td>
        </tr>
      )}
    </>
  );
}

function Counts() {
  const { data } = useLoad(() => api.get<QuarantineCounts>("/quarantine/counts"), []);
  if (!data) return null;
  const reasons = Object.entries(data.by_reason).sort((a, b) => b[1] - a[1]);
  return (
    <div class="figures" id="quarantine-counts">
      <Figure label="Messages rejected" value={data.total} tone={data.total ? "attention" : "good"} />
      {reasons.slice(0, 5).map(([reason, count]) => (
        <Figure key={reason} label={reason} value={count} />
      ))}
    </div>
  );
}

function QuarantineList() {
  const clinics = useClinics();
  // The counts span the whole fleet: only a token for every clinic may read them.
  const mayCount = useAllowed("GET", "/api/v1/quarantine/counts");
  const [clinic, setClinic] = useState("");
  const [device, setDevice] = useState("");
  const [applied, setApplied] = useState({ clinic: "", device: "" });
  const pages = usePages();
  const { data, error, loading } = useLoad(
    () => api.get<Page<Quarantined>>("/quarantine", { ...applied, after: pages.after, limit: pageSize }),
    [applied, pages.after],
  );

  return (
    <>
      <PageTitle title="Quarantine" />
      <p class="muted">
        Messages the daemon rejected, newest first: each with the reason and the payload exactly as it arrived. None of
        them changed the fleet's state.
      </p>
      {mayCount && <Counts />}
      <form
        class="panel form-row filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied({ clinic, device: device.trim() });
          pages.first();
        }}
      >
        <ClinicField value={clinic} options={clinics} all="Every clinic" onChange={setClinic} />
        <label class="field">
          <span>Device</span>
          <input
            name="device"
            value={device}
            spellcheck={false}
            placeholder="C01-PEN-01"
            onInput={(e) => setDevice((e.target as HTMLInputElement).value)}
          />
        </label>
        <div class="form-actions">
          <button type="submit" class="button primary">
            Apply filters
          </button>
        </div>
      </form>
      {error !== null && <ErrorBox error={error} />}
      {!data && loading && <Loading what="Loading the quarantine" />}
      {data &&
        (data.items.length === 0 && pages.number === 1 ? (
          <Empty>No message was rejected{applied.clinic || applied.device ? " for these filters" : ""}.</Empty>
        ) : (
          <section class="panel">
            <div class="table-wrap">
              <table class="table" id="quarantine" aria-busy={loading}>
                <thead>
                  <tr>
                    <th>Received</th>
                    <th>Device</th>
                    <th>Why it was rejected</th>
                    <th>Topic</th>
                    <th>Payload</th>
                  </tr>
                </thead>
                <tbody>
                  {data.items.map((m) => (
                    <Rows key={m.id} message={m} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager
              pages={pages}
              next={data.next}
              busy={loading}
              label="Pages of rejected messages"
              words={{ previous: "Newer", next: "Older" }}
            />
          </section>
        ))}
    </>
  );
}

function Message({ id }: { id: string }) {
  const { data, error, loading } = useLoad(() => api.get<Quarantined>(`/quarantine/${encodeURIComponent(id)}`), [id]);
  return (
    <>
      <a class="back" href={href.quarantine()}>
        <Icon name="back" size={16} /> Quarantine
      </a>
      <PageTitle title={`Rejected message ${id}`} />
      {error !== null && <ErrorBox error={error} />}
      {!data && loading && <Loading what="Loading the message" />}
      {data && (
        <section class="panel" data-quarantine={data.id}>
          <dl class="facts">
            <div class="fact">
              <dt>Received</dt>
              <dd>{when(data.received_at)}</dd>
            </div>
            <div class="fact">
              <dt>Device</dt>
              <dd>{data.device ? <a href={href.device(data.device)}>{data.device}</a> : "—"}</dd>
            </div>
            <div class="fact">
              <dt>Clinic</dt>
              <dd>{data.clinic ?? "—"}</dd>
            </div>
            <div class="fact">
              <dt>Topic</dt>
              <dd>{data.topic}</dd>
            </div>
          </dl>
          <h2 class="spaced">Why it was rejected</h2>
          <p>
            <strong>{data.reason}</strong>: {data.detail}
          </p>
          <h2 class="spaced">Raw payload</h2>
          <Payload message={data} />
        </section>
      )}
    </>
  );
}

export function Quarantine({ id }: { id?: string }) {
  return (
    <>
      <WorkspaceTabs current="quarantine" />
      <Restricted
        path={id ? "/api/v1/quarantine/{id}" : "/api/v1/quarantine"}
        title="Quarantine"
        what="the quarantine of rejected messages"
      >
        {id ? <Message id={id} /> : <QuarantineList />}
      </Restricted>
    </>
  );
}
