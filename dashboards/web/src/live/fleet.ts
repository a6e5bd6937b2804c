// The live picture of the fleet: every device and every active alert, loaded once and then kept current
// from the daemon's event stream (/api/v1/stream, Server-Sent Events).
//
// Order matters: the stream is opened first and its events are held while the snapshot loads, then
// replayed on top of it, so nothing that happens during the load is lost or overwritten by older data.
// Every (re)connection reloads the snapshot, since events sent while disconnected are gone.
//
// A tablet that slept may wake with a stream that is dead without an error. The daemon writes a
// heartbeat on an idle stream, so a stream silent for longer than two heartbeats is taken as dead and
// opened again; so is a stream silent for more than one when the page becomes visible or the network
// comes back. Going offline closes it at once: the top bar then says so rather than "Live".
import { api, getAll } from "../api/client";
import type { Alert, Device, StreamEvent } from "../api/types";
import { Store, useStore } from "../store";
import { SseParser } from "./sse";

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
  /** When the daemon last sent anything on the stream (an event or its heartbeat), ms since the epoch. */
  lastHeard: number | null;
  /** Latest alert transitions seen live, newest first. */
  activity: Activity[];
}

const activityLength = 12;
const reconnectMs = 3000;
// The daemon's stream heartbeat (http `heartbeat`, 15 s): silence longer than this is suspect.
const heartbeatMs = 15000;
const staleMs = 2 * heartbeatMs + 5000;
const watchMs = 5000;

const empty = (): FleetState => ({
  devices: new Map(),
  alerts: new Map(),
  loaded: false,
  error: null,
  connection: "connecting",
  lastHeard: null,
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
  /** Aborts the current attempt; null while waiting to retry. */
  private abort: AbortController | null = null;
  private held: StreamEvent[] | null = null;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private watchdog: ReturnType<typeof setInterval> | null = null;
  /** The last sign of life: bytes from the stream, or the start of the current attempt. */
  private alive = 0;
  private stopped = false;
  private readonly onWake = () => this.wake();
  private readonly onOffline = () => this.lost();

  constructor(private readonly token: string) {}

  start(): void {
    window.addEventListener("online", this.onWake);
    window.addEventListener("offline", this.onOffline);
    document.addEventListener("visibilitychange", this.onWake);
    // Timers stop while a tablet sleeps: the first tick after waking finds the silence.
    this.watchdog = setInterval(() => {
      if (this.abort && Date.now() - this.alive > staleMs) this.reopen();
    }, watchMs);
    this.open();
  }

  /** Closes the stream and forgets the fleet: the next token may see another part of it. */
  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onWake);
    window.removeEventListener("offline", this.onOffline);
    document.removeEventListener("visibilitychange", this.onWake);
    if (this.retry) clearTimeout(this.retry);
    if (this.watchdog) clearInterval(this.watchdog);
    this.abort?.abort();
    this.abort = null;
    fleet.set(empty());
  }

  private open(): void {
    if (this.stopped) return;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.alive = Date.now();
    this.read(abort).then(
      () => this.failed(abort), // the daemon ended the stream (shutdown, revoked token)
      () => this.failed(abort),
    );
  }

  private async read(abort: AbortController): Promise<void> {
    const response = await fetch("/api/v1/stream", {
      headers: { Accept: "text/event-stream", Authorization: `Bearer ${this.token}` },
      cache: "no-store",
      signal: abort.signal,
    });
    if (!response.ok || !response.body) {
      // A refused stream (401, 503): ask the API why (a 401 signs out).
      void api.get("/clinics").catch(() => undefined);
      return;
    }
    this.heard();
    void this.resync();
    const parser = new SseParser((type, data) => this.dispatch(type, data));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || abort.signal.aborted) return;
      this.heard();
      parser.push(value);
    }
  }

  private dispatch(type: string, data: string): void {
    if (type === "alert" || type === "device") this.receive(data);
    // The daemon dropped events this client was too slow for: the picture is stale, reload it.
    else if (type === "dropped") void this.resync();
    // The token was revoked: the API's 401 signs out.
    else if (type === "revoked") void api.get("/clinics").catch(() => undefined);
  }

  private heard(): void {
    this.alive = Date.now();
    // Once a second is enough for "last heard": no render for every event of a burst.
    const last = fleet.get().lastHeard;
    if (last === null || this.alive - last >= 1000) fleet.update((s) => ({ ...s, lastHeard: this.alive }));
  }

  private receive(data: string): void {
    let event: StreamEvent;
    try {
      event = JSON.parse(data) as StreamEvent;
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

  /** An attempt ended or failed: say so and try again a little later. */
  private failed(abort: AbortController): void {
    if (this.stopped || abort !== this.abort) return; // an attempt already replaced
    this.lost();
  }

  /** The stream is gone (ended, failed, or the network is offline): close it and retry. */
  private lost(): void {
    if (this.stopped) return;
    this.abort?.abort();
    this.abort = null;
    fleet.update((s) => ({ ...s, connection: "reconnecting" }));
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = null;
      // Offline, every attempt would fail at once: wait (the "online" event opens it sooner).
      if (navigator.onLine) this.open();
      else this.scheduleRetry();
    }, reconnectMs);
  }

  /** A stream silent for too long: open a new one now. */
  private reopen(): void {
    fleet.update((s) => ({ ...s, connection: "reconnecting" }));
    this.open();
  }

  /** The page is visible again or the network is back: a stream silent for a while is replaced now. */
  private wake(): void {
    if (this.stopped || document.visibilityState !== "visible" || !navigator.onLine) return;
    if (!this.abort || Date.now() - this.alive > heartbeatMs + watchMs) this.reopen();
  }
}
