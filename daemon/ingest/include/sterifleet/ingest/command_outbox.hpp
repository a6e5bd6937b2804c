// Commands to devices (and the daemon's retained audit checkpoint), published in the order they were
// issued, from a thread of their own.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "sterifleet/fleet/command_sink.hpp"
#include "sterifleet/ingest/broker_client.hpp"

namespace sterifleet::ingest {

/// publish() only queues: the Fleet calls it under its lock, and the broker client calls the connection
/// handler (which takes that lock) under one of the client's own, so publishing at once would hold the
/// two locks in opposite orders. The outbox's own thread publishes: Paho's publish waits for the lock
/// Paho holds around a message callback, and a callback may wait for the ingest's thread (for room in a
/// full queue), so publishing from that thread stopped the ingest for good. Thread-safe.
class CommandOutbox final : public fleet::CommandSink {
 public:
  explicit CommandOutbox(BrokerClient& client);
  ~CommandOutbox() override;
  CommandOutbox(const CommandOutbox&) = delete;
  CommandOutbox& operator=(const CommandOutbox&) = delete;

  void publish(const std::string& topic, const std::string& payload) override;
  /// Kept by the broker for every later subscriber.
  void publish_retained(const std::string& topic, const std::string& payload);
  /// Publishes what is queued, then ends the thread; what is issued after is dropped. Idempotent.
  void stop();

 private:
  struct Command {
    std::string topic;
    std::string payload;
    Retain retain = Retain::no;
  };
  void queue(Command command);
  void run();

  BrokerClient& client_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Command> queue_;  ///< guarded by mutex_
  bool stopping_ = false;      ///< guarded by mutex_
  std::thread thread_;         ///< last: starts once the rest is ready
};

}  // namespace sterifleet::ingest
