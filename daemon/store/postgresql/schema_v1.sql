-- sterifleet on PostgreSQL, schema version 1. Times are bigint milliseconds since the Unix epoch (UTC),
-- as in the SQLite back-end, so rows and cursors read the same; JSON columns hold compact text with
-- sorted keys (the exact text a page row is parsed from). Rows a shard writes carry the shard and the
-- commit number within it; commit numbers are per shard. Text columns that order a page or break its
-- ties (and columns joined to them) collate as "C" (bytes, as SQLite compares text), so the database's
-- locale changes neither the order of a page nor what a cursor means. Never edit a migration that has
-- shipped.

-- The fixed number of virtual shards and each clinic's shard, agreed by every daemon through here.
CREATE TABLE cluster (
  id integer PRIMARY KEY CHECK (id = 1),
  shards integer NOT NULL CHECK (shards BETWEEN 1 AND 1024)
);
CREATE TABLE clinic_shards (
  clinic text PRIMARY KEY,
  shard integer NOT NULL,
  pinned boolean NOT NULL DEFAULT false,
  -- Its shard's session is subscribed to it and the lobby's messages of it were taken: from then on the
  -- lobby keeps none (app/lobby.hpp). Set by the lobby once the shard's owner says so, or at once for a
  -- clinic the daemons' configuration names; a clinic never stops being live.
  live boolean NOT NULL DEFAULT false
);
-- What the lobby (the session subscribed to every clinic) received for a clinic not yet live, kept
-- until its shard's owner judges it: that owner deletes a row in the commit that judges its message.
CREATE TABLE lobby_messages (
  id bigserial PRIMARY KEY,                     -- arrival order
  clinic text NOT NULL,
  shard integer NOT NULL,
  topic text NOT NULL,
  payload bytea NOT NULL,                       -- the bytes as they came
  retained boolean NOT NULL,
  received_at bigint NOT NULL
);
CREATE INDEX lobby_messages_clinic ON lobby_messages (clinic, id);
-- One lease per shard, claimed and renewed with the database's clock; epoch +1 on every claim.
CREATE TABLE shard_leases (
  shard integer PRIMARY KEY,
  owner text,                                   -- daemon id; NULL when free
  epoch bigint NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL DEFAULT '-infinity',
  claimed_at timestamptz,
  renewed_at timestamptz
);
CREATE TABLE daemons (
  id text PRIMARY KEY,
  started_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL,
  api text                                      -- where its HTTP API listens, for operators
);

-- Fencing: every write transaction of a shard inserts its commit row first; the trigger refuses it
-- unless the shard's lease is held by that owner with that epoch and has not expired by the database's
-- clock. FOR SHARE makes a claim (an UPDATE of the lease) wait for a commit in flight, so a commit is
-- either before the takeover (and the new owner replays it) or refused.
CREATE TABLE commits (
  shard integer NOT NULL,
  seq bigint NOT NULL,
  epoch bigint NOT NULL,
  owner text NOT NULL,
  committed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (shard, seq)
);
CREATE FUNCTION sterifleet_fence() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM shard_leases WHERE shard = NEW.shard AND epoch = NEW.epoch AND owner = NEW.owner
    AND expires_at > clock_timestamp() FOR SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'shard % lease epoch % of % is not held: commit refused', NEW.shard, NEW.epoch, NEW.owner
      USING ERRCODE = 'SF001';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER commits_fenced BEFORE INSERT ON commits FOR EACH ROW EXECUTE FUNCTION sterifleet_fence();

-- Per shard: the ingest's last receipt in the store, and where fail-safe judging began (0: always).
CREATE TABLE shard_state (
  shard integer PRIMARY KEY,
  receipt bigint NOT NULL DEFAULT 0,
  fail_safe_since bigint NOT NULL DEFAULT 0
);

CREATE TABLE messages (
  id bigserial PRIMARY KEY,
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  received_at bigint NOT NULL,
  topic text NOT NULL,
  payload text NOT NULL,
  clinic text NOT NULL,
  device text NOT NULL,
  boot bigint NOT NULL,
  seq bigint,                                   -- NULL for status messages
  ts bigint,                                    -- device time; NULL for status messages
  type text NOT NULL
);
CREATE UNIQUE INDEX messages_key ON messages (device, boot, seq) WHERE seq IS NOT NULL;
CREATE INDEX messages_device ON messages (device, id);
CREATE INDEX messages_journal ON messages (shard, commit_seq);

CREATE TABLE quarantine (
  id bigint PRIMARY KEY,                        -- decided by the writer before its commit
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  received_at bigint NOT NULL,
  topic text NOT NULL,
  payload bytea NOT NULL,                       -- the bytes as they came
  reason text NOT NULL,
  detail text NOT NULL,
  clinic text,                                  -- from the topic when it parses
  device text
);
CREATE INDEX quarantine_reason ON quarantine (reason);
CREATE INDEX quarantine_clinic ON quarantine (clinic, id);
CREATE INDEX quarantine_device ON quarantine (device, id);
CREATE INDEX quarantine_journal ON quarantine (shard, commit_seq);
CREATE INDEX quarantine_shard ON quarantine (shard, id);      -- a shard's last id: ids are k*1024 + shard

CREATE TABLE actions (
  id bigserial PRIMARY KEY,
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  at bigint NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL,
  body text NOT NULL
);
CREATE INDEX actions_journal ON actions (shard, commit_seq);

CREATE TABLE alerts (
  id text COLLATE "C" PRIMARY KEY,
  shard integer NOT NULL,
  clinic text NOT NULL,
  rule text NOT NULL,
  state text NOT NULL,
  device text NOT NULL,
  opened_at bigint NOT NULL,
  transition text NOT NULL,                     -- the latest change
  commit_seq bigint NOT NULL,
  row text NOT NULL
);
CREATE INDEX alerts_opened ON alerts (opened_at, id);
CREATE INDEX alerts_clinic ON alerts (clinic, opened_at, id);
CREATE INDEX alerts_rule ON alerts (rule, opened_at, id);
CREATE INDEX alerts_state ON alerts (state, opened_at, id);
CREATE INDEX alerts_device ON alerts (device, opened_at, id);

CREATE TABLE sessions (
  pen text COLLATE "C" NOT NULL,
  session text COLLATE "C" NOT NULL,
  shard integer NOT NULL,
  clinic text NOT NULL,
  started bigint NOT NULL,
  commit_seq bigint NOT NULL,
  row text NOT NULL,
  PRIMARY KEY (pen, session)
);
CREATE INDEX sessions_started ON sessions (started, pen, session);
CREATE INDEX sessions_clinic ON sessions (clinic, started, pen, session);
CREATE INDEX sessions_pen ON sessions (pen, started, session);

CREATE TABLE cycles (
  key text COLLATE "C" PRIMARY KEY,
  shard integer NOT NULL,
  clinic text NOT NULL,
  sterilizer text NOT NULL,
  ts bigint NOT NULL,
  commit_seq bigint NOT NULL,
  row text NOT NULL
);
CREATE INDEX cycles_ts ON cycles (ts, key);
CREATE INDEX cycles_clinic ON cycles (clinic, ts, key);
CREATE INDEX cycles_sterilizer ON cycles (sterilizer, ts, key);

CREATE TABLE commands (
  seq bigserial PRIMARY KEY,                    -- issue order
  id text NOT NULL UNIQUE,
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  issued_at bigint NOT NULL,
  clinic text NOT NULL,
  device text NOT NULL,
  topic text NOT NULL,
  payload text NOT NULL
);
CREATE INDEX commands_clinic ON commands (clinic, seq);
CREATE INDEX commands_device ON commands (device, seq);

CREATE TABLE tokens (
  id text PRIMARY KEY,
  sha256 text NOT NULL UNIQUE,                  -- of the secret; the secret itself is never stored
  name text NOT NULL UNIQUE,
  role text NOT NULL,
  created_at bigint NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  clinics text                                  -- JSON array; NULL: every clinic
);

-- Hash chains: one per chain name (a clinic's, or the fleet's), keyed so that a stale writer cannot
-- fork one: two records with the same (chain, seq) cannot both be stored.
CREATE TABLE audit (
  chain text NOT NULL,
  seq bigint NOT NULL,
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  at bigint NOT NULL,
  actor text NOT NULL,
  entity text NOT NULL,
  action text NOT NULL,
  "before" text NOT NULL,                       -- JSON
  "after" text NOT NULL,                        -- JSON
  cause text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,                           -- SHA-256(prev_hash || audit_canonical(...)), hex
  clinic text,                                  -- covered by the hash; NULL: the fleet's record
  PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_journal ON audit (shard, commit_seq);
CREATE INDEX audit_clinic ON audit (chain, clinic, seq) WHERE clinic IS NOT NULL;
-- Each chain's head as of the last commit that appended to it (locked by the appender, so writers of
-- one chain take turns): a walk that ends elsewhere shows a truncated or extended chain.
CREATE TABLE audit_heads (
  chain text PRIMARY KEY,
  seq bigint NOT NULL,
  hash text NOT NULL
);

CREATE TABLE snapshots (
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  taken_at bigint NOT NULL,
  sha256 text NOT NULL,                         -- of state, hex: a damaged snapshot is refused, never loaded
  state bytea NOT NULL,                         -- engine::Engine::snapshot()
  PRIMARY KEY (shard, commit_seq)
);

CREATE TABLE notifications (
  id text COLLATE "C" PRIMARY KEY,
  shard integer NOT NULL,
  commit_seq bigint NOT NULL,
  alert_id text NOT NULL,
  clinic text NOT NULL,
  receiver text NOT NULL,
  kind text NOT NULL,
  route text NOT NULL,
  created_at bigint NOT NULL,
  due_at bigint NOT NULL,
  every_ms bigint NOT NULL,
  until bigint,
  notice text NOT NULL,
  state text NOT NULL,
  round integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 0,
  first_failure bigint,
  last_attempt_at bigint,
  last_status integer,
  last_answer text,
  delivered_at bigint
);
CREATE INDEX notifications_due ON notifications (shard, due_at) WHERE state = 'pending';
CREATE INDEX notifications_alert ON notifications (alert_id, state);
CREATE INDEX notifications_created ON notifications (created_at);
CREATE TABLE notification_attempts (
  id bigserial PRIMARY KEY,
  notification text COLLATE "C" NOT NULL,       -- as notifications.id, so that joining them uses the index
  round integer NOT NULL,
  at bigint NOT NULL,
  result text NOT NULL,
  status integer NOT NULL,
  answer text NOT NULL,
  latency_ms bigint NOT NULL
);
CREATE INDEX notification_attempts_of ON notification_attempts (notification);
CREATE TABLE disabled_receivers (
  name text PRIMARY KEY,
  at bigint NOT NULL,
  answer text NOT NULL
);

-- Live events too large for a NOTIFY payload (under 8000 bytes): the daemon that made one stores it
-- here and notifies its id (cluster/event_relay.hpp); rows are pruned after minutes, since a live event
-- nobody fetched by then is of no use. Times by the database's clock, as the leases.
CREATE TABLE event_spill (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  payload text NOT NULL
);

-- People's actions from any daemon's API (acknowledge, resolve, manual reprocessing, maintenance, tokens,
-- a report's audit record), queued for the owner of the shard they concern, which executes them in id
-- order (cluster/api_commands.hpp). The action's commit sets state 'done' and commit_seq in its own
-- transaction, so a command is applied once however often owners die; a refusal commits nothing and sets
-- 'refused' with the refusal; a command nobody took in time is 'cancelled' by its submitter. `epoch`:
-- the lease epoch of the owner that took it ('running'): a newer owner executes it again, since it was
-- not committed (a commit would have made it 'done').
CREATE TABLE api_commands (
  id bigserial PRIMARY KEY,
  shard integer NOT NULL,
  kind text NOT NULL,
  body text NOT NULL,                           -- JSON
  actor text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'refused', 'cancelled')),
  epoch bigint,
  result text,                                  -- 'refused': {"code", "message"}
  commit_seq bigint                             -- 'done': the shard's commit that applied it
);
CREATE INDEX api_commands_open ON api_commands (shard, id) WHERE state IN ('pending', 'running');
-- Wakes the shard's owner at once (it also polls): the channel names the shard.
CREATE FUNCTION sterifleet_api_command_queued() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('sterifleet_api_commands_' || NEW.shard, NEW.id::text);
  RETURN NEW;
END $$;
CREATE TRIGGER api_commands_queued AFTER INSERT ON api_commands FOR EACH ROW
  EXECUTE FUNCTION sterifleet_api_command_queued();
