// Two daemons' event relays (two buses, two daemon ids) on one real PostgreSQL database: what one
// daemon publishes reaches the other's streams once, in order, in its clinic's scope, large or not; a
// PostgreSQL restart or lost events are reported to the streams as dropped, and relaying resumes.
#include "sterifleet/cluster/event_relay.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "sterifleet/fleet/event_bus.hpp"
#include "sterifleet/testing/postgres.hpp"

namespace sterifleet::cluster {
namespace {

using namespace std::chrono_literals;

std::string schema_v1() {
  std::ifstream file(STERIFLEET_PG_SCHEMA_V1);
  std::stringstream text;
  text << file.rdbuf();
  if (text.str().empty()) throw std::runtime_error("cannot read " STERIFLEET_PG_SCHEMA_V1);
  return text.str();
}

std::string migrated(const std::string& url) {
  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec(schema_v1());
  tx.commit();
  return url;
}

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds within = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

/// A metric's value by name and one label ("" for none).
double metric(prometheus::Registry& registry, const std::string& name, const std::string& label = "",
              const std::string& value = "") {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      const bool match = label.empty() || std::any_of(m.label.begin(), m.label.end(), [&](const auto& l) {
                           return l.name == label && l.value == value;
                         });
      if (match) return family.type == prometheus::MetricType::Gauge ? m.gauge.value : m.counter.value;
    }
  }
  return 0;
}

/// What a stream of the bus was given: its events and the count of events it was told it lost.
struct Stream {
  std::shared_ptr<fleet::EventBus::Subscription> subscription;
  std::vector<std::string> events;
  std::size_t dropped = 0;

  Stream& take() {
    std::size_t more = 0;
    for (auto& e : subscription->drain(more)) events.push_back(std::move(e));
    dropped += more;
    return *this;
  }
};

/// A daemon as the relay sees it: its bus, metrics and relay.
struct Daemon {
  Daemon(const std::string& url, const std::string& id, EventRelayOptions options = {})
      : relay(std::make_unique<EventRelay>(url, id, bus, metrics, options)) {}

  Stream stream(store::ClinicScope scope = {}) {
    Stream stream;
    stream.subscription = bus.subscribe(100000, std::move(scope));
    return stream;
  }
  bool connected(const char* connection) {
    return metric(metrics, "sterifleet_cluster_event_relay_connected", "connection", connection) == 1;
  }
  bool listening() {
    return eventually([&] { return connected("listen"); });
  }

  fleet::EventBus bus;
  prometheus::Registry metrics;
  std::unique_ptr<EventRelay> relay;
};

EventRelayOptions quick() {
  return {.queue = 10000, .backoff_first = 50ms, .backoff_max = 200ms, .check_every = 200ms, .spill_keep = 600s};
}

std::string event(int n) { return R"({"type":"device","n":)" + std::to_string(n) + "}"; }

TEST(EventRelay, AnEventReachesTheOtherDaemonOnceInItsClinicsScopeAndNotItsOwnTwice) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  Daemon a(url, "a"), b(url, "b");
  ASSERT_TRUE(a.listening() && b.listening());
  auto a_all = a.stream();
  auto b_all = b.stream();
  auto b_north = b.stream(store::ClinicScope({"north"}));

  a.bus.publish("north", event(1));
  a.bus.publish("south", event(2));
  a.bus.publish("", event(3));

  ASSERT_TRUE(eventually([&] { return b_all.take().events.size() == 3; })) << b_all.events.size();
  std::this_thread::sleep_for(300ms);  // a duplicate or an echo would arrive by now
  EXPECT_EQ(b_all.take().events, (std::vector{event(1), event(2), event(3)}));
  EXPECT_EQ(b_north.take().events, (std::vector{event(1)}));
  EXPECT_EQ(a_all.take().events, (std::vector{event(1), event(2), event(3)})) << "own events came back";
  EXPECT_EQ(b_all.dropped + a_all.dropped, 0u);
  EXPECT_EQ(metric(a.metrics, "sterifleet_cluster_events_sent_total"), 3);
  EXPECT_EQ(metric(b.metrics, "sterifleet_cluster_events_received_total"), 3);
  EXPECT_EQ(metric(a.metrics, "sterifleet_cluster_events_received_total"), 0);
}

TEST(EventRelay, EventsOfOneDaemonKeepTheirOrderAndTravelBothWays) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  Daemon a(url, "a"), b(url, "b");
  ASSERT_TRUE(a.listening() && b.listening());
  auto at_a = a.stream();
  auto at_b = b.stream();
  std::vector<std::string> from_a, from_b;
  for (int n = 0; n < 1000; ++n) {
    from_a.push_back(R"({"from":"a","n":)" + std::to_string(n) + "}");
    from_b.push_back(R"({"from":"b","n":)" + std::to_string(n) + "}");
    a.bus.publish("north", from_a.back());
    b.bus.publish("south", from_b.back());
  }
  ASSERT_TRUE(eventually([&] { return at_b.take().events.size() == 2000 && at_a.take().events.size() == 2000; }));
  const auto only = [](const std::vector<std::string>& events, const std::string& from) {
    std::vector<std::string> out;
    std::copy_if(events.begin(), events.end(), std::back_inserter(out),
                 [&](const auto& e) { return e.starts_with(R"({"from":")" + from); });
    return out;
  };
  EXPECT_EQ(only(at_b.events, "a"), from_a);
  EXPECT_EQ(only(at_a.events, "b"), from_b);
  EXPECT_EQ(at_b.dropped + at_a.dropped, 0u);
}

TEST(EventRelay, AnEventLargerThanANotifyPayloadArrivesWhole) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  Daemon a(url, "a"), b(url, "b");
  ASSERT_TRUE(b.listening());
  auto at_b = b.stream();
  const std::string large = R"({"type":"device","notes":")" + std::string(50000, 'x') + "\\\"\"}";
  a.bus.publish("north", event(1));
  a.bus.publish("north", large);
  a.bus.publish("north", event(2));
  ASSERT_TRUE(eventually([&] { return at_b.take().events.size() == 3; }));
  EXPECT_EQ(at_b.events, (std::vector{event(1), large, event(2)}));
  EXPECT_EQ(at_b.dropped, 0u);
  EXPECT_EQ(metric(a.metrics, "sterifleet_cluster_events_spilled_total"), 1);
}

TEST(EventRelay, SpilledEventsArePrunedAndNeverLostSilently) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  auto options = quick();
  options.spill_keep = 0s;  // pruned right after it is sent: b may or may not read it first
  Daemon a(url, "a", options), b(url, "b");
  ASSERT_TRUE(b.listening());
  auto at_b = b.stream();
  a.bus.publish("north", R"({"type":"device","notes":")" + std::string(9000, 'x') + "\"}");
  ASSERT_TRUE(eventually([&] { return at_b.take().events.size() + at_b.dropped == 1; }));
  pqxx::connection connection(url);
  EXPECT_TRUE(eventually([&] { return pqxx::work(connection).exec("SELECT 1 FROM event_spill").empty(); }));
}

TEST(EventRelay, NotificationsThatAreNoRelayableEventAreReportedAsLost) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  Daemon b(url, "b");
  ASSERT_TRUE(b.listening());
  auto at_b = b.stream();
  pqxx::connection connection(url);
  pqxx::work tx(connection);
  tx.exec("SELECT pg_notify('sterifleet_events', 'not an event')");
  tx.exec(
      "SELECT pg_notify('sterifleet_events', '{\"daemon\":\"c\",\"run\":\"r\",\"seq\":1,\"clinic\":\"north\","
      "\"spill\":999}' || chr(10))");
  tx.commit();
  ASSERT_TRUE(eventually([&] { return at_b.take().dropped == 2; }));
  EXPECT_TRUE(at_b.events.empty());
  EXPECT_EQ(metric(b.metrics, "sterifleet_cluster_events_lost_total", "reason", "malformed"), 1);
  EXPECT_EQ(metric(b.metrics, "sterifleet_cluster_events_lost_total", "reason", "spill_gone"), 1);
}

TEST(EventRelay, EventsDroppedByTheSenderAreReportedAsAGapToTheOtherStreams) {
  const auto url = migrated(testing::shared_postgres().fresh_database("relay"));
  auto options = quick();
  options.queue = 2;
  options.backoff_first = 1s;
  Daemon a(url, "a", options), b(url, "b");
  ASSERT_TRUE(b.listening());
  ASSERT_TRUE(eventually([&] { return a.connected("notify"); }));
  auto at_b = b.stream();
  testing::shared_postgres().query(
      "postgres",
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sterifleetd a events out'");
  a.bus.publish("north", event(1));  // fails on the lost connection, is kept and sent again
  ASSERT_TRUE(eventually([&] { return !a.connected("notify"); }));
  for (int n = 2; n <= 6; ++n) a.bus.publish("north", event(n));  // the queue keeps the last two

  ASSERT_TRUE(eventually([&] { return at_b.take().events.size() == 3; }));
  EXPECT_EQ(at_b.events, (std::vector{event(1), event(5), event(6)}));
  EXPECT_EQ(at_b.dropped, 3u);
  EXPECT_EQ(metric(a.metrics, "sterifleet_cluster_events_lost_total", "reason", "queue_full"), 3);
  EXPECT_EQ(metric(b.metrics, "sterifleet_cluster_events_lost_total", "reason", "gap"), 3);
}

TEST(EventRelay, AfterPostgresqlRestartsTheRelayReconnectsAndTheGapIsReported) {
  testing::PostgresOptions options;
  options.fsync = false;
  testing::Postgres server(options);
  const auto url = migrated(server.create_database("relay"));
  Daemon a(url, "a", quick()), b(url, "b", quick());
  ASSERT_TRUE(a.listening() && b.listening());
  auto at_b = b.stream();
  a.bus.publish("north", event(1));
  ASSERT_TRUE(eventually([&] { return at_b.take().events.size() == 1; }));

  server.stop();
  ASSERT_TRUE(eventually([&] { return !b.connected("listen"); }));
  a.bus.publish("north", event(2));  // queued by a: sent once it reconnects, maybe before b listens again
  server.start();

  ASSERT_TRUE(eventually([&] { return at_b.take().dropped >= 1; })) << "b's streams were not told of the outage";
  ASSERT_TRUE(a.listening() && eventually([&] { return a.connected("notify") && b.connected("listen"); }));
  a.bus.publish("north", event(3));
  ASSERT_TRUE(eventually([&] { return !at_b.take().events.empty() && at_b.events.back() == event(3); }));
  EXPECT_EQ(at_b.events.front(), event(1));
  EXPECT_GE(metric(b.metrics, "sterifleet_cluster_events_lost_total", "reason", "disconnected"), 1);
}

}  // namespace
}  // namespace sterifleet::cluster
