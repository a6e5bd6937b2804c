// Raw messages in: decoding, what becomes of a message that cannot be judged, and the drift of one that
// can. Nothing a device reports about a patient passes silently: an event or birth that is rejected,
// for whatever reason, raises device.event_rejected, which only a person closes.
#include "engine_impl.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::engine {

namespace {

using protocol::Channel;

// Events and births are facts of compliance; telemetry and status report a state the next one repeats.
// A message is taken for an event if its channel or its type says so (a session start on the telemetry
// channel is rejected, and still an event).
bool carries_facts(std::string_view type) { return !type.empty() && type != protocol::Telemetry::type; }
bool carries_facts(Channel channel, std::string_view type) {
  return channel == Channel::event || channel == Channel::birth || carries_facts(type);
}

// Tells a redelivered payload from another one under the same key, without keeping the payload.
std::uint64_t fingerprint(std::string_view payload) { return fnv1a(payload); }

std::string conflict_detail(const protocol::Envelope& env) {
  return "boot " + std::to_string(env.boot) + " seq " + std::to_string(env.seq) + " of " + env.device.str() +
         " was already used by a different message";
}

Judgement quarantined(std::string reason, std::string detail, Run& run) {
  Judgement out;
  out.disposition = Disposition::quarantined;
  out.reason = std::move(reason);
  out.detail = std::move(detail);
  out.effects = std::move(run.out);
  return out;
}

// The message decoded, so its topic parses.
protocol::Topic topic_of(const RawMessage& raw) { return *protocol::parse_topic(raw.topic); }

Judgement duplicate() {
  Judgement out;
  out.disposition = Disposition::duplicate;
  return out;
}

}  // namespace

bool Engine::Impl::is_redelivery(const DeviceRecord& dev, const protocol::Envelope& env, std::string_view payload,
                                 const Intake& intake) const {
  const auto rejected = dev.rejected.find({env.boot, env.seq});
  if (rejected != dev.rejected.end() && rejected->second == fingerprint(payload)) return true;
  if (intake.same_as_stored) {
    if (const auto same = intake.same_as_stored(env, payload)) return *same;
  }
  // Nothing kept under the key to compare with (a rejected payload forgotten, or no store): a resend.
  return rejected == dev.rejected.end();
}

void Engine::Impl::remember_rejected(DeviceRecord& dev, const protocol::Envelope& env, std::string_view payload) {
  if (!dev.rejected.emplace(std::make_pair(env.boot, env.seq), fingerprint(payload)).second) return;
  std::erase_if(dev.rejected, [&](const auto& entry) { return !dev.sequence.remembers(entry.first.first); });
  // A device whose every message fails keeps its newest; an older one forgotten counts as resent.
  constexpr std::size_t kept = 1024;
  while (dev.rejected.size() > kept) dev.rejected.erase(dev.rejected.begin());
}

Judgement Engine::Impl::receive(const RawMessage& raw, const Intake& intake) {
  if (raw.judged_before_fail_safe) return judge_as_before_fail_safe(raw, *raw.judged_before_fail_safe, intake);
  auto decoded = protocol::decode(raw.topic, raw.payload, {raw.received_at, intake.max_clock_skew});
  if (!decoded) return reject(raw, decoded.error(), intake);
  if (const auto* status = std::get_if<protocol::StatusMessage>(&*decoded)) {
    // Before the retained shortcut: a foreign status the broker replays on every subscribe is still foreign.
    if (bound_elsewhere(status->clinic, status->device)) return foreign_clinic(raw, topic_of(raw), "status", {});
    const Presence presence =
        status->online ? Presence::online : (status->shutdown ? Presence::shutdown : Presence::offline);
    // The broker replays retained statuses on every subscribe: that is neither news nor a sign of life.
    if (const DeviceRecord* dev = find_device(status->device); raw.retained && dev && dev->presence == presence) {
      return duplicate();
    }
    Judgement out;
    out.effects = apply_status(*status, raw.received_at);
    out.message = std::move(*decoded);
    return out;
  }
  const auto& message = std::get<protocol::DeviceMessage>(*decoded);
  Run run{apply_message(message, raw.received_at), raw.received_at};
  if (!run.out.refusal) {
    Judgement out;
    out.effects = std::move(run.out);
    out.message = std::move(*decoded);
    return out;
  }
  if (run.out.refusal->code == RefusalCode::clinic_mismatch) {
    return foreign_clinic(raw, topic_of(raw), protocol::type_name(message.body), {});
  }
  Refusal refusal = std::move(*run.out.refusal);
  run.out.refusal.reset();
  const auto& env = message.envelope;
  DeviceRecord& dev = device(message.clinic, env.device);
  if (refusal.code == RefusalCode::duplicate) {
    if (is_redelivery(dev, env, raw.payload, intake)) return duplicate();
    refusal = Refusal{RefusalCode::seq_conflict, conflict_detail(env)};  // the key stays the first's
  } else {
    remember_rejected(dev, env, raw.payload);
  }
  // Refused by the engine (a sequence regression, a kind the device is not, a cycle reported twice, a
  // key reused): not judged, so a person must look.
  if (carries_facts(protocol::type_name(message.body))) {
    event_rejected(dev, message_key(env), env.ts, protocol::type_name(message.body),
                   std::string(to_string(refusal.code)), refusal.message, raw, run);
    reconcile_locks(run);
  }
  return quarantined(std::string(to_string(refusal.code)), std::move(refusal.message), run);
}

Judgement Engine::Impl::reject(const RawMessage& raw, const protocol::DecodeError& error, const Intake& intake) {
  Run run{{}, raw.received_at};
  std::string reason(protocol::to_string(error.reason));
  std::string detail = error.message();
  const auto topic = protocol::parse_topic(raw.topic);
  if (!topic || topic->channel == Channel::cmd) return quarantined(std::move(reason), std::move(detail), run);
  if (bound_elsewhere(topic->clinic, topic->device)) {
    return foreign_clinic(raw, *topic, error.seen.type, "it was malformed too, " + reason + ": " + detail);
  }
  DeviceRecord& dev = device(topic->clinic, topic->device);
  const auto& seen = error.seen;
  const Timestamp at = seen.ts.value_or(raw.received_at);
  std::string subject = topic->device.str() + "/quarantine/" + std::to_string(raw.quarantine_id);
  if (seen.boot && seen.seq) {
    // It arrived: its number is not missing, and no replay is asked for it.
    const protocol::Envelope env{topic->device, *seen.boot, *seen.seq, at};
    if (check_sequence(dev, env, run)) {
      remember_rejected(dev, env, raw.payload);
    } else if (run.out.refusal->code == RefusalCode::duplicate) {
      if (is_redelivery(dev, env, raw.payload, intake)) return duplicate();
      run.out.refusal.reset();  // another payload under a key that is the first's
    } else {
      run.out.refusal.reset();  // a regression
      remember_rejected(dev, env, raw.payload);
    }
    dev.last_received = raw.received_at;
    subject = message_key(env);
  }
  if (error.reason == protocol::Reason::identity_mismatch) identity_mismatch(*topic, raw.received_at, run);
  if (carries_facts(topic->channel, seen.type)) event_rejected(dev, subject, at, seen.type, reason, detail, raw, run);
  reconcile_locks(run);
  return quarantined(std::move(reason), std::move(detail), run);
}

Judgement Engine::Impl::foreign_clinic(const RawMessage& raw, const protocol::Topic& topic, std::string_view type,
                                       const std::string& also) {
  Run run{{}, raw.received_at};
  DeviceRecord& dev = *find_device(topic.device);
  const std::string what = type.empty() ? std::string("a message") : "a " + std::string(type);
  const std::string kept = "quarantine:" + std::to_string(raw.quarantine_id);
  std::string detail = clinic_mismatch_detail(dev, topic.clinic) + " (" + what + " on " + std::string(raw.topic) + ")";
  if (!also.empty()) detail += "; " + also;
  alerts.open(dev.clinic, RuleId::clinic_mismatch, dev.id.str(),
              Episode{kept,
                      dev.id,
                      raw.received_at,
                      1,
                      detail + "; kept as " + kept +
                          ". Find out which device sent it (a device set up for another clinic, or another device "
                          "using this id), then resolve this alert",
                      std::nullopt,
                      {}},
              context(run));
  reconcile_locks(run);
  return quarantined(std::string(to_string(RefusalCode::clinic_mismatch)), std::move(detail), run);
}

void Engine::Impl::identity_mismatch(const protocol::Topic& topic, Timestamp received_at, Run& run) {
  device(topic.clinic, topic.device);
  alerts.open(topic.clinic, RuleId::identity_mismatch, topic.device.str(),
              Episode{"mismatch:" + protocol::format_timestamp(received_at),
                      topic.device,
                      received_at,
                      1,
                      "a message on " + topic.device.str() + "'s topic named another device",
                      std::nullopt,
                      {}},
              context(run));
}

// Before fail-safe judging a message the codec accepted had no drift (unknown fields were ignored), one
// it rejected raised nothing but an identity mismatch's alert, and one the engine refused had been
// applied up to its refusal.
Judgement Engine::Impl::judge_as_before_fail_safe(const RawMessage& raw, const EarlierJudgement& earlier,
                                                  const Intake& intake) {
  Run run{{}, raw.received_at};
  const std::string reason(earlier.quarantined_as);
  if (const auto by_codec = protocol::parse_reason(reason)) {
    const auto topic = protocol::parse_topic(raw.topic);
    if (topic && *by_codec == protocol::Reason::identity_mismatch) {
      identity_mismatch(*topic, raw.received_at, run);
      reconcile_locks(run);
    }
    return quarantined(reason, {}, run);
  }
  auto decoded = protocol::decode(raw.topic, raw.payload, {raw.received_at, intake.max_clock_skew});
  if (!decoded)
    return quarantined(reason.empty() ? std::string(protocol::to_string(decoded.error().reason)) : reason,
                       decoded.error().message(), run);
  // value(), not operator*: GCC cannot see that the unchecked access past the check above never
  // yields null, and warns (-Wnull-dereference) at -O2.
  auto& inbound = decoded.value();
  std::visit([](auto& m) { m.drift.clear(); }, inbound);
  if (const auto* status = std::get_if<protocol::StatusMessage>(&inbound)) {
    run.out = apply_status(*status, raw.received_at);
  } else {
    run.out = apply_message(std::get<protocol::DeviceMessage>(inbound), raw.received_at);
  }
  run.out.refusal.reset();
  if (!reason.empty()) return quarantined(reason, {}, run);
  Judgement out;
  out.effects = std::move(run.out);
  out.message = std::move(inbound);
  return out;
}

void Engine::Impl::event_rejected(DeviceRecord& dev, const std::string& subject, Timestamp at, std::string_view type,
                                  const std::string& reason, const std::string& detail, const RawMessage& raw,
                                  Run& run) {
  const std::string what = type.empty() ? std::string("a message") : "a " + std::string(type);
  const std::string quarantined = "quarantine:" + std::to_string(raw.quarantine_id);
  alerts.open(dev.clinic, RuleId::event_rejected, subject,
              Episode{quarantined,
                      dev.id,
                      at,
                      1,
                      dev.id.str() + " sent " + what + " (" + subject + ") that could not be judged, " + reason + ": " +
                          detail + "; kept as " + quarantined +
                          ". Whether it broke a rule is unknown: look at it, then resolve this alert",
                      std::nullopt,
                      {}},
              context(run));
}

void Engine::Impl::note_drift(DeviceRecord& dev, const std::vector<protocol::Drift>& drift, std::string_view type,
                              Timestamp ts, const std::string& key, Run& run) {
  // A device inventing field names one message after another gets one warning for all beyond these.
  constexpr std::size_t fields_named = 32;
  for (const auto& d : drift) {
    const bool named = dev.drift.contains(d.path) || dev.drift.size() < fields_named;
    const std::string path = named ? d.path : "/*";
    DriftRecord& record = dev.drift[path];
    ++record.messages;
    // The earliest message that drifted opens the warning, whatever order they came in; the others
    // change nothing (no transition, no audit record a message).
    if (record.messages > 1 && (ts > record.first || (ts == record.first && key >= record.key))) continue;
    record.first = ts;
    record.key = key;
    record.type = std::string(type);
    record.value = d.value;
    record.detail = d.detail;
    alerts.reconcile(dev.clinic, RuleId::protocol_drift, dev.id.str() + path,
                     {Episode{"drift:" + record.key,
                              dev.id,
                              record.first,
                              1,
                              dev.id.str() + " sent " + record.value + " in " + d.path + " of a " + record.type + " (" +
                                  record.detail + "); accepted as sent and judged conservatively",
                              std::nullopt,
                              {}}},
                     context(run));
  }
}

}  // namespace sterifleet::engine
