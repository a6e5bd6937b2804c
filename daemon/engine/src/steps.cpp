// Each device's window of step-rule facts (step_rules.hpp): kept while a late message could still come
// before them, re-run from the base at every new fact, folded into the base once no gap is open.
#include <algorithm>
#include <tuple>

#include "engine_impl.hpp"
#include "step_rules.hpp"

namespace sterifleet::engine {

namespace {

using Kind = StepFact::Kind;

bool for_pens(const StepFact& f) { return f.kind != Kind::bowie_dick && f.kind != Kind::prevac_load; }

}  // namespace

void Engine::Impl::add_step(DeviceRecord& dev, StepFact fact, Run& run) {
  if (dev.steps.empty() && !dev.sequence.has_gaps()) {
    step_in_order(dev, fact, run);
    return;
  }
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
    return;
  }
  // A missing message comes after what precedes it in the device's order, so only the facts from the
  // earliest missing one on can still be preceded; and a device replays at most its last 10,000.
  const auto gaps = dev.sequence.gaps();
  const auto earliest = std::min_element(gaps.begin(), gaps.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.first) < std::tie(b.first, b.second.first);
  });
  const auto missing = std::make_pair(earliest->first, earliest->second.first);
  std::size_t settled_facts = 0;
  while (settled_facts < dev.steps.size() &&
         std::make_pair(dev.steps[settled_facts].boot, dev.steps[settled_facts].seq) < missing) {
    ++settled_facts;
  }
  constexpr std::size_t replayable = 10'000;
  if (dev.steps.size() - settled_facts > replayable) settled_facts = dev.steps.size() - replayable;
  fold_steps(dev, settled_facts);
}

// The usual case: nothing held back, nothing missing. The fact steps the base on, and only the alerts
// of what it changed are reconciled: every other one is as the base left it.
void Engine::Impl::step_in_order(DeviceRecord& dev, const StepFact& fact, Run& run) {
  const Timestamp settled = dev.step_base.since;
  auto episodes = step(dev.id, policy, dev.step_base, fact);
  dev.step_base.since = std::max(settled, fact.ts + std::chrono::milliseconds(1));
  const auto ctx = context(run);
  const std::string& subject = dev.id.str();
  for (auto [rule, list] :
       {std::pair{RuleId::battery_low, &episodes.battery_low}, std::pair{RuleId::service_due, &episodes.service_due},
        std::pair{RuleId::daily_test_missing, &episodes.test_missing},
        std::pair{RuleId::daily_test_failed, &episodes.test_failed}}) {
    if (episodes.changed.contains(rule)) alerts.reconcile(dev.clinic, rule, subject, std::move(*list), ctx, settled);
  }
  for (const auto& session : episodes.depth_changed) {
    alerts.reconcile(dev.clinic, RuleId::depth_exceeds_policy, subject + "/" + session.str(),
                     std::move(episodes.depth[session]), ctx, settled);
  }
}

void Engine::Impl::fold_steps(DeviceRecord& dev, std::size_t count) {
  if (count == 0) return;
  const std::vector<StepFact> folded(std::make_move_iterator(dev.steps.begin()),
                                     std::make_move_iterator(dev.steps.begin() + static_cast<std::ptrdiff_t>(count)));
  dev.steps.erase(dev.steps.begin(), dev.steps.begin() + static_cast<std::ptrdiff_t>(count));
  auto state = run_steps(dev.id, policy, dev.step_base, folded).first;
  state.since = folded.back().ts + std::chrono::milliseconds(1);
  dev.step_base = std::move(state);
}

void Engine::Impl::fold_steps_before(DeviceRecord& dev, Timestamp cut) {
  const auto end = std::find_if(dev.steps.begin(), dev.steps.end(), [&](const StepFact& f) { return f.ts >= cut; });
  fold_steps(dev, static_cast<std::size_t>(end - dev.steps.begin()));
}

}  // namespace sterifleet::engine
