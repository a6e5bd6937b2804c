#include "mail_text.hpp"

#include <algorithm>
#include <vector>

namespace sterifleet::notify::mail {

namespace {

bool is_control(unsigned char c) noexcept { return c < 0x20 || c == 0x7f; }

/// The longest prefix of `text` of at most `limit` octets that does not end inside a UTF-8 sequence.
std::size_t utf8_cut(std::string_view text, std::size_t limit) noexcept {
  if (text.size() <= limit) return text.size();
  std::size_t n = limit;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return n == 0 ? limit : n;
}

/// Lines of `text` split at CRLF, CR or LF: a bare CR or LF must not reach SMTP (8bit forbids them), and
/// a line break in the alert's text is one in the mail.
std::vector<std::string_view> source_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\r' && text[i] != '\n') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  lines.push_back(text.substr(start));
  return lines;
}

/// Tabs become spaces and other control characters go: NUL and friends have no place in an 8bit body.
std::string clean(std::string_view line) {
  std::string out;
  out.reserve(line.size());
  for (const char c : line) {
    if (c == '\t') {
      out += ' ';
    } else if (!is_control(static_cast<unsigned char>(c))) {
      out += c;
    }
  }
  return out;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < line.size()) {
    const auto end = std::min(line.find(' ', start), line.size());
    if (end > start) out.push_back(line.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string header_text(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  for (const char c : text.substr(0, limit)) {
    const auto byte = static_cast<unsigned char>(c);
    out += is_control(byte) ? ' ' : byte >= 0x80 ? '?' : c;
  }
  return out;
}

std::string address_of(std::string_view mailbox) {
  const auto open = mailbox.find('<');
  const auto close = mailbox.find('>', open == std::string_view::npos ? 0 : open);
  if (open != std::string_view::npos && close != std::string_view::npos) {
    return std::string(mailbox.substr(open + 1, close - open - 1));
  }
  const auto first = mailbox.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = mailbox.find_last_not_of(" \t");
  return std::string(mailbox.substr(first, last - first + 1));
}

bool printable_ascii(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x7f;
  });
}

void Body::paragraph(std::string_view text) { wrapped("", "", text); }

void Body::field(std::string_view label, std::string_view value, std::size_t label_width) {
  std::string prefix = std::string(label) + ":";
  prefix.resize(std::max(label_width, prefix.size() + 1), ' ');
  wrapped(prefix, std::string(prefix.size(), ' '), value);
}

void Body::raw(std::string_view line) {
  const std::string cleaned = clean(line);
  std::string_view rest = cleaned;
  do {
    const auto n = utf8_cut(rest, max_line_octets);
    text_.append(rest.substr(0, n)).append("\r\n");
    rest.remove_prefix(n);
  } while (!rest.empty());
}

void Body::wrapped(std::string_view first_prefix, std::string_view indent, std::string_view text) {
  std::string line(first_prefix);
  bool has_words = false;
  const auto flush = [&] {
    line.erase(line.find_last_not_of(' ') + 1);
    text_.append(line).append("\r\n");
    line = indent;
    has_words = false;
  };
  const auto lines = source_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) flush();
    const std::string cleaned = clean(lines[i]);
    for (std::string_view word : words(cleaned)) {
      if (has_words && line.size() + 1 + word.size() > wrap_column) flush();
      if (has_words) line += ' ';
      // A word longer than a line may be (a pasted blob, a giant URL) is cut where UTF-8 allows.
      while (line.size() + word.size() > max_line_octets) {
        const auto n = utf8_cut(word, max_line_octets - line.size());
        line.append(word.substr(0, n));
        word.remove_prefix(n);
        flush();
      }
      line.append(word);
      has_words = true;
    }
  }
  flush();
}

}  // namespace sterifleet::notify::mail
