// Which clinics a caller may see: an API token is for every clinic or for a set of them. Queries take
// one and filter in the query itself, so a page is a page of what the caller may see.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sterifleet::store {

class ClinicScope {
 public:
  /// Every clinic, and rows no clinic is attributed to.
  ClinicScope() = default;
  /// Only these clinics (at least one); a row no clinic is attributed to is never in it: fail closed.
  explicit ClinicScope(std::set<std::string, std::less<>> clinics) : only_(std::move(clinics)) {
    if (only_->empty()) throw std::invalid_argument("a clinic scope names at least one clinic");
  }

  bool all() const noexcept { return !only_; }
  /// The clinics of a limited scope; empty for all().
  const std::set<std::string, std::less<>>& clinics() const noexcept { return only_ ? *only_ : none_; }
  /// An empty `clinic` is a row no clinic is attributed to.
  bool covers(std::string_view clinic) const { return !only_ || (!clinic.empty() && only_->contains(clinic)); }
  /// null for all clinics, else the sorted array of them (the API's and the store's form).
  nlohmann::json to_json() const { return only_ ? nlohmann::json(*only_) : nlohmann::json(nullptr); }

  bool operator==(const ClinicScope&) const = default;

 private:
  std::optional<std::set<std::string, std::less<>>> only_;
  static inline const std::set<std::string, std::less<>> none_{};
};

}  // namespace sterifleet::store
