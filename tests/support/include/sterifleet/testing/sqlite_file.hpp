// Direct access to a daemon's SQLite file for integration tests: what the store really holds (read-only
// queries, safe while the daemon runs: WAL readers do not block it), and deliberate damage (tampering).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace sterifleet::testing {

using SqlRow = std::vector<std::string>;

/// The rows of `sql` (a SELECT) on the file, opened read-only; each column as text, NULL as "".
/// Throws std::runtime_error with SQLite's message on failure.
std::vector<SqlRow> sqlite_rows(const std::filesystem::path& db, const std::string& sql);
/// The single integer `sql` yields (e.g. a count).
long long sqlite_integer(const std::filesystem::path& db, const std::string& sql);
/// Runs `sql` (one or more statements that change the file), opened read-write.
void sqlite_exec(const std::filesystem::path& db, const std::string& sql);

}  // namespace sterifleet::testing
