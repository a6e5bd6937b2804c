# Writes the default policy file into a C++ source as a raw string, so the binary carries it.
file(READ ${INPUT} text)
file(WRITE ${OUTPUT} "#include <string_view>\n#include \"sterifleet/engine/policy.hpp\"\n"
  "namespace sterifleet::engine {\n"
  "std::string_view default_policy_text() noexcept {\n"
  "  static constexpr std::string_view text = R\"policy_text(${text})policy_text\";\n"
  "  return text;\n}\n}  // namespace sterifleet::engine\n")
