#include "sterifleet/ingest/command_outbox.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace sterifleet::ingest {

CommandOutbox::CommandOutbox(BrokerClient& client, boost::asio::any_io_executor executor)
    : client_(client), strand_(boost::asio::make_strand(std::move(executor))) {}

void CommandOutbox::publish(const std::string& topic, const std::string& payload) {
  queue({topic, payload, Retain::no});
}

void CommandOutbox::publish_retained(const std::string& topic, const std::string& payload) {
  queue({topic, payload, Retain::yes});
}

void CommandOutbox::queue(Command command) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(command));
  if (send_scheduled_) return;
  send_scheduled_ = true;
  boost::asio::post(strand_, [this] { send(); });
}

void CommandOutbox::send() {
  while (true) {
    std::deque<Command> sending;
    {
      std::lock_guard lock(mutex_);
      sending.swap(queue_);
      if (sending.empty()) {
        send_scheduled_ = false;
        return;
      }
    }
    for (const auto& command : sending) {
      try {
        client_.publish(command.topic, command.payload, command.retain);
      } catch (const BrokerError& e) {
        // The command is in the store; a device that missed it gets the state again with the next one.
        spdlog::error("mqtt: cannot publish command on {}: {}", command.topic, e.what());
      }
    }
  }
}

}  // namespace sterifleet::ingest
