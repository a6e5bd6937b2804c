#include "sterifleet/fleet/fleet.hpp"

#include <algorithm>
#include <limits>
#include <set>
#include <stdexcept>

#include "sterifleet/crypto/random.hpp"
#include "sterifleet/engine/snapshot.hpp"
#include "sterifleet/fleet/journal_actions.hpp"
#include "sterifleet/fleet/views.hpp"
#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/overloaded.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::fleet {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

store::StoredMessage stored_message(const protocol::Inbound& inbound, std::string_view topic, std::string_view payload,
                                    Timestamp received_at) {
  store::StoredMessage row;
  row.received_at = received_at;
  row.topic = std::string(topic);
  row.payload = std::string(payload);
  std::visit(Overloaded{[&](const protocol::DeviceMessage& m) {
                          row.clinic = m.clinic.str();
                          row.device = m.envelope.device.str();
                          row.boot = m.envelope.boot;
                          row.seq = m.envelope.seq;
                          row.ts = m.envelope.ts;
                          row.type = std::string(protocol::type_name(m.body));
                        },
                        [&](const protocol::StatusMessage& s) {
                          row.clinic = s.clinic.str();
                          row.device = s.device.str();
                          row.boot = s.boot;
                          row.type = "status";
                        }},
             inbound);
  return row;
}

// The API command that the action running on this thread executes (Fleet::run_api_command), and the
// commit that applied it. Thread-local because each action takes the input lock itself, so the command
// cannot be handed down under it; inputs of other threads (ingest, the clock) never carry it.
struct ApiCommandOfThread {
  std::optional<std::int64_t> command;
  std::optional<std::int64_t> commit;
};
thread_local ApiCommandOfThread api_command_of_thread;

}  // namespace

Fleet::Fleet(engine::Policy policy, store::Store& store, CommandSink& commands, EventBus& events, Metrics& metrics,
             Clock clock, FleetOptions options)
    : engine_(std::move(policy), clock()),
      store_(store),
      commands_(commands),
      events_(events),
      metrics_(metrics),
      clock_(std::move(clock)),
      options_(options),
      intake_{options.max_clock_skew,
              [this](const protocol::Envelope& envelope, std::string_view payload) {
                return same_as_stored(envelope, payload, earlier_);
              }},
      command_prefix_("cmd-" + crypto::random_hex(4) + "-") {}

Fleet::RestoreStats Fleet::restore() {
  std::lock_guard input(input_mutex_);
  std::unique_lock engine(engine_lock_);
  const auto started = std::chrono::steady_clock::now();
  RestoreStats stats;
  load_snapshot(stats);
  journal_before_fail_safe_ = store_.journal_before_fail_safe();
  // Compactions are journaled actions, so a long replay compacts where the daemon did: memory stays
  // as bounded as it was while the daemon ran.
  store_.read_journal(journal_position_, [&](const store::JournalEntry& entry) {
    ++stats.entries;
    journal_position_ = entry.commit;
    replay(entry);
  });
  stats.seconds = seconds_since(started);
  entries_since_snapshot_ = stats.entries;
  last_quarantine_id_ = store_.last_quarantine_id();
  // This start is itself an input: silence before it is not held against devices, also on replay.
  Staged staged;
  const JournalAction start{clock_(), "engine", action::Start{}};
  staged.effects = apply(engine_, start);
  staged.commit.actions.push_back(to_stored(start));
  store_missing_alerts(staged, clock_());
  engine.unlock();
  finish(staged, clock_());
  next_compaction_ = clock_();
  next_snapshot_ = clock_() + options_.snapshot_interval;
  next_anchor_ = clock_() + options_.audit_anchor_interval;
  return stats;
}

Fleet::RestoreStats Fleet::follow() {
  std::lock_guard input(input_mutex_);
  const auto started = std::chrono::steady_clock::now();
  RestoreStats stats;
  {
    std::unique_lock engine(engine_lock_);
    load_snapshot(stats);
  }
  journal_before_fail_safe_ = store_.journal_before_fail_safe();
  stats.entries = replay_journal();
  stats.seconds = seconds_since(started);
  update_view(true);
  return stats;
}

std::int64_t Fleet::catch_up() {
  std::lock_guard input(input_mutex_);
  const auto entries = replay_journal();
  update_view(true);
  return entries;
}

std::int64_t Fleet::journal_position() {
  std::lock_guard input(input_mutex_);
  return journal_position_;
}

// An entry at a time under the engine's lock: a replica serves reads while it catches up, and the
// journal is fetched in batches from the network meanwhile.
std::int64_t Fleet::replay_journal() {
  std::int64_t entries = 0;
  store_.read_journal(journal_position_, [&](const store::JournalEntry& entry) {
    ++entries;
    journal_position_ = entry.commit;
    changing([&](engine::Engine&) { replay(entry); });
  });
  return entries;
}

void Fleet::load_snapshot(RestoreStats& stats) {
  const engine::Policy configured = engine_.policy();
  std::int64_t before = std::numeric_limits<std::int64_t>::max();
  constexpr int kTries = 2;  // the store keeps two
  for (int attempt = 0; attempt < kTries; ++attempt) {
    std::optional<store::Snapshot> snapshot;
    try {
      snapshot = store_.latest_snapshot_before(before);
    } catch (const store::DamagedSnapshot& e) {
      stats.warnings.push_back(std::string(e.what()) + "; falling back to an older snapshot or the whole journal");
      before = e.commit();
      continue;
    }
    if (!snapshot) return;
    try {
      engine_ = engine::Engine::from_snapshot(configured, snapshot->state);
      journal_position_ = snapshot->commit;
      stats.snapshot = snapshot->commit;
      return;
    } catch (const engine::SnapshotError& e) {
      stats.warnings.push_back("the snapshot of commit " + std::to_string(snapshot->commit) + " cannot be used: " +
                               e.what() + "; falling back to an older snapshot or the whole journal");
      before = snapshot->commit;
    }
  }
}

// A replay that judged the journal under newer rules than it was first judged by (a snapshot format
// change refuses the older snapshots, so the whole journal is judged again) can raise alerts the store
// never kept. They are stored, planned and audited now: the engine must not hold an alert nobody sees
// or is told of. On a later start they are in the store, so this adds nothing twice.
void Fleet::store_missing_alerts(Staged& staged, Timestamp now) {
  engine_.for_each_alert([&](const engine::Alert& alert) {
    if (!alert.active() || store_.alert(alert.id)) return;
    const auto& staged_now = staged.effects.alerts;
    if (std::any_of(staged_now.begin(), staged_now.end(), [&](const auto& c) { return c.alert.id == alert.id; }))
      return;
    staged.effects.alerts.push_back({engine::Transition::opened, alert});
    staged.effects.audit.push_back({now,
                                    "engine",
                                    "alert:" + alert.id,
                                    "opened",
                                    {{"state", "none"}},
                                    engine::to_json(alert),
                                    "restart: the journal judged again under the engine's current rules",
                                    alert.clinic.str()});
  });
}

void Fleet::replay(const store::JournalEntry& entry) {
  const bool before_fail_safe = entry.commit <= journal_before_fail_safe_;
  const auto effects =
      std::visit(Overloaded{[&](const store::StoredMessage& m) {
                              engine::RawMessage raw{m.topic, m.payload, m.received_at};
                              if (before_fail_safe) raw.judged_before_fail_safe = engine::EarlierJudgement{};
                              earlier_ = {};
                              return engine_.receive(raw, intake_).effects;
                            },
                            [&](const store::QuarantinedMessage& q) {
                              engine::RawMessage raw{q.topic, q.payload, q.received_at, false, q.id};
                              if (before_fail_safe) raw.judged_before_fail_safe = engine::EarlierJudgement{q.reason};
                              earlier_ = {};
                              return engine_.receive(raw, intake_).effects;
                            },
                            [&](const store::Action& a) { return apply_stored(engine_, a, options_.max_clock_skew); }},
                 entry.input);
  // The engine notes the devices it changed, not those whose alerts changed (as finish() does).
  for (const auto& change : effects.alerts) view_pending_.insert(change.alert.episode.device.str());
}

Fleet::SnapshotStats Fleet::snapshot() {
  SnapshotStats stats;
  store::Snapshot snapshot;
  {
    std::lock_guard input(input_mutex_);
    const auto started = std::chrono::steady_clock::now();
    const Timestamp now = clock_();
    // Keeps the snapshot small; journaled, so a replay compacts at the same point.
    if (compacted_at_ != now) compact(now);
    snapshot = {journal_position_, now, engine_.snapshot()};
    entries_since_snapshot_ = 0;
    next_snapshot_ = now + options_.snapshot_interval;
    stats.locked_seconds = seconds_since(started);
  }
  // Outside the lock: inputs go on being judged meanwhile (their commits wait for the store's writer).
  const auto started = std::chrono::steady_clock::now();
  store_.save_snapshot(snapshot);
  stats.store_seconds = seconds_since(started);
  stats.commit = snapshot.commit;
  stats.bytes = snapshot.state.size();
  metrics_.observe_snapshot(stats.locked_seconds, stats.store_seconds);
  return stats;
}

bool Fleet::snapshot_due(Timestamp now) const {
  if (entries_since_snapshot_ == 0) return false;
  return (options_.snapshot_every > 0 && entries_since_snapshot_ >= options_.snapshot_every) ||
         (options_.snapshot_interval.count() > 0 && now >= next_snapshot_);
}

std::optional<bool> Fleet::same_as_stored(const protocol::Envelope& envelope, std::string_view payload,
                                          std::span<const Staged> earlier) {
  for (auto s = earlier.rbegin(); s != earlier.rend(); ++s) {
    for (const auto& m : s->commit.messages) {
      if (m.seq == envelope.seq && m.boot == envelope.boot && m.device == envelope.device.str()) {
        return m.payload == payload;
      }
    }
  }
  const auto stored = store_.stored_payload(envelope.device.str(), envelope.boot, envelope.seq);
  if (!stored) return std::nullopt;
  return *stored == payload;
}

Fleet::Ingested Fleet::run_message(std::string_view topic, std::string_view payload, Timestamp received_at,
                                   Staged& staged, bool retained, std::span<const Staged> earlier,
                                   std::int64_t quarantine_id) {
  earlier_ = earlier;
  auto judged = changing([&](engine::Engine& engine) {
    return engine.receive({topic, payload, received_at, retained, quarantine_id}, intake_);
  });
  staged.effects = std::move(judged.effects);
  switch (judged.disposition) {
    case engine::Disposition::duplicate:
      return {Disposition::duplicate, {}, {}};
    case engine::Disposition::quarantined:
      staged.commit.quarantined.push_back(
          {quarantine_id, received_at, std::string(topic), std::string(payload), judged.reason, judged.detail});
      return {Disposition::quarantined, std::move(judged.reason), std::move(judged.detail)};
    case engine::Disposition::accepted:
      break;
  }
  staged.commit.messages.push_back(stored_message(*judged.message, topic, payload, received_at));
  return {Disposition::stored, {}, {}};
}

void Fleet::finish(std::span<Staged> staged, Timestamp now, std::optional<std::int64_t> receipt, bool view_now) {
  struct Outgoing {
    std::string topic;
    std::string payload;
    std::string_view name;
  };
  std::vector<Outgoing> outgoing;
  std::vector<store::Commit> commits;
  commits.reserve(staged.size());
  std::int64_t inputs = 0;
  for (auto& [effects, commit] : staged) {
    for (const auto& request : effects.commands) {
      const protocol::Command command{protocol::CommandId{command_prefix_ + std::to_string(++command_counter_)}, now,
                                      request.body};
      const std::string topic = protocol::format_topic({request.clinic, request.device, protocol::Channel::cmd});
      const std::string payload = protocol::encode_command(command);
      commit.commands.push_back({command.id.str(), now, request.clinic.str(), request.device.str(), topic, payload});
      outgoing.push_back({topic, payload, protocol::command_name(request.body)});
    }
    if (planner_) {
      for (const auto& change : effects.alerts) planner_->plan(change, engine_.policy(), now, commit);
    }
    commit.alerts = std::move(effects.alerts);
    commit.sessions = std::move(effects.sessions);
    commit.cycles = std::move(effects.cycles);
    commit.audit = std::move(effects.audit);
    if (commit.empty()) continue;
    inputs += static_cast<std::int64_t>(commit.messages.size() + commit.quarantined.size() + commit.actions.size());
    commits.push_back(std::move(commit));
  }
  // An alert's device shows its count of open alerts: render it again.
  for (const auto& commit : commits) {
    for (const auto& change : commit.alerts) view_pending_.insert(change.alert.episode.device.str());
  }
  // Before the commit, as the engine itself is: whoever sees an alert in the store then finds its device
  // in the view as the alert left it.
  update_view(view_now);
  if (commits.empty() && !receipt) return;
  const bool executes_api_command = api_command_of_thread.command && !commits.empty();
  if (executes_api_command) commits.back().api_command = std::exchange(api_command_of_thread.command, std::nullopt);
  const auto started = std::chrono::steady_clock::now();
  journal_position_ = store_.commit_group(commits, receipt);  // throws StoreError: the caller stops the daemon
  if (executes_api_command) api_command_of_thread.commit = journal_position_;
  if (planner_ && std::any_of(commits.begin(), commits.end(), [](const store::Commit& c) {
        return !c.notifications.empty() || !c.cancellations.empty();
      })) {
    planner_->planned_stored();
  }
  entries_since_snapshot_ += inputs;
  metrics_.observe_commit_seconds(seconds_since(started));
  for (const auto& command : outgoing) {
    commands_.publish(command.topic, command.payload);
    metrics_.command_sent(std::string(command.name));
  }
  for (const auto& commit : commits) publish_events(commit);
}

void Fleet::publish_events(const store::Commit& commit) {
  for (const auto& change : commit.alerts) {
    metrics_.alert_transition(std::string(engine::to_string(change.alert.rule)),
                              std::string(engine::to_string(change.transition)));
  }
  // Every message would otherwise build and serialise a device summary that nobody reads.
  if (events_.subscribers() == 0) return;
  std::set<std::string> devices;
  for (const auto& change : commit.alerts) {
    events_.publish(change.alert.clinic.str(), json{{"type", "alert"},
                                                    {"transition", engine::to_string(change.transition)},
                                                    {"alert", engine::to_json(change.alert)}}
                                                   .dump());
    devices.insert(change.alert.episode.device.str());
  }
  for (const auto& record : commit.audit) {
    if (record.entity.starts_with("device:")) devices.insert(record.entity.substr(7));
  }
  for (const auto& m : commit.messages) devices.insert(m.device);
  for (const auto& id : devices) {
    if (const auto* device = engine_.device(protocol::DeviceId{id})) {
      events_.publish(device->clinic.str(), R"({"type":"device","device":)" + device_summary(engine_, *device) + "}");
    }
  }
}

Fleet::Ingested Fleet::ingest(std::string_view topic, std::string_view payload, bool retained) {
  const Received message{topic, payload, retained, std::chrono::steady_clock::now()};
  return ingest({&message, 1}, std::nullopt).front();
}

std::vector<Fleet::Ingested> Fleet::ingest(std::span<const Received> batch, std::optional<std::int64_t> receipt) {
  std::lock_guard input(input_mutex_);
  const Timestamp now = clock_();
  std::vector<Staged> staged(batch.size());
  std::vector<Ingested> results;
  results.reserve(batch.size());
  // Counted a group at a time: a labelled counter is a map lookup under the family's lock.
  std::map<std::string, double> stored_by_type;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& message = batch[i];
    results.push_back(run_message(message.topic, message.payload, now, staged[i], message.retained,
                                  std::span<const Staged>(staged.data(), i),
                                  store_.quarantine_id_after(last_quarantine_id_)));
    if (message.lobby_id != 0) staged[i].commit.lobby_taken.push_back(message.lobby_id);
    if (results.back().disposition == Disposition::stored) ++stored_by_type[staged[i].commit.messages.front().type];
    if (results.back().disposition == Disposition::quarantined) {
      last_quarantine_id_ = store_.quarantine_id_after(last_quarantine_id_);
    }
  }
  finish(staged, now, receipt, false);
  for (const auto& [type, count] : stored_by_type) metrics_.messages_stored(type, count);
  const auto committed = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (results[i].disposition == Disposition::duplicate) metrics_.message_duplicate();
    if (results[i].disposition == Disposition::quarantined) metrics_.message_quarantined(results[i].reason);
    metrics_.observe_ingest_seconds(std::chrono::duration<double>(committed - batch[i].arrived).count());
  }
  return results;
}

Fleet::Outcome Fleet::act(const std::string& actor, ActionKind what) {
  std::lock_guard input(input_mutex_);
  const JournalAction action{clock_(), actor, std::move(what)};
  Staged staged;
  staged.effects = changing([&](engine::Engine& engine) { return apply(engine, action); });
  if (staged.effects.refusal) return {staged.effects.refusal};
  staged.commit.actions.push_back(to_stored(action));
  finish(staged, action.at);
  return {};
}

Fleet::Outcome Fleet::acknowledge(const std::string& alert_id, const std::string& actor, std::string comment) {
  return act(actor, action::Acknowledge{alert_id, std::move(comment)});
}

Fleet::Outcome Fleet::resolve(const std::string& alert_id, const std::string& actor, std::string reason) {
  return act(actor, action::Resolve{alert_id, std::move(reason)});
}

Fleet::Outcome Fleet::broker_connected() { return act("engine", action::Start{}); }

Fleet::Outcome Fleet::manual_reprocessing(const json& entry, const std::string& actor) {
  auto manual = read_manual_reprocessing(entry, clock_(), options_.max_clock_skew);
  if (!manual) return {manual.error()};
  return act(actor, std::move(*manual));
}

Fleet::Outcome Fleet::maintenance(const std::string& device, Timestamp from, Timestamp to, std::string reason,
                                  const std::string& actor) {
  return act(actor, action::Maintenance{protocol::DeviceId{device}, {from, to, std::move(reason)}});
}

Fleet::Outcome Fleet::delivery_failed(engine::DeliveryFailure failure) {
  return act("engine", action::DeliveryFailed{std::move(failure)});
}

Fleet::Outcome Fleet::delivery_recovered(const std::string& receiver, const std::string& clinic) {
  const protocol::ClinicId id{clinic};
  {
    // Most successful deliveries follow no failure: those journal nothing. The input lock is taken again
    // by act(); nothing else clears the alert in between (a person resolving it leaves it current).
    std::lock_guard input(input_mutex_);
    if (!engine_.has_current_alert(id, engine::RuleId::delivery_failed, receiver)) return {};
  }
  return act("engine", action::DeliveryRecovered{receiver, id});
}

Fleet::Outcome Fleet::act_on_token(const std::string& actor, ActionKind what, const std::string& sha256_hex) {
  std::lock_guard input(input_mutex_);
  const JournalAction action{clock_(), actor, std::move(what)};
  auto commit = token_commit(store_, action, sha256_hex);
  if (!commit) return {commit.error()};
  Staged staged;
  staged.commit = std::move(*commit);
  staged.effects.audit = std::move(staged.commit.audit);  // finish() takes the audit from the effects
  finish(staged, action.at);
  return {};
}

Fleet::Outcome Fleet::create_token(store::NewToken token, const std::string& actor, std::string cause) {
  return act_on_token(actor, action::TokenCreated{std::move(token.record), std::move(cause)}, token.sha256_hex);
}

Fleet::Outcome Fleet::revoke_token(const std::string& id, const std::string& actor, std::string cause) {
  store::TokenRecord token;
  token.id = id;
  return act_on_token(actor, action::TokenRevoked{std::move(token), std::move(cause)}, {});
}

void Fleet::record_audit(engine::AuditRecord record) {
  std::lock_guard input(input_mutex_);
  Staged staged;
  staged.effects.audit.push_back(std::move(record));
  finish(staged, clock_());
}

Fleet::CommandRun Fleet::run_api_command(std::int64_t command, const std::function<Outcome(Fleet&)>& action) {
  api_command_of_thread = {command, std::nullopt};
  CommandRun run;
  try {
    run.outcome = action(*this);
  } catch (...) {
    api_command_of_thread = {};
    throw;
  }
  run.commit = std::exchange(api_command_of_thread, {}).commit;
  // Every action that is not refused journals itself: one that did not would leave its command running,
  // to be applied again by the next owner.
  if (run.outcome.ok() && !run.commit) {
    throw std::logic_error("API command " + std::to_string(command) + " was applied without a commit");
  }
  return run;
}

std::vector<engine::PolicyError> Fleet::reload_policy(const std::string& text, const std::string& source,
                                                      const std::string& actor) {
  auto parsed = engine::parse_policy(text, source);
  if (auto* errors = std::get_if<std::vector<engine::PolicyError>>(&parsed)) return std::move(*errors);
  act(actor, action::SetPolicy{text, source});
  return {};
}

std::shared_ptr<const FleetView> Fleet::view() const {
  std::lock_guard lock(view_mutex_);
  return view_;
}

std::shared_ptr<const DeviceView> Fleet::render(const engine::DeviceRecord& d) const {
  auto view = std::make_shared<DeviceView>();
  view->clinic = d.clinic.str();
  view->id = d.id.str();
  view->kind = d.kind ? std::string(protocol::to_string(*d.kind)) : std::string();
  view->state = std::string(display_state(d));
  for (const auto* alert : engine_.active_alerts(d.id)) {
    ++view->open_alerts;
    if (alert->severity == engine::Severity::critical) ++view->critical_alerts;
  }
  view->json = device_summary(engine_, d);
  return view;
}

void Fleet::update_view(bool now) {
  // Clears what the engine noted: a change of the engine like any other, though no reader looks at it.
  const auto changed = changing([](engine::Engine& engine) { return engine.take_changed_devices(); });
  view_pending_all_ = view_pending_all_ || changed.all;
  for (const auto& id : changed.ids) view_pending_.insert(id.str());
  if (!view_pending_all_ && view_pending_.empty()) return;
  // Under load a device changes many times a second: render what changed at most every view_period,
  // unless little is pending (then rendering it now is cheap).
  constexpr std::size_t render_at_once = 64;
  const auto clock = std::chrono::steady_clock::now();
  if (!now && !view_pending_all_ && view_pending_.size() > render_at_once && clock - view_published_ < view_period) {
    return;
  }
  auto next = std::make_shared<FleetView>();
  if (view_pending_all_) {
    engine_.for_each_device([&](const engine::DeviceRecord& d) {
      next->devices.emplace(std::pair{d.clinic.str(), d.id.str()}, render(d));
    });
  } else {
    next->devices = view()->devices;
    for (const auto& id : view_pending_) {
      if (const auto* device = engine_.device(protocol::DeviceId{id})) {
        next->devices.insert_or_assign(std::pair{device->clinic.str(), id}, render(*device));
      }
    }
  }
  for (const auto& [key, device] : next->devices) {
    auto& counts = next->clinics[device->clinic];
    ++counts.devices;
    if (device->kind == "pen") ++counts.pens;
    if (device->kind == "sterilizer") ++counts.sterilizers;
    counts.open_alerts += device->open_alerts;
    counts.critical_alerts += device->critical_alerts;
  }
  view_pending_.clear();
  view_pending_all_ = false;
  view_published_ = clock;
  std::lock_guard lock(view_mutex_);
  view_ = std::move(next);
}

void Fleet::tick() {
  if (tick_locked()) snapshot();
}

bool Fleet::tick_locked() {
  std::lock_guard input(input_mutex_);
  const Timestamp now = clock_();
  Staged staged;
  const JournalAction tick{now, "engine", action::Tick{}};
  staged.effects = changing([&](engine::Engine& engine) { return apply(engine, tick); });
  if (!staged.effects.alerts.empty() || !staged.effects.commands.empty() || !staged.effects.audit.empty()) {
    staged.commit.actions.push_back(to_stored(tick));
    finish(staged, now);
  }
  if (now >= next_compaction_) compact(now);
  anchor_when_due(now);
  update_view(true);
  std::map<std::string, double> by_state{{"locked", 0}, {"offline", 0}, {"in_use", 0}, {"needs_reprocessing", 0},
                                         {"ready", 0},  {"off", 0}};
  for (const auto& [key, device] : view()->devices) ++by_state[device->state];
  for (const auto& [state, count] : by_state) metrics_.set_devices(state, count);
  std::map<std::string, double> by_severity{{"critical", 0}, {"warning", 0}, {"info", 0}};
  engine_.for_each_alert([&](const engine::Alert& a) {
    if (a.active()) ++by_severity[std::string(engine::to_string(a.severity))];
  });
  for (const auto& [severity, count] : by_severity) metrics_.set_open_alerts(severity, count);
  return snapshot_due(now);
}

void Fleet::anchor_audit() {
  std::lock_guard input(input_mutex_);
  store_.anchor_audit_chains(clock_());
}

void Fleet::anchor_audit_when_due() {
  std::lock_guard input(input_mutex_);
  anchor_when_due(clock_());
}

void Fleet::anchor_when_due(Timestamp now) {
  if (now < next_anchor_) return;
  store_.anchor_audit_chains(now);
  next_anchor_ = now + options_.audit_anchor_interval;
}

void Fleet::compact(Timestamp now) {
  const Timestamp cut = now - options_.retention;
  Staged compaction;
  const JournalAction compact{now, "engine", action::Compact{cut}};
  compaction.effects = changing([&](engine::Engine& engine) { return apply(engine, compact); });
  compaction.commit.actions.push_back(to_stored(compact));
  finish(compaction, now);
  compacted_at_ = now;
  next_compaction_ = now + options_.compaction_interval;
}

}  // namespace sterifleet::fleet
