// The webhook's pure parts: the body, both signatures (against Standard Webhooks' published vector),
// Retry-After, and what each HTTP status means.
#include <gtest/gtest.h>

#include "sterifleet/notify/webhook_sender.hpp"

namespace sterifleet::notify {
namespace {

using std::chrono::seconds;

Notice notice(std::string id) {
  Notice n;
  n.id = std::move(id);
  n.receiver = "hook";
  n.created_at = *protocol::parse_timestamp("2026-11-24T09:15:02.120Z");
  n.alert = {{"id", "a1"}, {"clinic", "C01"}, {"rule", "device.used_without_reprocessing"}};
  n.advice = "Take the pen out of use.";
  return n;
}

// From standard-webhooks/standard-webhooks, libraries/go/webhook_test.go (TestWebhookSign).
TEST(SignWebhook, MatchesTheStandardWebhooksPublishedVector) {
  const auto signatures = sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                       1614265330, R"({"test": 2432232314})");
  EXPECT_EQ(signatures.timestamp, "1614265330");
  EXPECT_EQ(signatures.signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  // Same key over the body alone; computed independently with Python's hmac module.
  EXPECT_EQ(signatures.hub_signature, "sha256=e2cb4f5251572539d458bfb8a7adb533b08801e6a794467e06f771debbb0818b");
}

TEST(SignWebhook, SecretWithoutThePrefixIsUsedAsItsBytes) {
  EXPECT_EQ(webhook_signing_key("Jefe"), "Jefe");
  EXPECT_EQ(webhook_signing_key("whsec_SmVmZQ=="), "Jefe");
  // RFC 4231 test case 2: key "Jefe" over "what do ya want for nothing?".
  EXPECT_EQ(sign_webhook("Jefe", "i", 0, "what do ya want for nothing?").hub_signature,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SignWebhook, StandardSecretThatIsNotBase64IsRefused) {
  EXPECT_THROW(webhook_signing_key("whsec_not base64!"), std::invalid_argument);
  EXPECT_THROW(WebhookSender(WebhookReceiver{.url = "http://127.0.0.1:1/", .secret = "whsec_%%%%"}),
               std::invalid_argument);
}

TEST(WebhookSender, EmptySecretOrNoTimeoutIsRefused) {
  EXPECT_THROW(WebhookSender(WebhookReceiver{.url = "http://127.0.0.1:1/", .secret = "s", .timeout = seconds(0)}),
               std::invalid_argument);
  EXPECT_THROW(WebhookSender(WebhookReceiver{.url = "http://127.0.0.1:1/", .secret = ""}), std::invalid_argument);
  EXPECT_THROW(WebhookSender(WebhookReceiver{.url = "http://127.0.0.1:1/", .secret = "whsec_"}), std::invalid_argument);
}

TEST(WebhookBody, CarriesTheDeliveryAndEveryNotice) {
  const Delivery delivery = make_delivery({notice("ntf_a"), notice("ntf_b")});
  const auto body = nlohmann::json::parse(webhook_body(delivery));
  EXPECT_EQ(body["type"], "sterifleet.notification");
  EXPECT_EQ(body["delivery"], delivery.id);
  EXPECT_EQ(body["receiver"], "hook");
  EXPECT_EQ(body["clinic"], "C01");
  ASSERT_EQ(body["notices"].size(), 2U);
  EXPECT_EQ(body["notices"][0], to_json(delivery.notices[0]));
  EXPECT_EQ(body["notices"][1], to_json(delivery.notices[1]));
}

TEST(WebhookBody, TextThatIsNotUtf8IsAProgrammingMistake) {
  Notice bad = notice("ntf_a");
  bad.advice = "\xff\xfe";
  EXPECT_THROW(webhook_body(make_delivery({bad})), std::logic_error);
}

TEST(RetryAfter, ReadsDeltaSecondsAndEveryHttpDateForm) {
  const std::time_t now = 1445412450;  // 2015-10-21T07:27:30Z
  EXPECT_EQ(parse_retry_after("7", now), seconds(7));
  EXPECT_EQ(parse_retry_after(" 120 ", now), seconds(120));
  EXPECT_EQ(parse_retry_after("0", now), seconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now), seconds(30));
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", now), seconds(30));
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:00 2015", now), seconds(30));
}

TEST(RetryAfter, IsCappedAtADayAndNeverNegative) {
  const std::time_t now = 1445412450;
  EXPECT_EQ(parse_retry_after("86401", now), seconds(86400));
  EXPECT_EQ(parse_retry_after("99999999999999999999999", now), seconds(86400));
  EXPECT_EQ(parse_retry_after("Fri, 21 Oct 2016 07:28:00 GMT", now), seconds(86400));
  EXPECT_EQ(parse_retry_after("Tue, 20 Oct 2015 07:28:00 GMT", now), seconds(0));
}

TEST(RetryAfter, AnythingElseIsNone) {
  for (const char* value : {"", "  ", "-5", "7.5", "soon", "1e3"}) {
    EXPECT_FALSE(parse_retry_after(value, 0)) << value;
  }
}

TEST(WebhookResult, EachStatusMeansWhatTheIssueSays) {
  struct Row {
    int status;
    SendResult::Outcome outcome;
    bool keeps_retry_after;
  };
  using enum SendResult::Outcome;
  const Row rows[] = {
      {200, delivered, false}, {204, delivered, false}, {299, delivered, false}, {410, disabled, false},
      {429, retry, true},      {500, retry, true},      {503, retry, true},      {404, retry, false},
      {400, retry, false},     {301, retry, false},
  };
  for (const auto& row : rows) {
    const auto result = webhook_result(row.status, "", seconds(7));
    EXPECT_EQ(result.outcome, row.outcome) << row.status;
    EXPECT_EQ(result.status, row.status);
    EXPECT_EQ(result.retry_after, row.keeps_retry_after ? std::optional(seconds(7)) : std::nullopt) << row.status;
    EXPECT_EQ(result.answer, "HTTP " + std::to_string(row.status));
  }
}

TEST(WebhookResult, AnswerIsOneLineWithTheStartOfTheBody) {
  EXPECT_EQ(webhook_result(500, "boom\r\nat line 2\n", std::nullopt).answer, "HTTP 500: boom  at line 2");
  const auto long_answer = webhook_result(500, std::string(300, 'x'), std::nullopt).answer;
  EXPECT_EQ(long_answer, "HTTP 500: " + std::string(200, 'x'));
  // 199 bytes of ASCII then a two-byte character: cut before it, not through it.
  const auto cut = webhook_result(500, std::string(199, 'x') + "\xc3\xa9", std::nullopt).answer;
  EXPECT_EQ(cut, "HTTP 500: " + std::string(199, 'x'));
}

}  // namespace
}  // namespace sterifleet::notify
