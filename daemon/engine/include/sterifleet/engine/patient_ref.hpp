// Whether a patient reference looks pseudonymous: the policy's pattern ([patients] ref_pattern), held
// to the whole reference. A reference that does not match is kept as drift, withheld from viewers and
// flagged in reports (daemon/engine/README.md, "Patient references").
#pragma once

#include <regex>
#include <string>
#include <string_view>

namespace sterifleet::engine {

/// A compiled pattern. Immutable after construction, so it can be shared between threads.
class PatientRefPattern {
 public:
  /// Throws std::regex_error when `pattern` is not an ECMAScript regular expression.
  explicit PatientRefPattern(std::string pattern);

  /// The whole reference matches the pattern and the protocol's id charset (protocol/README.md 3.1).
  bool conforms(std::string_view ref) const;
  const std::string& text() const noexcept { return text_; }

 private:
  std::string text_;
  std::regex regex_;
};

}  // namespace sterifleet::engine
