// Re-enabling a receiver that answered 410, through the daemon's Notifier on a real store and a real
// HTTP listener: the store forgets it, and so does the running dispatcher's cache (a new notification
// reaches the receiver instead of going dead at once).
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "http_receiver.hpp"
#include "sterifleet/notify/notifier.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::notify {
namespace {

using testing::HttpReceiver;

protocol::Timestamp now() {
  return std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

TEST(NotifierEnable, ForgetsTheReceiverInTheStoreAndTheRunningDispatcher) {
  HttpReceiver listener;
  sterifleet::testing::TempDir dir("sterifleet-notifier-enable");
  auto store = store::open_sqlite((dir.path() / "sterifleet.db").string());
  NotifyConfig config;
  config.receivers.push_back({"desk", WebhookReceiver{listener.url("/hook"), "desk secret", std::chrono::seconds(2)}});
  store->disable_receiver("desk", now(), "HTTP 410: gone");
  prometheus::Registry metrics;
  DispatcherOptions options;
  options.poll = std::chrono::milliseconds(50);
  Notifier notifier(config, *store, metrics, now, options);
  notifier.start();  // reads the disabled receivers into its cache

  EXPECT_TRUE(notifier.enable_receiver("desk"));
  EXPECT_TRUE(store->disabled_receivers().empty());
  EXPECT_FALSE(notifier.enable_receiver("desk"));

  store::Commit commit;
  commit.notifications.push_back(Planner(config).test_row(config.receivers[0], now(), "test"));
  store->commit(commit);
  notifier.planned_stored();
  EXPECT_TRUE(listener.wait_for_requests(1, std::chrono::seconds(10)));
  notifier.stop();
}

}  // namespace
}  // namespace sterifleet::notify
