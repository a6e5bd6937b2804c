#include <gtest/gtest.h>

#include "sterifleet/protocol/codec.hpp"
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
      SessionStart{SessionId{"S-1"}, cartridge(), Millimetres{1.5}, Hertz{120}, OperatorId{"op-7"}, PatientRef{"p-1f3a"},
                   TreatmentArea::cheek},
      SessionEnd{SessionId{"S-1"}, 48000, 1200s},
      CartridgeInsert{cartridge()},
      CartridgeRemove{CartridgeId{"CRT-9"}},
      Fault{FaultCode{"E42"}, "motor stalled"},
      Telemetry{Percent{81.5}, 360000s, 9000000, Millimetres{0.5}, Hertz{100}, SessionId{"S-1"}},
      CycleComplete{CycleId{"C-1"}, Method::steam_prevac, true, Celsius{132.4}, 240s, Kilopascals{304.0},
                    {DeviceId{"PEN-0001"}, DeviceId{"PEN-0002"}}, PassFail::pass, true, OperatorId{"op-2"}, std::nullopt},
      CycleComplete{CycleId{"C-2"}, Method::chemical, false, Celsius{20}, 720s, std::nullopt, {DeviceId{"PEN-0003"}},
                    PassFail::pass, false, OperatorId{"op-2"}, ChemicalExposure{AgentId{"opa_0.55"}, Percent{0.55}}},
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
  for (const CommandBody& body : std::vector<CommandBody>{Lock{"cartridge.reused"}, Unlock{"cleared"},
                                                         Replay{17, 1040, 1050}, Replay{3, 1, std::nullopt}, Rebirth{}}) {
    const Command command{CommandId{"cmd-1"}, kNow, body};
    const auto decoded = decode_command(encode_command(command));
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(*decoded, command);
  }
}

}  // namespace
}  // namespace sterifleet::protocol
