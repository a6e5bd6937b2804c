#include "token_places.hpp"

#include <utility>
#include <vector>

namespace sterifleet::http {

TokenPlaces::Place::Place(Place&& other) noexcept
    : owner_(std::move(other.owner_)), kind_(other.kind_), token_(std::move(other.token_)), id_(other.id_) {}

TokenPlaces::Place& TokenPlaces::Place::operator=(Place&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::move(other.owner_);
    kind_ = other.kind_;
    token_ = std::move(other.token_);
    id_ = other.id_;
  }
  return *this;
}

TokenPlaces::Place::~Place() { release(); }

void TokenPlaces::Place::release() noexcept {
  if (!owner_) return;
  {
    std::lock_guard lock(owner_->mutex_);
    const auto it = owner_->held_.find(token_);
    if (it != owner_->held_.end()) {
      auto& held = it->second;
      if (kind_ == Kind::connection) {
        --held.connections;
      } else {
        held.streams.erase(id_);
        --owner_->streams_;
      }
      if (held.connections == 0 && held.streams.empty()) owner_->held_.erase(it);
    }
  }
  owner_.reset();
}

bool TokenPlaces::Place::bind(std::weak_ptr<Revocable> holder) {
  if (!owner_ || kind_ != Kind::stream) return true;
  std::lock_guard lock(owner_->mutex_);
  if (owner_->revoked_.contains(token_)) return false;
  const auto it = owner_->held_.find(token_);
  if (it == owner_->held_.end()) return true;
  const auto stream = it->second.streams.find(id_);
  if (stream != it->second.streams.end()) stream->second = std::move(holder);
  return true;
}

std::variant<TokenPlaces::Place, Limit> TokenPlaces::try_take(Kind kind, const std::string& token) {
  std::lock_guard lock(mutex_);
  auto& held = held_[token];
  const auto refuse = [&](Limit why) -> std::variant<Place, Limit> {
    if (held.connections == 0 && held.streams.empty()) held_.erase(token);
    return why;
  };
  const auto id = ++next_id_;
  if (kind == Kind::connection) {
    if (held.connections >= limits_.connections_per_token) return refuse(Limit::token_connections);
    ++held.connections;
  } else {
    if (held.streams.size() >= limits_.streams_per_token) return refuse(Limit::token_streams);
    if (streams_ >= limits_.streams) return refuse(Limit::streams);
    held.streams.emplace(id, std::weak_ptr<Revocable>{});
    ++streams_;
  }
  return Place(shared_from_this(), kind, token, id);
}

void TokenPlaces::revoke(const std::string& token) {
  std::vector<std::shared_ptr<Revocable>> open;
  {
    std::lock_guard lock(mutex_);
    revoked_.insert(token);
    const auto it = held_.find(token);
    if (it == held_.end()) return;
    for (const auto& [id, weak] : it->second.streams) {
      if (auto holder = weak.lock()) open.push_back(std::move(holder));
    }
  }
  // Outside the lock: the last reference may go here, whose Place takes the lock to leave.
  for (const auto& holder : open) holder->revoked();
}

std::vector<std::string> TokenPlaces::tokens_with_streams() const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& [token, held] : held_) {
    if (!held.streams.empty()) out.push_back(token);
  }
  return out;
}

std::size_t TokenPlaces::streams() const {
  std::lock_guard lock(mutex_);
  return streams_;
}

}  // namespace sterifleet::http
