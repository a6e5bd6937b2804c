// libcurl's global set-up, which is not thread-safe: done once, before the first transfer of any sender.
#pragma once

namespace sterifleet::notify {

/// Calls curl_global_init once per process (later calls wait for the first). Throws
/// std::runtime_error when libcurl cannot be initialised.
void ensure_curl_initialised();

}  // namespace sterifleet::notify
