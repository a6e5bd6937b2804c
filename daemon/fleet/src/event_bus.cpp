#include "sterifleet/fleet/event_bus.hpp"

#include <algorithm>
#include <utility>

namespace sterifleet::fleet {

std::vector<std::string> EventBus::Subscription::drain(std::size_t& dropped) {
  std::lock_guard lock(mutex_);
  dropped = std::exchange(dropped_, 0);
  std::vector<std::string> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void EventBus::Subscription::on_ready(std::function<void()> notify) {
  std::lock_guard lock(mutex_);
  notify_ = std::move(notify);
}

std::shared_ptr<EventBus::Subscription> EventBus::subscribe(std::size_t capacity, store::ClinicScope scope) {
  auto subscription = std::make_shared<Subscription>();
  subscription->capacity_ = capacity;
  subscription->scope_ = std::move(scope);
  std::lock_guard lock(mutex_);
  subscriptions_.push_back(subscription);
  return subscription;
}

void EventBus::publish(std::string_view clinic, const std::string& event) { deliver(clinic, event, true); }

void EventBus::publish_relayed(std::string_view clinic, const std::string& event) { deliver(clinic, event, false); }

void EventBus::forward_local(std::function<void(std::string_view clinic, const std::string& event)> forward) {
  std::lock_guard lock(mutex_);
  forward_ = std::move(forward);
}

std::vector<std::shared_ptr<EventBus::Subscription>> EventBus::live_subscriptions(std::string_view clinic, bool local,
                                                                                  const std::string& event) {
  std::vector<std::shared_ptr<Subscription>> live;
  std::lock_guard lock(mutex_);
  std::erase_if(subscriptions_, [](const auto& weak) { return weak.expired(); });
  for (const auto& weak : subscriptions_) {
    auto s = weak.lock();
    if (s && s->scope_.covers(clinic)) live.push_back(std::move(s));
  }
  if (local && forward_) forward_(clinic, event);
  return live;
}

void EventBus::deliver(std::string_view clinic, const std::string& event, bool local) {
  for (const auto& s : live_subscriptions(clinic, local, event)) {
    std::function<void()> notify;
    {
      std::lock_guard lock(s->mutex_);
      if (s->queue_.size() >= s->capacity_) {
        s->queue_.pop_front();
        ++s->dropped_;
      }
      s->queue_.push_back(event);
      notify = s->notify_;
    }
    if (notify) notify();
  }
}

void EventBus::report_lost(std::size_t events) {
  if (events == 0) return;
  std::vector<std::shared_ptr<Subscription>> live;
  {
    std::lock_guard lock(mutex_);
    for (const auto& weak : subscriptions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  for (const auto& s : live) {
    std::function<void()> notify;
    {
      std::lock_guard lock(s->mutex_);
      s->dropped_ += events;
      notify = s->notify_;
    }
    if (notify) notify();
  }
}

std::size_t EventBus::subscribers() {
  std::lock_guard lock(mutex_);
  const auto live =
      std::count_if(subscriptions_.begin(), subscriptions_.end(), [](const auto& weak) { return !weak.expired(); });
  return static_cast<std::size_t>(live) + (forward_ ? 1 : 0);
}

}  // namespace sterifleet::fleet
