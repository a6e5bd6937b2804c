// Checks JSON against the subset of JSON Schema the OpenAPI description uses: $ref, allOf, type (one
// or an array of names, "null" among them for nullable), enum, required, properties,
// additionalProperties and items. Unknown keywords are ignored, as JSON Schema says.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sterifleet::http::testing {

class SchemaValidator {
 public:
  /// `document`: the OpenAPI description, for resolving "#/components/..." references.
  explicit SchemaValidator(nlohmann::json document) : document_(std::move(document)) {}

  /// Every problem, each "<JSON Pointer>: <what is wrong>"; empty when `value` conforms.
  std::vector<std::string> validate(const nlohmann::json& value, const nlohmann::json& schema) const;

  /// The schema of a response: `path` is the spec's path pattern, `status` e.g. "200". Nullopt when
  /// the status is not documented for that operation.
  std::optional<nlohmann::json> response_schema(const std::string& path, const std::string& method,
                                                const std::string& status, std::string* content_type = nullptr) const;
  /// The spec path pattern a concrete path matches ("/api/v1/alerts/x1" -> "/api/v1/alerts/{id}").
  std::optional<std::string> match_path(const std::string& path) const;

  const nlohmann::json& resolve(const nlohmann::json& schema) const;
  const nlohmann::json& document() const { return document_; }

 private:
  void check(const nlohmann::json& value, const nlohmann::json& schema, const std::string& where,
             std::vector<std::string>& problems) const;
  nlohmann::json document_;
};

}  // namespace sterifleet::http::testing
