// Files the protocol tests read at run time: the specification and the table of malformed messages.
// Paths come from CMake as compile definitions, so a test binary finds them from any working directory.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sterifleet/protocol/codec.hpp"

namespace sterifleet::protocol::testing {

inline constexpr const char* spec_readme_path = STERIFLEET_SPEC_README;
inline constexpr const char* malformed_table_path = STERIFLEET_MALFORMED_TABLE;
inline constexpr const char* field_table_path = STERIFLEET_FIELD_TABLE;

/// The whole file; throws if it cannot be read, because a test without its data must not pass.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// The receiver's clock of every data-driven test: a week after the spec's examples were sent.
inline DecodeContext test_context() { return DecodeContext{*parse_timestamp("2026-12-01T00:00:00Z")}; }

}  // namespace sterifleet::protocol::testing
