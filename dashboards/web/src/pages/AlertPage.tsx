// One alert on its own page, the page notifications link to (#/alerts/<id>): the alert with its
// actions, and who was notified of it, when, and whether it arrived.
import { api, ApiError } from "../api/client";
import type { Alert, AlertNotifications, Notification } from "../api/types";
import { AlertCard } from "../components/AlertCard";
import { Empty, ErrorBox, Loading } from "../components/Common";
import { Icon } from "../components/Icon";
import { NotificationTable } from "../components/Notifications";
import { ruleLabel } from "../format";
import { useFleet } from "../live/fleet";
import { href } from "../router";
import { useLoad } from "../useLoad";
import { useNow } from "../useNow";

interface Loaded {
  alert: Alert;
  notifications: Notification[];
}

async function load(id: string): Promise<Loaded> {
  const path = `/alerts/${encodeURIComponent(id)}`;
  const [alert, notified] = await Promise.all([
    api.get<Alert>(path),
    api.get<AlertNotifications>(`${path}/notifications`),
  ]);
  return { alert, notifications: notified.notifications };
}

export function AlertPage({ id }: { id: string }) {
  const { alerts } = useFleet();
  const live = alerts.get(id);
  // Reload when the alert changes (acknowledged, resolved: it then leaves the live picture), and every
  // half minute while a notification may still be on its way.
  const now = useNow(30000);
  const { data, error, loading } = useLoad(
    () => load(id),
    [id, live ? `${live.state}|${live.occurrences}` : "closed", now],
  );

  if (error && !data) {
    if (error instanceof ApiError && error.status === 404) {
      return (
        <>
          <a class="back" href={href.alerts()}>
            <Icon name="back" size={16} /> Alerts
          </a>
          <Empty>There is no alert {id}.</Empty>
        </>
      );
    }
    return <ErrorBox error={error} />;
  }
  if (!data) return loading ? <Loading what={`Loading alert ${id}`} /> : null;

  // The live picture knows of an acknowledgement at once; a closed alert is only in the loaded copy.
  const alert = live ?? data.alert;
  const delivered = data.notifications.filter((n) => n.state === "delivered").length;
  const dead = data.notifications.filter((n) => n.state === "dead").length;

  return (
    <div class="alert-page" data-alert-page={id}>
      <a class="back" href={href.alerts()}>
        <Icon name="back" size={16} /> Alerts
      </a>
      <div class="device-header">
        <div>
          <h1>{ruleLabel(alert.rule)}</h1>
          <p class="muted">
            Alert {alert.id} · clinic {alert.clinic}
          </p>
        </div>
      </div>
      {error && <ErrorBox error={error} />}
      <section class="panel" aria-labelledby="alert-heading">
        <h2 id="alert-heading">Alert</h2>
        <AlertCard alert={alert} pageLink={false} />
      </section>
      <section class="panel" aria-labelledby="notifications-heading">
        <div class="panel-head">
          <h2 id="notifications-heading">Notifications</h2>
          {data.notifications.length > 0 && (
            <span class={`pill ${dead ? "attention" : "calm"}`}>
              {delivered} of {data.notifications.length} delivered{dead ? ` · ${dead} dead` : ""}
            </span>
          )}
        </div>
        <NotificationTable notifications={data.notifications} />
      </section>
    </div>
  );
}
