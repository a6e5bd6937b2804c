#include "sealed_output.hpp"

#include <stdexcept>

#include "sterifleet/crypto/hex.hpp"

namespace sterifleet::report {

void SealedOutput::flush() {
  if (buffer_.empty()) return;
  sha256_.update(buffer_);
  out_.write(buffer_);
  sent_ += buffer_.size();
  buffer_.clear();
}

BodyDigest SealedOutput::close_body() {
  if (closed_) throw std::logic_error("a report body is closed once");
  flush();
  closed_ = true;
  return {crypto::to_hex(sha256_.finish()), sent_};
}

void SealedOutput::footer(std::string_view bytes) {
  if (!closed_) throw std::logic_error("a report footer follows its closed body");
  out_.write(bytes);
  sent_ += bytes.size();
}

}  // namespace sterifleet::report
