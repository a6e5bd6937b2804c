#include "oracle.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <variant>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::sim::testing {

namespace {

using namespace sterifleet::protocol;
using Key = std::pair<std::string, std::string>;

struct Alerts {
  OracleResult& result;
  std::set<Key> open;
  void fire(const std::string& rule, const std::string& subject) {
    if (open.insert({rule, subject}).second) ++result.opened[{rule, subject}];
  }
  void resolve(const std::string& rule, const std::string& subject) { open.erase({rule, subject}); }
  bool is_open(const std::string& rule, const std::string& subject) const { return open.contains({rule, subject}); }
};

// An area the spec does not list is held to the strictest limit (daemon/engine/README.md).
double depth_limit(const protocol::Listed<TreatmentArea>& listed) {
  if (!listed.known) return 0.5;
  switch (*listed.known) {
    case TreatmentArea::cheek:
      return 1.5;
    case TreatmentArea::perioral:
      return 1.0;
    case TreatmentArea::scalp:
      return 1.0;
    case TreatmentArea::body:
      return 2.0;
    default:
      return 0.5;
  }
}

/// CDC 2008 minimums as the engine README tabulates them.
bool parameters_ok(const CycleComplete& c) {
  const double t = c.temperature.value;
  const auto s = c.exposure.count();
  switch (c.method) {
    case Method::steam_prevac:
      return t >= 132.0 && s >= (c.wrapped ? 240 : 180);
    case Method::steam_gravity:
      if (!c.wrapped) return t >= 132.0 && s >= 180;
      return t >= 132.0 ? s >= 900 : t >= 121.0 && s >= 1800;
    case Method::dry_heat:
      return t >= 170.0 ? s >= 3600 : t >= 160.0 ? s >= 7200 : t >= 150.0 && s >= 9000;
    case Method::chemical:
      return false;  // default policy: every model needs sterilization
  }
  return false;
}

struct CycleFact {
  std::string sterilizer;
  std::string id;
  Timestamp ts;
  bool good = false;
};

struct PenFacts {
  std::optional<Timestamp> last_end;
  std::optional<Timestamp> last_start;
  std::optional<CartridgeId> mounted;
  std::optional<Timestamp> shelf_from;  ///< last valid reprocessing not yet followed by a session start
};

struct Ordered {
  DeviceMessage message;
  std::size_t order = 0;
};

class DeviceTimeRules {
 public:
  DeviceTimeRules(OracleResult& result, const OracleOptions& options) : alerts_{result, {}}, options_(options) {}

  /// "<pen>/<session>" of a session.start the daemon cannot judge: its end is expected without a start.
  void unjudged(std::string session) { unjudged_.insert(std::move(session)); }

  void run(std::vector<Ordered> messages) {
    std::stable_sort(messages.begin(), messages.end(), [](const Ordered& a, const Ordered& b) {
      return a.message.envelope.ts != b.message.envelope.ts ? a.message.envelope.ts < b.message.envelope.ts
                                                            : a.order < b.order;
    });
    for (const auto& m : messages) {
      check_shelf_life(m.message);
      std::visit([&](const auto& body) { on(m.message, body); }, m.message.body);
    }
  }

 private:
  const std::string& dev(const DeviceMessage& m) { return m.envelope.device.str(); }

  /// Latest reprocessing of `pen` at or before t that is valid at t.
  std::optional<Timestamp> valid_reprocessing(const std::string& pen, Timestamp t) const {
    std::optional<Timestamp> best;
    const auto it = loads_.find(pen);
    if (it == loads_.end()) return best;
    for (const auto index : it->second) {
      const auto& c = cycles_[index];
      if (!c.good || c.ts > t) continue;
      bool recalled = false;
      for (const auto& [ster, cycle_ts, read_at] : recalls_) {
        if (ster == c.sterilizer && c.ts <= cycle_ts && read_at <= t) recalled = true;
      }
      if (!recalled && (!best || c.ts > *best)) best = c.ts;
    }
    return best;
  }

  void check_shelf_life(const DeviceMessage& m) {
    if (options_.shelf_life.count() == 0) return;
    const auto now = m.envelope.ts;
    for (auto& [pen, facts] : pens_) {
      if (clinic_of_.at(pen) != m.clinic.str() || !facts.shelf_from) continue;
      if (now > *facts.shelf_from + options_.shelf_life) {
        alerts_.fire("device.sterility_expired", pen);
        facts.shelf_from.reset();
      }
    }
  }

  void on(const DeviceMessage& m, const SessionStart& s) {
    ++alerts_.result.sessions;
    const auto& pen = dev(m);
    auto& facts = pens_[pen];
    clinic_of_[pen] = m.clinic.str();
    const auto t = m.envelope.ts;
    const auto reprocessed = valid_reprocessing(pen, t);
    if (facts.last_end && (!reprocessed || *reprocessed < *facts.last_end)) {
      alerts_.fire("device.used_without_reprocessing", pen);
    }
    if (facts.mounted && *facts.mounted != s.cartridge.id) resolve_cartridge(facts.mounted->str());
    const auto& cid = s.cartridge.id.str();
    if (!cartridges_seen_.insert(cid).second) alerts_.fire("cartridge.reused", cid);
    if (std::chrono::sys_days{utc_date(t)} > std::chrono::sys_days{s.cartridge.expires}) {
      alerts_.fire("cartridge.expired", cid);
    }
    if (s.depth.value > depth_limit(s.area) + 1e-9)
      alerts_.fire("session.depth_exceeds_policy", pen + "/" + s.session.str());
    open_sessions_[pen + "/" + s.session.str()] = s;
    facts.mounted = s.cartridge.id;
    facts.last_start = t;
    facts.shelf_from.reset();
  }

  void on(const DeviceMessage& m, const SessionEnd& e) {
    const auto& pen = dev(m);
    const auto key = pen + "/" + e.session.str();
    const auto it = open_sessions_.find(key);
    if (it == open_sessions_.end()) {
      if (!unjudged_.contains(key)) alerts_.result.problems.push_back("session.end without start: " + key);
      return;
    }
    const auto& cart = it->second.cartridge;
    if (e.strokes > cart.max_strokes || (cart.max_runtime && e.runtime > *cart.max_runtime)) {
      alerts_.fire("cartridge.overused", cart.id.str());
    }
    alerts_.resolve("session.depth_exceeds_policy", key);
    pens_[pen].last_end = m.envelope.ts;
    open_sessions_.erase(it);
  }

  void resolve_cartridge(const std::string& id) {
    for (const auto* rule : {"cartridge.reused", "cartridge.expired", "cartridge.overused"}) alerts_.resolve(rule, id);
  }

  void on(const DeviceMessage& m, const CartridgeRemove& r) {
    resolve_cartridge(r.cartridge.str());
    pens_[dev(m)].mounted.reset();
  }
  void on(const DeviceMessage&, const CartridgeInsert&) {}
  void on(const DeviceMessage&, const Fault&) {}
  void on(const DeviceMessage&, const Birth&) {}

  void on(const DeviceMessage& m, const Telemetry& t) {
    const auto& device = dev(m);
    if (t.battery.value < options_.min_battery) {
      battery_problems_.insert(device);
    }
    if (t.battery.value < 15.0) alerts_.fire("device.battery_low", device);
    if (t.battery.value >= 25.0) alerts_.resolve("device.battery_low", device);
    if (static_cast<double>(t.motor_runtime.count()) > 500.0 * 3600.0)
      alerts_.fire("device.service_due", device);
    else
      alerts_.resolve("device.service_due", device);
  }

  void on(const DeviceMessage& m, const CycleComplete& c) {
    ++alerts_.result.cycles;
    alerts_.result.load_items += static_cast<int>(c.load.size());
    const auto& ster = dev(m);
    const auto subject = ster + "/" + c.cycle.str();
    const auto day = utc_date(m.envelope.ts);
    if (!first_cycle_day_.contains({ster, format_date(day)})) {
      first_cycle_day_.insert({ster, format_date(day)});
      if (c.method == Method::steam_prevac && !bd_pass_day_.contains({ster, format_date(day)})) {
        alerts_.fire("sterilizer.daily_test_missing", ster);
      }
    }
    const bool params = parameters_ok(c);
    if (!params) alerts_.fire("cycle.parameters_insufficient", subject);
    if (c.chemical_indicator == PassFail::fail) alerts_.fire("cycle.indicator_failed", subject);
    const bool good = params && c.chemical_indicator == PassFail::pass;
    cycles_.push_back(CycleFact{ster, c.cycle.str(), m.envelope.ts, good});
    cycle_ts_[subject] = m.envelope.ts;
    for (const auto& item : c.load) {
      loads_[item.str()].push_back(cycles_.size() - 1);
      if (!good) continue;
      alerts_.resolve("device.used_without_reprocessing", item.str());
      alerts_.resolve("device.sterility_expired", item.str());
      clinic_of_[item.str()] = m.clinic.str();
      pens_[item.str()].shelf_from = m.envelope.ts;
    }
  }

  void on(const DeviceMessage& m, const BiResult& b) {
    const auto& ster = dev(m);
    const auto subject = ster + "/" + b.cycle.str();
    const auto it = cycle_ts_.find(subject);
    if (it == cycle_ts_.end()) {
      alerts_.result.problems.push_back("bi.result for unknown cycle " + subject);
      return;
    }
    const auto delay = m.envelope.ts - it->second;
    if (delay < std::chrono::hours{23} || delay > std::chrono::hours{40}) {
      alerts_.result.problems.push_back("bi.result not ~24 h after its cycle: " + subject);
    }
    if (b.result == BiReading::positive) {
      alerts_.fire("cycle.bi_positive", subject);
      recalls_.emplace_back(ster, it->second, m.envelope.ts);
      // Pens whose valid reprocessing was just recalled are no longer ready: shelf life stops counting.
      for (auto& [pen, facts] : pens_) {
        if (facts.shelf_from && !valid_reprocessing(pen, m.envelope.ts)) facts.shelf_from.reset();
      }
    }
  }

  void on(const DeviceMessage& m, const BowieDickTest& t) {
    const auto& ster = dev(m);
    if (t.result == PassFail::fail) {
      alerts_.fire("sterilizer.daily_test_failed", ster);
      return;
    }
    bd_pass_day_.insert({ster, format_date(utc_date(m.envelope.ts))});
    alerts_.resolve("sterilizer.daily_test_failed", ster);
    alerts_.resolve("sterilizer.daily_test_missing", ster);
  }

 public:
  std::set<std::string> battery_problems_;

 private:
  Alerts alerts_;
  OracleOptions options_;
  std::map<std::string, PenFacts> pens_;
  std::map<std::string, std::string> clinic_of_;
  std::map<std::string, SessionStart> open_sessions_;
  std::set<std::string> cartridges_seen_;
  std::vector<CycleFact> cycles_;
  std::map<std::string, std::vector<std::size_t>> loads_;
  std::map<std::string, Timestamp> cycle_ts_;
  std::vector<std::tuple<std::string, Timestamp, Timestamp>> recalls_;  // sterilizer, cycle ts, read at
  std::set<std::pair<std::string, std::string>> first_cycle_day_;
  std::set<std::pair<std::string, std::string>> bd_pass_day_;
  std::set<std::string> unjudged_;
};

/// Rules measured at receipt (arrival order): sequence gaps, unknown devices, identity mismatches;
/// plus the structural promises of the protocol.
class ArrivalRules {
 public:
  explicit ArrivalRules(OracleResult& result) : alerts_{result, {}} {}

  void connect(const Connect& c) {
    auto& boot = boots_[c.device.str()];
    if (c.power_up && boot != 0 && c.boot != boot + 1) problem("boot not incremented by one: " + c.device.str());
    if (!c.power_up && c.boot != boot) problem("reconnect with another boot: " + c.device.str());
    boot = c.boot;
  }

  void status(const StatusMessage& s) {
    if (s.online)
      ++alerts_.result.status_online;
    else if (s.shutdown)
      ++alerts_.result.status_shutdown;
    else
      ++alerts_.result.status_offline;
    if (s.boot != boots_[s.device.str()]) problem("status of another boot: " + s.device.str());
  }

  void misattributed(const std::string& device) { alerts_.fire("device.identity_mismatch", device); }

  /// An event the daemon rejects: one critical alert for it, and its seq counts as received.
  void rejected(const std::string& device, const MessageKey& key, bool first_send) {
    const auto subject = device + "/" + std::to_string(key.boot) + "/" + std::to_string(key.seq);
    if (first_send) alerts_.fire("device.event_rejected", subject);
    sequence(device, key.boot, key.seq, std::nullopt, first_send);
  }

  /// One warning per device and field that drifted.
  void drift(const DeviceMessage& m) {
    for (const auto& d : m.drift) alerts_.fire("device.protocol_drift", m.envelope.device.str() + d.path);
  }

  void message(const DeviceMessage& m, bool first_send) {
    const auto& device = m.envelope.device.str();
    const auto boot = m.envelope.boot;
    if (boot != boots_[device]) problem("message of another boot than connected: " + device);
    alerts_.resolve("device.identity_mismatch", device);
    if (std::holds_alternative<Birth>(m.body)) {
      born_.insert(device);
      alerts_.resolve("device.unknown", device);
    } else if (!born_.contains(device)) {
      alerts_.fire("device.unknown", device);
    }
    if (!sequence(device, boot, m.envelope.seq, m.envelope.ts, first_send)) return;
    if (m.envelope.seq == 1 && !std::holds_alternative<Birth>(m.body) && born_.contains(device)) {
      problem("seq 1 is not a birth: " + device);
    }
  }

  /// Sequence bookkeeping; false for a seq received before.
  bool sequence(const std::string& device, std::uint32_t boot, std::uint64_t seq, std::optional<Timestamp> ts,
                bool first_send) {
    auto& seqs = seqs_[{device, boot}];
    if (seqs.received.contains(seq)) {
      if (first_send) problem("seq reused: " + device + " " + std::to_string(seq));
      return false;
    }
    if (!first_send) problem("replay of something never sent: " + device);
    seqs.received.insert(seq);
    if (seq > seqs.max + 1) {
      for (auto s = seqs.max + 1; s < seq; ++s) seqs.missing.insert(s);
      alerts_.fire("device.sequence_gap", device);
    }
    seqs.missing.erase(seq);
    if (seqs.missing.empty()) alerts_.resolve("device.sequence_gap", device);
    if (seq > seqs.max) {
      if (ts && seqs.max != 0 && *ts < seqs.last_ts) problem("ts goes backwards along seq: " + device);
      seqs.max = seq;
      if (ts) seqs.last_ts = *ts;
    }
    return true;
  }

  void problem(std::string text) { alerts_.result.problems.push_back(std::move(text)); }

 private:
  struct Seqs {
    std::uint64_t max = 0;
    Timestamp last_ts;
    std::set<std::uint64_t> received;
    std::set<std::uint64_t> missing;
  };
  Alerts alerts_;
  std::map<std::string, std::uint32_t> boots_;
  std::set<std::string> born_;
  std::map<std::pair<std::string, std::uint32_t>, Seqs> seqs_;
};

}  // namespace

OracleResult check(const std::vector<Action>& actions, const OracleOptions& options) {
  OracleResult result;
  ArrivalRules arrival(result);
  std::vector<Ordered> unique;
  std::vector<std::string> unjudged;
  const DecodeContext context{Timestamp::max() - std::chrono::hours{24 * 365 * 100}};
  Timestamp previous{};
  for (std::size_t i = 0; i < actions.size(); ++i) {
    const auto& action = actions[i];
    if (action.at < previous) arrival.problem("actions out of time order");
    previous = action.at;
    if (const auto* c = std::get_if<Connect>(&action.what)) {
      arrival.connect(*c);
      continue;
    }
    const auto* p = std::get_if<Publish>(&action.what);
    if (p == nullptr) continue;
    const auto decoded = decode(p->topic, p->payload, context);
    if (!p->key && !p->retained) {  // the identity-mismatch payload
      if (decoded || decoded.error().reason != Reason::identity_mismatch) {
        arrival.problem("unsequenced payload that is not an identity mismatch: " + p->payload);
      }
      arrival.misattributed(p->device.str());
      continue;
    }
    if (!decoded) {
      // The injected event the daemon cannot judge: a session start whose expiry is not a date.
      if (decoded.error().path == "/body/cartridge/expires" && p->key->type == "session.start") {
        arrival.rejected(p->device.str(), *p->key, p->first_send);
        const auto body = nlohmann::json::parse(p->payload).at("body");
        unjudged.push_back(p->device.str() + "/" + body.at("session").get<std::string>());
        continue;
      }
      arrival.problem("undecodable: " + decoded.error().message() + " in " + p->payload);
      continue;
    }
    const Inbound inbound = decoded.value();
    if (const auto* status = std::get_if<StatusMessage>(&inbound)) {
      arrival.status(*status);
      continue;
    }
    const auto& message = std::get<DeviceMessage>(inbound);
    if (message.envelope.ts > action.at) arrival.problem("message ts after its action time");
    arrival.drift(message);
    if (p->first_send) {
      ++result.types[std::string(type_name(message.body))];
      unique.push_back(Ordered{message, i});
    }
    arrival.message(message, p->first_send);
  }
  DeviceTimeRules rules(result, options);
  for (auto& session : unjudged) rules.unjudged(std::move(session));
  rules.run(std::move(unique));
  for (const auto& device : rules.battery_problems_) {
    result.problems.push_back("battery below " + std::to_string(options.min_battery) + " %: " + device);
  }
  return result;
}

}  // namespace sterifleet::sim::testing
