#include "policy_file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace sterifleet::app {

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::variant<engine::Policy, std::vector<engine::PolicyError>> parse_policy_file(const std::string& path) {
  return engine::parse_policy(read_text_file(path), path);
}

}  // namespace sterifleet::app
