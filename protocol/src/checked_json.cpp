#include "checked_json.hpp"

#include <string>
#include <vector>

namespace sterifleet::protocol::detail {

namespace {

using json = nlohmann::json;

// Forwards to nlohmann's DOM builder and adds the checks the protocol needs on the way.
class CheckedDomBuilder {
 public:
  CheckedDomBuilder(json& root, std::size_t max_depth, DecodeError& error)
      : dom_(root, false), max_depth_(max_depth), error_(error) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(json::number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(json::number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(json::number_float_t value, const json::string_t& text) { return dom_.number_float(value, text); }
  bool string(json::string_t& value) { return dom_.string(value); }
  bool binary(json::binary_t& value) { return dom_.binary(value); }

  bool start_object(std::size_t elements) {
    if (!enter()) return false;
    object_keys_.emplace_back();
    return dom_.start_object(elements);
  }
  bool key(json::string_t& name) {
    auto& keys = object_keys_.back();
    for (const auto& seen : keys) {
      if (seen == name) {
        error_ = {Reason::duplicate_key, {}, "duplicate key \"" + name + "\" in one object"};
        return false;
      }
    }
    keys.push_back(name);
    return dom_.key(name);
  }
  bool end_object() {
    object_keys_.pop_back();
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t elements) { return enter() && dom_.start_array(elements); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }

  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) {
    std::string what = ex.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the reader needs only the sentence.
    if (const auto bracket = what.find("] "); bracket != std::string::npos) what.erase(0, bracket + 2);
    error_ = {Reason::malformed_json, {}, "not valid JSON (byte " + std::to_string(position) + "): " + what};
    return false;
  }

 private:
  bool enter() {
    if (++depth_ > max_depth_) {
      error_ = {Reason::too_deep, {}, "JSON nested deeper than " + std::to_string(max_depth_) + " levels"};
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::vector<std::vector<std::string>> object_keys_;  // objects here have a dozen keys: a scan beats hashing
  DecodeError& error_;
};

}  // namespace

std::optional<json> parse_checked(std::string_view text, std::size_t max_depth, DecodeError& error) {
  json root;
  CheckedDomBuilder builder(root, max_depth, error);
  if (!json::sax_parse(text.begin(), text.end(), &builder)) return std::nullopt;
  return root;
}

}  // namespace sterifleet::protocol::detail
