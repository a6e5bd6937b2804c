// `sterifleet`: the operator's and auditor's command line: policy check, replay, audit verify, token
// create, compliance reports, notification receivers, migration to and status of a cluster. Exit codes: 0 success, 1
// the checked thing is bad, 2 usage error or unreadable input; `audit verify` also 3: a checkpoint was refused.
#include <cstdlib>
#include <fstream>
#include <iostream>

#include "audit_command.hpp"
#include "cli11.hpp"
#include "cluster_command.hpp"
#include "config.hpp"
#include "export_command.hpp"
#include "migrate_command.hpp"
#include "notify_command.hpp"
#include "policy_file.hpp"
#include "replay.hpp"
#include "report_command.hpp"
#include "sterifleet/engine/policy.hpp"
#include "token_command.hpp"

namespace {

using namespace sterifleet;

// Prints every error; returns the policy when there is none.
std::optional<engine::Policy> load_policy(const std::string& path) {
  auto parsed = app::parse_policy_file(path);
  if (auto* errors = std::get_if<std::vector<engine::PolicyError>>(&parsed)) {
    for (const auto& e : *errors) std::cerr << e.to_string() << '\n';
    return std::nullopt;
  }
  return std::get<engine::Policy>(std::move(parsed));
}

int policy_check(const std::string& path) {
  if (!load_policy(path)) return 1;
  std::cout << path << ": ok\n";
  return 0;
}

int replay(const std::string& path, const std::string& policy_path, const std::string& until) {
  app::ReplayOptions options{engine::default_policy(), std::nullopt};
  options.policy_reloads = policy_path.empty();
  if (!policy_path.empty()) {
    auto policy = load_policy(policy_path);
    if (!policy) return 1;
    options.policy = std::move(*policy);
  }
  if (!until.empty()) {
    options.until = protocol::parse_timestamp(until);
    if (!options.until) {
      std::cerr << "--until: expected an RFC 3339 UTC timestamp like 2026-11-24T09:15:02Z\n";
      return 2;
    }
  }
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) {
      std::cerr << "cannot read " << path << '\n';
      return 2;
    }
  }
  const auto summary = app::replay(path == "-" ? std::cin : file, std::cout, options);
  std::cerr << summary.lines << " lines, " << summary.applied << " applied, " << summary.rejected << " rejected\n";
  return 0;
}

// Who asked for a test notification, as its notice says.
std::string cli_user() {
  const char* user = std::getenv("USER");
  return user && *user ? std::string("cli:") + user : "cli";
}

std::string command_line(int argc, char** argv) {
  std::string out = "sterifleet";
  for (int i = 1; i < argc; ++i) out += std::string(" ") + argv[i];
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"sterifleet: compliance tools for clinic device fleets"};
  cli.require_subcommand(1);

  auto* policy = cli.add_subcommand("policy", "Policy files");
  policy->require_subcommand(1);
  std::string policy_file;
  auto* check = policy->add_subcommand("check", "Report every error in a policy file, with its line");
  check->add_option("FILE", policy_file, "policy file (TOML)")->required();

  std::string replay_file = "-";
  std::string replay_policy;
  std::string until;
  auto* replay_cmd = cli.add_subcommand("replay", "Run recorded traffic (JSON lines) through the engine offline");
  replay_cmd->add_option(
      "FILE", replay_file,
      "JSON lines as sterifleet export writes them, or {\"topic\":...,\"payload\":{...}}; - for stdin");
  replay_cmd->add_option("--policy", replay_policy, "policy file instead of the built-in defaults");
  replay_cmd->add_option("--until", until, "stop at this device time (RFC 3339 UTC)");

  app::ExportOptions export_options{"sterifleet.db", std::nullopt, "", "", "jsonl"};
  std::string export_clinic;
  auto* export_cmd = cli.add_subcommand("export", "The stored traffic and journaled actions, as replay reads them");
  export_cmd->add_option("--db", export_options.db_path, "the daemon's SQLite store")->capture_default_str();
  export_cmd->add_option("--clinic", export_clinic, "only this clinic's messages (default: every clinic)");
  export_cmd->add_option("--from", export_options.from, "receive time, inclusive (RFC 3339 UTC, or a date)");
  export_cmd->add_option("--to", export_options.to, "receive time, exclusive (RFC 3339 UTC, or a date)");
  export_cmd->add_option("--format", export_options.format, "jsonl")->capture_default_str();

  auto* audit = cli.add_subcommand("audit", "The hash-chained audit trail");
  audit->require_subcommand(1);
  app::AuditVerifyOptions audit_options{"sterifleet.db", {}, std::nullopt};
  auto* verify = audit->add_subcommand(
      "verify",
      "Recompute the chain and name the first altered record; with checkpoints, prove the store still holds the "
      "history they signed (exit 0 intact, 1 altered, 2 unreadable input, 3 a checkpoint refused)");
  verify
      ->add_option("--db", audit_options.db_path,
                   "the daemon's SQLite store, or a cluster's PostgreSQL URL (postgresql://...)")
      ->capture_default_str();
  verify->add_option("--checkpoint", audit_options.checkpoint_files,
                     "a file of saved checkpoints, one a line (repeatable)");
  verify->add_option("--public-key", audit_options.public_key_file,
                     "the daemon's public key (PEM, <key>.pub): refuse checkpoints signed by any other");

  auto* token = cli.add_subcommand("token", "API tokens");
  token->require_subcommand(1);
  app::TokenRequest token_request{"sterifleet.db", "", "", {}, cli_user(), command_line(argc, argv)};
  auto* create = token->add_subcommand("create", "Make a token; its secret is the last word printed");
  create->add_option("--role", token_request.role, "viewer, manager, auditor or admin")->required();
  create->add_option("--name", token_request.name,
                     "who or what holds it, unique (shown in the audit trail; default cli-<role>-<random>)");
  create->add_option("--clinic", token_request.clinics, "a clinic it may see, once per clinic (default: every clinic)");
  create->add_option("--db", token_request.db_path, "the daemon's SQLite store")->capture_default_str();

  app::ReportOptions report_options{"sterifleet.db", std::nullopt, "", "", "json", "", command_line(argc, argv), ""};
  std::string clinic;
  auto* report = cli.add_subcommand("report", "A compliance report from the store (recorded in the audit trail)");
  report->require_subcommand(0, 1);
  report->add_option("--db", report_options.db_path, "the daemon's SQLite store (opened read-write)")
      ->capture_default_str();
  report->add_option("--clinic", clinic, "only this clinic (default: every clinic)");
  report->add_option("--from", report_options.from, "start, inclusive (RFC 3339 UTC, or a date)");
  report->add_option("--to", report_options.to, "end, exclusive (RFC 3339 UTC, or a date)");
  report->add_option("--format", report_options.format, "csv, json or pdf")->capture_default_str();
  report->add_option("--out", report_options.out_path, "file to write (default: standard output)");
  report->add_option("--signing-key", report_options.signing_key,
                     "the daemon's audit signing key (audit.signing_key): the report carries a signed checkpoint");
  std::string verify_db = "sterifleet.db";
  std::string verify_file;
  auto* report_verify = report->add_subcommand("verify", "Prove a report file genuine and unaltered");
  report_verify->add_option("--db", verify_db, "the store the report was made from")->capture_default_str();
  report_verify->add_option("FILE", verify_file, "the report (csv, json or pdf)")->required();
  std::optional<std::string> verify_public_key;
  report_verify->add_option("--public-key", verify_public_key,
                            "the daemon's public key (PEM): refuse a checkpoint signed by any other");

  auto* notify_cmd = cli.add_subcommand("notify", "Alert delivery as configured in the daemon's [notify]");
  notify_cmd->require_subcommand(1);
  std::string notify_config = "/etc/sterifleet/sterifleetd.toml";
  std::string receiver;
  auto* notify_test = notify_cmd->add_subcommand(
      "test", "Send a test notification to a receiver now; print its answer (exit 0 delivered, 1 not)");
  notify_test->add_option("--config", notify_config, "the daemon's configuration file")->capture_default_str();
  notify_test->add_option("--receiver", receiver, "a receiver's name")->required();
  auto* notify_list = notify_cmd->add_subcommand("list", "The receivers (targets without secrets) and routes");
  notify_list->add_option("--config", notify_config, "the daemon's configuration file")->capture_default_str();

  app::MigrateOptions migrate_options{"sterifleet.db", "", 32, {}};
  auto* migrate = cli.add_subcommand(
      "migrate",
      "Copy a stopped daemon's SQLite store, audit chain included, into an empty PostgreSQL database split by clinic "
      "into shards, and verify the copy (exit 0 verified, 1 copied but not matching, 2 nothing copied)");
  migrate->add_option("--from", migrate_options.from, "the SQLite store (no daemon may have it open)")
      ->capture_default_str();
  auto* migrate_to = migrate->add_option("--to", migrate_options.to, "postgresql://... of an empty database");
  auto* migrate_shards =
      migrate
          ->add_option("--shards", migrate_options.shards, "the cluster's shard count, as its daemons' cluster.shards")
          ->capture_default_str();
  auto* migrate_pins =
      migrate->add_option("--pin", migrate_options.pins, "clinic=shard, as the daemons' cluster.pins (repeatable)");
  std::string migrate_config;
  migrate
      ->add_option("--config", migrate_config,
                   "the cluster daemons' sterifleetd.toml, for --to (store.url), --shards and --pin ([cluster])")
      ->excludes(migrate_to)
      ->excludes(migrate_shards)
      ->excludes(migrate_pins);

  auto* cluster_cmd = cli.add_subcommand("cluster", "A cluster's daemons and shards, from its PostgreSQL database");
  cluster_cmd->require_subcommand(1);
  std::string cluster_db;
  std::string cluster_config;
  bool cluster_json = false;
  auto* cluster_status_cmd = cluster_cmd->add_subcommand(
      "status",
      "Its daemons with their heartbeats, and each shard's owner, fencing epoch, lease and clinics (exit 0 every "
      "shard with clinics is held, 1 one is not, 2 cannot read)");
  auto* cluster_db_option =
      cluster_status_cmd->add_option("--db", cluster_db, "the cluster's store.url (postgresql://...)");
  cluster_status_cmd->add_option("--config", cluster_config, "a cluster daemon's sterifleetd.toml, for its store.url")
      ->excludes(cluster_db_option);
  cluster_status_cmd->add_flag("--json", cluster_json, "one JSON object, for scripts and monitoring");

  CLI11_PARSE(cli, argc, argv);
  try {
    if (check->parsed()) return policy_check(policy_file);
    if (replay_cmd->parsed()) return replay(replay_file, replay_policy, until);
    if (export_cmd->parsed()) {
      if (!export_clinic.empty()) export_options.clinic = export_clinic;
      return app::export_traffic(export_options, std::cout, std::cerr);
    }
    if (verify->parsed()) return app::audit_verify(audit_options, std::cout);
    if (migrate->parsed()) {
      if (!migrate_config.empty()) {
        const auto config = app::load_config(migrate_config, {});
        if (!config.cluster) {
          std::cerr << "sterifleet migrate: " << migrate_config << " has no [cluster]: give --to and --shards\n";
          return app::migrate_refused;
        }
        migrate_options.to = config.store_url;
        migrate_options.shards = config.cluster->shards;
        for (const auto& [pinned, shard] : config.cluster->pins) {
          migrate_options.pins.push_back(pinned + "=" + std::to_string(shard));
        }
      } else if (migrate_options.to.empty()) {
        std::cerr << "sterifleet migrate: --to (or --config) is required\n";
        return app::migrate_refused;
      }
      return app::migrate_store(migrate_options, std::cout);
    }
    if (cluster_status_cmd->parsed()) {
      if (!cluster_config.empty()) cluster_db = app::load_config(cluster_config, {}).store_url;
      if (cluster_db.empty()) {
        std::cerr << "sterifleet cluster status: --db (or --config with a store.url) is required\n";
        return 2;
      }
      return app::cluster_status(cluster_db, cluster_json, std::cout, std::cerr);
    }
    if (notify_test->parsed()) return app::notify_test(notify_config, receiver, cli_user(), std::cout, std::cerr);
    if (notify_list->parsed()) return app::notify_list(notify_config, std::cout, std::cerr);
    if (create->parsed()) return app::token_create(token_request, std::cout);
    if (report_verify->parsed()) return app::report_verify(verify_db, verify_file, verify_public_key, std::cout);
    if (report->parsed()) {
      if (report_options.from.empty() || report_options.to.empty()) {
        std::cerr << "sterifleet report: --from and --to are required\n";
        return 2;
      }
      if (!clinic.empty()) report_options.clinic = clinic;
      return app::report_make(report_options, std::cout, std::cerr);
    }
  } catch (const std::exception& e) {
    std::cerr << "sterifleet: " << e.what() << '\n';
    return 2;
  }
  return 2;
}
