// State and severity shown as a word with an icon and a colour: colour is never the only signal.
import type { AlertState, DisplayState, Severity } from "../api/types";
import { severityLabel, stateLabel } from "../format";
import { Icon, type IconName } from "./Icon";

const stateIcon: Record<DisplayState, IconName> = {
  ready: "check",
  in_use: "play",
  needs_reprocessing: "cycle",
  locked: "lock",
  offline: "offline",
  off: "power",
};

export function StateBadge({ state }: { state: DisplayState }) {
  return (
    <span class={`badge state-${state}`} data-state={state}>
      <Icon name={stateIcon[state]} size={15} />
      {stateLabel[state]}
    </span>
  );
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span class={`badge severity-${severity}`}>
      <Icon name={severity === "info" ? "info" : "alert"} size={15} />
      {severityLabel[severity]}
    </span>
  );
}

const alertStateLabel: Record<AlertState, string> = {
  open: "Open",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
  withdrawn: "Withdrawn",
};

export function AlertStateBadge({ state }: { state: AlertState }) {
  return (
    <span class={`badge alert-${state}`} data-alert-state={state}>
      {alertStateLabel[state]}
    </span>
  );
}

/** A pass/fail style result: good results in calm green, bad ones in red, both with a word. */
export function ResultBadge({ ok, text }: { ok: boolean | null; text: string }) {
  const tone = ok === null ? "pending" : ok ? "good" : "bad";
  return (
    <span class={`badge result-${tone}`}>
      {ok !== null && <Icon name={ok ? "check" : "alert"} size={14} />}
      {text}
    </span>
  );
}
