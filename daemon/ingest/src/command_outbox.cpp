#include "sterifleet/ingest/command_outbox.hpp"

#include <spdlog/spdlog.h>

namespace sterifleet::ingest {

CommandOutbox::CommandOutbox(BrokerClient& client) : client_(client), thread_([this] { run(); }) {}

CommandOutbox::~CommandOutbox() { stop(); }

void CommandOutbox::publish(const std::string& topic, const std::string& payload) {
  queue({topic, payload, Retain::no});
}

void CommandOutbox::publish_retained(const std::string& topic, const std::string& payload) {
  queue({topic, payload, Retain::yes});
}

void CommandOutbox::queue(Command command) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      spdlog::warn("mqtt: command on {} not sent: the ingest is stopping", command.topic);
      return;
    }
    queue_.push_back(std::move(command));
  }
  wake_.notify_one();
}

void CommandOutbox::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommandOutbox::run() {
  while (true) {
    std::deque<Command> sending;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;
      sending.swap(queue_);
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
