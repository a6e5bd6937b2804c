// Authentication and the role matrix, over the real server: every protected route refuses a request
// without a token (401, WWW-Authenticate) and a role that may not (403), and lets the others through.
#include <set>

#include "harness.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;

struct Case {
  verb method;
  std::string pattern;
  std::string target;
  Permission needs;
  json body;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all{
      {verb::get, "/api/v1/clinics", "/api/v1/clinics", Permission::read, nullptr},
      {verb::get, "/api/v1/devices", "/api/v1/devices", Permission::read, nullptr},
      {verb::get, "/api/v1/devices/{id}", "/api/v1/devices/PEN-1", Permission::read, nullptr},
      {verb::post,
       "/api/v1/devices/{id}/maintenance",
       "/api/v1/devices/PEN-2/maintenance",
       Permission::operate,
       {{"from", "2026-11-25T08:00:00Z"}, {"to", "2026-11-25T10:00:00Z"}, {"reason", "motor service"}}},
      {verb::get, "/api/v1/alerts", "/api/v1/alerts", Permission::read, nullptr},
      {verb::get, "/api/v1/alerts/{id}", "/api/v1/alerts/0000000000000000", Permission::read, nullptr},
      {verb::post, "/api/v1/alerts/{id}/ack", "/api/v1/alerts/0000000000000000/ack", Permission::operate,
       json::object()},
      {verb::post,
       "/api/v1/alerts/{id}/resolve",
       "/api/v1/alerts/0000000000000000/resolve",
       Permission::operate,
       {{"reason", "checked"}}},
      {verb::get, "/api/v1/sessions", "/api/v1/sessions", Permission::read, nullptr},
      {verb::get, "/api/v1/cycles", "/api/v1/cycles", Permission::read, nullptr},
      {verb::get, "/api/v1/cycles/{sterilizer}/{cycle}", "/api/v1/cycles/STER-1/CYC-1", Permission::read, nullptr},
      {verb::post,
       "/api/v1/reprocessing",
       "/api/v1/reprocessing",
       Permission::operate,
       {{"clinic", "north"},
        {"cycle",
         {{"cycle", "SOAK-1"},
          {"method", "chemical"},
          {"wrapped", false},
          {"temp_c", 22},
          {"exposure_s", 1500},
          {"load", {"PEN-2"}},
          {"ci", "pass"},
          {"operator", "op-mia"},
          {"agent", "glutaraldehyde"},
          {"concentration_pct", 2.4}}}}},
      {verb::get, "/api/v1/recalls/{sterilizer}/{cycle}", "/api/v1/recalls/STER-1/CYC-1", Permission::read, nullptr},
      {verb::get, "/api/v1/audit", "/api/v1/audit", Permission::audit, nullptr},
      {verb::get, "/api/v1/audit/verify", "/api/v1/audit/verify", Permission::audit, nullptr},
      {verb::get, "/api/v1/quarantine", "/api/v1/quarantine", Permission::audit, nullptr},
      {verb::get, "/api/v1/quarantine/counts", "/api/v1/quarantine/counts", Permission::audit, nullptr},
      {verb::get, "/api/v1/quarantine/{id}", "/api/v1/quarantine/1", Permission::audit, nullptr},
      {verb::get, "/api/v1/commands", "/api/v1/commands", Permission::audit, nullptr},
      {verb::get, "/api/v1/stats/compliance", "/api/v1/stats/compliance", Permission::read, nullptr},
      {verb::get, "/api/v1/reports/compliance", "/api/v1/reports/compliance", Permission::audit, nullptr},
      {verb::get, "/api/v1/alerts/{id}/notifications", "/api/v1/alerts/0000000000000000/notifications",
       Permission::read, nullptr},
      {verb::get, "/api/v1/notifications", "/api/v1/notifications", Permission::oversee, nullptr},
      {verb::post, "/api/v1/notify/test", "/api/v1/notify/test", Permission::administer, {{"receiver", "pager"}}},
      {verb::post, "/api/v1/notify/receivers/{name}/enable", "/api/v1/notify/receivers/pager/enable",
       Permission::administer, nullptr},
      {verb::post, "/api/v1/tokens", "/api/v1/tokens", Permission::administer, {{"name", "kim"}, {"role", "viewer"}}},
      {verb::get, "/api/v1/tokens", "/api/v1/tokens", Permission::administer, nullptr},
      {verb::delete_, "/api/v1/tokens/{id}", "/api/v1/tokens/tok_nope", Permission::administer, nullptr},
      {verb::get, "/api/v1/stream", "/api/v1/stream", Permission::read, nullptr},
      {verb::get, "/api/v1/whoami", "/api/v1/whoami", Permission::read, nullptr},
  };
  return all;
}

std::string body_of(const Case& c) { return c.body.is_null() ? std::string() : c.body.dump(); }

const std::vector<Role> all_roles{Role::viewer, Role::manager, Role::auditor, Role::admin};

// The stream never ends, so its allowed case is read as a raw header.
std::string stream_head(std::uint16_t port, const std::string& token) {
  Client client(port);
  client.write_raw("GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token + "\r\n\r\n");
  return client.read_until("\r\n\r\n", std::chrono::seconds(5));
}

TEST(Auth, TheTableCoversEveryProtectedRoute) {
  Harness harness(empty_fleet());
  fleet::Metrics metrics;
  const Api api({}, {harness.fleet(), harness.store(), metrics, {}});
  std::set<std::string> routed, tabled;
  for (const auto& route : api.routes()) {
    if (route.permission) routed.insert(std::string(bhttp::to_string(route.method)) + " " + route.pattern);
  }
  for (const auto& c : cases()) tabled.insert(std::string(bhttp::to_string(c.method)) + " " + c.pattern);
  EXPECT_EQ(routed, tabled);
}

TEST(Auth, NoToken_Is401WithAChallenge_OnEveryProtectedRoute) {
  Harness harness;
  for (const auto& c : cases()) {
    const auto response = harness.call(c.method, c.target, "", body_of(c));
    EXPECT_EQ(response.result_int(), 401) << c.target;
    EXPECT_EQ(error_code(response), "unauthorized") << c.target;
    EXPECT_EQ(response[bhttp::field::www_authenticate], R"(Bearer realm="sterifleet")") << c.target;
  }
}

TEST(Auth, UnknownOrMalformedToken_Is401) {
  Harness harness;
  const auto unknown = harness.call(verb::get, "/api/v1/devices", "sft_00000000000000000000000000000000");
  EXPECT_EQ(unknown.result_int(), 401);
  EXPECT_EQ(error_message(unknown), "the token is unknown or revoked");
  EXPECT_NE(unknown[bhttp::field::www_authenticate].find(R"(error="invalid_token")"), std::string::npos);
  Client client(harness.port());
  const auto basic =
      client.request(verb::get, "/api/v1/devices", "", "", {{"Authorization", "Basic dmljOnNlY3JldA=="}});
  EXPECT_EQ(basic.result_int(), 401);
  EXPECT_EQ(error_message(basic), "the Authorization header must be \"Bearer <token>\"");
}

TEST(Auth, RoleMatrix_EachRoleGetsExactlyItsRoutes) {
  Harness harness;
  for (const auto& c : cases()) {
    for (const auto role : all_roles) {
      const bool allowed = allows(role, c.needs);
      if (c.pattern == "/api/v1/stream" && allowed) {
        EXPECT_TRUE(stream_head(harness.port(), harness.token(role)).starts_with("HTTP/1.1 200 OK"));
        continue;
      }
      const auto response = harness.call(c.method, c.target, harness.token(role), body_of(c));
      const std::string where = c.target + " as " + std::string(to_string(role));
      if (allowed) {
        EXPECT_NE(response.result_int(), 401) << where;
        EXPECT_NE(response.result_int(), 403) << where << ": " << response.body();
      } else {
        EXPECT_EQ(response.result_int(), 403) << where;
        EXPECT_EQ(error_code(response), "forbidden") << where;
        EXPECT_NE(error_message(response).find("this token is " + std::string(to_string(role))), std::string::npos)
            << where << ": " << error_message(response);
      }
    }
  }
}

TEST(Auth, RevokedToken_Is401) {
  Harness harness;
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "temp"}, {"role", "viewer"}});
  ASSERT_EQ(created.result_int(), 201);
  const auto secret = json_of(created)["token"].get<std::string>();
  EXPECT_EQ(harness.call(verb::get, "/api/v1/devices", secret).result_int(), 200);
  const auto id = json_of(created)["id"].get<std::string>();
  EXPECT_EQ(harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin)).result_int(), 200);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/devices", secret).result_int(), 401);
}

TEST(Auth, BootstrapToken_IsAdminUntilAnAdminTokenExists) {
  Harness harness(fresh_install("first-key-1234"));
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", "wrong-key").result_int(), 401);
  ASSERT_EQ(harness.call(verb::get, "/api/v1/tokens", "first-key-1234").result_int(), 200);
  const auto created =
      harness.call(verb::post, "/api/v1/tokens", "first-key-1234", json{{"name", "root"}, {"role", "admin"}}.dump());
  ASSERT_EQ(created.result_int(), 201);
  const auto secret = json_of(created)["token"].get<std::string>();
  EXPECT_TRUE(secret.starts_with("sft_"));
  EXPECT_EQ(secret.size(), 36u);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", secret).result_int(), 200);
  EXPECT_EQ(harness.call(verb::get, "/api/v1/tokens", "first-key-1234").result_int(), 401);
}

TEST(Auth, StoredTokens_AreOnlyHashes) {
  Harness harness(empty_fleet());
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "kim"}, {"role", "auditor"}});
  const auto secret = json_of(created)["token"].get<std::string>();
  const auto record = harness.store().token_by_hash(crypto::sha256_hex(secret));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->name, "kim");
  EXPECT_FALSE(harness.store().token_by_hash(secret));
}

TEST(Auth, WritesCarryTheTokensIdentityIntoTheAuditTrail) {
  Harness harness;
  const auto open = json_of(harness.get("/api/v1/alerts?state=open&rule=cartridge.reused", Role::viewer));
  ASSERT_EQ(open["items"].size(), 1u);
  const auto id = open["items"][0]["id"].get<std::string>();
  ASSERT_EQ(harness.post("/api/v1/alerts/" + id + "/ack", Role::manager, {{"comment", "on it"}}).result_int(), 200);
  bool found = false;
  std::string after = "0";
  while (!found && !after.empty()) {
    const auto page = json_of(harness.get("/api/v1/audit?limit=1000&after=" + after, Role::auditor));
    for (const auto& record : page["items"]) {
      found = found || (record["actor"] == "token:mia" && record["entity"] == "alert:" + id);
    }
    after = page["next"].is_null() ? "" : page["next"].get<std::string>();
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace sterifleet::http::testing
