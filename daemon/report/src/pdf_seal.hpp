// The PDF report's seal: a last page appended to the finished PDF as an incremental update (PDF 1.7,
// section 7.5.6), the way PDF signatures leave the signed bytes untouched. The SHA-256 covers the
// first revision, every byte up to its %%EOF; the page stating it, and a /SterifleetSeal entry in the
// new trailer for machines, come after.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sterifleet/report/format.hpp"

namespace sterifleet::report {

struct SealPage {
  double width = 0;  ///< points, the same as the report's pages
  double height = 0;
  std::string title;
  std::vector<std::string> lines;  ///< ASCII: the page uses the standard Helvetica fonts
  std::string footer_left;
  std::string footer_right;
};

/// The bytes to append to `first_revision` (a complete PDF as cairo writes it, classic xref table).
/// Throws std::runtime_error when the PDF is not laid out as expected.
std::string seal_update(std::string_view first_revision, const SealPage& page, const Seal& seal);

/// The seal a sealed PDF states in its last trailer, read from the file's tail; none if there is none.
std::optional<Seal> read_pdf_seal(std::string_view tail);

}  // namespace sterifleet::report
