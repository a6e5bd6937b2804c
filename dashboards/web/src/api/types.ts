// The API's JSON shapes, as daemon/http/openapi.json describes them (only the fields the dashboard reads).

export type Timestamp = string;
export type DeviceKind = "pen" | "roller" | "sterilizer";
export type DisplayState = "ready" | "in_use" | "needs_reprocessing" | "locked" | "offline" | "off";
export type Severity = "info" | "warning" | "critical";
export type AlertState = "open" | "acknowledged" | "resolved" | "withdrawn";

export interface Clinic {
  id: string;
  devices: number;
  pens: number;
  sterilizers: number;
  open_alerts: number;
  critical_alerts: number;
}

export interface Telemetry {
  at: Timestamp;
  battery_pct: number;
  motor_runtime_h: number;
  strokes: number;
  depth_mm: number;
  speed: number;
}

export interface Device {
  id: string;
  clinic: string;
  kind: DeviceKind | null;
  model: string;
  firmware: string;
  registered: boolean;
  state: DisplayState;
  presence: "unknown" | "online" | "offline" | "shutdown";
  hygiene: "ready" | "in_use" | "needs_reprocessing" | null;
  locked: boolean;
  last_seen: Timestamp | null;
  last_received: Timestamp | null;
  open_alerts: number;
  worst_severity: "none" | Severity;
  mounted_cartridge: string | null;
  in_maintenance: boolean;
  telemetry: Telemetry | null;
}

export interface Cartridge {
  id: string;
  lot: string;
  expires: string;
  needles: number;
  max_strokes: number;
  max_runtime_s: number | null;
}

export interface Session {
  clinic: string;
  pen: string;
  session: string;
  key: string;
  started: Timestamp;
  ended: Timestamp | null;
  cartridge: Cartridge;
  operator: string;
  /** null: withheld from this (viewer) token, as it may identify a person */
  patient: string | null;
  patient_drift?: boolean;
  area: string;
  depth_mm: number;
  speed: number;
  strokes: number | null;
  runtime_s: number | null;
  clearance: string;
  compliant: boolean;
}

export type CycleMethod = "steam_gravity" | "steam_prevac" | "dry_heat" | "chemical";

export interface Cycle {
  key: string;
  clinic: string;
  sterilizer: string;
  cycle: string;
  ts: Timestamp;
  method: CycleMethod;
  wrapped: boolean;
  temp_c: number;
  exposure_s: number;
  pressure_kpa: number | null;
  load: string[];
  ci: "pass" | "fail";
  bi_monitored: boolean;
  bi: { result: "negative" | "positive"; at: Timestamp } | null;
  operator: string;
  state: "invalid" | "awaiting_bi" | "valid" | "recalled";
  valid: boolean;
  reasons: string[];
  recalled_at: Timestamp | null;
  recalled_by: string | null;
  entered_by: string;
  agent?: string;
  concentration_pct?: number;
}

export interface Alert {
  id: string;
  clinic: string;
  rule: string;
  severity: Severity;
  subject: string;
  device: string;
  state: AlertState;
  trigger: string;
  opened_at: Timestamp;
  occurrences: number;
  summary: string;
  cleared_at: Timestamp | null;
  clearance: string;
  silenced: boolean;
  ack: { by: string; at: Timestamp; comment: string } | null;
  resolution: { by: string; at: Timestamp; reason: string } | null;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

/** A raw message as received, from a device's history. */
export interface Message {
  id: number;
  received_at: Timestamp;
  ts: Timestamp | null;
  type: string;
  boot: number;
  seq: number | null;
}

export interface DeviceDetail extends Device {
  sessions: Session[];
  reprocessing: { at: Timestamp; cycle: string; valid: boolean; recalled_at: Timestamp | null }[];
  cartridge_changes: { at: Timestamp; cartridge: string; change: "mounted" | "removed" }[];
  cycles: Cycle[];
  active_alerts: Alert[];
  maintenance: { from: Timestamp; to: Timestamp; reason: string }[];
  history?: Page<Message>;
}

export interface Recall {
  cycle: string;
  bi_read_at: Timestamp;
  cycles: string[];
  devices: string[];
  sessions: {
    pen: string;
    session: string;
    started: Timestamp;
    operator: string;
    patient: string | null;
    patient_drift: boolean;
    after_cycle: string;
  }[];
}

export interface ComplianceDay {
  day: string;
  sessions: number;
  compliant_sessions: number;
  alerts_opened: number;
}

export interface ComplianceStats {
  clinic: string | null;
  from: Timestamp;
  to: Timestamp;
  days: ComplianceDay[];
  totals: { sessions: number; compliant_sessions: number; alerts_opened: number };
}

export type StreamEvent = { type: "alert"; transition: string; alert: Alert } | { type: "device"; device: Device };

export type Role = "viewer" | "manager" | "auditor" | "admin";
export type Permission = "read" | "operate" | "audit" | "oversee" | "administer";

/** GET /api/v1/whoami: the signed-in token, what its role may do and which clinics it sees. */
export interface Whoami {
  actor: string;
  name: string;
  role: Role;
  /** null: every clinic; otherwise the API answers with these clinics' records only. */
  clinics: string[] | null;
  permissions: Permission[];
}

export type NotificationState = "pending" | "delivered" | "dead" | "cancelled";

/** One try to deliver a notification, as the outbox recorded it. */
export interface NotificationAttempt {
  round: number;
  at: Timestamp;
  result: "delivered" | "retry" | "dead";
  /** HTTP status or SMTP reply code; 0 when no answer came. */
  status: number;
  answer: string;
  latency_ms: number;
}

/** An outbox row: what was to be told to whom, and what came of it (alert_id is empty for a test). */
export interface Notification {
  id: string;
  alert_id: string;
  clinic: string;
  receiver: string;
  kind: string;
  route: string;
  created_at: Timestamp;
  due_at: Timestamp;
  state: NotificationState;
  round: number;
  attempts: number;
  last_attempt_at: Timestamp | null;
  last_status: number | null;
  last_answer: string | null;
  delivered_at: Timestamp | null;
  history: NotificationAttempt[];
}

/** GET /api/v1/alerts/{id}/notifications */
export interface AlertNotifications {
  notifications: Notification[];
}

/** GET /api/v1/notifications (oversee): newest first; disabled_receivers only for admins. */
export interface NotificationList {
  items: Notification[];
  counts: Record<NotificationState, number>;
  disabled_receivers?: Record<string, { at: Timestamp; answer: string }>;
}

// ---- the auditor's workspace: audit trail, quarantine, reports, tokens ----

/** One record of the hash-chained audit trail (GET /api/v1/audit). */
export interface AuditRecord {
  /**
   * The hash chain the record is in: "fleet" (a single daemon's one chain; in a cluster, the fleet's own
   * records and the anchors of the clinic chains) or "clinic:<id>" (a cluster chains each clinic apart).
   */
  chain: string;
  /** counts within `chain`: in a cluster, records of different chains share seqs */
  seq: number;
  at: Timestamp;
  actor: string;
  entity: string;
  action: string;
  before: unknown;
  after: unknown;
  cause: string;
  /** null: the fleet's own records (policy, tokens, reports of every clinic, a cluster's anchors) */
  clinic: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
}

/** GET /api/v1/audit/verify */
export interface AuditVerification {
  intact: boolean;
  records: number;
  /** the seq of the first record that does not verify, in `first_bad_chain` */
  first_bad: number | null;
  problem: string;
  /** the fleet chain's head, as the store recorded it (what checkpoints sign) */
  head: AuditHead;
  /** the chain of first_bad */
  first_bad_chain: string | null;
  /** chains walked: 1 for a single daemon; for a cluster the fleet chain and one per clinic */
  chains: number;
  /** records of clinic chains after their chain's last anchor: intact, but no checkpoint covers them yet */
  unanchored: number;
}

/** A rejected message as received, with why (GET /api/v1/quarantine). */
export interface Quarantined {
  id: number;
  received_at: Timestamp;
  topic: string;
  /** null when not UTF-8: then payload_hex */
  payload: string | null;
  payload_hex?: string;
  reason: string;
  detail: string;
  clinic: string | null;
  device: string | null;
}

export interface QuarantineCounts {
  total: number;
  by_reason: Record<string, number>;
}

export interface ReportSummary {
  sessions: {
    total: number;
    compliant: number;
    not_compliant: number;
    compliant_share: number | null;
    first_use: number;
  };
  cycles: {
    total: number;
    valid: number;
    invalid: number;
    by_state: { valid: number; awaiting_bi: number; invalid: number; recalled: number };
  };
  violations: {
    total: number;
    by_rule: {
      rule: string;
      opened: number;
      auto_cleared: number;
      resolved: number;
      withdrawn: number;
      acknowledged: number;
      open: number;
    }[];
  };
  recalls: { positive_bis: number; recalled_cycles: number; devices: number; sessions: number };
}

/** The JSON compliance report (only the parts the dashboard shows). */
export interface ComplianceReport {
  report: { clinic: string | null; from: Timestamp; to: Timestamp; generated_at: Timestamp; generated_by: string };
  summary: ReportSummary;
  integrity: { sha256: string; audit_head: AuditHead };
}

/** POST /api/v1/reports/verify: whether an uploaded report file is one the daemon made, unaltered. */
export interface ReportVerification {
  genuine: boolean;
  format: "csv" | "json" | "pdf" | null;
  sha256: string;
  /** what the file states (a PDF: its audit record) */
  stated: { sha256: string; body_bytes?: number; audit_head: AuditHead } | null;
  record: {
    seq: number;
    at: Timestamp;
    actor: string;
    after: { clinic?: string | null; from?: Timestamp; to?: Timestamp; cycle?: string; [key: string]: unknown };
  } | null;
  problems: string[];
  notes: string[];
  checkpoint: { seq: number; at: Timestamp; key: string } | null;
}

export interface Token {
  id: string;
  name: string;
  role: Role;
  /** null: every clinic */
  clinics: string[] | null;
  created_at: Timestamp;
  revoked: boolean;
}

/** POST /api/v1/tokens: the new token with its secret, which no later answer shows again. */
export interface NewToken extends Token {
  token: string;
}
