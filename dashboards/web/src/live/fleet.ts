// The live picture of the fleet: every device and every active alert, loaded once and then kept current
// from the daemon's event stream (/api/v1/stream, Server-Sent Events).
//
// Order matters: the stream is opened first and its events are held while the snapshot loads, then
// replayed on top of it, so nothing that happens during the load is lost or overwritten by older data.
// Every (re)connection reloads the snapshot, since events sent while disconnected are gone.
import { api, getAll } from "../api/client";
import type { Alert, Device, StreamEvent } from "../api/types";
import { Store, useStore } from "../store";

export type Connection = "connecting" | "live" | "reconnecting";

export interface Activity {
  id: number;
  at: Date;
  transition: string;
  alert: Alert;
}

export interface FleetState {
  devices: Map<string, Device>;
  /** Open and acknowledged alerts, by id. */
  alerts: Map<string, Alert>;
  loaded: boolean;
  error: string | null;
  connection: Connection;
  /** Latest alert transitions seen live, newest first. */
  activity: Activity[];
}

const activityLength = 12;
const reconnectMs = 3000;

const empty = (): FleetState => ({
  devices: new Map(),
  alerts: new Map(),
  loaded: false,
  error: null,
  connection: "connecting",
  activity: [],
});

export const fleet = new Store<FleetState>(empty());

export function useFleet(): FleetState {
  return useStore(fleet);
}

export function isActive(alert: Alert): boolean {
  return alert.state === "open" || alert.state === "acknowledged";
}

const severityRank = { critical: 0, warning: 1, info: 2 };

/** Open before acknowledged, critical first, newest first. */
export function byUrgency(a: Alert, b: Alert): number {
  if (a.state !== b.state) return a.state === "open" ? -1 : 1;
  if (a.severity !== b.severity) return severityRank[a.severity] - severityRank[b.severity];
  return b.opened_at.localeCompare(a.opened_at);
}

/** Applies an alert the API returned (after acknowledge or resolve) without waiting for the stream. */
export function applyAlert(alert: Alert): void {
  fleet.update((s) => ({ ...s, alerts: withAlert(s.alerts, alert) }));
}

function withAlert(alerts: Map<string, Alert>, alert: Alert): Map<string, Alert> {
  const next = new Map(alerts);
  if (isActive(alert)) next.set(alert.id, alert);
  else next.delete(alert.id);
  return next;
}

let activitySeq = 0;

function applyEvent(state: FleetState, event: StreamEvent): FleetState {
  if (event.type === "device") {
    const devices = new Map(state.devices);
    devices.set(event.device.id, event.device);
    return { ...state, devices };
  }
  const activity = [
    { id: ++activitySeq, at: new Date(), transition: event.transition, alert: event.alert },
    ...state.activity,
  ];
  return {
    ...state,
    alerts: withAlert(state.alerts, event.alert),
    activity: activity.slice(0, activityLength),
  };
}

async function loadSnapshot(): Promise<Pick<FleetState, "devices" | "alerts">> {
  const [devices, open, acknowledged] = await Promise.all([
    api.get<{ items: Device[] }>("/devices"),
    getAll<Alert>("/alerts", { state: "open" }, 5000),
    getAll<Alert>("/alerts", { state: "acknowledged" }, 5000),
  ]);
  return {
    devices: new Map(devices.items.map((d) => [d.id, d])),
    alerts: new Map([...open, ...acknowledged].map((a) => [a.id, a])),
  };
}

/** One connection to the stream for the signed-in token; `stop` closes it for good. */
export class LiveConnection {
  private source: EventSource | null = null;
  private held: StreamEvent[] | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly token: string) {}

  start(): void {
    this.open();
  }

  /** Closes the stream and forgets the fleet: the next token may see another part of it. */
  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.source?.close();
    this.source = null;
    fleet.set(empty());
  }

  private open(): void {
    if (this.stopped) return;
    const source = new EventSource(`/api/v1/stream?access_token=${encodeURIComponent(this.token)}`);
    this.source = source;
    source.addEventListener("open", () => void this.resync());
    source.addEventListener("alert", (e) => this.receive(e as MessageEvent<string>));
    source.addEventListener("device", (e) => this.receive(e as MessageEvent<string>));
    // The daemon dropped events this client was too slow for: the picture is stale, reload it.
    source.addEventListener("dropped", () => void this.resync());
    source.addEventListener("error", () => this.failed(source));
  }

  private receive(message: MessageEvent<string>): void {
    let event: StreamEvent;
    try {
      event = JSON.parse(message.data) as StreamEvent;
    } catch {
      return;
    }
    if (this.held) this.held.push(event);
    else fleet.update((s) => applyEvent(s, event));
  }

  private async resync(): Promise<void> {
    this.held = [];
    fleet.update((s) => ({ ...s, connection: "live" }));
    try {
      const snapshot = await loadSnapshot();
      if (this.stopped) return;
      const held = this.held ?? [];
      this.held = null;
      fleet.update((s) => held.reduce(applyEvent, { ...s, ...snapshot, loaded: true, error: null }));
    } catch (e) {
      this.held = null;
      fleet.update((s) => ({ ...s, error: e instanceof Error ? e.message : String(e) }));
    }
  }

  private failed(source: EventSource): void {
    if (this.stopped) return;
    fleet.update((s) => ({ ...s, connection: "reconnecting" }));
    if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
    // A refused stream (401, 503) is closed for good by the browser: ask the API why (a 401 signs out)
    // and open a new one a little later.
    void api.get("/clinics").catch(() => undefined);
    this.retry = setTimeout(() => this.open(), reconnectMs);
  }
}
