// `sterifleet token create`: a token for some clinics or all, stored as the API stores one (its journal
// entry and audit record in the same commit, the chain intact), a name never given twice, and a
// precise message and exit code for each mistake.
#include "token_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "sterifleet/store/store.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::app {
namespace {

class TokenCommand : public ::testing::Test {
 protected:
  int create(std::string role, std::string name, std::vector<std::string> clinics = {}) {
    out_.str("");
    return token_create(
        {db_, std::move(role), std::move(name), std::move(clinics), "cli:ops", "sterifleet token create"}, out_);
  }

  sterifleet::testing::TempDir dir_{"sterifleet-token-command"};
  std::string db_ = (dir_.path() / "sterifleet.db").string();
  std::ostringstream out_;
};

TEST_F(TokenCommand, CreatesAScopedTokenWithItsAuditRecord) {
  ASSERT_EQ(create("manager", "kim", {"south", "north"}), 0) << out_.str();
  EXPECT_NE(out_.str().find("named kim for [\"north\",\"south\"]"), std::string::npos) << out_.str();
  const auto store = store::open_sqlite(db_);
  const auto tokens = store->tokens();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].clinics, store::ClinicScope({"north", "south"}));
  EXPECT_EQ(tokens[0].role, "manager");
  const auto audit = store->audit_records(0, 10).rows;
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0]["actor"], "cli:ops");
  EXPECT_EQ(audit[0]["action"], "token_created");
  EXPECT_EQ(audit[0]["entity"], "token:" + tokens[0].id);
  EXPECT_EQ(audit[0]["after"]["clinics"], nlohmann::json({"north", "south"}));
  EXPECT_EQ(audit[0]["after"]["name"], "kim");
  EXPECT_EQ(audit[0]["cause"], "sterifleet token create");
  EXPECT_TRUE(store->verify_audit().intact);
  int journaled = 0;
  store->read_journal(0, [&](const store::JournalEntry& entry) {
    if (const auto* action = std::get_if<store::Action>(&entry.input)) journaled += action->kind == "token_created";
  });
  EXPECT_EQ(journaled, 1);
}

TEST_F(TokenCommand, ANameIsGivenOnce_AndMistakesAreNamed) {
  ASSERT_EQ(create("viewer", "kim"), 0) << out_.str();
  EXPECT_EQ(create("admin", "kim"), 1);
  EXPECT_NE(out_.str().find("the token name kim is taken"), std::string::npos) << out_.str();
  EXPECT_EQ(create("viewer", "bootstrap"), 2);
  EXPECT_NE(out_.str().find("--name: "), std::string::npos) << out_.str();
  EXPECT_EQ(create("viewer", "lee", {"a b"}), 2);
  EXPECT_EQ(out_.str(), "--clinic a b: must be 1 to 64 letters, digits, '_', '.' or '-'\n");
  EXPECT_EQ(create("owner", "lee"), 2);
  // Without a name, each gets its own.
  EXPECT_EQ(create("viewer", ""), 0);
  EXPECT_EQ(create("viewer", ""), 0);
  EXPECT_EQ(store::open_sqlite(db_)->tokens().size(), 3u);
}

}  // namespace
}  // namespace sterifleet::app
