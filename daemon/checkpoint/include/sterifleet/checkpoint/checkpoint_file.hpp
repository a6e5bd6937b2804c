// The checkpoint file: one checkpoint a line (JSON Lines), appended by the daemon, read by auditors.
// A retained MQTT message or a notification saved to a file is the same line.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "sterifleet/checkpoint/checkpoint.hpp"

namespace sterifleet::checkpoint {

struct FileEntry {
  std::string source;  ///< "<file>:<line>"
  Parsed parsed;
};

/// Every non-blank line of `path`, each parsed (a bad line is an entry with its problem). Throws
/// std::runtime_error when the file cannot be read.
std::vector<FileEntry> read_checkpoint_file(const std::filesystem::path& path);

/// Appends `checkpoint` as one line and syncs it to disk; the file is made 0640 if it is not there.
/// Throws std::filesystem::filesystem_error.
void append_checkpoint(const std::filesystem::path& path, const Checkpoint& checkpoint);

}  // namespace sterifleet::checkpoint
