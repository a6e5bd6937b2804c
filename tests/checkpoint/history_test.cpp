// The findings against made-up chains: a chain is a list of record hashes, and checkpoints state the hash
// of a record and of record 1. Truncation, a rewritten tail and a replaced chain are told apart, and the
// first record that differs is narrowed between the checkpoints.
#include "sterifleet/checkpoint/history.hpp"

#include <gtest/gtest.h>

namespace sterifleet::checkpoint {
namespace {

// Record n's hash in history `h`: 64 hex digits, distinct per history and record.
std::string hash(char h, std::int64_t n) {
  auto digits = std::to_string(n);
  std::string out(1, h);  // appended piecewise: GCC 12 at -O3 warns falsely on the sum (-Wrestrict, PR105651)
  out.append(63 - digits.size(), '0');
  out += digits;
  return out;
}

struct Chain {
  std::vector<std::string> hashes;  // hashes[n - 1] is record n's
  bool broken = false;
  HashAt at() const {
    return [this](std::int64_t seq) { return hashes.at(static_cast<std::size_t>(seq - 1)); };
  }
  WalkedChain walked() const { return {static_cast<std::int64_t>(hashes.size()), broken}; }
};

// Records 1..n of history `h`; records after `rewritten_from` are of history 'e' instead.
Chain chain(std::int64_t n, char h = 'a', std::int64_t rewritten_from = 0) {
  Chain c;
  for (std::int64_t i = 1; i <= n; ++i) c.hashes.push_back(hash(rewritten_from && i >= rewritten_from ? 'e' : h, i));
  return c;
}

Checkpoint at(std::int64_t seq, char h = 'a') {
  Checkpoint c;
  c.seq = seq;
  c.head = hash(h, seq);
  c.first = hash(h, 1);
  return c;
}

TEST(History, GrownByAppendingHolds) {
  const auto c = chain(120);
  const auto v = compare_history({at(10), at(50), at(100)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::holds);
  EXPECT_EQ(v.proven_through, 100);
  EXPECT_EQ(v.matches, (std::vector<Match>{Match::holds, Match::holds, Match::holds}));
  EXPECT_NE(v.summary.find("grew only by appending (20 records since)"), std::string::npos) << v.summary;
}

TEST(History, TruncatedNamesTheFirstMissingRecord) {
  const auto c = chain(80);  // records 81..100 deleted, the stored head set to record 80
  const auto v = compare_history({at(50), at(100)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::truncated);
  EXPECT_EQ(v.differs_from, 81);
  EXPECT_EQ(v.differs_to, 81);
  EXPECT_EQ(v.proven_through, 50);
  EXPECT_EQ(v.matches, (std::vector<Match>{Match::holds, Match::beyond_end}));
  EXPECT_NE(v.summary.find("records 81 to 100 are missing"), std::string::npos) << v.summary;
  EXPECT_NE(v.summary.find("records 51 to 80 are covered by none"), std::string::npos) << v.summary;
}

TEST(History, RewrittenTailIsNarrowedBetweenCheckpoints) {
  const auto c = chain(100, 'a', 77);  // 77 onwards rewritten, hashes recomputed
  const auto v = compare_history({at(100), at(50), at(90)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::rewritten);
  EXPECT_EQ(v.differs_from, 51);
  EXPECT_EQ(v.differs_to, 90);
  EXPECT_EQ(v.proven_through, 50);
  EXPECT_EQ(v.matches, (std::vector<Match>{Match::differs, Match::holds, Match::differs}));
  EXPECT_NE(v.summary.find("one of records 51 to 90"), std::string::npos) << v.summary;
}

TEST(History, AdjacentCheckpointsNameTheRecordExactly) {
  const auto c = chain(100, 'a', 77);
  const auto v = compare_history({at(76), at(77)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::rewritten);
  EXPECT_EQ(v.differs_from, 77);
  EXPECT_EQ(v.differs_to, 77);
  EXPECT_NE(v.summary.find("The first record that differs is record 77."), std::string::npos) << v.summary;
}

TEST(History, ReplacedChainDiffersFromRecordOne) {
  const auto c = chain(150, 'f');  // a whole other history, longer than the signed one
  const auto v = compare_history({at(100)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::replaced);
  EXPECT_EQ(v.differs_from, 1);
  EXPECT_EQ(v.differs_to, 1);
  EXPECT_EQ(v.proven_through, 0);
  EXPECT_NE(v.summary.find("the chain was replaced"), std::string::npos) << v.summary;
}

TEST(History, ShorterOtherChainIsReplacedNotTruncated) {
  const auto c = chain(20, 'f');
  const auto v = compare_history({at(100)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::replaced);
  EXPECT_EQ(v.differs_from, 1);
}

TEST(History, EmptiedTrailIsTruncatedFromRecordOne) {
  const auto c = chain(0);
  const auto v = compare_history({at(30)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::truncated);
  EXPECT_EQ(v.differs_from, 1);
}

TEST(History, CheckpointsPastABrokenRecordAreNotJudged) {
  auto c = chain(40);
  c.broken = true;  // record 41 failed its hash
  const auto v = compare_history({at(20), at(90)}, c.walked(), c.at());
  EXPECT_EQ(v.finding, Finding::holds);
  EXPECT_EQ(v.matches, (std::vector<Match>{Match::holds, Match::not_judged}));
  EXPECT_EQ(v.proven_through, 20);
}

}  // namespace
}  // namespace sterifleet::checkpoint
