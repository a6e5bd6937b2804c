// The PDF report as a reader gets it: poppler's pdftotext finds the title, the clinic, the period, every
// table's headings and rows, the recall and the seal page; pdftoppm renders every page; pdfinfo counts
// the pages the footers number; the sealed body is the whole file, one revision as cairo wrote it.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "clinic_day.hpp"
#include "sterifleet/checkpoint/checkpoint.hpp"

namespace sterifleet::report::testing {
namespace {

using sterifleet::testing::read_file;
using sterifleet::testing::run_to_completion;

class PdfReport : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    day_ = new ClinicDay();
    result_ = new ClinicDay::Result(day_->make(Format::pdf));
    pdf_ = day_->dir() / "report.pdf";
    std::ofstream(pdf_, std::ios::binary) << result_->text;
  }
  static void TearDownTestSuite() {
    delete result_;
    delete day_;
  }

  static std::string text_of(const std::filesystem::path& pdf, const std::string& pages = "") {
    const auto out = pdf.string() + ".txt";
    std::vector<std::string> argv{"pdftotext", "-layout"};
    if (!pages.empty()) {
      argv.insert(argv.end(), {"-f", pages, "-l", pages});
    }
    argv.insert(argv.end(), {pdf.string(), out});
    const auto done = run_to_completion(argv);
    EXPECT_EQ(done.status, 0) << done.output;
    return read_file(out);
  }

  static int pages_of(const std::filesystem::path& pdf) {
    const auto done = run_to_completion({"pdfinfo", pdf.string()});
    EXPECT_EQ(done.status, 0) << done.output;
    std::smatch match;
    if (!std::regex_search(done.output, match, std::regex(R"(Pages:\s+(\d+))"))) return -1;
    return std::stoi(match[1]);
  }

  static ClinicDay* day_;
  static ClinicDay::Result* result_;
  static std::filesystem::path pdf_;
};

ClinicDay* PdfReport::day_ = nullptr;
ClinicDay::Result* PdfReport::result_ = nullptr;
std::filesystem::path PdfReport::pdf_;

TEST_F(PdfReport, HasTheTitleClinicPeriodAndSummary) {
  const auto first = text_of(pdf_, "1");
  EXPECT_NE(first.find("Compliance report: north"), std::string::npos) << first;
  EXPECT_NE(first.find("Clinic: north"), std::string::npos);
  EXPECT_NE(first.find("Period: from 2026-11-02 00:00:00 (inclusive) to 2026-11-04 00:00:00 (exclusive), UTC"),
            std::string::npos);
  EXPECT_NE(first.find("Made 2026-11-03 12:00:00 UTC by token:ann"), std::string::npos);
  EXPECT_TRUE(std::regex_search(first, std::regex(R"(Share of sessions compliant\s+60\.0000 %)"))) << first;
  EXPECT_TRUE(std::regex_search(first, std::regex(R"(Sessions to review for the recalls\s+4)")));
  EXPECT_TRUE(std::regex_search(first, std::regex(R"(cycle\.indicator_failed\s+1\s+0\s+1\s+0\s+0\s+0)"))) << first;
}

TEST_F(PdfReport, HasEveryTableWithItsHeadingsAndRows) {
  const auto all = text_of(pdf_);
  for (const auto* heading : {"Sessions (5)", "Sterilizer cycles (4)", "Violations (", "Recalls (1)", "Started (UTC)",
                              "Cleared by", "Why not valid", "Clearance, reason or comment"}) {
    EXPECT_NE(all.find(heading), std::string::npos) << heading;
  }
  EXPECT_TRUE(std::regex_search(all, std::regex(R"(2026-11-02 08:00:00\s+2026-11-02 08:20:00\s+PEN-1\s+S1\s+C1)")))
      << all;
  EXPECT_TRUE(std::regex_search(all, std::regex(R"(PEN-1\s+S2\s+C1 \(LOT-7, 2027-06-30\)\s+op-anna\s+pt-S2)")));
  EXPECT_TRUE(
      std::regex_search(all, std::regex(R"(STER-1/CYC-1\s+steam_prevac\s+134\.0\s+300\s+PEN-1, PEN-2\s+pass)")));
  EXPECT_NE(all.find("NONE"), std::string::npos) << "a session without valid reprocessing says so";
  // S4's patient reference is a date of birth, the only one off the policy's pattern.
  const auto flagged = all.find("IDENTIFY");
  EXPECT_NE(flagged, std::string::npos) << "a patient reference off the pattern is flagged\n" << all;
  EXPECT_EQ(all.find("IDENTIFY", flagged + 1), std::string::npos);
  EXPECT_NE(all.find("resolved by a"), std::string::npos);
  EXPECT_NE(all.find("Biological indicator of cycle STER-1/CYC-1 read positive at 2026-11-02 12:00:00 UTC"),
            std::string::npos);
  EXPECT_TRUE(
      std::regex_search(all, std::regex(R"(PEN-2\s+S5\s+2026-11-03 08:00:00\s+op-anna\s+pt-S5\s+STER-1/CYC-1)")));
}

TEST_F(PdfReport, EveryPageIsNumberedAndTheLastStatesTheSeal) {
  const int pages = pages_of(pdf_);
  ASSERT_GE(pages, 2);
  for (int page = 1; page <= pages; ++page) {
    const auto text = text_of(pdf_, std::to_string(page));
    EXPECT_NE(text.find("page " + std::to_string(page) + " of " + std::to_string(pages)), std::string::npos)
        << "page " << page << ":\n"
        << text;
  }
  const auto last = text_of(pdf_, std::to_string(pages));
  const auto& seal = result_->made.seal;
  EXPECT_NE(last.find("Seal of this report"), std::string::npos) << last;
  EXPECT_NE(last.find("record " + std::to_string(seal.head.seq)), std::string::npos) << last;
  EXPECT_NE(last.find(seal.head.hash), std::string::npos) << last;
  EXPECT_NE(last.find("sterifleet report verify --db <store> <this file>"), std::string::npos) << last;
}

TEST_F(PdfReport, ASignedReportPrintsItsCheckpointOnTheSealPage) {
  ClinicDay day;
  day.signing_key = crypto::SigningKey::generate();
  const auto made = day.make(Format::pdf);
  const auto pdf = day.dir() / "signed.pdf";
  std::ofstream(pdf, std::ios::binary) << made.text;
  auto last = text_of(pdf, std::to_string(pages_of(pdf)));
  // Printed wrapped: compare without the line breaks and indentation.
  std::erase_if(last, [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
  ASSERT_TRUE(made.made.seal.checkpoint);
  EXPECT_NE(last.find(checkpoint::to_line(*made.made.seal.checkpoint)), std::string::npos) << last;
}

TEST_F(PdfReport, TheSealCoversTheWholeFileAsCairoWroteIt) {
  const auto& text = result_->text;
  const auto& seal = result_->made.seal;
  EXPECT_EQ(seal.body_bytes, text.size());
  EXPECT_EQ(sha256_of(text), seal.sha256);
  EXPECT_TRUE(text.ends_with("%%EOF\n"));
  EXPECT_EQ(text.find("%%EOF"), text.size() - 6) << "one revision: nothing was appended to cairo's PDF";
}

TEST_F(PdfReport, EveryPageRendersToAnImage) {
  const auto prefix = (day_->dir() / "page").string();
  const auto done = run_to_completion({"pdftoppm", "-png", "-r", "40", pdf_.string(), prefix});
  ASSERT_EQ(done.status, 0) << done.output;
  EXPECT_EQ(done.output, "") << "poppler complained";
  int images = 0;
  for (const auto& entry : std::filesystem::directory_iterator(day_->dir())) {
    const auto name = entry.path().filename().string();
    if (!name.starts_with("page") || entry.path().extension() != ".png") continue;
    ++images;
    EXPECT_TRUE(read_file(entry.path()).starts_with("\x89PNG")) << name;
    EXPECT_GT(std::filesystem::file_size(entry.path()), 1000u) << name;
  }
  EXPECT_EQ(images, pages_of(pdf_));
}

}  // namespace
}  // namespace sterifleet::report::testing
