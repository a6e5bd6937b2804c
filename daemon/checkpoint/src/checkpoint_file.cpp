#include "sterifleet/checkpoint/checkpoint_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace sterifleet::checkpoint {

std::vector<FileEntry> read_checkpoint_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string() + ": " + std::generic_category().message(errno));
  std::vector<FileEntry> entries;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    entries.push_back({path.string() + ":" + std::to_string(number), from_line(line)});
  }
  if (in.bad()) throw std::runtime_error("reading " + path.string() + " failed");
  return entries;
}

void append_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint) {
  const auto line = to_line(checkpoint) + '\n';
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  auto fail = [&](const char* what) {
    const std::error_code error(errno, std::generic_category());
    if (fd >= 0) ::close(fd);
    throw std::filesystem::filesystem_error(what, path, error);
  };
  if (fd < 0) fail("cannot open the checkpoint file");
  // One write of the whole line: O_APPEND keeps lines whole even beside another writer.
  const auto written = ::write(fd, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) fail("cannot append to the checkpoint file");
  if (::fsync(fd) != 0) fail("cannot sync the checkpoint file");
  ::close(fd);
}

}  // namespace sterifleet::checkpoint
