// Every daemon must put a clinic in the same shard, whatever its build: the hash is pinned to published
// FNV-1a values and to the shards of known clinics; pins win; a shard subscribes to its clinics only.
#include "sterifleet/cluster/shard_map.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <stdexcept>

namespace sterifleet::cluster {
namespace {

using protocol::ClinicId;

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(Fnv1a64, GivesThePublishedValues) {
  EXPECT_EQ(fnv1a_64(""), 0xcbf29ce484222325u);
  EXPECT_EQ(fnv1a_64("a"), 0xaf63dc4c8601ec8cu);
  EXPECT_EQ(fnv1a_64("foobar"), 0x85944171f73967e8u);
}

// Changing these moves clinics between shards on upgrade: a daemon of the new build and one of the old
// would both believe they own a clinic. Never change them.
TEST(ShardMap, ShardOf_IsTheHashModuloTheShards_StableAcrossBuilds) {
  const ShardMap map;
  EXPECT_EQ(map.shards(), 32);
  EXPECT_EQ(map.shard_of(ClinicId{"north"}), 4);
  EXPECT_EQ(map.shard_of(ClinicId{"south"}), 26);
  EXPECT_EQ(map.shard_of(ClinicId{"clinic-0001"}), 11);
  EXPECT_EQ(map.shard_of(ClinicId{"clinic-0002"}), 30);
  EXPECT_EQ(map.shard_of(ClinicId{"berlin.mitte"}), 26);
  const ShardMap seven(7);
  EXPECT_EQ(seven.shard_of(ClinicId{"north"}), 3);
  EXPECT_EQ(seven.shard_of(ClinicId{"clinic-0001"}), 6);
}

TEST(ShardMap, OneShard_HoldsEveryClinic) {
  const ShardMap one(1);
  for (const auto* clinic : {"north", "south", "a", "Z_9"}) EXPECT_EQ(one.shard_of(ClinicId{clinic}), 0) << clinic;
}

TEST(ShardMap, Pin_WinsOverTheHash_OthersStayHashed) {
  const ShardMap map(32, {{ClinicId{"north"}, 17}});
  EXPECT_EQ(map.shard_of(ClinicId{"north"}), 17);
  EXPECT_EQ(map.shard_of(ClinicId{"south"}), 26);
}

TEST(ShardMap, ClinicsOf_AreTheKnownAndPinnedClinicsOfTheShard_SortedOnce) {
  const ShardMap map(32, {{ClinicId{"pinned-here"}, 26}, {ClinicId{"north"}, 26}});
  const std::vector<ClinicId> known{ClinicId{"south"}, ClinicId{"clinic-0001"}, ClinicId{"berlin.mitte"},
                                    ClinicId{"south"}, ClinicId{"north"}};
  EXPECT_EQ(map.clinics_of(26, known), (std::vector<ClinicId>{ClinicId{"berlin.mitte"}, ClinicId{"north"},
                                                              ClinicId{"pinned-here"}, ClinicId{"south"}}));
  EXPECT_EQ(map.clinics_of(11, known), std::vector<ClinicId>{ClinicId{"clinic-0001"}});
  EXPECT_TRUE(map.clinics_of(4, known).empty()) << "north is pinned away from its hashed shard";
}

// Property: the shards' clinics split the known clinics, each in exactly one shard.
TEST(ShardMap, Shards_PartitionTheKnownClinics) {
  const ShardMap map(5, {{ClinicId{"c7"}, 0}});
  std::vector<ClinicId> known;
  for (int i = 0; i < 200; ++i) known.emplace_back(std::string("c").append(std::to_string(i)));
  std::multiset<ClinicId> seen;
  for (Shard shard = 0; shard < map.shards(); ++shard) {
    for (auto& clinic : map.clinics_of(shard, known)) seen.insert(std::move(clinic));
  }
  EXPECT_EQ(seen, std::multiset<ClinicId>(known.begin(), known.end()));
}

TEST(ShardMap, TopicFilters_AreEachDeviceChannelOfEachClinicOfTheShard) {
  const ShardMap map(32, {{ClinicId{"north"}, 26}});
  EXPECT_EQ(map.topic_filters(26, std::vector<ClinicId>{ClinicId{"south"}}),
            (std::vector<std::string>{"sterifleet/v1/north/+/birth", "sterifleet/v1/north/+/event",
                                      "sterifleet/v1/north/+/telemetry", "sterifleet/v1/north/+/status",
                                      "sterifleet/v1/south/+/birth", "sterifleet/v1/south/+/event",
                                      "sterifleet/v1/south/+/telemetry", "sterifleet/v1/south/+/status"}));
  EXPECT_TRUE(map.topic_filters(0, std::vector<ClinicId>{ClinicId{"south"}}).empty())
      << "a shard without clinics subscribes to nothing, not to everything";
}

TEST(ShardMap, ClientId_NamesTheShard) {
  const ShardMap map;
  EXPECT_EQ(map.client_id(0), "sterifleetd-shard-0");
  EXPECT_EQ(map.client_id(31), "sterifleetd-shard-31");
}

TEST(ShardMap, BadShardCountOrPin_IsRefusedNamingIt) {
  EXPECT_EQ(error_of([] { ShardMap(0); }), "the number of shards must be 1 to 1024 (got 0)");
  EXPECT_EQ(error_of([] { ShardMap(1025); }), "the number of shards must be 1 to 1024 (got 1025)");
  EXPECT_EQ(error_of([] { ShardMap(1024); }), "no error");
  EXPECT_EQ(error_of([] {
              ShardMap(32, {{ClinicId{"north"}, 32}});
            }),
            "clinic \"north\" is pinned to shard 32, outside 0..31 of 32 shards");
  EXPECT_EQ(error_of([] {
              ShardMap(32, {{ClinicId{"north"}, -1}});
            }),
            "clinic \"north\" is pinned to shard -1, outside 0..31 of 32 shards");
  EXPECT_EQ(error_of([] {
              ShardMap(32, {{ClinicId{"north/#"}, 1}});
            }),
            "clinic \"north/#\" is not an id ([A-Za-z0-9_.-]{1,64}), so it cannot be a level of its topics");
}

// A clinic id that is not one topic level would subscribe a shard to other clinics' messages ("+", "#")
// or to nothing ("a/b").
TEST(ShardMap, ClinicThatIsNotATopicLevel_IsRefused) {
  const ShardMap map;
  for (const auto* bad : {"", "+", "#", "north/south", "north clinic", "ü"}) {
    EXPECT_NE(error_of([&] { map.shard_of(ClinicId{bad}); }).find("is not an id"), std::string::npos) << bad;
    EXPECT_NE(error_of([&] { map.topic_filters(0, std::vector<ClinicId>{ClinicId{bad}}); }).find("is not an id"),
              std::string::npos)
        << bad;
  }
  EXPECT_NE(error_of([&] { map.shard_of(ClinicId{std::string(65, 'a')}); }), "no error");
}

TEST(ShardMap, ShardOutOfRange_IsRefused) {
  const ShardMap map(4);
  EXPECT_EQ(error_of([&] { map.client_id(4); }), "shard 4 is outside 0..3");
  EXPECT_EQ(error_of([&] { map.clinics_of(-1, {}); }), "shard -1 is outside 0..3");
}

}  // namespace
}  // namespace sterifleet::cluster
