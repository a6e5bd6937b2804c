// A checkpoint survives its line form, its signature covers every field, and a pinned key refuses
// another key's checkpoint.
#include "sterifleet/checkpoint/checkpoint.hpp"

#include <gtest/gtest.h>

namespace sterifleet::checkpoint {
namespace {

const std::string head_hash(64, 'a');
const std::string first_hash(64, 'b');

Checkpoint signed_one(const crypto::SigningKey& key) {
  return sign(key, {42, head_hash}, first_hash, *protocol::parse_timestamp("2026-12-06T10:00:00.000Z"));
}

TEST(Checkpoint, LineRoundTripsAndVerifies) {
  const auto key = crypto::SigningKey::generate();
  const auto line = to_line(signed_one(key));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto parsed = from_line(line);
  ASSERT_TRUE(parsed.checkpoint) << parsed.problem;
  EXPECT_EQ(parsed.checkpoint->seq, 42);
  EXPECT_EQ(parsed.checkpoint->head, head_hash);
  EXPECT_EQ(parsed.checkpoint->first, first_hash);
  EXPECT_EQ(to_line(*parsed.checkpoint), line);
  EXPECT_FALSE(signature_problem(*parsed.checkpoint, std::nullopt));
  EXPECT_FALSE(signature_problem(*parsed.checkpoint, key.public_key()));
}

TEST(Checkpoint, EverySignedFieldChangedBreaksTheSignature) {
  const auto key = crypto::SigningKey::generate();
  const auto original = signed_one(key);
  std::vector<Checkpoint> altered(4, original);
  altered[0].seq = 41;
  altered[1].head = std::string(64, 'c');
  altered[2].first = std::string(64, 'c');
  altered[3].at += std::chrono::milliseconds(1);
  for (const auto& c : altered) {
    const auto problem = signature_problem(c, std::nullopt);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("signature"), std::string::npos) << *problem;
  }
}

TEST(Checkpoint, PinnedKeyRefusesAnotherKeysCheckpoint) {
  const auto ours = crypto::SigningKey::generate();
  const auto theirs = crypto::SigningKey::generate();
  const auto problem = signature_problem(signed_one(theirs), ours.public_key());
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("not by the pinned key " + key_text(ours.public_key())), std::string::npos) << *problem;
}

TEST(Checkpoint, BadFieldsAreNamed) {
  auto value = to_json(signed_one(crypto::SigningKey::generate()));
  const std::vector<std::pair<std::string, nlohmann::json>> cases = {
      {"v", 2},           {"seq", -1},         {"seq", "7"},    {"head", "ABC"},
      {"first", nullptr}, {"at", "yesterday"}, {"key", "AAAA"}, {"sig", "not base64"}};
  for (const auto& [field, bad] : cases) {
    auto copy = value;
    copy[field] = bad;
    const auto parsed = from_json(copy);
    EXPECT_FALSE(parsed.checkpoint) << field;
    EXPECT_TRUE(parsed.problem.starts_with(field + ":")) << parsed.problem;
  }
  EXPECT_EQ(from_line("{not json").problem, "not JSON");
  EXPECT_EQ(from_line("[1]").problem, "not a JSON object");
}

}  // namespace
}  // namespace sterifleet::checkpoint
