#include "agent/store/qr_replay_store.h"

#include <limits>

namespace pma::store {

namespace {

// Time steps are unsigned; the verifier only accepts steps near now (~5.9e7 in 2026), so they
// fit SQLite's signed integers. Clamp anyway rather than wrap.
std::int64_t to_sql(std::uint64_t step) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(step > kMax ? kMax : step);
}

}  // namespace

Result<std::optional<std::uint64_t>> QrReplayStore::last_step(std::string_view credential_id,
                                                              std::uint64_t min_step) {
  auto stmt =
      db_.prepare("SELECT time_step FROM qr_replay WHERE credential_id = ?1 AND time_step >= ?2");
  if (!stmt) return std::unexpected(stmt.error());
  stmt->bind_all(credential_id, to_sql(min_step));
  PMA_TRY_ASSIGN(auto row, stmt->step());
  if (!row) return std::optional<std::uint64_t>();
  return std::optional<std::uint64_t>(static_cast<std::uint64_t>(stmt->column_int64(0)));
}

Status QrReplayStore::record(std::string_view credential_id, std::uint64_t step,
                             std::uint64_t forget_before) {
  PMA_TRY_ASSIGN(auto tx, Transaction::begin(db_));
  {
    PMA_TRY_ASSIGN(auto upsert,
                   db_.prepare("INSERT INTO qr_replay(credential_id, time_step) VALUES (?1, ?2) "
                               "ON CONFLICT(credential_id) DO UPDATE SET time_step = "
                               "max(time_step, excluded.time_step)"));
    if (auto ok = upsert.bind_all(credential_id, to_sql(step)).run(); !ok) return ok;
  }
  {
    PMA_TRY_ASSIGN(auto prune, db_.prepare("DELETE FROM qr_replay WHERE time_step < ?1"));
    if (auto ok = prune.bind_all(to_sql(forget_before)).run(); !ok) return ok;
  }
  return tx.commit();
}

Result<std::int64_t> QrReplayStore::size() {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT COUNT(*) FROM qr_replay"));
  PMA_TRY_ASSIGN(auto row, stmt.step());
  return row ? stmt.column_int64(0) : 0;
}

}  // namespace pma::store
