#include "sterifleet/engine/sequence_tracker.hpp"

#include <algorithm>

namespace sterifleet::engine {

SequenceTracker::Boot* SequenceTracker::find(std::uint32_t boot) {
  for (auto& b : boots_) {
    if (b.number == boot) return &b;
  }
  return nullptr;
}

bool SequenceTracker::take_missing(Boot& boot, std::uint64_t seq) {
  auto it = std::find_if(boot.missing.begin(), boot.missing.end(),
                         [seq](const SeqRange& r) { return r.first <= seq && seq <= r.last; });
  if (it == boot.missing.end()) return false;
  if (it->first == it->last) {
    boot.missing.erase(it);
  } else if (seq == it->first) {
    ++it->first;
  } else if (seq == it->last) {
    --it->last;
  } else {
    const SeqRange upper{seq + 1, it->last};
    it->last = seq - 1;
    boot.missing.insert(it + 1, upper);
  }
  return true;
}

SequenceTracker::Outcome SequenceTracker::observe(std::uint32_t boot, std::uint64_t seq) {
  Outcome outcome;
  Boot* current = find(boot);
  if (!current) {
    if (!boots_.empty() && boot < boots_.back().number) {
      outcome.verdict = SeqVerdict::regression;  // an older boot we no longer (or never) tracked
      return outcome;
    }
    if (boots_.size() == 2) boots_.erase(boots_.begin());
    boots_.push_back(Boot{boot, 0, {}});
    current = &boots_.back();
  }
  if (seq > current->high) {
    if (current != &boots_.back()) {
      outcome.verdict = SeqVerdict::regression;  // new messages of a boot the device has left
      return outcome;
    }
    if (seq > current->high + 1) {
      outcome.new_gap = SeqRange{current->high + 1, seq - 1};
      current->missing.push_back(*outcome.new_gap);
    }
    current->high = seq;
    return outcome;
  }
  outcome.verdict = take_missing(*current, seq) ? SeqVerdict::gap_fill : SeqVerdict::duplicate;
  return outcome;
}

bool SequenceTracker::has_gaps() const {
  return std::any_of(boots_.begin(), boots_.end(), [](const Boot& b) { return !b.missing.empty(); });
}

std::optional<std::uint32_t> SequenceTracker::latest_boot() const {
  if (boots_.empty()) return std::nullopt;
  return boots_.back().number;
}

bool SequenceTracker::remembers(std::uint32_t boot) const {
  return std::any_of(boots_.begin(), boots_.end(), [boot](const Boot& b) { return b.number == boot; });
}

std::vector<std::pair<std::uint32_t, SeqRange>> SequenceTracker::gaps() const {
  std::vector<std::pair<std::uint32_t, SeqRange>> out;
  for (const auto& b : boots_) {
    for (const auto& r : b.missing) out.emplace_back(b.number, r);
  }
  return out;
}

}  // namespace sterifleet::engine
