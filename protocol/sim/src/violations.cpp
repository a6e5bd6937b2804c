#include "violations.hpp"

namespace sterifleet::sim {

ViolationPlanner::ViolationPlanner(ViolationConfig config, std::uint64_t seed)
    : config_(std::move(config)), rng_(seed ^ 0x5eed'f1ee'7000'0001ULL) {}

bool ViolationPlanner::want(Rule rule, const std::string& opportunity) {
  if (!enabled(rule)) return false;
  if (!drawn_.insert({rule, opportunity}).second) return false;
  return rng_.chance(config_.rate);
}

bool ViolationPlanner::want_once(Rule rule, const std::string& subject, const std::string& opportunity) {
  if (!enabled(rule) || claimed(rule, subject)) return false;
  if (!want(rule, opportunity)) return false;
  claim(rule, subject);
  return true;
}

void ViolationPlanner::record(Rule rule, std::string clinic, std::string device, std::string subject,
                              protocol::Timestamp ts) {
  injected_.push_back(InjectedViolation{rule, std::move(clinic), std::move(device), std::move(subject), ts});
}

}  // namespace sterifleet::sim
