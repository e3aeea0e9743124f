// The schema each earlier memberhq release left its file in, as that release's own SQL wrote it
// (from git history: sqlite_sink_schema.inc, sqlite_sink_admin_schema.inc and the DDL its open
// ran), for tests that migrate such files. Releases kept no user_version; the number is the
// migration (sync/hq/sqlite_sink_migrations.cpp) whose shape the file has. Constant data.
#pragma once

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "pma/v1/delta.pb.h"

namespace pma::test::hq_schemas {

// The identity digest as every release since identities were kept (5) stores it: FNV-1a over
// the deterministic encoding of the delta without its seq. Spelled out here so a digest stored
// by an earlier release still matches (a change would apply re-sent deltas twice).
inline std::int64_t stored_digest(pma::v1::Delta delta) {
  delta.clear_seq();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    delta.SerializeToCodedStream(&out);
  }
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

// Release 1 (2db4810): terminals, applied, members, coupons, provisional ids, conflicts, rules.
inline constexpr std::string_view kRelease1 = R"sql(
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
)sql";

// Release 2 (cba0818) added holds and held coupons (holds without hold_id).
inline constexpr std::string_view kRelease2Holds = R"sql(
CREATE TABLE IF NOT EXISTS holds(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, points INTEGER NOT NULL, until_ms INTEGER NOT NULL,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_by_member ON holds(member_id, until_ms);
CREATE TABLE IF NOT EXISTS held_coupons(
  code TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  txn_id TEXT NOT NULL, until_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_coupons_by_txn ON held_coupons(store_id, terminal_id, txn_id);
)sql";

// Release 3 (71c8538): the admin schema, and the spend columns its open added by ALTER.
inline constexpr std::string_view kRelease3Admin = R"sql(
CREATE TABLE IF NOT EXISTS member_spend(
  member_id TEXT NOT NULL, month INTEGER NOT NULL, spend_fen INTEGER NOT NULL,
  PRIMARY KEY(member_id, month)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS terminal_access(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0,
  changed_at_ms INTEGER NOT NULL DEFAULT 0, last_seen_ms INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id)) WITHOUT ROWID;
ALTER TABLE members ADD COLUMN spend_month INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN spend_month_fen INTEGER NOT NULL DEFAULT 0;
)sql";

// Release 4 (5510425): sqlite_sink_schema.inc with hold_id in holds' CREATE TABLE.
inline constexpr std::string_view kRelease4 = R"sql(
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
CREATE TABLE IF NOT EXISTS holds(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, points INTEGER NOT NULL, until_ms INTEGER NOT NULL,
  hold_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_by_member ON holds(member_id, until_ms);
CREATE TABLE IF NOT EXISTS held_coupons(
  code TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  txn_id TEXT NOT NULL, until_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_coupons_by_txn ON held_coupons(store_id, terminal_id, txn_id);
)sql";

// Release 5 (874e70d): its open added members.profile, applied_txns and disputed_ids.
inline constexpr std::string_view kRelease5Identities = R"sql(
ALTER TABLE members ADD COLUMN profile INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS applied_txns(store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL, kind INTEGER NOT NULL, digest INTEGER, seq INTEGER NOT NULL, PRIMARY KEY(store_id, terminal_id, txn_id, kind)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS disputed_ids(provisional_id TEXT NOT NULL, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, from_seq INTEGER NOT NULL, PRIMARY KEY(provisional_id, store_id, terminal_id)) WITHOUT ROWID;
)sql";

// Release 6 (e21d4b6): sales, created by open_checks_schema.
inline constexpr std::string_view kRelease6Sales = R"sql(
CREATE TABLE IF NOT EXISTS sales(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, paid_fen INTEGER NOT NULL, points_earned INTEGER NOT NULL,
  points_burned INTEGER NOT NULL, refunded_fen INTEGER NOT NULL DEFAULT 0,
  points_reversed INTEGER NOT NULL DEFAULT 0, points_restored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
)sql";

// Release 7 (26390c6): sqlite_sink_schema.inc with `deltas` instead of applied; its open then
// ran the admin schema, the spend and profile ALTERs and disputed_ids as before.
inline constexpr std::string_view kRelease7 = R"sql(
CREATE TABLE IF NOT EXISTS terminals(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, highest_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id)) WITHOUT ROWID;
-- One row per applied delta, written in the transaction that moves highest_seq past it. Its
-- key is its identity: (txn id, kind) with unkeyed_seq 0, so a delta sent again under another
-- seq is recognised; a delta without txn id (or, carried over from before identities were
-- kept, a txn id applied again) is keyed by its seq in unkeyed_seq. kind 0: a txn applied
-- before kinds were kept (digest NULL). A checkout also carries what a refund may take back:
-- member_id '' for an anonymous sale; NULL for one applied before HQ kept sales.
CREATE TABLE IF NOT EXISTS deltas(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  kind INTEGER NOT NULL, unkeyed_seq INTEGER NOT NULL, seq INTEGER NOT NULL, digest INTEGER,
  applied_at INTEGER NOT NULL, member_id TEXT, paid_fen INTEGER, points_earned INTEGER,
  points_burned INTEGER, refunded_fen INTEGER NOT NULL DEFAULT 0,
  points_reversed INTEGER NOT NULL DEFAULT 0, points_restored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id, kind, unkeyed_seq)) WITHOUT ROWID;
-- Finds the kind 0 identities at open without a scan; no new row ever enters it.
CREATE INDEX IF NOT EXISTS deltas_kind0 ON deltas(store_id) WHERE kind = 0 AND unkeyed_seq = 0;
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
CREATE TABLE IF NOT EXISTS holds(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, points INTEGER NOT NULL, until_ms INTEGER NOT NULL,
  hold_id INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS holds_by_member ON holds(member_id, until_ms);
CREATE TABLE IF NOT EXISTS held_coupons(
  code TEXT PRIMARY KEY, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL,
  txn_id TEXT NOT NULL, until_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_coupons_by_txn ON held_coupons(store_id, terminal_id, txn_id);
)sql";

// The file a release of that number created (and left, once it had opened it).
inline std::string release(int version) {
  std::string admin(kRelease3Admin), identities(kRelease5Identities);
  std::string disputed = identities.substr(identities.find("CREATE TABLE IF NOT EXISTS disputed"));
  switch (version) {
    case 1:
      return std::string(kRelease1);
    case 2:
      return std::string(kRelease1) + std::string(kRelease2Holds);
    case 3:
      return release(2) + admin;
    case 4:
      return std::string(kRelease4) + admin;
    case 5:
      return release(4) + identities;
    case 6:
      return release(5) + std::string(kRelease6Sales);
    case 7:
      return std::string(kRelease7) + admin +
             "ALTER TABLE members ADD COLUMN profile INTEGER NOT NULL DEFAULT 0;\n" + disputed;
    default:
      return {};
  }
}

// What a release-2 or -3 file became when release 4 or later opened it: that open created its
// release's tables (and from release 5 on altered members and moved rows) before it failed on
// the missing holds.hold_id, at every start. release: 4-7.
inline std::string without_hold_ids(int version) {
  std::string sql = release(version);
  const std::string_view column = "  hold_id INTEGER NOT NULL DEFAULT 0,\n";
  sql.erase(sql.find(column), column.size());
  return sql;
}

}  // namespace pma::test::hq_schemas
