// The ingest's receipt log: every MQTT message is appended here before Paho acknowledges it, so the
// store's commits can be grouped without acknowledging anything that a crash could lose.
//
// Why it exists: Paho acknowledges a QoS 1 message when the message callback returns and hands over
// the next one only then, so a callback that waited for its own store commit would make every commit
// a transaction of one message. Appending to this log is a copy into a shared file mapping, no
// system call: once it returns the record is in the operating system's page cache and survives a
// killed daemon, the same promise as the store's WAL with synchronous=NORMAL. (A write(2) a message
// and the checksum took about a tenth of the time of Paho's thread, the daemon's busiest.) The store
// records, in the transaction that stores a message, the number of the last receipt it holds
// (Store::last_receipt), and a restart re-runs only the receipts after it.
//
// On disk: a folder of segments named by a zero-padded number, each a run of records
//   u32 body length | u32 CRC-32 of the body | body: u64 receipt | u8 retained | u32 topic length | topic | payload
// (host byte order: the log never leaves the machine). A segment is reserved at its full size when
// opened (a full disk fails there, not on a store to the mapping) and cut to what it holds when
// closed; a length of zero ends it, so the zeros a killed daemon leaves are a clean end. A record that
// does not fit closes the segment (one larger than a segment gets one of its own size); a closed
// segment is deleted once the store holds all of its receipts. A record cut short by a crash of the
// machine ends its segment; recovery reports it.
//
// Thread-safety: append() is called by one thread (Paho's), release() by another; both lock.
#pragma once

#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace sterifleet::ingest {

class ReceiptLogError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Receipt {
  std::int64_t number = 0;
  bool retained = false;
  std::string topic;
  std::string payload;
};

class ReceiptLog {
 public:
  static constexpr std::uint64_t default_segment_bytes = 16ull << 20;

  /// Opens (creating) the folder. Nothing is written before reopen() ran.
  /// `sync`: msync each record to disk, for a store that promises to survive power loss (synchronous=FULL).
  explicit ReceiptLog(std::filesystem::path folder, bool sync = false,
                      std::uint64_t segment_bytes = default_segment_bytes);
  ~ReceiptLog();
  ReceiptLog(const ReceiptLog&) = delete;
  ReceiptLog& operator=(const ReceiptLog&) = delete;

  struct Recovered {
    std::size_t receipts = 0;           ///< handed to `visit`: numbered after `stored`
    std::vector<std::string> warnings;  ///< damaged records, and where
  };
  /// Hands every receipt numbered after `stored` (the store's last_receipt()) to `visit`, in order.
  /// Throws ReceiptLogError when the folder cannot be read, and whatever `visit` throws.
  Recovered replay(std::int64_t stored, const std::function<void(Receipt&&)>& visit);
  /// Once the store holds everything replay() handed out: removes the old segments and opens a new
  /// one, numbering on after them. Throws ReceiptLogError.
  void reopen();

  /// Appends one message and returns its receipt number. Throws ReceiptLogError (then the message
  /// must not be acknowledged).
  std::int64_t append(std::string_view topic, std::string_view payload, bool retained);

  /// The store now holds every receipt up to `stored`: segments holding nothing later are deleted.
  void release(std::int64_t stored);

  std::size_t segments() const;

 private:
  struct Segment {
    std::uint64_t number = 0;
    std::int64_t last_receipt = 0;  ///< 0: none yet
  };
  std::filesystem::path segment_path(std::uint64_t number) const;
  /// Creates, reserves and maps a segment of the configured size, or of `record_bytes` if larger.
  void open_segment(std::uint64_t number, std::uint64_t record_bytes);
  void close_active();

  std::filesystem::path folder_;
  bool sync_;
  std::uint64_t segment_bytes_;
  mutable std::mutex mutex_;
  int fd_ = -1;             ///< the active segment
  char* mapped_ = nullptr;  ///< all of it, shared with the file
  std::uint64_t mapped_bytes_ = 0;
  Segment active_;
  std::uint64_t active_bytes_ = 0;       ///< written
  std::deque<Segment> sealed_;           ///< closed segments, oldest first
  std::vector<std::uint64_t> replayed_;  ///< segments replay() read, removed by reopen()
  std::int64_t next_receipt_ = 1;
};

}  // namespace sterifleet::ingest
