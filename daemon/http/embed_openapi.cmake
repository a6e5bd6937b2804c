# Writes openapi.json into a C++ source as a raw string, so the binary serves the description it was built with.
file(READ ${INPUT} text)
file(WRITE ${OUTPUT} "#include <string_view>\n#include \"sterifleet/http/api.hpp\"\n"
  "namespace sterifleet::http {\n"
  "std::string_view Api::openapi() noexcept {\n"
  "  static constexpr std::string_view text = R\"openapi_json(${text})openapi_json\";\n"
  "  return text;\n}\n}  // namespace sterifleet::http\n")
