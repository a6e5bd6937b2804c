// Grouped ingest (what the MQTT ingest does with the receipt log): messages judged in a group and
// stored in one transaction must leave exactly what the same messages one at a time leave: the same
// results, engine state, journal and audit chain; and a sequence number reused with another payload
// inside one group is still caught.
#include <gtest/gtest.h>

#include "clinic_traffic.hpp"
#include "daemon_run.hpp"
#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::fleet::testing {
namespace {

using engine::testing::kStart;

struct Message {
  std::string topic;
  std::string payload;
  Timestamp ts;  ///< the device's, or the one before for what has none
  Fleet::Disposition expected = Fleet::Disposition::stored;
};

// A clinic's three days in device-time order, with hostile inputs mixed in: bad JSON, a redelivery,
// and a sequence number reused with a different payload right after its first use.
std::vector<Message> traffic() {
  std::vector<protocol::DeviceMessage> all;
  for (const auto& [id, stream] : engine::testing::ClinicTraffic{}.build())
    all.insert(all.end(), stream.begin(), stream.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.envelope.ts < b.envelope.ts; });
  std::vector<Message> out;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto ts = all[i].envelope.ts;
    out.push_back({protocol::topic_of(all[i]), protocol::encode(all[i]), ts});
    if (i % 50 == 7)
      out.push_back({"sterifleet/v1/north/PEN-1/event", "{not json", ts, Fleet::Disposition::quarantined});
    if (i % 50 == 19) {  // a redelivery
      out.push_back(out.back());
      out.back().expected = Fleet::Disposition::duplicate;
    }
    if (i % 50 == 31) {
      auto reused = all[i];
      reused.envelope.ts += std::chrono::milliseconds(1);
      out.push_back({protocol::topic_of(reused), protocol::encode(reused), ts, Fleet::Disposition::quarantined});
    }
  }
  return out;
}

std::vector<store::JournalEntry> journal(store::Store& store) {
  std::vector<store::JournalEntry> entries;
  store.read_journal(0, [&](const store::JournalEntry& e) { entries.push_back(e); });
  return entries;
}

TEST(FleetGroup, AGroupLeavesWhatTheSameMessagesOneAtATimeLeave) {
  sterifleet::testing::TempDir dir("sterifleet-group");
  DaemonRun single(dir.path() / "single.db");
  DaemonRun grouped(dir.path() / "grouped.db");
  single.restore(kStart);
  grouped.restore(kStart);

  const auto messages = traffic();
  constexpr std::size_t kGroup = 13;
  std::int64_t receipt = 0;
  for (std::size_t first = 0; first < messages.size(); first += kGroup) {
    const auto end = std::min(messages.size(), first + kGroup);
    // One clock for the group, just after its last message: a group is judged at one instant.
    const Timestamp now = messages[end - 1].ts + std::chrono::seconds(2);
    std::vector<Fleet::Received> group;
    std::vector<Fleet::Ingested> one_by_one;
    for (std::size_t i = first; i < end; ++i) {
      one_by_one.push_back(single.raw(messages[i].topic, messages[i].payload, now));
      group.push_back({messages[i].topic, messages[i].payload, false, std::chrono::steady_clock::now()});
    }
    receipt += static_cast<std::int64_t>(group.size());
    const auto results = grouped.group(group, now, receipt);
    ASSERT_EQ(results.size(), one_by_one.size());
    for (std::size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].disposition, one_by_one[i].disposition) << "message " << first + i;
      EXPECT_EQ(results[i].reason, one_by_one[i].reason) << "message " << first + i;
      EXPECT_EQ(results[i].disposition, messages[first + i].expected) << "message " << first + i;
    }
  }

  EXPECT_EQ(grouped.state(), single.state());
  EXPECT_EQ(grouped.store().last_receipt(), receipt);
  const auto a = journal(single.store());
  const auto b = journal(grouped.store());
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].commit, b[i].commit) << i;
    EXPECT_EQ(a[i].input.index(), b[i].input.index()) << i;
  }
  EXPECT_EQ(grouped.store().audit_head().hash, single.store().audit_head().hash);
  EXPECT_TRUE(grouped.store().verify_audit().intact);
}

TEST(FleetGroup, ASequenceNumberReusedWithinOneGroupIsQuarantined) {
  sterifleet::testing::TempDir dir("sterifleet-group");
  DaemonRun run(dir.path() / "run.db");
  run.restore(kStart);
  const auto all = engine::testing::ClinicTraffic{}.build();
  const auto& first = all.begin()->second.front();
  auto reused = first;
  reused.envelope.ts += std::chrono::seconds(1);
  const std::string topic = protocol::topic_of(first);
  const std::string original = protocol::encode(first);
  const std::string conflicting = protocol::encode(reused);
  const auto now = first.envelope.ts + std::chrono::seconds(2);
  const std::vector<Fleet::Received> group{
      {topic, original, false, {}}, {topic, original, false, {}}, {topic, conflicting, false, {}}};
  const auto results = run.group(group, now, 3);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].disposition, Fleet::Disposition::stored);
  EXPECT_EQ(results[1].disposition, Fleet::Disposition::duplicate);
  EXPECT_EQ(results[2].disposition, Fleet::Disposition::quarantined);
  EXPECT_EQ(results[2].reason, "seq_conflict");
}

}  // namespace
}  // namespace sterifleet::fleet::testing
