#include "patient_mask.hpp"

namespace sterifleet::http {

using nlohmann::json;

std::optional<PatientMask> PatientMask::for_call(const Call& call) {
  if (!call.principal || call.principal->role != Role::viewer) return std::nullopt;
  // Every engine of a fleet judges by the same policy.
  return PatientMask(fleet::first_answer(call.context.services.fleet, [](const engine::Engine& engine) {
                       return std::optional(engine.policy().patient_ref_pattern);
                     }).value_or(engine::default_policy().patient_ref_pattern));
}

bool PatientMask::withholds(const json& patient, bool flagged) const {
  return flagged || !patient.is_string() || !pattern_.conforms(patient.get_ref<const std::string&>());
}

void PatientMask::sessions(json& sessions) const {
  for (auto& session : sessions) {
    const auto patient = session.find("patient");
    if (patient == session.end() || patient->is_null()) continue;
    if (withholds(*patient, session.value("patient_drift", false))) *patient = nullptr;
  }
}

void PatientMask::messages(json& messages) const {
  for (auto& message : messages) {
    if (message.value("type", "") != protocol::SessionStart::type) continue;
    auto payload = json::parse(message.value("payload", ""), nullptr, false);
    if (!payload.is_object() || !payload["body"].is_object()) continue;
    auto& patient = payload["body"]["patient"];
    if (patient.is_null() || !withholds(patient, false)) continue;
    patient = nullptr;
    message["payload"] = payload.dump();
  }
}

}  // namespace sterifleet::http
