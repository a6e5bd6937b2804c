#include "chain_walk.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

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

std::string empty_clinic_problem(std::int64_t seq) {
  return "record " + std::to_string(seq) + " has been altered: its clinic is empty text, which the store never writes";
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

ChainWalk::ChainWalk(std::string chain, AuditHead recorded) : chain_(std::move(chain)) {
  result_.head = std::move(recorded);
}

std::string ChainWalk::named(std::string problem) const {
  if (chain_ == fleet_chain) return problem;
  return "chain " + chain_ + ": " + problem;
}

bool ChainWalk::broken(std::int64_t seq, std::string problem) {
  result_.intact = false;
  result_.walked_to_end = false;
  result_.first_bad = seq;
  result_.problem = named(std::move(problem));
  stopped_ = true;
  return false;
}

bool ChainWalk::next(const StoredAuditRecord& r) {
  if (stopped_) return false;
  if (r.seq != expected_) return broken(expected_, missing_problem(expected_, r.seq));
  if (r.prev_hash != prev_) return broken(r.seq, link_problem(r.seq, r.prev_hash, prev_));
  // Stores write NULL for no clinic; empty text would hash as none yet read as a clinic.
  if (r.clinic && r.clinic->empty()) return broken(r.seq, empty_clinic_problem(r.seq));
  at_.clear();
  append_timestamp(at_, r.at);
  canonical_.clear();
  append_canonical(canonical_, {r.seq, at_, r.actor, r.entity, r.action, r.before, r.after, r.cause, r.prev_hash,
                                r.clinic.value_or(std::string_view{})});
  const auto computed = link_hash(sha256_, r.prev_hash, canonical_);
  if (view(computed) != r.hash) return broken(r.seq, hash_problem(r.seq, view(computed), r.hash));
  prev_.assign(r.hash);
  ++expected_;
  ++result_.records;
  return true;
}

AuditVerification ChainWalk::finish() {
  result_.first_bad_chain = chain_;
  result_.chains = result_.records > 0 || result_.head.seq > 0 ? 1 : 0;
  if (chain_ == fleet_chain) result_.fleet_records = result_.records;
  if (stopped_) return result_;
  // The walk found a consistent chain; it must also end where the store's last commit left it.
  const std::int64_t last = expected_ - 1;
  const auto& head = result_.head;
  auto bad = [&](std::int64_t seq) {
    result_.intact = false;
    result_.first_bad = seq;
    result_.problem = named(tail_problem(last, head, prev_));
    return result_;
  };
  if (last < head.seq) return bad(last + 1);
  if (last > head.seq) return bad(head.seq + 1);
  if (prev_ != head.hash) return bad(last);
  return result_;
}

TrailWalk::TrailWalk(std::map<std::string, AuditHead, std::less<>> heads) : heads_(std::move(heads)) {
  const auto fleet = heads_.find(fleet_chain);
  result_.head = fleet != heads_.end() ? fleet->second : AuditHead{0, std::string(genesis_hash)};
}

bool TrailWalk::next(std::string_view chain, const StoredAuditRecord& record) {
  if (stopped_) return false;
  if (!walk_ || chain != chain_) {
    end_chain();
    chain_.assign(chain);
    const auto head = heads_.find(chain);
    walk_ = std::make_unique<ChainWalk>(chain_,
                                        head != heads_.end() ? head->second : AuditHead{0, std::string(genesis_hash)});
  }
  if (!walk_->next(record)) {
    end_chain();
    stopped_ = true;
    return false;
  }
  if (chain == fleet_chain && !record.clinic && record.entity == anchor_entity && record.action == anchor_action) {
    anchor(record.seq, record.after);
  }
  return true;
}

void TrailWalk::anchor(std::int64_t fleet_seq, std::string_view after) {
  const auto stated = nlohmann::json::parse(after, nullptr, false);
  const auto chains = stated.is_object() ? stated.find("chains") : stated.end();
  bool named_any = false;
  if (chains != stated.end() && chains->is_object()) {
    for (const auto& [chain, head] : chains->items()) {
      const auto seq = head.is_object() ? head.find("seq") : head.end();
      const auto hash = head.is_object() ? head.find("hash") : head.end();
      if (seq == head.end() || hash == head.end() || !seq->is_number_integer() || !hash->is_string()) continue;
      claims_.push_back({fleet_seq, chain, seq->get<std::int64_t>(), hash->get<std::string>()});
      auto& anchored = anchored_[chain];
      anchored = std::max(anchored, seq->get<std::int64_t>());
      named_any = true;
    }
  }
  if (!named_any) {
    break_at(fleet_seq, std::string(fleet_chain),
             "record " + std::to_string(fleet_seq) + " is an anchor that names no clinic chain's head");
  }
}

bool TrailWalk::claim_failed(const AnchorClaim& claim, std::optional<std::string_view> stored) {
  const auto record = "record " + std::to_string(claim.seq) + " of chain " + claim.chain;
  const auto anchor = "the fleet chain's record " + std::to_string(claim.fleet_seq);
  break_at(claim.seq, claim.chain,
           stored ? record + " is not the one " + anchor + " anchored: its hash is " + std::string(*stored) +
                        " but the anchor states " + claim.hash
                  : record + ", which " + anchor + " anchored, is missing");
  return false;
}

void TrailWalk::break_at(std::int64_t seq, std::string chain, std::string problem) {
  if (broken_) return;
  AuditVerification bad;
  bad.intact = false;
  bad.first_bad = seq;
  bad.first_bad_chain = std::move(chain);
  bad.problem = std::move(problem);
  broken_ = std::move(bad);
}

void TrailWalk::end_chain() {
  if (!walk_) return;
  const auto verdict = walk_->finish();
  walk_.reset();
  result_.records += verdict.records;
  result_.chains += 1;
  lengths_[chain_] = verdict.records;
  if (chain_ == fleet_chain) {
    result_.fleet_records = verdict.records;
    result_.walked_to_end = verdict.walked_to_end;
  }
  if (!verdict.intact && !broken_) broken_ = verdict;
}

AuditVerification TrailWalk::finish() {
  end_chain();
  // A head whose chain left no record at all: every record of it is gone.
  for (const auto& [chain, head] : heads_) {
    if (head.seq == 0 || lengths_.contains(chain) || broken_) continue;
    ChainWalk empty(chain, head);
    broken_ = empty.finish();
  }
  for (const auto& [chain, length] : lengths_) {
    if (chain == fleet_chain) continue;
    const auto anchored = anchored_.find(chain);
    result_.unanchored += std::max<std::int64_t>(0, length - (anchored != anchored_.end() ? anchored->second : 0));
  }
  auto verdict = result_;
  if (broken_) {
    verdict.intact = false;
    verdict.first_bad = broken_->first_bad;
    verdict.first_bad_chain = broken_->first_bad_chain;
    verdict.problem = broken_->problem;
  }
  return verdict;
}

}  // namespace sterifleet::store::detail
