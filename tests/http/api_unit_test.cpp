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

TEST_F(ApiUnit, MalformedTargets_AreBadRequests) {
  const auto escape = api.handle(request(verb::get, "/api/v1/devices?clinic=%zz", harness.token(Role::viewer)));
  EXPECT_EQ(escape.response.result_int(), 400);
  EXPECT_EQ(json::parse(escape.response.body())["error"]["message"], "the query string has a malformed %-escape");
  const auto nul = api.handle(request(verb::get, "/api/v1/devices/PEN%00", harness.token(Role::viewer)));
  EXPECT_EQ(nul.response.result_int(), 400);
  EXPECT_EQ(api.handle(request(verb::get, "*")).response.result_int(), 400);
}

TEST_F(ApiUnit, KeepAliveFollowsTheRequest) {
  auto r = request(verb::get, "/healthz");
  r.keep_alive(false);
  EXPECT_FALSE(api.handle(r).response.keep_alive());
  r.keep_alive(true);
  EXPECT_TRUE(api.handle(r).response.keep_alive());
}

}  // namespace
}  // namespace sterifleet::http::testing
