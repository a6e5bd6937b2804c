// Words for the API's ids and times in the reader's locale and time zone.
import type { CycleMethod, DisplayState, Severity } from "./api/types";

export const stateLabel: Record<DisplayState, string> = {
  ready: "Ready",
  in_use: "In use",
  needs_reprocessing: "Needs reprocessing",
  locked: "Locked",
  offline: "Offline",
  off: "Off",
};

export const stateOrder: DisplayState[] = ["locked", "needs_reprocessing", "offline", "in_use", "ready", "off"];

export const severityLabel: Record<Severity, string> = {
  critical: "Critical",
  warning: "Warning",
  info: "Info",
};

const ruleLabels: Record<string, string> = {
  "device.used_without_reprocessing": "Used without reprocessing",
  "cartridge.reused": "Cartridge reused",
  "cartridge.expired": "Expired cartridge",
  "cartridge.overused": "Cartridge overused",
  "cycle.parameters_insufficient": "Cycle below minimum",
  "cycle.indicator_failed": "Chemical indicator failed",
  "cycle.bi_positive": "Biological indicator positive",
  "device.sterility_expired": "Sterility expired",
  "sterilizer.daily_test_missing": "Daily air-removal test missing",
  "sterilizer.daily_test_failed": "Daily air-removal test failed",
  "device.offline": "Device offline",
  "device.battery_low": "Battery low",
  "device.service_due": "Service due",
  "session.depth_exceeds_policy": "Needle depth above policy",
  "device.unknown": "Unknown device",
  "device.identity_mismatch": "Identity mismatch",
  "device.sequence_gap": "Messages missing",
  "device.event_rejected": "Event could not be judged",
  "device.protocol_drift": "Off-spec field",
  "delivery.failed": "Alert not delivered",
  "device.clinic_mismatch": "Device on another clinic's topic",
};

export function ruleLabel(rule: string): string {
  return ruleLabels[rule] ?? rule;
}

/** What an alert is about, in words: "cycle CYC-12" rather than "STER-01/CYC-12" beside the device. */
export function subjectText(rule: string, subject: string, device: string): string | null {
  if (subject === device) return null;
  const own = subject.startsWith(device + "/") ? subject.slice(device.length + 1) : subject;
  if (rule.startsWith("cycle.")) return `cycle ${own}`;
  if (rule.startsWith("cartridge.")) return `cartridge ${own}`;
  if (rule.startsWith("session.")) return `session ${own}`;
  return own;
}

export const methodLabel: Record<CycleMethod, string> = {
  steam_prevac: "Steam, prevacuum",
  steam_gravity: "Steam, gravity",
  dry_heat: "Dry heat",
  chemical: "Chemical",
};

export function kindLabel(kind: string | null): string {
  switch (kind) {
    case "pen":
      return "Pen";
    case "roller":
      return "Roller";
    case "sterilizer":
      return "Sterilizer";
    default:
      return "Unregistered";
  }
}

const timeOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, {
  day: "numeric",
  month: "short",
  hour: "2-digit",
  minute: "2-digit",
});
const fullDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", year: "numeric" });

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "24 Nov, 14:05" on other days. */
export function when(ts: string | null | undefined): string {
  if (!ts) return "—";
  const date = new Date(ts);
  if (Number.isNaN(date.getTime())) return ts;
  return sameDay(date, new Date()) ? timeOnly.format(date) : dayAndTime.format(date);
}

export function dateOnly(ts: string): string {
  const date = new Date(ts.length === 10 ? `${ts}T00:00:00Z` : ts);
  return Number.isNaN(date.getTime()) ? ts : fullDate.format(date);
}

export function timeOf(ts: string): string {
  return timeOnly.format(new Date(ts));
}

const dayMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

export function dayOf(ts: string): string {
  return dayMonth.format(new Date(ts));
}

/** "just now", "5 min ago", "3 h ago", else the time. */
export function ago(ts: string | null | undefined, now = Date.now()): string {
  if (!ts) return "never";
  const seconds = Math.round((now - new Date(ts).getTime()) / 1000);
  if (Number.isNaN(seconds)) return ts;
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return when(ts);
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${seconds} s`;
  const minutes = seconds / 60;
  return Number.isInteger(minutes) ? `${minutes} min` : `${minutes.toFixed(1)} min`;
}

export function percent(part: number, whole: number): string {
  if (whole === 0) return "—";
  return `${Math.round((100 * part) / whole)} %`;
}

/** YYYY-MM-DD of a date in UTC, as the API's days are. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The day `days` after a YYYY-MM-DD day (before it when negative), as YYYY-MM-DD. */
export function addDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return utcDay(date);
}
