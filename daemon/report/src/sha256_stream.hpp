// SHA-256 over bytes that arrive in pieces: a report body is hashed as it is written, never held whole.
#pragma once

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace sterifleet::report {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(std::string_view bytes);
  /// Lower-case hex; the stream starts over afterwards.
  std::string finish_hex();

 private:
  evp_md_ctx_st* context_;
};

}  // namespace sterifleet::report
