// What each token holds open: connections it authenticated and event streams, each bounded per token
// (streams also in total), and a way to end a token's streams when it is revoked. Thread-safe.
// A Place is held by the session it was taken for and frees itself when dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "connections.hpp"
#include "limits.hpp"

namespace sterifleet::http {

struct TokenLimits {
  std::size_t connections_per_token;
  std::size_t streams;
  std::size_t streams_per_token;
};

/// An event stream that can be told, from another thread, that its token was revoked: it ends.
class Revocable {
 public:
  virtual ~Revocable() = default;
  virtual void revoked() = 0;
};

class TokenPlaces : public std::enable_shared_from_this<TokenPlaces> {
 public:
  explicit TokenPlaces(TokenLimits limits) : limits_(limits) {}

  enum class Kind { connection, stream };

  class Place {
   public:
    Place() = default;
    Place(Place&& other) noexcept;
    Place& operator=(Place&& other) noexcept;
    Place(const Place&) = delete;
    Place& operator=(const Place&) = delete;
    ~Place();
    /// The stream to close when its token is revoked. False when the token was revoked already
    /// (after the stream's request was authenticated): the caller closes it.
    [[nodiscard]] bool bind(std::weak_ptr<Revocable> holder);
    const std::string& token() const { return token_; }
    explicit operator bool() const { return owner_ != nullptr; }

   private:
    friend class TokenPlaces;
    Place(std::shared_ptr<TokenPlaces> owner, Kind kind, std::string token, std::uint64_t id)
        : owner_(std::move(owner)), kind_(kind), token_(std::move(token)), id_(id) {}
    void release() noexcept;
    std::shared_ptr<TokenPlaces> owner_;
    Kind kind_ = Kind::connection;
    std::string token_;
    std::uint64_t id_ = 0;
  };

  /// `token`: the token's id (any stable key for a token without one).
  /// A place, or the limit that refuses it.
  std::variant<Place, Limit> try_take(Kind kind, const std::string& token);
  /// Ends every stream of `token`; it may open none any more (its requests no longer authenticate).
  void revoke(const std::string& token);
  std::size_t streams() const;
  /// The tokens that hold a stream now.
  std::vector<std::string> tokens_with_streams() const;
  const TokenLimits& limits() const { return limits_; }

 private:
  struct Held {
    std::size_t connections = 0;
    std::map<std::uint64_t, std::weak_ptr<Revocable>> streams;
  };

  mutable std::mutex mutex_;
  TokenLimits limits_;
  std::uint64_t next_id_ = 0;
  std::size_t streams_ = 0;
  std::map<std::string, Held> held_;
  std::set<std::string> revoked_;  ///< revocation is final, so this grows only with the tokens made
};

}  // namespace sterifleet::http
