#include "sterifleet/protocol/codec.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sterifleet/protocol/command.hpp"

namespace sterifleet::protocol {
namespace {

using namespace std::chrono_literals;

const Timestamp kNow = *parse_timestamp("2026-11-24T12:00:00Z");

DeviceMessage message_with(Body body) {
  return DeviceMessage{ClinicId{"north"}, Envelope{DeviceId{"PEN-0001"}, 17, 1042, kNow - 5s}, std::move(body)};
}

Cartridge cartridge() {
  return Cartridge{CartridgeId{"CRT-9"}, LotId{"L2026-11"}, Date{std::chrono::year{2027} / 3 / 31}, 12, 200000, 3600s};
}

TEST(Codec, EveryBodyTypeSurvivesEncodeAndDecode) {
  const std::vector<Body> bodies{
      Birth{DeviceKind::pen, "Dermapen 4", "4.2.1", 60s},
      SessionStart{SessionId{"S-1"}, cartridge(), Millimetres{1.5}, Hertz{120}, OperatorId{"op-7"},
                   PatientRef{"p-1f3a"}, TreatmentArea::cheek},
      SessionEnd{SessionId{"S-1"}, 48000, 1200s},
      CartridgeInsert{cartridge()},
      CartridgeRemove{CartridgeId{"CRT-9"}},
      Fault{FaultCode{"E42"}, "motor stalled"},
      Telemetry{Percent{81.5}, 360000s, 9000000, Millimetres{0.5}, Hertz{100}, SessionId{"S-1"}},
      CycleComplete{CycleId{"C-1"},
                    Method::steam_prevac,
                    true,
                    Celsius{132.4},
                    240s,
                    Kilopascals{304.0},
                    {DeviceId{"PEN-0001"}, DeviceId{"PEN-0002"}},
                    PassFail::pass,
                    true,
                    OperatorId{"op-2"},
                    std::nullopt},
      CycleComplete{CycleId{"C-2"},
                    Method::chemical,
                    false,
                    Celsius{20},
                    720s,
                    std::nullopt,
                    {DeviceId{"PEN-0003"}},
                    PassFail::pass,
                    false,
                    OperatorId{"op-2"},
                    ChemicalExposure{AgentId{"opa_0.55"}, Percent{0.55}}},
      BiResult{CycleId{"C-1"}, BiReading::positive},
      BowieDickTest{PassFail::fail},
  };
  for (const auto& body : bodies) {
    const auto message = message_with(body);
    const auto decoded = decode(topic_of(message), encode(message), {kNow});
    ASSERT_TRUE(decoded) << type_name(body) << ": " << decoded.error().message();
    EXPECT_EQ(std::get<DeviceMessage>(*decoded), message) << type_name(body);
  }
}

TEST(Codec, StatusSurvivesEncodeAndDecode) {
  const StatusMessage status{ClinicId{"north"}, DeviceId{"PEN-0001"}, 17, false, true};
  const auto decoded = decode(topic_of(status), encode(status), {kNow});
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(std::get<StatusMessage>(*decoded), status);
}

TEST(Codec, CommandsSurviveEncodeAndDecode) {
  for (const CommandBody& body :
       std::vector<CommandBody>{Lock{"cartridge.reused"}, Unlock{"cleared"}, Replay{17, 1040, 1050},
                                Replay{3, 1, std::nullopt}, Rebirth{}}) {
    const Command command{CommandId{"cmd-1"}, kNow, body};
    const auto decoded = decode_command(encode_command(command));
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, command);
  }
}

// The malformed table (malformed.json) shows every limit broken by one step; these show the limit
// itself is accepted, so the codec is not stricter than the spec either.
namespace limits {

using json = nlohmann::json;

const DecodeContext kContext{*parse_timestamp("2026-12-01T00:00:00Z")};

const json kPen = json::parse(R"({"v":1,"device":"PEN-0001","boot":17,"seq":1042,"ts":"2026-11-24T09:15:02.120Z",
  "type":"session.start","body":{"session":"S-1","cartridge":{"id":"CRT-1","lot":"L1","expires":"2027-06-30",
  "needles":12,"max_strokes":300000,"max_runtime_s":3600},"depth_mm":1.5,"speed":110,"operator":"op-anna",
  "patient":"pt-8c1e0b","area":"cheek"}})");
const json kCycle = json::parse(R"({"v":1,"device":"STER-01","boot":3,"seq":57,"ts":"2026-11-24T11:05:00.000Z",
  "type":"cycle.complete","body":{"cycle":"CYC-1","method":"chemical","wrapped":false,"temp_c":20.0,
  "exposure_s":720,"load":["PEN-0004"],"ci":"pass","operator":"op-tom","agent":"opa","concentration_pct":0.55}})");
const json kFault = json::parse(R"({"v":1,"device":"PEN-0002","boot":4,"seq":311,"ts":"2026-11-24T10:02:00.000Z",
  "type":"fault","body":{"code":"E42","detail":"motor stalled"}})");

json with(json message, const std::string& pointer, json value) {
  message[json::json_pointer(pointer)] = std::move(value);
  return message;
}

std::string topic_for(const json& message) {
  return "sterifleet/v1/north/" + message.at("device").get<std::string>() + "/event";
}

::testing::AssertionResult accepted(const json& message) {
  const auto decoded = decode(topic_for(message), message.dump(), kContext);
  if (decoded) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << to_string(decoded.error().reason) << ": " << decoded.error().message();
}

TEST(Limits, NumbersAtTheirBoundsAreAccepted) {
  for (const auto& [pointer, value] :
       std::vector<std::pair<std::string, json>>{{"/boot", 0},
                                                 {"/boot", 4294967295u},
                                                 {"/seq", 1},
                                                 {"/seq", 9007199254740991u},
                                                 {"/body/depth_mm", 0},
                                                 {"/body/depth_mm", 3.0},
                                                 {"/body/speed", 1},
                                                 {"/body/speed", 200.0},
                                                 {"/body/cartridge/needles", 1},
                                                 {"/body/cartridge/needles", 100},
                                                 {"/body/cartridge/max_strokes", 1},
                                                 {"/body/cartridge/max_strokes", 1000000000},
                                                 {"/body/cartridge/max_runtime_s", 1},
                                                 {"/body/cartridge/max_runtime_s", 86400}}) {
    EXPECT_TRUE(accepted(with(kPen, pointer, value))) << pointer << " = " << value;
  }
  for (const auto& [pointer, value] : std::vector<std::pair<std::string, json>>{{"/body/temp_c", 0},
                                                                                {"/body/temp_c", 400},
                                                                                {"/body/exposure_s", 0},
                                                                                {"/body/exposure_s", 86400},
                                                                                {"/body/concentration_pct", 0.01},
                                                                                {"/body/concentration_pct", 100}}) {
    EXPECT_TRUE(accepted(with(kCycle, pointer, value))) << pointer << " = " << value;
  }
}

TEST(Limits, IdsOfSixtyFourCharactersAreAccepted) {
  EXPECT_TRUE(accepted(with(kPen, "/body/session", std::string(64, 's'))));
  EXPECT_TRUE(accepted(with(kPen, "/body/patient", std::string(64, 'p'))));
  EXPECT_TRUE(accepted(with(kPen, "/body/cartridge/lot", "L")));
}

TEST(Limits, TextLengthsCountBytes) {
  EXPECT_TRUE(accepted(with(kFault, "/body/detail", "")));  // 0 bytes is allowed for detail
  EXPECT_TRUE(accepted(with(kFault, "/body/detail", std::string(256, 'd'))));
  std::string accents;
  for (int i = 0; i < 128; ++i) accents += "\xc3\xa9";  // 128 characters, 256 bytes
  EXPECT_TRUE(accepted(with(kFault, "/body/detail", accents)));
  // Longer text is drift: accepted as sent, and named.
  const auto decoded = decode(topic_for(kFault), with(kFault, "/body/detail", accents + "\xc3\xa9").dump(), kContext);
  ASSERT_TRUE(decoded);
  const auto& message = std::get<DeviceMessage>(*decoded);
  EXPECT_EQ(std::get<Fault>(message.body).detail, accents + "\xc3\xa9");
  ASSERT_EQ(message.drift.size(), 1u);
  EXPECT_EQ(message.drift[0].path, "/body/detail");
  EXPECT_EQ(message.drift[0].detail, "longer than 256 bytes");
}

TEST(Limits, TimestampsAtTheEdgesOfTheWindowAreAccepted) {
  EXPECT_TRUE(accepted(with(kFault, "/ts", "2000-01-01T00:00:00Z")));
  EXPECT_TRUE(accepted(with(kFault, "/ts", "2026-12-01T00:05:00Z")));         // exactly 300 s ahead
  EXPECT_TRUE(accepted(with(kFault, "/ts", "2026-12-01T00:05:00.000999Z")));  // still 300 s once truncated
}

TEST(Limits, LoadOfZeroAnd256DevicesIsAccepted) {
  EXPECT_TRUE(accepted(with(kCycle, "/body/load", json::array())));
  json load = json::array();
  for (int i = 0; i < 256; ++i) load.push_back("PEN-" + std::to_string(i));
  EXPECT_TRUE(accepted(with(kCycle, "/body/load", load)));
}

TEST(Limits, PayloadOfExactly16384BytesIsAccepted) {
  auto message = with(kFault, "/body/padding", "");
  const auto size = message.dump().size();
  message["body"]["padding"] = std::string(max_payload_bytes - size, 'x');
  ASSERT_EQ(message.dump().size(), max_payload_bytes);
  EXPECT_TRUE(accepted(message));
}

TEST(Limits, NestingOfExactlyEightLevelsIsAccepted) {
  // The root object is level 1 and body level 2, so six more arrays make eight.
  EXPECT_TRUE(accepted(with(kFault, "/body/extra", json::parse("[[[[[[1]]]]]]"))));
}

TEST(Limits, UnknownFieldsAreIgnoredAtEveryLevel) {
  auto message = with(kPen, "/extension", json::object({{"nested", true}}));
  message = with(message, "/body/firmware_hint", "4.3");
  message = with(message, "/body/cartridge/colour", "blue");
  EXPECT_TRUE(accepted(message));
  const auto status = decode("sterifleet/v1/north/PEN-0001/status",
                             R"({"v":1,"device":"PEN-0001","boot":17,"online":true,"rssi":-60})", kContext);
  EXPECT_TRUE(status);
  EXPECT_TRUE(decode_command(R"({"v":1,"cmd":"rebirth","id":"c-1","ts":"2026-11-24T09:16:00Z","why":"lost"})"));
}

// A repeated key is refused however many keys the object has (a big object takes another way through
// the check, so that a hostile one costs no quadratic time).
TEST(Limits, ARepeatedKeyAmongManyIsRefused) {
  for (const int keys : {3, 16, 17, 40, 800}) {  // 800 keep within the payload limit
    std::string unique = kFault.dump();
    unique.pop_back();  // the closing brace
    for (int k = 0; k < keys; ++k) unique += ",\"extra" + std::to_string(k) + "\":" + std::to_string(k);
    const auto repeated = unique + ",\"extra" + std::to_string(keys / 2) + "\":0}";
    unique += "}";
    EXPECT_TRUE(decode(topic_for(kFault), unique, kContext)) << keys << " keys";
    const auto refused = decode(topic_for(kFault), repeated, kContext);
    ASSERT_FALSE(refused) << keys << " keys";
    EXPECT_EQ(refused.error().reason, Reason::duplicate_key) << keys << " keys";
  }
}

TEST(Limits, OptionalFieldsHaveTheirDefaults) {
  auto dry = with(kCycle, "/body/method", "dry_heat");
  dry["body"].erase("agent");
  dry["body"].erase("concentration_pct");
  const auto decoded = decode(topic_for(dry), dry.dump(), kContext);
  ASSERT_TRUE(decoded) << decoded.error().message();
  const auto& cycle = std::get<CycleComplete>(std::get<DeviceMessage>(*decoded).body);
  EXPECT_FALSE(cycle.pressure);  // only steam must report it
  EXPECT_FALSE(cycle.biological_indicator);
  EXPECT_FALSE(cycle.chemical);
}

// Any integer other than 1, however large, is another version, not a range error.
TEST(Limits, EveryOtherVersionIsUnsupported) {
  for (const auto* version : {"0", "2", "-1", "18446744073709551615"}) {
    const auto payload = R"({"v":)" + std::string(version) + R"(,"device":"PEN-0001","boot":17,"online":true})";
    const auto decoded = decode("sterifleet/v1/north/PEN-0001/status", payload, kContext);
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error().reason, Reason::unsupported_version) << version;
    const auto command = decode_command(R"({"v":)" + std::string(version) + R"(,"cmd":"rebirth"})");
    ASSERT_FALSE(command);
    EXPECT_EQ(command.error().reason, Reason::unsupported_version) << version;
  }
}

}  // namespace limits

}  // namespace
}  // namespace sterifleet::protocol
