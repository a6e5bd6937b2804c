// The live event stream: Server-Sent Events of alerts and device changes as they happen, heartbeats,
// the token in the query for EventSource, and a slow client that loses events instead of slowing us.
#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Client> open_stream(Harness& harness, const std::string& auth_line) {
  auto client = std::make_unique<Client>(harness.port());
  client->write_raw("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n" + auth_line + "\r\n");
  const auto head = client->read_until(": connected", 5s);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos) << head;
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  return client;
}

TEST(Stream, DeliversAnAlertRaisedByIngest) {
  Harness harness;
  auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
  // A third session on the same cartridge, from a pen that was not reprocessed.
  harness.send("north", "PEN-2", session_start("S4", "C3"), at_minute(320));
  // The Fleet publishes a commit's alerts before the devices they changed.
  const auto text = stream->read_until("event: device\ndata: {", 5s);
  EXPECT_NE(text.find("event: alert\ndata: {"), std::string::npos) << text;
  EXPECT_NE(text.find("\"rule\":\"cartridge.reused\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"transition\":\"opened\""), std::string::npos) << text;
}

// A token for some clinics streams their events only: the other clinics' alerts and devices never reach it.
TEST(Stream, ATokenForOneClinicGetsThatClinicsEventsOnly) {
  Harness harness;
  auto north = open_stream(harness, "Authorization: Bearer " + harness.north_token(Role::viewer) + "\r\n");
  auto all = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
  // The south pen's cartridge twice (an alert and a device change), then a north pen's telemetry.
  harness.send("south", "PEN-9", session_start("S91", "C91"), at_minute(320));
  harness.send("south", "PEN-9", session_end("S91"), at_minute(330));
  harness.send("south", "PEN-9", session_start("S92", "C91"), at_minute(340));
  harness.send("north", "PEN-2", session_start("S5", "C5"), at_minute(341));
  const auto seen_by_all = all->read_until("\"id\":\"PEN-2\"", 5s);
  EXPECT_NE(seen_by_all.find("\"clinic\":\"south\""), std::string::npos) << seen_by_all;
  const auto seen_by_north = north->read_until("\"id\":\"PEN-2\"", 5s);
  EXPECT_EQ(seen_by_north.find("south"), std::string::npos) << seen_by_north;
  EXPECT_EQ(seen_by_north.find("PEN-9"), std::string::npos) << seen_by_north;
}

// The stream carries alerts and device summaries, never a patient reference: a viewer sees the drift
// warning of a reference off the policy's pattern, not the reference.
TEST(Stream, CarriesNoPatientReference) {
  Harness harness;
  auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
  auto start = session_start("S4", "C4");
  std::get<protocol::SessionStart>(start).patient = protocol::PatientRef{"1985-03-02"};
  harness.send("north", "PEN-2", start, at_minute(320));
  const auto text = stream->read_until("event: device\ndata: {", 5s);
  EXPECT_NE(text.find("\"rule\":\"device.protocol_drift\""), std::string::npos) << text;
  EXPECT_NE(text.find("PEN-2/body/patient"), std::string::npos) << text;
  EXPECT_EQ(text.find("1985-03-02"), std::string::npos) << text;
}

TEST(Stream, AcceptsTheTokenInTheQuery) {
  Harness harness(empty_fleet());
  auto client = std::make_unique<Client>(harness.port());
  client->write_raw("GET /api/v1/stream?access_token=" + harness.token(Role::viewer) + " HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(client->read_until("\r\n\r\n", 5s).starts_with("HTTP/1.1 200 OK"));
  Client other(harness.port());
  other.write_raw("GET /api/v1/stream?access_token=sft_nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(other.read_until("\r\n\r\n", 5s).starts_with("HTTP/1.1 401"));
}

// A quiet stream carries a comment line every heartbeat period, so that proxies keep it open.
TEST(Stream, SendsHeartbeats) {
  Harness harness(tweaked([](HttpOptions& o) { o.heartbeat = 1s; }));
  auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::auditor) + "\r\n");
  const auto opened = std::chrono::steady_clock::now();
  std::string seen;
  const auto heartbeats = [&] {
    std::size_t n = 0;
    for (auto at = seen.find(": heartbeat\n\n"); at != std::string::npos; at = seen.find(": heartbeat\n\n", at + 1))
      ++n;
    return n;
  };
  while (heartbeats() < 2) seen += stream->read_until(": heartbeat\n\n", 4s);
  const auto waited = std::chrono::steady_clock::now() - opened;
  EXPECT_GE(waited, 1500ms) << "two heartbeats a second apart, not at once";
  EXPECT_LT(waited, 5s);
}

TEST(Stream, ASlowClientLosesTheOldestEventsAndIsTold) {
  Harness harness(tweaked([](HttpOptions& o) { o.stream_queue = 2; }));
  auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
  for (int i = 0; i < 2000; ++i) {
    harness.events().publish("north", R"({"type":"device","device":{"id":"D-)" + std::to_string(i) + R"("}})");
  }
  const auto text = stream->read_until("\"id\":\"D-1999\"", 10s);
  EXPECT_NE(text.find("event: dropped\ndata: {\"dropped\":"), std::string::npos);
}

TEST(Stream, ClosingTheClientEndsTheSubscription) {
  Harness harness(empty_fleet());
  {
    auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
    EXPECT_EQ(harness.events().subscribers(), 1u);
  }
  for (int i = 0; i < 100 && harness.events().subscribers() > 0; ++i) std::this_thread::sleep_for(20ms);
  EXPECT_EQ(harness.events().subscribers(), 0u);
  EXPECT_EQ(harness.server().connections(), 0u);
}

TEST(Stream, StopClosesOpenStreams) {
  Harness harness(empty_fleet());
  auto stream = open_stream(harness, "Authorization: Bearer " + harness.token(Role::viewer) + "\r\n");
  harness.server().stop();
  EXPECT_TRUE(stream->closed_by_peer(3s));
}

}  // namespace
}  // namespace sterifleet::http::testing
