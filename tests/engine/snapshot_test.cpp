// Property: an engine restored from a snapshot taken after any input, fed the rest of the inputs, is
// indistinguishable from the engine that saw them all: the same effects for every later input, in the
// same order, and the same state at the end (compared as the canonical snapshot, diffed as JSON).
// The inputs are a clinic's traffic in a random interleaving with late replays, people's actions,
// ticks, presence changes, compactions and policy changes mixed in.
#include "sterifleet/engine/snapshot.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <variant>

#include "clinic_traffic.hpp"
#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::engine::testing {
namespace {

using nlohmann::json;

struct Message {
  protocol::DeviceMessage message;
  Timestamp received;
};
struct Status {
  protocol::StatusMessage status;
  Timestamp received;
};
/// A payload as it came off the wire: a message with drift, a rejected one, another device's.
struct Raw {
  std::string topic;
  std::string payload;
  Timestamp received;
  std::int64_t quarantine_id;
};
struct Tick {
  Timestamp now;
};
/// Acts on the `pick`-th active alert (by id) when it runs, so both engines choose the same one.
struct Acknowledge {
  std::size_t pick;
  Timestamp now;
};
struct Resolve {
  std::size_t pick;
  Timestamp now;
};
struct Manual {
  ManualReprocessing entry;
  Timestamp now;
};
struct Maintenance {
  DeviceId device;
  MaintenanceWindow window;
  Timestamp now;
};
struct Compact {
  Timestamp cut;
};
struct Reload {
  Policy policy;
  Timestamp now;
};
/// The dispatcher's report: a notification to `receiver` died (failed) or a delivery got through.
struct Delivery {
  std::string receiver;
  bool failed;
  Timestamp now;
};
using Input =
    std::variant<Message, Status, Raw, Tick, Acknowledge, Resolve, Manual, Maintenance, Compact, Reload, Delivery>;

const ClinicId kClinic{"north"};
const std::vector<std::string> kPens{"PEN-1", "PEN-2", "PEN-3", "PEN-4"};

Policy shelf_life_policy() {
  Policy policy = default_policy();
  policy.shelf_life = std::chrono::hours(3);
  return policy;
}

std::string active_alert(const Engine& engine, std::size_t pick) {
  std::vector<std::string> ids;
  engine.for_each_alert([&](const Alert& a) {
    if (a.active()) ids.push_back(a.id);
  });
  if (ids.empty()) return "none";
  std::sort(ids.begin(), ids.end());
  return ids[pick % ids.size()];
}

Effects apply(Engine& engine, const Input& input) {
  return std::visit(
      Overloaded{
          [&](const Message& m) { return engine.apply(m.message, m.received); },
          [&](const Status& s) { return engine.apply(s.status, s.received); },
          [&](const Raw& r) {
            return engine.receive({r.topic, r.payload, r.received, false, r.quarantine_id}, {}).effects;
          },
          [&](const Tick& t) { return engine.tick(t.now); },
          [&](const Acknowledge& a) {
            return engine.acknowledge(active_alert(engine, a.pick), "token:mia", "on it", a.now);
          },
          [&](const Resolve& r) { return engine.resolve(active_alert(engine, r.pick), "token:mia", "checked", r.now); },
          [&](const Manual& m) { return engine.record_manual_reprocessing(m.entry, "token:mia", m.now); },
          [&](const Maintenance& m) { return engine.add_maintenance(m.device, m.window, "token:mia", m.now); },
          [&](const Compact& c) {
            engine.compact(c.cut);
            return Effects{};
          },
          [&](const Reload& r) { return engine.set_policy(r.policy, "operator:SIGHUP", r.now); },
          [&](const Delivery& d) {
            return d.failed ? engine.delivery_failed({d.receiver, kClinic, "a1b2", "device.offline", "HTTP 410", d.now},
                                                     d.now)
                            : engine.delivery_recovered(d.receiver, kClinic, d.now);
          },
      },
      input);
}

// Every effect, in order, as text: what the store, the event stream and the devices would get.
std::string text(const Effects& effects) {
  json out = json::array();
  if (effects.refusal)
    out.push_back({"refusal", std::string(to_string(effects.refusal->code)), effects.refusal->message});
  for (const auto& change : effects.alerts)
    out.push_back({"alert", to_string(change.transition), to_json(change.alert)});
  for (const auto& change : effects.sessions) out.push_back({"session", to_json(change)});
  for (const auto& change : effects.cycles) out.push_back({"cycle", to_json(change.cycle)});
  for (const auto& c : effects.commands) {
    out.push_back({"command", c.clinic.str(), c.device.str(),
                   protocol::encode_command({protocol::CommandId{"c"}, Timestamp{}, c.body})});
  }
  for (const auto& a : effects.audit) {
    out.push_back({"audit", protocol::format_timestamp(a.at), a.actor, a.entity, a.action, a.before, a.after, a.cause});
  }
  return out.dump();
}

// The gist of text(), ten times cheaper: which alerts, sessions, cycles, commands and audit records.
std::string digest(const Effects& effects) {
  std::string out = effects.refusal ? std::string(to_string(effects.refusal->code)) : "";
  auto add = [&](std::initializer_list<std::string_view> parts) {
    for (const auto part : parts) (out += part) += ' ';
    out += '|';
  };
  auto ms = [](const std::optional<Timestamp>& t) { return t ? std::to_string(t->time_since_epoch().count()) : "-"; };
  for (const auto& c : effects.alerts) {
    add({to_string(c.transition), c.alert.id, to_string(c.alert.state()), std::to_string(c.alert.episode.occurrences),
         ms(c.alert.episode.cleared_at)});
  }
  for (const auto& c : effects.sessions)
    add({c.pen.str(), c.session.id.str(), c.session.clearance, ms(c.session.ended)});
  for (const auto& c : effects.cycles) add({c.cycle.key, to_string(c.cycle.state())});
  for (const auto& c : effects.commands) add({c.device.str(), protocol::command_name(c.body)});
  for (const auto& a : effects.audit) add({a.entity, a.action, a.cause, ms(a.at)});
  return out;
}

// Streams interleaved at random (each device's order kept), then a few messages held back and
// delivered a little later, as a device's replay after a gap would: a cycle after its BI result (an
// orphan BI), a session start after its end (an orphan end).
std::vector<protocol::DeviceMessage> arrival(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto streams = ClinicTraffic{}.build();
  std::vector<protocol::DeviceMessage> held;
  auto hold = [&](const std::string& device, std::size_t from, auto is) {
    auto& stream = streams[device];
    const auto it = std::find_if(stream.begin() + static_cast<std::ptrdiff_t>(from), stream.end(), is);
    if (it == stream.end()) return;
    held.push_back(*it);
    stream.erase(it);
  };
  auto monitored_cycle = [](const auto& m) {
    const auto* c = std::get_if<protocol::CycleComplete>(&m.body);
    return c && c->biological_indicator;
  };
  auto session_start = [](const auto& m) { return std::holds_alternative<protocol::SessionStart>(m.body); };
  for (const std::size_t part : {std::size_t{3}, std::size_t{2}}) {
    hold("STER-1", streams["STER-1"].size() / part, monitored_cycle);
    hold("PEN-" + std::to_string(1 + rng() % 4), 60 / part, session_start);
  }

  auto out = interleave(streams, rng());
  for (auto& late : held) {
    // Replayed 20 to 80 messages after the device's next one revealed the gap.
    const auto next = std::find_if(out.begin(), out.end(), [&](const auto& m) {
      return m.envelope.device == late.envelope.device && m.envelope.seq > late.envelope.seq;
    });
    const auto at = std::min<std::size_t>(out.size(), static_cast<std::size_t>(next - out.begin()) + 20 + rng() % 60);
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(at), std::move(late));
  }
  return out;
}

// The message's payload with a field the spec does not define in its body: drift.
std::string with_unknown_field(const protocol::DeviceMessage& message) {
  std::string payload = protocol::encode(message);
  payload.insert(payload.size() - 2, R"(,"x_vendor":1)");
  return payload;
}

// The message's payload with an empty body: its envelope is sound, its content cannot be judged.
std::string with_empty_body(const protocol::DeviceMessage& message) {
  std::string payload = protocol::encode(message);
  return payload.substr(0, payload.find(R"("body":)")) + R"("body":{}})";
}

std::vector<Input> traffic(std::uint64_t seed, bool reload) {
  std::mt19937_64 rng(seed * 7919);
  std::mt19937_64 deliveries(seed * 104729);  // of its own: the rest of the traffic stays as it was
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  auto minutes = [&](int up_to) { return std::chrono::minutes(rng() % static_cast<std::uint64_t>(up_to + 1)); };
  auto pen = [&] { return DeviceId{kPens[rng() % kPens.size()]}; };
  std::vector<Input> inputs;
  Timestamp clock = kStart - std::chrono::hours(1);
  int manual = 0;
  std::int64_t quarantined = 0;
  bool reloaded = false;
  for (auto& message : arrival(seed)) {
    clock = std::max(clock, message.envelope.ts);
    if (chance(4)) {
      clock += minutes(20);
      inputs.push_back(Tick{clock});
    }
    if (chance(3)) {
      const bool online = chance(40);
      inputs.push_back(Status{{kClinic, pen(), 1, online, !online && chance(30)}, clock});
      if (!online) {  // silence long enough for device.offline, unless the pens speak first
        if (chance(50)) inputs.push_back(Status{{kClinic, pen(), 1, false, false}, clock});
        clock += std::chrono::minutes(4) + minutes(10);
        inputs.push_back(Tick{clock});
      }
    }
    if (chance(1)) {
      const protocol::DeviceMessage other{
          kClinic,
          {DeviceId{"PEN-X"}, 1, 1, clock},
          protocol::Telemetry{protocol::Percent{50}, std::chrono::seconds{3600}, 100, protocol::Millimetres{1},
                              protocol::Hertz{100}, std::nullopt}};
      inputs.push_back(
          Raw{"sterifleet/v1/north/" + pen().str() + "/telemetry", protocol::encode(other), clock, ++quarantined});
    }
    if (chance(2)) inputs.push_back(Acknowledge{static_cast<std::size_t>(rng() % 5), clock});
    if (chance(1)) inputs.push_back(Resolve{static_cast<std::size_t>(rng() % 5), clock});
    if (chance(1)) {
      auto cycle = steam("M" + std::to_string(++manual), {kPens[rng() % kPens.size()]});
      if (chance(30)) cycle.exposure = std::chrono::seconds{60};
      inputs.push_back(Manual{{kClinic, "M" + std::to_string(manual), clock - minutes(90), cycle}, clock});
    }
    if (chance(1)) inputs.push_back(Maintenance{pen(), {clock - minutes(60), clock + minutes(240), "service"}, clock});
    if (chance(1)) inputs.push_back(Compact{clock - std::chrono::hours(20)});
    if (const auto roll = deliveries() % 100; roll < 3) {
      inputs.push_back(Delivery{roll % 2 ? "hook" : "mail", roll < 2, clock});
    }
    if (reload && !reloaded && clock > kStart + std::chrono::hours(30)) {
      Policy policy = default_policy();
      policy.rule(RuleId::battery_low).severity = Severity::critical;
      policy.battery_threshold_pct = 80;
      inputs.push_back(Reload{policy, clock});
      reloaded = true;
    }
    if (chance(3)) {
      inputs.push_back(Raw{protocol::topic_of(message), with_unknown_field(message), clock, quarantined + 1});
    } else if (chance(3)) {
      inputs.push_back(Raw{protocol::topic_of(message), with_empty_body(message), clock, ++quarantined});
    } else {
      inputs.push_back(Message{std::move(message), clock});
    }
  }
  inputs.push_back(Tick{clock + std::chrono::hours(2)});
  return inputs;
}

std::string first_difference(const json& expected, const json& actual) {
  const auto patch = json::diff(expected, actual);
  std::string shown = patch.dump(1);
  if (shown.size() > 3000) shown = shown.substr(0, 3000) + "...";
  return "the restored engine differs from the full replay (JSON patch from full to restored):\n" + shown;
}

struct Variant {
  const char* name;
  Policy policy;
  bool reload;
};

// Notes which corners of the state a restore point reached.
void note_exercised(const json& state, std::set<std::string>& exercised) {
  for (const auto* part : {"orphan_bis", "orphan_ends"}) {
    if (state.contains(part) && !state[part].empty()) exercised.insert(part);
  }
  for (const auto& [id, clinic] : state["clinics"].items()) {
    if (!clinic["deadlines"].empty()) exercised.insert("deadlines");
    if (!clinic["retired_cartridges"].empty()) exercised.insert("retired_cartridges");
  }
  for (const auto& [id, device] : state["devices"].items()) {
    const auto& boots = device["sequence"]["boots"];
    if (!boots.empty() && !boots.back()["missing"].empty()) exercised.insert("sequence_gap");
    if (!device["compacted_before"].is_null()) exercised.insert("compacted_pen");
    if (!device["drift"].empty()) exercised.insert("drift");
    if (!device["rejected"].empty()) exercised.insert("rejected");
  }
  if (state["policy"] != state["initial_policy"]) exercised.insert("reloaded_policy");
}

// A restore after every `every`-th input, fed all the rest: the same effects as the full replay for
// every input (in full for the first `window`, as a digest after that, to keep the test fast), and the
// same state at the end.
void expect_every_restore_point_replays_exactly(const Variant& variant, std::uint64_t seed,
                                                std::set<std::string>& exercised) {
  constexpr std::size_t every = 7, window = 10;
  SCOPED_TRACE(std::string(variant.name) + ", seed " + std::to_string(seed));
  const auto inputs = traffic(seed, variant.reload);
  Engine full(variant.policy, kStart - std::chrono::hours(1));
  std::vector<std::string> effects, digests;
  std::vector<std::string> states;  // states[i]: after the first i inputs
  for (std::size_t i = 0; i <= inputs.size(); ++i) {
    if (i % every == 0) states.push_back(full.snapshot());
    if (i == inputs.size()) break;
    const auto done = apply(full, inputs[i]);
    effects.push_back(text(done));
    digests.push_back(digest(done));
  }
  const std::string final_state = full.snapshot();

  for (std::size_t at = 0; at <= inputs.size(); at += every) {
    const std::string& state = states[at / every];
    Engine restored = Engine::from_snapshot(variant.policy, state);
    ASSERT_EQ(restored.snapshot(), state) << "restored at input " << at << " does not snapshot to the same bytes";
    note_exercised(restored.snapshot_json(), exercised);
    for (std::size_t j = at; j < inputs.size(); ++j) {
      const auto done = apply(restored, inputs[j]);
      if (j < at + window) {
        ASSERT_EQ(text(done), effects[j]) << "input " << j << " after a restore at input " << at;
      } else {
        ASSERT_EQ(digest(done), digests[j]) << "input " << j << " after a restore at input " << at;
      }
    }
    ASSERT_EQ(restored.snapshot(), final_state)
        << "restored at input " << at << ": "
        << first_difference(Engine::from_snapshot(variant.policy, final_state).snapshot_json(),
                            restored.snapshot_json());
  }
  for (const auto& e : effects) {
    for (const auto* mark :
         {"\"acknowledged\"", "device.offline", "device.sterility_expired", "\"lock\"", "delivered again"}) {
      if (e.find(mark) != std::string::npos) exercised.insert(mark);
    }
  }
}

TEST(SnapshotRestore, SnapshotAfterAnyInputPlusTheRestEqualsTheFullReplay) {
  const std::vector<Variant> variants{{"default policy", default_policy(), false},
                                      {"shelf life", shelf_life_policy(), false},
                                      {"policy reloaded", default_policy(), true}};
  std::set<std::string> exercised;
  for (const auto& variant : variants) {
    expect_every_restore_point_replays_exactly(variant, 1, exercised);
    if (HasFatalFailure()) return;
  }
  // The traffic must reach every corner of the state for the property to mean something.
  for (const auto* part : {"orphan_bis", "orphan_ends", "deadlines", "retired_cartridges", "sequence_gap",
                           "compacted_pen", "drift", "rejected", "reloaded_policy", "\"acknowledged\"",
                           "device.offline", "device.sterility_expired", "\"lock\"", "delivered again"}) {
    EXPECT_TRUE(exercised.contains(part)) << part << " never exercised";
  }
}

TEST(SnapshotRestore, KeepsThePolicyInForceAndRefusesAnotherBasePolicy) {
  Engine engine(default_policy(), kStart);
  Policy reloaded = default_policy();
  reloaded.battery_threshold_pct = 40;
  engine.set_policy(reloaded, "operator:SIGHUP", kStart);
  const auto restored = Engine::from_snapshot(default_policy(), engine.snapshot());
  EXPECT_EQ(restored.policy().battery_threshold_pct, 40);

  // Rebuilt from the journal under this policy, the history would be judged differently.
  try {
    Engine::from_snapshot(shelf_life_policy(), engine.snapshot());
    FAIL() << "a snapshot judged under another base policy must be refused";
  } catch (const SnapshotError& e) {
    EXPECT_NE(std::string(e.what()).find("policy"), std::string::npos) << e.what();
  }
}

class SnapshotBytes : public ::testing::Test {
 protected:
  SnapshotBytes() {
    Engine engine(default_policy(), kStart);
    for (const auto& [id, stream] : ClinicTraffic{}.build()) {
      for (const auto& m : stream) engine.apply(m, m.envelope.ts);
    }
    bytes_ = engine.snapshot();
  }

  static std::string refusal(std::string_view bytes) {
    try {
      Engine::from_snapshot(default_policy(), bytes);
    } catch (const SnapshotError& e) {
      return e.what();
    }
    return "";
  }

  std::string bytes_;
};

TEST_F(SnapshotBytes, AnotherFormatVersionIsRefused) {
  std::string other = bytes_;
  other[8] = static_cast<char>(snapshot_format + 1);  // the version follows the 8-byte magic
  EXPECT_NE(refusal(other).find("format"), std::string::npos) << refusal(other);
  EXPECT_NE(refusal("not a snapshot").find("magic"), std::string::npos);
}

// Format 5 added device.clinic_mismatch to the policy's rule table and the patient reference pattern: a
// format 4 snapshot would be read with a rule table one short, so it is refused and the journal replayed.
TEST_F(SnapshotBytes, AFormat4SnapshotIsRefused) {
  std::string older = bytes_;
  older[8] = 4;
  EXPECT_NE(refusal(older).find("snapshot format 4, this engine reads format 5"), std::string::npos) << refusal(older);
}

TEST_F(SnapshotBytes, EveryTruncationIsRefused) {
  for (std::size_t size = 0; size < bytes_.size(); size += 1 + size / 50) {
    EXPECT_FALSE(refusal(std::string_view(bytes_).substr(0, size)).empty()) << "truncated to " << size;
  }
  EXPECT_FALSE(refusal(bytes_ + "x").empty()) << "a stray byte at the end";
}

// A flipped byte may still decode (the store checksums what it keeps); it must never crash or
// allocate wildly: sizes are checked against the bytes left, enums against their range, indexes
// against what they index. (Run under AddressSanitizer in CI.)
TEST_F(SnapshotBytes, DamagedBytesNeverCrash) {
  std::mt19937_64 rng(11);
  int refused = 0;
  for (int i = 0; i < 150; ++i) {
    std::string damaged = bytes_;
    damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    refused += refusal(damaged).empty() ? 0 : 1;
  }
  EXPECT_GT(refused, 0);
}

TEST_F(SnapshotBytes, SizeIsBoundedByWhatIsLeft) {
  // A container size just after the magic and version claims far more than there is.
  std::string forged = bytes_.substr(0, 9) + std::string("\xff\xff\xff\xff\x0f", 5);
  EXPECT_NE(refusal(forged).find("bytes left"), std::string::npos) << refusal(forged);
}

}  // namespace
}  // namespace sterifleet::engine::testing
