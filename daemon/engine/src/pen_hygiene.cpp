#include "pen_hygiene.hpp"

#include <algorithm>

namespace sterifleet::engine {

namespace {

using protocol::format_timestamp;

class HygieneFold {
 public:
  HygieneFold(const DeviceRecord& pen, const std::vector<Timestamp>& unmatched_ends, Timestamp clock,
              Seconds shelf_life)
      : pen_(pen), facts_(pen.reprocessings), unmatched_ends_(unmatched_ends), clock_(clock), shelf_life_(shelf_life) {}

  HygieneDerivation run() {
    out_.clearance.resize(pen_.sessions.size());
    for (std::size_t i = 0; i < pen_.sessions.size(); ++i) visit_session(i);
    close_open_episode();
    derive_shelf_life();
    out_.state = current_state();
    return std::move(out_);
  }

 private:
  static std::optional<Timestamp> later(std::optional<Timestamp> a, std::optional<Timestamp> b) {
    if (!a) return b;
    if (!b) return a;
    return std::max(*a, *b);
  }

  // A session whose end came but whose start was never judged (refused, or still to come) was a use of
  // the pen all the same: a reprocessing must follow its end before the next session.
  std::optional<Timestamp> unmatched_end_before(Timestamp t) const {
    const auto after = std::lower_bound(unmatched_ends_.begin(), unmatched_ends_.end(), t);
    if (after == unmatched_ends_.begin()) return std::nullopt;
    return *std::prev(after);
  }

  // The session that ended most recently before `index` bounds the window a reprocessing must fall in.
  // An unended session is taken to end when the next one starts (the pen was interrupted).
  std::optional<Timestamp> end_of(std::size_t index) const {
    const auto& s = pen_.sessions[index];
    if (s.ended) return s.ended;
    if (index + 1 < pen_.sessions.size()) return pen_.sessions[index + 1].started;
    return std::nullopt;
  }

  bool within_shelf_life(const ReprocessingFact& fact, Timestamp t) const {
    return shelf_life_.count() == 0 || t <= fact.ts + shelf_life_;
  }

  // The newest fact in (after, at] that makes the pen clean at `at`.
  std::optional<std::size_t> valid_between(std::optional<Timestamp> after, Timestamp at) const {
    for (std::size_t r = facts_.size(); r-- > 0;) {
      const auto& fact = facts_[r];
      if (fact.ts > at) continue;
      if (after && fact.ts <= *after) break;
      if (fact.valid_at(at) && within_shelf_life(fact, at)) return r;
    }
    return std::nullopt;
  }

  // A pen never used is clean unless every sufficient reprocessing it had was recalled by `at`.
  bool unused_pen_clean(Timestamp at) const {
    bool any_sufficient = false;
    for (const auto& fact : facts_) {
      if (fact.ts > at || !fact.sufficient) continue;
      any_sufficient = true;
      if (fact.valid_at(at) && within_shelf_life(fact, at)) return true;
    }
    return !any_sufficient;
  }

  void visit_session(std::size_t i) {
    const auto& session = pen_.sessions[i];
    const auto previous_end =
        later(i == 0 ? pen_.compacted_last_end : end_of(i - 1), unmatched_end_before(session.started));
    bool clean = false;
    if (i == 0 && !previous_end) {
      clean = unused_pen_clean(session.started);
      const auto fact = valid_between(std::nullopt, session.started);
      out_.clearance[i] = fact ? facts_[*fact].cycle_key : clean ? "first use" : "";
    } else {
      const auto fact = valid_between(previous_end, session.started);
      clean = fact.has_value();
      if (fact) out_.clearance[i] = facts_[*fact].cycle_key;
    }
    if (clean) return;
    if (open_ && !cleared_before(*open_, session.started)) {
      ++open_->occurrences;
      open_last_session_ = i;
      return;
    }
    close_open_episode();
    open_ = Episode{session.key,
                    pen_.id,
                    session.started,
                    1,
                    "session " + session.id.str() + " started on " + pen_.id.str() +
                        " without a valid reprocessing since its previous session",
                    std::nullopt,
                    {}};
    open_last_session_ = i;
  }

  // The first sufficient reprocessing after the episode's latest dirty session ended.
  std::optional<std::size_t> clearing_fact() const {
    const auto end = end_of(open_last_session_);
    if (!end) return std::nullopt;
    for (std::size_t r = 0; r < facts_.size(); ++r) {
      if (facts_[r].ts > *end && facts_[r].sufficient) return r;
    }
    return std::nullopt;
  }

  bool cleared_before(const Episode&, Timestamp t) const {
    const auto r = clearing_fact();
    return r && facts_[*r].ts <= t;
  }

  void close_open_episode() {
    if (!open_) return;
    if (const auto r = clearing_fact()) {
      open_->cleared_at = facts_[*r].ts;
      open_->clearance = "reprocessed by " + facts_[*r].cycle_key;
    }
    out_.used_without_reprocessing.push_back(std::move(*open_));
    open_.reset();
  }

  // A sufficient reprocessing followed by neither a session start nor another sufficient reprocessing
  // within the shelf life expires when the clinic clock passes it.
  void derive_shelf_life() {
    if (shelf_life_.count() == 0) return;
    std::size_t next_session = 0;
    for (std::size_t r = 0; r < facts_.size(); ++r) {
      const auto& fact = facts_[r];
      if (!fact.sufficient) continue;
      const Timestamp deadline = fact.ts + shelf_life_;
      while (next_session < pen_.sessions.size() && pen_.sessions[next_session].started < fact.ts) ++next_session;
      const bool used_in_time = next_session < pen_.sessions.size() && pen_.sessions[next_session].started <= deadline;
      std::optional<std::size_t> superseded_by;
      for (std::size_t later = r + 1; later < facts_.size() && facts_[later].ts <= deadline; ++later) {
        if (facts_[later].sufficient) {
          superseded_by = later;
          break;
        }
      }
      if (used_in_time || superseded_by || (fact.recalled_at && *fact.recalled_at <= deadline)) continue;
      if (deadline >= clock_) {
        out_.next_deadline = deadline;
        continue;
      }
      Episode episode{"shelf-life:" + fact.cycle_key,
                      pen_.id,
                      deadline,
                      1,
                      pen_.id.str() + " was not used within its shelf life after " + fact.cycle_key + " (" +
                          format_timestamp(fact.ts) + ")",
                      std::nullopt,
                      {}};
      for (std::size_t later = r + 1; later < facts_.size(); ++later) {
        if (facts_[later].sufficient) {
          episode.cleared_at = facts_[later].ts;
          episode.clearance = "reprocessed by " + facts_[later].cycle_key;
          break;
        }
      }
      out_.sterility_expired.push_back(std::move(episode));
    }
  }

  Hygiene current_state() const {
    const auto last_unmatched =
        unmatched_ends_.empty() ? std::nullopt : std::optional<Timestamp>(unmatched_ends_.back());
    std::optional<Timestamp> last_end;
    if (pen_.sessions.empty()) {
      last_end = later(pen_.compacted_last_end, last_unmatched);
      if (!last_end) return unused_pen_clean(clock_) ? Hygiene::ready : Hygiene::needs_reprocessing;
    } else {
      const auto& last = pen_.sessions.back();
      if (!last.ended) return Hygiene::in_use;
      last_end = later(last.ended, last_unmatched);
    }
    return valid_between(last_end, std::max(clock_, *last_end)) ? Hygiene::ready : Hygiene::needs_reprocessing;
  }

  const DeviceRecord& pen_;
  const std::vector<ReprocessingFact>& facts_;
  const std::vector<Timestamp>& unmatched_ends_;
  Timestamp clock_;
  Seconds shelf_life_;
  HygieneDerivation out_;
  std::optional<Episode> open_;
  std::size_t open_last_session_ = 0;
};

}  // namespace

HygieneDerivation derive_hygiene(const DeviceRecord& pen, const std::vector<Timestamp>& unmatched_ends,
                                 Timestamp clinic_clock, Seconds shelf_life) {
  return HygieneFold(pen, unmatched_ends, clinic_clock, shelf_life).run();
}

}  // namespace sterifleet::engine
