// The device summary is written as text, not built as a JSON value: whatever a device calls itself
// (quotes, backslashes, control characters, accents: drift it may send) it must stay valid JSON that
// reads back to what was sent, with every field of the API's Device schema.
#include "sterifleet/fleet/views.hpp"

#include <gtest/gtest.h>

#include "sterifleet/protocol/time.hpp"

namespace sterifleet::fleet::testing {
namespace {

using nlohmann::json;

const protocol::Timestamp kAt = *protocol::parse_timestamp("2026-03-02T09:00:00.000Z");

TEST(DeviceSummary, IsValidJsonWhateverTheDeviceCallsItself) {
  engine::Engine engine(engine::Policy{}, kAt);
  const json model = "MN \"2\" \\ \u0001 \u00e9";
  const json payload{{"v", 1},
                     {"device", "PEN-1"},
                     {"boot", 1},
                     {"seq", 1},
                     {"ts", "2026-03-02T09:00:00.000Z"},
                     {"type", "birth"},
                     {"body", {{"kind", "pen"}, {"model", model}, {"firmware", "1.0"}, {"heartbeat_s", 60}}}};
  const auto judged = engine.receive({"sterifleet/v1/north/PEN-1/birth", payload.dump(), kAt}, {});
  ASSERT_EQ(judged.disposition, engine::Disposition::accepted) << judged.reason << ": " << judged.detail;
  const auto* pen = engine.device(protocol::DeviceId{"PEN-1"});
  ASSERT_NE(pen, nullptr);

  const auto summary = json::parse(device_summary(engine, *pen), nullptr, false);
  ASSERT_FALSE(summary.is_discarded()) << device_summary(engine, *pen);
  EXPECT_EQ(summary["model"], model);
  EXPECT_EQ(summary["id"], "PEN-1");
  EXPECT_EQ(summary["kind"], "pen");
  EXPECT_EQ(summary["last_received"], "2026-03-02T09:00:00.000Z");
  EXPECT_TRUE(summary["telemetry"].is_null());
  EXPECT_TRUE(summary["mounted_cartridge"].is_null());
  EXPECT_EQ(summary["open_alerts"], 1);  // device.protocol_drift: a control character in its model
  EXPECT_EQ(summary["worst_severity"], "warning");
  for (const char* field : {"clinic", "firmware", "registered", "state", "presence", "hygiene", "locked", "last_seen",
                            "worst_severity", "in_maintenance"}) {
    EXPECT_TRUE(summary.contains(field)) << field;
  }
}

}  // namespace
}  // namespace sterifleet::fleet::testing
