// Decoding of untrusted device payloads and encoding of device messages; no I/O, no clock of its own.
// decode() either returns a fully validated message or the first rule of the spec it breaks.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/protocol/decode_error.hpp"
#include "sterifleet/protocol/message.hpp"

namespace sterifleet::protocol {

inline constexpr std::size_t max_payload_bytes = 16 * 1024;
inline constexpr std::size_t max_json_depth = 8;
inline constexpr std::size_t max_load_items = 256;
inline constexpr std::size_t max_text_length = 256;

struct DecodeContext {
  Timestamp now;                             ///< the receiver's clock, injected
  std::chrono::seconds max_clock_skew{300};  ///< how far ahead of `now` a device clock may run
};

/// Thread-safe (pure). The topic decides which channel's rules apply.
boost::system::result<Inbound, DecodeError> decode(std::string_view topic, std::string_view payload,
                                                   const DecodeContext& context);

/// A cycle.complete body on its own, as a person enters one for a sterilizer that does not report:
/// the same field rules as decode(), drift included (returned with it). Error and drift paths are
/// JSON Pointers that start with `path`, the body's place in what the person sent.
boost::system::result<CycleComplete, DecodeError> decode_cycle_body(const nlohmann::json& body, std::string_view path,
                                                                    std::vector<Drift>& drift);

/// The JSON payload of a message, fields in the order of the spec.
std::string encode(const DeviceMessage& message);
std::string encode(const StatusMessage& message);
/// The topic a message is published on.
std::string topic_of(const DeviceMessage& message);
std::string topic_of(const StatusMessage& message);

}  // namespace sterifleet::protocol
