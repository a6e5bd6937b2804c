// Typed form of every message of protocol v1 (see protocol/README.md, the specification).
// A decoded message has passed every check of the spec that a rule relies on, so consumers never
// re-validate fields; what a device sent outside the spec's rules in a descriptive field is listed as
// its drift, and kept as sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/time.hpp"
#include "sterifleet/protocol/units.hpp"

namespace sterifleet::protocol {

inline constexpr int protocol_version = 1;

enum class DeviceKind { pen, roller, sterilizer };
enum class TreatmentArea { forehead, periorbital, nose, cheek, perioral, neck, decolletage, scalp, hands, body };
enum class Method { steam_gravity, steam_prevac, dry_heat, chemical };
enum class PassFail { pass, fail };
enum class BiReading { negative, positive };

std::string_view to_string(DeviceKind kind) noexcept;
std::string_view to_string(TreatmentArea area) noexcept;
std::string_view to_string(Method method) noexcept;
std::string_view to_string(PassFail result) noexcept;
std::string_view to_string(BiReading result) noexcept;
std::optional<DeviceKind> parse_device_kind(std::string_view text) noexcept;
std::optional<TreatmentArea> parse_treatment_area(std::string_view text) noexcept;
std::optional<Method> parse_method(std::string_view text) noexcept;

/// A value of one of the spec's lists, or (descriptive drift) a value the spec does not list, kept as sent.
template <class Enum>
struct Listed {
  std::optional<Enum> known;
  std::string unlisted;  ///< the value as sent, when it is not on the list

  Listed() = default;
  Listed(Enum value) : known(value) {}  // NOLINT(google-explicit-constructor): a listed value is a Listed
  static Listed other(std::string text) {
    Listed value;
    value.unlisted = std::move(text);
    return value;
  }
  friend bool operator==(const Listed&, const Listed&) = default;
};

/// The wire name of a listed value, or the unlisted value as sent.
template <class Enum>
std::string_view to_string(const Listed<Enum>& value) noexcept {
  return value.known ? to_string(*value.known) : std::string_view(value.unlisted);
}

/// Descriptive drift: a field that no rule judges by, sent outside the spec's rules (a value the spec
/// does not list, text too long for display, a number outside its range, an id outside the charset),
/// or a field the spec does not define. The message is accepted and judged conservatively.
struct Drift {
  std::string path;    ///< JSON Pointer, e.g. "/body/area"
  std::string value;   ///< as sent, shortened for display: "\"face\"", "250", "an object"
  std::string detail;  ///< what the spec expects there
  friend bool operator==(const Drift&, const Drift&) = default;
};

struct Cartridge {
  CartridgeId id;
  LotId lot;
  Date expires;  ///< usable through the end of this UTC day
  std::int64_t needles = 0;
  std::int64_t max_strokes = 0;
  std::optional<Seconds> max_runtime;
  friend bool operator==(const Cartridge&, const Cartridge&) = default;
};

struct Birth {
  static constexpr std::string_view type = "birth";
  Listed<DeviceKind> kind = DeviceKind::pen;
  std::string model;
  std::string firmware;
  std::optional<Seconds> heartbeat;  ///< longest silence while online; the policy default applies if absent
  friend bool operator==(const Birth&, const Birth&) = default;
};

struct SessionStart {
  static constexpr std::string_view type = "session.start";
  SessionId session;
  Cartridge cartridge;
  Millimetres depth;
  Hertz speed;
  OperatorId operator_id;
  PatientRef patient;
  Listed<TreatmentArea> area = TreatmentArea::cheek;
  friend bool operator==(const SessionStart&, const SessionStart&) = default;
};

struct SessionEnd {
  static constexpr std::string_view type = "session.end";
  SessionId session;
  std::int64_t strokes = 0;
  Seconds runtime{0};
  friend bool operator==(const SessionEnd&, const SessionEnd&) = default;
};

struct CartridgeInsert {
  static constexpr std::string_view type = "cartridge.insert";
  Cartridge cartridge;
  friend bool operator==(const CartridgeInsert&, const CartridgeInsert&) = default;
};

struct CartridgeRemove {
  static constexpr std::string_view type = "cartridge.remove";
  CartridgeId cartridge;
  friend bool operator==(const CartridgeRemove&, const CartridgeRemove&) = default;
};

struct Fault {
  static constexpr std::string_view type = "fault";
  FaultCode code;
  std::string detail;
  friend bool operator==(const Fault&, const Fault&) = default;
};

struct Telemetry {
  static constexpr std::string_view type = "telemetry";
  Percent battery;
  Seconds motor_runtime{0};        ///< lifetime motor run time; firmware resets it at service
  std::int64_t motor_strokes = 0;  ///< lifetime strokes
  Millimetres depth;
  Hertz speed;
  std::optional<SessionId> session;
  friend bool operator==(const Telemetry&, const Telemetry&) = default;
};

struct ChemicalExposure {
  AgentId agent;
  Percent concentration;
  friend bool operator==(const ChemicalExposure&, const ChemicalExposure&) = default;
};

struct CycleComplete {
  static constexpr std::string_view type = "cycle.complete";
  CycleId cycle;
  Method method = Method::steam_gravity;
  bool wrapped = false;
  Celsius temperature;  ///< lowest held during exposure
  Seconds exposure{0};  ///< for chemical: the contact time
  std::optional<Kilopascals> pressure;
  std::vector<DeviceId> load;
  PassFail chemical_indicator = PassFail::pass;
  bool biological_indicator = false;  ///< a BI rides in the load; bi.result follows
  OperatorId operator_id;
  std::optional<ChemicalExposure> chemical;  ///< present exactly when method is chemical
  friend bool operator==(const CycleComplete&, const CycleComplete&) = default;
};

struct BiResult {
  static constexpr std::string_view type = "bi.result";
  CycleId cycle;
  BiReading result = BiReading::negative;
  friend bool operator==(const BiResult&, const BiResult&) = default;
};

struct BowieDickTest {
  static constexpr std::string_view type = "test.bowie_dick";
  PassFail result = PassFail::pass;
  friend bool operator==(const BowieDickTest&, const BowieDickTest&) = default;
};

using Body = std::variant<Birth, SessionStart, SessionEnd, CartridgeInsert, CartridgeRemove, Fault, Telemetry,
                          CycleComplete, BiResult, BowieDickTest>;

/// The wire name of a body's type, e.g. "session.start".
std::string_view type_name(const Body& body) noexcept;

/// (device, boot, seq) is the idempotency key: a redelivered message carries the same three.
struct Envelope {
  DeviceId device;
  std::uint32_t boot = 0;
  std::uint64_t seq = 0;
  Timestamp ts;
  friend bool operator==(const Envelope&, const Envelope&) = default;
};

/// A sequenced message from a device: birth, event or telemetry channel.
struct DeviceMessage {
  ClinicId clinic;
  Envelope envelope;
  Body body;
  std::vector<Drift> drift = {};  ///< by path
  friend bool operator==(const DeviceMessage&, const DeviceMessage&) = default;
};

/// Presence on the retained status channel; the broker publishes the offline form as the last will.
struct StatusMessage {
  ClinicId clinic;
  DeviceId device;
  std::uint32_t boot = 0;
  bool online = false;
  bool shutdown = false;          ///< an orderly power-off, so the device is not expected back soon
  std::vector<Drift> drift = {};  ///< by path
  friend bool operator==(const StatusMessage&, const StatusMessage&) = default;
};

using Inbound = std::variant<DeviceMessage, StatusMessage>;

}  // namespace sterifleet::protocol
