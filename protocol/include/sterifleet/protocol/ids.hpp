// Strongly typed identifiers of the wire protocol.
// Every id on the wire matches [A-Za-z0-9_.-]{1,64}; the types keep a clinic from being passed as a device.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace sterifleet::protocol {

inline constexpr std::size_t max_id_length = 64;

/// True when `text` is a well-formed protocol id. Thread-safe (pure).
bool is_valid_id(std::string_view text) noexcept;

template <class Tag>
class Id {
 public:
  Id() = default;
  explicit Id(std::string value) : value_(std::move(value)) {}

  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }

  friend auto operator<=>(const Id&, const Id&) = default;
  friend bool operator==(const Id&, const Id&) = default;

 private:
  std::string value_;
};

using ClinicId = Id<struct ClinicTag>;
using DeviceId = Id<struct DeviceTag>;
using SessionId = Id<struct SessionTag>;
using CartridgeId = Id<struct CartridgeTag>;
using LotId = Id<struct LotTag>;
using CycleId = Id<struct CycleTag>;
using OperatorId = Id<struct OperatorTag>;
using PatientRef = Id<struct PatientTag>;
using AgentId = Id<struct AgentTag>;
using FaultCode = Id<struct FaultCodeTag>;
using CommandId = Id<struct CommandTag>;

}  // namespace sterifleet::protocol

template <class Tag>
struct std::hash<sterifleet::protocol::Id<Tag>> {
  std::size_t operator()(const sterifleet::protocol::Id<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
