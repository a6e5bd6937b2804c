#include "state_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace sterifleet::sim {

namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& path) {
  throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void write_all(int fd, const std::string& text, const std::filesystem::path& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("cannot write", path);
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

StateStore::StateStore(std::filesystem::path directory) {
  std::filesystem::create_directories(directory);
  file_ = directory / "sterifleet-sim.state.json";
  std::ifstream in(file_);
  if (!in) return;  // first run
  std::stringstream text;
  text << in.rdbuf();
  const auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) throw std::runtime_error("corrupt state file " + file_.string());
  if (const auto it = json.find("boots"); it != json.end() && it->is_object()) {
    for (const auto& [device, boot] : it->items()) boots_[device] = boot.get<std::uint32_t>();
  }
  if (const auto it = json.find("last_end"); it != json.end() && it->is_string()) {
    last_end_ = protocol::parse_timestamp(it->get<std::string>());
  }
}

void StateStore::set_boot(const std::string& device, std::uint32_t boot) {
  boots_[device] = boot;
  save();
}

void StateStore::set_boots(const std::map<std::string, std::uint32_t>& boots) {
  for (const auto& [device, boot] : boots) boots_[device] = boot;
  save();
}

void StateStore::set_last_end(protocol::Timestamp end) {
  last_end_ = end;
  save();
}

void StateStore::save() const {
  nlohmann::ordered_json json{{"version", 1}, {"boots", boots_}};
  if (last_end_) json["last_end"] = protocol::format_timestamp(*last_end_);
  const auto temporary = std::filesystem::path(file_.string() + ".tmp");
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", temporary);
  write_all(fd, json.dump(1) + "\n", temporary);
  if (::fsync(fd) != 0 || ::close(fd) != 0) fail("cannot sync", temporary);
  if (std::rename(temporary.c_str(), file_.c_str()) != 0) fail("cannot replace", file_);
  // The rename itself must survive a crash too.
  const int dir = ::open(file_.parent_path().empty() ? "." : file_.parent_path().c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace sterifleet::sim
