#include "report_command.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sterifleet/checkpoint/checkpoint.hpp"
#include "sterifleet/crypto/ed25519.hpp"
#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/report/compliance.hpp"
#include "sterifleet/report/verify.hpp"
#include "sterifleet/store/store.hpp"
#include "time_option.hpp"

namespace sterifleet::app {

namespace {

using protocol::Timestamp;

bool store_exists(const std::string& path, std::ostream& log) {
  std::error_code error;
  if (std::filesystem::is_regular_file(path, error)) return true;
  log << "--db: no store at " << path << '\n';
  return false;
}

// Every check of the options, each with the option it is about; nullopt (and a message) when one fails.
std::optional<report::ComplianceRequest> request_of(const ReportOptions& o, std::ostream& log) {
  report::ComplianceRequest request;
  const auto format = report::parse_format(o.format);
  const auto from = parse_time_option(o.from);
  const auto to = parse_time_option(o.to);
  if (o.clinic && !protocol::is_valid_id(*o.clinic)) {
    log << "--clinic: must be 1 to 64 letters, digits, '_', '.' or '-'\n";
  } else if (!from) {
    log << "--from: expected an RFC 3339 UTC timestamp like 2026-11-01T00:00:00Z, or a date like 2026-11-01\n";
  } else if (!to) {
    log << "--to: expected an RFC 3339 UTC timestamp like 2026-12-01T00:00:00Z, or a date like 2026-12-01\n";
  } else if (*to <= *from) {
    log << "--to: must be later than --from\n";
  } else if (!format) {
    log << "--format: must be one of csv, json, pdf\n";
  } else {
    request.clinic = o.clinic;
    request.from = *from;
    request.to = *to;
    request.format = *format;
    request.actor = "cli";
    request.cause = o.command;
    request.now = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    return request;
  }
  return std::nullopt;
}

void describe(const report::Made& made, const std::string& where, std::ostream& log) {
  log << "report written to " << where << ": " << made.bytes << " bytes; " << made.counts.sessions << " sessions, "
      << made.counts.cycles << " cycles, " << made.counts.violations << " violations, " << made.counts.recalls
      << " recalls\n"
      << "  sha256 " << made.seal.sha256 << " (of its first " << made.seal.body_bytes << " bytes)\n"
      << "  audit-chain head stated: record " << made.seal.head.seq << ", hash " << made.seal.head.hash << '\n'
      << "  recorded in the audit trail as " << report::report_entity(made.seal.sha256) << '\n';
  if (made.seal.checkpoint) {
    log << "  signed checkpoint of that head by key " << checkpoint::key_text(made.seal.checkpoint->key) << '\n';
  }
}

// The CLI signs with the daemon's key only when told to, and never makes one: a new key would sign
// checkpoints no auditor has pinned.
bool key_exists(const std::string& path, std::ostream& log) {
  std::error_code error;
  if (path.empty() || std::filesystem::is_regular_file(path, error)) return true;
  log << "--signing-key: no key at " << path << " (the daemon's audit.signing_key)\n";
  return false;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int report_make(const ReportOptions& options, std::ostream& stdout_stream, std::ostream& log) {
  const auto request = request_of(options, log);
  if (!request) return 2;
  if (!store_exists(options.db_path, log) || !key_exists(options.signing_key, log)) return 2;
  const bool to_file = !options.out_path.empty() && options.out_path != "-";
  const std::string partial = options.out_path + ".part";
  try {
    const auto store = store::open_sqlite(options.db_path);
    auto signed_request = *request;
    if (!options.signing_key.empty()) {
      signed_request.sign_checkpoint = [key = crypto::load_or_create_key_file(options.signing_key).key, &store,
                                        now = request->now](const store::AuditHead& head) {
        return checkpoint::sign(key, *store, head, now);
      };
    }
    auto append = [&](const engine::AuditRecord& record) {
      store::Commit commit;
      commit.audit.push_back(record);
      store->commit(commit);
    };
    if (!to_file) {
      report::StreamOutput out(stdout_stream);
      const auto made = report::make_compliance_report(*store, signed_request, out, append);
      stdout_stream.flush();
      describe(made, "standard output", log);
      return 0;
    }
    report::Made made;
    {
      std::ofstream file(partial, std::ios::binary | std::ios::trunc);
      if (!file) throw std::runtime_error("cannot write " + partial);
      report::StreamOutput out(file);
      made = report::make_compliance_report(*store, signed_request, out, append);
      file.close();
      if (!file) throw std::runtime_error("writing " + partial + " failed");
    }
    std::filesystem::rename(partial, options.out_path);
    describe(made, options.out_path, log);
    return 0;
  } catch (const std::exception& e) {
    if (to_file) {
      std::error_code ignored;
      std::filesystem::remove(partial, ignored);
    }
    log << "cannot make the report: " << e.what() << '\n';
    return 1;
  }
}

int report_verify(const std::string& db_path, const std::string& report_path,
                  const std::optional<std::string>& public_key_file, std::ostream& out) {
  if (!store_exists(db_path, out)) return 2;
  try {
    std::optional<crypto::PublicKey> pinned;
    if (public_key_file) {
      pinned = crypto::public_key_from_pem(read_text(*public_key_file));
      if (!pinned) throw std::runtime_error(*public_key_file + " is not an Ed25519 public key in PEM");
    }
    store::SqliteOptions options;
    options.read_only = true;
    const auto store = store::open_sqlite(db_path, options);
    const auto verdict = report::verify_report(*store, report_path, pinned);
    if (verdict.genuine) {
      const auto& made = verdict.record;
      const auto& r = made.at("after");
      const auto clinic =
          r.value("clinic", nlohmann::json()).is_string() ? r["clinic"].get<std::string>() : "all clinics";
      out << report_path << ": genuine\n";
      if (r.value("kind", "") == "recall") {
        out << "  " << report::to_string(*verdict.format) << " recall report of cycle " << r.value("cycle", "?") << " ("
            << clinic << "), traced to " << r.value("to", "?") << '\n';
      } else {
        out << "  " << report::to_string(*verdict.format) << " compliance report of " << clinic << ", "
            << r.value("from", "?") << " to " << r.value("to", "?") << '\n';
      }
      // A cluster's record of the making is in its clinic's chain, the head it states the fleet chain's.
      const auto chain = verdict.record.value("chain", std::string(store::fleet_chain));
      out << "  made " << made.value("at", "?") << " by " << made.value("actor", "?") << ", audit record "
          << *verdict.record_seq
          << (chain == store::fleet_chain ? std::string() : std::string(" of chain ").append(chain))
          << ", stating head record " << verdict.stated->head.seq
          << (chain == store::fleet_chain ? "" : " of the fleet chain") << '\n'
          << "  sha256 " << verdict.computed_sha256 << " of its first " << verdict.stated->body_bytes << " bytes\n"
          << "  the audit trail is intact\n";
      if (verdict.checkpoint) {
        out << "  the head is signed: checkpoint of record " << verdict.checkpoint->seq << " signed at "
            << protocol::format_timestamp(verdict.checkpoint->at) << " by key "
            << checkpoint::key_text(verdict.checkpoint->key) << (pinned ? " (the pinned key)" : "") << '\n';
      }
      for (const auto& note : verdict.notes) out << "  note: " << note << '\n';
      return 0;
    }
    out << report_path << ": NOT GENUINE\n";
    for (const auto& problem : verdict.problems) out << "  " << problem << '\n';
    for (const auto& note : verdict.notes) out << "  note: " << note << '\n';
    return 1;
  } catch (const std::exception& e) {
    out << "cannot verify " << report_path << ": " << e.what() << '\n';
    return 2;
  }
}

}  // namespace sterifleet::app
