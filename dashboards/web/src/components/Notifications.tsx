// Who was told about an alert, when, and whether it arrived: one row per notification (receiver,
// kind, outcome, attempts) with its attempt history behind a button.
import { Fragment } from "preact";
import { useState } from "preact/hooks";
import type { Notification, NotificationAttempt } from "../api/types";
import { when } from "../format";
import { ResultBadge } from "./Badges";
import { Empty } from "./Common";

const kindLabel: Record<string, string> = {
  firing: "Alert opened",
  repeat: "Reminder",
  escalation: "Escalation",
  resolved: "Resolved",
  withdrawn: "Withdrawn",
  test: "Test",
};

export function notificationKind(kind: string): string {
  return kindLabel[kind] ?? kind;
}

/** The outcome in words, with the time that matters for it. */
export function NotificationOutcome({ n }: { n: Notification }) {
  switch (n.state) {
    case "delivered":
      return (
        <span class="stack">
          <ResultBadge ok={true} text="Delivered" />
          <span class="cell-sub" title={n.delivered_at ?? ""}>
            at {when(n.delivered_at)}
          </span>
        </span>
      );
    case "pending":
      return (
        <span class="stack">
          <ResultBadge ok={null} text="Pending" />
          <span class="cell-sub" title={n.due_at}>
            {n.attempts > 0 ? "next try" : "due"} {when(n.due_at)}
          </span>
          {n.last_answer && <span class="cell-sub">last answer: {n.last_answer}</span>}
        </span>
      );
    case "dead":
      return (
        <span class="stack">
          <ResultBadge ok={false} text="DEAD: not delivered" />
          <span class="cell-sub answer" data-last-answer>
            {n.last_answer || "no answer"}
          </span>
        </span>
      );
    case "cancelled":
      return (
        <span class="stack">
          <span class="badge neutral">Cancelled</span>
          <span class="cell-sub">no longer needed</span>
        </span>
      );
  }
}

const resultText: Record<NotificationAttempt["result"], string> = {
  delivered: "Delivered",
  retry: "Failed, retried",
  dead: "Failed, given up",
};

function History({ attempts }: { attempts: NotificationAttempt[] }) {
  return (
    <table class="table history">
      <caption class="visually-hidden">Delivery attempts</caption>
      <thead>
        <tr>
          <th>Time</th>
          <th>Result</th>
          <th class="num">Status</th>
          <th>Answer</th>
          <th class="num">After</th>
        </tr>
      </thead>
      <tbody>
        {attempts.map((a, i) => (
          <tr key={i} data-result={a.result}>
            <td class="nowrap" title={a.at}>
              {when(a.at)}
            </td>
            <td>
              <ResultBadge ok={a.result === "delivered"} text={resultText[a.result]} />
            </td>
            <td class="num">{a.status || "—"}</td>
            <td class="answer">{a.answer || "—"}</td>
            <td class="num">{a.latency_ms < 1000 ? `${a.latency_ms} ms` : `${(a.latency_ms / 1000).toFixed(1)} s`}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Row({ n }: { n: Notification }) {
  const [open, setOpen] = useState(false);
  const historyId = `history-${n.id}`;
  return (
    <Fragment>
      <tr data-notification={n.id} data-state={n.state} data-receiver={n.receiver} class={open ? "has-reasons" : ""}>
        <td>
          <span class="cell-main">{n.receiver}</span>
          {n.route && <span class="cell-sub">route {n.route}</span>}
        </td>
        <td class="nowrap">{notificationKind(n.kind)}</td>
        <td class="nowrap" title={n.created_at}>
          {when(n.created_at)}
        </td>
        <td>
          <NotificationOutcome n={n} />
        </td>
        <td>
          {n.history.length === 0 ? (
            <span class="muted">none yet</span>
          ) : (
            <button
              class="link-button inline"
              aria-expanded={open}
              aria-controls={historyId}
              onClick={() => setOpen(!open)}
            >
              {open ? "Hide" : "Show"} {n.history.length} attempt{n.history.length === 1 ? "" : "s"}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="history-row" id={historyId}>
          <td colSpan={5}>
            <History attempts={n.history} />
          </td>
        </tr>
      )}
    </Fragment>
  );
}

export function NotificationTable({ notifications }: { notifications: Notification[] }) {
  if (notifications.length === 0) {
    return <Empty>Nobody was notified of this alert (no notification route matches it, or none is configured).</Empty>;
  }
  return (
    <div class="table-wrap">
      <table class="table notifications" id="notifications">
        <thead>
          <tr>
            <th>Receiver</th>
            <th>Kind</th>
            <th>Planned</th>
            <th>Delivery</th>
            <th>Attempts</th>
          </tr>
        </thead>
        <tbody>
          {notifications.map((n) => (
            <Row key={n.id} n={n} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
