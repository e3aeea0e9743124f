#include "hq/sqlite_operations_reads.h"

namespace pma::hq {

Result<std::uint64_t> SqliteOperationsReads::conflict_count() {
  auto q = db_.prepare("SELECT COUNT(*) FROM conflicts");
  if (!q) return std::unexpected(q.error());
  PMA_TRY(q->step());
  return static_cast<std::uint64_t>(q->column_int64(0));
}

Result<std::map<OperationsReads::TerminalKey, std::int64_t>> SqliteOperationsReads::last_batches() {
  auto q = db_.prepare(
      "SELECT store_id, terminal_id, MAX(applied_at) FROM deltas GROUP BY store_id, terminal_id");
  if (!q) return std::unexpected(q.error());
  std::map<TerminalKey, std::int64_t> out;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out[{q->column_text(0), q->column_text(1)}] = q->column_int64(2);
  }
  return out;
}

}  // namespace pma::hq
