#include "pdf_seal.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace sterifleet::report {

namespace {

[[noreturn]] void unexpected(const std::string& what) {
  throw std::runtime_error("the PDF cairo wrote is not laid out as expected: " + what);
}

std::optional<long long> number_after(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = text.substr(at + key.size());
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n' || rest.front() == '\r')) rest.remove_prefix(1);
  long long value = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (error != std::errc{} || end == rest.data()) return std::nullopt;
  return value;
}

long long required(std::string_view text, std::string_view key, const char* where) {
  const auto value = number_after(text, key);
  if (!value) unexpected(std::string("no ") + std::string(key) + " in " + where);
  return *value;
}

// The text of indirect object `id`, from "<id> 0 obj" to "endobj".
std::string_view object(std::string_view pdf, long long id) {
  const std::string start = '\n' + std::to_string(id) + " 0 obj";
  const auto at = pdf.find(start);
  if (at == std::string_view::npos) unexpected("object " + std::to_string(id) + " is missing");
  const auto end = pdf.find("endobj", at);
  if (end == std::string_view::npos) unexpected("object " + std::to_string(id) + " does not end");
  return pdf.substr(at + start.size(), end - at - start.size());
}

// PDF literal string: parentheses and backslashes escaped, anything outside printable ASCII dropped.
std::string literal(std::string_view text) {
  std::string out = "(";
  for (const char c : text) {
    if (c == '(' || c == ')' || c == '\\') out.push_back('\\');
    if (c >= ' ' && c <= '~') out.push_back(c);
  }
  out.push_back(')');
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f", value);
  return buffer;
}

// Helvetica's advance widths (per 1000 em) for the characters the footer's right part uses.
double helvetica_width(std::string_view text, double size) {
  double units = 0;
  for (const char c : text) units += (c >= '0' && c <= '9') ? 556 : (c == ' ' ? 278 : 500);
  return units * size / 1000;
}

std::string content(const SealPage& page) {
  constexpr double margin = 36;
  std::string out = "BT /F2 16 Tf " + number(margin) + " " + number(page.height - margin - 16) + " Td " +
                    literal(page.title) + " Tj ET\n";
  double y = page.height - margin - 46;
  for (const auto& line : page.lines) {
    if (!line.empty()) {
      out += "BT /F1 9.5 Tf " + number(margin) + " " + number(y) + " Td " + literal(line) + " Tj ET\n";
    }
    y -= 15;
  }
  const double baseline = margin - 6;
  out += "0.35 0.35 0.35 RG 0.4 w " + number(margin) + " " + number(baseline + 10) + " m " +
         number(page.width - margin) + " " + number(baseline + 10) + " l S\n";
  out += "0.35 0.35 0.35 rg BT /F1 7 Tf " + number(margin) + " " + number(baseline) + " Td " +
         literal(page.footer_left) + " Tj ET\n";
  const double right = page.width - margin - helvetica_width(page.footer_right, 7);
  out += "BT /F1 7 Tf " + number(right) + " " + number(baseline) + " Td " + literal(page.footer_right) + " Tj ET\n";
  return out;
}

std::string xref_entry(std::size_t offset) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "%010zu 00000 n \n", offset);
  return buffer;
}

std::string quoted_value(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return {};
  const auto open = text.find('(', at);
  const auto close = text.find(')', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  return std::string(text.substr(open + 1, close - open - 1));
}

}  // namespace

std::string seal_update(std::string_view pdf, const SealPage& page, const Seal& seal) {
  const auto startxref_at = pdf.rfind("startxref");
  const auto trailer_at = pdf.rfind("trailer");
  if (startxref_at == std::string_view::npos || trailer_at == std::string_view::npos || trailer_at > startxref_at) {
    unexpected("no trailer");
  }
  const auto trailer = pdf.substr(trailer_at, startxref_at - trailer_at);
  const long long previous_xref = required(pdf.substr(startxref_at), "startxref", "the end");
  const long long size = required(trailer, "/Size", "the trailer");
  const long long root = required(trailer, "/Root", "the trailer");
  const auto info = number_after(trailer, "/Info");
  const long long pages = required(object(pdf, root), "/Pages", "the catalog");
  const auto pages_object = object(pdf, pages);
  const long long count = required(pages_object, "/Count", "the page tree");
  const auto kids_open = pages_object.find("/Kids [");
  const auto kids_close = pages_object.find(']', kids_open);
  if (kids_open == std::string_view::npos || kids_close == std::string_view::npos) unexpected("no /Kids");
  const auto kids = pages_object.substr(kids_open + 7, kids_close - kids_open - 7);

  const long long regular = size, bold = size + 1, stream = size + 2, last_page = size + 3;
  // The update starts on a line of its own after the first revision's %%EOF.
  std::string update = pdf.ends_with('\n') ? "" : "\n";
  std::vector<std::pair<long long, std::size_t>> offsets;
  auto begin_object = [&](long long id) {
    offsets.emplace_back(id, pdf.size() + update.size());
    update += std::to_string(id) + " 0 obj\n";
  };
  begin_object(regular);
  update += "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n";
  begin_object(bold);
  update += "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>\nendobj\n";
  const auto text = content(page);
  begin_object(stream);
  update += "<< /Length " + std::to_string(text.size()) + " >>\nstream\n" + text + "endstream\nendobj\n";
  begin_object(last_page);
  update += "<< /Type /Page /Parent " + std::to_string(pages) + " 0 R /MediaBox [ 0 0 " + number(page.width) + " " +
            number(page.height) + " ] /Resources << /Font << /F1 " + std::to_string(regular) + " 0 R /F2 " +
            std::to_string(bold) + " 0 R >> >> /Contents " + std::to_string(stream) + " 0 R >>\nendobj\n";
  begin_object(pages);
  update += "<< /Type /Pages /Kids [" + std::string(kids) + " " + std::to_string(last_page) + " 0 R ] /Count " +
            std::to_string(count + 1) + " >>\nendobj\n";

  const std::size_t xref_at = pdf.size() + update.size();
  update += "xref\n0 1\n0000000000 65535 f \n";
  update += std::to_string(pages) + " 1\n" + xref_entry(offsets.back().second);
  update += std::to_string(regular) + " 4\n";
  for (std::size_t i = 0; i < 4; ++i) update += xref_entry(offsets[i].second);
  update += "trailer\n<< /Size " + std::to_string(size + 4) + " /Root " + std::to_string(root) + " 0 R";
  if (info) update += " /Info " + std::to_string(*info) + " 0 R";
  update += " /Prev " + std::to_string(previous_xref) + "\n   /SterifleetSeal << /SHA256 " + literal(seal.sha256) +
            " /BodyBytes " + std::to_string(seal.body_bytes) + " /HeadSeq " + std::to_string(seal.head.seq) +
            " /HeadHash " + literal(seal.head.hash) + " >> >>\nstartxref\n" + std::to_string(xref_at) + "\n%%EOF\n";
  return update;
}

std::optional<Seal> read_pdf_seal(std::string_view tail) {
  const auto at = tail.rfind("/SterifleetSeal");
  if (at == std::string_view::npos) return std::nullopt;
  const auto dictionary = tail.substr(at);
  Seal seal;
  seal.sha256 = quoted_value(dictionary, "/SHA256");
  seal.head.hash = quoted_value(dictionary, "/HeadHash");
  const auto body = number_after(dictionary, "/BodyBytes");
  const auto head = number_after(dictionary, "/HeadSeq");
  if (seal.sha256.empty() || !body || !head || *body < 0) return std::nullopt;
  seal.body_bytes = static_cast<std::uint64_t>(*body);
  seal.head.seq = *head;
  return seal;
}

}  // namespace sterifleet::report
