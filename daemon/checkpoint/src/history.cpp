#include "sterifleet/checkpoint/history.hpp"

#include <algorithm>

namespace sterifleet::checkpoint {

namespace {

std::string record(std::int64_t seq) { return "record " + std::to_string(seq); }

std::string records(std::int64_t from, std::int64_t to) {
  return from == to ? record(from) : "records " + std::to_string(from) + " to " + std::to_string(to);
}

std::string signed_at(const Checkpoint& c) {
  return "the checkpoint of " + record(c.seq) + " signed at " + protocol::format_timestamp(c.at);
}

std::string capitalized(std::string text) {
  if (!text.empty()) text[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(text[0])));
  return text;
}

std::string count_of_records(std::int64_t n) { return std::to_string(n) + (n == 1 ? " record" : " records"); }

// What is proven of records 1..limit besides the finding.
std::string proven_part(std::int64_t proven, std::int64_t limit) {
  if (limit < 1) return "";
  if (proven <= 0) return " No checkpoint proves any record before it.";
  // Appended piecewise: " " + std::string at -O3 trips GCC 12's false -Wrestrict (PR105651).
  std::string out = " ";
  if (proven >= limit) {
    out += capitalized(records(1, limit));
    out += " are the signed ones.";
    return out;
  }
  out += capitalized(records(1, proven));
  out += " match a checkpoint; ";
  out += records(proven + 1, limit);
  out += " are covered by none that matches.";
  return out;
}

}  // namespace

HistoryVerdict compare_history(const std::vector<Checkpoint>& checkpoints, const WalkedChain& chain,
                               const HashAt& hash_at) {
  HistoryVerdict verdict;
  const std::string first_stored = chain.walked >= 1 ? hash_at(1) : std::string();
  const Checkpoint* replaced_by = nullptr;
  const Checkpoint* lowest_differing = nullptr;
  const Checkpoint* lowest_beyond = nullptr;
  for (const auto& c : checkpoints) {
    Match match = Match::holds;
    // Record 1 is checked against every checkpoint the walk reached it for: a shorter other chain is a
    // replacement, not a truncation.
    if (c.seq >= 1 && chain.walked >= 1 && first_stored != c.first) {
      match = Match::differs;
      if (!replaced_by) replaced_by = &c;
    } else if (c.seq > chain.walked) {
      match = chain.broken ? Match::not_judged : Match::beyond_end;
      if (match == Match::beyond_end && (!lowest_beyond || c.seq < lowest_beyond->seq)) lowest_beyond = &c;
    } else if (c.seq >= 1 && hash_at(c.seq) != c.head) {
      match = Match::differs;
      if (!lowest_differing || c.seq < lowest_differing->seq) lowest_differing = &c;
    }
    if (match == Match::holds) verdict.proven_through = std::max(verdict.proven_through, c.seq);
    verdict.matches.push_back(match);
  }

  if (replaced_by) {
    verdict.finding = Finding::replaced;
    verdict.proven_through = 0;
    verdict.differs_from = verdict.differs_to = 1;
    verdict.summary = "the chain was replaced: record 1 hashes to " + first_stored + ", but " +
                      signed_at(*replaced_by) + " says record 1 hashed to " + replaced_by->first +
                      ". No record of the signed history is proven to be in the store.";
    return verdict;
  }
  if (lowest_differing) {
    const auto& d = *lowest_differing;
    // A holding checkpoint past a differing one would need the checkpoints to contradict each other.
    std::int64_t proven = 0;
    for (std::size_t i = 0; i < checkpoints.size(); ++i) {
      if (verdict.matches[i] == Match::holds && checkpoints[i].seq < d.seq)
        proven = std::max(proven, checkpoints[i].seq);
    }
    verdict.finding = Finding::rewritten;
    verdict.proven_through = proven;
    verdict.differs_from = proven + 1;
    verdict.differs_to = d.seq;
    verdict.summary = "the history was rewritten: " + record(d.seq) + " hashes to " + hash_at(d.seq) + ", but " +
                      signed_at(d) + " says " + d.head + ". ";
    verdict.summary += verdict.differs_from == verdict.differs_to
                           ? "The first record that differs is " + record(d.seq) + "."
                           : "The first record that differs is one of " + records(verdict.differs_from, d.seq) +
                                 (proven > 0 ? " (" + records(1, proven) + " match a checkpoint)." : ".");
    return verdict;
  }
  if (lowest_beyond) {
    const auto& t = *lowest_beyond;
    verdict.finding = Finding::truncated;
    verdict.differs_from = verdict.differs_to = chain.walked + 1;
    verdict.summary = "the trail was truncated: " +
                      (chain.walked == 0 ? std::string("it is empty") : "it ends at " + record(chain.walked)) +
                      ", but " + signed_at(t) + " covers records up to " + std::to_string(t.seq) + "; " +
                      records(chain.walked + 1, t.seq) + " are missing." +
                      proven_part(verdict.proven_through, chain.walked);
    return verdict;
  }
  const auto judged = std::count(verdict.matches.begin(), verdict.matches.end(), Match::holds);
  if (judged == 0) {
    verdict.summary = "no checkpoint could be judged";
  } else if (!chain.broken) {
    verdict.summary = "the trail holds the signed history through " + record(verdict.proven_through) +
                      " and grew only by appending (" + count_of_records(chain.walked - verdict.proven_through) +
                      " since)";
  } else {
    verdict.summary = "the trail holds the signed history through " + record(verdict.proven_through);
  }
  return verdict;
}

std::string_view to_string(Finding finding) noexcept {
  switch (finding) {
    case Finding::holds:
      return "holds";
    case Finding::truncated:
      return "truncated";
    case Finding::rewritten:
      return "rewritten";
    case Finding::replaced:
      return "replaced";
  }
  return "?";
}

std::string_view to_string(Match match) noexcept {
  switch (match) {
    case Match::holds:
      return "holds";
    case Match::differs:
      return "differs";
    case Match::beyond_end:
      return "beyond the end";
    case Match::not_judged:
      return "not judged";
  }
  return "?";
}

}  // namespace sterifleet::checkpoint
