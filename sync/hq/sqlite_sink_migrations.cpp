#include "sync/hq/sqlite_sink_migrations.h"

#include <fmt/format.h>

#include <array>
#include <initializer_list>
#include <utility>
#include <vector>

#include "pma/v1/delta.pb.h"

namespace pma::hq {

namespace {

Result<bool> table_exists(sqlite::Database& db, std::string_view name) {
  PMA_TRY_ASSIGN(
      auto q, db.prepare("SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1"));
  q.bind(1, name);
  PMA_TRY(q.step());
  const bool found = q.column_int64(0) != 0;
  PMA_TRY(q.run());
  return found;
}

Result<bool> column_exists(sqlite::Database& db, std::string_view table, std::string_view column) {
  PMA_TRY_ASSIGN(auto q, db.prepare("SELECT COUNT(*) FROM pragma_table_info(?1) WHERE name = ?2"));
  q.bind(1, table).bind(2, column);
  PMA_TRY(q.step());
  const bool found = q.column_int64(0) != 0;
  PMA_TRY(q.run());
  return found;
}

// The legacy steps (1-7) run on files earlier releases may have left half-way between two
// shapes (a release's open created some of its tables before it failed on a missing column),
// so each adds only what is missing. ALTER has no IF NOT EXISTS.
Status add_column(sqlite::Database& db, std::string_view table, std::string_view column,
                  std::string_view definition, bool* added = nullptr) {
  PMA_TRY_ASSIGN(auto present, column_exists(db, table, column));
  if (added != nullptr) *added = !present;
  if (present) return {};
  return db.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", table, column, definition));
}

Status spend_columns(sqlite::Database& db) {
  PMA_TRY(add_column(db, "members", "spend_month", "INTEGER NOT NULL DEFAULT 0"));
  return add_column(db, "members", "spend_month_fen", "INTEGER NOT NULL DEFAULT 0");
}

Status hold_ids(sqlite::Database& db) {
  // Releases 2-3 created holds without hold_id, and release 4 added it only to CREATE TABLE IF
  // NOT EXISTS, so their files kept holds without it (and failed to open afterwards).
  return add_column(db, "holds", "hold_id", "INTEGER NOT NULL DEFAULT 0");
}

Status identities(sqlite::Database& db) {
  // members.profile: 1 once HQ has the member's card, phone, name and birthday (an import, a
  // registration); 0 for a row that exists only because a till booked points for the id.
  // Rows from before the column with any of those fields count as known.
  bool added = false;
  PMA_TRY(add_column(db, "members", "profile", "INTEGER NOT NULL DEFAULT 0", &added));
  if (added) {
    PMA_TRY(db.exec(
        "UPDATE members SET profile = 1 WHERE card_no IS NOT NULL OR phone_hash IS NOT NULL OR "
        "phone_masked <> '' OR name <> '' OR birthday <> ''"));
  }
  PMA_TRY(db.exec(
      "CREATE TABLE IF NOT EXISTS disputed_ids(provisional_id TEXT NOT NULL, store_id TEXT NOT "
      "NULL, terminal_id TEXT NOT NULL, from_seq INTEGER NOT NULL, PRIMARY KEY(provisional_id, "
      "store_id, terminal_id)) WITHOUT ROWID;"));
  // Delta identities, while deltas still live in `applied` (a file that reached step 7's
  // shape already has them in `deltas`). The txn ids applied before: kind 0, digest NULL,
  // their kind and content were not kept, so a delta naming one is taken as sent again.
  PMA_TRY_ASSIGN(auto applied, table_exists(db, "applied"));
  PMA_TRY_ASSIGN(auto kept, table_exists(db, "applied_txns"));
  if (!applied || kept) return {};
  return db.exec(
      "CREATE TABLE applied_txns(store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, "
      "txn_id TEXT NOT NULL, kind INTEGER NOT NULL, digest INTEGER, seq INTEGER NOT NULL, "
      "PRIMARY KEY(store_id, terminal_id, txn_id, kind)) WITHOUT ROWID;"
      "INSERT INTO applied_txns(store_id, terminal_id, txn_id, kind, digest, seq) "
      "SELECT store_id, terminal_id, txn_id, 0, NULL, MIN(seq) FROM applied WHERE txn_id <> '' "
      "GROUP BY store_id, terminal_id, txn_id;");
}

Status sales(sqlite::Database& db) {
  PMA_TRY_ASSIGN(auto applied, table_exists(db, "applied"));
  if (!applied) return {};  // in `deltas` already
  return db.exec(
      "CREATE TABLE IF NOT EXISTS sales(store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, "
      "txn_id TEXT NOT NULL, member_id TEXT NOT NULL, paid_fen INTEGER NOT NULL, points_earned "
      "INTEGER NOT NULL, points_burned INTEGER NOT NULL, refunded_fen INTEGER NOT NULL DEFAULT "
      "0, points_reversed INTEGER NOT NULL DEFAULT 0, points_restored INTEGER NOT NULL DEFAULT "
      "0, PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;");
}

// One row per applied delta, written in the transaction that moves highest_seq past it. Its
// key is its identity: (txn id, kind) with unkeyed_seq 0, so a delta sent again under another
// seq is recognised; a delta without txn id (or, carried over from before identities were
// kept, a txn id applied again) is keyed by its seq in unkeyed_seq. kind 0: a txn applied
// before kinds were kept (digest NULL). A checkout also carries what a refund may take back:
// member_id '' for an anonymous sale; NULL for one applied before HQ kept sales.
// deltas_kind0 finds the kind 0 identities at open without a scan; no new row enters it.
constexpr std::string_view kDeltas = R"sql(
CREATE TABLE IF NOT EXISTS deltas(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  kind INTEGER NOT NULL, unkeyed_seq INTEGER NOT NULL, seq INTEGER NOT NULL, digest INTEGER,
  applied_at INTEGER NOT NULL, member_id TEXT, paid_fen INTEGER, points_earned INTEGER,
  points_burned INTEGER, refunded_fen INTEGER NOT NULL DEFAULT 0,
  points_reversed INTEGER NOT NULL DEFAULT 0, points_restored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id, kind, unkeyed_seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deltas_kind0 ON deltas(store_id) WHERE kind = 0 AND unkeyed_seq = 0;
)sql";

Status one_row_per_delta(sqlite::Database& db) {
  // Each `applied` row becomes one row of `deltas`, with its identity from applied_txns and
  // its sale's figures from sales. An `applied` row without identity (no txn id, or a txn id
  // applied again before identities were kept) is keyed by its seq. Plain INSERTs: a row that
  // would collide fails the step (and the open) rather than losing an identity. applied_txns
  // rows without their `applied` row (none are known) keep their identity all the same.
  PMA_TRY_ASSIGN(auto applied, table_exists(db, "applied"));
  if (!applied) return {};
  PMA_TRY(db.exec(fmt::format(
      "INSERT INTO deltas(store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, digest, "
      "applied_at, member_id, paid_fen, points_earned, points_burned, refunded_fen, "
      "points_reversed, points_restored) "
      "SELECT a.store_id, a.terminal_id, a.txn_id, COALESCE(t.kind, 0), "
      "IIF(t.kind IS NULL, a.seq, 0), a.seq, t.digest, a.applied_at, s.member_id, s.paid_fen, "
      "s.points_earned, s.points_burned, COALESCE(s.refunded_fen, 0), "
      "COALESCE(s.points_reversed, 0), COALESCE(s.points_restored, 0) FROM applied a "
      "LEFT JOIN applied_txns t ON t.store_id = a.store_id AND t.terminal_id = a.terminal_id "
      "AND t.txn_id = a.txn_id AND t.seq = a.seq "
      "LEFT JOIN sales s ON t.kind IN (0, {0}) AND s.store_id = a.store_id AND "
      "s.terminal_id = a.terminal_id AND s.txn_id = a.txn_id;"
      "INSERT INTO deltas(store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, digest, "
      "applied_at) SELECT t.store_id, t.terminal_id, t.txn_id, t.kind, 0, t.seq, t.digest, 0 "
      "FROM applied_txns t WHERE NOT EXISTS(SELECT 1 FROM applied a WHERE "
      "a.store_id = t.store_id AND a.terminal_id = t.terminal_id AND a.seq = t.seq AND "
      "a.txn_id = t.txn_id);"
      "DROP TABLE applied; DROP TABLE applied_txns; DROP TABLE sales;",
      static_cast<int>(pma::v1::Delta::kCheckout))));
  return {};
}

// Never edit a shipped migration: append a new version instead. Steps 1-7 say IF NOT EXISTS
// because files of those versions were made by earlier releases' own open code (see above).
constexpr std::array kMigrations = {
    sqlite::Migration{1, "terminals, applied deltas, members, coupons, conflicts, rule sets",
                      R"sql(
CREATE TABLE IF NOT EXISTS terminals(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, highest_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS applied(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, seq INTEGER NOT NULL,
  txn_id TEXT NOT NULL, applied_at INTEGER NOT NULL,
  PRIMARY KEY(store_id, terminal_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members(
  member_id TEXT PRIMARY KEY, card_no TEXT UNIQUE, phone_hash BLOB UNIQUE,
  phone_masked TEXT NOT NULL DEFAULT '', name TEXT NOT NULL DEFAULT '',
  birthday TEXT NOT NULL DEFAULT '', tier INTEGER NOT NULL DEFAULT 1,
  points INTEGER NOT NULL DEFAULT 0, version INTEGER NOT NULL, erased INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS members_by_version ON members(version);
CREATE TABLE IF NOT EXISTS coupons(
  code TEXT PRIMARY KEY, member_id TEXT, template_id TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '', valid_from INTEGER NOT NULL DEFAULT 0,
  valid_until INTEGER NOT NULL DEFAULT 0, state INTEGER NOT NULL DEFAULT 1,
  redeemed_store TEXT, redeemed_terminal TEXT, redeemed_txn TEXT);
CREATE INDEX IF NOT EXISTS coupons_by_member ON coupons(member_id);
CREATE TABLE IF NOT EXISTS provisional_ids(
  provisional_id TEXT PRIMARY KEY, member_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS conflicts(
  id INTEGER PRIMARY KEY, kind TEXT NOT NULL, member_id TEXT NOT NULL DEFAULT '',
  coupon_code TEXT NOT NULL DEFAULT '', store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  seq INTEGER NOT NULL, detail TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rule_sets(version INTEGER PRIMARY KEY, rule_set BLOB NOT NULL);
)sql"},
    sqlite::Migration{2, "online-first holds of points and coupons", R"sql(
CREATE TABLE IF NOT EXISTS holds(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, points INTEGER NOT NULL, until_ms INTEGER NOT NULL,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_by_member ON holds(member_id, until_ms);
CREATE TABLE IF NOT EXISTS held_coupons(
  code TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  txn_id TEXT NOT NULL, until_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_coupons_by_txn ON held_coupons(store_id, terminal_id, txn_id);
)sql"},
    // Spend: the member row holds one month's bucket (spend_month, spend_month_fen; normally
    // the newest), so a checkout costs no extra write; other months live in member_spend.
    sqlite::Migration{3, "monthly spend, terminal revocation and last-seen times", R"sql(
CREATE TABLE IF NOT EXISTS member_spend(
  member_id TEXT NOT NULL, month INTEGER NOT NULL, spend_fen INTEGER NOT NULL,
  PRIMARY KEY(member_id, month)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terminal_access(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  changed_at_ms INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id)) WITHOUT ROWID;
)sql",
                      &spend_columns},
    sqlite::Migration{4, "hold ids (a late release cannot drop a newer hold)", "", &hold_ids},
    sqlite::Migration{5, "member profiles, delta identities, disputed provisional ids", "",
                      &identities},
    sqlite::Migration{6, "sale figures refunds are checked against", "", &sales},
    sqlite::Migration{7,
                      "one row per applied delta (deltas) instead of applied, applied_txns "
                      "and sales",
                      kDeltas, &one_row_per_delta},
};

// The tables and columns each legacy version added (what legacy_sink_version looks for).
struct Shape {
  int version;
  std::vector<std::string_view> tables;  // all of them
  std::vector<std::pair<std::string_view, std::string_view>> columns;
};

}  // namespace

std::span<const sqlite::Migration> sink_migrations() { return kMigrations; }

int latest_sink_schema_version() { return kMigrations.back().version; }

Result<int> legacy_sink_version(sqlite::Database& db) {
  PMA_TRY_ASSIGN(auto count, db.prepare("SELECT COUNT(*) FROM sqlite_schema"));
  PMA_TRY(count.step());
  const bool empty = count.column_int64(0) == 0;
  PMA_TRY(count.run());
  if (empty) return 0;
  auto has = [&](std::string_view table) -> Result<bool> { return table_exists(db, table); };
  auto all = [&](const std::vector<std::string_view>& tables) -> Result<bool> {
    for (std::string_view t : tables) {
      auto found = has(t);
      if (!found || !*found) return found;
    }
    return true;
  };
  PMA_TRY_ASSIGN(auto core, all({"terminals", "members", "coupons", "provisional_ids", "conflicts",
                                 "rule_sets"}));
  if (!core) {
    return fail("schema_unrecognised",
                fmt::format("'{}' has no schema version and its tables are not memberhq's "
                            "(terminals, members, coupons, ...): is it a till's database?",
                            db.path()));
  }
  // Where deltas are kept: `applied` (versions 1-6) or `deltas` (7). A file with both had the
  // move to `deltas` rolled back.
  auto applied = has("applied");
  auto deltas = has("deltas");
  auto identities = has("applied_txns");
  auto sales_kept = has("sales");
  for (const auto* r : {&applied, &deltas, &identities, &sales_kept}) {
    if (!*r) return std::unexpected(r->error());
  }
  const bool moved = *deltas && !*applied;
  const Shape shapes[] = {
      {2, {"holds", "held_coupons"}, {}},
      {3,
       {"member_spend", "terminal_access"},
       {{"members", "spend_month"}, {"members", "spend_month_fen"}}},
      {4, {}, {{"holds", "hold_id"}}},
      {5, {"disputed_ids"}, {{"members", "profile"}}},
  };
  if (!*applied && !moved) {
    return fail(
        "schema_unrecognised",
        fmt::format("'{}' has no schema version, and neither applied nor deltas", db.path()));
  }
  int version = 1;
  for (const Shape& shape : shapes) {
    PMA_TRY_ASSIGN(auto tables, all(shape.tables));
    bool complete = tables;
    for (const auto& [table, column] : shape.columns) {
      if (!complete) break;
      PMA_TRY_ASSIGN(auto found, column_exists(db, table, column));
      complete = found;
    }
    if (!complete) return version;
    version = shape.version;
  }
  if (!moved && !*identities) return 4;
  if (!moved && !*sales_kept) return 5;
  return moved ? 7 : 6;
}

Status migrate_sink(sqlite::Database& db, int target) {
  return sqlite::migrate(
      db, kMigrations,
      {.target = target, .program = "memberhq", .legacy_version = &legacy_sink_version});
}

}  // namespace pma::hq
