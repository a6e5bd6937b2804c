#include "sterifleet/engine/patient_ref.hpp"

#include "sterifleet/protocol/ids.hpp"

namespace sterifleet::engine {

PatientRefPattern::PatientRefPattern(std::string pattern)
    : text_(std::move(pattern)), regex_(text_, std::regex::ECMAScript | std::regex::optimize) {}

bool PatientRefPattern::conforms(std::string_view ref) const {
  // The charset first: it bounds the length std::regex walks, whose matcher recurses per character.
  return protocol::is_valid_id(ref) && std::regex_match(ref.begin(), ref.end(), regex_);
}

}  // namespace sterifleet::engine
