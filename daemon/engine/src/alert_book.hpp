// Every alert the engine knows, indexed by id, by (clinic, rule, subject) and by device.
// Two ways in: reconcile() replaces the derived episodes of a subject (rules evaluated over device
// time, where late facts can change history), and open()/clear() step the current episode of a
// subject (rules over one device's own ordered messages). Both report transitions into Effects.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "sterifleet/engine/alert.hpp"
#include "sterifleet/engine/effects.hpp"
#include "sterifleet/engine/policy.hpp"

namespace sterifleet::engine {

class AlertBook {
 public:
  /// Whether a device is in a maintenance window at a time (silences its alerts).
  using MaintenanceCheck = std::function<bool(const DeviceId&, Timestamp)>;

  struct Context {
    const Policy& policy;
    Timestamp now;  ///< the engine's clock, for audit records and human actions
    Effects& out;
    const MaintenanceCheck& in_maintenance;
  };

  /// Alerts of the subject opened before `settled_before` are history the caller no longer derives
  /// (compacted away): they are kept as they are.
  void reconcile(const ClinicId& clinic, RuleId rule, const std::string& subject, std::vector<Episode> episodes,
                 const Context& ctx, std::optional<Timestamp> settled_before = std::nullopt);

  /// Counts an occurrence on the subject's current episode, or opens one.
  void open(const ClinicId& clinic, RuleId rule, const std::string& subject, Episode episode, const Context& ctx);
  /// Clears the subject's current episode, if any.
  void clear(const ClinicId& clinic, RuleId rule, const std::string& subject, Timestamp at, std::string clearance,
             const Context& ctx);
  bool has_current(const ClinicId& clinic, RuleId rule, const std::string& subject) const;
  /// Cheap pre-check for the hot path: does any subject of `device` have a current episode of `rule`?
  bool device_has_current(const DeviceId& device, RuleId rule) const;

  void acknowledge(Alert& alert, Acknowledgement ack, const Context& ctx);
  void resolve(Alert& alert, ManualResolution resolution, const Context& ctx);

  Alert* find(const std::string& id);
  const Alert* find(const std::string& id) const;
  /// Active (open or acknowledged) alerts concerning a device.
  const std::set<std::string>* active_for(const DeviceId& device) const;
  void for_each(const std::function<void(const Alert&)>& visit) const;
  /// True while an alert of the subject is open or acknowledged.
  bool any_active(const ClinicId& clinic, RuleId rule, const std::string& subject) const;
  /// Forgets alerts that are settled (resolved or withdrawn) and opened before `cut`; the store keeps them.
  void compact(Timestamp cut);
  std::size_t size() const { return alerts_.size(); }

 private:
  friend struct SnapshotFields;  ///< engine snapshots save and restore the whole state

  static std::string key_of(const ClinicId& clinic, RuleId rule, const std::string& subject);
  Alert& create(const ClinicId& clinic, RuleId rule, const std::string& subject, Episode episode, const Context& ctx);
  Alert* current(const std::string& key);
  void emit(Alert& alert, Transition transition, AlertState before, const Context& ctx);
  /// Keeps current_count_ right after `alert` changed; `was_current` is its status before.
  void track_current(const Alert& alert, bool was_current);
  static bool is_current(const Alert& alert) { return !alert.withdrawn && !alert.episode.cleared_at; }

  std::unordered_map<std::string, Alert> alerts_;
  std::unordered_map<std::string, std::vector<std::string>> by_subject_;  ///< oldest first
  std::unordered_map<DeviceId, std::set<std::string>> active_by_device_;
  std::unordered_map<DeviceId, std::array<std::uint16_t, rule_count>> current_count_;
};

}  // namespace sterifleet::engine
