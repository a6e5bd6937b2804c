// Loading and describing the configuration by walking the key table (config_keys.cpp).
#include "config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <sstream>
#include <stdexcept>

#include "cluster_config.hpp"
#include "notify_config.hpp"

namespace sterifleet::app {

namespace {

using Value = ConfigKey::Value;

std::string_view type_name(const ConfigKey& key) {
  switch (key.type) {
    case ConfigKey::Type::string:
      return "a string";
    case ConfigKey::Type::integer:
      return "an integer";
    case ConfigKey::Type::boolean:
      return "true or false";
    case ConfigKey::Type::string_list:
      return "a list of strings";
    case ConfigKey::Type::integer_table:
      return "a table of integers";
  }
  return "";
}

std::string_view short_type_name(const ConfigKey& key) {
  switch (key.type) {
    case ConfigKey::Type::string:
      return "string";
    case ConfigKey::Type::integer:
      return "integer";
    case ConfigKey::Type::boolean:
      return "boolean";
    case ConfigKey::Type::string_list:
      return "list of strings";
    case ConfigKey::Type::integer_table:
      return "table of integers";
  }
  return "";
}

// How --set writes the values of the key's type.
std::string_view set_syntax(const ConfigKey& key) {
  switch (key.type) {
    case ConfigKey::Type::string_list:
      return " (comma-separated: a,b)";
    case ConfigKey::Type::integer_table:
      return " (name=number, comma-separated: north=3,south=4)";
    default:
      return "";
  }
}

std::string choices_text(const ConfigKey& key) {
  std::string text;
  for (const auto& choice : key.choices) text += (text.empty() ? "" : ", ") + to_toml(choice);
  return text;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string_view last_part(std::string_view name) { return name.substr(name.rfind('.') + 1); }

// The known name nearest a misspelt one, if near enough to be meant: "mqtt.clientid" finds
// mqtt.client_id, a key put in the wrong table ("store.listen") finds the same key in its own.
std::optional<std::string_view> nearest(std::string_view name, const std::vector<std::string_view>& known) {
  std::optional<std::string_view> best;
  std::size_t best_score = std::max<std::size_t>(2, name.size() / 3) + 1;
  for (const auto candidate : known) {
    const std::size_t score =
        std::min(edit_distance(name, candidate), edit_distance(last_part(name), last_part(candidate)) + 1);
    if (score < best_score) {
      best = candidate;
      best_score = score;
    }
  }
  return best;
}

std::string unknown_key(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& key : config_keys()) names.push_back(key.name);
  const auto near = nearest(name, names);
  return "unknown key " + std::string(name) + (near ? " (did you mean " + std::string(*near) + "?)" : "");
}

std::string unknown_table(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& section : config_sections()) names.push_back(section.name);
  const auto near = nearest(name, names);
  return "unknown table [" + std::string(name) + "]" + (near ? " (did you mean [" + std::string(*near) + "]?)" : "");
}

const ConfigSection* find_section(std::string_view name) {
  for (const auto& section : config_sections()) {
    if (section.name == name) return &section;
  }
  return nullptr;
}

std::optional<std::string> check_range(const ConfigKey& key, const std::string& name, std::int64_t number) {
  if (number < key.min)
    return name + " must be at least " + std::to_string(key.min) + " (got " + std::to_string(number) + ")";
  if (number > key.max)
    return name + " must be at most " + std::to_string(key.max) + " (got " + std::to_string(number) + ")";
  return std::nullopt;
}

// What is wrong with a value of the right type, if anything.
std::optional<std::string> check(const ConfigKey& key, const Value& value) {
  const std::string name(key.name);
  if (!key.choices.empty()) {
    if (std::find(key.choices.begin(), key.choices.end(), value) != key.choices.end()) return std::nullopt;
    return name + " must be one of " + choices_text(key) + " (got " + to_toml(value) + ")";
  }
  if (const auto* number = std::get_if<std::int64_t>(&value)) return check_range(key, name, *number);
  if (const auto* table = std::get_if<std::map<std::string, std::int64_t>>(&value)) {
    for (const auto& [entry, number] : *table) {
      if (auto problem = check_range(key, name + "." + entry, number)) return problem;
    }
  }
  return std::nullopt;
}

std::optional<Value> from_node(const ConfigKey& key, const toml::node& node) {
  switch (key.type) {
    case ConfigKey::Type::string:
      if (const auto* s = node.as_string()) return Value(s->get());
      break;
    case ConfigKey::Type::integer:
      if (const auto* i = node.as_integer()) return Value(i->get());
      break;
    case ConfigKey::Type::boolean:
      if (const auto* b = node.as_boolean()) return Value(b->get());
      break;
    case ConfigKey::Type::string_list:
      if (const auto* array = node.as_array()) {
        std::vector<std::string> list;
        for (const auto& element : *array) {
          const auto* text = element.as_string();
          if (!text) return std::nullopt;
          list.push_back(text->get());
        }
        return Value(std::move(list));
      }
      break;
    case ConfigKey::Type::integer_table:
      if (const auto* table = node.as_table()) {
        std::map<std::string, std::int64_t> entries;
        for (const auto& [name, element] : *table) {
          const auto* number = element.as_integer();
          if (!number) return std::nullopt;
          entries.emplace(name.str(), number->get());
        }
        return Value(std::move(entries));
      }
      break;
  }
  return std::nullopt;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  if (text.empty()) return parts;
  for (std::size_t start = 0;;) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

std::optional<std::int64_t> integer_of(std::string_view text) {
  std::int64_t number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return number;
  return std::nullopt;
}

// A --set value is read as the key's type: "--set mqtt.password=1234" is a string.
std::optional<Value> from_text(const ConfigKey& key, std::string_view text) {
  switch (key.type) {
    case ConfigKey::Type::string:
      return Value(std::string(text));
    case ConfigKey::Type::integer:
      if (const auto number = integer_of(text)) return Value(*number);
      break;
    case ConfigKey::Type::boolean:
      if (text == "true" || text == "false") return Value(text == "true");
      break;
    case ConfigKey::Type::string_list: {
      std::vector<std::string> list;
      for (const auto part : split(text, ',')) list.emplace_back(part);
      return Value(std::move(list));
    }
    case ConfigKey::Type::integer_table: {
      std::map<std::string, std::int64_t> entries;
      for (const auto part : split(text, ',')) {
        const auto eq = part.find('=');
        const auto number = eq == std::string_view::npos ? std::nullopt : integer_of(part.substr(eq + 1));
        if (!number || eq == 0 || !entries.emplace(part.substr(0, eq), *number).second) return std::nullopt;
      }
      return Value(std::move(entries));
    }
  }
  return std::nullopt;
}

[[noreturn]] void fail(const toml::node& node, const std::string& message) {
  const auto& where = node.source();
  if (where.begin.line == 0) throw std::runtime_error(message);
  throw std::runtime_error((where.path ? *where.path : std::string("config")) + ":" + std::to_string(where.begin.line) +
                           ": " + message);
}

void apply_table(Config& config, const toml::table& table, const std::string& prefix) {
  for (const auto& [name, node] : table) {
    const std::string path = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (const RetiredConfigKey* retired = find_retired_config_key(path)) fail(node, std::string(retired->why));
    if (const ConfigKey* key = find_config_key(path)) {
      const auto value = from_node(*key, node);
      if (!value) fail(node, path + " must be " + std::string(type_name(*key)));
      if (const auto problem = check(*key, *value)) fail(node, *problem);
      key->set(config, *value);
    } else if (const ConfigSection* section = find_section(path); section && node.is_table()) {
      if (section->optional()) section->turn_on(config);
      apply_table(config, *node.as_table(), path);
    } else {
      fail(node, node.is_table() ? unknown_table(path) : unknown_key(path));
    }
  }
}

[[noreturn]] void fail_set(const std::string& argument, const std::string& message) {
  throw std::runtime_error("--set " + argument + ": " + message);
}

void apply_override(Config& config, const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos || eq == 0) throw std::runtime_error("--set expects section.key=value, got " + argument);
  const std::string name = argument.substr(0, eq);
  if (const RetiredConfigKey* retired = find_retired_config_key(name)) fail_set(argument, std::string(retired->why));
  const ConfigKey* key = find_config_key(name);
  if (!key) fail_set(argument, unknown_key(name));
  const auto value = from_text(*key, std::string_view(argument).substr(eq + 1));
  if (!value) fail_set(argument, name + " must be " + std::string(type_name(*key)) + std::string(set_syntax(*key)));
  if (const auto problem = check(*key, *value)) fail_set(argument, *problem);
  key->set(config, *value);
}

// Words of `text` in lines of at most `width` characters, each after `prefix`.
std::string wrap(std::string_view text, std::string_view prefix, std::size_t width = 100) {
  std::string out;
  std::string line;
  std::istringstream words{std::string(text)};
  for (std::string word; words >> word;) {
    if (!line.empty() && prefix.size() + line.size() + 1 + word.size() > width) {
      out += std::string(prefix) + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) out += std::string(prefix) + line + "\n";
  return out;
}

std::string described(const ConfigKey& key) {
  std::string text(key.help);
  if (!key.choices.empty()) text += " One of " + choices_text(key) + ".";
  return text;
}

}  // namespace

std::string to_toml(const Value& value) {
  if (const auto* text = std::get_if<std::string>(&value)) {
    // Double quotes, as people write TOML (toml++ prefers 'literal strings' where it can).
    std::ostringstream out;
    out << toml::toml_formatter(toml::value<std::string>(*text), toml::format_flags::none);
    return out.str();
  }
  if (const auto* number = std::get_if<std::int64_t>(&value)) return std::to_string(*number);
  if (const auto* flag = std::get_if<bool>(&value)) return *flag ? "true" : "false";
  std::ostringstream out;
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    toml::array array;
    for (const auto& text : *list) array.push_back(text);
    out << toml::toml_formatter(array, toml::format_flags::none);
  } else {
    toml::table table;
    table.is_inline(true);
    for (const auto& [name, number] : std::get<std::map<std::string, std::int64_t>>(value)) table.insert(name, number);
    out << toml::toml_formatter(table, toml::format_flags::none);
  }
  return out.str();
}

Config load_config(const std::optional<std::string>& file, const std::vector<std::string>& overrides) {
  Config config;
  if (file) {
    toml::table root;
    try {
      root = toml::parse_file(*file);
    } catch (const toml::parse_error& e) {
      throw std::runtime_error(*file + ":" + std::to_string(e.source().begin.line) + ": " +
                               std::string(e.description()));
    }
    if (const auto* notify = root.get_as<toml::table>("notify")) {
      config.notify = read_notify_config(*notify);
      root.erase("notify");
    }
    apply_table(config, root, "");
  }
  for (const auto& o : overrides) apply_override(config, o);
  finish_store_and_cluster(config);
  return config;
}

std::string config_help() {
  const Config defaults;
  std::string text = "Configuration keys (in the --config file, or --set section.key=value):\n";
  for (const auto& key : config_keys()) {
    std::string type(short_type_name(key));
    if (!key.unit.empty()) type += ", " + std::string(key.unit);
    text += "  " + std::string(key.name) + " (" + type + ") default " + to_toml(key.get(defaults)) + "\n";
    text += wrap(described(key), "      ");
  }
  return text;
}

std::string example_config() {
  const Config defaults;
  std::string text = wrap(
      "sterifleetd configuration: every key, at its built-in default. Every key is optional. Any key can be "
      "overridden on the command line with --set section.key=value (sterifleetd --help lists them, and the "
      "shortcut flags). This file is the output of sterifleetd --print-default-config.",
      "# ");
  for (const auto& section : config_sections()) {
    // The keys of an optional table are commented out ("#key", no space) so that removing the "#"s of the
    // table turns it on.
    const std::string off = section.optional() ? "#" : "";
    text += '\n';  // appended, not "\n" + ...: GCC 12 at -O3 reports a false -Wrestrict there (PR105651)
    text += wrap(section.note, "# ") + off + "[" + std::string(section.name) + "]\n";
    for (const auto& key : config_keys()) {
      if (key.section() != section.name) continue;
      text += wrap(described(key), "# ") + off + std::string(key.key()) + " = " + to_toml(key.get(defaults)) + "\n";
    }
  }
  text += notify_config_example();
  return text;
}

}  // namespace sterifleet::app
