#include "static_files.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "errors.hpp"

namespace sterifleet::http {

namespace {

namespace fs = std::filesystem;

// The dashboard is a few megabytes at most; anything far larger here is a mistake, not an asset.
constexpr std::uintmax_t max_file_bytes = 64ull * 1024 * 1024;

bool safe_segment(const std::string& segment) {
  return segment != "." && segment != ".." && segment.find('/') == std::string::npos &&
         segment.find('\\') == std::string::npos && segment.find('\0') == std::string::npos;
}

bool inside(const fs::path& root, const fs::path& candidate) {
  const auto [root_end, _] = std::mismatch(root.begin(), root.end(), candidate.begin(), candidate.end());
  return root_end == root.end();
}

}  // namespace

StaticFiles::StaticFiles(const std::string& root) {
  if (root.empty()) return;
  std::error_code ec;
  root_ = fs::canonical(root, ec);
  if (ec) {
    spdlog::warn("http.dashboard_dir {}: {}; the dashboard is not served", root, ec.message());
    root_.clear();
  }
}

std::string_view StaticFiles::content_type(const fs::path& file) {
  static const std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".webmanifest", "application/manifest+json"},
      {".wasm", "application/wasm"},
      {".pdf", "application/pdf"},
  };
  const std::string extension = file.extension().string();
  for (const auto& [ext, type] : types) {
    if (extension == ext) return type;
  }
  return "application/octet-stream";
}

std::optional<fs::path> StaticFiles::resolve(const std::vector<std::string>& segments) const {
  fs::path path = root_;
  for (const auto& segment : segments) {
    if (segment.empty()) continue;
    if (!safe_segment(segment)) return std::nullopt;
    path /= segment;
  }
  std::error_code ec;
  const auto canonical = fs::canonical(path, ec);
  // A symlink inside the root that points outside it is refused like a "..".
  if (ec || !inside(root_, canonical) || !fs::is_regular_file(canonical, ec)) return std::nullopt;
  return canonical;
}

Response StaticFiles::file_response(const fs::path& file, bool immutable) const {
  std::error_code ec;
  const auto size = fs::file_size(file, ec);
  std::ifstream in(file, std::ios::binary);
  if (ec || size > max_file_bytes || !in) {
    return error_response(ErrorCode::internal, "the dashboard file " + file.filename().string() + " cannot be read");
  }
  std::ostringstream bytes;
  bytes << in.rdbuf();
  auto response = text_response(beast_http::status::ok, std::move(bytes).str(), content_type(file));
  // Built assets carry a content hash in their names, so they never change; index.html must be
  // revalidated, or a browser keeps loading the assets of an old build.
  response.set(beast_http::field::cache_control, immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.set("X-Content-Type-Options", "nosniff");
  return response;
}

Response StaticFiles::serve(const std::vector<std::string>& segments) const {
  if (root_.empty()) {
    return error_response(ErrorCode::not_found, "the dashboard is not configured (http.dashboard_dir)");
  }
  for (const auto& segment : segments) {
    if (!segment.empty() && !safe_segment(segment)) {
      return error_response(ErrorCode::not_found, "no such file");
    }
  }
  if (auto file = resolve(segments)) {
    const bool index = file->filename() == "index.html";
    return file_response(*file, !index && !segments.empty() && segments.front() == "assets");
  }
  // A path with an extension names a file that is missing; any other path is a page of the dashboard.
  const bool names_file = !segments.empty() && fs::path(segments.back()).has_extension();
  if (names_file) return error_response(ErrorCode::not_found, "no such file: " + segments.back());
  if (auto index = resolve({"index.html"})) return file_response(*index, false);
  return error_response(ErrorCode::not_found, "the dashboard directory has no index.html");
}

}  // namespace sterifleet::http
