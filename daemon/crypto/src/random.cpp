#include "sterifleet/crypto/random.hpp"

#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

#include "sterifleet/crypto/hex.hpp"

namespace sterifleet::crypto {

std::string random_bytes(std::size_t count) {
  if (count > INT_MAX) throw std::invalid_argument("random_bytes: at most INT_MAX bytes at once");
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(count)) != 1) {
    throw std::runtime_error("the system's random generator failed");
  }
  return out;
}

std::string random_hex(std::size_t count) { return to_hex(random_bytes(count)); }

}  // namespace sterifleet::crypto
