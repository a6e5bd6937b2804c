#include "pacer.hpp"

#include <algorithm>

namespace sterifleet::sim {

namespace {

using Ms = std::chrono::milliseconds;

std::chrono::steady_clock::duration scaled(protocol::Timestamp::duration sim, double speed) {
  const auto ns = std::chrono::duration<double, std::nano>(sim).count() / speed;
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double, std::nano>(ns));
}

}  // namespace

Pacer::Pacer(double speed, protocol::Timestamp sim_start, protocol::Timestamp speed_change, Wall wall_start)
    : speed_(speed), speed_change_(speed_change), anchor_sim_(sim_start), anchor_wall_(wall_start) {}

Pacer::Wall Pacer::base_release(protocol::Timestamp at) const {
  if (at <= anchor_sim_) return anchor_wall_;
  const auto fast_until = std::min(at, std::max(anchor_sim_, speed_change_));
  Wall wall = anchor_wall_;
  if (fast_until > anchor_sim_ && speed_ > 0.0) wall += scaled(fast_until - anchor_sim_, speed_);
  const auto slow_from = std::max(anchor_sim_, speed_change_);
  if (at > slow_from) wall += at - slow_from;  // real time
  return wall;
}

Pacer::Wall Pacer::release_time(protocol::Timestamp at, bool hurry) const {
  Wall release = hurry ? Wall{} : base_release(at);
  for (const auto& hold : holds_) {
    if (at <= hold.from) continue;
    const auto span = static_cast<double>((hold.until - hold.from).count());
    const double fraction = span <= 0.0 ? 1.0 : std::min(1.0, static_cast<double>((at - hold.from).count()) / span);
    const auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double, std::milli>(fraction * static_cast<double>(hold.min_wall.count())));
    release = std::max(release, hold.wall_from + wait);
  }
  return release;
}

void Pacer::released(protocol::Timestamp at, Wall now) {
  // As fast as possible, the fast part ends when its last action is carried out: real time counts from
  // the first action after it, wherever the wall clock then is.
  const bool leaves_fast_part = speed_ <= 0.0 && anchor_sim_ < speed_change_ && at >= speed_change_;
  if ((now > base_release(at) + Ms{20} || leaves_fast_part) && at > anchor_sim_) {
    anchor_sim_ = at;
    anchor_wall_ = now;
  }
  std::erase_if(holds_, [&](const Hold& hold) { return hold.until <= at; });
}

void Pacer::hold(protocol::Timestamp from, protocol::Timestamp until, std::chrono::milliseconds min_wall, Wall now) {
  holds_.push_back(Hold{from, until, min_wall, now});
}

protocol::Timestamp Pacer::sim_time(Wall now) const {
  if (now <= anchor_wall_) return anchor_sim_;
  const auto elapsed = now - anchor_wall_;
  if (speed_ <= 0.0) {
    // Fast: the clock is the last action carried out. Past the fast part: real time from there.
    return anchor_sim_ < speed_change_ ? anchor_sim_ : anchor_sim_ + std::chrono::duration_cast<Ms>(elapsed);
  }
  const auto to_change = speed_change_ > anchor_sim_ ? scaled(speed_change_ - anchor_sim_, speed_) : Wall::duration{0};
  if (elapsed <= to_change) {
    const auto sim = std::chrono::duration<double, std::nano>(elapsed).count() * speed_;
    return anchor_sim_ + std::chrono::duration_cast<Ms>(std::chrono::duration<double, std::nano>(sim));
  }
  const auto base = std::max(anchor_sim_, speed_change_);
  return base + std::chrono::duration_cast<Ms>(elapsed - to_change);
}

}  // namespace sterifleet::sim
