#include "store/migrations.h"

#include <fmt/format.h>

#include <array>

namespace pma::store {

namespace {

// Never edit a shipped migration: append a new version instead.
constexpr std::array kMigrations = {
    Migration{1, "member cache and sync state", R"sql(
CREATE TABLE members(
  member_id    TEXT PRIMARY KEY,
  card_no      TEXT UNIQUE,
  phone_hash   BLOB UNIQUE,
  phone_masked TEXT NOT NULL DEFAULT '',
  name         TEXT NOT NULL DEFAULT '',
  birthday     TEXT NOT NULL DEFAULT '',
  tier         INTEGER NOT NULL DEFAULT 1,
  hq_points    INTEGER NOT NULL DEFAULT 0,
  hq_version   INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sync_state(
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql"},
    Migration{2, "coupons, ledger, outbox and idempotency records", R"sql(
CREATE TABLE coupons(
  code          TEXT PRIMARY KEY,
  member_id     TEXT,
  template_id   TEXT NOT NULL,
  title         TEXT NOT NULL DEFAULT '',
  valid_from    INTEGER NOT NULL DEFAULT 0,
  valid_until   INTEGER NOT NULL DEFAULT 0,
  state         TEXT NOT NULL DEFAULT 'issued'
                CHECK (state IN ('issued', 'redeemed', 'revoked')),
  redeemed_txn  TEXT,
  updated_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX coupons_by_member ON coupons(member_id, state);
CREATE TABLE ledger(
  id           INTEGER PRIMARY KEY,
  member_id    TEXT NOT NULL,
  txn_id       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  points       INTEGER NOT NULL,
  amount_fen   INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL,
  outbox_seq   INTEGER,
  hq_reflected INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX ledger_unreflected ON ledger(member_id) WHERE hq_reflected = 0;
CREATE TABLE outbox(
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  txn_id     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  payload    BLOB NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE idempotency(
  key          TEXT PRIMARY KEY,
  request_hash BLOB NOT NULL,
  response     BLOB NOT NULL,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
    Migration{3, "durable print queue", R"sql(
CREATE TABLE print_queue(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  idem_key    TEXT NOT NULL UNIQUE,
  printer     TEXT NOT NULL,
  payload     BLOB NOT NULL,
  state       TEXT NOT NULL DEFAULT 'queued'
              CHECK (state IN ('queued', 'printing', 'printed', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  bytes_sent  INTEGER NOT NULL DEFAULT 0,
  last_error  TEXT NOT NULL DEFAULT '',
  created_at  INTEGER NOT NULL,
  printed_at  INTEGER
);
CREATE INDEX print_queue_pending ON print_queue(printer, id) WHERE state IN ('queued', 'printing');
)sql"},
    Migration{4, "checkout: rolling spend, offline burns, committed checkouts and refunds", R"sql(
ALTER TABLE members ADD COLUMN spend_12m_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ledger ADD COLUMN offline INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ledger_by_member_time ON ledger(member_id, created_at);
CREATE TABLE checkout_txns(
  txn_id     TEXT PRIMARY KEY,
  member_id  TEXT NOT NULL DEFAULT '',
  quote      BLOB NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE refund_lines(
  refund_id  TEXT NOT NULL,
  txn_id     TEXT NOT NULL,
  line_index INTEGER NOT NULL,
  qty        INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (refund_id, line_index)
) WITHOUT ROWID;
CREATE INDEX refund_lines_by_txn ON refund_lines(txn_id);
)sql"},
    Migration{5, "rolling spend per month from HQ, so the till ages it between pages", R"sql(
-- A serialised pma.v1.SpendWindow (months since January 1970, UTC, and fen); NULL: HQ sent
-- none (an older HQ), spend_12m_fen stands. Kept on the row: one more column costs a page
-- apply next to nothing, where a table of months cost it two thirds of its rate.
ALTER TABLE members ADD COLUMN spend_months BLOB;
)sql"},
    Migration{6, "erasure finds a member's checkouts by index; printed receipts keep no bytes",
              R"sql(
CREATE INDEX checkout_txns_by_member ON checkout_txns(member_id) WHERE member_id <> '';
UPDATE print_queue SET payload = X'' WHERE state = 'printed';
)sql"},
    Migration{7, "an install id for the ids this till mints; provisional ids stay aliases", R"sql(
-- Provisional member ids and welcome coupon codes carry the install id, so a reinstall (a new
-- database) or a restore (memberctl restore draws a new one) never mints an id again.
INSERT OR IGNORE INTO sync_state(key, value) VALUES('install_id', lower(hex(randomblob(4))));
-- A provisional id HQ mapped to its canonical id keeps naming that member here (a lookup, a
-- commit or a refund a POS started with it).
CREATE TABLE member_aliases(
  alias     TEXT PRIMARY KEY,
  member_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX member_aliases_by_member ON member_aliases(member_id);
)sql"},
    Migration{8, "member QR replay cache, so a restart does not accept a used code again",
              R"sql(
-- The highest time step accepted per member QR credential (codes::credential_id); rows older
-- than the accepted steps are deleted as codes are accepted (store/qr_replay_store.cpp).
CREATE TABLE qr_replay(
  credential_id TEXT PRIMARY KEY,
  time_step     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX qr_replay_by_step ON qr_replay(time_step);
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Status migrate(Database& db, int target) {
  if (target < 0) target = latest_schema_version();
  int current = db.user_version();
  if (current < 0) return std::unexpected(db.error("sqlite_error", "PRAGMA user_version"));
  if (current > latest_schema_version()) {
    return fail("schema_too_new",
                fmt::format("database '{}' has schema version {}, this build knows up to {}; "
                            "upgrade memberd or restore a matching backup",
                            db.path(), current, latest_schema_version()));
  }
  for (const Migration& m : kMigrations) {
    if (m.version <= current || m.version > target) continue;
    auto tx = Transaction::begin(db);
    if (!tx) return std::unexpected(tx.error());
    if (auto ok = db.exec(m.sql); !ok) {
      return fail("schema_migration", fmt::format("migration {} ({}) failed: {}", m.version,
                                                  m.description, ok.error().message));
    }
    if (auto ok = db.exec(fmt::format("PRAGMA user_version = {}", m.version)); !ok) {
      return std::unexpected(ok.error());
    }
    if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  }
  return {};
}

}  // namespace pma::store
