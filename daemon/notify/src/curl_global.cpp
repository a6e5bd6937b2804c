#include "curl_global.hpp"

#include <curl/curl.h>

#include <mutex>
#include <stdexcept>
#include <string>

namespace sterifleet::notify {

void ensure_curl_initialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (const CURLcode code = curl_global_init(CURL_GLOBAL_DEFAULT); code != CURLE_OK) {
      throw std::runtime_error(std::string("libcurl cannot be initialised: ") + curl_easy_strerror(code));
    }
  });
}

}  // namespace sterifleet::notify
