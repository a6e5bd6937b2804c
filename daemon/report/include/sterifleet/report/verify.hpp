// Proof that a report file is one sterifleet made and that nothing in it changed: its body (a CSV's or
// JSON's bytes before its footer, a PDF's every byte) hashes to the SHA-256 its footer states (a PDF has
// no footer), the audit trail holds the record of its making (entity "report:<sha256>") with the same
// head, the head is a record of the trail, and the trail is intact; and the checkpoint it carries is
// the daemon's signature of that head.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/report/format.hpp"
#include "sterifleet/store/store.hpp"

namespace sterifleet::report {

struct Verdict {
  bool genuine = false;
  std::optional<Format> format;
  std::optional<Seal> stated;                        ///< what the footer says (a PDF's: its record); none if unreadable
  std::string computed_sha256;                       ///< of the stated body
  std::optional<std::int64_t> record_seq;            ///< the audit record of its making
  nlohmann::json record;                             ///< that record as the API lists it: seq, at, actor, after ...
  std::vector<std::string> problems;                 ///< one sentence each; empty when genuine
  std::optional<checkpoint::Checkpoint> checkpoint;  ///< the signed checkpoint it carries
  std::vector<std::string> notes;                    ///< what is not proven, though nothing is wrong
};

/// Reads the report at `path` (never whole: the footer from its end, the body streamed through the
/// hash). Throws store::StoreError when the store cannot be read, std::runtime_error when the file cannot.
/// With `pinned`, a checkpoint signed by another key is a problem.
Verdict verify_report(store::Store& store, const std::string& path,
                      const std::optional<crypto::PublicKey>& pinned = std::nullopt);

}  // namespace sterifleet::report
