#include "outputs.hpp"

#include <stdexcept>

namespace sterifleet::sim {

namespace {

std::ofstream open_or_throw(const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  return out;
}

}  // namespace

Outputs::Outputs(OutputPaths paths) : paths_(std::move(paths)) {
  if (!paths_.sent_log.empty()) sent_log_ = open_or_throw(paths_.sent_log);
  if (!paths_.injected.empty()) injected_ = open_or_throw(paths_.injected);
  if (!paths_.summary.empty()) open_or_throw(paths_.summary);  // fail early, not at the end of a long run
}

void Outputs::acknowledged(const Publish& message) {
  ++acknowledged_;
  if (message.retained) {
    if (message.payload.find("\"online\":true") != std::string::npos)
      ++online_;
    else if (message.payload.find("\"reason\":\"shutdown\"") != std::string::npos)
      ++shutdown_;
    else
      ++offline_;
    return;
  }
  if (!message.key) {
    ++misattributed_;
    return;
  }
  if (!message.first_send) {
    ++replayed_;
    return;
  }
  if (message.late) ++late_;
  ++types_[message.key->type];
  if (sent_log_.is_open()) {
    sent_log_ << message.clinic.str() << ' ' << message.device.str() << ' ' << message.key->boot << ' '
              << message.key->seq << ' ' << message.key->type << '\n';
  }
}

void Outputs::injected(const InjectedViolation& violation) {
  ++injected_rules_[std::string(rule_id(violation.rule))];
  if (injected_.is_open()) injected_ << to_json_line(violation) << '\n' << std::flush;
}

nlohmann::ordered_json Outputs::finish(const nlohmann::ordered_json& extra) {
  if (sent_log_.is_open()) sent_log_.flush();
  nlohmann::ordered_json summary{{"messages", types_},
                                 {"status", {{"online", online_}, {"offline", offline_}, {"shutdown", shutdown_}}},
                                 {"acknowledged", acknowledged_},
                                 {"failed", failed_},
                                 {"replayed", replayed_},
                                 {"late", late_},
                                 {"misattributed", misattributed_},
                                 {"injected", injected_rules_}};
  for (const auto& [key, value] : extra.items()) summary[key] = value;
  if (!paths_.summary.empty()) {
    auto out = open_or_throw(paths_.summary);
    out << summary.dump(2) << '\n';
  }
  return summary;
}

}  // namespace sterifleet::sim
