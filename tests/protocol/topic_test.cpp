// The topic scheme sterifleet/v1/<clinic>/<device>/<channel> is parsed strictly: ACLs and the identity
// check rely on it (section 2 of the spec).
#include "sterifleet/protocol/topic.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sterifleet::protocol {
namespace {

TEST(ParseTopic, ReadsEveryChannel) {
  for (const auto channel : {Channel::birth, Channel::event, Channel::telemetry, Channel::status, Channel::cmd}) {
    const auto text = "sterifleet/v1/north/PEN-0001/" + std::string(to_string(channel));
    const auto topic = parse_topic(text);
    ASSERT_TRUE(topic) << text;
    EXPECT_EQ(*topic, (Topic{ClinicId{"north"}, DeviceId{"PEN-0001"}, channel}));
  }
}

TEST(ParseTopic, FormatIsTheInverse) {
  const Topic topic{ClinicId{"clinic_2.b"}, DeviceId{"STER-01"}, Channel::status};
  EXPECT_EQ(format_topic(topic), "sterifleet/v1/clinic_2.b/STER-01/status");
  EXPECT_EQ(parse_topic(format_topic(topic)), topic);
}

TEST(ParseTopic, AcceptsIdsOfOneAndSixtyFourCharacters) {
  const std::string longest(64, 'd');
  EXPECT_TRUE(parse_topic("sterifleet/v1/c/" + longest + "/event"));
  EXPECT_FALSE(parse_topic("sterifleet/v1/c/" + longest + "d/event"));
}

// Each rejection says which level is wrong, so the quarantine row explains itself.
struct BadTopic {
  std::string text;
  std::string says;
};

class ParseTopicRejects : public ::testing::TestWithParam<BadTopic> {};

TEST_P(ParseTopicRejects, NamingTheProblem) {
  TopicError error;
  EXPECT_FALSE(parse_topic(GetParam().text, &error)) << GetParam().text;
  EXPECT_NE(error.reason.find(GetParam().says), std::string::npos) << error.reason;
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, ParseTopicRejects,
    ::testing::Values(
        BadTopic{"", "sterifleet/v1/"}, BadTopic{"sterifleet/v2/north/PEN-0001/event", "sterifleet/v1/"},
        BadTopic{"Sterifleet/v1/north/PEN-0001/event", "sterifleet/v1/"},
        BadTopic{"/sterifleet/v1/north/PEN-0001/event", "sterifleet/v1/"},
        BadTopic{"sterifleet/v1/north/PEN-0001", "5 levels"}, BadTopic{"sterifleet/v1/north", "5 levels"},
        BadTopic{"sterifleet/v1/", "5 levels"}, BadTopic{"sterifleet/v1/north/PEN-0001/event/", "5 levels"},
        BadTopic{"sterifleet/v1/north/PEN-0001/event/x", "5 levels"},
        BadTopic{"sterifleet/v1//PEN-0001/event", "clinic"}, BadTopic{"sterifleet/v1/no rth/PEN-0001/event", "clinic"},
        BadTopic{"sterifleet/v1/+/PEN-0001/event", "clinic"}, BadTopic{"sterifleet/v1/north//event", "device"},
        BadTopic{"sterifleet/v1/north/#/event", "device"}, BadTopic{"sterifleet/v1/north/PEN-0001/", "channel"},
        BadTopic{"sterifleet/v1/north/PEN-0001/Event", "channel"},
        BadTopic{"sterifleet/v1/north/PEN-0001/events", "channel"},
        BadTopic{"sterifleet/v1/north/PEN-0001/+", "channel"}));

TEST(ParseTopic, ErrorIsOptional) { EXPECT_FALSE(parse_topic("nonsense")); }

TEST(ChannelFilter, MatchesEveryDeviceOfEveryClinic) {
  EXPECT_EQ(channel_filter(Channel::event), "sterifleet/v1/+/+/event");
  EXPECT_EQ(channel_filter(Channel::status), "sterifleet/v1/+/+/status");
}

TEST(ChannelFilter, MatchesEveryDeviceOfOneClinic) {
  EXPECT_EQ(channel_filter(Channel::telemetry, ClinicId{"north"}), "sterifleet/v1/north/+/telemetry");
  EXPECT_EQ(channel_filter(Channel::cmd, ClinicId{"south-2"}), "sterifleet/v1/south-2/+/cmd");
}

TEST(Channel, NamesAreTheTopicLevels) {
  EXPECT_EQ(to_string(Channel::birth), "birth");
  EXPECT_EQ(to_string(Channel::event), "event");
  EXPECT_EQ(to_string(Channel::telemetry), "telemetry");
  EXPECT_EQ(to_string(Channel::status), "status");
  EXPECT_EQ(to_string(Channel::cmd), "cmd");
}

}  // namespace
}  // namespace sterifleet::protocol
