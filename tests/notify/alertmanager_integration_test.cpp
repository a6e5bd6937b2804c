// The alertmanager receiver against the real Alertmanager 0.25 (alertmanager_fixture.hpp): what it lists
// after our POST, that a resolved notice ends the alert there, and how refusals and silence come back.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "alertmanager_fixture.hpp"
#include "http_receiver.hpp"
#include "sterifleet/notify/alertmanager_sender.hpp"
#include "sterifleet/testing/mosquitto.hpp"  // free_port

namespace sterifleet::notify {
namespace {

using nlohmann::json;
using testing::Alertmanager;

Timestamp now() { return AlertmanagerSender::system_now(); }

AlertmanagerReceiver receiver(std::string url) {
  AlertmanagerReceiver r;
  r.url = std::move(url);
  r.timeout = std::chrono::seconds{5};
  return r;
}

// An alert as engine::to_json writes it, opened a minute ago.
json open_alert(const std::string& id) {
  return {{"id", id},
          {"clinic", "C01"},
          {"rule", "device.used_without_reprocessing"},
          {"severity", "critical"},
          {"subject", "Pen P-7"},
          {"device", "P-7"},
          {"state", "open"},
          {"opened_at", protocol::format_timestamp(now() - std::chrono::minutes{1})},
          {"summary", "Pen P-7 was used again without being reprocessed"},
          {"cleared_at", nullptr},
          {"ack", nullptr},
          {"resolution", nullptr}};
}

Delivery delivery_of(NoticeKind kind, json alert) {
  Notice n;
  n.id = "ntf_" + alert.value("id", "") + "_" + std::string(to_string(kind));
  n.kind = kind;
  n.receiver = "am";
  n.created_at = now();
  n.alert = std::move(alert);
  n.alert_url = "https://sterifleet.example/#/alerts/" + n.alert_id();
  n.advice = "Take the pen out of use.";
  return make_delivery({n});
}

// The alerts Alertmanager lists with this alert_id label, polled until `done` holds of them or 10 s pass.
template <typename Done>
json alerts_with_id(const Alertmanager& am, const std::string& id, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  json found = json::array();
  while (std::chrono::steady_clock::now() < deadline) {
    found = json::array();
    for (const auto& alert : am.alerts()) {
      if (alert["labels"].value("alert_id", "") == id) found.push_back(alert);
    }
    if (done(found)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  return found;
}

TEST(AlertmanagerDelivery, FiringNoticeIsListedActiveWithItsLabelsAnnotationsAndLink) {
  const Alertmanager am;
  AlertmanagerSender sender(receiver(am.url()));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_fire")));
  ASSERT_EQ(result.outcome, SendResult::Outcome::delivered) << result.answer << "\n" << am.log();
  EXPECT_EQ(result.status, 200);

  const auto listed = alerts_with_id(
      am, "alr_fire", [](const json& found) { return found.size() == 1 && found[0]["status"]["state"] == "active"; });
  ASSERT_EQ(listed.size(), 1u) << am.log();
  const auto& alert = listed[0];
  EXPECT_EQ(alert["status"]["state"], "active");
  EXPECT_EQ(alert["labels"], (json{{"alertname", "device.used_without_reprocessing"},
                                   {"clinic", "C01"},
                                   {"device", "P-7"},
                                   {"severity", "critical"},
                                   {"alert_id", "alr_fire"}}));
  EXPECT_EQ(alert["annotations"]["summary"], "Pen P-7 was used again without being reprocessed");
  EXPECT_EQ(alert["annotations"]["advice"], "Take the pen out of use.");
  EXPECT_EQ(alert["generatorURL"], "https://sterifleet.example/#/alerts/alr_fire");
}

TEST(AlertmanagerDelivery, ResolvedNoticeEndsTheAlert) {
  const Alertmanager am;
  AlertmanagerSender sender(receiver(am.url() + "/"));
  auto alert = open_alert("alr_resolve");
  ASSERT_EQ(sender.send(delivery_of(NoticeKind::firing, alert)).outcome, SendResult::Outcome::delivered);
  ASSERT_EQ(alerts_with_id(am, "alr_resolve", [](const json& found) { return !found.empty(); }).size(), 1u);

  alert["state"] = "resolved";
  alert["cleared_at"] = protocol::format_timestamp(now() - std::chrono::seconds{1});
  const auto result = sender.send(delivery_of(NoticeKind::resolved, alert));
  ASSERT_EQ(result.outcome, SendResult::Outcome::delivered) << result.answer;
  EXPECT_TRUE(alerts_with_id(am, "alr_resolve", [](const json& found) { return found.empty(); }).empty()) << am.log();
}

// What Alertmanager's own receivers then get: its webhook posts "firing" and, after the end, "resolved".
TEST(AlertmanagerDelivery, AlertmanagersReceiversGetTheFiringAndTheResolvedAlert) {
  testing::HttpReceiver hook;
  testing::AlertmanagerOptions options;
  options.webhook_url = hook.url("/alertmanager");
  const Alertmanager am(options);
  AlertmanagerSender sender(receiver(am.url()));
  auto alert = open_alert("alr_relay");
  ASSERT_EQ(sender.send(delivery_of(NoticeKind::firing, alert)).outcome, SendResult::Outcome::delivered);
  ASSERT_TRUE(hook.wait_for_requests(1, std::chrono::seconds{10})) << am.log();
  const auto firing = json::parse(hook.requests()[0].body);
  EXPECT_EQ(firing.at("status"), "firing");
  ASSERT_EQ(firing.at("alerts").size(), 1u);
  EXPECT_EQ(firing.at("alerts")[0].at("labels").at("alert_id"), "alr_relay");
  EXPECT_EQ(firing.at("alerts")[0].at("labels").at("alertname"), "device.used_without_reprocessing");
  EXPECT_EQ(firing.at("alerts")[0].at("generatorURL"), "https://sterifleet.example/#/alerts/alr_relay");

  alert["state"] = "resolved";
  alert["cleared_at"] = protocol::format_timestamp(now() - std::chrono::seconds{1});
  ASSERT_EQ(sender.send(delivery_of(NoticeKind::resolved, alert)).outcome, SendResult::Outcome::delivered);
  ASSERT_TRUE(hook.wait_for_requests(2, std::chrono::seconds{10})) << am.log();
  const auto resolved = json::parse(hook.requests()[1].body);
  EXPECT_EQ(resolved.at("status"), "resolved");
  EXPECT_EQ(resolved.at("alerts")[0].at("labels").at("alert_id"), "alr_relay");
  EXPECT_EQ(resolved.at("alerts")[0].at("status"), "resolved");
}

TEST(AlertmanagerDelivery, TestNoticeIsTaken) {
  const Alertmanager am;
  AlertmanagerSender sender(receiver(am.url()));
  Notice n;
  n.id = "ntf_test";
  n.kind = NoticeKind::test;
  n.created_at = now();
  auto delivery = make_delivery({n});
  delivery.clinic = "C01";
  const auto result = sender.send(delivery);
  EXPECT_EQ(result.outcome, SendResult::Outcome::delivered) << result.answer;
}

TEST(AlertmanagerDelivery, RefusalIsRetriedWithAlertmanagersText) {
  const Alertmanager am;
  // Not Alertmanager's API under this prefix: it answers 404 with a plain-text page.
  AlertmanagerSender sender(receiver(am.url() + "/no-such-prefix"));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_404")));
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 404);
  EXPECT_NE(result.answer.find("404 page not found"), std::string::npos) << result.answer;
  EXPECT_EQ(result.answer.find('\n'), std::string::npos) << result.answer;
}

// Answers one HTTP request with `response` after reading it whole: what an overloaded proxy in front of
// Alertmanager says, which the real one never does.
class OneAnswer {
 public:
  explicit OneAnswer(std::string response) : response_(std::move(response)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listener_, 1) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { answer(); });
  }
  ~OneAnswer() {
    ::shutdown(listener_, SHUT_RDWR);  // wakes accept() when no request came
    thread_.join();
    ::close(listener_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void answer() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    if (fd < 0) return;
    std::string request;
    char buffer[4096];
    for (;;) {
      const auto head_end = request.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        const auto at = request.find("Content-Length: ");
        const std::size_t body = at == std::string::npos ? 0 : std::stoul(request.substr(at + 16));
        if (request.size() >= head_end + 4 + body) break;
      }
      const auto got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      request.append(buffer, static_cast<std::size_t>(got));
    }
    (void)::send(fd, response_.data(), response_.size(), MSG_NOSIGNAL);
    ::close(fd);
  }

  std::string response_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(AlertmanagerDelivery, UnavailableIsRetriedWhenItAsks) {
  const OneAnswer proxy(
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 7\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbusy\n");
  AlertmanagerSender sender(receiver(proxy.url()));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_busy")));
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 503);
  EXPECT_EQ(result.retry_after, std::chrono::seconds{7});
  EXPECT_EQ(result.answer, "Alertmanager answered 503: busy") << result.answer;
}

TEST(AlertmanagerDelivery, BadRequestAnswerIsAlertmanagersErrorText) {
  // Alertmanager's refusal as 0.25 writes it: a JSON string.
  const OneAnswer am(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 37\r\nConnection: "
      "close\r\n\r\n\"start time must be before end time\"\n");
  AlertmanagerSender sender(receiver(am.url()));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_bad")));
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 400);
  EXPECT_FALSE(result.retry_after);
  EXPECT_EQ(result.answer, "Alertmanager answered 400: start time must be before end time");
}

TEST(AlertmanagerDelivery, NothingListeningIsRetriedWithoutStatus) {
  const int port = testing::free_port();  // free a moment ago, and nobody binds it
  AlertmanagerSender sender(receiver("http://127.0.0.1:" + std::to_string(port)));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_nobody")));
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.answer.empty());
}

TEST(AlertmanagerDelivery, MalformedUrlIsRetriedWithoutStatus) {
  AlertmanagerSender sender(receiver("http://127.0.0.1:notaport"));
  const auto result = sender.send(delivery_of(NoticeKind::firing, open_alert("alr_bad_url")));
  EXPECT_EQ(result.outcome, SendResult::Outcome::retry);
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.answer.empty());
}

}  // namespace
}  // namespace sterifleet::notify
