// The real limit for the ingest benchmark: a Paho async subscriber that does nothing but count, with
// the same session, QoS and acknowledgement model as sterifleetd (a persistent session, QoS 1, the
// message acknowledged when the callback returns; Paho's trace set as sterifleetd sets it). Whatever it
// reaches, no daemon on Paho can beat.
//
// With --store it is the least any consumer that keeps the messages can do: each message handed to a
// second thread that appends its topic and payload to one SQLite table (WAL, synchronous=NORMAL, a
// transaction a group of 1,000 or 5 ms, as sterifleetd groups), nothing decoded, judged or indexed, and
// acknowledged before it is stored (sterifleetd cannot skip what this skips). Its rate counts committed
// messages.
//
//   bare_subscriber --broker tcp://127.0.0.1:1883 --client-id bare --prepare   # make the session
//   bare_subscriber --broker tcp://127.0.0.1:1883 --client-id bare --count N   # drain N, print JSON
//   bare_subscriber ... --count N --store raw.db                               # the same, stored
#include <mqtt/async_client.h>
#include <sqlite3.h>

// GCC 12 at -O2 reports a null dereference inside CLI11's string splitting (a false positive in
// third-party code).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

// Appends (topic, payload) rows on its own thread, a transaction a group (kGroup, or what kGroupWait brings).
class RawStore {
 public:
  explicit RawStore(const std::string& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    exec(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL)");
    if (sqlite3_prepare_v2(db_, "INSERT INTO messages (topic, payload) VALUES (?, ?)", -1, &insert_, nullptr) !=
        SQLITE_OK)
      throw std::runtime_error(sqlite3_errmsg(db_));
    writer_ = std::thread([this] { write_until_stopped(); });
  }
  RawStore(const RawStore&) = delete;
  RawStore& operator=(const RawStore&) = delete;
  ~RawStore() {
    finish();
    sqlite3_finalize(insert_);
    sqlite3_close(db_);
  }

  // Wakes the writer only when a group is full, as sterifleetd's ordered stage is woken: a wake-up a
  // message would cost the receive thread a system call each.
  void add(mqtt::const_message_ptr message) {
    bool full = false;
    {
      const std::lock_guard lock(mutex_);
      pending_.push_back(std::move(message));
      full = pending_.size() == kGroup;
    }
    if (full) queued_.notify_one();
  }

  // Committed messages, and when the first and the last transaction ended (the first one's messages
  // are left out of the rate, as the ingest benchmark does for sterifleetd).
  struct Progress {
    std::uint64_t committed = 0;
    std::uint64_t first_transaction = 0;
    Clock::time_point first;
    Clock::time_point last;
  };
  // Commits what is still queued, then stops the writer.
  Progress finish() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    queued_.notify_one();
    if (writer_.joinable()) writer_.join();
    return progress_;
  }

 private:
  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
  }

  void write_until_stopped() {
    std::vector<mqtt::const_message_ptr> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        // A group of kGroup, or whatever kGroupWait brought (sterifleetd's group: 1,000 or 5 ms).
        queued_.wait_for(lock, kGroupWait, [&] { return stopping_ || pending_.size() >= kGroup; });
        if (pending_.empty()) {
          if (stopping_) return;
          continue;
        }
        batch.swap(pending_);
      }
      exec("BEGIN");
      for (const auto& message : batch) {
        const auto& topic = message->get_topic();
        const auto& payload = message->get_payload();
        sqlite3_bind_text(insert_, 1, topic.data(), static_cast<int>(topic.size()), SQLITE_STATIC);
        sqlite3_bind_blob(insert_, 2, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
        if (sqlite3_step(insert_) != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db_));
        sqlite3_reset(insert_);
      }
      exec("COMMIT");
      const auto now = Clock::now();
      const std::lock_guard lock(mutex_);
      if (progress_.committed == 0) {
        progress_.first = now;
        progress_.first_transaction = batch.size();
      }
      progress_.committed += batch.size();
      progress_.last = now;
      batch.clear();
    }
  }

  static constexpr std::size_t kGroup = 1000;
  static constexpr std::chrono::milliseconds kGroupWait{5};

  sqlite3* db_ = nullptr;
  sqlite3_stmt* insert_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::vector<mqtt::const_message_ptr> pending_;
  bool stopping_ = false;
  Progress progress_;
  std::thread writer_;
};

mqtt::connect_options persistent_session() {
  mqtt::connect_options options;
  options.set_clean_session(false);
  options.set_keep_alive_interval(std::chrono::seconds(30));
  return options;
}

void subscribe_device_channels(mqtt::async_client& client) {
  const auto filters = std::make_shared<mqtt::string_collection>();
  std::vector<int> qos;
  for (const auto* channel : {"birth", "event", "telemetry", "status"}) {
    filters->push_back(std::string("sterifleet/v1/+/+/") + channel);
    qos.push_back(1);
  }
  client.subscribe(filters, qos)->wait();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"bare_subscriber: counts QoS 1 messages on sterifleet's device channels"};
  std::string broker = "tcp://127.0.0.1:1883";
  std::string client_id = "bare-subscriber";
  std::uint64_t count = 0;
  bool prepare = false;
  double timeout_s = 600;
  std::string store_path;
  cli.add_option("--broker", broker, "broker URL");
  cli.add_option("--client-id", client_id, "client id of the persistent session");
  cli.add_option("--count", count, "messages to receive before stopping");
  cli.add_flag("--prepare", prepare, "create the session and subscriptions, then disconnect");
  cli.add_option("--timeout", timeout_s, "give up after this many seconds");
  cli.add_option("--store", store_path, "also append every message to this SQLite file, on a second thread");
  CLI11_PARSE(cli, argc, argv);

  // Paho tuned as sterifleetd tunes it (daemon/ingest/src/mqtt_ingest.cpp): its per-packet in-memory
  // trace off. Whatever makes Paho faster for the daemon must make the real limit faster too.
  MQTTAsync_setTraceLevel(MQTTASYNC_TRACE_ERROR);
  mqtt::async_client client(broker, client_id);
  std::optional<RawStore> store;
  if (!store_path.empty() && !prepare) store.emplace(store_path);
  std::atomic<std::uint64_t> received{0};
  Clock::time_point first;
  Clock::time_point last;
  std::mutex mutex;
  std::condition_variable done;
  client.set_message_callback([&](mqtt::const_message_ptr message) {
    if (store) store->add(std::move(message));
    const auto now = Clock::now();
    if (received.load() == 0) first = now;
    last = now;
    if (received.fetch_add(1) + 1 == count) {
      const std::lock_guard lock(mutex);
      done.notify_one();
    }
  });
  client.connect(persistent_session())->wait();
  if (prepare) {
    subscribe_device_channels(client);
    client.disconnect()->wait();
    return 0;
  }
  {
    std::unique_lock lock(mutex);
    done.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] { return received.load() >= count; });
  }
  client.disconnect()->wait();
  auto n = received.load();
  double seconds = n > 1 ? std::chrono::duration<double>(last - first).count() : 0.0;
  double per_second = seconds > 0 ? static_cast<double>(n - 1) / seconds : 0.0;
  if (store) {
    const auto progress = store->finish();
    n = progress.committed;
    seconds = std::chrono::duration<double>(progress.last - progress.first).count();
    per_second = seconds > 0 ? static_cast<double>(n - progress.first_transaction) / seconds : 0.0;
  }
  std::cout << R"({"messages":)" << n << R"(,"seconds":)" << seconds << R"(,"per_second":)" << per_second << "}\n";
  return n >= count ? 0 : 1;
}
