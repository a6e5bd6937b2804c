#include "shard_commands.hpp"

namespace sterifleet::app {

ShardCommands::ShardCommands(boost::asio::any_io_executor executor, const std::string& url, cluster::HeldLease lease,
                             std::string owner, fleet::Fleet& fleet, std::chrono::milliseconds poll,
                             std::function<void(std::exception_ptr)> failed)
    : inbox_(url, lease, std::move(owner)),
      fleet_(fleet),
      poll_(poll),
      failed_(std::move(failed)),
      socket_(executor, inbox_.socket()),
      timer_(executor) {}

ShardCommands::~ShardCommands() { socket_.release(); }

void ShardCommands::start() {
  run();
  wait_for_notification();
  wait_for_poll();
}

void ShardCommands::stop() {
  stopped_ = true;
  timer_.cancel();
  socket_.cancel();
}

void ShardCommands::run() {
  if (stopped_) return;
  try {
    inbox_.run_pending(fleet_);
  } catch (const std::exception&) {
    stop();
    failed_(std::current_exception());
  }
}

void ShardCommands::wait_for_notification() {
  socket_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    run();
    wait_for_notification();
  });
}

void ShardCommands::wait_for_poll() {
  timer_.expires_after(poll_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    run();
    wait_for_poll();
  });
}

}  // namespace sterifleet::app
