#include "sterifleet/testing/subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace sterifleet::testing {

TempDir::TempDir(const std::string& prefix) {
  std::random_device seed;
  std::mt19937_64 rng(seed());
  for (int attempt = 0; attempt < 100; ++attempt) {
    auto candidate = std::filesystem::temp_directory_path() /
                     (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rng() % 1'000'000'000));
    std::error_code error;
    if (std::filesystem::create_directory(candidate, error)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Subprocess::Subprocess(std::vector<std::string> argv, std::filesystem::path stdout_file,
                       std::filesystem::path stderr_file)
    : stdout_file_(std::move(stdout_file)), stderr_file_(std::move(stderr_file)) {
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    // Child: only async-signal-safe calls until exec. Die with the test even if it crashes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int out = ::open(stdout_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) ::dup2(out, STDOUT_FILENO);
    if (err >= 0) ::dup2(err, STDERR_FILENO);
    ::setpgid(0, 0);  // its own process group: a terminal's Ctrl-C goes to the test, not to it
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
}

Subprocess::~Subprocess() {
  if (running()) kill();
}

bool Subprocess::running() {
  if (pid_ < 0 || status_) return false;
  int status = 0;
  const auto result = ::waitpid(pid_, &status, WNOHANG);
  if (result == 0) return true;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

void Subprocess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::optional<int> Subprocess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  }
  return status_;
}

void Subprocess::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = 128 + SIGKILL;
}

Completed run_to_completion(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  const TempDir dir("sterifleet-command");
  Subprocess process(std::move(argv), dir.path() / "stdout", dir.path() / "stderr");
  const auto status = process.wait(timeout);
  if (!status) process.kill();
  return Completed{status.value_or(-1), process.stdout_text() + process.stderr_text()};
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Subprocess::stdout_text() const { return read_file(stdout_file_); }
std::string Subprocess::stderr_text() const { return read_file(stderr_file_); }

}  // namespace sterifleet::testing
