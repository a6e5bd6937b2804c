// What sterifleetd leaves on disk is its own: the database, its WAL and SHM are created 0600 and the
// receipts folder 0700 whatever the umask lets through; a bootstrap secret short enough to guess is
// refused at start.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "sterifleet/testing/daemon.hpp"
#include "sterifleet/testing/mosquitto.hpp"

namespace sterifleet::testing {
namespace {

unsigned mode_of(const std::filesystem::path& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) {
    ADD_FAILURE() << "cannot stat " << path;
    return 0;
  }
  return status.st_mode & 07777;
}

TEST(Files, DatabaseWalShmAndReceipts_AreTheDaemonsAlone) {
  const auto previous = ::umask(022);  // the usual one: it would let others read
  Mosquitto broker;
  Daemon daemon({STERIFLEETD_PATH, broker.url()});
  ::umask(previous);
  const auto db = daemon.db().string();
  // WAL and SHM exist while the daemon holds the database open.
  for (const auto& file : {db, db + "-wal", db + "-shm"}) EXPECT_EQ(mode_of(file), 0600u) << file;
  EXPECT_EQ(mode_of(db + "-receipts"), 0700u);
}

TEST(Files, AShortBootstrapSecret_IsRefusedAtStart) {
  Mosquitto broker;
  DaemonOptions options(STERIFLEETD_PATH, broker.url());
  options.token = "only-twenty-three-chars";
  options.ready_timeout = std::chrono::seconds{10};
  try {
    Daemon daemon(options);
    ADD_FAILURE() << "started with a 23-character bootstrap secret";
  } catch (const std::runtime_error& e) {
    const std::string log = e.what();
    EXPECT_NE(log.find("the bootstrap token (http.bootstrap_token or STERIFLEET_BOOTSTRAP_TOKEN) has 23 characters; "
                       "it needs at least 24"),
              std::string::npos)
        << log;
  }
}

}  // namespace
}  // namespace sterifleet::testing
