// What to do, rule by rule: the line of a notice a nurse or clinic manager acts on.
#include "sterifleet/notify/planner.hpp"

namespace sterifleet::notify {

std::string_view advice(engine::RuleId rule) noexcept {
  using engine::RuleId;
  switch (rule) {
    case RuleId::used_without_reprocessing:
      return "Take the pen out of use and reprocess it. Check the patient session named here: the patient was "
             "treated with a pen that had not been reprocessed since its last use.";
    case RuleId::cartridge_reused:
      return "Discard the cartridge: needle cartridges are single-use. Check the patient sessions that used it.";
    case RuleId::cartridge_expired:
      return "Discard the cartridge and use one within its expiry date. Check the session that used it.";
    case RuleId::cartridge_overused:
      return "Discard the cartridge: it was used beyond its rated strokes.";
    case RuleId::cycle_parameters_insufficient:
      return "Do not use the load of this cycle: its time or temperature was below the method's minimum. "
             "Reprocess the devices in it.";
    case RuleId::cycle_indicator_failed:
      return "Do not use the load of this cycle: its chemical indicator failed. Reprocess the devices in it.";
    case RuleId::cycle_bi_positive:
      return "Recall the devices of this cycle and of every cycle since the last negative biological indicator; "
             "the recall page lists the patient sessions they were used in.";
    case RuleId::sterility_expired:
      return "Reprocess the device before its next use: its sterility has expired.";
    case RuleId::daily_test_missing:
      return "Run the sterilizer's daily air-removal (Bowie-Dick) test before its next load.";
    case RuleId::daily_test_failed:
      return "Do not use the sterilizer until its air-removal test passes; call its service.";
    case RuleId::device_offline:
      return "Check that the device is on, charged and in network range.";
    case RuleId::battery_low:
      return "Charge the device.";
    case RuleId::service_due:
      return "Book the device's service.";
    case RuleId::depth_exceeds_policy:
      return "Check the treatment: the needle depth exceeded the clinic's limit for the area.";
    case RuleId::device_unknown:
    case RuleId::identity_mismatch:
      return "Check the device: it is not registered as it reports itself. Ask IT before using it.";
    case RuleId::sequence_gap:
      return "Some messages of the device were lost: check its records before relying on them.";
    case RuleId::event_rejected:
    case RuleId::protocol_drift:
      return "The device sent something sterifleet could not judge: ask IT to look at the quarantine, and treat "
             "the device as not safe to use until they have.";
    case RuleId::clinic_mismatch:
      return "A message for this device came from another clinic's topics and was set aside. Ask IT which device "
             "sent it (a device moved to another clinic, or one using this device's name) before using it.";
    case RuleId::delivery_failed:
      return "A receiver of alerts did not get them: the people it stands for were not told of the alert named "
             "here. Check that alert on the dashboard, and ask IT to fix or re-enable the receiver.";
  }
  return "Open the alert on the dashboard.";
}

}  // namespace sterifleet::notify
