// GET /api/v1/whoami over the real server: each token learns its own role and the permissions that
// role holds (what the dashboard uses to hide the actions a token may not take).
#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;

TEST(Whoami, EachRoleGetsItsIdentityRoleAndPermissions) {
  Harness harness(empty_fleet());
  const std::vector<std::pair<Role, json>> expected{
      {Role::viewer, {"read"}},
      {Role::manager, {"read", "operate", "oversee"}},
      {Role::auditor, {"read", "audit", "oversee"}},
      {Role::admin, {"read", "operate", "audit", "oversee", "administer"}},
  };
  for (const auto& [role, permissions] : expected) {
    const auto response = harness.get("/api/v1/whoami", role);
    const std::string where(to_string(role));
    ASSERT_EQ(response.result_int(), 200) << where << ": " << response.body();
    const auto body = json_of(response);
    EXPECT_EQ(body["role"], to_string(role)) << where;
    EXPECT_EQ(body["name"], Harness::name(role)) << where;
    EXPECT_EQ(body["actor"], "token:" + Harness::name(role)) << where;
    EXPECT_EQ(body["permissions"], permissions) << where;
    EXPECT_EQ(body["clinics"], nullptr) << where;
    const auto north = json_of(harness.call(verb::get, "/api/v1/whoami", harness.north_token(role)));
    EXPECT_EQ(north["clinics"], json({"north"})) << where;
    EXPECT_EQ(north["actor"], "token:" + Harness::name(role) + "-north") << where;
  }
}

TEST(Whoami, BootstrapSecret_IsAnAdminNamedBootstrap) {
  Harness harness(fresh_install("first-key-1234"));
  const auto response = harness.call(verb::get, "/api/v1/whoami", "first-key-1234");
  ASSERT_EQ(response.result_int(), 200);
  const auto body = json_of(response);
  EXPECT_EQ(body["role"], "admin");
  EXPECT_EQ(body["actor"], "token:bootstrap");
}

TEST(Whoami, NoToken_Is401) {
  Harness harness(empty_fleet());
  const auto response = harness.call(verb::get, "/api/v1/whoami", "");
  EXPECT_EQ(response.result_int(), 401);
  EXPECT_EQ(error_code(response), "unauthorized");
  EXPECT_EQ(response[bhttp::field::www_authenticate], R"(Bearer realm="sterifleet")");
}

TEST(Whoami, RevokedToken_Is401) {
  Harness harness(empty_fleet());
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "temp"}, {"role", "manager"}});
  ASSERT_EQ(created.result_int(), 201);
  const auto secret = json_of(created)["token"].get<std::string>();
  const auto before = harness.call(verb::get, "/api/v1/whoami", secret);
  ASSERT_EQ(before.result_int(), 200);
  EXPECT_EQ(json_of(before)["name"], "temp");
  const auto id = json_of(created)["id"].get<std::string>();
  ASSERT_EQ(harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin)).result_int(), 200);
  const auto after = harness.call(verb::get, "/api/v1/whoami", secret);
  EXPECT_EQ(after.result_int(), 401);
  EXPECT_EQ(error_message(after), "the token is unknown or revoked");
}

TEST(Whoami, UnknownQueryParameter_Is400) {
  Harness harness(empty_fleet());
  const auto response = harness.get("/api/v1/whoami?role=admin", Role::viewer);
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(error_code(response), "bad_request");
  EXPECT_EQ(error_message(response), "role: unknown parameter; this endpoint takes none");
}

}  // namespace
}  // namespace sterifleet::http::testing
