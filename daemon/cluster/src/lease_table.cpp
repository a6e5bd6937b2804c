#include "sterifleet/cluster/lease_table.hpp"

#include <pqxx/pqxx>
#include <utility>

namespace sterifleet::cluster {

namespace {

constexpr int max_shards = 1024;

// Milliseconds since the Unix epoch, NULL for NULL and for the infinities (a released lease expires at
// '-infinity', which extract() would turn into a float no bigint holds).
std::string millis(const std::string& column) {
  return "CASE WHEN " + column + " IS NULL OR NOT isfinite(" + column + ") THEN NULL ELSE (extract(epoch FROM " +
         column + ") * 1000)::bigint END";
}

std::optional<SystemMillis> time_of(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return SystemMillis{std::chrono::milliseconds{field.as<std::int64_t>()}};
}

}  // namespace

struct LeaseTable::Session {
  explicit Session(const std::string& url) : connection(url) {}
  pqxx::connection connection;
};

LeaseTable::LeaseTable(LeaseTableOptions options) : options_(std::move(options)) {
  if (options_.daemon_id.empty()) throw ClusterError("lease table: the daemon id is empty");
  if (options_.ttl <= std::chrono::milliseconds::zero())
    throw ClusterError("lease table: the lease ttl must be positive");
}

LeaseTable::~LeaseTable() = default;

LeaseTable::Session& LeaseTable::session() {
  if (!session_) {
    session_ = std::make_unique<Session>(options_.url);
    pqxx::nontransaction setup(session_->connection);
    setup.exec_params("SELECT set_config('statement_timeout', $1, false), set_config('application_name', $2, false)",
                      std::to_string(options_.statement_timeout.count()), "sterifleetd-lease " + options_.daemon_id);
    backend_pid_ = session_->connection.backendpid();
    locked_.clear();
  }
  // libpqxx reconnects a broken connection by itself: the session, and every advisory lock it held, is
  // then another one.
  if (session_->connection.backendpid() != backend_pid_) {
    backend_pid_ = session_->connection.backendpid();
    locked_.clear();
  }
  return *session_;
}

void LeaseTable::forget_connection() {
  session_.reset();
  locked_.clear();
}

template <typename Operation>
auto LeaseTable::guarded(Operation&& operation) {
  try {
    return operation();
  } catch (const pqxx::broken_connection& e) {
    // The session is gone, and with it our advisory locks: start over with a new one.
    forget_connection();
    throw ClusterError(std::string("lease database connection lost: ") + e.what());
  } catch (const pqxx::undefined_table& e) {
    throw ClusterError(std::string("the cluster tables are missing (run the store's migrations first): ") + e.what());
  } catch (const pqxx::sql_error& e) {
    throw ClusterError("lease database error (SQLSTATE " + e.sqlstate() + "): " + e.what());
  }
}

void LeaseTable::check_shard(int shard) const {
  if (shards_ == 0) throw std::logic_error("LeaseTable: init(shards) before using a shard's lease");
  if (shard < 0 || shard >= shards_) {
    throw ClusterError("shard " + std::to_string(shard) + " is outside 0.." + std::to_string(shards_ - 1));
  }
}

void LeaseTable::init(int shards) {
  if (shards < 1 || shards > max_shards) {
    throw ClusterError("cluster.shards must be 1.." + std::to_string(max_shards) + ", not " + std::to_string(shards));
  }
  guarded([&] {
    pqxx::work work(session().connection);
    work.exec_params("INSERT INTO cluster (id, shards) VALUES (1, $1) ON CONFLICT (id) DO NOTHING", shards);
    const auto agreed = work.exec_params1("SELECT shards FROM cluster WHERE id = 1")[0].as<int>();
    if (agreed != shards) {
      throw ClusterError("the database's cluster has " + std::to_string(agreed) + " shards and this daemon is set to " +
                         std::to_string(shards) +
                         ": the shard count is fixed when the cluster is created (every clinic's shard would "
                         "move), so set cluster.shards = " +
                         std::to_string(agreed));
    }
    work.exec_params(
        "INSERT INTO shard_leases (shard) SELECT generate_series(0, $1 - 1) ON CONFLICT (shard) DO NOTHING", shards);
    work.commit();
  });
  shards_ = shards;
}

bool LeaseTable::try_lock(int shard) {
  if (locked_.count(shard) != 0) return true;
  pqxx::nontransaction work(session().connection);
  const bool got = work.exec_params1("SELECT pg_try_advisory_lock($1, $2)", advisory_class, shard)[0].as<bool>();
  if (got) locked_.insert(shard);
  return got;
}

void LeaseTable::unlock(int shard) {
  if (locked_.erase(shard) == 0) return;
  pqxx::nontransaction work(session().connection);
  work.exec_params("SELECT pg_advisory_unlock($1, $2)", advisory_class, shard);
}

std::optional<Epoch> LeaseTable::claim(int shard) {
  check_shard(shard);
  return guarded([&]() -> std::optional<Epoch> {
    // Holding the lock means the owner's session is gone (it held the lock while it owned the lease), so
    // even an unexpired lease may be taken. Without it, only an expired lease: a free one whose lock
    // someone holds is being claimed by that someone right now.
    const bool locked = try_lock(shard);
    const auto result = pqxx::nontransaction(session().connection)
                            .exec_params(
                                "UPDATE shard_leases SET owner = $1, epoch = epoch + 1, expires_at = "
                                "clock_timestamp() + $2 * interval '1 millisecond', claimed_at = "
                                "clock_timestamp(), renewed_at = clock_timestamp() WHERE shard = $3 AND ($4 "
                                "OR (owner IS NOT NULL AND expires_at <= clock_timestamp())) RETURNING epoch",
                                options_.daemon_id, static_cast<std::int64_t>(options_.ttl.count()), shard, locked);
    if (result.empty()) {
      if (locked) unlock(shard);
      return std::nullopt;
    }
    return result[0][0].as<Epoch>();
  });
}

bool LeaseTable::renew(int shard, Epoch epoch) {
  check_shard(shard);
  return guarded([&] {
    const auto result =
        pqxx::nontransaction(session().connection)
            .exec_params(
                "UPDATE shard_leases SET expires_at = clock_timestamp() + $1 * interval '1 millisecond', renewed_at = "
                "clock_timestamp() WHERE shard = $2 AND owner = $3 AND epoch = $4 AND expires_at > clock_timestamp()",
                static_cast<std::int64_t>(options_.ttl.count()), shard, options_.daemon_id, epoch);
    const bool renewed = result.affected_rows() == 1;
    // An owner that claimed an expired lease while its paused former owner still held the lock takes the
    // lock once that one lets go, so that its own crash can be told from a pause again.
    if (renewed) {
      try_lock(shard);
    } else {
      unlock(shard);
    }
    return renewed;
  });
}

void LeaseTable::release(int shard, Epoch epoch) {
  check_shard(shard);
  guarded([&] {
    try {
      pqxx::nontransaction(session().connection)
          .exec_params(
              "UPDATE shard_leases SET owner = NULL, expires_at = '-infinity' WHERE shard = $1 AND owner = $2 AND "
              "epoch = $3",
              shard, options_.daemon_id, epoch);
    } catch (const pqxx::broken_connection&) {
      throw;  // the session's locks are gone with it
    } catch (const pqxx::failure&) {
      // The lease is given up either way (released after its local deadline while the database was
      // slow, say): the lock of a lease not ours would make its next owner look alive after it died.
      unlock(shard);
      throw;
    }
    unlock(shard);
  });
}

void LeaseTable::heartbeat(const std::string& api) {
  guarded([&] {
    pqxx::nontransaction work(session().connection);
    // A daemon id used again by a new process starts anew.
    work.exec_params(
        "INSERT INTO daemons (id, started_at, heartbeat_at, api) VALUES ($1, clock_timestamp(), clock_timestamp(), $2) "
        "ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, api = EXCLUDED.api, started_at = CASE "
        "WHEN $3 THEN daemons.started_at ELSE EXCLUDED.started_at END",
        options_.daemon_id, api, heartbeat_started_);
  });
  heartbeat_started_ = true;
}

std::vector<DaemonRow> LeaseTable::live_daemons(std::chrono::milliseconds window) {
  return guarded([&] {
    pqxx::nontransaction work(session().connection);
    const auto result =
        work.exec_params("SELECT id, coalesce(api, ''), " + millis("started_at") + ", " + millis("heartbeat_at") +
                             " FROM daemons WHERE heartbeat_at > clock_timestamp() - $1 * interval '1 "
                             "millisecond' ORDER BY id",
                         static_cast<std::int64_t>(window.count()));
    std::vector<DaemonRow> daemons;
    for (const auto& row : result) {
      daemons.push_back({row[0].as<std::string>(), row[1].as<std::string>(), *time_of(row[2]), *time_of(row[3])});
    }
    return daemons;
  });
}

std::vector<LeaseRow> LeaseTable::leases() {
  return guarded([&] {
    pqxx::nontransaction work(session().connection);
    const auto result = work.exec_params(
        "SELECT l.shard, l.owner, l.epoch, l.owner IS NOT NULL AND l.expires_at > clock_timestamp(), "
        "EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted AND k.database = (SELECT oid "
        "FROM pg_database WHERE datname = current_database()) AND k.classid = $1::oid AND k.objid = l.shard::oid AND "
        "k.objsubid = 2), "
        "CASE WHEN l.owner IS NOT NULL AND l.expires_at > clock_timestamp() THEN (extract(epoch FROM l.expires_at - "
        "clock_timestamp()) * 1000)::bigint ELSE 0 END, " +
            millis("l.expires_at") + ", " + millis("l.claimed_at") + ", " + millis("l.renewed_at") +
            ", EXISTS (SELECT 1 FROM clinic_shards c WHERE c.shard = l.shard) FROM shard_leases l ORDER BY l.shard",
        advisory_class);
    std::vector<LeaseRow> rows;
    for (const auto& row : result) {
      LeaseRow lease;
      lease.shard = row[0].as<int>();
      if (!row[1].is_null()) lease.owner = row[1].as<std::string>();
      lease.epoch = row[2].as<Epoch>();
      lease.held = row[3].as<bool>();
      lease.locked = row[4].as<bool>();
      lease.remaining = std::chrono::milliseconds{row[5].as<std::int64_t>()};
      lease.expires_at = time_of(row[6]);
      lease.claimed_at = time_of(row[7]);
      lease.renewed_at = time_of(row[8]);
      lease.judges_clinics = row[9].as<bool>();
      rows.push_back(std::move(lease));
    }
    return rows;
  });
}

}  // namespace sterifleet::cluster
