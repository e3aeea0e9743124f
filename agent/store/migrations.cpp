#include "agent/store/migrations.h"

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
    Migration{9, "a checkout writes three B-trees, not eight (eMMC and SD cards wear out)",
              R"sql(
-- The outbox loses AUTOINCREMENT: its sqlite_sequence row cost every delta a page. What that
-- row kept across pruning, the highest seq ever assigned, sync_state 'seq_floor' keeps: raised
-- here to what sqlite_sequence held, then by a trigger past every row deleted (acknowledgement,
-- or any later code), so no seq is ever assigned twice (store/outbox.h).
INSERT INTO sync_state(key, value)
  SELECT 'seq_floor', seq + 1 FROM sqlite_sequence WHERE name = 'outbox'
  ON CONFLICT(key) DO UPDATE
  SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER));
-- request and response: a checkout's idempotency record (canonical request bytes, first
-- response) while its delta waits for HQ, appended with the delta at the end of the outbox's
-- B-tree (one page, where a keyed insert of the same bytes cost two and a half); the triggers
-- below move them into the idempotency row when the delta is acknowledged (store/idempotency.h).
CREATE TABLE outbox_v9(
  seq        INTEGER PRIMARY KEY,
  txn_id     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  payload    BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  request    BLOB,
  response   BLOB
);
INSERT INTO outbox_v9(seq, txn_id, kind, payload, created_at)
  SELECT seq, txn_id, kind, payload, created_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v9 RENAME TO outbox;
CREATE TRIGGER outbox_deleted_raises_seq_floor AFTER DELETE ON outbox BEGIN
  INSERT INTO sync_state(key, value) VALUES('seq_floor', old.seq + 1)
  ON CONFLICT(key) DO UPDATE
  SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER));
END;
-- The ledger is clustered by member (WITHOUT ROWID): every query reads one member's rows, by
-- time, and a commit now writes the member's leaf only, where a rowid table wrote its last
-- page plus a page of each of two indexes (ledger_unreflected, ledger_by_member_time; both go).
-- A row is identified by member, time, transaction and kind (a transaction writes one row of
-- each kind: earn and burn, refund_reverse and refund_restore); the rowid id goes, commit
-- order is the outbox seq's.
CREATE TABLE ledger_v9(
  member_id    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  txn_id       TEXT NOT NULL,
  kind         TEXT NOT NULL,
  points       INTEGER NOT NULL,
  amount_fen   INTEGER NOT NULL DEFAULT 0,
  outbox_seq   INTEGER,
  hq_reflected INTEGER NOT NULL DEFAULT 0,
  offline      INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, created_at, txn_id, kind)
) WITHOUT ROWID;
INSERT INTO ledger_v9(member_id, created_at, txn_id, kind, points, amount_fen, outbox_seq,
                      hq_reflected, offline)
  SELECT member_id, created_at, txn_id, kind, points, amount_fen, outbox_seq, hq_reflected,
         offline FROM ledger;
DROP TABLE ledger;
ALTER TABLE ledger_v9 RENAME TO ledger;
-- A checkout's idempotency record is also its refund record: the quote is the response's, stored
-- once. The quote column holds one only where it differs from the response's: an erased
-- member's checkout (anonymised; request and response are emptied) or one whose provisional
-- member id HQ mapped (the response keeps the id the POS saw, for replays). Carried over here
-- for every existing checkout; erasure and id mapping find a member's checkouts by the ledger
-- (every member checkout writes an earn row), so checkout_txns and its index go.
ALTER TABLE idempotency ADD COLUMN quote BLOB;
-- Not NULL: request_hash and response are empty here and held by outbox row outbox_seq.
ALTER TABLE idempotency ADD COLUMN outbox_seq INTEGER;
-- An acknowledged delta leaves the outbox: its checkout's request and response move into the
-- idempotency row (byte for byte); a renumbered delta (handshake) takes its record along.
CREATE TRIGGER outbox_deleted_keeps_replay AFTER DELETE ON outbox
WHEN old.response IS NOT NULL BEGIN
  UPDATE idempotency SET request_hash = old.request, response = old.response, outbox_seq = NULL
  WHERE key = 'checkout:' || old.txn_id AND outbox_seq = old.seq;
END;
CREATE TRIGGER outbox_renumbered_moves_replay AFTER UPDATE OF seq ON outbox
WHEN old.response IS NOT NULL BEGIN
  UPDATE idempotency SET outbox_seq = new.seq
  WHERE key = 'checkout:' || new.txn_id AND outbox_seq = old.seq;
END;
INSERT INTO idempotency(key, request_hash, response, created_at, quote)
  SELECT 'checkout:' || txn_id, X'', X'', created_at, quote FROM checkout_txns WHERE true
  ON CONFLICT(key) DO UPDATE SET quote = excluded.quote;
DROP TABLE checkout_txns;
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

Status migrate(Database& db, int target) {
  return sqlite::migrate(db, kMigrations, {.target = target, .program = "memberd"});
}

}  // namespace pma::store
