// The examples of protocol/README.md are part of the contract: each fenced block whose info string is
// `json <topic>` must decode on that topic, survive encode and decode unchanged, and together the
// examples must show every message type and command.
#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "sterifleet/protocol/codec.hpp"
#include "sterifleet/protocol/command.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "test_files.hpp"

namespace sterifleet::protocol {
namespace {

using testing::read_file;
using testing::spec_readme_path;
using testing::test_context;

struct SpecExample {
  int line = 0;  // of the opening fence, for the test name and the failure message
  std::string topic;
  std::string payload;
};

void PrintTo(const SpecExample& e, std::ostream* out) { *out << "README.md:" << e.line << " " << e.topic; }

bool is_command_topic(std::string_view topic) { return topic.ends_with("/cmd"); }

// Fences with another info string (plain `json`, a bare ``` block) are illustrations, not examples.
std::vector<SpecExample> extract_examples(const std::string& markdown) {
  constexpr std::string_view opening = "```json ";
  std::vector<SpecExample> examples;
  std::istringstream in(markdown);
  std::string text;
  SpecExample* open = nullptr;
  for (int number = 1; std::getline(in, text); ++number) {
    if (open) {
      if (text.starts_with("```")) {
        open = nullptr;
      } else {
        if (!open->payload.empty()) open->payload += '\n';
        open->payload += text;
      }
    } else if (text.starts_with(opening)) {
      examples.push_back({number, text.substr(opening.size()), {}});
      open = &examples.back();
    }
  }
  return examples;
}

std::vector<SpecExample> spec_examples() {
  try {
    return extract_examples(read_file(spec_readme_path));
  } catch (const std::exception&) {
    return {};  // reported by SpecExamples.ReadmeHasExamples; test discovery must not fail
  }
}

// The name of what an example shows: a body type, "status", or "cmd:<name>".
std::string kind_of(const SpecExample& example) {
  if (is_command_topic(example.topic)) {
    const auto command = decode_command(example.payload);
    return command ? "cmd:" + std::string(command_name(command->body)) : "";
  }
  const auto message = decode(example.topic, example.payload, test_context());
  if (!message) return "";
  if (const auto* device = std::get_if<DeviceMessage>(&*message)) return std::string(type_name(device->body));
  return "status";
}

class SpecExampleTest : public ::testing::TestWithParam<SpecExample> {};

TEST_P(SpecExampleTest, DecodesAndSurvivesReencoding) {
  const auto& example = GetParam();
  if (is_command_topic(example.topic)) {
    ASSERT_TRUE(parse_topic(example.topic)) << example.topic;
    const auto command = decode_command(example.payload);
    ASSERT_TRUE(command) << to_string(command.error().reason) << ": " << command.error().message();
    const auto again = decode_command(encode_command(*command));
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(*again, *command);
    return;
  }
  const auto decoded = decode(example.topic, example.payload, test_context());
  ASSERT_TRUE(decoded) << to_string(decoded.error().reason) << ": " << decoded.error().message();
  if (const auto* message = std::get_if<DeviceMessage>(&*decoded)) {
    EXPECT_EQ(topic_of(*message), example.topic);
    const auto again = decode(topic_of(*message), encode(*message), test_context());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(std::get<DeviceMessage>(*again), *message);
  } else {
    const auto& status = std::get<StatusMessage>(*decoded);
    EXPECT_EQ(topic_of(status), example.topic);
    const auto again = decode(topic_of(status), encode(status), test_context());
    ASSERT_TRUE(again) << again.error().message();
    EXPECT_EQ(std::get<StatusMessage>(*again), status);
  }
}

INSTANTIATE_TEST_SUITE_P(Readme, SpecExampleTest, ::testing::ValuesIn(spec_examples()),
                         [](const ::testing::TestParamInfo<SpecExample>& example) {
                           return "line_" + std::to_string(example.param.line);
                         });

TEST(SpecExamples, ReadmeHasExamples) {
  const auto examples = extract_examples(read_file(spec_readme_path));
  EXPECT_GE(examples.size(), 15u);
  for (const auto& example : examples) EXPECT_FALSE(example.payload.empty()) << "README.md:" << example.line;
}

TEST(SpecExamples, ShowEveryMessageTypeAndCommand) {
  std::set<std::string> shown;
  for (const auto& example : spec_examples()) shown.insert(kind_of(example));
  const std::vector<std::string> expected{
      "birth",  "session.start", "session.end",    "cartridge.insert", "cartridge.remove",
      "fault",  "telemetry",     "cycle.complete", "bi.result",        "test.bowie_dick",
      "status", "cmd:lock",      "cmd:unlock",     "cmd:replay",       "cmd:rebirth"};
  for (const auto& kind : expected) EXPECT_TRUE(shown.contains(kind)) << "the README has no example of " << kind;
}

TEST(SpecExamples, ExtractionTakesOnlyFencesWithATopic) {
  const auto examples = extract_examples(
      "text\n```\nsterifleet/v1/<clinic>\n```\n```json\n{}\n```\n```json sterifleet/v1/a/b/status\n{\"v\":1,\n"
      "\"online\":true}\n```\n");
  ASSERT_EQ(examples.size(), 1u);
  EXPECT_EQ(examples[0].line, 8);
  EXPECT_EQ(examples[0].topic, "sterifleet/v1/a/b/status");
  EXPECT_EQ(examples[0].payload, "{\"v\":1,\n\"online\":true}");
}

}  // namespace
}  // namespace sterifleet::protocol
