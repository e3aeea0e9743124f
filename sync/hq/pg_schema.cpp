#include "sync/hq/pg_schema.h"

#include <fmt/format.h>

#include <array>
#include <string_view>

#include "pma/calendar.h"
#include "sync/hq/pg_core.h"

namespace pma::hq {

namespace {

struct PgMigration {
  int version;
  std::string_view description;
  std::string_view sql;
};

// Never edit a shipped migration: append a new version instead. All integers are bigint (the
// driver sends int8), booleans are 0/1 bigints as in the SQLite schema.
// Distribution columns (Citus): members, member_spend, coupons: member_id; terminals,
// terminal_access, holds, deltas, conflicts: store_id; provisional_ids, disputed_ids:
// provisional_id; held_coupons: code; rule_sets: a reference table.
// deltas is the ledger of applied deltas, partitioned by the month of the delta's own time
// (occurred_at_ms): a delta sent again has the same contents and so the same month, so its
// identity key (store, terminal, txn id, kind, unkeyed seq, month) still catches it.
constexpr std::array kMigrations = {
    PgMigration{1, "members, coupons, terminals, the delta ledger, holds, conflicts, rule sets",
                R"sql(
CREATE TABLE terminals(
  store_id text NOT NULL, terminal_id text NOT NULL, highest_seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id));
CREATE TABLE terminal_access(
  store_id text NOT NULL, terminal_id text NOT NULL, revoked bigint NOT NULL DEFAULT 0,
  changed_at_ms bigint NOT NULL DEFAULT 0, last_seen_ms bigint NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id));
CREATE TABLE members(
  member_id text NOT NULL PRIMARY KEY, card_no text UNIQUE, phone_hash bytea UNIQUE,
  phone_masked text NOT NULL DEFAULT '', name text NOT NULL DEFAULT '',
  birthday text NOT NULL DEFAULT '', tier bigint NOT NULL DEFAULT 1,
  points bigint NOT NULL DEFAULT 0, version bigint NOT NULL, erased bigint NOT NULL DEFAULT 0,
  spend_month bigint NOT NULL DEFAULT 0, spend_month_fen bigint NOT NULL DEFAULT 0,
  profile bigint NOT NULL DEFAULT 0);
CREATE INDEX members_by_version ON members(version);
CREATE SEQUENCE member_versions;
CREATE SEQUENCE member_numbers;
CREATE SEQUENCE hold_ids;
SELECT setval('hold_ids', (extract(epoch FROM clock_timestamp()) * 1000000)::bigint);
CREATE TABLE member_spend(
  member_id text NOT NULL, month bigint NOT NULL, spend_fen bigint NOT NULL,
  PRIMARY KEY(member_id, month));
CREATE TABLE coupons(
  member_id text NOT NULL DEFAULT '', code text NOT NULL, template_id text NOT NULL DEFAULT '',
  title text NOT NULL DEFAULT '', valid_from bigint NOT NULL DEFAULT 0,
  valid_until bigint NOT NULL DEFAULT 0, state bigint NOT NULL DEFAULT 1,
  redeemed_store text, redeemed_terminal text, redeemed_txn text,
  PRIMARY KEY(member_id, code), UNIQUE(code));
CREATE TABLE provisional_ids(provisional_id text NOT NULL PRIMARY KEY, member_id text NOT NULL);
CREATE TABLE disputed_ids(
  provisional_id text NOT NULL, store_id text NOT NULL, terminal_id text NOT NULL,
  from_seq bigint NOT NULL, PRIMARY KEY(provisional_id, store_id, terminal_id));
CREATE TABLE conflicts(
  id bigint GENERATED ALWAYS AS IDENTITY, kind text NOT NULL,
  member_id text NOT NULL DEFAULT '', coupon_code text NOT NULL DEFAULT '',
  store_id text NOT NULL, terminal_id text NOT NULL, seq bigint NOT NULL, detail text NOT NULL,
  at_ms bigint NOT NULL, PRIMARY KEY(store_id, id));
CREATE INDEX conflicts_by_id ON conflicts(id);
CREATE TABLE rule_sets(version bigint NOT NULL PRIMARY KEY, rule_set bytea NOT NULL);
CREATE TABLE holds(
  store_id text NOT NULL, terminal_id text NOT NULL, txn_id text NOT NULL,
  member_id text NOT NULL, points bigint NOT NULL, until_ms bigint NOT NULL,
  hold_id bigint NOT NULL DEFAULT 0, PRIMARY KEY(store_id, terminal_id, txn_id));
CREATE INDEX holds_by_member ON holds(member_id, until_ms);
CREATE TABLE held_coupons(
  code text NOT NULL PRIMARY KEY, store_id text NOT NULL, terminal_id text NOT NULL,
  txn_id text NOT NULL, until_ms bigint NOT NULL);
CREATE INDEX held_coupons_by_txn ON held_coupons(store_id, terminal_id, txn_id);
CREATE TABLE deltas(
  store_id text NOT NULL, terminal_id text NOT NULL, txn_id text NOT NULL, kind bigint NOT NULL,
  unkeyed_seq bigint NOT NULL, month bigint NOT NULL, seq bigint NOT NULL, digest bigint,
  applied_at bigint NOT NULL, member_id text, paid_fen bigint, points_earned bigint,
  points_burned bigint, refunded_fen bigint NOT NULL DEFAULT 0,
  points_reversed bigint NOT NULL DEFAULT 0, points_restored bigint NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id, kind, unkeyed_seq, month))
  PARTITION BY RANGE (month);
CREATE TABLE deltas_default PARTITION OF deltas DEFAULT;
CREATE INDEX deltas_by_seq ON deltas(store_id, terminal_id, seq);
CREATE INDEX deltas_kind0 ON deltas(store_id) WHERE kind = 0 AND unkeyed_seq = 0;
)sql"},
};

Result<std::int64_t> current_version(pg::Connection& db) {
  PMA_TRY_ASSIGN(auto rows, db.query("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  return rows.int64(0, 0);
}

}  // namespace

int latest_pg_schema_version() { return kMigrations.back().version; }

Status migrate_pg(pg::Connection& db) {
  PMA_TRY(
      db.exec("CREATE TABLE IF NOT EXISTS schema_version(version bigint PRIMARY KEY, "
              "description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"));
  for (;;) {
    PMA_TRY_ASSIGN(auto tx, pg::Transaction::begin(db, pg::Transaction::Isolation::read_committed));
    PMA_TRY(pg::run(db, "SELECT pg_advisory_xact_lock($1)", PgCore::kSchemaLock));
    PMA_TRY_ASSIGN(auto version, current_version(db));
    if (version > latest_pg_schema_version()) {
      return fail("schema_too_new",
                  fmt::format("the database is at schema version {}, this memberhq knows up to "
                              "{}: refused, nothing changed",
                              version, latest_pg_schema_version()));
    }
    if (version == latest_pg_schema_version()) return tx.commit();
    const PgMigration& step = kMigrations[static_cast<std::size_t>(version)];
    auto failed = [&](const Error& e) {
      return fail("schema_migration",
                  fmt::format("step {} ({}): {}", step.version, step.description, e.message));
    };
    if (auto ok = db.exec(step.sql); !ok) return failed(ok.error());
    if (auto ok = pg::run(db, "INSERT INTO schema_version(version, description) VALUES($1, $2)",
                          step.version, step.description);
        !ok) {
      return failed(ok.error());
    }
    if (auto ok = tx.commit(); !ok) return failed(ok.error());
  }
}

Status ensure_delta_partitions(pg::Connection& db, std::int64_t now_ms) {
  const std::int64_t now = utc_month_index(now_ms);
  for (std::int64_t month = now - 1; month <= now + 2; ++month) {
    PMA_TRY_ASSIGN(auto tx, pg::Transaction::begin(db, pg::Transaction::Isolation::read_committed));
    PMA_TRY(pg::run(db, "SELECT pg_advisory_xact_lock($1)", PgCore::kSchemaLock));
    const std::string name = fmt::format("deltas_m{}", month);
    PMA_TRY_ASSIGN(auto exists,
                   db.query("SELECT to_regclass($1) IS NOT NULL", std::vector<pg::Param>{name}));
    // A month whose deltas already went to the default partition stays there (PostgreSQL
    // refuses a partition the default holds rows of).
    PMA_TRY_ASSIGN(auto in_default,
                   db.query("SELECT EXISTS(SELECT 1 FROM deltas_default WHERE month = $1)",
                            std::vector<pg::Param>{month}));
    if (*exists.int64(0, 0) == 0 && *in_default.int64(0, 0) == 0) {
      PMA_TRY(
          db.exec(fmt::format("CREATE TABLE {} PARTITION OF deltas FOR VALUES FROM ({}) TO ({})",
                              name, month, month + 1)));
    }
    PMA_TRY(tx.commit());
  }
  return {};
}

}  // namespace pma::hq
