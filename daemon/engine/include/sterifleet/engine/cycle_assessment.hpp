// Whether a reprocessing cycle meets its method's minimum, for an item needing a given level.
// Pure; the reasons are sentences an auditor can read in a report.
#pragma once

#include <string>
#include <vector>

#include "sterifleet/engine/policy.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::engine {

struct CycleAssessment {
  bool parameters_sufficient = true;  ///< exposure meets the method's minimum
  bool indicator_passed = true;       ///< chemical indicator
  bool high_level_only = false;       ///< chemical: disinfects, does not sterilize
  std::vector<std::string> reasons;   ///< why not sufficient; empty when it is

  /// Valid reprocessing for an item that needs `level`.
  bool valid_for(ReprocessingLevel level) const {
    return parameters_sufficient && indicator_passed &&
           (!high_level_only || level == ReprocessingLevel::high_level_disinfection);
  }
};

CycleAssessment assess_cycle(const protocol::CycleComplete& cycle, const ReprocessingPolicy& policy);

}  // namespace sterifleet::engine
