#include "closure.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;

std::string text(const json& object, const char* key) {
  const auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

}  // namespace

Closure closure_of(const json& alert) {
  Closure out;
  const auto& ack = alert.at("ack");
  if (ack.is_object()) {
    out.ack_by = text(ack, "by");
    out.ack_at = text(ack, "at");
    out.ack_comment = text(ack, "comment");
  }
  const auto& resolution = alert.at("resolution");
  const auto cleared_at = text(alert, "cleared_at");
  if (alert.value("state", "") == "withdrawn") {
    out.how = "withdrawn";
    out.by = "engine";
    out.detail = "late data showed the condition never held";
    return out;
  }
  // Both may be set: a person resolved it and the condition later cleared too, or the other way round.
  // Timestamps in one format compare as text; whichever came first closed it.
  const bool by_person = resolution.is_object() && (cleared_at.empty() || text(resolution, "at") <= cleared_at);
  if (by_person) {
    out.how = "resolved";
    out.at = text(resolution, "at");
    out.by = text(resolution, "by");
    out.detail = text(resolution, "reason");
  } else if (!cleared_at.empty()) {
    out.how = "auto_cleared";
    out.at = cleared_at;
    out.by = "engine";
    out.detail = text(alert, "clearance");
  } else if (ack.is_object()) {
    out.how = "acknowledged";
    out.at = out.ack_at;
    out.by = out.ack_by;
    out.detail = out.ack_comment;
  } else {
    out.how = "open";
  }
  return out;
}

}  // namespace sterifleet::report
