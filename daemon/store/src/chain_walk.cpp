#include "chain_walk.hpp"

namespace sterifleet::store::detail {

namespace {

std::string missing_problem(std::int64_t expected, std::int64_t found) {
  if (expected == 1) {
    return "record 1 is missing: the trail starts at record " + std::to_string(found);
  }
  return "record " + std::to_string(expected) + " is missing: the trail goes from record " +
         std::to_string(expected - 1) + " to record " + std::to_string(found);
}

std::string link_problem(std::int64_t seq, std::string_view prev, std::string_view expected) {
  if (seq == 1) {
    return "record 1 does not start the chain: its prev_hash is " + std::string(prev) + " instead of 64 zeros";
  }
  return "record " + std::to_string(seq) + " does not link to record " + std::to_string(seq - 1) +
         ": its prev_hash is " + std::string(prev) + " but record " + std::to_string(seq - 1) + "'s hash is " +
         std::string(expected);
}

std::string hash_problem(std::int64_t seq, std::string_view computed, std::string_view stored) {
  return "record " + std::to_string(seq) + " has been altered: its contents hash to " + std::string(computed) +
         " but its stored hash is " + std::string(stored);
}

std::string tail_problem(std::int64_t last, const AuditHead& recorded, std::string_view last_hash) {
  const auto n = std::to_string(recorded.seq);
  if (last < recorded.seq) {
    if (last + 1 == recorded.seq) {
      return "record " + n + ", the last, is missing: the trail ends at record " + std::to_string(last);
    }
    return "records " + std::to_string(last + 1) + " to " + n + " are missing from the end: the trail ends at record " +
           std::to_string(last) + " but the store's head is record " + n;
  }
  if (last > recorded.seq) {
    return "record " + std::to_string(recorded.seq + 1) + " was added after the store's head (record " + n + ")";
  }
  return "record " + n + " is not the head the store recorded: its hash is " + std::string(last_hash) +
         " but the recorded head's is " + recorded.hash;
}

}  // namespace

ChainWalk::ChainWalk(AuditHead recorded) { result_.head = std::move(recorded); }

bool ChainWalk::broken(std::int64_t seq, std::string problem) {
  result_.intact = false;
  result_.walked_to_end = false;
  result_.first_bad = seq;
  result_.problem = std::move(problem);
  stopped_ = true;
  return false;
}

bool ChainWalk::next(const StoredAuditRecord& r) {
  if (stopped_) return false;
  if (r.seq != expected_) return broken(expected_, missing_problem(expected_, r.seq));
  if (r.prev_hash != prev_) return broken(r.seq, link_problem(r.seq, r.prev_hash, prev_));
  at_.clear();
  append_timestamp(at_, r.at);
  canonical_.clear();
  append_canonical(canonical_, {r.seq, at_, r.actor, r.entity, r.action, r.before, r.after, r.cause, r.prev_hash});
  const auto computed = link_hash(sha256_, r.prev_hash, canonical_);
  if (view(computed) != r.hash) return broken(r.seq, hash_problem(r.seq, view(computed), r.hash));
  prev_.assign(r.hash);
  ++expected_;
  ++result_.records;
  return true;
}

AuditVerification ChainWalk::finish() {
  if (stopped_) return result_;
  // The walk found a consistent chain; it must also end where the store's last commit left it.
  const std::int64_t last = expected_ - 1;
  const auto& head = result_.head;
  auto bad = [&](std::int64_t seq) {
    result_.intact = false;
    result_.first_bad = seq;
    result_.problem = tail_problem(last, head, prev_);
    return result_;
  };
  if (last < head.seq) return bad(last + 1);
  if (last > head.seq) return bad(head.seq + 1);
  if (prev_ != head.hash) return bad(last);
  return result_;
}

}  // namespace sterifleet::store::detail
