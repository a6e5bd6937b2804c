// "Nothing lost, nothing doubled", checked end to end: the (device, boot, seq) of every message the
// simulator logged as acknowledged by the broker (--sent-log) against the rows of the store's message table.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace sterifleet::testing {

struct MessageKey {
  std::string device;
  std::uint64_t boot = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const MessageKey&) const = default;
};

std::string to_string(const MessageKey& key);

/// The keys of a simulator --sent-log ("clinic device boot seq type" per line); throws on a bad line.
std::vector<MessageKey> read_sent_log(const std::filesystem::path& file);
/// How many times the store keeps each sequenced key: rows of its message table, and quarantined payloads
/// that name their topic's device (read-only; the daemon may run).
std::map<MessageKey, int> stored_message_keys(const std::filesystem::path& db);
/// The same of a PostgreSQL store (every shard), at a libpq URL.
std::map<MessageKey, int> stored_message_keys_in_postgresql(const std::string& url);
/// Sent keys stored zero times or more than once, one sentence each; empty when each is stored exactly once.
std::vector<std::string> lost_or_doubled(const std::vector<MessageKey>& sent, const std::map<MessageKey, int>& stored);
/// Polls the store until lost_or_doubled() is empty or `timeout` passes (a daemon may still be catching
/// up with the broker's queue); returns the last lost_or_doubled().
std::vector<std::string> wait_until_stored(const std::filesystem::path& db, const std::vector<MessageKey>& sent,
                                           std::chrono::milliseconds timeout);

std::vector<std::string> wait_until_stored_in_postgresql(const std::string& url, const std::vector<MessageKey>& sent,
                                                         std::chrono::milliseconds timeout);

}  // namespace sterifleet::testing
