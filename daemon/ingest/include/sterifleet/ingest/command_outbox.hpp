// Commands to devices (and the daemon's retained audit checkpoint), published in the order they were
// issued, from a strand of their own.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <mutex>
#include <string>

#include "sterifleet/fleet/command_sink.hpp"
#include "sterifleet/ingest/broker_client.hpp"

namespace sterifleet::ingest {

/// publish() only queues: the Fleet calls it under its lock, and the broker client calls the connection
/// handler (which takes that lock) under one of the client's own, so publishing at once would hold the
/// two locks in opposite orders. Thread-safe.
class CommandOutbox final : public fleet::CommandSink {
 public:
  CommandOutbox(BrokerClient& client, boost::asio::any_io_executor executor);
  void publish(const std::string& topic, const std::string& payload) override;
  /// Kept by the broker for every later subscriber.
  void publish_retained(const std::string& topic, const std::string& payload);

 private:
  struct Command {
    std::string topic;
    std::string payload;
    Retain retain = Retain::no;
  };
  void queue(Command command);
  void send();

  BrokerClient& client_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  std::mutex mutex_;
  std::deque<Command> queue_;    ///< guarded by mutex_
  bool send_scheduled_ = false;  ///< guarded by mutex_
};

}  // namespace sterifleet::ingest
