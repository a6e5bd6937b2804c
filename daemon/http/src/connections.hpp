// The server's live connections: a bounded number of places in total and per client address, a small
// overflow beyond them, and a way to close them all on stop. Thread-safe. A Slot is held by whichever
// session owns the socket and frees its place when dropped.
//
// Why an overflow: a flood of connections from one address (or from everyone) must not make /healthz
// and /readyz unanswerable, or the orchestrator restarts a daemon that is only busy. A connection
// beyond a limit is not closed at once but given an overflow place, where it may ask for health or
// readiness and is otherwise told why it was refused. Overflow places never run out: a new one
// evicts the oldest, so idle sockets cannot hold them against a probe that is about to ask.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sterifleet::http {

/// A session that can be told to close from another thread (it posts the close to its own strand).
class Closable {
 public:
  virtual ~Closable() = default;
  virtual void close() = 0;
};

struct ConnectionLimits {
  std::size_t total;       ///< connections, event streams included
  std::size_t per_client;  ///< from one client address
  std::size_t overflow;    ///< beyond those: answered only for health and readiness
};

class Connections : public std::enable_shared_from_this<Connections> {
 public:
  /// Why a connection holds an overflow place rather than a regular one.
  enum class Over { none, total, client };

  /// `observe` hears the number of open connections after every change (for a gauge), `evicted` of each
  /// overflow connection closed unanswered to make room.
  Connections(ConnectionLimits limits, std::function<void(std::size_t)> observe, std::function<void()> evicted)
      : limits_(limits), observe_(std::move(observe)), evicted_(std::move(evicted)) {}

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
    Over over() const { return over_; }

   private:
    friend class Connections;
    Slot(std::shared_ptr<Connections> owner, std::uint64_t id, std::string client, Over over)
        : owner_(std::move(owner)), id_(id), client_(std::move(client)), over_(over) {}
    void release() noexcept;
    std::shared_ptr<Connections> owner_;
    std::uint64_t id_ = 0;
    std::string client_;
    Over over_ = Over::none;
  };

  /// A place for a connection from `client` (its address), regular or overflow; none when the server
  /// is stopping. May close the oldest overflow connection to make room.
  std::optional<Slot> try_enter(const std::string& client);
  /// Closes every connection and refuses new ones.
  void close_all();
  std::size_t count() const;
  const ConnectionLimits& limits() const { return limits_; }

 private:
  mutable std::mutex mutex_;
  ConnectionLimits limits_;
  std::function<void(std::size_t)> observe_;
  std::function<void()> evicted_;
  bool closed_ = false;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> live_;
  std::size_t regular_ = 0;
  std::unordered_map<std::string, std::size_t> per_client_;  ///< regular places by client address
  std::deque<std::uint64_t> overflow_;                       ///< oldest first
};

}  // namespace sterifleet::http
