// Raw messages in: decoding, what becomes of a message that cannot be judged, and the drift of one that
// can. Nothing a device reports about a patient passes silently: an event or birth that is rejected,
// for whatever reason, raises device.event_rejected, which only a person closes.
#include "engine_impl.hpp"
#include "sterifleet/protocol/topic.hpp"

namespace sterifleet::engine {

namespace {

using protocol::Channel;

// Events and births are facts of compliance; telemetry and status report a state the next one repeats.
bool carries_facts(Channel channel) { return channel == Channel::event || channel == Channel::birth; }

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

Judgement duplicate() {
  Judgement out;
  out.disposition = Disposition::duplicate;
  return out;
}

}  // namespace

bool Engine::Impl::is_redelivery(const DeviceRecord& dev, const protocol::Envelope& env, std::string_view payload,
                                 const Intake& intake) const {
  if (const auto it = dev.rejected.find({env.boot, env.seq}); it != dev.rejected.end()) {
    return it->second == fingerprint(payload);
  }
  return !intake.same_as_stored || intake.same_as_stored(env, payload).value_or(true);
}

void Engine::Impl::remember_rejected(DeviceRecord& dev, const protocol::Envelope& env, std::string_view payload) {
  if (!dev.rejected.emplace(std::make_pair(env.boot, env.seq), fingerprint(payload)).second) return;
  std::erase_if(dev.rejected, [&](const auto& entry) { return !dev.sequence.remembers(entry.first.first); });
}

Judgement Engine::Impl::receive(const RawMessage& raw, const Intake& intake) {
  if (raw.judged_before_fail_safe) return judge_as_before_fail_safe(raw, *raw.judged_before_fail_safe, intake);
  auto decoded = protocol::decode(raw.topic, raw.payload, {raw.received_at, intake.max_clock_skew});
  if (!decoded) return reject(raw, decoded.error(), intake);
  if (const auto* status = std::get_if<protocol::StatusMessage>(&*decoded)) {
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
  Refusal refusal = std::move(*run.out.refusal);
  run.out.refusal.reset();
  const auto& env = message.envelope;
  DeviceRecord& dev = device(message.clinic, env.device);
  if (refusal.code == "duplicate") {
    if (is_redelivery(dev, env, raw.payload, intake)) return duplicate();
    refusal = Refusal{std::string(seq_conflict_reason), conflict_detail(env)};
  }
  remember_rejected(dev, env, raw.payload);
  // Refused by the engine (a sequence regression, a kind the device is not, a cycle reported twice, a
  // key reused): not judged, so a person must look.
  if (protocol::type_name(message.body) != protocol::Telemetry::type) {
    event_rejected(dev, message_key(env), env.ts, protocol::type_name(message.body), refusal.code, refusal.message, raw,
                   run);
    reconcile_locks(run);
  }
  return quarantined(std::move(refusal.code), std::move(refusal.message), run);
}

Judgement Engine::Impl::reject(const RawMessage& raw, const protocol::DecodeError& error, const Intake& intake) {
  Run run{{}, raw.received_at};
  std::string reason(protocol::to_string(error.reason));
  std::string detail = error.message();
  const auto topic = protocol::parse_topic(raw.topic);
  if (!topic || topic->channel == Channel::cmd) return quarantined(std::move(reason), std::move(detail), run);
  DeviceRecord& dev = device(topic->clinic, topic->device);
  const auto& seen = error.seen;
  const Timestamp at = seen.ts.value_or(raw.received_at);
  std::string subject = topic->device.str() + "/quarantine/" + std::to_string(raw.quarantine_id);
  if (seen.boot && seen.seq) {
    // It arrived: its number is not missing, and no replay is asked for it.
    const protocol::Envelope env{topic->device, *seen.boot, *seen.seq, at};
    if (!check_sequence(dev, env, run)) {
      if (run.out.refusal->code == "duplicate" && is_redelivery(dev, env, raw.payload, intake)) return duplicate();
      run.out.refusal.reset();
    }
    remember_rejected(dev, env, raw.payload);
    dev.last_received = raw.received_at;
    subject = message_key(env);
  }
  if (error.reason == protocol::Reason::identity_mismatch) identity_mismatch(*topic, raw.received_at, run);
  if (carries_facts(topic->channel)) {
    if (!dev.kind) dev.kind = implied_kind(seen.type);  // a pen gets locked
    event_rejected(dev, subject, at, seen.type, reason, detail, raw, run);
  }
  reconcile_locks(run);
  return quarantined(std::move(reason), std::move(detail), run);
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

// Before fail-safe judging, a message the codec rejected raised nothing but an identity mismatch's
// alert, and one the engine refused had been applied up to its refusal.
Judgement Engine::Impl::judge_as_before_fail_safe(const RawMessage& raw, std::string_view reason,
                                                  const Intake& intake) {
  Run run{{}, raw.received_at};
  bool by_codec = false;
  for (auto r = static_cast<int>(protocol::Reason::bad_topic);
       r <= static_cast<int>(protocol::Reason::identity_mismatch); ++r) {
    by_codec = by_codec || protocol::to_string(static_cast<protocol::Reason>(r)) == reason;
  }
  if (by_codec) {
    const auto topic = protocol::parse_topic(raw.topic);
    if (topic && reason == protocol::to_string(protocol::Reason::identity_mismatch)) {
      identity_mismatch(*topic, raw.received_at, run);
      reconcile_locks(run);
    }
  } else if (const auto decoded = protocol::decode(raw.topic, raw.payload, {raw.received_at, intake.max_clock_skew});
             decoded && std::holds_alternative<protocol::DeviceMessage>(*decoded)) {
    run.out = apply_message(std::get<protocol::DeviceMessage>(*decoded), raw.received_at);
    run.out.refusal.reset();
  }
  return quarantined(std::string(reason), {}, run);
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
  for (const auto& d : drift) {
    DriftRecord& record = dev.drift[d.path];
    // The earliest message that drifted opens the alert, whatever order they came in.
    if (record.messages == 0 || ts < record.first || (ts == record.first && key < record.key)) {
      record.first = ts;
      record.key = key;
      record.type = std::string(type);
      record.value = d.value;
      record.detail = d.detail;
    }
    ++record.messages;
    alerts.reconcile(dev.clinic, RuleId::protocol_drift, dev.id.str() + d.path,
                     {Episode{"drift:" + record.key,
                              dev.id,
                              record.first,
                              record.messages,
                              dev.id.str() + " sent " + record.value + " in " + d.path + " of a " + record.type + " (" +
                                  record.detail + "); accepted as sent and judged conservatively",
                              std::nullopt,
                              {}}},
                     context(run));
  }
}

}  // namespace sterifleet::engine
