// The text rules of an email, kept apart from what the message says: header values that cannot break a
// header (no CR/LF, printable ASCII), body lines wrapped for reading and always under SMTP's 998-octet
// limit, and the bare address inside "Name <address>".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sterifleet::notify::mail {

/// RFC 5322 allows 998 octets before CRLF; a margin keeps us clear of off-by-one servers.
inline constexpr std::size_t max_line_octets = 990;
/// Where body text wraps for reading (a hard limit only for max_line_octets).
inline constexpr std::size_t wrap_column = 76;

/// A header value: CR, LF and other control characters become spaces (so data cannot start a header of
/// its own) and non-ASCII bytes become '?' (header values are ids, ASCII by the protocol); cut at `limit`.
std::string header_text(std::string_view text, std::size_t limit = 900);

/// "Name <a@b>" -> "a@b"; "a@b" -> "a@b" (trimmed).
std::string address_of(std::string_view mailbox);

/// True when `text` holds only printable ASCII (what an address in a header and an SMTP command may be).
bool printable_ascii(std::string_view text) noexcept;

/// A plain-text body with CRLF line ends, built line by line.
class Body {
 public:
  /// One paragraph: line breaks in `text` are kept (as CRLF), long lines are wrapped at spaces.
  void paragraph(std::string_view text);
  /// "label:   value", the label padded to `label_width` and wrapped lines indented to the value.
  void field(std::string_view label, std::string_view value, std::size_t label_width = 15);
  void blank() { text_ += "\r\n"; }
  /// A line written exactly as given (after the same cleaning), e.g. the signature separator "-- ".
  void raw(std::string_view line);
  const std::string& text() const { return text_; }

 private:
  void wrapped(std::string_view first_prefix, std::string_view indent, std::string_view text);
  std::string text_;
};

}  // namespace sterifleet::notify::mail
