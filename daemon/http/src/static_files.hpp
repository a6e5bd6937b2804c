// The built dashboard, served from a directory: index.html at /, assets with their content types and
// cache headers, and index.html again for any other page path (the dashboard routes in the browser).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sterifleet/http/api.hpp"

namespace sterifleet::http {

class StaticFiles {
 public:
  /// `root` empty: every request answers 404 saying the dashboard is not configured.
  explicit StaticFiles(const std::string& root);

  /// `segments`: the decoded path. Never reads outside the root, whatever the path or symlinks say.
  Response serve(const std::vector<std::string>& segments) const;

  static std::string_view content_type(const std::filesystem::path& file);

 private:
  std::optional<std::filesystem::path> resolve(const std::vector<std::string>& segments) const;
  Response file_response(const std::filesystem::path& file, bool immutable) const;

  std::filesystem::path root_;  ///< canonical; empty when not configured
};

}  // namespace sterifleet::http
