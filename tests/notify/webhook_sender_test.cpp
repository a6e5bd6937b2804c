// The webhook sender against a real HTTP server on the loopback interface: what each answer becomes,
// and signatures checked with OpenSSL called directly, so a mistake shared by sterifleet::crypto and the
// sender cannot hide.
#include "sterifleet/notify/webhook_sender.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http_receiver.hpp"

namespace sterifleet::notify {
namespace {

using std::chrono::seconds;
using testing::HttpReceiver;
using testing::RecordedRequest;
using testing::ScriptedReply;
using Script = std::vector<ScriptedReply>;
using Outcome = SendResult::Outcome;

constexpr std::chrono::seconds wait_limit{5};
const std::string signing_key = "sterifleet webhook test key, 32b";

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int length =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(length));
  return out;
}

std::string openssl_hmac(std::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), signing_key.data(), static_cast<int>(signing_key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &length);
  return std::string(reinterpret_cast<const char*>(mac), length);
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += {digits[b >> 4], digits[b & 0xF]};
  }
  return out;
}

WebhookSender sender_to(const std::string& url, seconds timeout = seconds(15)) {
  return WebhookSender(WebhookReceiver{.url = url, .secret = "whsec_" + base64(signing_key), .timeout = timeout});
}

Delivery delivery() {
  Notice n;
  n.id = "ntf_1";
  n.receiver = "hook";
  n.created_at = *protocol::parse_timestamp("2026-11-24T09:15:02.120Z");
  n.alert = {{"id", "a1"}, {"clinic", "C01"}, {"rule", "device.used_without_reprocessing"}};
  n.advice = "Take the pen out of use.";
  return make_delivery({n});
}

void expect_signed(const RecordedRequest& request) {
  const auto id = request.header("webhook-id").value_or("");
  const auto timestamp = request.header("webhook-timestamp").value_or("");
  const auto sent_at = std::chrono::system_clock::from_time_t(std::stoll(timestamp));
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - sent_at), std::chrono::minutes(1));
  EXPECT_EQ(request.header("webhook-signature"),
            "v1," + base64(openssl_hmac(id + "." + timestamp + "." + request.body)));
  EXPECT_EQ(request.header("X-Hub-Signature-256"), "sha256=" + hex(openssl_hmac(request.body)));
}

TEST(WebhookSender, RetriesOnServerErrorsThenDeliversUnderTheSameWebhookId) {
  HttpReceiver receiver(Script{{.status = 500, .body = "database down\n"}, {.status = 500}, {.status = 200}});
  auto sender = sender_to(receiver.url("/hooks/sterifleet"));
  const Delivery sent = delivery();

  const auto first = sender.send(sent);
  EXPECT_EQ(first.outcome, Outcome::retry);
  EXPECT_EQ(first.status, 500);
  EXPECT_EQ(first.retry_after, std::nullopt);
  EXPECT_EQ(first.answer, "HTTP 500: database down");
  EXPECT_EQ(sender.send(sent).outcome, Outcome::retry);
  const auto third = sender.send(sent);
  EXPECT_EQ(third.outcome, Outcome::delivered);
  EXPECT_EQ(third.status, 200);

  const auto requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3U);
  for (const auto& request : requests) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.target, "/hooks/sterifleet");
    EXPECT_EQ(request.header("webhook-id"), sent.id);
    EXPECT_EQ(request.header("Content-Type"), "application/json");
    EXPECT_EQ(request.header("User-Agent"), "sterifleet");
    expect_signed(request);
  }
}

TEST(WebhookSender, BodyCarriesTheNotices) {
  HttpReceiver receiver;
  const Delivery sent = delivery();
  EXPECT_EQ(sender_to(receiver.url()).send(sent).outcome, Outcome::delivered);
  ASSERT_EQ(receiver.requests().size(), 1U);
  const auto body = nlohmann::json::parse(receiver.requests().front().body);
  EXPECT_EQ(body["type"], "sterifleet.notification");
  EXPECT_EQ(body["delivery"], sent.id);
  EXPECT_EQ(body["notices"], nlohmann::json::array({to_json(sent.notices.front())}));
}

TEST(WebhookSender, GoneDisablesTheReceiver) {
  HttpReceiver receiver(Script{{.status = 410}});
  const auto result = sender_to(receiver.url()).send(delivery());
  EXPECT_EQ(result.outcome, Outcome::disabled);
  EXPECT_EQ(result.status, 410);
}

TEST(WebhookSender, TooManyRequestsIsRetriedWhenTheReceiverAsks) {
  HttpReceiver receiver(Script{{.status = 429, .headers = {{"Retry-After", "7"}}}});
  const auto result = sender_to(receiver.url()).send(delivery());
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 429);
  EXPECT_EQ(result.retry_after, seconds(7));
}

TEST(WebhookSender, ReplySlowerThanTheTimeoutIsRetriedWithoutStatus) {
  HttpReceiver receiver(Script{{.status = 200, .delay = std::chrono::seconds(10)}});
  const auto started = std::chrono::steady_clock::now();
  const auto result = sender_to(receiver.url(), seconds(1)).send(delivery());
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(3));
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_NE(result.answer.find("timed out"), std::string::npos) << result.answer;
  EXPECT_TRUE(receiver.wait_for_requests(1, wait_limit));
}

TEST(WebhookSender, NothingListeningIsRetried) {
  const std::string url = HttpReceiver().url();  // the port is closed again when the receiver goes
  const auto result = sender_to(url).send(delivery());
  EXPECT_EQ(result.outcome, Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.answer.empty());
  EXPECT_EQ(result.answer.find(base64(signing_key)), std::string::npos);
}

}  // namespace
}  // namespace sterifleet::notify
