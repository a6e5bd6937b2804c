// The receipt log, on real files: every appended message comes back from replay() in order and byte
// for byte (also after the process that wrote it is gone), only those after the store's position;
// a record cut short or altered ends its segment with a warning that names the file and byte; reopen()
// numbers on; full segments are deleted once the store holds their receipts.
#include "sterifleet/ingest/receipt_log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sterifleet/testing/subprocess.hpp"

namespace sterifleet::ingest {
namespace {

namespace fs = std::filesystem;
using sterifleet::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::SizeIs;

std::vector<Receipt> replay_all(ReceiptLog& log, std::int64_t stored, std::vector<std::string>* warnings = nullptr) {
  std::vector<Receipt> out;
  const auto recovered = log.replay(stored, [&](Receipt&& r) { out.push_back(std::move(r)); });
  EXPECT_EQ(recovered.receipts, out.size());
  if (warnings) *warnings = recovered.warnings;
  return out;
}

std::vector<fs::path> segment_files(const fs::path& folder) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

const std::string kTopic = "sterifleet/v1/north/PEN-0001/telemetry";

class ReceiptLogTest : public ::testing::Test {
 protected:
  fs::path folder() const { return dir_.path() / "receipts"; }
  /// A run of the daemon that received `payloads` (on kTopic) and then was killed: nothing stored.
  void received(const std::vector<std::string>& payloads,
                std::uint64_t segment_bytes = ReceiptLog::default_segment_bytes) {
    ReceiptLog log(folder(), false, segment_bytes);
    replay_all(log, 0);
    log.reopen();
    for (const auto& payload : payloads) log.append(kTopic, payload, false);
  }
  TempDir dir_;
};

TEST_F(ReceiptLogTest, AppendedMessagesComeBackInOrderByteForByte) {
  const std::string binary("\x00\xff{\"not\": json}\n\x01", 18);
  {
    ReceiptLog log(folder());
    EXPECT_TRUE(replay_all(log, 0).empty());
    log.reopen();
    EXPECT_EQ(log.append("sterifleet/v1/north/PEN-0001/telemetry", R"({"v":1})", false), 1);
    EXPECT_EQ(log.append("sterifleet/v1/north/PEN-0001/status", binary, true), 2);
    EXPECT_EQ(log.append("", "", false), 3);
  }  // the writer is gone, as after a crash
  ReceiptLog log(folder());
  const auto receipts = replay_all(log, 0);
  ASSERT_THAT(receipts, SizeIs(3));
  EXPECT_EQ(receipts[0].number, 1);
  EXPECT_EQ(receipts[0].topic, "sterifleet/v1/north/PEN-0001/telemetry");
  EXPECT_EQ(receipts[0].payload, R"({"v":1})");
  EXPECT_FALSE(receipts[0].retained);
  EXPECT_EQ(receipts[1].payload, binary);
  EXPECT_TRUE(receipts[1].retained);
  EXPECT_EQ(receipts[2].number, 3);
  EXPECT_EQ(receipts[2].topic, "");
}

TEST_F(ReceiptLogTest, SyncedRecordsComeBackToo) {
  const std::string page_and_more(5000, 'p');  // the second record spans a page boundary
  {
    ReceiptLog log(folder(), true);
    replay_all(log, 0);
    log.reopen();
    log.append(kTopic, "first", false);
    log.append(kTopic, page_and_more, false);
  }
  ReceiptLog log(folder());
  const auto receipts = replay_all(log, 0);
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[1].payload, page_and_more);
}

TEST_F(ReceiptLogTest, ReplayHandsOutOnlyWhatTheStoreDoesNotHold) {
  received({"0", "1", "2", "3", "4"});
  ReceiptLog log(folder());
  const auto receipts = replay_all(log, 3);
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[0].number, 4);
  EXPECT_EQ(receipts[1].payload, "4");
}

TEST_F(ReceiptLogTest, ReopenRemovesWhatWasReplayedAndNumbersOn) {
  received({"a", "b"});
  ReceiptLog log(folder());
  EXPECT_THAT(replay_all(log, 0), SizeIs(2));
  log.reopen();
  EXPECT_EQ(segment_files(folder()).size(), 1u);
  EXPECT_EQ(log.append("t", "c", false), 3) << "numbers never repeat, or the store's position would skip one";
  ReceiptLog again(folder());
  const auto receipts = replay_all(again, 2);
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].payload, "c");
}

TEST_F(ReceiptLogTest, NumberingContinuesAfterTheStoresPositionWhenTheLogIsGone) {
  ReceiptLog log(folder());
  replay_all(log, 41);  // the store holds up to 41; the folder was emptied (or is new)
  log.reopen();
  EXPECT_EQ(log.append("t", "x", false), 42);
}

TEST_F(ReceiptLogTest, AppendBeforeReopenIsRefused) {
  ReceiptLog log(folder());
  EXPECT_THROW(log.append("t", "x", false), ReceiptLogError);
}

TEST_F(ReceiptLogTest, ARecordCutShortEndsTheSegmentWithAWarning) {
  received({"first", "second, cut short by a crash of the machine"});
  const auto file = segment_files(folder()).front();
  fs::resize_file(file, fs::file_size(file) - 5);
  ReceiptLog log(folder());
  std::vector<std::string> warnings;
  const auto receipts = replay_all(log, 0, &warnings);
  ASSERT_THAT(receipts, SizeIs(1));
  EXPECT_EQ(receipts[0].payload, "first");
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr(file.string()));
  EXPECT_THAT(warnings[0], HasSubstr("cut short"));
}

TEST_F(ReceiptLogTest, AnAlteredRecordFailsItsChecksum) {
  received({"first", "second"});
  // length and CRC; receipt number, retained flag and topic length; topic; payload
  const std::size_t first_record_bytes = 8 + 13 + kTopic.size() + std::string_view("first").size();
  const auto file = segment_files(folder()).front();
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(fs::file_size(file) - 1));
    f.put('X');  // "seconX"
  }
  ReceiptLog log(folder());
  std::vector<std::string> warnings;
  const auto receipts = replay_all(log, 0, &warnings);
  ASSERT_THAT(receipts, SizeIs(1));
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("checksum"));
  EXPECT_THAT(warnings[0], HasSubstr("at byte " + std::to_string(first_record_bytes)));
}

TEST_F(ReceiptLogTest, FullSegmentsAreDeletedOnceTheStoreHoldsThem) {
  // A record here is 68 bytes: two fit in a segment of 150, a third closes it.
  ReceiptLog log(folder(), false, 150);
  replay_all(log, 0);
  log.reopen();
  for (int i = 1; i <= 6; ++i) log.append(kTopic, "payload " + std::to_string(i), false);
  EXPECT_EQ(log.segments(), 3u);  // (1, 2) and (3, 4) full, (5, 6) open
  log.release(3);                 // the store holds 1..3: the first segment goes
  EXPECT_EQ(log.segments(), 2u);
  log.release(6);
  EXPECT_EQ(log.segments(), 1u);
  EXPECT_EQ(segment_files(folder()).size(), 1u);

  ReceiptLog after_crash(folder());
  EXPECT_TRUE(replay_all(after_crash, 6).empty());
}

TEST_F(ReceiptLogTest, ARecordLargerThanASegmentGetsOneOfItsOwn) {
  const std::string big(1000, 'x');
  {
    ReceiptLog log(folder(), false, 150);
    replay_all(log, 0);
    log.reopen();
    log.append(kTopic, "small", false);
    log.append(kTopic, big, false);
    log.append(kTopic, "small again", false);
    EXPECT_EQ(log.segments(), 3u);
  }
  ReceiptLog log(folder());
  const auto receipts = replay_all(log, 0);
  ASSERT_THAT(receipts, SizeIs(3));
  EXPECT_EQ(receipts[1].payload, big);
  EXPECT_EQ(receipts[2].payload, "small again");
}

TEST_F(ReceiptLogTest, AKilledWriterLeavesItsReservedTailWhichReplayTakesAsTheEnd) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ReceiptLog log(folder());
    replay_all(log, 0);
    log.reopen();
    log.append(kTopic, "one", false);
    log.append(kTopic, "two", false);
    ::_exit(0);  // no destructor runs: as for a daemon killed with SIGKILL
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  const auto file = segment_files(folder()).front();
  EXPECT_EQ(fs::file_size(file), ReceiptLog::default_segment_bytes) << "reserved whole, written at the front";
  ReceiptLog log(folder());
  std::vector<std::string> warnings;
  const auto receipts = replay_all(log, 0, &warnings);
  ASSERT_THAT(receipts, SizeIs(2));
  EXPECT_EQ(receipts[1].payload, "two");
  EXPECT_THAT(warnings, SizeIs(0));
}

TEST_F(ReceiptLogTest, BytesAfterTheEndOfTheLogAreReported) {
  received({"first"});
  const auto file = segment_files(folder()).front();
  const auto end = fs::file_size(file);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(end));
    const char stray[16] = {0, 0, 0, 0, 0, 0, 0, 0, 'x'};  // a zero length, then something
    f.write(stray, sizeof stray);
  }
  ReceiptLog log(folder());
  std::vector<std::string> warnings;
  const auto receipts = replay_all(log, 0, &warnings);
  ASSERT_THAT(receipts, SizeIs(1));
  ASSERT_THAT(warnings, SizeIs(1));
  EXPECT_THAT(warnings[0], HasSubstr("at byte " + std::to_string(end)));
}

TEST_F(ReceiptLogTest, ReplayReadsEverySegmentInOrder) {
  received({"1", "2", "3", "4", "5", "6", "7"}, 100);
  ReceiptLog log(folder());
  const auto receipts = replay_all(log, 2);
  ASSERT_THAT(receipts, SizeIs(5));
  for (std::size_t i = 0; i < receipts.size(); ++i) EXPECT_EQ(receipts[i].number, static_cast<std::int64_t>(i) + 3);
}

}  // namespace
}  // namespace sterifleet::ingest
