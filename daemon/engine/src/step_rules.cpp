#include "step_rules.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace sterifleet::engine {

namespace {

using Kind = StepFact::Kind;
using protocol::format_timestamp;

std::string number(double value, std::string_view unit) { return fmt::format("{:.2f} {}", value, unit); }

class Steps {
 public:
  Steps(const DeviceId& device, const Policy& policy, StepState& state)
      : device_(device), policy_(policy), state_(state) {}

  void step(const StepFact& fact) {
    switch (fact.kind) {
      case Kind::telemetry:
        telemetry(fact);
        break;
      case Kind::session_start:
        session_start(fact);
        break;
      case Kind::session_end:
        session_end(fact);
        break;
      case Kind::bowie_dick:
        bowie_dick(fact);
        break;
      case Kind::prevac_load:
        prevac_load(fact);
        break;
    }
  }

  /// Every episode, the open ones appended; with `changed_only`, of the rules that changed alone.
  StepEpisodes finish(bool changed_only) && {
    for (const auto& [rule, open, list] :
         {std::tuple{RuleId::battery_low, &state_.battery_low, &out_.battery_low},
          std::tuple{RuleId::service_due, &state_.service_due, &out_.service_due},
          std::tuple{RuleId::daily_test_missing, &state_.test_missing, &out_.test_missing},
          std::tuple{RuleId::daily_test_failed, &state_.test_failed, &out_.test_failed}}) {
      if (*open && (!changed_only || out_.changed.contains(rule))) list->push_back(**open);
    }
    for (const auto& [session, episode] : state_.depth) {
      if (!changed_only || out_.depth_changed.contains(session)) out_.depth[session].push_back(episode);
    }
    return std::move(out_);
  }

 private:
  std::string key(const StepFact& f) const {
    return device_.str() + "/" + std::to_string(f.boot) + "/" + std::to_string(f.seq);
  }
  Episode episode(std::string trigger, Timestamp at, std::string summary) const {
    return Episode{std::move(trigger), device_, at, 1, std::move(summary), std::nullopt, {}};
  }
  void start(RuleId rule, std::optional<Episode>& open, Episode first) {
    open = std::move(first);
    out_.changed.insert(rule);
  }
  void close(RuleId rule, std::optional<Episode>& open, std::vector<Episode>& closed, Timestamp at,
             std::string clearance) {
    open->cleared_at = std::max(at, open->opened_at);  // a fact behind the base (a clock set back)
    open->clearance = std::move(clearance);
    closed.push_back(std::move(*open));
    open.reset();
    out_.changed.insert(rule);
  }

  void telemetry(const StepFact& f) {
    const auto& id = device_.str();
    if (f.battery_pct < policy_.battery_threshold_pct) {
      if (!state_.battery_low) {
        start(RuleId::battery_low, state_.battery_low,
              episode("battery:" + key(f), f.ts,
                      "battery of " + id + " at " + number(f.battery_pct, "%") + ", below " +
                          number(policy_.battery_threshold_pct, "%")));
      }
    } else if (f.battery_pct >= policy_.battery_clear_pct && state_.battery_low) {
      close(RuleId::battery_low, state_.battery_low, out_.battery_low, f.ts,
            "battery at " + number(f.battery_pct, "%"));
    }
    const double hours = static_cast<double>(f.motor_runtime_s) / 3600.0;
    if (hours > policy_.service_interval_hours) {
      if (!state_.service_due) {
        start(RuleId::service_due, state_.service_due,
              episode("service:" + key(f), f.ts,
                      "motor run time of " + id + " is " + number(hours, "h") + ", past the service interval of " +
                          number(policy_.service_interval_hours, "h")));
      }
    } else if (hours < policy_.service_interval_hours && state_.service_due) {
      close(RuleId::service_due, state_.service_due, out_.service_due, f.ts, "motor run time counter reset");
    }
    if (f.session && state_.session == f.session) {
      depth(*f.session, f, f.depth_mm > state_.session_limit_mm);
    }
  }

  void depth(const SessionId& session, const StepFact& f, bool over) {
    const auto open = state_.depth.find(session);
    if (over && open == state_.depth.end()) {
      state_.depth.emplace(session, episode(key(f), f.ts,
                                            "depth " + number(f.depth_mm, "mm") + " exceeds the " +
                                                number(state_.session_limit_mm, "mm") + " limit for " +
                                                state_.session_area + " in session " + session.str()));
      out_.depth[session];  // the session is touched: its episodes are derived here
      out_.depth_changed.insert(session);
    } else if (!over && open != state_.depth.end()) {
      close_depth(open, f.ts, "depth back within the limit (" + number(f.depth_mm, "mm") + ")");
    }
  }

  void close_depth(std::map<SessionId, Episode>::iterator open, Timestamp at, std::string clearance) {
    open->second.cleared_at = std::max(at, open->second.opened_at);
    open->second.clearance = std::move(clearance);
    out_.depth[open->first].push_back(std::move(open->second));
    out_.depth_changed.insert(open->first);
    state_.depth.erase(open);
  }

  void session_start(const StepFact& f) {
    state_.session = f.session;
    state_.session_limit_mm = f.limit_mm;
    state_.session_area = f.label;
    out_.depth[*f.session];
    depth(*f.session, f, f.depth_mm > f.limit_mm);
  }

  void session_end(const StepFact& f) {
    out_.depth[*f.session];
    if (const auto open = state_.depth.find(*f.session); open != state_.depth.end()) {
      close_depth(open, f.ts, "session ended");
    }
    if (state_.session == f.session) state_.session.reset();
  }

  void new_day(Timestamp ts) {
    const auto day = protocol::utc_date(ts);
    if (state_.day == day) return;
    state_.day = day;
    state_.tested_today = false;
    state_.loaded_today = false;
  }

  void occur(RuleId rule, std::optional<Episode>& open, Episode first) {
    if (open) {
      ++open->occurrences;
    } else {
      open = std::move(first);
    }
    out_.changed.insert(rule);
  }

  void bowie_dick(const StepFact& f) {
    new_day(f.ts);
    if (f.passed) {
      state_.tested_today = true;
      if (!state_.test_missing && !state_.test_failed) return;
      const std::string clearance = "Bowie-Dick test passed at " + format_timestamp(f.ts);
      if (state_.test_missing) {
        close(RuleId::daily_test_missing, state_.test_missing, out_.test_missing, f.ts, clearance);
      }
      if (state_.test_failed) close(RuleId::daily_test_failed, state_.test_failed, out_.test_failed, f.ts, clearance);
      return;
    }
    occur(RuleId::daily_test_failed, state_.test_failed,
          episode(key(f), f.ts,
                  "Bowie-Dick air-removal test failed on " + device_.str() + ": do not load it until a test passes"));
  }

  void prevac_load(const StepFact& f) {
    new_day(f.ts);
    if (!state_.loaded_today && !state_.tested_today) {
      occur(RuleId::daily_test_missing, state_.test_missing,
            episode(key(f), f.ts,
                    "first load of " + protocol::format_date(*state_.day) + " on " + device_.str() + " (cycle " +
                        f.label + ") ran without a passing Bowie-Dick test that day"));
    }
    state_.loaded_today = true;
  }

  const DeviceId& device_;
  const Policy& policy_;
  StepState& state_;
  StepEpisodes out_;
};

}  // namespace

bool step_before(const StepFact& a, const StepFact& b) {
  return std::tie(a.ts, a.boot, a.seq) < std::tie(b.ts, b.boot, b.seq);
}

std::pair<StepState, StepEpisodes> run_steps(const DeviceId& device, const Policy& policy, StepState base,
                                             std::span<const StepFact> facts) {
  Steps steps(device, policy, base);
  for (const auto& fact : facts) steps.step(fact);
  auto episodes = std::move(steps).finish(false);
  return {std::move(base), std::move(episodes)};
}

StepEpisodes step(const DeviceId& device, const Policy& policy, StepState& state, const StepFact& fact) {
  Steps steps(device, policy, state);
  steps.step(fact);
  return std::move(steps).finish(true);
}

}  // namespace sterifleet::engine
