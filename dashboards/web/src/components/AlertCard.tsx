// One alert with what happened, where, and the manager's actions: acknowledge, resolve with a reason.
// The actions are shown only to a token whose role may operate.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { Alert } from "../api/types";
import { useCan } from "../identity";
import { applyAlert } from "../live/fleet";
import { ago, ruleLabel, subjectText, when } from "../format";
import { href } from "../router";
import { AlertStateBadge, SeverityBadge } from "./Badges";
import { FormError } from "./Common";
import { ResolveDialog } from "./ResolveDialog";

function explain(error: unknown): string {
  if (error && typeof error === "object" && "status" in error && (error as { status: number }).status === 403) {
    return "This token's role may not change alerts (a manager or admin token is needed).";
  }
  return error instanceof Error ? error.message : String(error);
}

interface Props {
  alert: Alert;
  /** Without the summary: for side panels. */
  compact?: boolean;
  /** Off on the recall page itself. */
  recallLink?: boolean;
  /** The title links to the alert's own page; off on that page. */
  pageLink?: boolean;
}

export function AlertCard({ alert, compact = false, recallLink = true, pageLink = true }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [resolving, setResolving] = useState(false);
  const canOperate = useCan("operate");
  const active = alert.state === "open" || alert.state === "acknowledged";
  const about = subjectText(alert.rule, alert.subject, alert.device);

  async function acknowledge() {
    setBusy(true);
    setError(null);
    try {
      applyAlert(await api.post<Alert>(`/alerts/${encodeURIComponent(alert.id)}/ack`, {}));
    } catch (e) {
      setError(explain(e));
    } finally {
      setBusy(false);
    }
  }

  async function resolve(reason: string) {
    try {
      applyAlert(await api.post<Alert>(`/alerts/${encodeURIComponent(alert.id)}/resolve`, { reason }));
    } catch (e) {
      throw new Error(explain(e));
    }
  }

  return (
    <article
      class={`alert-card severity-edge-${alert.severity} ${alert.state} ${compact ? "compact" : ""}`}
      data-alert-id={alert.id}
      data-rule={alert.rule}
      data-subject={alert.subject}
    >
      <header class="alert-head">
        <SeverityBadge severity={alert.severity} />
        <AlertStateBadge state={alert.state} />
        {alert.silenced && <span class="badge neutral">Silenced (maintenance)</span>}
        <span class="alert-time" title={alert.opened_at}>
          {ago(alert.opened_at)}
        </span>
      </header>
      <h3 class="alert-title">
        {pageLink ? <a href={href.alert(alert.id)}>{ruleLabel(alert.rule)}</a> : ruleLabel(alert.rule)}
      </h3>
      <p class="alert-where">
        <a href={href.device(alert.device)}>{alert.device}</a>
        {about && <span> · {about}</span>}
        <span class="muted"> · clinic {alert.clinic}</span>
        {alert.occurrences > 1 && <span class="muted"> · {alert.occurrences} occurrences</span>}
      </p>
      {!compact && alert.summary && <p class="alert-summary">{alert.summary}</p>}
      {alert.ack && (
        <p class="alert-note">
          Acknowledged by {alert.ack.by} at {when(alert.ack.at)}
          {alert.ack.comment && <>: “{alert.ack.comment}”</>}
        </p>
      )}
      {alert.resolution && (
        <p class="alert-note">
          Resolved by {alert.resolution.by} at {when(alert.resolution.at)}: “{alert.resolution.reason}”
        </p>
      )}
      {!alert.resolution && alert.cleared_at && (
        <p class="alert-note">
          Cleared at {when(alert.cleared_at)}
          {alert.clearance && `: ${alert.clearance}`}
        </p>
      )}
      {recallLink && alert.rule === "cycle.bi_positive" && (
        <p class="alert-note">
          <a href={href.recall(alert.subject)}>Open the recall</a>
        </p>
      )}
      {active && canOperate && (
        <div class="alert-actions">
          {alert.state === "open" && (
            <button class="button primary" onClick={acknowledge} disabled={busy}>
              {busy ? "Acknowledging…" : "Acknowledge"}
            </button>
          )}
          <button class="button secondary" onClick={() => setResolving(true)} disabled={busy}>
            Resolve…
          </button>
        </div>
      )}
      <FormError message={error} />
      {resolving && <ResolveDialog alert={alert} onResolve={resolve} onClose={() => setResolving(false)} />}
    </article>
  );
}
