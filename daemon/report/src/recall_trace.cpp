#include "recall_trace.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

namespace sterifleet::report {

namespace {

using nlohmann::json;
using protocol::Timestamp;
using std::chrono::days;
using std::chrono::milliseconds;

Timestamp time_of(const json& row, const char* field) {
  const auto& text = row.at(field).get_ref<const std::string&>();
  const auto ts = protocol::parse_timestamp(text);
  if (!ts) throw store::StoreError(std::string("a stored row has a bad ") + field + ": " + text);
  return *ts;
}

std::string text_of(const json& row, const char* field) {
  const auto found = row.find(field);
  return found != row.end() && found->is_string() ? found->get<std::string>() : std::string();
}

std::vector<json> cycles_between(store::Store& store, const std::string& sterilizer, Timestamp from, Timestamp to) {
  std::vector<json> out;
  store.scan_cycles({std::nullopt, sterilizer, from, to},
                    [&](std::string_view row) { out.push_back(json::parse(row)); });
  return out;
}

// The cycles the engine marked as recalled by `positive`: a run of the sterilizer's cycles ending at it
// (each cycle is recalled by the earliest-read positive BI at or after it, so the run is unbroken).
// Walks back in widening windows, newest first, and returns them oldest first.
std::vector<json> recalled_cycles(store::Store& store, const json& positive) {
  const auto key = text_of(positive, "key");
  const auto sterilizer = text_of(positive, "sterilizer");
  store::RecordQuery first;
  first.device = sterilizer;
  first.page.limit = 1;
  const auto oldest = store.cycles(first);
  if (oldest.rows.empty()) return {};
  const Timestamp earliest = time_of(oldest.rows.front(), "ts");

  std::vector<json> found;
  bool reached_positive = false;
  Timestamp end = time_of(positive, "ts") + milliseconds(1);
  days window{7};
  while (true) {
    const Timestamp start = end - window;
    auto rows = cycles_between(store, sterilizer, start, end);
    for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
      if (!reached_positive) {
        reached_positive = text_of(*row, "key") == key;  // later cycles of the same millisecond come first
        if (!reached_positive) continue;
      }
      if (text_of(*row, "recalled_by") != key) {
        std::reverse(found.begin(), found.end());
        return found;
      }
      found.push_back(std::move(*row));
    }
    if (start <= earliest) break;
    end = start;
    window *= 2;
  }
  std::reverse(found.begin(), found.end());
  return found;
}

class SessionTracer {
 public:
  SessionTracer(store::Store& store, const std::vector<json>& recalled) : store_(store) {
    for (const auto& cycle : recalled) recalled_keys_.insert(text_of(cycle, "key"));
  }

  // Sessions of `pen` after `cycle` until a reprocessing by a cycle that was not recalled.
  void trace(const std::string& pen, const json& cycle) {
    const Timestamp after = time_of(cycle, "ts");
    store::RecordQuery query;
    query.device = pen;
    query.from = after + milliseconds(1);
    // The trace usually ends a session or two later, at the pen's next reprocessing.
    query.page.limit = 16;
    do {
      auto rows = store_.sessions(query);
      query.page.limit = 1000;
      for (const auto& session : rows.rows) {
        if (cleared_by_other_cycle_since(session, after)) return;
        if (!seen_.insert(pen + "/" + text_of(session, "session")).second) continue;
        sessions_.push_back({{"pen", pen},
                             {"session", session.at("session")},
                             {"started", session.at("started")},
                             {"operator", session.at("operator")},
                             {"patient", session.at("patient")},
                             {"patient_drift", session.value("patient_drift", json(nullptr))},
                             {"after_cycle", cycle.at("key")}});
      }
      query.page.after = std::move(rows.next);
    } while (!query.page.after.empty());
  }

  json sessions() {
    // As Engine::recall orders them: by start, then pen and session for those started together.
    const auto key = [](const json& s) {
      return std::tie(s.at("started").get_ref<const std::string&>(), s.at("pen").get_ref<const std::string&>(),
                      s.at("session").get_ref<const std::string&>());
    };
    std::sort(sessions_.begin(), sessions_.end(), [&](const json& a, const json& b) { return key(a) < key(b); });
    return json(std::move(sessions_));
  }

 private:
  // A session's clearance is the reprocessing that made it legal when it started: one recalled since (by
  // this BI or another, as Engine::recall counts it) did not make the pen safe, so the trace goes on.
  bool cleared_by_other_cycle_since(const json& session, Timestamp after) {
    const auto clearance = text_of(session, "clearance");
    if (clearance.empty() || clearance == "first use" || recalled_keys_.contains(clearance)) return false;
    auto [known, added] = cycle_times_.try_emplace(clearance);
    if (added) {
      const auto cycle = store_.cycle(clearance);
      known->second = cycle && text_of(*cycle, "recalled_at").empty() ? time_of(*cycle, "ts") : Timestamp{};
    }
    return known->second > after;
  }

  store::Store& store_;
  std::set<std::string> recalled_keys_;
  std::map<std::string, Timestamp> cycle_times_;
  std::set<std::string> seen_;
  std::vector<json> sessions_;
};

}  // namespace

json trace_recall(store::Store& store, const json& positive_cycle) {
  const auto& bi = positive_cycle.at("bi");
  if (!bi.is_object() || bi.value("result", "") != "positive") {
    throw std::invalid_argument("cycle " + text_of(positive_cycle, "key") + " has no positive biological indicator");
  }
  const auto recalled = recalled_cycles(store, positive_cycle);
  json cycles = json::array();
  json devices = json::array();
  std::set<std::string> devices_seen;
  for (const auto& cycle : recalled) {
    cycles.push_back(cycle.at("key"));
    for (const auto& item : cycle.at("load")) {
      if (devices_seen.insert(item.get<std::string>()).second) devices.push_back(item);
    }
  }
  // Newest cycle first, so each session is listed after the recalled cycle that last reprocessed its pen.
  SessionTracer tracer(store, recalled);
  for (auto cycle = recalled.rbegin(); cycle != recalled.rend(); ++cycle) {
    for (const auto& item : cycle->at("load")) tracer.trace(item.get<std::string>(), *cycle);
  }
  return {{"cycle", positive_cycle.at("key")},
          {"bi_read_at", bi.at("at")},
          {"cycles", std::move(cycles)},
          {"devices", std::move(devices)},
          {"sessions", tracer.sessions()}};
}

}  // namespace sterifleet::report
