// Verification of a stored audit trail, shared by the back-ends: each streams a chain's records in seq
// order into a ChainWalk, which rebuilds every record's canonical bytes, checks its link and hash, and at
// the end compares where the chain ends with the head the store recorded. A trail of several chains (a
// cluster's: one per clinic and the fleet's) is walked chain by chain by a TrailWalk, which also reads
// the fleet chain's anchors: each names a clinic chain's record and hash, which the back-end looks up.
// The problems it names are one sentence each, the same on every back-end.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit_chain.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::store::detail {

/// One record as its columns hold it.
struct StoredAuditRecord {
  std::int64_t seq = 0;
  Timestamp at;
  std::string_view actor;
  std::string_view entity;
  std::string_view action;
  std::string_view before;
  std::string_view after;
  std::string_view cause;
  std::string_view prev_hash;
  std::string_view hash;
  std::optional<std::string_view> clinic;  ///< none: NULL, a record of the fleet or from before clinics
};

/// Not thread-safe; one walk per chain.
class ChainWalk {
 public:
  /// Problems in a chain other than the fleet's name it.
  ChainWalk(std::string chain, AuditHead recorded);
  /// Checks the next record; false when the chain is broken there (the walk is over: call finish()).
  bool next(const StoredAuditRecord& record);
  /// The verdict once the records ran out or next() returned false.
  AuditVerification finish();

 private:
  bool broken(std::int64_t seq, std::string problem);
  std::string named(std::string problem) const;

  std::string chain_;
  AuditVerification result_;
  bool stopped_ = false;
  crypto::Sha256 sha256_;
  std::string canonical_;
  std::string at_;
  std::string prev_{genesis_hash};
  std::int64_t expected_ = 1;
};

/// What an anchor in the fleet chain states of a clinic chain.
struct AnchorClaim {
  std::int64_t fleet_seq = 0;  ///< the anchor's record
  std::string chain;
  std::int64_t seq = 0;
  std::string hash;
};

/// Not thread-safe; one walk per verification. Chains come one after the other, each in seq order; the
/// fleet chain's anchors are collected as claims for the back-end to check against the stored hashes
/// (which the walks of their chains verify).
class TrailWalk {
 public:
  /// Every chain's head as the store recorded it.
  explicit TrailWalk(std::map<std::string, AuditHead, std::less<>> heads);
  /// False once a chain's own walk broke (stop streaming; call finish()). A broken anchor does not stop
  /// the walk of the fleet chain: checkpoints are compared with all of it.
  bool next(std::string_view chain, const StoredAuditRecord& record);
  /// Claims not yet taken, in the fleet chain's order; the back-end checks each and reports the first
  /// that does not hold with claim_failed().
  std::vector<AnchorClaim> take_claims() { return std::exchange(claims_, {}); }
  /// `stored`: the hash the claimed record has, none when it is missing. Returns false.
  bool claim_failed(const AnchorClaim& claim, std::optional<std::string_view> stored);
  bool broken() const { return broken_.has_value(); }
  AuditVerification finish();

 private:
  void end_chain();
  void anchor(std::int64_t fleet_seq, std::string_view after);
  /// The first problem found is the verdict's.
  void break_at(std::int64_t seq, std::string chain, std::string problem);

  std::map<std::string, AuditHead, std::less<>> heads_;
  std::string chain_;
  std::unique_ptr<ChainWalk> walk_;
  std::map<std::string, std::int64_t, std::less<>> lengths_;
  std::map<std::string, std::int64_t, std::less<>> anchored_;  ///< the highest seq anchored, per chain
  std::vector<AnchorClaim> claims_;
  AuditVerification result_;
  std::optional<AuditVerification> broken_;
  bool stopped_ = false;
};

}  // namespace sterifleet::store::detail
