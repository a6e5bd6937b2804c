#include "sterifleet/notify/notice.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <utility>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::notify {

namespace {

constexpr std::array<std::pair<NoticeKind, std::string_view>, 7> kind_names{{
    {NoticeKind::firing, "firing"},
    {NoticeKind::repeat, "repeat"},
    {NoticeKind::escalation, "escalation"},
    {NoticeKind::resolved, "resolved"},
    {NoticeKind::withdrawn, "withdrawn"},
    {NoticeKind::test, "test"},
    {NoticeKind::checkpoint, "checkpoint"},
}};

}  // namespace

std::string_view to_string(NoticeKind kind) noexcept {
  for (const auto& [k, name] : kind_names) {
    if (k == kind) return name;
  }
  return "firing";
}

std::optional<NoticeKind> parse_notice_kind(std::string_view text) noexcept {
  for (const auto& [k, name] : kind_names) {
    if (name == text) return k;
  }
  return std::nullopt;
}

nlohmann::json to_json(const Notice& notice) {
  return {
      {"id", notice.id},
      {"kind", to_string(notice.kind)},
      {"receiver", notice.receiver},
      {"created_at", protocol::format_timestamp(notice.created_at)},
      {"alert", notice.alert},
      {"alert_url", notice.alert_url},
      {"advice", notice.advice},
      {"repeat", notice.repeat},
  };
}

Notice notice_from_json(const nlohmann::json& json) {
  Notice notice;
  notice.id = json.at("id").get<std::string>();
  const auto kind = parse_notice_kind(json.at("kind").get<std::string>());
  const auto created = protocol::parse_timestamp(json.at("created_at").get<std::string>());
  if (!kind || !created) throw std::invalid_argument("a stored notice has an unknown kind or a bad time");
  notice.kind = *kind;
  notice.receiver = json.at("receiver").get<std::string>();
  notice.created_at = *created;
  notice.alert = json.at("alert");
  notice.alert_url = json.at("alert_url").get<std::string>();
  notice.advice = json.at("advice").get<std::string>();
  notice.repeat = json.at("repeat").get<int>();
  return notice;
}

Delivery make_delivery(std::vector<Notice> notices) {
  std::vector<std::string> ids;
  ids.reserve(notices.size());
  for (const auto& n : notices) ids.push_back(n.id);
  std::sort(ids.begin(), ids.end());
  crypto::Sha256 hash;
  for (const auto& id : ids) hash.update(id).update("\n");
  Delivery delivery;
  delivery.id = "dlv_" + crypto::to_hex(hash.finish()).substr(0, 32);
  if (!notices.empty()) {
    delivery.receiver = notices.front().receiver;
    delivery.clinic = notices.front().clinic();
  }
  delivery.notices = std::move(notices);
  return delivery;
}

}  // namespace sterifleet::notify
