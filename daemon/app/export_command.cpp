#include "export_command.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "sterifleet/protocol/ids.hpp"
#include "sterifleet/protocol/overloaded.hpp"
#include "sterifleet/protocol/topic.hpp"
#include "sterifleet/store/store.hpp"
#include "time_option.hpp"

namespace sterifleet::app {

namespace {

using nlohmann::json;
using protocol::format_timestamp;
using protocol::Timestamp;

struct Filter {
  std::optional<std::string> clinic;
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;

  bool in_period(Timestamp t) const { return (!from || t >= *from) && (!to || t < *to); }
  bool of_clinic(std::string_view topic) const {
    if (!clinic) return true;
    const auto parsed = protocol::parse_topic(topic);
    return parsed && parsed->clinic.str() == *clinic;
  }
  // The clock's and the policy's actions concern every clinic; a manual entry names its own.
  bool of_clinic(const store::Action& action) const {
    if (!clinic || action.kind != "manual_reprocessing") return true;
    return action.body.value("clinic", "") == *clinic;
  }
};

// `before_fail_safe`: the entry was judged before fail-safe judging, and replay judges it so again.
std::optional<json> line_of(const store::JournalEntry& entry, const Filter& filter, bool before_fail_safe) {
  const auto judged_then = [&](json line) {
    if (before_fail_safe) line["judged_before_fail_safe"] = true;
    return line;
  };
  return std::visit(
      Overloaded{[&](const store::StoredMessage& m) -> std::optional<json> {
                   if (!filter.in_period(m.received_at) || !filter.of_clinic(m.topic)) return std::nullopt;
                   json line{{"topic", m.topic}, {"received_at", format_timestamp(m.received_at)}};
                   store::put_payload(line, m.payload);
                   return judged_then(std::move(line));
                 },
                 [&](const store::QuarantinedMessage& q) -> std::optional<json> {
                   if (!filter.in_period(q.received_at) || !filter.of_clinic(q.topic)) return std::nullopt;
                   json line{{"topic", q.topic},
                             {"received_at", format_timestamp(q.received_at)},
                             {"quarantine_id", q.id},
                             {"reason", q.reason}};
                   store::put_payload(line, q.payload);
                   return judged_then(std::move(line));
                 },
                 [&](const store::Action& a) -> std::optional<json> {
                   if (!filter.in_period(a.at) || !filter.of_clinic(a)) return std::nullopt;
                   return json{
                       {"action",
                        {{"kind", a.kind}, {"at", format_timestamp(a.at)}, {"actor", a.actor}, {"body", a.body}}}};
                 }},
      entry.input);
}

}  // namespace

int export_traffic(const ExportOptions& options, std::ostream& out, std::ostream& log) {
  Filter filter{options.clinic, std::nullopt, std::nullopt};
  if (options.format != "jsonl") {
    log << "--format: only jsonl (the lines sterifleet replay reads)\n";
    return 2;
  }
  if (options.clinic && !protocol::is_valid_id(*options.clinic)) {
    log << "--clinic: must be 1 to 64 letters, digits, '_', '.' or '-'\n";
    return 2;
  }
  for (const auto& [text, bound, name] :
       {std::tuple{options.from, &filter.from, "--from"}, std::tuple{options.to, &filter.to, "--to"}}) {
    if (text.empty()) continue;
    *bound = parse_time_option(text);
    if (!*bound) {
      log << name << ": expected an RFC 3339 UTC timestamp like 2026-11-01T00:00:00Z, or a date like 2026-11-01\n";
      return 2;
    }
  }
  std::error_code missing;
  if (!std::filesystem::is_regular_file(options.db_path, missing)) {
    log << "--db: no store at " << options.db_path << '\n';
    return 2;
  }
  try {
    store::SqliteOptions read_only;
    read_only.read_only = true;
    const auto store = store::open_sqlite(options.db_path, read_only);
    std::size_t lines = 0;
    const auto before_fail_safe = store->journal_before_fail_safe();
    store->read_journal(0, [&](const store::JournalEntry& entry) {
      if (auto line = line_of(entry, filter, entry.commit <= before_fail_safe)) {
        out << line->dump() << '\n';
        ++lines;
      }
    });
    out.flush();
    log << lines << " lines exported\n";
    return out ? 0 : 1;
  } catch (const store::StoreError& e) {
    log << "cannot export " << options.db_path << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace sterifleet::app
