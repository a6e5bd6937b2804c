#include "schema_validator.hpp"

#include <stdexcept>

namespace sterifleet::http::testing {

namespace {

using nlohmann::json;

bool has_type(const json& value, const std::string& type) {
  if (type == "null") return value.is_null();
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  throw std::invalid_argument("unknown type in schema: " + type);
}

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  std::size_t start = 1;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    out.push_back(path.substr(start, slash - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

const json& SchemaValidator::resolve(const json& schema) const {
  if (!schema.is_object() || !schema.contains("$ref")) return schema;
  const auto ref = schema["$ref"].get<std::string>();
  if (!ref.starts_with("#/")) throw std::invalid_argument("only local references are supported: " + ref);
  return resolve(document_.at(json::json_pointer(ref.substr(1))));
}

std::vector<std::string> SchemaValidator::validate(const json& value, const json& schema) const {
  std::vector<std::string> problems;
  check(value, schema, "", problems);
  return problems;
}

void SchemaValidator::check(const json& value, const json& schema_in, const std::string& where,
                            std::vector<std::string>& problems) const {
  const json& schema = resolve(schema_in);
  const std::string at = where.empty() ? "/" : where;
  if (schema.contains("allOf")) {
    for (const auto& part : schema["allOf"]) check(value, part, where, problems);
  }
  if (schema.contains("type")) {
    const auto& type = schema["type"];
    bool ok = false;
    if (type.is_string()) ok = has_type(value, type);
    for (const auto& t : type.is_array() ? type : json::array()) ok = ok || has_type(value, t);
    if (!ok) {
      problems.push_back(at + ": expected type " + type.dump() + ", got " + value.dump().substr(0, 80));
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& option : schema["enum"]) found = found || option == value;
    if (!found) problems.push_back(at + ": " + value.dump() + " is not one of " + schema["enum"].dump());
  }
  if (value.is_object()) {
    for (const auto& name : schema.value("required", json::array())) {
      if (!value.contains(name.get<std::string>())) problems.push_back(at + ": missing " + name.get<std::string>());
    }
    const auto properties = schema.value("properties", json::object());
    for (const auto& [name, member] : value.items()) {
      if (properties.contains(name)) {
        check(member, properties[name], where + "/" + name, problems);
      } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
        check(member, schema["additionalProperties"], where + "/" + name, problems);
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      check(value[i], schema["items"], where + "/" + std::to_string(i), problems);
    }
  }
}

std::optional<json> SchemaValidator::response_schema(const std::string& path, const std::string& method,
                                                     const std::string& status, std::string* content_type) const {
  const auto& operation = document_.at("paths").at(path).at(method);
  const auto& responses = operation.at("responses");
  if (!responses.contains(status)) return std::nullopt;
  const auto& response = resolve(responses[status]);
  const auto& content = response.at("content");
  const auto first = content.begin();
  if (content_type) *content_type = first.key();
  return first.value().at("schema");
}

std::optional<std::string> SchemaValidator::match_path(const std::string& path) const {
  const auto segments = split(path);
  for (const auto& [pattern, item] : document_.at("paths").items()) {
    const auto wanted = split(pattern);
    if (wanted.size() != segments.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < wanted.size() && same; ++i) {
      same = wanted[i].starts_with("{") ? !segments[i].empty() : wanted[i] == segments[i];
    }
    if (same) return pattern;
  }
  return std::nullopt;
}

}  // namespace sterifleet::http::testing
