// Which sink a memberhq command's --db names: a postgresql:// (or postgres://) URI opens the
// PostgreSQL sink (pg_sink.h), anything else is a SQLite file (sqlite_sink.h, the default).
// And `memberhq migrate`: a SQLite HQ copied into an empty PostgreSQL database, verified.
// Thread-compatible.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pma/error.h"
#include "sync/hq/sink.h"

namespace pma::hq {

bool is_postgresql_uri(const std::string& db);

// Errors: as PgSink::open or SqliteSink::open.
Result<std::unique_ptr<Sink>> open_sink(const std::string& db);

// One line of the migration's check: a table's row count, or a sum, on both sides.
struct MigrationFigure {
  std::string what;  // "members rows", "members points sum", ...
  std::int64_t source = 0;
  std::int64_t copy = 0;
};

// Copies every table of the SQLite HQ at sqlite_path (brought to the current schema first, as
// any memberhq command does) into the PostgreSQL database at uri, in one transaction, then
// compares row counts and the sums of points, spend and sales on both sides. The PostgreSQL
// database must hold no members, terminals or deltas yet. Member versions, hold ids and
// conflict ids continue past the copied ones. Errors: "migrate_target_not_empty",
// "migrate_mismatch" (the figures differ: the copy is rolled back), and those of either side.
Result<std::vector<MigrationFigure>> migrate_sqlite_to_pg(const std::string& sqlite_path,
                                                          const std::string& uri);

}  // namespace pma::hq
