// Runs a program in the background for integration tests: output captured to files, a bounded wait,
// signals, and a kill on destruction so that a failing test never leaves a process behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sterifleet::testing {

/// A fresh directory under the system temp dir, removed (recursively) on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "sterifleet-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// Not thread-safe. The child is killed when the thread that started it ends (Linux PR_SET_PDEATHSIG), so
/// a crashing test leaves nothing behind: start subprocesses from the test's main thread.
class Subprocess {
 public:
  /// Starts argv[0] (searched in PATH) with stdout and stderr written to `stdout_file` / `stderr_file`;
  /// throws std::runtime_error if it cannot be started.
  Subprocess(std::vector<std::string> argv, std::filesystem::path stdout_file, std::filesystem::path stderr_file);
  ~Subprocess();  ///< SIGKILL if still running
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  /// The exit status (128 + signal number when killed by a signal), or empty on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  /// SIGKILL and reap.
  void kill();

  std::string stdout_text() const;
  std::string stderr_text() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path stdout_file_;
  std::filesystem::path stderr_file_;
};

struct Completed {
  int status = -1;     ///< exit status (128 + signal when killed); -1 when it did not end in time
  std::string output;  ///< stdout, then stderr
};

/// Runs a command (argv[0] searched in PATH) to its end, killing it after `timeout`.
Completed run_to_completion(std::vector<std::string> argv,
                            std::chrono::milliseconds timeout = std::chrono::seconds{120});

/// Reads a whole file; empty when it does not exist.
std::string read_file(const std::filesystem::path& path);

}  // namespace sterifleet::testing
