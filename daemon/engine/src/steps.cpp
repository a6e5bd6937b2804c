// Each device's window of step-rule facts (step_rules.hpp): kept while a late message could still come
// before them, re-run from the base at every new fact, folded into the base once no gap is open.
#include <algorithm>

#include "engine_impl.hpp"
#include "step_rules.hpp"

namespace sterifleet::engine {

namespace {

using Kind = StepFact::Kind;

bool for_pens(const StepFact& f) { return f.kind != Kind::bowie_dick && f.kind != Kind::prevac_load; }

}  // namespace

void Engine::Impl::add_step(DeviceRecord& dev, StepFact fact, Run& run) {
  dev.steps.insert(std::upper_bound(dev.steps.begin(), dev.steps.end(), fact, step_before), std::move(fact));
  auto [state, episodes] = run_steps(dev.id, policy, dev.step_base, dev.steps);
  const auto ctx = context(run);
  const std::optional<Timestamp> settled = dev.step_base.since;
  const std::string& subject = dev.id.str();
  if (std::any_of(dev.steps.begin(), dev.steps.end(), for_pens)) {
    alerts.reconcile(dev.clinic, RuleId::battery_low, subject, std::move(episodes.battery_low), ctx, settled);
    alerts.reconcile(dev.clinic, RuleId::service_due, subject, std::move(episodes.service_due), ctx, settled);
    for (auto& [session, list] : episodes.depth) {
      alerts.reconcile(dev.clinic, RuleId::depth_exceeds_policy, subject + "/" + session.str(), std::move(list), ctx,
                       settled);
    }
  }
  if (!std::all_of(dev.steps.begin(), dev.steps.end(), for_pens)) {
    alerts.reconcile(dev.clinic, RuleId::daily_test_missing, subject, std::move(episodes.test_missing), ctx, settled);
    alerts.reconcile(dev.clinic, RuleId::daily_test_failed, subject, std::move(episodes.test_failed), ctx, settled);
  }
  if (!dev.sequence.has_gaps()) {
    // Nothing can come before these any more: they become the base.
    state.since = dev.steps.back().ts + std::chrono::milliseconds(1);
    dev.step_base = std::move(state);
    dev.steps.clear();
  }
}

void Engine::Impl::fold_steps(DeviceRecord& dev, std::optional<Timestamp> until) {
  const auto end =
      until ? std::find_if(dev.steps.begin(), dev.steps.end(), [&](const StepFact& f) { return f.ts >= *until; })
            : dev.steps.end();
  if (end == dev.steps.begin()) return;
  std::vector<StepFact> folded(std::make_move_iterator(dev.steps.begin()), std::make_move_iterator(end));
  dev.steps.erase(dev.steps.begin(), end);
  auto state = run_steps(dev.id, policy, dev.step_base, folded).first;
  state.since = folded.back().ts + std::chrono::milliseconds(1);
  dev.step_base = std::move(state);
}

}  // namespace sterifleet::engine
