// The Api as a plain function, no sockets: request objects in, responses out.
#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;

Request request(verb method, const std::string& target, const std::string& token = {}) {
  Request r{method, target, 11};
  if (!token.empty()) r.set(bhttp::field::authorization, "Bearer " + token);
  return r;
}

class ApiUnit : public ::testing::Test {
 protected:
  Harness harness;
  fleet::Metrics metrics;
  bool ready = true;
  Api api{{}, {harness.fleet(), harness.store(), metrics, [this] { return ready; }}};
};

TEST_F(ApiUnit, RoutesWithoutANetwork) {
  const auto reply = api.handle(request(verb::get, "/api/v1/devices?kind=pen", harness.token(Role::viewer)));
  EXPECT_EQ(reply.response.result_int(), 200);
  EXPECT_EQ(reply.route, "/api/v1/devices");
  EXPECT_FALSE(reply.stream);
  EXPECT_EQ(json::parse(reply.response.body())["items"].size(), 3u);
  EXPECT_EQ(reply.response[bhttp::field::cache_control], "no-store");
}

TEST_F(ApiUnit, StreamRequests_AreMarkedForTheSession) {
  const auto reply = api.handle(request(verb::get, "/api/v1/stream", harness.token(Role::viewer)));
  EXPECT_TRUE(reply.stream);
  EXPECT_EQ(reply.response[bhttp::field::content_type], "text/event-stream");
  EXPECT_FALSE(api.handle(request(verb::get, "/api/v1/stream")).stream);
}

TEST_F(ApiUnit, ReadinessFollowsTheProbe) {
  EXPECT_EQ(api.handle(request(verb::get, "/readyz")).response.result_int(), 200);
  ready = false;
  EXPECT_EQ(api.handle(request(verb::get, "/readyz")).response.result_int(), 503);
}

TEST_F(ApiUnit, MalformedTargets_AreBadRequestsNamingThePartAtFault) {
  const auto message = [&](const std::string& target) {
    const auto reply = api.handle(request(verb::get, target, harness.token(Role::viewer)));
    EXPECT_EQ(reply.response.result_int(), 400) << target;
    return json::parse(reply.response.body())["error"]["message"].get<std::string>();
  };
  EXPECT_EQ(message("/api/v1/devices?clinic=%zz"), "the query string has a malformed %-escape");
  EXPECT_EQ(message("/api/v1/devices?clinic=north%2"), "the query string has a malformed %-escape");
  EXPECT_EQ(message("/api/v1/devices?clinic=%00"), "the query string has a malformed %-escape");
  EXPECT_EQ(message("/api/v1/devices?clinic=a|b"), "the query string has a character that must be %-escaped");
  EXPECT_EQ(message("/api/v1/devices/PEN%zz"), "the path has a malformed %-escape");
  EXPECT_EQ(message("/api/v1/devices/PEN%00"), "the path has a malformed %-escape");
  EXPECT_EQ(message("/api/v1/devices/PEN|1?clinic=%zz"), "the path has a character that must be %-escaped");
  EXPECT_EQ(message("*"), "the request target must be an absolute path");
}

TEST_F(ApiUnit, Targets_AreDecodedAndEmptyItemsIgnored) {
  const auto items = [&](const std::string& target) {
    const auto reply = api.handle(request(verb::get, target, harness.token(Role::viewer)));
    EXPECT_EQ(reply.response.result_int(), 200) << target;
    return json::parse(reply.response.body())["items"].size();
  };
  EXPECT_EQ(items("/api/v1/devices?&kind=p%65n&&"), 3u);
  EXPECT_EQ(items("/api/v1/devices/?kind=pen"), 3u);
  EXPECT_EQ(items("/api/v1/%64evices?clinic=north&kind=pen"), 2u);
  const auto spaced = api.handle(request(verb::get, "/api/v1/devices?clinic=no+spaces", harness.token(Role::viewer)));
  EXPECT_EQ(json::parse(spaced.response.body())["error"]["message"],
            "clinic: must be 1 to 64 letters, digits, '_', '.' or '-'");
}

TEST_F(ApiUnit, KeepAliveFollowsTheRequest) {
  auto r = request(verb::get, "/healthz");
  r.keep_alive(false);
  EXPECT_FALSE(api.handle(r).response.keep_alive());
  r.keep_alive(true);
  EXPECT_TRUE(api.handle(r).response.keep_alive());
}

/// A cluster's front whose shard owners never answer: reads as the harness's fleet, every action
/// unanswered.
class UnansweredFront final : public fleet::FleetFront {
 public:
  explicit UnansweredFront(fleet::FleetFront& reads) : reads_(reads) {}
  std::shared_ptr<const fleet::FleetView> view() const override { return reads_.view(); }
  void visit_engines(const std::function<bool(const engine::Engine&)>& visit) const override {
    reads_.visit_engines(visit);
  }
  fleet::Outcome acknowledge(const std::string&, const std::string&, std::string) override { unanswered(); }
  fleet::Outcome resolve(const std::string&, const std::string&, std::string) override { unanswered(); }
  fleet::Outcome manual_reprocessing(const json&, const std::string&) override { unanswered(); }
  fleet::Outcome maintenance(const std::string&, protocol::Timestamp, protocol::Timestamp, std::string,
                             const std::string&) override {
    unanswered();
  }
  fleet::Outcome create_token(store::NewToken, const std::string&, std::string) override { unanswered(); }
  fleet::Outcome revoke_token(const std::string&, const std::string&, std::string) override { unanswered(); }
  void record_audit(engine::AuditRecord) override { unanswered(); }

 private:
  [[noreturn]] static void unanswered() {
    throw fleet::ActionUnanswered("no daemon holds shard 3: it was not applied and never will be; try again",
                                  std::chrono::seconds{10});
  }
  fleet::FleetFront& reads_;
};

TEST_F(ApiUnit, ActionNobodyAnswered_Is503WithRetryAfter_AndTheDaemonGoesOn) {
  UnansweredFront front(harness.fleet());
  bool fatal = false;
  HttpOptions options;
  options.fatal = [&](const std::string&) { fatal = true; };
  const Api cluster{options, {front, harness.store(), metrics, [] { return true; }}};
  auto ack = request(verb::post, "/api/v1/alerts/any/ack", harness.token(Role::manager));
  ack.body() = "{}";
  ack.prepare_payload();
  const auto reply = cluster.handle(ack);
  EXPECT_EQ(reply.response.result_int(), 503);
  EXPECT_EQ(reply.response[bhttp::field::retry_after], "10");
  const auto error = json::parse(reply.response.body())["error"];
  EXPECT_EQ(error["code"], "unavailable");
  EXPECT_EQ(error["message"], "no daemon holds shard 3: it was not applied and never will be; try again");
  EXPECT_FALSE(fatal);
}

}  // namespace
}  // namespace sterifleet::http::testing
