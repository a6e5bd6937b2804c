// Decides when to break a rule on purpose and records what was broken.
// An opportunity is drawn once; a (rule, subject) is injected at most once per run, so that each
// injection maps to exactly one alert in the daemon.
#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sterifleet/protocol/time.hpp"
#include "sterifleet/sim/config.hpp"
#include "sterifleet/sim/random.hpp"
#include "sterifleet/sim/rules.hpp"

namespace sterifleet::sim {

class ViolationPlanner {
 public:
  ViolationPlanner(ViolationConfig config, std::uint64_t seed);

  bool enabled(Rule rule) const { return config_.rate > 0.0 && config_.kinds.contains(rule); }
  /// One opportunity, named `opportunity` (e.g. "PEN-01@2026-11-24"): true with probability `rate`,
  /// the first time it is asked; false ever after and when the rule is not enabled.
  bool want(Rule rule, const std::string& opportunity);
  /// Subjects of per-device rules are claimed when the injection is planned, so one is never planned twice.
  bool claimed(Rule rule, const std::string& subject) const { return claimed_.contains({rule, subject}); }
  void claim(Rule rule, const std::string& subject) { claimed_.insert({rule, subject}); }
  /// want() on a per-run subject that is not claimed yet; claims it when true.
  bool want_once(Rule rule, const std::string& subject, const std::string& opportunity);

  /// The offending message has been emitted.
  void record(Rule rule, std::string clinic, std::string device, std::string subject, protocol::Timestamp ts);
  const std::vector<InjectedViolation>& injected() const { return injected_; }

 private:
  ViolationConfig config_;
  Rng rng_;
  std::set<std::pair<Rule, std::string>> drawn_;
  std::set<std::pair<Rule, std::string>> claimed_;
  std::vector<InjectedViolation> injected_;
};

}  // namespace sterifleet::sim
