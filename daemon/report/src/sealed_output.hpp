// A report's bytes on their way out: the body is buffered, hashed and counted; once it is closed, what
// follows (the footer stating the seal) goes out unhashed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sterifleet/crypto/sha256.hpp"
#include "sterifleet/report/output.hpp"

namespace sterifleet::report {

struct BodyDigest {
  std::string sha256;
  std::uint64_t bytes = 0;
};

class SealedOutput {
 public:
  explicit SealedOutput(Output& out) : out_(out) { buffer_.reserve(kFlushAt + 4096); }

  /// Writers append body bytes here directly (the hot path of a million rows), then call written().
  std::string& buffer() { return buffer_; }
  void written() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  void body(std::string_view bytes) {
    buffer_.append(bytes);
    written();
  }
  /// Ends the body: everything written so far is hashed and sent.
  BodyDigest close_body();
  void footer(std::string_view bytes);
  std::uint64_t bytes() const { return sent_; }

 private:
  static constexpr std::size_t kFlushAt = 256 * 1024;
  void flush();

  Output& out_;
  std::string buffer_;
  crypto::Sha256 sha256_;
  std::uint64_t sent_ = 0;
  bool closed_ = false;
};

}  // namespace sterifleet::report
