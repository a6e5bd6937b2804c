// A pen's history in one list, newest first: sessions, cartridge changes, reprocessing and alerts.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Alert, DeviceDetail } from "../api/types";
import { duration, ruleLabel, when } from "../format";
import { href } from "../router";
import { AlertStateBadge, ResultBadge, SeverityBadge } from "./Badges";
import { Empty } from "./Common";
import { Icon, type IconName } from "./Icon";

type Kind = "session" | "cartridge" | "reprocessing" | "alert";

interface Entry {
  key: string;
  at: string;
  kind: Kind;
  icon: IconName;
  title: ComponentChildren;
  detail?: ComponentChildren;
  badge?: ComponentChildren;
}

const kindLabels: Record<Kind, string> = {
  session: "Sessions",
  cartridge: "Cartridges",
  reprocessing: "Reprocessing",
  alert: "Alerts",
};

function cycleLink(key: string) {
  const sterilizer = key.split("/")[0];
  return key.startsWith("manual/") ? <span>{key}</span> : <a href={href.device(sterilizer)}>{key}</a>;
}

function entries(detail: DeviceDetail, alerts: Alert[]): Entry[] {
  const out: Entry[] = [];
  for (const s of detail.sessions) {
    out.push({
      key: `s-${s.key}`,
      at: s.started,
      kind: "session",
      icon: "play",
      title: (
        <>
          Session {s.session} · {s.area}
        </>
      ),
      detail: (
        <>
          {s.operator} · patient {s.patient ?? "withheld"} · cartridge {s.cartridge.id} (lot {s.cartridge.lot}) · depth {s.depth_mm}{" "}
          mm
          {s.ended ? ` · ended ${when(s.ended)}, ${s.strokes ?? "?"} strokes, ${duration(s.runtime_s)}` : " · running"}
          {s.clearance && <> · cleared by {s.clearance === "first use" ? "first use" : cycleLink(s.clearance)}</>}
        </>
      ),
      badge: <ResultBadge ok={s.compliant} text={s.compliant ? "Compliant" : "Not compliant"} />,
    });
  }
  for (const c of detail.cartridge_changes) {
    out.push({
      key: `c-${c.at}-${c.cartridge}-${c.change}`,
      at: c.at,
      kind: "cartridge",
      icon: "cartridge",
      title: (
        <>
          Cartridge {c.cartridge} {c.change}
        </>
      ),
    });
  }
  for (const r of detail.reprocessing) {
    out.push({
      key: `r-${r.at}-${r.cycle}`,
      at: r.at,
      kind: "reprocessing",
      icon: "cycle",
      title: <>Reprocessed in {cycleLink(r.cycle)}</>,
      detail: r.recalled_at ? <>Recalled at {when(r.recalled_at)}: this reprocessing no longer counts</> : undefined,
      badge: r.recalled_at ? (
        <ResultBadge ok={false} text="Recalled" />
      ) : (
        <ResultBadge ok={r.valid} text={r.valid ? "Valid" : "Not valid"} />
      ),
    });
  }
  for (const a of alerts) {
    out.push({
      key: `a-${a.id}`,
      at: a.opened_at,
      kind: "alert",
      icon: "alert",
      title: <>{ruleLabel(a.rule)}</>,
      detail: a.summary,
      badge: (
        <>
          <SeverityBadge severity={a.severity} /> <AlertStateBadge state={a.state} />
        </>
      ),
    });
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

const pageSize = 25;

export function Timeline({ detail, alerts }: { detail: DeviceDetail; alerts: Alert[] }) {
  const [filter, setFilter] = useState<Kind | null>(null);
  const [limit, setLimit] = useState(pageSize);
  const all = entries(detail, alerts);
  const matching = filter ? all.filter((e) => e.kind === filter) : all;
  const shown = matching.slice(0, limit);
  return (
    <>
      <div class="chips" role="group" aria-label="Show">
        <button
          class={`chip ${filter === null ? "on" : ""}`}
          aria-pressed={filter === null}
          onClick={() => (setFilter(null), setLimit(pageSize))}
        >
          All
        </button>
        {(Object.keys(kindLabels) as Kind[]).map((k) => (
          <button
            key={k}
            class={`chip ${filter === k ? "on" : ""}`}
            aria-pressed={filter === k}
            onClick={() => (setFilter(k), setLimit(pageSize))}
          >
            {kindLabels[k]} ({all.filter((e) => e.kind === k).length})
          </button>
        ))}
      </div>
      {shown.length === 0 ? (
        <Empty>Nothing recorded yet.</Empty>
      ) : (
        <ol class="timeline" id="timeline">
          {shown.map((e) => (
            <li key={e.key} class={`timeline-item kind-${e.kind}`}>
              <span class="timeline-icon" aria-hidden="true">
                <Icon name={e.icon} size={16} />
              </span>
              <div class="timeline-body">
                <div class="timeline-head">
                  <span class="timeline-title">{e.title}</span>
                  <span class="timeline-badges">{e.badge}</span>
                </div>
                {e.detail && <p class="timeline-detail">{e.detail}</p>}
              </div>
              <time class="timeline-time" dateTime={e.at}>
                {when(e.at)}
              </time>
            </li>
          ))}
        </ol>
      )}
      {matching.length > shown.length && (
        <button class="link-button" onClick={() => setLimit(limit + pageSize)}>
          Show older ({matching.length - shown.length} more)
        </button>
      )}
      <p class="muted small">
        The daemon keeps the latest 50 sessions, reprocessings and cartridge changes of a device here.
      </p>
    </>
  );
}
