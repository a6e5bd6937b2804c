// Notifications nobody received (dead letters), for the roles that oversee delivery; and, for an admin,
// the receivers the daemon disabled because they answered that they are gone (HTTP 410), with the
// button that enables one again. Shows nothing while every notification arrives.
import { useState } from "preact/hooks";
import { api } from "../api/client";
import type { NotificationList } from "../api/types";
import { useCan } from "../identity";
import { useFleet } from "../live/fleet";
import { ruleLabel, when } from "../format";
import { href } from "../router";
import { useLoad } from "../useLoad";
import { useNow } from "../useNow";
import { ErrorBox, FormError } from "./Common";
import { Icon } from "./Icon";
import { notificationKind } from "./Notifications";

const shown = 50;

function DisabledReceivers({
  receivers,
  onEnabled,
}: {
  receivers: Record<string, { at: string; answer: string }>;
  onEnabled: () => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const names = Object.keys(receivers).sort();
  if (names.length === 0) return null;

  async function enable(name: string) {
    setBusy(name);
    setError(null);
    try {
      await api.post(`/notify/receivers/${encodeURIComponent(name)}/enable`, {});
      onEnabled();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(null);
    }
  }

  return (
    <div class="disabled-receivers">
      <h3>Disabled receivers</h3>
      <p class="muted small">
        These receivers answered that they are gone; nothing is sent to them until they are enabled again.
      </p>
      <ul class="receiver-list">
        {names.map((name) => (
          <li key={name} data-disabled-receiver={name}>
            <span>
              <strong>{name}</strong>
              <span class="cell-sub">
                since {when(receivers[name].at)}: {receivers[name].answer}
              </span>
            </span>
            <button
              class="button secondary"
              onClick={() => enable(name)}
              disabled={busy !== null}
              aria-label={`Enable again: ${name}`}
            >
              {busy === name ? "Enabling…" : "Enable again"}
            </button>
          </li>
        ))}
      </ul>
      <FormError message={error} />
    </div>
  );
}

function Panel({ summary }: { summary: boolean }) {
  const now = useNow(30000);
  const { alerts } = useFleet();
  const canAdminister = useCan("administer");
  const { data, error, reload } = useLoad(
    () => api.get<NotificationList>("/notifications", { state: "dead", limit: shown }),
    [now],
  );
  if (error && !data) return <ErrorBox error={error} />;
  if (!data) return null;
  const dead = data.counts.dead ?? 0;
  const disabled = canAdminister ? (data.disabled_receivers ?? {}) : {};
  if (dead === 0 && Object.keys(disabled).length === 0) return null;
  const receiversOff = Object.keys(disabled).length;

  if (summary) {
    return (
      <section class="panel dead-letters summary" id="dead-letters-summary" aria-labelledby="dead-letters-heading">
        <h2 id="dead-letters-heading">
          <Icon name="alert" /> {dead} notification{dead === 1 ? "" : "s"} could not be delivered
        </h2>
        <p>
          {receiversOff > 0 && `${receiversOff} receiver${receiversOff === 1 ? " is" : "s are"} disabled. `}
          <a href={href.alerts()}>See who was not notified on the Alerts page</a>
        </p>
      </section>
    );
  }

  return (
    <section class="panel dead-letters" id="dead-letters" aria-labelledby="dead-letters-heading">
      <div class="panel-head">
        <h2 id="dead-letters-heading">
          <Icon name="alert" /> {dead} notification{dead === 1 ? "" : "s"} could not be delivered
        </h2>
        {dead > data.items.length && <span class="muted small">the latest {data.items.length} are listed</span>}
      </div>
      {data.items.length > 0 && (
        <div class="table-wrap">
          <table class="table">
            <thead>
              <tr>
                <th>Alert</th>
                <th>Receiver</th>
                <th>Clinic</th>
                <th>Given up</th>
                <th>Last answer</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((n) => {
                const alert = alerts.get(n.alert_id);
                return (
                  <tr key={n.id} data-notification={n.id} data-alert={n.alert_id} data-receiver={n.receiver}>
                    <td>
                      {n.alert_id ? (
                        <a href={href.alert(n.alert_id)}>{alert ? ruleLabel(alert.rule) : `Alert ${n.alert_id}`}</a>
                      ) : (
                        <span class="muted">Test notification</span>
                      )}
                      <span class="cell-sub">{notificationKind(n.kind)}</span>
                    </td>
                    <td>{n.receiver}</td>
                    <td>{n.clinic || "—"}</td>
                    <td class="nowrap" title={n.last_attempt_at ?? ""}>
                      {when(n.last_attempt_at)}
                    </td>
                    <td class="answer" data-last-answer>
                      {n.last_answer || "no answer"}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <DisabledReceivers receivers={disabled} onEnabled={reload} />
    </section>
  );
}

/**
 * The dead-letter panel, for roles with the oversee permission only (the API refuses the others);
 * `summary` is the one-line version for the fleet overview, linking to the full panel on the Alerts page.
 */
export function DeadLetters({ summary = false }: { summary?: boolean }) {
  const canOversee = useCan("oversee");
  return canOversee ? <Panel summary={summary} /> : null;
}
