// Notifications: who was told about an alert, when, and whether it arrived (the outbox rows with their
// attempts); the outbox as a whole with its dead letters; and the two things an admin does about
// delivery, a test notification and re-enabling a receiver that said it was gone. Sending goes through
// HttpOptions::notify, which the daemon fills from its notifier: this module knows no transport.
#include <spdlog/spdlog.h>

#include <stdexcept>

#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

const std::vector<std::string_view> outbox_states{"pending", "delivered", "dead", "cancelled"};
constexpr std::size_t max_receiver_name = 64;

Response alert_notifications(const Call& call) {
  call.query.expect({});
  const auto& id = call.params[0];
  auto& store = call.context.services.store;
  // As GET /alerts/{id}: an alert the caller cannot see has no notifications either.
  const auto alert = store.alert(id);
  if (!alert) throw ApiError(ErrorCode::not_found, "no alert " + id);
  call.require_visible_row(*alert, "no alert " + id);
  store::NotificationQuery query;
  query.alert_id = id;
  query.limit = max_page;
  return json_response(boost::beast::http::status::ok, {{"notifications", store.notifications(query)}});
}

Response list_notifications(const Call& call) {
  const auto& q = call.query;
  q.expect({"state", "receiver", "clinic", "limit"});
  store::NotificationQuery query;
  query.state = q.one_of("state", outbox_states);
  query.receiver = q.text("receiver");
  query.clinic = q.id("clinic");
  query.limit = q.limit();
  query.scope = call.scope();
  auto& store = call.context.services.store;
  json counts = json::object();
  for (const auto& [state, count] : store.notification_counts(call.scope())) counts[state] = count;
  json out{{"items", store.notifications(query)}, {"counts", std::move(counts)}};
  // Only an admin of every clinic can act on a disabled receiver (enable it), so only they see the list.
  if (call.principal->role == Role::admin && call.scope().all()) {
    json disabled = json::object();
    for (const auto& [name, why] : store.disabled_receivers()) disabled[name] = why;
    out["disabled_receivers"] = std::move(disabled);
  }
  return json_response(boost::beast::http::status::ok, out);
}

/// A person's action on delivery, kept in the audit trail like every other.
void record(const Call& call, const std::string& receiver, const std::string& action, json after) {
  call.context.services.fleet.record_audit(
      {call.context.now(), call.principal->actor(), "receiver:" + receiver, action, nullptr, std::move(after),
       std::string(call.request.method_string()) + " " + std::string(call.request.target())});
}

Response test_notification(const Call& call) {
  call.query.expect({});
  const JsonBody body(call.request.body());
  body.expect({"receiver"});
  const auto receiver = body.required_text("receiver", max_receiver_name);
  const auto& send = call.context.options.notify.test;
  if (!send) throw ApiError(ErrorCode::not_found, "no receiver named \"" + receiver + "\" (none is configured)");
  TestNotification outcome;
  try {
    outcome = send(receiver, call.principal->actor());
  } catch (const std::invalid_argument& e) {
    throw ApiError(ErrorCode::not_found, e.what());
  }
  json result{
      {"receiver", receiver}, {"delivered", outcome.delivered}, {"status", outcome.status}, {"answer", outcome.answer}};
  record(call, receiver, "notification_test", result);
  return json_response(boost::beast::http::status::ok, result);
}

Response enable_receiver(const Call& call) {
  call.query.expect({});
  const auto& receiver = call.params[0];
  const auto& enable = call.context.options.notify.enable_receiver;
  const bool was_disabled = enable ? enable(receiver) : call.context.services.store.enable_receiver(receiver);
  if (!was_disabled) throw ApiError(ErrorCode::not_found, "receiver \"" + receiver + "\" is not disabled");
  spdlog::warn("http: {} enabled receiver {} again", call.principal->actor(), receiver);
  json result{{"receiver", receiver}, {"enabled", true}};
  record(call, receiver, "receiver_enabled", result);
  return json_response(boost::beast::http::status::ok, result);
}

}  // namespace

void add_notification_routes(Router& router) {
  router.add(verb::get, "/api/v1/alerts/{id}/notifications", Permission::read, alert_notifications);
  router.add(verb::get, "/api/v1/notifications", Permission::oversee, list_notifications);
  // Receivers serve every clinic's alerts.
  router.add(verb::post, "/api/v1/notify/test", Permission::administer, test_notification, Reach::fleet);
  router.add(verb::post, "/api/v1/notify/receivers/{name}/enable", Permission::administer, enable_receiver,
             Reach::fleet);
}

}  // namespace sterifleet::http
