# Writes a PostgreSQL migration's SQL into a C++ source as a raw string, so the library carries it.
file(READ ${INPUT} text)
file(WRITE ${OUTPUT} "#include <string_view>\n"
  "namespace sterifleet::store::postgresql {\n"
  "extern const std::string_view ${NAME};\n"
  "const std::string_view ${NAME} = R\"schema_sql(${text})schema_sql\";\n"
  "}  // namespace sterifleet::store::postgresql\n")
