// The OpenAPI description and the server agree: the same paths and methods, the same roles, and the
// answers of a populated server match the response schemas (every harness call checks its answer).
#include <set>

#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::set<std::string> http_methods{"get", "post", "put", "delete", "patch"};

std::vector<RouteInfo> server_routes(Harness& harness) {
  fleet::Metrics metrics;
  return Api({}, {harness.fleet(), harness.store(), metrics, {}}).routes();
}

TEST(OpenApi, IsOpenApi31WithTheErrorFormatAndSecuritySchemes) {
  const auto& doc = spec().document();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  EXPECT_EQ(doc["components"]["schemas"]["Error"]["required"], json({"error"}));
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      EXPECT_TRUE(operation.contains("operationId")) << method << " " << path;
      EXPECT_TRUE(operation.contains("security")) << method << " " << path;
      EXPECT_TRUE(operation["responses"].contains("400")) << method << " " << path;
      for (const auto& [status, response] : operation["responses"].items()) {
        EXPECT_NO_THROW(spec().response_schema(path, method, status)) << method << " " << path << " " << status;
      }
    }
  }
}

TEST(OpenApi, EveryRouteIsDescribed_AndEveryDescribedOperationIsRouted) {
  Harness harness(empty_fleet());
  std::set<std::string> routed, described;
  for (const auto& route : server_routes(harness)) {
    routed.insert(lower(bhttp::to_string(route.method)) + " " + route.pattern);
  }
  for (const auto& [path, item] : spec().document()["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      if (http_methods.contains(method)) described.insert(method + " " + path);
    }
  }
  EXPECT_EQ(routed, described);
}

TEST(OpenApi, RolesAndPathParametersMatchTheServer) {
  Harness harness(empty_fleet());
  for (const auto& route : server_routes(harness)) {
    const auto& operation = spec().document()["paths"][route.pattern][lower(bhttp::to_string(route.method))];
    const std::string where = route.pattern;
    if (!route.permission) {
      EXPECT_EQ(operation["security"], json::array()) << where;
      EXPECT_FALSE(operation.contains("x-roles")) << where;
    } else {
      json roles = json::array();
      for (const auto role : {Role::viewer, Role::manager, Role::auditor, Role::admin}) {
        if (allows(role, *route.permission)) roles.push_back(to_string(role));
      }
      EXPECT_EQ(operation["x-roles"], roles) << where;
      EXPECT_EQ(operation["x-clinic-scope"], route.reach == Reach::fleet ? "all-clinics" : "scoped") << where;
      EXPECT_TRUE(operation["responses"].contains("401")) << where;
      EXPECT_TRUE(operation["responses"].contains("403")) << where;
    }
    std::set<std::string> in_pattern, declared;
    for (std::size_t open = route.pattern.find('{'); open != std::string::npos;
         open = route.pattern.find('{', open + 1)) {
      in_pattern.insert(route.pattern.substr(open + 1, route.pattern.find('}', open) - open - 1));
    }
    for (const auto& parameter : operation.value("parameters", json::array())) {
      if (parameter["in"] == "path") declared.insert(parameter["name"].get<std::string>());
    }
    EXPECT_EQ(in_pattern, declared) << where;
  }
}

TEST(OpenApi, IsServedWithoutAToken) {
  Harness harness(empty_fleet());
  const auto response = harness.call(verb::get, "/api/v1/openapi.json", "");
  ASSERT_EQ(response.result_int(), 200);
  EXPECT_EQ(json::parse(response.body()), spec().document());
}

TEST(OpenApi, TheValidatorCatchesWhatItMust) {
  const json alert_ref{{"$ref", "#/components/schemas/Alert"}};
  EXPECT_FALSE(spec().validate(json::object(), alert_ref).empty());
  const json error_ref{{"$ref", "#/components/schemas/Error"}};
  EXPECT_TRUE(spec().validate({{"error", {{"code", "not_found"}, {"message", "x"}}}}, error_ref).empty());
  EXPECT_FALSE(spec().validate({{"error", {{"code", "teapot"}, {"message", "x"}}}}, error_ref).empty());
  EXPECT_FALSE(spec().validate({{"error", {{"code", "not_found"}, {"message", 5}}}}, error_ref).empty());
  const json nullable{{"type", json{"string", "null"}}};
  EXPECT_TRUE(spec().validate(nullptr, nullable).empty());
  EXPECT_FALSE(spec().validate(3, nullable).empty());
  const json list{{"type", "array"}, {"items", {{"type", "integer"}}}};
  EXPECT_FALSE(spec().validate(json{1, "2"}, list).empty());
}

// Every operation of the description, called with a real argument on a populated server; the
// harness checks each answer against its schema.
TEST(OpenApi, AnswersOfAPopulatedServerMatchTheirSchemas) {
  // A notifier whose receiver takes the test, and a receiver disabled (410) for the admin to enable.
  Harness harness(tweaked(true, [](HttpOptions& options) {
    options.notify.test = [](const std::string&, const std::string&) {
      return TestNotification{true, 200, "HTTP 200: ok"};
    };
  }));
  harness.store().disable_receiver("hook", kDay, "HTTP 410: gone");
  const auto alerts = json_of(harness.get("/api/v1/alerts?state=open", Role::viewer))["items"];
  ASSERT_GE(alerts.size(), 2u);
  std::string token_id;  // the viewer's: revoking the admin's would end the walk
  const auto tokens = json_of(harness.get("/api/v1/tokens", Role::admin));
  for (const auto& token : tokens["items"]) {
    if (token["name"] == Harness::name(Role::viewer)) token_id = token["id"];
  }
  const std::map<std::string, std::string> concrete{
      {"/api/v1/devices/{id}", "/api/v1/devices/PEN-1"},
      {"/api/v1/devices/{id}/maintenance", "/api/v1/devices/PEN-2/maintenance"},
      {"/api/v1/alerts/{id}", "/api/v1/alerts/" + alerts[0]["id"].get<std::string>()},
      {"/api/v1/alerts/{id}/ack", "/api/v1/alerts/" + alerts[0]["id"].get<std::string>() + "/ack"},
      {"/api/v1/alerts/{id}/resolve", "/api/v1/alerts/" + alerts[1]["id"].get<std::string>() + "/resolve"},
      {"/api/v1/alerts/{id}/notifications", "/api/v1/alerts/" + alerts[0]["id"].get<std::string>() + "/notifications"},
      {"/api/v1/notify/receivers/{name}/enable", "/api/v1/notify/receivers/hook/enable"},
      {"/api/v1/cycles/{sterilizer}/{cycle}", "/api/v1/cycles/STER-1/CYC-1"},
      {"/api/v1/recalls/{sterilizer}/{cycle}", "/api/v1/recalls/STER-1/CYC-1"},
      {"/api/v1/tokens/{id}", "/api/v1/tokens/" + token_id},
      {"/api/v1/quarantine/{id}",
       "/api/v1/quarantine/" + json_of(harness.get("/api/v1/quarantine", Role::admin))["items"][0]["id"].dump()},
  };
  const std::map<std::string, json> bodies{
      {"/api/v1/devices/{id}/maintenance",
       {{"from", "2026-11-24T12:00:00Z"}, {"to", "2026-11-24T13:00:00Z"}, {"reason", "service"}}},
      {"/api/v1/alerts/{id}/ack", {{"comment", "seen"}}},
      {"/api/v1/alerts/{id}/resolve", {{"reason", "fixed"}}},
      {"/api/v1/reprocessing",
       {{"clinic", "north"},
        {"cycle",
         {{"cycle", "DRY-1"},
          {"method", "dry_heat"},
          {"wrapped", true},
          {"temp_c", 171},
          {"exposure_s", 3700},
          {"load", {"PEN-1"}},
          {"ci", "pass"},
          {"operator", "op-mia"}}}}},
      {"/api/v1/tokens", {{"name", "eve"}, {"role", "viewer"}}},
      {"/api/v1/notify/test", {{"receiver", "desk"}}},
      {"/api/v1/reports/verify", "not a report"},
  };
  std::size_t called = 0;
  for (const auto& [path, item] : spec().document()["paths"].items()) {
    if (path == "/api/v1/stream") continue;  // endless; tested in stream_test.cpp
    for (const auto& [method, operation] : item.items()) {
      const auto target = concrete.contains(path) ? concrete.at(path) : path;
      const auto body = bodies.contains(path) ? bodies.at(path).dump() : std::string();
      const auto response =
          harness.call(bhttp::string_to_verb(method == "delete" ? "DELETE" : (method == "post" ? "POST" : "GET")),
                       target, harness.token(Role::admin), body);
      EXPECT_LT(response.result_int(), 300) << method << " " << target << ": " << response.body();
      ++called;
    }
  }
  EXPECT_EQ(called, server_routes(harness).size() - 1);
}

}  // namespace
}  // namespace sterifleet::http::testing
