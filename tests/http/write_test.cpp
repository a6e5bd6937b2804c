// The write endpoints: acknowledgement, resolution, maintenance, manual reprocessing and tokens; each
// reaches the Fleet (or the store) and refuses a bad body with a message naming the field.
#include "harness.hpp"

namespace sterifleet::http::testing {
namespace {

using nlohmann::json;
using verb = bhttp::verb;

class Writes : public ::testing::Test {
 protected:
  Harness harness;

  std::string open_alert(const std::string& rule) {
    const auto page = json_of(harness.get("/api/v1/alerts?state=open&rule=" + rule, Role::viewer));
    EXPECT_FALSE(page["items"].empty()) << rule;
    return page["items"].empty() ? "" : page["items"][0]["id"].get<std::string>();
  }
  std::string bad(const std::string& target, const std::string& body, Role role = Role::manager) {
    const auto response = harness.call(verb::post, target, harness.token(role), body);
    EXPECT_EQ(response.result_int(), 400) << target << " " << body << ": " << response.body();
    return error_message(response);
  }
  static json soak(const std::string& id) {
    return {{"clinic", "north"},
            {"id", id},
            {"at", "2026-11-24T12:30:00Z"},
            {"cycle",
             {{"cycle", id},
              {"method", "chemical"},
              {"wrapped", false},
              {"temp_c", 22},
              {"exposure_s", 1500},
              {"load", {"PEN-1"}},
              {"ci", "pass"},
              {"operator", "op-mia"},
              {"agent", "glutaraldehyde"},
              {"concentration_pct", 2.4}}}};
  }
};

TEST_F(Writes, Acknowledge_RecordsWhoAndWhy) {
  const auto id = open_alert("cartridge.reused");
  const auto response = harness.post("/api/v1/alerts/" + id + "/ack", Role::manager, {{"comment", "pen withdrawn"}});
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const auto alert = json_of(response);
  EXPECT_EQ(alert["state"], "acknowledged");
  EXPECT_EQ(alert["ack"]["by"], "token:mia");
  EXPECT_EQ(alert["ack"]["comment"], "pen withdrawn");
  const auto again = harness.post("/api/v1/alerts/" + id + "/ack", Role::manager, json::object());
  EXPECT_EQ(again.result_int(), 409);
  EXPECT_EQ(error_code(again), "conflict");
  // An empty body is an acknowledgement without a comment.
  const auto other = open_alert("device.used_without_reprocessing");
  EXPECT_EQ(harness.call(verb::post, "/api/v1/alerts/" + other + "/ack", harness.token(Role::manager)).result_int(),
            200);
  EXPECT_EQ(harness.post("/api/v1/alerts/ffff/ack", Role::manager, json::object()).result_int(), 404);
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/ack", R"({"comment": 5})"),
            "comment: must be a string of at most 1000 characters");
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/ack", R"({"coment": "x"})"), "coment: unknown field; expected comment");
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/ack", "[1]"), "body: expected a JSON object");
}

TEST_F(Writes, Resolve_NeedsAReason) {
  const auto id = open_alert("cycle.bi_positive");
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/resolve", "{}"), "reason: required");
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/resolve", R"({"reason": ""})"), "reason: must not be empty");
  EXPECT_EQ(bad("/api/v1/alerts/" + id + "/resolve", "{reason"), "body: not valid JSON");
  const auto response = harness.post("/api/v1/alerts/" + id + "/resolve", Role::manager,
                                     {{"reason", "load reprocessed, patients informed"}});
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json_of(response)["state"], "resolved");
  EXPECT_EQ(json_of(response)["resolution"]["by"], "token:mia");
  EXPECT_EQ(harness.post("/api/v1/alerts/" + id + "/resolve", Role::manager, {{"reason", "again"}}).result_int(), 409);
}

TEST_F(Writes, Maintenance_SilencesTheDevice) {
  const json window{{"from", "2026-11-24T12:00:00Z"}, {"to", "2026-11-24T18:00:00Z"}, {"reason", "motor service"}};
  const auto response = harness.post("/api/v1/devices/PEN-2/maintenance", Role::manager, window);
  ASSERT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json_of(response)["maintenance"][0]["reason"], "motor service");
  EXPECT_EQ(harness.post("/api/v1/devices/PEN-404/maintenance", Role::manager, window).result_int(), 404);
  EXPECT_EQ(bad("/api/v1/devices/PEN-2/maintenance",
                R"({"from":"2026-11-24T12:00:00Z","to":"2026-11-24T11:00:00Z","reason":"x"})"),
            "to: must be later than from");
  EXPECT_EQ(bad("/api/v1/devices/PEN-2/maintenance", R"({"from":"noon","to":"2026-11-24T11:00:00Z","reason":"x"})"),
            "from: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad("/api/v1/devices/PEN-2/maintenance", R"({"from":"2026-11-24T12:00:00Z","to":"2026-11-24T13:00:00Z"})"),
            "reason: required");
}

TEST_F(Writes, ManualReprocessing_IsACycleEnteredByTheToken) {
  const auto response = harness.post("/api/v1/reprocessing", Role::manager, soak("SOAK-7"));
  ASSERT_EQ(response.result_int(), 201) << response.body();
  const auto cycle = json_of(response);
  EXPECT_EQ(cycle["key"], "manual/SOAK-7");
  EXPECT_EQ(cycle["entered_by"], "token:mia");
  EXPECT_EQ(json_of(harness.get("/api/v1/cycles/manual/SOAK-7", Role::viewer)), cycle);
  EXPECT_EQ(harness.post("/api/v1/reprocessing", Role::manager, soak("SOAK-7")).result_int(), 409);
  // Without an id, one is made up.
  auto unnamed = soak("x");
  unnamed.erase("id");
  const auto made = harness.post("/api/v1/reprocessing", Role::manager, unnamed);
  ASSERT_EQ(made.result_int(), 201) << made.body();
  EXPECT_TRUE(json_of(made)["key"].get<std::string>().starts_with("manual/M-"));
}

TEST_F(Writes, ManualReprocessing_ErrorsNameTheField) {
  auto no_agent = soak("SOAK-8");
  no_agent["cycle"].erase("agent");
  EXPECT_TRUE(bad("/api/v1/reprocessing", no_agent.dump()).starts_with("/cycle"));
  auto bad_temp = soak("SOAK-9");
  bad_temp["cycle"]["temp_c"] = "hot";
  const auto message = bad("/api/v1/reprocessing", bad_temp.dump());
  EXPECT_TRUE(message.starts_with("/cycle/temp_c")) << message;
  EXPECT_EQ(bad("/api/v1/reprocessing", R"({"cycle":{}})"), "clinic: required");
  EXPECT_EQ(bad("/api/v1/reprocessing", R"({"clinic":"north"})"),
            "cycle: required, an object with the fields of a cycle.complete body");
  EXPECT_EQ(bad("/api/v1/reprocessing", R"({"clinic":"north","at":"today","cycle":{}})"),
            "at: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z");
  EXPECT_EQ(bad("/api/v1/reprocessing", R"({"clinic":"north","id":"a b","cycle":{}})"),
            "id: must be 1 to 64 letters, digits, '_', '.' or '-'");
}

TEST_F(Writes, Tokens_CreateShowsTheSecretOnceAndRevoke) {
  const auto created = harness.post("/api/v1/tokens", Role::admin, {{"name", "kim@north"}, {"role", "manager"}});
  ASSERT_EQ(created.result_int(), 201) << created.body();
  const auto token = json_of(created);
  EXPECT_EQ(token["role"], "manager");
  EXPECT_EQ(token["token"].get<std::string>().size(), 36u);
  const auto listed = json_of(harness.get("/api/v1/tokens", Role::admin))["items"];
  EXPECT_EQ(listed.size(), 9u);
  const auto id = token["id"].get<std::string>();
  const auto revoked = harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin));
  EXPECT_EQ(revoked.result_int(), 200);
  EXPECT_EQ(json_of(revoked), json({{"id", id}, {"revoked", true}}));
  EXPECT_EQ(harness.call(verb::delete_, "/api/v1/tokens/tok_missing", harness.token(Role::admin)).result_int(), 404);
  EXPECT_EQ(harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin)).result_int(), 409);
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"kim","role":"owner"})", Role::admin),
            "role: must be one of viewer, manager, auditor, admin");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"kim smith","role":"viewer"})", Role::admin),
            "name: must be 1 to 64 letters, digits, '_', '.', '-' or '@', and not \"bootstrap\"");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"bootstrap","role":"viewer"})", Role::admin),
            "name: must be 1 to 64 letters, digits, '_', '.', '-' or '@', and not \"bootstrap\"");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"kim","role":"viewer","clinics":[]})", Role::admin),
            "clinics: must be null (every clinic) or an array of 1 to 100 distinct clinic ids");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"kim","role":"viewer","clinics":["north","north"]})", Role::admin),
            "clinics: must be null (every clinic) or an array of 1 to 100 distinct clinic ids");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"name":"kim","role":"viewer","clinics":["a b"]})", Role::admin),
            "clinics: each must be 1 to 64 letters, digits, '_', '.' or '-'");
  EXPECT_EQ(bad("/api/v1/tokens", R"({"role":"viewer"})", Role::admin), "name: required");
}

// The audit trail keeps who made and who revoked each token, its role, clinics and name; the actor of
// every record is the unique token name.
TEST_F(Writes, Tokens_LifecycleIsAudited_AndNamesAreNeverReused) {
  const auto created = harness.post("/api/v1/tokens", Role::admin,
                                    {{"name", "kim"}, {"role", "manager"}, {"clinics", {"south", "north"}}});
  ASSERT_EQ(created.result_int(), 201) << created.body();
  const auto id = json_of(created)["id"].get<std::string>();
  EXPECT_EQ(json_of(created)["clinics"], json({"north", "south"}));
  ASSERT_EQ(harness.call(verb::delete_, "/api/v1/tokens/" + id, harness.token(Role::admin)).result_int(), 200);
  const auto again = harness.post("/api/v1/tokens", Role::admin, {{"name", "kim"}, {"role", "viewer"}});
  EXPECT_EQ(again.result_int(), 409);
  EXPECT_EQ(error_code(again), "conflict");
  EXPECT_EQ(harness.post("/api/v1/tokens", Role::admin, {{"name", "vic"}, {"role", "viewer"}}).result_int(), 409);

  std::vector<json> records;
  for (std::string after = "0"; !after.empty();) {
    const auto page = json_of(harness.get("/api/v1/audit?limit=1000&after=" + after, Role::auditor));
    for (const auto& record : page["items"]) {
      if (record["entity"] == "token:" + id) records.push_back(record);
    }
    after = page["next"].is_null() ? "" : page["next"].get<std::string>();
  }
  ASSERT_EQ(records.size(), 2u);
  const json token{{"id", id},
                   {"name", "kim"},
                   {"role", "manager"},
                   {"clinics", {"north", "south"}},
                   {"created_at", json_of(created)["created_at"]},
                   {"revoked", false}};
  EXPECT_EQ(records[0]["action"], "token_created");
  EXPECT_EQ(records[0]["actor"], "token:ada");
  EXPECT_EQ(records[0]["before"], nullptr);
  EXPECT_EQ(records[0]["after"], token);
  EXPECT_EQ(records[0]["cause"], "POST /api/v1/tokens");
  EXPECT_EQ(records[1]["action"], "token_revoked");
  EXPECT_EQ(records[1]["actor"], "token:ada");
  EXPECT_EQ(records[1]["before"], token);
  auto revoked = token;
  revoked["revoked"] = true;
  EXPECT_EQ(records[1]["after"], revoked);
  EXPECT_EQ(records[1]["cause"], "DELETE /api/v1/tokens/" + id);
  EXPECT_TRUE(json_of(harness.get("/api/v1/audit/verify", Role::auditor))["intact"]);
}

}  // namespace
}  // namespace sterifleet::http::testing
