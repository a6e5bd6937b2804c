#include "sterifleet/ingest/grouping_queue.hpp"

#include <boost/asio/post.hpp>
#include <vector>

namespace sterifleet::ingest {

GroupingQueue::GroupingQueue(GroupingOptions options, boost::asio::any_io_executor executor, Store store)
    : options_(options),
      store_(std::move(store)),
      strand_(boost::asio::make_strand(std::move(executor))),
      group_timer_(strand_) {}

void GroupingQueue::push(Received message) {
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(std::move(message));
  if (!drain_scheduled_) {
    drain_scheduled_ = true;
    boost::asio::post(strand_, [this] { drain(); });
  } else if (queue_.size() == options_.full_group) {
    // A full group need not wait for the timer.
    boost::asio::post(strand_, [this] { drain(); });
  }
  room_.wait(lock, [this] { return queue_.size() < options_.max_queued || flushing_; });
}

std::size_t GroupingQueue::queued() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

void GroupingQueue::drain() {
  while (true) {
    {
      std::lock_guard lock(queue_mutex_);
      if (queue_.empty()) {
        drain_scheduled_ = false;
        group_timer_.cancel();
        return;
      }
      // Only a stream waits: a message after a quiet spell is stored at once.
      const auto now = std::chrono::steady_clock::now();
      const bool streaming = now - last_group_stored_ < options_.linger;
      const auto due = queue_.front().arrived + options_.linger;
      if (queue_.size() < options_.full_group && !flushing_ && streaming && now < due) {
        // Re-arming cancels the wait already set, if any: one timer chain at a time.
        group_timer_.expires_at(due);
        group_timer_.async_wait([this](boost::system::error_code error) {
          if (!error) drain();
        });
        return;
      }
    }
    store_group();
    last_group_stored_ = std::chrono::steady_clock::now();
  }
}

bool GroupingQueue::store_group() {
  std::lock_guard serial(store_mutex_);
  std::vector<Received> group;
  bool more = false;
  {
    std::lock_guard lock(queue_mutex_);
    const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(std::min(queue_.size(), options_.max_group));
    // Constructed, not assigned: assigning into the empty vector makes GCC 12 at -O3 report a null
    // dereference inside shared_ptr's move (a false positive).
    group = std::vector<Received>(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
    queue_.erase(queue_.begin(), end);
    more = !queue_.empty();
  }
  room_.notify_all();
  if (!group.empty()) store_(group);
  return more;
}

void GroupingQueue::flush() {
  {
    std::lock_guard lock(queue_mutex_);
    flushing_ = true;
  }
  room_.notify_all();
  while (store_group()) {
  }
}

}  // namespace sterifleet::ingest
