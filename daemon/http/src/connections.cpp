#include "connections.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace sterifleet::http {

Connections::Slot::Slot(Slot&& other) noexcept
    : owner_(std::move(other.owner_)),
      id_(std::exchange(other.id_, 0)),
      client_(std::move(other.client_)),
      over_(other.over_) {}

Connections::Slot& Connections::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    id_ = std::exchange(other.id_, 0);
    client_ = std::move(other.client_);
    over_ = other.over_;
  }
  return *this;
}

Connections::Slot::~Slot() { release(); }

void Connections::Slot::release() noexcept {
  if (!owner_) return;
  std::size_t open = 0;
  {
    std::lock_guard lock(owner_->mutex_);
    owner_->live_.erase(id_);
    if (over_ == Over::none) {
      --owner_->regular_;
      const auto it = owner_->per_client_.find(client_);
      if (it != owner_->per_client_.end() && --it->second == 0) owner_->per_client_.erase(it);
    } else {
      std::erase(owner_->overflow_, id_);  // absent when it was evicted
    }
    open = owner_->live_.size();
  }
  if (owner_->observe_) owner_->observe_(open);
  owner_.reset();
}

void Connections::Slot::bind(std::weak_ptr<Closable> holder) {
  if (!owner_) return;
  std::lock_guard lock(owner_->mutex_);
  const auto it = owner_->live_.find(id_);
  if (it != owner_->live_.end()) it->second = std::move(holder);
}

std::optional<Connections::Slot> Connections::try_enter(const std::string& client) {
  std::uint64_t id = 0;
  std::size_t open = 0;
  Over over = Over::none;
  std::shared_ptr<Closable> evicted;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return std::nullopt;
    id = ++next_id_;
    auto& from_client = per_client_[client];
    if (regular_ >= limits_.total) {
      over = Over::total;
    } else if (from_client >= limits_.per_client) {
      over = Over::client;
    }
    if (from_client == 0 && over != Over::none) per_client_.erase(client);
    if (over == Over::none) {
      ++regular_;
      ++from_client;
    } else {
      if (overflow_.size() >= limits_.overflow && !overflow_.empty()) {
        evicted = live_[overflow_.front()].lock();
        overflow_.pop_front();
      }
      overflow_.push_back(id);
    }
    live_.emplace(id, std::weak_ptr<Closable>{});
    open = live_.size();
  }
  // Outside the lock: closing may drop the last reference, whose Slot takes the lock to leave.
  if (evicted) evicted->close();
  if (evicted && evicted_) evicted_();
  if (observe_) observe_(open);
  return Slot(shared_from_this(), id, client, over);
}

void Connections::close_all() {
  std::vector<std::shared_ptr<Closable>> open;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (const auto& [id, weak] : live_) {
      if (auto holder = weak.lock()) open.push_back(std::move(holder));
    }
  }
  for (const auto& holder : open) holder->close();
}

std::size_t Connections::count() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

}  // namespace sterifleet::http
