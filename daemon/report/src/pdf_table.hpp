// Text and tables on A4 landscape pages with cairo: headings, paragraphs, tables whose cells wrap and
// whose header repeats on every page, and a footer line with "page i of n". Lay the document out once
// without drawing to count its pages, then again drawing (the count is in every footer).
#pragma once

#include <cairo.h>

#include <string>
#include <vector>

namespace sterifleet::report {

inline constexpr double kPageWidth = 841.89;  // A4 landscape, in points
inline constexpr double kPageHeight = 595.276;

struct Column {
  std::string title;
  double weight = 1;   ///< share of the table's width
  bool right = false;  ///< numbers are right-aligned
};

struct Table {
  std::vector<Column> columns;
  std::vector<std::vector<std::string>> rows;
  double width = 1;  ///< share of the page's content width
};

class PdfPages {
 public:
  /// `draw` false: lay out only (nothing reaches the surface), to count pages.
  PdfPages(cairo_t* cr, bool draw, std::string footer, int total_pages);

  void title(const std::string& text);
  void heading(const std::string& text);
  void subheading(const std::string& text);
  void paragraph(const std::string& text);
  void table(const Table& table);
  /// Starts a new page unless `height` points are left on this one.
  void keep(double height) { ensure(height); }
  /// Ends the last page; returns how many pages there were.
  int finish();

 private:
  struct Font {
    double size;
    bool bold;
  };
  void use(Font font);
  double width_of(const std::string& text);
  std::vector<std::string> wrap(const std::string& text, double width);
  void text_at(double x, double baseline, const std::string& text);
  void ensure(double height);
  void next_page();
  void footer();
  void table_header(const Table& table, const std::vector<double>& xs, const std::vector<double>& widths);

  cairo_t* cr_;
  bool draw_;
  std::string footer_;
  int total_pages_;
  int page_ = 1;
  double y_;
  Font font_{0, false};
};

}  // namespace sterifleet::report
