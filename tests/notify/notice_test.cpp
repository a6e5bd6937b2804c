#include "sterifleet/notify/notice.hpp"

#include <gtest/gtest.h>

namespace sterifleet::notify {
namespace {

Notice notice(std::string id) {
  Notice n;
  n.id = std::move(id);
  n.kind = NoticeKind::escalation;
  n.receiver = "on-call";
  n.created_at = *protocol::parse_timestamp("2026-11-24T09:15:02.120Z");
  n.alert = {{"id", "a1"}, {"clinic", "C01"}, {"rule", "device.used_without_reprocessing"}};
  n.alert_url = "https://sterifleet.example/#/alerts/a1";
  n.advice = "Take the pen out of use.";
  n.repeat = 2;
  return n;
}

TEST(Notice, JsonFormReadsBackEqual) {
  const Notice n = notice("ntf_1");
  const Notice back = notice_from_json(to_json(n));
  EXPECT_EQ(to_json(back), to_json(n));
  EXPECT_EQ(back.alert_id(), "a1");
  EXPECT_EQ(back.clinic(), "C01");
}

TEST(Notice, UnknownKindIsRefused) {
  auto json = to_json(notice("ntf_1"));
  json["kind"] = "shouting";
  EXPECT_THROW(notice_from_json(json), std::invalid_argument);
}

TEST(Notice, WithoutAnAlertHasNoAlertIdNorClinic) {
  Notice test_notice;
  test_notice.kind = NoticeKind::test;
  EXPECT_EQ(test_notice.alert_id(), "");
  EXPECT_EQ(make_delivery({test_notice}).clinic, "");
}

TEST(Delivery, IdDependsOnTheNoticesNotTheirOrder) {
  const auto ab = make_delivery({notice("ntf_a"), notice("ntf_b")});
  const auto ba = make_delivery({notice("ntf_b"), notice("ntf_a")});
  const auto a = make_delivery({notice("ntf_a")});
  EXPECT_EQ(ab.id, ba.id);
  EXPECT_NE(ab.id, a.id);
  EXPECT_EQ(ab.receiver, "on-call");
  EXPECT_EQ(ab.clinic, "C01");
}

}  // namespace
}  // namespace sterifleet::notify
