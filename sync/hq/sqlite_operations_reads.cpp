#include "sync/hq/sqlite_operations_reads.h"

namespace pma::hq {

Result<std::uint64_t> SqliteOperationsReads::conflict_count() {
  PMA_TRY_ASSIGN(auto q, db_.prepare("SELECT COUNT(*) FROM conflicts"));
  PMA_TRY(q.step());
  return static_cast<std::uint64_t>(q.column_int64(0));
}

Result<std::map<OperationsReads::TerminalKey, std::int64_t>> SqliteOperationsReads::last_batches() {
  PMA_TRY_ASSIGN(auto q, db_.prepare("SELECT store_id, terminal_id, MAX(applied_at) FROM deltas "
                                     "GROUP BY store_id, terminal_id"));
  std::map<TerminalKey, std::int64_t> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) break;
    out[{q.column_text(0), q.column_text(1)}] = q.column_int64(2);
  }
  return out;
}

}  // namespace pma::hq
