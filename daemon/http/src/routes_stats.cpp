// Compliance per UTC day for the dashboard's charts: sessions, sessions that were compliant, alerts
// opened. Computed from store pages, so it covers any period the store holds, not just the engine's.
#include <map>

#include "router.hpp"

namespace sterifleet::http {

namespace {

using nlohmann::json;
using verb = boost::beast::http::verb;
using std::chrono::days;
using std::chrono::sys_days;

constexpr days max_period{366};
constexpr days default_period{30};
// Pages large enough that a year of a busy clinic is a few dozen queries, small enough to bound memory.
constexpr std::size_t scan_page = 5000;

struct Day {
  std::int64_t sessions = 0;
  std::int64_t compliant = 0;
  std::int64_t alerts_opened = 0;
};

sys_days day_of(const json& row, const char* field) {
  const auto& text = row.at(field).get_ref<const std::string&>();
  const auto ts = protocol::parse_timestamp(text);
  if (!ts) throw std::runtime_error(std::string("a stored row has a bad ") + field + ": " + text);
  return std::chrono::floor<days>(*ts);
}

template <class Fetch, class Visit>
void scan(Fetch fetch, Visit visit) {
  store::Page page{scan_page, {}};
  do {
    auto rows = fetch(page);
    for (const auto& row : rows.rows) visit(row);
    page.after = std::move(rows.next);
  } while (!page.after.empty());
}

Response compliance(const Call& call) {
  const auto& q = call.query;
  q.expect({"clinic", "from", "to"});
  const auto clinic = q.id("clinic");
  auto range = q.range();
  const Timestamp to = range.to.value_or(std::chrono::ceil<days>(call.context.now()));
  const Timestamp from = range.from.value_or(to - default_period);
  if (to <= from) bad_param("from", "must be earlier than to (which defaults to the end of today, UTC)");
  if (to - from > max_period) bad_param("to", "the period may span at most 366 days");

  std::map<sys_days, Day> by_day;
  for (auto d = std::chrono::floor<days>(from); d < to; d += days{1}) by_day[d];
  auto& store = call.context.services.store;
  scan(
      [&](const store::Page& page) {
        return store.sessions({clinic, std::nullopt, from, to, page, call.scope()});
      },
      [&](const json& row) {
        auto& day = by_day[day_of(row, "started")];
        ++day.sessions;
        if (row.value("compliant", false)) ++day.compliant;
      });
  scan(
      [&](const store::Page& page) {
        return store.alerts({std::nullopt, std::nullopt, clinic, std::nullopt, from, to, page, call.scope()});
      },
      [&](const json& row) {
        // A withdrawn alert never held: late data showed the condition was not there.
        if (row.value("state", "") != "withdrawn") ++by_day[day_of(row, "opened_at")].alerts_opened;
      });

  json days_out = json::array();
  Day total;
  for (const auto& [d, day] : by_day) {
    days_out.push_back({{"day", protocol::format_date(std::chrono::year_month_day{d})},
                        {"sessions", day.sessions},
                        {"compliant_sessions", day.compliant},
                        {"alerts_opened", day.alerts_opened}});
    total.sessions += day.sessions;
    total.compliant += day.compliant;
    total.alerts_opened += day.alerts_opened;
  }
  return json_response(boost::beast::http::status::ok, {{"clinic", clinic ? json(*clinic) : json(nullptr)},
                                                        {"from", protocol::format_timestamp(from)},
                                                        {"to", protocol::format_timestamp(to)},
                                                        {"days", std::move(days_out)},
                                                        {"totals",
                                                         {{"sessions", total.sessions},
                                                          {"compliant_sessions", total.compliant},
                                                          {"alerts_opened", total.alerts_opened}}}});
}

}  // namespace

void add_stats_routes(Router& router) {
  router.add(verb::get, "/api/v1/stats/compliance", Permission::read, compliance);
}

}  // namespace sterifleet::http
