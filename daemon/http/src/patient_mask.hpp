// What a viewer token may see of patient references: a reference that did not match the policy's
// pattern when its session started (its "patient_drift"), or that does not match the pattern in force
// now (a session stored before the flag existed, a stricter policy since), is withheld as null.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "router.hpp"
#include "sterifleet/engine/patient_ref.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::http {

class PatientMask {
 public:
  /// The mask for the call's principal, or nullopt when it may see every reference (not a viewer).
  static std::optional<PatientMask> for_call(const Call& call);

  /// Sessions (the OpenAPI Session or RecalledSession objects): "patient" becomes null where withheld.
  void sessions(nlohmann::json& sessions) const;
  /// Stored messages (Message objects): a session.start payload's body.patient becomes null where withheld.
  void messages(nlohmann::json& messages) const;

 private:
  explicit PatientMask(const std::string& pattern) : pattern_(pattern) {}
  bool withholds(const nlohmann::json& patient, bool flagged) const;

  engine::PatientRefPattern pattern_;
};

}  // namespace sterifleet::http
