#include "audit_command.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>
#include <sstream>

#include "sterifleet/checkpoint/checkpoint_file.hpp"
#include "sterifleet/checkpoint/history.hpp"
#include "sterifleet/store/store.hpp"
#include "store_url.hpp"

namespace sterifleet::app {

namespace {

namespace cp = checkpoint;

// Past this many, a list says how many more there are: a year of checkpoints is 35,000 lines.
constexpr std::size_t kListed = 10;

// "entity alert:3f2a..., action acknowledged", or why that cannot be said.
std::string describe(store::Store& store, const std::string& chain, std::int64_t seq) {
  const auto record = store.audit_record(chain, seq);
  if (!record) return "the record is gone";
  return "entity " + record->value("entity", std::string("?")) + ", action " +
         record->value("action", std::string("?"));
}

std::string stored_hash(store::Store& store, std::int64_t seq) {
  const auto record = store.audit_record(store::fleet_chain, seq);
  if (!record) throw store::StoreError("record " + std::to_string(seq) + " vanished while it was being verified");
  return record->value("hash", std::string());
}

struct CheckpointInput {
  std::vector<cp::Checkpoint> trusted;
  std::vector<std::string> sources;  ///< of each trusted one
  std::vector<std::string> refused;  ///< "<file>:<line>: <why>"
};

std::optional<crypto::PublicKey> read_public_key(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read the public key " + path);
  std::ostringstream text;
  text << in.rdbuf();
  const auto key = crypto::public_key_from_pem(text.str());
  if (!key) throw std::runtime_error(path + " is not an Ed25519 public key in PEM (openssl pkey -pubout writes one)");
  return key;
}

CheckpointInput read_checkpoints(const AuditVerifyOptions& options) {
  const auto pinned = options.public_key_file ? read_public_key(*options.public_key_file) : std::nullopt;
  CheckpointInput input;
  for (const auto& file : options.checkpoint_files) {
    const auto entries = cp::read_checkpoint_file(file);
    if (entries.empty()) input.refused.push_back(file + ": holds no checkpoint");
    for (const auto& entry : entries) {
      if (!entry.parsed.checkpoint) {
        input.refused.push_back(entry.source + ": not a checkpoint: " + entry.parsed.problem);
      } else if (const auto problem = cp::signature_problem(*entry.parsed.checkpoint, pinned)) {
        input.refused.push_back(entry.source + ": refused: " + *problem);
      } else {
        input.trusted.push_back(*entry.parsed.checkpoint);
        input.sources.push_back(entry.source);
      }
    }
  }
  return input;
}

template <typename Lines>
void list(std::ostream& out, const Lines& lines) {
  for (std::size_t i = 0; i < lines.size() && i < kListed; ++i) out << "    " << lines[i] << '\n';
  if (lines.size() > kListed) out << "    ... and " << lines.size() - kListed << " more\n";
}

void print_chain(std::ostream& out, store::Store& store, const std::string& db, const store::AuditVerification& result,
                 double seconds) {
  // A cluster's trail is a chain per clinic anchored in the fleet chain; a single daemon's is one chain.
  const bool chained_apart = result.chains > 1;
  if (result.intact) {
    out << "audit trail of " << db << ": intact\n"
        << "  " << result.records << " records verified in " << seconds << " s";
    if (chained_apart) out << ", in " << result.chains << " chains";
    out << "\n  head" << (chained_apart ? " of the fleet chain" : "") << ": record " << result.head.seq << ", hash "
        << result.head.hash << '\n';
    if (chained_apart) {
      out << "  anchors: every clinic chain's record named by the fleet chain is there with that hash; "
          << result.unanchored << " newer records not anchored yet\n";
    }
    return;
  }
  const auto seq = *result.first_bad;
  const auto& chain = result.first_bad_chain;
  out << "audit trail of " << db << ": ALTERED\n"
      << "  first bad record: " << seq;
  if (chained_apart || chain != store::fleet_chain) out << " of chain " << chain;
  out << " (" << describe(store, chain, seq) << ")\n"
      << "  problem: " << result.problem << '\n'
      << (chained_apart ? "  records found intact: " : "  records intact before it: ") << result.records << '\n'
      << "  head recorded by the store: record " << result.head.seq << ", hash " << result.head.hash << '\n';
}

// Returns whether the history differs from a checkpoint.
bool print_history(std::ostream& out, store::Store& store, const store::AuditVerification& result,
                   const CheckpointInput& input) {
  std::set<std::string> keys;
  for (const auto& c : input.trusted) keys.insert(cp::key_text(c.key));
  out << "checkpoints: " << input.trusted.size() << " trusted, " << input.refused.size() << " refused\n";
  for (const auto& key : keys) out << "  signed by key " << key << '\n';
  if (!input.refused.empty()) list(out, input.refused);
  if (input.trusted.empty()) return false;

  const cp::WalkedChain chain{result.fleet_records, !result.walked_to_end};
  const auto verdict =
      cp::compare_history(input.trusted, chain, [&](std::int64_t seq) { return stored_hash(store, seq); });
  std::vector<std::string> failing;
  std::vector<std::string> unjudged;
  for (std::size_t i = 0; i < input.trusted.size(); ++i) {
    const auto match = verdict.matches[i];
    if (match == cp::Match::holds) continue;
    const auto line = input.sources[i] + ": record " + std::to_string(input.trusted[i].seq) + ": " +
                      std::string(cp::to_string(match));
    (match == cp::Match::not_judged ? unjudged : failing).push_back(line);
  }
  if (!failing.empty()) list(out, failing);
  if (!unjudged.empty()) {
    out << "  not judged (at or past the first bad record):\n";
    list(out, unjudged);
  }
  if (verdict.finding == cp::Finding::holds) {
    out << "history: holds: " << verdict.summary << '\n';
    return false;
  }
  std::string name(cp::to_string(verdict.finding));
  for (auto& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  out << "history: " << name << ": " << verdict.summary << '\n';
  out << "  first record that differs: " << verdict.differs_from;
  if (verdict.differs_to != verdict.differs_from) out << " to " << verdict.differs_to << " (one of them)";
  out << '\n';
  return true;
}

}  // namespace

int audit_verify(const AuditVerifyOptions& options, std::ostream& out) {
  const bool postgresql = is_postgresql_url(options.db_path);
  // A cluster's URL may hold a password: it is shown masked, in the report and in every error.
  const std::string db = postgresql ? masked(options.db_path, options.db_path) : options.db_path;
  std::error_code error;
  if (!postgresql && !std::filesystem::is_regular_file(db, error)) {
    out << "cannot verify " << db << ": no such file\n";
    return audit_unreadable;
  }
  CheckpointInput checkpoints;
  try {
    checkpoints = read_checkpoints(options);
  } catch (const std::exception& e) {
    out << "cannot verify " << db << ": " << e.what() << '\n';
    return audit_unreadable;
  }
  try {
    store::SqliteOptions sqlite;
    sqlite.read_only = true;
    // Without a writer, a PostgreSQL store only reads: the whole cluster's trail, every shard's records.
    const auto store = store::open_store(options.db_path, sqlite);
    const auto started = std::chrono::steady_clock::now();
    const auto result = store->verify_audit();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    print_chain(out, *store, db, result, took.count());
    if (options.checkpoint_files.empty()) return result.intact ? audit_intact : audit_altered;
    const bool differs = print_history(out, *store, result, checkpoints);
    if (!result.intact || differs) return audit_altered;
    return checkpoints.refused.empty() && !checkpoints.trusted.empty() ? audit_intact : audit_checkpoint_refused;
  } catch (const store::StoreError& e) {
    out << "cannot verify " << db << ": " << masked(e.what(), options.db_path) << '\n';
    return audit_unreadable;
  }
}

}  // namespace sterifleet::app
