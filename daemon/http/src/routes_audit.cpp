// What auditors read: the hash-chained audit trail and its verification, the quarantine of rejected
// messages (managers too: a rejected message is often a device to look at), and the commands sent to devices.
#include <charconv>
#include <limits>

#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;

// A token for some clinics reads their records only; the fleet's (policy, tokens) name no clinic.
Response list_audit(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "actor", "action", "entity", "from", "to", "after", "limit"});
  const auto after = q.integer("after", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
  const auto period = q.range();
  const store::AuditFilter filter{.clinic = q.id("clinic"),
                                  .actor = q.text("actor"),
                                  .action = q.text("action"),
                                  .entity = q.text("entity"),
                                  .from = period.from,
                                  .to = period.to,
                                  .scope = call.scope()};
  return json_response(boost::beast::http::status::ok,
                       page_json(call.context.services.store.audit_records(after, q.limit(), filter)));
}

Response verify_audit(const Call& call) {
  call.query.expect({});
  const auto v = call.context.services.store.verify_audit();
  return json_response(boost::beast::http::status::ok,
                       {{"intact", v.intact},
                        {"records", v.records},
                        {"first_bad", v.first_bad ? json(*v.first_bad) : json(nullptr)},
                        {"first_bad_chain", v.first_bad ? json(v.first_bad_chain) : json(nullptr)},
                        {"problem", v.problem},
                        {"chains", v.chains},
                        {"unanchored", v.unanchored},
                        {"head", {{"seq", v.head.seq}, {"hash", v.head.hash}}}});
}

store::RecordQuery history_query(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "device", "from", "to", "limit", "after"});
  store::RecordQuery query;
  query.clinic = q.id("clinic");
  query.device = q.id("device");
  const auto range = q.range();
  query.from = range.from;
  query.to = range.to;
  query.page = {q.limit(), q.cursor()};
  query.scope = call.scope();
  return query;
}

Response list_quarantine(const Call& call) {
  return json_response(boost::beast::http::status::ok,
                       page_json(call.context.services.store.quarantine(history_query(call))));
}

// The message a device.event_rejected alert names (its trigger "quarantine:<id>").
Response get_quarantined(const Call& call) {
  call.query.expect({});
  const auto& text = call.params[0];
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  std::optional<json> row;
  if (error == std::errc{} && end == text.data() + text.size()) row = call.context.services.store.quarantined(id);
  if (!row) throw ApiError(ErrorCode::not_found, "no quarantined message " + text);
  call.require_visible_row(*row, "no quarantined message " + text);
  return json_response(boost::beast::http::status::ok, *row);
}

Response quarantine_counts(const Call& call) {
  call.query.expect({});
  json counts = json::object();
  std::int64_t total = 0;
  for (const auto& [reason, count] : call.context.services.store.quarantine_counts()) {
    counts[reason] = count;
    total += count;
  }
  return json_response(boost::beast::http::status::ok, {{"total", total}, {"by_reason", std::move(counts)}});
}

Response list_commands(const Call& call) {
  return json_response(boost::beast::http::status::ok,
                       page_json(call.context.services.store.commands(history_query(call))));
}

}  // namespace

void add_audit_routes(Router& router) {
  // Each record names its clinic, so a clinic's records can be listed; verification walks every chain
  // (and the fleet chain's anchors of the clinics'), so only a token for all of them can verify.
  router.add(verb::get, "/api/v1/audit", Permission::audit, list_audit);
  router.add(verb::get, "/api/v1/audit/verify", Permission::audit, verify_audit, Reach::fleet);
  router.add(verb::get, "/api/v1/quarantine", Permission::oversee, list_quarantine);
  router.add(verb::get, "/api/v1/quarantine/counts", Permission::oversee, quarantine_counts, Reach::fleet);
  router.add(verb::get, "/api/v1/quarantine/{id}", Permission::oversee, get_quarantined);
  router.add(verb::get, "/api/v1/commands", Permission::audit, list_commands);
}

}  // namespace sterifleet::http
