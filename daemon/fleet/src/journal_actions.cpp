#include "sterifleet/fleet/journal_actions.hpp"

#include <algorithm>
#include <optional>
#include <set>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/overloaded.hpp"

namespace sterifleet::fleet {

namespace {

using nlohmann::json;
using protocol::format_timestamp;

engine::Refusal bad_request(std::string message) { return {engine::RefusalCode::bad_request, std::move(message)}; }

// A journal body's fields, read strictly: each read names the kind and field it failed on, and the first
// failure is the one reported.
class BodyReader {
 public:
  BodyReader(const store::Action& action) : action_(action) {
    if (!action.body.is_object()) fail("", "the body must be an object");
  }

  std::string text(const char* key) {
    const auto* value = find(key);
    if (value && !value->is_string()) fail(key, "must be a string");
    return value && value->is_string() ? value->get<std::string>() : std::string();
  }
  Timestamp time(const char* key) {
    const std::string value = text(key);
    const auto parsed = protocol::parse_timestamp(value);
    if (ok() && !parsed) fail(key, "must be an RFC 3339 UTC timestamp");
    return parsed.value_or(Timestamp{});
  }
  /// A text that must not be empty (a receiver's name).
  std::string name(const char* key) {
    std::string value = text(key);
    if (ok() && value.empty()) fail(key, "must not be empty");
    return value;
  }
  protocol::ClinicId clinic(const char* key) {
    std::string value = text(key);
    if (ok() && !protocol::is_valid_id(value)) fail(key, "must be 1 to 64 letters, digits, '_', '.' or '-'");
    return protocol::ClinicId{std::move(value)};
  }
  bool flag(const char* key) {
    const auto* value = find(key);
    if (value && !value->is_boolean()) fail(key, "must be true or false");
    return value && value->is_boolean() && value->get<bool>();
  }
  /// null: every clinic; else a non-empty array of clinic ids.
  store::ClinicScope clinics(const char* key) {
    const auto* value = find(key);
    if (!value || value->is_null()) return {};
    std::set<std::string, std::less<>> only;
    if (value->is_array()) {
      for (const auto& clinic : *value) {
        if (clinic.is_string() && protocol::is_valid_id(clinic.get_ref<const std::string&>())) {
          only.insert(clinic.get<std::string>());
        }
      }
    }
    if (only.empty() || only.size() != value->size()) {
      fail(key, "must be null or a non-empty array of clinic ids");
      return {};
    }
    return store::ClinicScope(std::move(only));
  }
  store::TokenRecord token() {
    store::TokenRecord out;
    out.id = name("id");
    out.name = name("name");
    out.role = name("role");
    out.created_at = time("created_at");
    out.revoked = flag("revoked");
    out.clinics = clinics("clinics");
    return out;
  }
  bool ok() const { return !error_; }
  engine::Refusal error() const { return *error_; }

 private:
  const json* find(const char* key) {
    if (!ok()) return nullptr;
    const auto it = action_.body.find(key);
    if (it == action_.body.end()) {
      fail(key, "required field is missing");
      return nullptr;
    }
    return &*it;
  }
  void fail(std::string_view key, std::string_view why) {
    if (!error_) error_ = bad_request(action_.kind + " /" + std::string(key) + ": " + std::string(why));
  }

  const store::Action& action_;
  std::optional<engine::Refusal> error_;
};

template <class Kind>
boost::system::result<ActionKind, engine::Refusal> checked(BodyReader& in, Kind kind) {
  if (!in.ok()) return in.error();
  return ActionKind{std::move(kind)};
}

boost::system::result<ActionKind, engine::Refusal> read_kind(const store::Action& stored,
                                                             std::chrono::seconds max_clock_skew) {
  const std::string& kind = stored.kind;
  if (kind == "start") return ActionKind{action::Start{}};
  if (kind == "tick") return ActionKind{action::Tick{}};
  BodyReader in(stored);
  if (kind == "compact") return checked(in, action::Compact{in.time("cut")});
  if (kind == "acknowledge") return checked(in, action::Acknowledge{in.text("alert"), in.text("comment")});
  if (kind == "resolve") return checked(in, action::Resolve{in.text("alert"), in.text("reason")});
  if (kind == "maintenance") {
    auto device = in.text("device");
    const auto from = in.time("from");
    const auto to = in.time("to");
    return checked(in, action::Maintenance{protocol::DeviceId{std::move(device)}, {from, to, in.text("reason")}});
  }
  if (kind == "policy") return checked(in, action::SetPolicy{in.text("text"), in.text("source")});
  if (kind == "delivery_failed") {
    engine::DeliveryFailure failure;
    failure.receiver = in.name("receiver");
    failure.clinic = in.clinic("clinic");
    failure.alert_id = in.text("alert");
    failure.rule = in.text("rule");
    failure.answer = in.text("answer");
    failure.at = in.time("at");
    return checked(in, action::DeliveryFailed{std::move(failure)});
  }
  if (kind == "delivery_recovered") {
    auto receiver = in.name("receiver");
    return checked(in, action::DeliveryRecovered{std::move(receiver), in.clinic("clinic")});
  }
  if (kind == "token_created") {
    auto token = in.token();
    return checked(in, action::TokenCreated{std::move(token), in.text("cause")});
  }
  if (kind == "token_revoked") {
    auto token = in.token();
    return checked(in, action::TokenRevoked{std::move(token), in.text("cause")});
  }
  if (kind == "manual_reprocessing") {
    auto manual = read_manual_reprocessing(stored.body, stored.at, max_clock_skew);
    if (!manual) return manual.error();
    return ActionKind{std::move(*manual)};
  }
  return bad_request("unknown action " + kind);
}

}  // namespace

boost::system::result<action::ManualReprocessing, engine::Refusal> read_manual_reprocessing(
    const json& entry, Timestamp now, std::chrono::seconds max_clock_skew) {
  if (!entry.is_object()) return bad_request("the entry must be an object");
  // The id at `key` into `into`; else why not. (Not a result<std::string>: reading one after a separate
  // has-value check makes GCC 12 at -O2 warn of a null dereference it cannot rule out.)
  const auto read_id = [&](const char* key, std::string& into) -> std::optional<engine::Refusal> {
    const auto it = entry.find(key);
    if (it == entry.end()) return bad_request(std::string("/") + key + ": required field is missing");
    if (!it->is_string() || !protocol::is_valid_id(it->get_ref<const std::string&>())) {
      return bad_request(std::string("/") + key + ": must be 1 to 64 letters, digits, '_', '.' or '-'");
    }
    into = it->get<std::string>();
    return std::nullopt;
  };
  action::ManualReprocessing manual;
  std::string clinic;
  if (auto refused = read_id("clinic", clinic)) return std::move(*refused);
  if (auto refused = read_id("id", manual.entry.id)) return std::move(*refused);
  manual.entry.clinic = protocol::ClinicId{std::move(clinic)};
  manual.entry.at = now;
  if (const auto at = entry.find("at"); at != entry.end()) {
    const auto parsed = at->is_string() ? protocol::parse_timestamp(at->get_ref<const std::string&>()) : std::nullopt;
    if (!parsed) return bad_request("/at: must be an RFC 3339 UTC timestamp");
    if (*parsed > now + max_clock_skew) {
      return bad_request(
          "/at: " + std::to_string(std::chrono::duration_cast<std::chrono::seconds>(*parsed - now).count()) +
          " s ahead of the receiver's clock (at most " + std::to_string(max_clock_skew.count()) + " s allowed)");
    }
    manual.entry.at = *parsed;
    manual.at_given = true;
  }
  const auto cycle = entry.find("cycle");
  if (cycle == entry.end()) return bad_request("/cycle: required field is missing");
  std::vector<protocol::Drift> drift;
  auto decoded = protocol::decode_cycle_body(*cycle, "/cycle", drift);
  if (!decoded) return bad_request(decoded.error().message());
  if (!drift.empty()) {
    // A person's entry is held to the letter of the spec: nothing to judge conservatively.
    return bad_request(drift.front().path + ": " + drift.front().value + ": " + drift.front().detail);
  }
  manual.entry.cycle = std::move(*decoded);
  manual.cycle = *cycle;
  return manual;
}

json token_json(const store::TokenRecord& token) {
  return {{"id", token.id},
          {"name", token.name},
          {"role", token.role},
          {"clinics", token.clinics.to_json()},
          {"created_at", format_timestamp(token.created_at)},
          {"revoked", token.revoked}};
}

namespace {

json with_cause(json body, const std::string& cause) {
  body["cause"] = cause;
  return body;
}

engine::AuditRecord token_audit(const JournalAction& action, const action::TokenCreated& created) {
  return {action.at,    action.actor, "token:" + created.token.id, "token_created", nullptr, token_json(created.token),
          created.cause};
}

engine::AuditRecord token_audit(const JournalAction& action, const action::TokenRevoked& revoked) {
  auto after = revoked.token;
  after.revoked = true;
  return {action.at,         action.actor, "token:" + revoked.token.id, "token_revoked", token_json(revoked.token),
          token_json(after), revoked.cause};
}

template <class TokenAction>
engine::Effects token_effects(const JournalAction& action, const TokenAction& what) {
  engine::Effects out;
  out.audit.push_back(token_audit(action, what));
  return out;
}

}  // namespace

store::Action to_stored(const JournalAction& action) {
  store::Action out{action.at, action.actor, {}, json::object()};
  std::visit(
      Overloaded{[&](const action::Start&) { out.kind = "start"; }, [&](const action::Tick&) { out.kind = "tick"; },
                 [&](const action::Compact& a) {
                   out.kind = "compact";
                   out.body = {{"cut", format_timestamp(a.cut)}};
                 },
                 [&](const action::Acknowledge& a) {
                   out.kind = "acknowledge";
                   out.body = {{"alert", a.alert}, {"comment", a.comment}};
                 },
                 [&](const action::Resolve& a) {
                   out.kind = "resolve";
                   out.body = {{"alert", a.alert}, {"reason", a.reason}};
                 },
                 [&](const action::Maintenance& a) {
                   out.kind = "maintenance";
                   out.body = {{"device", a.device.str()},
                               {"from", format_timestamp(a.window.from)},
                               {"to", format_timestamp(a.window.to)},
                               {"reason", a.window.reason}};
                 },
                 [&](const action::SetPolicy& a) {
                   out.kind = "policy";
                   out.body = {{"text", a.text}, {"source", a.source}};
                 },
                 [&](const action::ManualReprocessing& a) {
                   out.kind = "manual_reprocessing";
                   out.body = {{"clinic", a.entry.clinic.str()}, {"id", a.entry.id}, {"cycle", a.cycle}};
                   if (a.at_given) out.body["at"] = format_timestamp(a.entry.at);
                 },
                 [&](const action::DeliveryFailed& a) {
                   const auto& f = a.failure;
                   out.kind = "delivery_failed";
                   out.body = {{"receiver", f.receiver}, {"clinic", f.clinic.str()}, {"alert", f.alert_id},
                               {"rule", f.rule},         {"answer", f.answer},       {"at", format_timestamp(f.at)}};
                 },
                 [&](const action::DeliveryRecovered& a) {
                   out.kind = "delivery_recovered";
                   out.body = {{"receiver", a.receiver}, {"clinic", a.clinic.str()}};
                 },
                 [&](const action::TokenCreated& a) {
                   out.kind = "token_created";
                   out.body = with_cause(token_json(a.token), a.cause);
                 },
                 [&](const action::TokenRevoked& a) {
                   out.kind = "token_revoked";
                   out.body = with_cause(token_json(a.token), a.cause);
                 }},
      action.what);
  return out;
}

boost::system::result<JournalAction, engine::Refusal> read_action(const store::Action& stored,
                                                                  std::chrono::seconds max_clock_skew) {
  auto kind = read_kind(stored, max_clock_skew);
  // Through the pointer it is checked by: after a separate has-value check, GCC cannot see that the
  // unchecked operator* never yields null, and warns (-Wnull-dereference) at -O2.
  if (auto* what = kind.operator->()) return JournalAction{stored.at, stored.actor, std::move(*what)};
  return kind.error();
}

engine::Effects apply(engine::Engine& engine, const JournalAction& action) {
  const auto at = action.at;
  const auto& by = action.actor;
  return std::visit(
      Overloaded{
          [&](const action::Start&) {
            engine.note_start(at);
            return engine::Effects{};
          },
          [&](const action::Tick&) { return engine.tick(at); },
          [&](const action::Compact& a) {
            engine.compact(a.cut);
            return engine::Effects{};
          },
          [&](const action::Acknowledge& a) { return engine.acknowledge(a.alert, by, a.comment, at); },
          [&](const action::Resolve& a) { return engine.resolve(a.alert, by, a.reason, at); },
          [&](const action::Maintenance& a) { return engine.add_maintenance(a.device, a.window, by, at); },
          [&](const action::SetPolicy& a) {
            auto parsed = engine::parse_policy(a.text, a.source);
            if (auto* policy = std::get_if<engine::Policy>(&parsed)) {
              return engine.set_policy(std::move(*policy), by, at);
            }
            engine::Effects refused;
            refused.refusal = bad_request(std::get<1>(parsed).front().to_string());
            return refused;
          },
          [&](const action::ManualReprocessing& a) { return engine.record_manual_reprocessing(a.entry, by, at); },
          [&](const action::DeliveryFailed& a) { return engine.delivery_failed(a.failure, at); },
          [&](const action::DeliveryRecovered& a) { return engine.delivery_recovered(a.receiver, a.clinic, at); },
          [&](const action::TokenCreated& a) { return token_effects(action, a); },
          [&](const action::TokenRevoked& a) { return token_effects(action, a); }},
      action.what);
}

boost::system::result<store::Commit, engine::Refusal> token_commit(store::Store& store, const JournalAction& action,
                                                                   const std::string& sha256_hex) {
  const auto tokens = store.tokens();
  store::Commit commit;
  if (const auto* created = std::get_if<action::TokenCreated>(&action.what)) {
    const auto& name = created->token.name;
    if (name == "bootstrap" ||
        std::any_of(tokens.begin(), tokens.end(), [&](const store::TokenRecord& t) { return t.name == name; })) {
      return engine::Refusal{engine::RefusalCode::conflict,
                             "the token name " + name + " is taken; names are never reused, so the audit trail's " +
                                 "\"token:" + name + "\" names one token"};
    }
    commit.actions.push_back(to_stored(action));
    commit.audit.push_back(token_audit(action, *created));
    commit.new_tokens.push_back({created->token, sha256_hex});
    return commit;
  }
  const auto* revoked = std::get_if<action::TokenRevoked>(&action.what);
  if (!revoked) return bad_request("not a token action");
  const auto& id = revoked->token.id;
  const auto stored =
      std::find_if(tokens.begin(), tokens.end(), [&](const store::TokenRecord& t) { return t.id == id; });
  if (stored == tokens.end()) return engine::Refusal{engine::RefusalCode::not_found, "no token " + id};
  if (stored->revoked) return engine::Refusal{engine::RefusalCode::conflict, "token " + id + " is revoked already"};
  // Journaled and audited as it was, whatever the caller knew of it.
  const JournalAction as_stored{action.at, action.actor, action::TokenRevoked{*stored, revoked->cause}};
  commit.actions.push_back(to_stored(as_stored));
  commit.audit.push_back(token_audit(as_stored, std::get<action::TokenRevoked>(as_stored.what)));
  commit.revoked_tokens.push_back(id);
  return commit;
}

engine::Effects apply_stored(engine::Engine& engine, const store::Action& stored, std::chrono::seconds max_clock_skew) {
  auto action = read_action(stored, max_clock_skew);
  if (!action) {
    engine::Effects refused;
    refused.refusal = action.error();
    return refused;
  }
  return apply(engine, *action);
}

}  // namespace sterifleet::fleet
