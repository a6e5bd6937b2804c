#include "audit_command.hpp"

#include <chrono>
#include <filesystem>
#include <ostream>

#include "sterifleet/store/store.hpp"

namespace sterifleet::app {

namespace {

// "entity alert:3f2a..., action acknowledged", or why that cannot be said.
std::string describe(store::Store& store, std::int64_t seq) {
  const auto page = store.audit_records(seq - 1, 1);
  if (page.rows.empty() || page.rows.front().value("seq", std::int64_t{0}) != seq) return "the record is gone";
  const auto& row = page.rows.front();
  return "entity " + row.value("entity", std::string("?")) + ", action " + row.value("action", std::string("?"));
}

}  // namespace

int audit_verify(const std::string& db_path, std::ostream& out) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(db_path, error)) {
    out << "cannot verify " << db_path << ": no such file\n";
    return 2;
  }
  try {
    store::SqliteOptions options;
    options.read_only = true;
    const auto store = store::open_sqlite(db_path, options);
    const auto started = std::chrono::steady_clock::now();
    const auto result = store->verify_audit();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    if (result.intact) {
      out << "audit trail of " << db_path << ": intact\n"
          << "  " << result.records << " records verified in " << took.count() << " s\n"
          << "  head: record " << result.head.seq << ", hash " << result.head.hash << '\n';
      return 0;
    }
    const auto seq = *result.first_bad;
    out << "audit trail of " << db_path << ": ALTERED\n"
        << "  first bad record: " << seq << " (" << describe(*store, seq) << ")\n"
        << "  problem: " << result.problem << '\n'
        << "  records intact before it: " << result.records << '\n'
        << "  head recorded by the store: record " << result.head.seq << ", hash " << result.head.hash << '\n';
    return 1;
  } catch (const store::StoreError& e) {
    out << "cannot verify " << db_path << ": " << e.what() << '\n';
    return 2;
  }
}

}  // namespace sterifleet::app
