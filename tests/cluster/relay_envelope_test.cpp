// The relay's envelope and per-daemon order check (pure), and the EventBus keeping this daemon's events
// apart from relayed ones.
#include "../../daemon/cluster/src/relay_envelope.hpp"

#include <gtest/gtest.h>

#include "sterifleet/fleet/event_bus.hpp"

namespace sterifleet::cluster {
namespace {

TEST(RelayEnvelope, RoundTripsAnEventAndASpillId) {
  const RelayedEvent inline_event{"a", "r1", 7, "north\nside", std::string("{\"type\":\"alert\",\n\"x\":\"\\\"q\"}")};
  const auto decoded = decode(encode(inline_event));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().reason;
  // A copy: GCC 12 cannot see that the result's accessors never yield null after has_value().
  const RelayedEvent back = *decoded;
  EXPECT_EQ(back.daemon, "a");
  EXPECT_EQ(back.run, "r1");
  EXPECT_EQ(back.seq, 7u);
  EXPECT_EQ(back.clinic, "north\nside") << "only the header's own end is a newline";
  EXPECT_EQ(std::get<std::string>(back.content), std::get<std::string>(inline_event.content));

  const auto decoded_spill = decode(encode({"a", "r1", 8, "", SpillId{42}}));
  ASSERT_TRUE(decoded_spill.has_value()) << decoded_spill.error().reason;
  const RelayedEvent spilled = *decoded_spill;
  EXPECT_EQ(spilled.clinic, "");
  EXPECT_EQ(std::get<SpillId>(spilled.content).id, 42);
}

TEST(RelayEnvelope, RefusesWhatIsNoRelayedEventWithItsReason) {
  const std::pair<std::string, const char*> cases[] = {
      {R"({"daemon":"a","run":"r","seq":1,"clinic":""}{})", "no header line"},
      {"hello\n{}", "the header is not a JSON object"},
      {"[1]\n{}", "the header is not a JSON object"},
      {"{\"run\":\"r\",\"seq\":1,\"clinic\":\"\"}\n{}", "no daemon id"},
      {"{\"daemon\":\"\",\"run\":\"r\",\"seq\":1,\"clinic\":\"\"}\n{}", "no daemon id"},
      {"{\"daemon\":\"a\",\"seq\":1,\"clinic\":\"\"}\n{}", "no run id"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":1}\n{}", "no clinic"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":0,\"clinic\":\"\"}\n{}", "no sequence number from 1"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":-3,\"clinic\":\"\"}\n{}", "no sequence number from 1"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":1,\"clinic\":\"\"}\n", "neither an event text nor a spill id"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":1,\"clinic\":\"\",\"spill\":4}\n{}",
       "both an event text and a spill id"},
      {"{\"daemon\":\"a\",\"run\":\"r\",\"seq\":1,\"clinic\":\"\",\"spill\":0}\n",
       "a spill id that is no positive integer"},
  };
  for (const auto& [payload, reason] : cases) {
    const auto decoded = decode(payload);
    ASSERT_FALSE(decoded.has_value()) << payload;
    EXPECT_EQ(decoded.error().reason, std::string(reason)) << payload;
  }
}

TEST(RunSequences, CountsTheEventsMissingBetweenTwoOfOneRun) {
  RunSequences sequences;
  EXPECT_EQ(sequences.accept("a", "r1", 5).lost, 0u) << "what came before the first one seen is unknown";
  EXPECT_EQ(sequences.accept("a", "r1", 6).lost, 0u);
  const auto after_gap = sequences.accept("a", "r1", 10);
  EXPECT_TRUE(after_gap.deliver);
  EXPECT_EQ(after_gap.lost, 3u);
  EXPECT_EQ(sequences.accept("b", "r9", 1).lost, 0u) << "daemons are counted apart";
}

TEST(RunSequences, DropsDuplicatesOfABatchSentAgain) {
  RunSequences sequences;
  sequences.accept("a", "r1", 1);
  sequences.accept("a", "r1", 2);
  EXPECT_FALSE(sequences.accept("a", "r1", 2).deliver);
  EXPECT_FALSE(sequences.accept("a", "r1", 1).deliver);
  EXPECT_TRUE(sequences.accept("a", "r1", 3).deliver);
}

TEST(RunSequences, ANewRunOfADaemonStartsOver) {
  RunSequences sequences;
  sequences.accept("a", "r1", 500);
  const auto restarted = sequences.accept("a", "r2", 1);
  EXPECT_TRUE(restarted.deliver);
  EXPECT_EQ(restarted.lost, 0u);
  sequences.forget();
  EXPECT_EQ(sequences.accept("a", "r2", 9).lost, 0u) << "forgotten: no gap counted after an outage";
}

TEST(EventBusForwarding, ForwardsOnlyThisDaemonsEventsAndCountsTheForwarderAsSubscriber) {
  fleet::EventBus bus;
  std::vector<std::pair<std::string, std::string>> forwarded;
  EXPECT_EQ(bus.subscribers(), 0u);
  bus.forward_local([&](std::string_view clinic, const std::string& event) { forwarded.emplace_back(clinic, event); });
  EXPECT_EQ(bus.subscribers(), 1u) << "the fleet only makes events for someone";
  auto subscription = bus.subscribe();
  bus.publish("north", "own");
  bus.publish_relayed("south", "theirs");
  ASSERT_EQ(forwarded.size(), 1u);
  EXPECT_EQ(forwarded[0], std::make_pair(std::string("north"), std::string("own")));
  std::size_t dropped = 0;
  EXPECT_EQ(subscription->drain(dropped), (std::vector<std::string>{"own", "theirs"}));
  bus.forward_local({});
  bus.publish("north", "after");
  EXPECT_EQ(forwarded.size(), 1u);
}

TEST(EventBusForwarding, ReportedLossesReachEverySubscriberAsDropped) {
  fleet::EventBus bus;
  auto north = bus.subscribe(8, store::ClinicScope({"north"}));
  auto all = bus.subscribe();
  int woken = 0;
  north->on_ready([&] { ++woken; });
  bus.report_lost(3);
  std::size_t dropped = 0;
  EXPECT_TRUE(north->drain(dropped).empty());
  EXPECT_EQ(dropped, 3u);
  all->drain(dropped);
  EXPECT_EQ(dropped, 3u);
  EXPECT_EQ(woken, 1) << "a waiting stream must wake up to tell its client";
}

}  // namespace
}  // namespace sterifleet::cluster
