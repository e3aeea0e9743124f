// OperationsReads over the SQLite HQ file (SqliteSink's connection). Single-threaded, like the
// connection it reads; the database must outlive it.
#pragma once

#include "drivers/sqlite/database.h"
#include "sync/hq/operations_reads.h"

namespace pma::hq {

class SqliteOperationsReads final : public OperationsReads {
 public:
  explicit SqliteOperationsReads(sqlite::Database& db) : db_(db) {}

  Result<std::uint64_t> conflict_count() override;
  // One pass over the applied deltas (grouped by their key's store and terminal prefix).
  Result<std::map<TerminalKey, std::int64_t>> last_batches() override;

 private:
  sqlite::Database& db_;
};

}  // namespace pma::hq
