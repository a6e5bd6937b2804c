#include "sterifleet/engine/engine.hpp"

#include <algorithm>

#include "engine_impl.hpp"
#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::engine {

namespace {

using protocol::DeviceKind;
using protocol::format_timestamp;

bool kind_fits(DeviceKind known, DeviceKind implied) {
  return known == implied || (known == DeviceKind::roller && implied == DeviceKind::pen);
}

}  // namespace

namespace {

// What a message's type says about its sender's kind, when it has not told us in a birth.
std::optional<DeviceKind> implied_kind(std::string_view type) {
  for (const auto pen_type : {protocol::SessionStart::type, protocol::SessionEnd::type, protocol::CartridgeInsert::type,
                              protocol::CartridgeRemove::type, protocol::Telemetry::type}) {
    if (type == pen_type) return DeviceKind::pen;
  }
  for (const auto sterilizer_type :
       {protocol::CycleComplete::type, protocol::BiResult::type, protocol::BowieDickTest::type}) {
    if (type == sterilizer_type) return DeviceKind::sterilizer;
  }
  return std::nullopt;
}

}  // namespace

std::uint64_t fnv1a(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string cycle_key(const DeviceId& sterilizer, const protocol::CycleId& cycle) {
  return sterilizer.str() + "/" + cycle.str();
}

DeviceRecord& Engine::Impl::device(const ClinicId& clinic, const DeviceId& id) {
  changed.insert(id);
  auto [it, inserted] = devices.try_emplace(id);
  if (inserted) {
    it->second.clinic = clinic;
    it->second.id = id;
  }
  return it->second;
}

const DeviceRecord* Engine::Impl::bound_elsewhere(const ClinicId& clinic, const DeviceId& id) const {
  const auto it = devices.find(id);
  return it != devices.end() && it->second.clinic != clinic ? &it->second : nullptr;
}

std::string clinic_mismatch_detail(const DeviceRecord& bound, const ClinicId& topic_clinic) {
  return bound.id.str() + " belongs to clinic " + bound.clinic.str() + " (its first message came under it), not to " +
         topic_clinic.str() + ": the message is not applied to it";
}

DeviceRecord* Engine::Impl::find_device(const DeviceId& id) {
  const auto it = devices.find(id);
  if (it == devices.end()) return nullptr;
  changed.insert(id);
  return &it->second;
}

void Engine::Impl::audit(Run& run, const ClinicId& clinic, Timestamp at, Actor actor, std::string entity,
                         std::string action, nlohmann::json before, nlohmann::json after, std::string cause) {
  run.out.audit.push_back({at, std::move(actor), std::move(entity), std::move(action), std::move(before),
                           std::move(after), std::move(cause), clinic.str()});
}

void Engine::Impl::note_presence(DeviceRecord& device, Presence presence, Run& run, std::string_view why) {
  if (device.presence == presence) return;
  audit(run, device.clinic, run.now, "device:" + device.id.str(), "device:" + device.id.str(), "presence",
        {{"presence", to_string(device.presence)}}, {{"presence", to_string(presence)}}, std::string(why));
  device.presence = presence;
  device.presence_changed = run.now;
  if (presence != Presence::offline && alerts.device_has_current(device.id, RuleId::device_offline)) {
    alerts.clear(device.clinic, RuleId::device_offline, device.id.str(), run.now,
                 presence == Presence::shutdown ? "device shut down in order" : "device back online", context(run));
  }
}

bool Engine::Impl::check_sequence(DeviceRecord& device, const protocol::Envelope& env, Run& run) {
  const auto outcome = device.sequence.observe(env.boot, env.seq);
  switch (outcome.verdict) {
    case SeqVerdict::duplicate:
      run.out.refusal = Refusal{RefusalCode::duplicate, "message " + message_key(env) + " was already processed"};
      return false;
    case SeqVerdict::regression:
      run.out.refusal = Refusal{RefusalCode::sequence_regression,
                                "boot " + std::to_string(env.boot) + " seq " + std::to_string(env.seq) +
                                    " comes after boot " + std::to_string(device.sequence.latest_boot().value_or(0)) +
                                    ": the device did not persist its boot counter"};
      return false;
    case SeqVerdict::gap_fill:
      if (!device.sequence.has_gaps()) {
        alerts.clear(device.clinic, RuleId::sequence_gap, device.id.str(), env.ts, "missing messages arrived",
                     context(run));
      }
      return true;
    case SeqVerdict::fresh:
      break;
  }
  if (outcome.new_gap) {
    const auto& gap = *outcome.new_gap;
    alerts.open(device.clinic, RuleId::sequence_gap, device.id.str(),
                Episode{"gap:" + message_key(env),
                        device.id,
                        env.ts,
                        1,
                        "messages " + std::to_string(gap.first) + ".." + std::to_string(gap.last) + " of boot " +
                            std::to_string(env.boot) + " of " + device.id.str() + " are missing; replay requested",
                        std::nullopt,
                        {}},
                context(run));
    run.out.commands.push_back({device.clinic, device.id, protocol::Replay{env.boot, gap.first, gap.last}});
  }
  return true;
}

Effects Engine::Impl::apply_message(const protocol::DeviceMessage& message, Timestamp received_at) {
  Run run{{}, received_at};
  const auto& env = message.envelope;
  if (const DeviceRecord* bound = bound_elsewhere(message.clinic, env.device)) {
    run.out.refusal = Refusal{RefusalCode::clinic_mismatch, clinic_mismatch_detail(*bound, message.clinic)};
    return std::move(run.out);
  }
  DeviceRecord& dev = device(message.clinic, env.device);
  const auto implied = implied_kind(protocol::type_name(message.body));
  if (implied && dev.kind && !kind_fits(*dev.kind, *implied)) {
    dev.sequence.observe(env.boot, env.seq);  // consumed, so no gap is reported for it
    run.out.refusal = Refusal{RefusalCode::wrong_device_kind, std::string(protocol::type_name(message.body)) +
                                                                  " from " + env.device.str() + ", which is a " +
                                                                  std::string(protocol::to_string(*dev.kind))};
    return std::move(run.out);
  }
  if (!check_sequence(dev, env, run)) return std::move(run.out);
  if (!dev.kind && implied) dev.kind = implied;

  dev.last_received = received_at;
  if (env.ts > dev.last_seen) dev.last_seen = env.ts;
  if (dev.presence != Presence::online) note_presence(dev, Presence::online, run, message_key(env));
  if (alerts.device_has_current(dev.id, RuleId::identity_mismatch)) {
    alerts.clear(dev.clinic, RuleId::identity_mismatch, dev.id.str(), env.ts, "correctly identified message received",
                 context(run));
  }

  const bool birth = std::holds_alternative<protocol::Birth>(message.body);
  if (!dev.registered && !birth && !alerts.device_has_current(dev.id, RuleId::device_unknown)) {
    alerts.open(dev.clinic, RuleId::device_unknown, dev.id.str(),
                Episode{"unknown:" + message_key(env),
                        dev.id,
                        env.ts,
                        1,
                        dev.id.str() + " sent " + std::string(protocol::type_name(message.body)) +
                            " without a birth message; rebirth requested",
                        std::nullopt,
                        {}},
                context(run));
    if (policy.rule(RuleId::device_unknown).enabled) {
      run.out.commands.push_back({dev.clinic, dev.id, protocol::Rebirth{}});
    }
  }

  advance_clock(dev.clinic, env.ts, run);
  std::visit(Overloaded{
                 [&](const protocol::Birth& b) {
                   const nlohmann::json before = dev.registered
                                                     ? nlohmann::json{{"model", dev.model}, {"firmware", dev.firmware}}
                                                     : nlohmann::json(nullptr);
                   dev.registered = true;
                   // A kind the spec does not list is drift: the device's kind stays what its messages imply.
                   if (b.kind.known) dev.kind = *b.kind.known;
                   dev.model = b.model;
                   dev.firmware = b.firmware;
                   dev.declared_heartbeat = b.heartbeat;
                   audit(run, dev.clinic, env.ts, "device:" + dev.id.str(), "device:" + dev.id.str(), "birth", before,
                         {{"kind", protocol::to_string(b.kind)}, {"model", b.model}, {"firmware", b.firmware}},
                         message_key(env));
                   alerts.clear(dev.clinic, RuleId::device_unknown, dev.id.str(), env.ts, "birth received",
                                context(run));
                 },
                 [&](const protocol::SessionStart& s) { on_session_start(dev, s, env, run); },
                 [&](const protocol::SessionEnd& s) { on_session_end(dev, s, env, run); },
                 [&](const protocol::CartridgeInsert& c) {
                   cartridge_record(dev.clinic, c.cartridge);
                   on_cartridge_change(dev, c.cartridge.id, false, env, run);
                 },
                 [&](const protocol::CartridgeRemove& c) { on_cartridge_change(dev, c.cartridge, true, env, run); },
                 [&](const protocol::Fault& f) {
                   audit(run, dev.clinic, env.ts, "device:" + dev.id.str(), "device:" + dev.id.str(), "fault", nullptr,
                         {{"code", f.code.str()}, {"detail", f.detail}}, message_key(env));
                 },
                 [&](const protocol::Telemetry& t) { on_telemetry(dev, t, env, run); },
                 [&](const protocol::CycleComplete& c) { on_cycle(dev, c, env, run); },
                 [&](const protocol::BiResult& b) { on_bi(dev, b, env, run); },
                 [&](const protocol::BowieDickTest& t) { on_bowie_dick(dev, t, env, run); },
             },
             message.body);
  if (!run.out.refusal) {
    const auto* start = std::get_if<protocol::SessionStart>(&message.body);
    auto patient = start ? patient_ref_drift(*start, message.drift) : std::nullopt;
    if (patient) {
      auto drift = message.drift;
      drift.push_back(std::move(*patient));
      note_drift(dev, drift, protocol::type_name(message.body), env.ts, message_key(env), run);
    } else if (!message.drift.empty()) {
      note_drift(dev, message.drift, protocol::type_name(message.body), env.ts, message_key(env), run);
    }
  }
  reconcile_locks(run);
  return std::move(run.out);
}

Effects Engine::Impl::apply_status(const protocol::StatusMessage& message, Timestamp received_at) {
  Run run{{}, received_at};
  if (const DeviceRecord* bound = bound_elsewhere(message.clinic, message.device)) {
    run.out.refusal = Refusal{RefusalCode::clinic_mismatch, clinic_mismatch_detail(*bound, message.clinic)};
    return std::move(run.out);
  }
  DeviceRecord& dev = device(message.clinic, message.device);
  dev.last_received = received_at;
  const Presence presence =
      message.online ? Presence::online : (message.shutdown ? Presence::shutdown : Presence::offline);
  note_presence(dev, presence, run, message.online ? "status online" : "status offline");
  if (!message.drift.empty())
    note_drift(dev, message.drift, "status", received_at, message.device.str() + "/status", run);
  reconcile_locks(run);
  return std::move(run.out);
}

void Engine::Impl::advance_clock(const ClinicId& clinic_id, Timestamp ts, Run& run) {
  ClinicRecord& c = clinic(clinic_id);
  if (ts <= c.clock) return;
  c.clock = ts;
  while (!c.deadlines.empty() && c.deadlines.begin()->first < c.clock) {
    const DeviceId pen = c.deadlines.begin()->second;
    c.deadlines.erase(c.deadlines.begin());
    if (DeviceRecord* dev = find_device(pen)) rederive_pen(*dev, run, "shelf life elapsed");
  }
}

void Engine::Impl::reconcile_locks(Run& run) {
  std::set<DeviceId> touched;
  for (const auto& change : run.out.alerts) touched.insert(change.alert.episode.device);
  for (const auto& id : touched) {
    DeviceRecord* dev = find_device(id);
    // A device that has not said what it is may be a pen: with a critical alert, it is locked too.
    if (!dev || dev->kind.value_or(DeviceKind::pen) != DeviceKind::pen) continue;
    const Alert* reason = nullptr;
    if (const auto* active = alerts.active_for(id)) {
      for (const auto& alert_id : *active) {
        const Alert* a = alerts.find(alert_id);
        if (a->severity == Severity::critical && !a->silenced) {
          reason = a;
          break;
        }
      }
    }
    const bool lock = reason != nullptr;
    if (lock == dev->locked) continue;
    dev->locked = lock;
    const std::string why = lock ? std::string(to_string(reason->rule)) : "no open critical alert";
    if (lock) {
      run.out.commands.push_back({dev->clinic, dev->id, protocol::Lock{why}});
    } else {
      run.out.commands.push_back({dev->clinic, dev->id, protocol::Unlock{why}});
    }
    audit(run, dev->clinic, run.now, "engine", "device:" + id.str(), lock ? "lock" : "unlock", {{"locked", !lock}},
          {{"locked", lock}}, lock ? "alert:" + reason->id : why);
  }
}

void Engine::Impl::detect_offline(Run& run) {
  struct Silent {
    const DeviceRecord* device;
    Timestamp since;
    bool dropped;
  };
  std::vector<Silent> silent;
  for (const auto& [id, dev] : devices) {
    const bool dropped = dev.presence == Presence::offline;
    const bool promised = dev.presence == Presence::online && dev.declared_heartbeat;
    if (!dropped && !promised) continue;
    const auto grace = dev.declared_heartbeat.value_or(policy.heartbeat_for(dev.kind.value_or(DeviceKind::pen)));
    const Timestamp since = std::max({dev.last_received, dev.presence_changed, started_at});
    if (run.now - since <= grace || alerts.device_has_current(id, RuleId::device_offline)) continue;
    silent.push_back({&dev, since, dropped});
  }
  // In device order, not the hash map's: an engine restored from a snapshot has the same devices in
  // another order, and must report the same effects in the same order.
  std::sort(silent.begin(), silent.end(), [](const Silent& a, const Silent& b) { return a.device->id < b.device->id; });
  for (const auto& [dev, since, dropped] : silent) {
    const DeviceId& id = dev->id;
    alerts.open(dev->clinic, RuleId::device_offline, id.str(),
                Episode{"silent-since:" + format_timestamp(since),
                        id,
                        run.now,
                        1,
                        id.str() + (dropped ? " dropped its connection" : " went silent") + " at " +
                            format_timestamp(since) + " and has not been heard from since",
                        std::nullopt,
                        {}},
                context(run));
  }
}

// ---------------------------------------------------------------------------------------------------

Engine::Engine(Policy policy, Timestamp started_at) : impl_(std::make_unique<Impl>(std::move(policy), started_at)) {}
Engine::~Engine() = default;
Engine::Engine(Engine&&) noexcept = default;
Engine& Engine::operator=(Engine&&) noexcept = default;

Judgement Engine::receive(const RawMessage& raw, const Intake& intake) { return impl_->receive(raw, intake); }

Effects Engine::apply(const protocol::DeviceMessage& message, Timestamp received_at) {
  return impl_->apply_message(message, received_at);
}

Effects Engine::apply(const protocol::StatusMessage& message, Timestamp received_at) {
  return impl_->apply_status(message, received_at);
}

Effects Engine::tick(Timestamp now) {
  Run run{{}, now};
  impl_->detect_offline(run);
  impl_->reconcile_locks(run);
  return std::move(run.out);
}

void Engine::note_start(Timestamp at) { impl_->started_at = at; }

Effects Engine::acknowledge(const std::string& alert_id, const Actor& by, std::string comment, Timestamp now) {
  Run run{{}, now};
  Alert* alert = impl_->alerts.find(alert_id);
  if (!alert) {
    run.out.refusal = Refusal{RefusalCode::not_found, "no alert " + alert_id};
  } else if (alert->state() != AlertState::open) {
    run.out.refusal =
        Refusal{RefusalCode::conflict, "alert " + alert_id + " is " + std::string(to_string(alert->state())) +
                                           ", only an open alert can be acknowledged"};
  } else {
    impl_->alerts.acknowledge(*alert, Acknowledgement{by, now, std::move(comment)}, impl_->context(run));
  }
  return std::move(run.out);
}

Effects Engine::resolve(const std::string& alert_id, const Actor& by, std::string reason, Timestamp now) {
  Run run{{}, now};
  Alert* alert = impl_->alerts.find(alert_id);
  if (!alert) {
    run.out.refusal = Refusal{RefusalCode::not_found, "no alert " + alert_id};
  } else if (!alert->active()) {
    run.out.refusal =
        Refusal{RefusalCode::conflict, "alert " + alert_id + " is already " + std::string(to_string(alert->state()))};
  } else if (reason.empty()) {
    run.out.refusal = Refusal{RefusalCode::bad_request, "resolving an alert by hand needs a reason"};
  } else {
    impl_->alerts.resolve(*alert, ManualResolution{by, now, std::move(reason), 0}, impl_->context(run));
    impl_->reconcile_locks(run);
  }
  return std::move(run.out);
}

Effects Engine::record_manual_reprocessing(const ManualReprocessing& entry, const Actor& by, Timestamp now) {
  Run run{{}, now};
  const std::string key = "manual/" + entry.id;
  if (entry.id.empty()) {
    run.out.refusal = Refusal{RefusalCode::bad_request, "id: required"};
    return std::move(run.out);
  }
  if (impl_->cycles.contains(key)) {
    run.out.refusal = Refusal{RefusalCode::conflict, "manual reprocessing " + entry.id + " was already entered"};
    return std::move(run.out);
  }
  CycleRecord record;
  record.clinic = entry.clinic;
  record.key = key;
  record.message = key;
  record.ts = entry.at;
  record.cycle = entry.cycle;
  record.assessment = assess_cycle(entry.cycle, impl_->policy.reprocessing);
  record.entered_by = by;
  impl_->record_cycle(std::move(record), run);
  impl_->reconcile_locks(run);
  return std::move(run.out);
}

Effects Engine::add_maintenance(const DeviceId& device, MaintenanceWindow window, const Actor& by, Timestamp now) {
  Run run{{}, now};
  DeviceRecord* dev = impl_->find_device(device);
  if (!dev) {
    run.out.refusal = Refusal{RefusalCode::not_found, "no device " + device.str()};
    return std::move(run.out);
  }
  if (window.to <= window.from) {
    run.out.refusal = Refusal{RefusalCode::bad_request, "a maintenance window must end after it starts"};
    return std::move(run.out);
  }
  impl_->audit(
      run, dev->clinic, now, by, "device:" + device.str(), "maintenance", nullptr,
      {{"from", format_timestamp(window.from)}, {"to", format_timestamp(window.to)}, {"reason", window.reason}}, "api");
  dev->maintenance.push_back(std::move(window));
  return std::move(run.out);
}

Effects Engine::delivery_failed(const DeliveryFailure& failure, Timestamp now) {
  Run run{{}, now};
  if (failure.receiver.empty() || !protocol::is_valid_id(failure.clinic.str())) {
    run.out.refusal = Refusal{RefusalCode::bad_request, "a failed delivery needs a receiver and a clinic"};
    return std::move(run.out);
  }
  // No device: the receiver is the subject, the clinic the one whose people were not told.
  impl_->alerts.open(failure.clinic, RuleId::delivery_failed, failure.receiver,
                     Episode{"dead-letter:" + failure.alert_id + "@" + format_timestamp(failure.at),
                             DeviceId{},
                             failure.at,
                             1,
                             "receiver " + failure.receiver + " did not deliver the notification of alert " +
                                 failure.alert_id + " (" + failure.rule + "): " + failure.answer,
                             std::nullopt,
                             {}},
                     impl_->context(run));
  return std::move(run.out);
}

Effects Engine::delivery_recovered(const std::string& receiver, const ClinicId& clinic, Timestamp now) {
  Run run{{}, now};
  impl_->alerts.clear(clinic, RuleId::delivery_failed, receiver, now, "delivered again", impl_->context(run));
  return std::move(run.out);
}

Engine::ChangedDevices Engine::take_changed_devices() {
  ChangedDevices out{impl_->all_changed, {}};
  if (!out.all) out.ids = std::vector<DeviceId>(impl_->changed.begin(), impl_->changed.end());
  impl_->changed.clear();
  impl_->all_changed = false;
  return out;
}

Effects Engine::set_policy(Policy policy, const Actor& by, Timestamp now) {
  impl_->all_changed = true;
  Run run{{}, now};
  impl_->audit(run, ClinicId{}, now, by, "policy", "reload", nullptr, nullptr, "policy reloaded");
  impl_->policy = std::move(policy);
  return std::move(run.out);
}

const Policy& Engine::policy() const { return impl_->policy; }

const DeviceRecord* Engine::device(const DeviceId& id) const {
  // Not find_device(): that one hands the record out for change, and notes it as changed.
  const auto it = impl_->devices.find(id);
  return it == impl_->devices.end() ? nullptr : &it->second;
}

void Engine::for_each_device(const std::function<void(const DeviceRecord&)>& visit) const {
  for (const auto& [id, dev] : impl_->devices) visit(dev);
}

const Alert* Engine::alert(const std::string& id) const { return impl_->alerts.find(id); }

bool Engine::has_current_alert(const ClinicId& clinic, RuleId rule, const std::string& subject) const {
  return impl_->alerts.has_current(clinic, rule, subject);
}

std::vector<const Alert*> Engine::active_alerts(const DeviceId& device) const {
  std::vector<const Alert*> out;
  if (const auto* ids = impl_->alerts.active_for(device)) {
    for (const auto& id : *ids) out.push_back(impl_->alerts.find(id));
  }
  return out;
}

void Engine::for_each_alert(const std::function<void(const Alert&)>& visit) const { impl_->alerts.for_each(visit); }

const CycleRecord* Engine::cycle(const std::string& key) const {
  const auto it = impl_->cycles.find(key);
  return it == impl_->cycles.end() ? nullptr : &it->second;
}

void Engine::for_each_cycle(const std::function<void(const CycleRecord&)>& visit) const {
  for (const auto& [key, c] : impl_->cycles) visit(c);
}

const CartridgeRecord* Engine::cartridge(const ClinicId& clinic, const protocol::CartridgeId& id) const {
  const auto c = impl_->clinics.find(clinic);
  if (c == impl_->clinics.end()) return nullptr;
  const auto it = c->second.cartridges.find(id);
  return it == c->second.cartridges.end() ? nullptr : &it->second;
}

std::optional<Recall> Engine::recall(const std::string& cycle_key) const { return impl_->recall(cycle_key); }

}  // namespace sterifleet::engine
