// The server's live connections: a bounded number of places, and a way to close them all on stop.
// Thread-safe. A Slot is held by whichever session owns the socket and frees its place when dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace sterifleet::http {

/// A session that can be told to close from another thread (it posts the close to its own strand).
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void close() = 0;
};

class Connections : public std::enable_shared_from_this<Connections> {
 public:
  /// `observe` hears the number of open connections after every change (for a gauge).
  Connections(std::size_t limit, std::function<void(std::size_t)> observe)
      : limit_(limit), observe_(std::move(observe)) {}

  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();
    /// The session that holds the socket now (an HTTP session, then perhaps an event stream).
    void bind(std::weak_ptr<Closable> holder);

   private:
    friend class Connections;
    Slot(std::shared_ptr<Connections> owner, std::uint64_t id) : owner_(std::move(owner)), id_(id) {}
    void release() noexcept;
    std::shared_ptr<Connections> owner_;
    std::uint64_t id_ = 0;
  };

  /// A place, or none when `limit` connections are open or the server is stopping.
  std::optional<Slot> try_enter();
  /// Closes every connection and refuses new ones.
  void close_all();
  std::size_t count() const;

 private:
  mutable std::mutex mutex_;
  std::size_t limit_;
  std::function<void(std::size_t)> observe_;
  bool closed_ = false;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> live_;
};

}  // namespace sterifleet::http
