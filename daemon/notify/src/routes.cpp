#include "sterifleet/notify/routes.hpp"

#include <date/tz.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace sterifleet::notify {

namespace {

using std::chrono::minutes;

const date::time_zone* find_zone(const std::string& name) {
  try {
    return date::locate_zone(name);
  } catch (const std::exception& e) {
    throw std::runtime_error("unknown time zone \"" + name + "\": " + e.what());
  }
}

template <class T>
bool listed_or_empty(const std::vector<T>& list, const T& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace

QuietHours::QuietHours(minutes from, minutes to, std::string time_zone)
    : from_(from), to_(to), zone_name_(std::move(time_zone)), zone_(find_zone(zone_name_)) {}

bool QuietHours::quiet_at(Timestamp at) const {
  const auto local = zone_->to_local(at);
  const auto minute = std::chrono::duration_cast<minutes>(local - std::chrono::floor<date::days>(local));
  if (from_ == to_) return false;
  return from_ < to_ ? (minute >= from_ && minute < to_) : (minute >= from_ || minute < to_);
}

Timestamp QuietHours::release(Timestamp at) const {
  if (!quiet_at(at)) return at;
  const auto local = zone_->to_local(at);
  const auto midnight = std::chrono::floor<date::days>(local);
  const auto minute = std::chrono::duration_cast<minutes>(local - midnight);
  // The end is today when it is still ahead (quiet since yesterday evening), else tomorrow.
  auto end = midnight + to_;
  if (minute >= to_) end += date::days{1};
  // A local time that a clock change skips or repeats: the later reading, so nothing is sent early.
  return std::chrono::time_point_cast<Timestamp::duration>(zone_->to_sys(end, date::choose::latest));
}

bool Route::matches(const engine::Alert& alert) const {
  return listed_or_empty(clinics, alert.clinic.str()) && listed_or_empty(severities, alert.severity) &&
         listed_or_empty(rules, alert.rule);
}

Timestamp Route::release(engine::Severity severity, Timestamp at) const {
  if (!quiet_hours || severity == engine::Severity::critical) return at;
  return quiet_hours->release(at);
}

const Receiver* NotifyConfig::receiver(std::string_view name) const {
  const auto found =
      std::find_if(receivers.begin(), receivers.end(), [&](const Receiver& r) { return r.name == name; });
  return found == receivers.end() ? nullptr : &*found;
}

const Route* NotifyConfig::route(std::string_view name) const {
  const auto found = std::find_if(routes.begin(), routes.end(), [&](const Route& r) { return r.name == name; });
  return found == routes.end() ? nullptr : &*found;
}

std::string NotifyConfig::receiver_names() const {
  std::string names;
  for (const auto& r : receivers) names += (names.empty() ? "" : ", ") + r.name;
  return names.empty() ? "none is configured" : "configured: " + names;
}

std::vector<std::string> NotifyConfig::problems() const {
  std::vector<std::string> out;
  std::set<std::string> names;
  for (const auto& r : receivers) {
    if (!names.insert(r.name).second) out.push_back("receiver \"" + r.name + "\" is defined twice");
  }
  std::set<std::string> route_names;
  for (const auto& route : routes) {
    if (!route_names.insert(route.name).second) out.push_back("route \"" + route.name + "\" is defined twice");
    if (!receiver(route.receiver)) {
      out.push_back("route \"" + route.name + "\" sends to receiver \"" + route.receiver + "\", which is not defined");
    }
    if (route.escalate_after && !receiver(route.escalate_to)) {
      out.push_back("route \"" + route.name + "\" escalates to receiver \"" + route.escalate_to +
                    "\", which is not defined");
    }
    if (!route.escalate_to.empty() && !route.escalate_after) {
      out.push_back("route \"" + route.name + "\" names escalate_to without escalate_after");
    }
  }
  return out;
}

}  // namespace sterifleet::notify
