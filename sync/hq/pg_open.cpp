#include "sync/hq/pg_open.h"

#include <fmt/format.h>

#include <string_view>

#include "drivers/sqlite/database.h"
#include "pma/calendar.h"
#include "sync/hq/pg_sink.h"
#include "sync/hq/sqlite_sink.h"

namespace pma::hq {

bool is_postgresql_uri(const std::string& db) {
  return db.starts_with("postgresql://") || db.starts_with("postgres://");
}

Result<std::unique_ptr<Sink>> open_sink(const std::string& db) {
  if (is_postgresql_uri(db)) {
    PMA_TRY_ASSIGN(auto sink, PgSink::open(db));
    return std::unique_ptr<Sink>(std::move(sink));
  }
  PMA_TRY_ASSIGN(auto sink, SqliteSink::open(db));
  return std::unique_ptr<Sink>(std::move(sink));
}

namespace {

// A table as copied: the SELECT on the SQLite side, the INSERT on PostgreSQL's, and each
// column's kind (t text, i integer, b bytes; NULL stays NULL). deltas gets its month.
struct TableCopy {
  std::string_view table;
  std::string_view select;
  std::string_view insert;
  std::string_view kinds;
};

constexpr TableCopy kTables[] = {
    {"terminals", "SELECT store_id, terminal_id, highest_seq FROM terminals",
     "INSERT INTO terminals VALUES($1, $2, $3)", "tti"},
    {"terminal_access",
     "SELECT store_id, terminal_id, revoked, changed_at_ms, last_seen_ms FROM terminal_access",
     "INSERT INTO terminal_access(store_id, terminal_id, revoked, changed_at_ms, last_seen_ms) "
     "VALUES($1, $2, $3, $4, $5)",
     "ttiii"},
    {"members",
     "SELECT member_id, card_no, phone_hash, phone_masked, name, birthday, tier, points, version, "
     "erased, spend_month, spend_month_fen, profile FROM members",
     "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, tier, "
     "points, version, erased, spend_month, spend_month_fen, profile) VALUES($1, $2, $3, $4, $5, "
     "$6, $7, $8, $9, $10, $11, $12, $13)",
     "ttbtttiiiiiii"},
    {"member_spend", "SELECT member_id, month, spend_fen FROM member_spend",
     "INSERT INTO member_spend VALUES($1, $2, $3)", "tii"},
    {"coupons",
     "SELECT COALESCE(member_id, ''), code, template_id, title, valid_from, valid_until, state, "
     "redeemed_store, redeemed_terminal, redeemed_txn FROM coupons",
     "INSERT INTO coupons(member_id, code, template_id, title, valid_from, valid_until, state, "
     "redeemed_store, redeemed_terminal, redeemed_txn) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, "
     "$10)",
     "ttttiiittt"},
    {"provisional_ids", "SELECT provisional_id, member_id FROM provisional_ids",
     "INSERT INTO provisional_ids VALUES($1, $2)", "tt"},
    {"disputed_ids", "SELECT provisional_id, store_id, terminal_id, from_seq FROM disputed_ids",
     "INSERT INTO disputed_ids VALUES($1, $2, $3, $4)", "ttti"},
    {"conflicts",
     "SELECT id, kind, member_id, coupon_code, store_id, terminal_id, seq, detail, at_ms FROM "
     "conflicts",
     "INSERT INTO conflicts(id, kind, member_id, coupon_code, store_id, terminal_id, seq, detail, "
     "at_ms) OVERRIDING SYSTEM VALUE VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9)",
     "ittttttti"},
    {"rule_sets", "SELECT version, rule_set FROM rule_sets", "INSERT INTO rule_sets VALUES($1, $2)",
     "ib"},
    {"holds",
     "SELECT store_id, terminal_id, txn_id, member_id, points, until_ms, hold_id FROM holds",
     "INSERT INTO holds(store_id, terminal_id, txn_id, member_id, points, until_ms, hold_id) "
     "VALUES($1, $2, $3, $4, $5, $6, $7)",
     "ttttiii"},
    {"held_coupons", "SELECT code, store_id, terminal_id, txn_id, until_ms FROM held_coupons",
     "INSERT INTO held_coupons VALUES($1, $2, $3, $4, $5)", "tttti"},
    // The month of a copied delta is that of its applied_at (SQLite kept no occurred_at); the
    // PostgreSQL sink looks identities up across partitions, so a resend still finds it.
    {"deltas",
     "SELECT store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, digest, applied_at, "
     "member_id, paid_fen, points_earned, points_burned, refunded_fen, points_reversed, "
     "points_restored FROM deltas",
     "INSERT INTO deltas(store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, digest, "
     "applied_at, member_id, paid_fen, points_earned, points_burned, refunded_fen, "
     "points_reversed, points_restored, month) VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
     "$11, $12, $13, $14, $15, $16)",
     "tttiiiiitiiiiii"},
};

// The figures compared: every table's rows, and the sums money and points depend on.
constexpr std::pair<std::string_view, std::string_view> kSums[] = {
    {"members points sum", "SELECT COALESCE(SUM(points), 0) FROM members"},
    {"members spend_month_fen sum", "SELECT COALESCE(SUM(spend_month_fen), 0) FROM members"},
    {"member_spend spend_fen sum", "SELECT COALESCE(SUM(spend_fen), 0) FROM member_spend"},
    {"deltas paid_fen sum", "SELECT COALESCE(SUM(paid_fen), 0) FROM deltas"},
    {"deltas refunded_fen sum", "SELECT COALESCE(SUM(refunded_fen), 0) FROM deltas"},
    {"terminals highest_seq sum", "SELECT COALESCE(SUM(highest_seq), 0) FROM terminals"},
};

Result<std::int64_t> sqlite_scalar(sqlite::Database& db, std::string_view sql) {
  PMA_TRY_ASSIGN(auto q, db.prepare(sql));
  PMA_TRY(q.step());
  return q.column_int64(0);
}

Result<std::int64_t> pg_scalar(pg::Connection& db, std::string_view sql) {
  // SUM of bigint is numeric in PostgreSQL: read back as an integer.
  PMA_TRY_ASSIGN(auto rows, db.query(fmt::format("SELECT ({})::bigint", sql)));
  return rows.int64(0, 0);
}

}  // namespace

Result<std::vector<MigrationFigure>> migrate_sqlite_to_pg(const std::string& sqlite_path,
                                                          const std::string& uri) {
  {  // the source at the current schema (what opening it in memberhq does anyway)
    PMA_TRY(SqliteSink::open(sqlite_path));
  }
  PMA_TRY_ASSIGN(auto target, PgSink::open(uri));
  pg::Connection& pg = target->core().db();
  PMA_TRY_ASSIGN(auto src, sqlite::Database::open(sqlite_path, {.read_only = true}));
  sqlite::Database& lite = *src;
  PMA_TRY(sqlite::Transaction::begin_read(lite));
  PMA_TRY_ASSIGN(auto tx, pg::Transaction::begin(pg));
  for (std::string_view table : {"members", "terminals", "deltas"}) {
    PMA_TRY_ASSIGN(auto n, pg_scalar(pg, fmt::format("SELECT COUNT(*) FROM {}", table)));
    if (n != 0) {
      return fail("migrate_target_not_empty",
                  fmt::format("the PostgreSQL database already holds {} row(s) in {}: migrate "
                              "copies into an empty HQ database only",
                              n, table));
    }
  }
  constexpr std::size_t kChunk = 1000;  // rows per pipelined round trip
  std::vector<pg::Query> queries;
  for (const TableCopy& t : kTables) {
    PMA_TRY_ASSIGN(auto q, lite.prepare(t.select));
    const bool deltas = t.table == "deltas";
    for (bool more = true; more;) {
      PMA_TRY_ASSIGN(auto row, q.step());
      more = row;
      if (more) {
        pg::Query& insert = queries.emplace_back();
        insert.sql = t.insert;
        for (std::size_t c = 0; c < t.kinds.size(); ++c) {
          const int col = static_cast<int>(c);
          if (q.column_is_null(col)) {
            insert.params.emplace_back(nullptr);
          } else if (t.kinds[c] == 'i') {
            insert.params.emplace_back(q.column_int64(col));
          } else if (t.kinds[c] == 'b') {
            insert.params.emplace_back(q.column_blob(col));
          } else {
            insert.params.emplace_back(q.column_text(col));
          }
        }
        if (deltas) insert.params.emplace_back(utc_month_index(q.column_int64(7)));
      }
      if (queries.size() == kChunk || (!more && !queries.empty())) {
        auto done = pg.pipeline(queries);
        if (!done) {
          return fail(done.error().code,
                      fmt::format("copying {}: {}", t.table, done.error().message));
        }
        queries.clear();
      }
    }
  }
  // Counters continue past what was copied.
  PMA_TRY(pg.exec(
      "SELECT setval('member_versions', GREATEST((SELECT COALESCE(MAX(version), 0) FROM "
      "members), 1));"
      "SELECT setval('hold_ids', GREATEST((SELECT last_value FROM hold_ids), (SELECT "
      "COALESCE(MAX(hold_id), 0) FROM holds)));"
      "SELECT setval(pg_get_serial_sequence('conflicts', 'id'), GREATEST((SELECT COALESCE(MAX(id), "
      "0) FROM conflicts), 1));"));
  std::vector<MigrationFigure> figures;
  for (const TableCopy& t : kTables) {
    const std::string count = fmt::format("SELECT COUNT(*) FROM {}", t.table);
    PMA_TRY_ASSIGN(auto a, sqlite_scalar(lite, count));
    PMA_TRY_ASSIGN(auto b, pg_scalar(pg, count));
    figures.push_back({fmt::format("{} rows", t.table), a, b});
  }
  for (const auto& [what, sql] : kSums) {
    PMA_TRY_ASSIGN(auto a, sqlite_scalar(lite, sql));
    PMA_TRY_ASSIGN(auto b, pg_scalar(pg, sql));
    figures.push_back({std::string(what), a, b});
  }
  for (const auto& f : figures) {
    if (f.source != f.copy) {
      return fail("migrate_mismatch", fmt::format("{}: {} in {}, {} in the copy; nothing was kept",
                                                  f.what, f.source, sqlite_path, f.copy));
    }
  }
  PMA_TRY(tx.commit());
  return figures;
}

}  // namespace pma::hq
