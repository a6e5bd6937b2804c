// Whether a store's audit chain still holds the history saved checkpoints state, and grew only by
// appending: pure, over what the chain walk found and the stored hash of a record. The findings and the
// sentences `sterifleet audit verify` prints are made here (daemon/checkpoint/README.md).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/checkpoint/checkpoint.hpp"

namespace sterifleet::checkpoint {

/// The chain as the walk found it: records 1..walked link and hash correctly; `broken` when the walk
/// stopped at a bad record (walked + 1), false when record `walked` is the last one stored.
struct WalkedChain {
  std::int64_t walked = 0;
  bool broken = false;
};

/// The stored hash of record `seq` (1 <= seq <= walked).
using HashAt = std::function<std::string(std::int64_t seq)>;

enum class Match {
  holds,       ///< the record at its seq has its head (so records 1..seq are the ones it signed)
  differs,     ///< the record at its seq, or record 1, has another hash
  beyond_end,  ///< the trail ends before its seq
  not_judged,  ///< its seq lies at or past the broken record
};

enum class Finding {
  holds,      ///< every judged checkpoint holds: the history is the signed one, grown only by appending
  truncated,  ///< records a checkpoint covers are gone from the end
  rewritten,  ///< a record a checkpoint covers was changed (and the hashes after it recomputed)
  replaced,   ///< record 1 is not the one signed: the whole chain is another
};

struct HistoryVerdict {
  Finding finding = Finding::holds;
  std::vector<Match> matches;       ///< one per checkpoint, in the order given
  std::int64_t proven_through = 0;  ///< records 1..this are those a holding checkpoint signed (0: none)
  /// Unless the finding is holds: the first record that differs (or is missing) is one of
  /// differs_from..differs_to, as narrow as the checkpoints allow.
  std::int64_t differs_from = 0;
  std::int64_t differs_to = 0;
  std::string summary;  ///< what is known, in a sentence or two
};

/// Judges trusted checkpoints (their signatures checked already) against the chain.
HistoryVerdict compare_history(const std::vector<Checkpoint>& checkpoints, const WalkedChain& chain,
                               const HashAt& hash_at);

std::string_view to_string(Finding finding) noexcept;
std::string_view to_string(Match match) noexcept;

}  // namespace sterifleet::checkpoint
