// Verification of a stored audit chain, shared by the back-ends: each streams its records in seq order
// into a ChainWalk, which rebuilds every record's canonical bytes, checks its link and hash, and at the
// end compares where the chain ends with the head the store recorded. The problems it names are one
// sentence each, the same on every back-end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

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
};

/// Not thread-safe; one walk per verification.
class ChainWalk {
 public:
  explicit ChainWalk(AuditHead recorded);
  /// Checks the next record; false when the chain is broken there (the walk is over: call finish()).
  bool next(const StoredAuditRecord& record);
  /// The verdict once the records ran out or next() returned false.
  AuditVerification finish();

 private:
  bool broken(std::int64_t seq, std::string problem);

  AuditVerification result_;
  bool stopped_ = false;
  crypto::Sha256 sha256_;
  std::string canonical_;
  std::string at_;
  std::string prev_{genesis_hash};
  std::int64_t expected_ = 1;
};

}  // namespace sterifleet::store::detail
