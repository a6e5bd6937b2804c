#include "sterifleet/report/verify.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

#include "sterifleet/crypto/hex.hpp"
#include "sterifleet/crypto/sha256.hpp"

namespace sterifleet::report {

namespace {

using nlohmann::json;

// Every footer fits in the last few hundred bytes; this leaves room for long clinic names.
constexpr std::uint64_t kTail = 64 * 1024;
constexpr std::string_view kGenesis = "0000000000000000000000000000000000000000000000000000000000000000";

std::optional<Format> detect(std::string_view head) {
  if (head.starts_with("%PDF-")) return Format::pdf;
  if (head.starts_with("{\"report\":")) return Format::json;
  if (head.starts_with("report,")) return Format::csv;
  return std::nullopt;
}

std::optional<std::int64_t> integer(std::string_view text) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  return std::stoll(std::string(text));
}

// The fields of the RFC 4180 record `text` starts with (quoted fields unquoted).
std::vector<std::string> csv_record(std::string_view text) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        fields.back().push_back(c);
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        fields.back().push_back('"');
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\r' || c == '\n') {
      break;
    } else {
      fields.back().push_back(c);
    }
  }
  return fields;
}

// Reports made before checkpoints have no such column; an empty one: made without a signing key.
std::optional<checkpoint::Parsed> stated_checkpoint(const json& value) {
  if (value.is_null()) return std::nullopt;
  return checkpoint::from_json(value);
}

std::optional<Seal> csv_seal(std::string_view tail, std::optional<checkpoint::Parsed>& checkpoint) {
  const std::string_view marker = "footer,sha256,";
  const auto header = tail.rfind(marker);
  if (header == std::string_view::npos) return std::nullopt;
  const auto line_start = tail.find("\r\n", header);
  if (line_start == std::string_view::npos) return std::nullopt;
  const auto fields = csv_record(tail.substr(line_start + 2));
  if (fields.size() < 5 || fields[0] != "footer") return std::nullopt;
  const auto body = integer(fields[2]);
  const auto seq = integer(fields[3]);
  if (!body || !seq) return std::nullopt;
  if (fields.size() > 6 && !fields[6].empty()) checkpoint = checkpoint::from_line(fields[6]);
  return Seal{fields[1], static_cast<std::uint64_t>(*body), {*seq, fields[4]}, std::nullopt};
}

std::optional<Seal> json_seal(std::string_view tail, std::optional<checkpoint::Parsed>& checkpoint) {
  const std::string_view marker = ",\n\"integrity\":";
  const auto at = tail.rfind(marker);
  if (at == std::string_view::npos) return std::nullopt;
  auto rest = tail.substr(at + marker.size());
  while (!rest.empty() && (rest.back() == '\n' || rest.back() == ' ')) rest.remove_suffix(1);
  if (rest.empty() || rest.back() != '}') return std::nullopt;
  rest.remove_suffix(1);  // the document's closing brace
  const auto integrity = json::parse(rest, nullptr, false);
  if (!integrity.is_object()) return std::nullopt;
  checkpoint = stated_checkpoint(integrity.value("checkpoint", json()));
  try {
    return Seal{integrity.at("sha256").get<std::string>(),
                integrity.at("body_bytes").get<std::uint64_t>(),
                {integrity.at("audit_head").at("seq").get<std::int64_t>(),
                 integrity.at("audit_head").at("hash").get<std::string>()},
                std::nullopt};
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string read_range(std::ifstream& file, std::uint64_t offset, std::uint64_t length) {
  std::string out(length, '\0');
  file.seekg(static_cast<std::streamoff>(offset));
  file.read(out.data(), static_cast<std::streamsize>(length));
  if (!file) throw std::runtime_error("reading the report failed");
  return out;
}

std::string hash_prefix(std::ifstream& file, std::uint64_t length) {
  crypto::Sha256 sha256;
  std::string buffer(1 << 20, '\0');
  file.seekg(0);
  while (length > 0) {
    const auto chunk = std::min<std::uint64_t>(length, buffer.size());
    file.read(buffer.data(), static_cast<std::streamsize>(chunk));
    if (!file) throw std::runtime_error("reading the report failed");
    sha256.update(std::string_view(buffer.data(), chunk));
    length -= chunk;
  }
  return crypto::to_hex(sha256.finish());
}

// The first record naming the report: a later one with the same entity would be a forgery's.
std::optional<json> find_record(store::Store& store, const std::string& entity) {
  store::AuditFilter filter;
  filter.entity = entity;
  auto page = store.audit_records(0, 1, filter);
  if (page.rows.empty()) return std::nullopt;
  return std::move(page.rows.front());
}

void check_head(store::Store& store, const store::AuditHead& head, std::vector<std::string>& problems) {
  if (head.seq == 0) {
    if (head.hash != kGenesis) problems.push_back("the stated audit head (record 0) must have a hash of 64 zeros");
    return;
  }
  const auto record = store.audit_record(store::fleet_chain, head.seq);
  if (!record) {
    problems.push_back("the audit trail has no record " + std::to_string(head.seq) + ", the head the report states");
  } else if (record->at("hash") != head.hash) {
    problems.push_back("the report states record " + std::to_string(head.seq) + "'s hash as " + head.hash +
                       " but the trail's is " + record->at("hash").get<std::string>());
  }
}

std::string no_record(const std::string& entity) {
  return "the audit trail has no record of making a report with this body (entity " + entity + ")";
}

void check_trail(store::Store& store, std::vector<std::string>& problems) {
  const auto trail = store.verify_audit();
  if (!trail.intact) problems.push_back("the audit trail is not intact: " + trail.problem);
}

// CSV and JSON: the footer states the seal; the body it covers must hash to it, and the record of the
// report's making must state the same head and length.
void verify_footer(store::Store& store, std::ifstream& file, std::uint64_t size, Verdict& verdict,
                   std::optional<checkpoint::Parsed>& checkpoint) {
  const auto tail_size = std::min(size, kTail);
  const auto tail = read_range(file, size - tail_size, tail_size);
  verdict.stated = *verdict.format == Format::csv ? csv_seal(tail, checkpoint) : json_seal(tail, checkpoint);
  if (!verdict.stated) {
    verdict.problems.push_back("the report's footer stating its SHA-256 and audit head is missing or unreadable");
    return;
  }
  const auto& stated = *verdict.stated;
  if (stated.body_bytes >= size) {
    verdict.problems.push_back("the footer says the body is " + std::to_string(stated.body_bytes) +
                               " bytes but the file has only " + std::to_string(size));
    return;
  }
  verdict.computed_sha256 = hash_prefix(file, stated.body_bytes);
  if (verdict.computed_sha256 != stated.sha256) {
    verdict.problems.push_back("the report has been altered: its body hashes to " + verdict.computed_sha256 +
                               " but its footer states " + stated.sha256);
  }
  check_trail(store, verdict.problems);
  const auto entity = report_entity(verdict.computed_sha256);
  const auto record = find_record(store, entity);
  if (!record) {
    verdict.problems.push_back(no_record(entity));
  } else {
    verdict.record_seq = record->at("seq").get<std::int64_t>();
    verdict.record = *record;
    const auto& recorded = verdict.record.at("after");
    const json stated_head{{"seq", stated.head.seq}, {"hash", stated.head.hash}};
    if (recorded.value("audit_head", json()) != stated_head) {
      verdict.problems.push_back("the footer's audit head is not the one recorded when the report was made (record " +
                                 std::to_string(*verdict.record_seq) + ")");
    }
    if (recorded.value("body_bytes", std::uint64_t{0}) != stated.body_bytes) {
      verdict.problems.push_back("the footer's body length is not the one recorded when the report was made");
    }
  }
  check_head(store, stated.head, verdict.problems);
}

// The PDF is all body (its seal page prints the head, inside the hash): the record its SHA-256 names
// says what it states, its checkpoint included.
void verify_whole_file(store::Store& store, std::ifstream& file, std::uint64_t size, Verdict& verdict,
                       std::optional<checkpoint::Parsed>& checkpoint) {
  verdict.computed_sha256 = hash_prefix(file, size);
  check_trail(store, verdict.problems);
  const auto entity = report_entity(verdict.computed_sha256);
  const auto record = find_record(store, entity);
  if (!record) {
    verdict.problems.push_back(no_record(entity));
    return;
  }
  verdict.record_seq = record->at("seq").get<std::int64_t>();
  verdict.record = *record;
  const auto& after = verdict.record.at("after");
  const auto head = after.value("audit_head", json::object());
  if (!head.contains("seq") || !head["seq"].is_number_integer() || !head.contains("hash") ||
      !head["hash"].is_string()) {
    verdict.problems.push_back("the record of the report's making (record " + std::to_string(*verdict.record_seq) +
                               ") states no audit head");
    return;
  }
  verdict.stated = Seal{
      verdict.computed_sha256, size, {head["seq"].get<std::int64_t>(), head["hash"].get<std::string>()}, std::nullopt};
  checkpoint = stated_checkpoint(after.value("checkpoint", json()));
  check_head(store, verdict.stated->head, verdict.problems);
}

// The checkpoint must be a genuine signature (by the pinned key, if any) of the very head the report
// states, and of a chain whose record 1 is this store's.
void check_checkpoint(store::Store& store, const std::optional<checkpoint::Parsed>& stated,
                      const std::optional<crypto::PublicKey>& pinned, Verdict& verdict) {
  if (!stated) {
    verdict.notes.push_back(
        "the report carries no signed checkpoint: its audit head is proven against this store only");
    return;
  }
  if (!stated->checkpoint) {
    verdict.problems.push_back("the report's checkpoint is unreadable: " + stated->problem);
    return;
  }
  const auto& c = *stated->checkpoint;
  verdict.checkpoint = c;
  if (const auto problem = checkpoint::signature_problem(c, pinned)) {
    verdict.problems.push_back("the report's checkpoint is refused: " + *problem);
    return;
  }
  if (verdict.stated && (c.seq != verdict.stated->head.seq || c.head != verdict.stated->head.hash)) {
    verdict.problems.push_back("the report's checkpoint is of record " + std::to_string(c.seq) +
                               ", not of the audit head the report states");
  }
  if (c.seq >= 1) {
    const auto first = store.audit_record(store::fleet_chain, 1);
    if (!first || first->at("hash") != c.first) {
      verdict.problems.push_back("the report's checkpoint was signed for another chain: record 1 differs");
    }
  }
}

}  // namespace

Verdict verify_report(store::Store& store, const std::string& path, const std::optional<crypto::PublicKey>& pinned) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) throw std::runtime_error("cannot read " + path);
  const auto size = static_cast<std::uint64_t>(file.tellg());
  Verdict verdict;
  const auto start = read_range(file, 0, std::min<std::uint64_t>(size, 16));
  verdict.format = detect(start);
  if (!verdict.format) {
    verdict.problems.push_back("not a sterifleet report: it starts with neither report, nor {\"report\": nor %PDF-");
    return verdict;
  }
  std::optional<checkpoint::Parsed> checkpoint;
  if (*verdict.format == Format::pdf) {
    verify_whole_file(store, file, size, verdict, checkpoint);
  } else {
    verify_footer(store, file, size, verdict, checkpoint);
  }
  check_checkpoint(store, checkpoint, pinned, verdict);
  verdict.genuine = verdict.problems.empty();
  return verdict;
}

}  // namespace sterifleet::report
