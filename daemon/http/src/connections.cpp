#include "connections.hpp"

#include <utility>
#include <vector>

namespace sterifleet::http {

Connections::Slot::Slot(Slot&& other) noexcept : owner_(std::move(other.owner_)), id_(std::exchange(other.id_, 0)) {}

Connections::Slot& Connections::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    id_ = std::exchange(other.id_, 0);
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

std::optional<Connections::Slot> Connections::try_enter() {
  std::uint64_t id = 0;
  std::size_t open = 0;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || live_.size() >= limit_) return std::nullopt;
    id = ++next_id_;
    live_.emplace(id, std::weak_ptr<Closable>{});
    open = live_.size();
  }
  if (observe_) observe_(open);
  return Slot(shared_from_this(), id);
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
  // Outside the lock: a close may drop the last reference, whose Slot takes the lock to leave.
  for (const auto& holder : open) holder->close();
}

std::size_t Connections::count() const {
  std::lock_guard lock(mutex_);
  return live_.size();
}

}  // namespace sterifleet::http
