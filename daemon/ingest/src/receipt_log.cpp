#include "sterifleet/ingest/receipt_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <boost/crc.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <system_error>

namespace sterifleet::ingest {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t header_bytes = 8;              // body length, CRC
constexpr std::size_t body_fixed_bytes = 8 + 1 + 4;  // receipt, retained, topic length
constexpr std::uint32_t max_body_bytes = 64u << 20;  // far above any payload the broker passes
constexpr std::string_view segment_suffix = ".receipts";

std::uint32_t crc32(std::string_view bytes) {
  boost::crc_32_type crc;
  crc.process_bytes(bytes.data(), bytes.size());
  return crc.checksum();
}

template <class T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <class T>
T get(std::string_view in, std::size_t at) {
  T value;
  std::memcpy(&value, in.data() + at, sizeof(T));
  return value;
}

[[noreturn]] void fail(const std::string& what) {
  throw ReceiptLogError(what + ": " + std::error_code(errno, std::system_category()).message());
}

std::string read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ReceiptLogError("cannot read " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Segment numbers of the folder's segments, ascending.
std::vector<std::uint64_t> segment_numbers(const fs::path& folder) {
  std::vector<std::uint64_t> numbers;
  for (const auto& entry : fs::directory_iterator(folder)) {
    const auto name = entry.path().filename().string();
    if (!name.ends_with(segment_suffix)) continue;
    const auto stem = name.substr(0, name.size() - segment_suffix.size());
    if (stem.empty() || !std::all_of(stem.begin(), stem.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    numbers.push_back(std::stoull(stem));
  }
  std::sort(numbers.begin(), numbers.end());
  return numbers;
}

}  // namespace

ReceiptLog::ReceiptLog(fs::path folder, bool sync, std::uint64_t segment_bytes)
    : folder_(std::move(folder)), sync_(sync), segment_bytes_(segment_bytes) {
  std::error_code error;
  fs::create_directories(folder_, error);
  if (error) throw ReceiptLogError("cannot create the receipt log " + folder_.string() + ": " + error.message());
}

ReceiptLog::~ReceiptLog() { close_active(); }

fs::path ReceiptLog::segment_path(std::uint64_t number) const {
  char name[32];
  std::snprintf(name, sizeof name, "%012llu", static_cast<unsigned long long>(number));
  return folder_ / (std::string(name) + std::string(segment_suffix));
}

void ReceiptLog::open_segment(std::uint64_t number) {
  const auto path = segment_path(number);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) fail("cannot create " + path.string());
  active_ = {number, 0};
  active_bytes_ = 0;
}

void ReceiptLog::close_active() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

ReceiptLog::Recovered ReceiptLog::replay(std::int64_t stored, const std::function<void(Receipt&&)>& visit) {
  std::lock_guard lock(mutex_);
  Recovered recovered;
  std::int64_t last = stored;
  replayed_ = segment_numbers(folder_);
  for (const auto number : replayed_) {
    const auto path = segment_path(number);
    const std::string bytes = read_whole(path);
    std::size_t at = 0;
    while (at < bytes.size()) {
      const auto damaged = [&](const std::string& why) {
        recovered.warnings.push_back("receipt log " + path.string() + " at byte " + std::to_string(at) + ": " + why +
                                     "; the rest of this segment is ignored (a record cut short by a crash of the "
                                     "machine was never acknowledged)");
      };
      if (bytes.size() - at < header_bytes) {
        damaged("a record header cut short");
        break;
      }
      const auto length = get<std::uint32_t>(bytes, at);
      if (length < body_fixed_bytes || length > max_body_bytes || bytes.size() - at - header_bytes < length) {
        damaged("a record cut short or a bad length (" + std::to_string(length) + ")");
        break;
      }
      const std::string_view body(bytes.data() + at + header_bytes, length);
      if (crc32(body) != get<std::uint32_t>(bytes, at + 4)) {
        damaged("a record whose checksum does not match");
        break;
      }
      Receipt receipt;
      receipt.number = get<std::int64_t>(body, 0);
      receipt.retained = body[8] != 0;
      const auto topic_length = get<std::uint32_t>(body, 9);
      if (topic_length > length - body_fixed_bytes) {
        damaged("a topic longer than its record");
        break;
      }
      receipt.topic.assign(body.substr(body_fixed_bytes, topic_length));
      receipt.payload.assign(body.substr(body_fixed_bytes + topic_length));
      last = std::max(last, receipt.number);
      at += header_bytes + length;
      if (receipt.number > stored) {
        visit(std::move(receipt));
        ++recovered.receipts;
      }
    }
  }
  next_receipt_ = last + 1;
  return recovered;
}

void ReceiptLog::reopen() {
  std::lock_guard lock(mutex_);
  close_active();
  const auto existing = segment_numbers(folder_);
  // Past every segment there is, so that a new one never overwrites one that was not replayed.
  const std::uint64_t next = existing.empty() ? 1 : existing.back() + 1;
  for (const auto number : replayed_) {
    std::error_code error;
    fs::remove(segment_path(number), error);
    if (error) throw ReceiptLogError("cannot remove " + segment_path(number).string() + ": " + error.message());
  }
  open_segment(next);
  replayed_.clear();
}

std::int64_t ReceiptLog::append(std::string_view topic, std::string_view payload, bool retained) {
  std::lock_guard lock(mutex_);
  if (fd_ < 0) throw ReceiptLogError("the receipt log " + folder_.string() + " is not open (recover() first)");
  const std::int64_t number = next_receipt_;
  const auto body_length = static_cast<std::uint32_t>(body_fixed_bytes + topic.size() + payload.size());
  record_.clear();
  put(record_, body_length);
  put(record_, std::uint32_t{0});  // the CRC, once the body is there
  put(record_, number);
  record_.push_back(retained ? 1 : 0);
  put(record_, static_cast<std::uint32_t>(topic.size()));
  record_.append(topic);
  record_.append(payload);
  const auto crc = crc32(std::string_view(record_).substr(header_bytes));
  std::memcpy(record_.data() + 4, &crc, sizeof crc);
  std::size_t written = 0;
  while (written < record_.size()) {
    const auto n = ::write(fd_, record_.data() + written, record_.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot append to the receipt log " + segment_path(active_.number).string());
    }
    written += static_cast<std::size_t>(n);
  }
  if (sync_ && ::fdatasync(fd_) != 0) fail("cannot sync the receipt log " + segment_path(active_.number).string());
  ++next_receipt_;
  active_.last_receipt = number;
  active_bytes_ += record_.size();
  if (active_bytes_ >= segment_bytes_) {
    close_active();
    sealed_.push_back(active_);
    open_segment(active_.number + 1);
  }
  return number;
}

void ReceiptLog::release(std::int64_t stored) {
  std::lock_guard lock(mutex_);
  while (!sealed_.empty() && sealed_.front().last_receipt <= stored) {
    std::error_code error;
    fs::remove(segment_path(sealed_.front().number), error);
    if (error)
      throw ReceiptLogError("cannot remove " + segment_path(sealed_.front().number).string() + ": " + error.message());
    sealed_.pop_front();
  }
}

std::size_t ReceiptLog::segments() const {
  std::lock_guard lock(mutex_);
  return sealed_.size() + (fd_ >= 0 ? 1 : 0);
}

}  // namespace sterifleet::ingest
