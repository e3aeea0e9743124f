#include "agent/store/ledger.h"

#include <fmt/format.h>

#include <algorithm>

#include "pma/v1/sync.pb.h"

namespace pma::store {

// "Oldest first" below is commit order: by outbox seq (assigned in commit order), and within a
// transaction as written (earn before burn, refund_reverse before refund_restore: kind DESC).
#define PMA_LEDGER_COMMIT_ORDER " ORDER BY COALESCE(outbox_seq, 0), created_at, kind DESC"

Status Ledger::append(const LedgerEntry& e) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "INSERT INTO ledger(member_id, txn_id, kind, points, amount_fen, created_at, outbox_seq, "
          "offline) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  stmt.bind_all(e.member_id, e.txn_id, e.kind, e.points, e.amount_fen, e.created_at_ms,
                static_cast<std::int64_t>(e.outbox_seq), e.offline ? 1 : 0);
  return stmt.run();
}

Result<std::int64_t> Ledger::single_int(Statement& stmt) {
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return fail("unknown_member", "no row");
  return stmt.column_int64(0);
}

Result<std::int64_t> Ledger::balance(std::string_view member_id) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("SELECT hq_points + (SELECT COALESCE(SUM(points), 0) FROM ledger "
                  "WHERE member_id = ?1 AND hq_reflected = 0) FROM members WHERE member_id = ?1"));
  stmt.bind(1, member_id);
  auto v = single_int(stmt);
  if (!v && v.error().code == "unknown_member") {
    return fail("unknown_member", fmt::format("member {} is not in the cache", member_id));
  }
  return v;
}

Result<std::int64_t> Ledger::spend_12m(std::string_view member_id, std::int64_t first_month,
                                       std::int64_t since_ms) {
  // HQ's months from first_month on (at least 0 together, as at HQ) or, when HQ sent no
  // months (an older HQ), the figure it sent; plus local spend HQ has not reflected yet.
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "SELECT spend_months, spend_12m_fen, (SELECT COALESCE(SUM(amount_fen), 0) FROM ledger "
          "WHERE member_id = ?1 AND hq_reflected = 0 AND created_at >= ?2) "
          "FROM members WHERE member_id = ?1"));
  stmt.bind(1, member_id).bind(2, since_ms);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) {
    return fail("unknown_member", fmt::format("member {} is not in the cache", member_id));
  }
  std::int64_t hq = stmt.column_int64(1);
  if (!stmt.column_is_null(0)) {
    const std::vector<std::uint8_t> blob = stmt.column_blob(0);
    pma::v1::SpendWindow window;
    if (!window.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
      return fail("ledger_corrupt",
                  fmt::format("member {}'s spend months do not parse", member_id));
    }
    hq = 0;
    for (int i = 0; i < window.fen_size(); ++i) {
      if (window.first_month() + i >= first_month) hq += window.fen(i);
    }
    hq = std::max<std::int64_t>(hq, 0);
  }
  return hq + stmt.column_int64(2);
}

Result<std::int64_t> Ledger::offline_burned_since(std::string_view member_id,
                                                  std::int64_t since_ms) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "SELECT COALESCE(-SUM(points), 0) FROM ledger WHERE member_id = ?1 AND kind = 'burn' "
          "AND offline = 1 AND created_at >= ?2"));
  stmt.bind(1, member_id).bind(2, since_ms);
  return single_int(stmt);
}

Result<std::vector<LedgerEntry>> Ledger::unreflected(std::string_view member_id) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "SELECT member_id, txn_id, kind, points, amount_fen, created_at, COALESCE(outbox_seq, "
          "0), "
          "offline FROM ledger WHERE member_id = ?1 AND hq_reflected = 0" PMA_LEDGER_COMMIT_ORDER));
  stmt.bind(1, member_id);
  return rows(stmt);
}

Result<std::vector<LedgerEntry>> Ledger::entries_for_txn(std::string_view txn_id) {
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare("SELECT member_id, txn_id, kind, points, amount_fen, created_at, "
                             "COALESCE(outbox_seq, 0), "
                             "offline FROM ledger WHERE txn_id = ?1" PMA_LEDGER_COMMIT_ORDER));
  stmt.bind(1, txn_id);
  return rows(stmt);
}

Result<std::vector<LedgerEntry>> Ledger::rows(Statement& stmt_ref) {
  auto* stmt = &stmt_ref;
  std::vector<LedgerEntry> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt->step());
    if (!row) break;
    out.push_back(LedgerEntry{stmt->column_text(0), stmt->column_text(1), stmt->column_text(2),
                              stmt->column_int64(3), stmt->column_int64(4), stmt->column_int64(5),
                              static_cast<std::uint64_t>(stmt->column_int64(6)),
                              stmt->column_int64(7) != 0});
  }
  return out;
}

}  // namespace pma::store
