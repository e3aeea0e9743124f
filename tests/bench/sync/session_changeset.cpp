// The only bench file that includes sqlite3.h (built with the session extension enabled).
#include "tests/bench/sync/session_changeset.h"

#include <sqlite3.h>

#include <stdexcept>

namespace pma::bench {

std::vector<std::uint8_t> session_changeset(const std::vector<CheckoutRow>& rows) {
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(
      db,
      "CREATE TABLE checkouts(seq INTEGER PRIMARY KEY, txn_id TEXT, member_id TEXT, "
      "occurred_at INTEGER, gross_fen INTEGER, tier_discount_fen INTEGER, paid_fen INTEGER, "
      "points_earned INTEGER, rule_set_version INTEGER);"
      "CREATE TABLE ledger(id INTEGER PRIMARY KEY, member_id TEXT, txn_id TEXT, "
      "points INTEGER, outbox_seq INTEGER);",
      nullptr, nullptr, nullptr);
  sqlite3_session* session = nullptr;
  if (sqlite3session_create(db, "main", &session) != SQLITE_OK) {
    throw std::runtime_error("sqlite3session_create failed: is the session extension built?");
  }
  sqlite3session_attach(session, nullptr);
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* c = nullptr;
  sqlite3_stmt* l = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO checkouts VALUES(?,?,?,?,?,?,?,?,?)", -1, &c, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO ledger(member_id, txn_id, points, outbox_seq) "
                     "VALUES(?,?,?,?)",
                     -1, &l, nullptr);
  for (const auto& r : rows) {
    sqlite3_bind_int64(c, 1, r.seq);
    sqlite3_bind_text(c, 2, r.txn_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(c, 3, r.member_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(c, 4, r.occurred_at_ms);
    sqlite3_bind_int64(c, 5, r.gross_fen);
    sqlite3_bind_int64(c, 6, r.tier_discount_fen);
    sqlite3_bind_int64(c, 7, r.paid_fen);
    sqlite3_bind_int64(c, 8, r.points_earned);
    sqlite3_bind_int64(c, 9, r.rule_set_version);
    sqlite3_step(c);
    sqlite3_reset(c);
    if (r.member_id.empty()) continue;  // the agent writes ledger rows for members only
    sqlite3_bind_text(l, 1, r.member_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(l, 2, r.txn_id.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(l, 3, r.points_earned);
    sqlite3_bind_int64(l, 4, r.seq);
    sqlite3_step(l);
    sqlite3_reset(l);
  }
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  int size = 0;
  void* data = nullptr;
  sqlite3session_changeset(session, &size, &data);
  std::vector<std::uint8_t> out(static_cast<std::uint8_t*>(data),
                                static_cast<std::uint8_t*>(data) + size);
  sqlite3_free(data);
  sqlite3_finalize(c);
  sqlite3_finalize(l);
  sqlite3session_delete(session);
  sqlite3_close(db);
  return out;
}

}  // namespace pma::bench
