#include "sterifleet/ingest/reconnector.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

namespace sterifleet::ingest {

namespace {

std::string seconds_text(std::chrono::milliseconds delay) {
  return fmt::format("{:.3g} s", std::chrono::duration<double>(delay).count());
}

}  // namespace

Reconnector::Reconnector(BrokerClient& client, boost::asio::any_io_executor executor, Backoff backoff,
                         std::string broker, std::function<void()> connected)
    : client_(client),
      strand_(boost::asio::make_strand(std::move(executor))),
      timer_(strand_),
      backoff_(backoff),
      broker_(std::move(broker)),
      connected_(std::move(connected)),
      next_delay_(backoff.first) {}

void Reconnector::start() {
  boost::asio::post(strand_, [this] { attempt(); });
}

void Reconnector::attempt() {
  {
    std::lock_guard lock(mutex_);
    if (stopped_ || in_flight_) return;
    in_flight_ = true;
  }
  client_.connect([this](const std::string& error) { finished(error); });
}

void Reconnector::finished(const std::string& error) {
  if (error.empty()) {
    connected_();
    std::lock_guard lock(mutex_);
    next_delay_ = backoff_.first;
    in_flight_ = false;
    idle_.notify_all();
    return;
  }
  std::chrono::milliseconds delay;
  {
    std::lock_guard lock(mutex_);
    in_flight_ = false;
    idle_.notify_all();
    if (stopped_) return;
    delay = next_delay_;
    next_delay_ = std::min(next_delay_ * 2, backoff_.max);
  }
  spdlog::warn("mqtt: cannot connect to {} ({}); retrying in {}", broker_, error, seconds_text(delay));
  retry_after(delay);
}

void Reconnector::connection_lost(const std::string& cause) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
  }
  spdlog::warn("mqtt: connection to {} lost ({}); reconnecting in {}", broker_,
               cause.empty() ? "no reason given" : cause, seconds_text(backoff_.first));
  retry_after(backoff_.first);
}

void Reconnector::retry_after(std::chrono::milliseconds delay) {
  boost::asio::post(strand_, [this, delay] {
    timer_.expires_after(delay);
    timer_.async_wait([this](boost::system::error_code error) {
      if (!error) attempt();
    });
  });
}

void Reconnector::stop() {
  std::unique_lock lock(mutex_);
  stopped_ = true;
  idle_.wait(lock, [this] { return !in_flight_; });
}

}  // namespace sterifleet::ingest
