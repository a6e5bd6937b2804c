#include "pdf_table.hpp"

#include <numeric>

namespace sterifleet::report {

namespace {

constexpr double kMargin = 36;
constexpr double kFooterSpace = 24;
constexpr double kContentWidth = kPageWidth - 2 * kMargin;
constexpr double kBottom = kPageHeight - kMargin - kFooterSpace;
constexpr double kCellPad = 2.5;
constexpr double kTableFont = 7;
constexpr double kTableLine = 8.6;
constexpr const char* kFamily = "DejaVu Sans";

}  // namespace

PdfPages::PdfPages(cairo_t* cr, bool draw, std::string footer, int total_pages)
    : cr_(cr), draw_(draw), footer_(std::move(footer)), total_pages_(total_pages), y_(kMargin) {}

void PdfPages::use(Font font) {
  if (font.size == font_.size && font.bold == font_.bold) return;
  cairo_select_font_face(cr_, kFamily, CAIRO_FONT_SLANT_NORMAL,
                         font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr_, font.size);
  font_ = font;
}

double PdfPages::width_of(const std::string& text) {
  cairo_text_extents_t extents;
  cairo_text_extents(cr_, text.c_str(), &extents);
  return extents.x_advance;
}

// Greedy word wrap; a word wider than the line (a hash, a long id) is broken where it must be.
std::vector<std::string> PdfPages::wrap(const std::string& text, double width) {
  if (width_of(text) <= width && text.find('\n') == std::string::npos) return {text};
  std::vector<std::string> lines;
  std::string line;
  auto flush = [&] {
    lines.push_back(line);
    line.clear();
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find_first_of(" \n", start);
    std::string word = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::string candidate = line.empty() ? word : line + " " + word;
    if (width_of(candidate) <= width) {
      line = std::move(candidate);
    } else {
      if (!line.empty()) flush();
      while (width_of(word) > width && word.size() > 1) {
        std::size_t fit = word.size() - 1;
        while (fit > 1 && width_of(word.substr(0, fit)) > width) --fit;
        lines.push_back(word.substr(0, fit));
        word.erase(0, fit);
      }
      line = std::move(word);
    }
    if (end == std::string::npos) break;
    if (text[end] == '\n') flush();
    start = end + 1;
  }
  if (!line.empty() || lines.empty()) flush();
  return lines;
}

void PdfPages::text_at(double x, double baseline, const std::string& text) {
  if (!draw_ || text.empty()) return;
  cairo_move_to(cr_, x, baseline);
  cairo_show_text(cr_, text.c_str());
}

void PdfPages::footer() {
  use({7, false});
  const double baseline = kPageHeight - kMargin + 6;
  if (draw_) {
    cairo_set_source_rgb(cr_, 0.35, 0.35, 0.35);
    cairo_set_line_width(cr_, 0.4);
    cairo_move_to(cr_, kMargin, baseline - 10);
    cairo_line_to(cr_, kPageWidth - kMargin, baseline - 10);
    cairo_stroke(cr_);
  }
  text_at(kMargin, baseline, footer_);
  const std::string number = "page " + std::to_string(page_) + " of " + std::to_string(total_pages_);
  text_at(kPageWidth - kMargin - width_of(number), baseline, number);
  if (draw_) cairo_set_source_rgb(cr_, 0, 0, 0);
}

void PdfPages::next_page() {
  footer();
  if (draw_) cairo_show_page(cr_);
  ++page_;
  y_ = kMargin;
}

void PdfPages::ensure(double height) {
  if (y_ + height > kBottom && y_ > kMargin) next_page();
}

int PdfPages::finish() {
  footer();
  if (draw_) cairo_show_page(cr_);
  return page_;
}

void PdfPages::title(const std::string& text) {
  use({18, true});
  ensure(26);
  text_at(kMargin, y_ + 18, text);
  y_ += 30;
}

void PdfPages::heading(const std::string& text) {
  use({12, true});
  ensure(50);  // a heading is never the last line of a page
  y_ += 8;
  text_at(kMargin, y_ + 12, text);
  y_ += 20;
}

void PdfPages::subheading(const std::string& text) {
  use({9, true});
  ensure(40);
  y_ += 4;
  for (const auto& line : wrap(text, kContentWidth)) {
    text_at(kMargin, y_ + 9, line);
    y_ += 12;
  }
  y_ += 2;
}

void PdfPages::paragraph(const std::string& text) {
  use({8.5, false});
  for (const auto& line : wrap(text, kContentWidth)) {
    ensure(11);
    text_at(kMargin, y_ + 8.5, line);
    y_ += 11;
  }
  y_ += 3;
}

void PdfPages::table_header(const Table& table, const std::vector<double>& xs, const std::vector<double>& widths) {
  const double table_width = kContentWidth * table.width;
  use({kTableFont, true});
  std::vector<std::vector<std::string>> cells;
  std::size_t lines = 1;
  for (std::size_t c = 0; c < table.columns.size(); ++c) {
    cells.push_back(wrap(table.columns[c].title, widths[c] - 2 * kCellPad));
    lines = std::max(lines, cells.back().size());
  }
  const double height = static_cast<double>(lines) * kTableLine + 2 * kCellPad;
  if (draw_) {
    cairo_set_source_rgb(cr_, 0.86, 0.89, 0.93);
    cairo_rectangle(cr_, kMargin, y_, table_width, height);
    cairo_fill(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
  }
  for (std::size_t c = 0; c < cells.size(); ++c) {
    for (std::size_t l = 0; l < cells[c].size(); ++l) {
      text_at(xs[c] + kCellPad, y_ + kCellPad + kTableFont + static_cast<double>(l) * kTableLine, cells[c][l]);
    }
  }
  y_ += height;
}

void PdfPages::table(const Table& table) {
  const double total = std::accumulate(table.columns.begin(), table.columns.end(), 0.0,
                                       [](double sum, const Column& c) { return sum + c.weight; });
  const double table_width = kContentWidth * table.width;
  std::vector<double> xs, widths;
  double x = kMargin;
  for (const auto& column : table.columns) {
    xs.push_back(x);
    widths.push_back(table_width * column.weight / total);
    x += widths.back();
  }
  ensure(3 * kTableLine + 4 * kCellPad);
  table_header(table, xs, widths);
  bool shaded = false;
  for (const auto& row : table.rows) {
    use({kTableFont, false});
    std::vector<std::vector<std::string>> cells;
    std::size_t lines = 1;
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
      cells.push_back(wrap(c < row.size() ? row[c] : std::string(), widths[c] - 2 * kCellPad));
      lines = std::max(lines, cells.back().size());
    }
    const double height = static_cast<double>(lines) * kTableLine + kCellPad;
    if (y_ + height > kBottom) {
      next_page();
      table_header(table, xs, widths);
      use({kTableFont, false});
      shaded = false;
    }
    if (draw_ && shaded) {
      cairo_set_source_rgb(cr_, 0.95, 0.95, 0.95);
      cairo_rectangle(cr_, kMargin, y_, table_width, height);
      cairo_fill(cr_);
      cairo_set_source_rgb(cr_, 0, 0, 0);
    }
    shaded = !shaded;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      for (std::size_t l = 0; l < cells[c].size(); ++l) {
        const auto& line = cells[c][l];
        const bool right = table.columns[c].right && draw_;  // measuring only: where it goes does not matter
        const double left = right ? xs[c] + widths[c] - kCellPad - width_of(line) : xs[c] + kCellPad;
        text_at(left, y_ + kCellPad / 2 + kTableFont + static_cast<double>(l) * kTableLine, line);
      }
    }
    y_ += height;
  }
  y_ += 8;
}

}  // namespace sterifleet::report
