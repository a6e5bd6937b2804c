#include "sterifleet/engine/cycle_assessment.hpp"

#include <fmt/format.h>

namespace sterifleet::engine {

namespace {

using protocol::Method;

double minutes(Seconds s) { return static_cast<double>(s.count()) / 60.0; }

// The row that governs `celsius`: the highest listed temperature at or below it.
void assess_exposure(const std::vector<ExposureRow>& table, const char* method_name, double celsius, Seconds exposure,
                     CycleAssessment& out) {
  const ExposureRow* governing = nullptr;
  for (const auto& row : table) {
    if (row.celsius <= celsius) governing = &row;
  }
  if (table.empty()) {
    out.parameters_sufficient = false;
    out.reasons.push_back(std::string(method_name) + ": the policy lists no minimum for this method");
  } else if (!governing) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("exposure at {:.1f} °C is below the lowest listed temperature ({:.0f} °C) for ",
                                      celsius, table.front().celsius) +
                          method_name + ": no time is enough");
  } else if (!governing->minimum) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("{:.1f} °C is held to the {:.0f} °C row, which is not applicable for ", celsius,
                                      governing->celsius) +
                          method_name);
  } else if (exposure < *governing->minimum) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("exposure {:.2f} min at {:.1f} °C is shorter than the {:.0f} min minimum",
                                      minutes(exposure), celsius, minutes(*governing->minimum)) +
                          " for " + method_name);
  }
}

void assess_chemical(const protocol::CycleComplete& cycle, const ReprocessingPolicy& policy, CycleAssessment& out) {
  out.high_level_only = true;
  if (!cycle.chemical) {
    out.parameters_sufficient = false;
    out.reasons.push_back("chemical reprocessing without an agent");
    return;
  }
  const auto& agent_name = cycle.chemical->agent.str();
  const ChemicalAgent* agent = policy.agent(agent_name);
  if (!agent) {
    out.parameters_sufficient = false;
    out.reasons.push_back("agent \"" + agent_name + "\" is not on the policy's list of high-level disinfectants");
    return;
  }
  if (!agent->high_level) {
    out.parameters_sufficient = false;
    out.reasons.push_back("\"" + agent_name + "\" is not a high-level disinfectant, whatever the contact time");
    return;
  }
  if (cycle.chemical->concentration.value < agent->min_concentration_pct) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("concentration {:.2f} % is below the {:.2f} % minimum",
                                      cycle.chemical->concentration.value, agent->min_concentration_pct) +
                          " for " + agent_name);
  }
  if (cycle.temperature.value < agent->min_temperature_c) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("solution at {:.1f} °C is below the {:.1f} °C minimum", cycle.temperature.value,
                                      agent->min_temperature_c) +
                          " for " + agent_name);
  }
  if (cycle.exposure < agent->min_contact) {
    out.parameters_sufficient = false;
    out.reasons.push_back(fmt::format("contact time {:.2f} min is shorter than the {:.0f} min minimum",
                                      minutes(cycle.exposure), minutes(agent->min_contact)) +
                          " for " + agent_name);
  }
}

}  // namespace

CycleAssessment assess_cycle(const protocol::CycleComplete& cycle, const ReprocessingPolicy& policy) {
  CycleAssessment out;
  const double celsius = cycle.temperature.value;
  switch (cycle.method) {
    case Method::steam_gravity:
      assess_exposure(cycle.wrapped ? policy.steam_gravity.wrapped : policy.steam_gravity.unwrapped,
                      cycle.wrapped ? "gravity-displacement steam, wrapped" : "gravity-displacement steam, unwrapped",
                      celsius, cycle.exposure, out);
      break;
    case Method::steam_prevac:
      assess_exposure(cycle.wrapped ? policy.steam_prevac.wrapped : policy.steam_prevac.unwrapped,
                      cycle.wrapped ? "prevacuum steam, wrapped" : "prevacuum steam, unwrapped", celsius,
                      cycle.exposure, out);
      break;
    case Method::dry_heat:
      assess_exposure(policy.dry_heat, "dry heat", celsius, cycle.exposure, out);
      break;
    case Method::chemical:
      assess_chemical(cycle, policy, out);
      break;
  }
  if (cycle.chemical_indicator == protocol::PassFail::fail) {
    out.indicator_passed = false;
    out.reasons.push_back("chemical indicator failed");
  }
  return out;
}

}  // namespace sterifleet::engine
