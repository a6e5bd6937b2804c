#include "store_url.hpp"

#include <cctype>
#include <vector>

namespace sterifleet::app {

namespace {

std::vector<std::string_view> passwords_in(std::string_view url) {
  std::vector<std::string_view> passwords;
  const auto scheme_end = url.find("://");
  const auto authority_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  const auto authority = url.substr(authority_start, url.find_first_of("/?", authority_start) - authority_start);
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    if (const auto colon = authority.substr(0, at).find(':'); colon != std::string_view::npos) {
      passwords.push_back(authority.substr(colon + 1, at - colon - 1));
    }
  }
  for (auto at = url.find("password="); at != std::string_view::npos; at = url.find("password=", at + 1)) {
    const auto start = at + std::string_view("password=").size();
    passwords.push_back(url.substr(start, url.find('&', start) - start));
  }
  return passwords;
}

}  // namespace

bool is_postgresql_url(std::string_view place) {
  return place.starts_with("postgresql://") || place.starts_with("postgres://");
}

std::string masked(std::string message, std::string_view url) {
  for (const auto password : passwords_in(url)) {
    if (password.empty()) continue;
    constexpr std::string_view mask = "***";
    for (auto at = message.find(password); at != std::string::npos; at = message.find(password, at + mask.size())) {
      message.replace(at, password.size(), mask);
    }
  }
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) message.pop_back();
  return message;
}

}  // namespace sterifleet::app
