// HQ's schema as numbered migrations: a new file gets every step; a file of every earlier
// release (built by that release's own SQL, hq_old_schemas.h, with members, coupons, applied
// deltas, reservations and the rest in it) is recognised by its tables and brought to the latest
// version with every row and balance kept and a schema equal to a new file's; a newer
// memberhq's file is refused untouched; a step that fails rolls back.
#include <fmt/format.h>

#include <array>
#include <catch2/catch.hpp>
#include <regex>

#include "drivers/sqlite/database.h"
#include "sync/hq/sqlite_sink.h"
#include "sync/hq/sqlite_sink_migrations.h"
#include "tests/support/temp_dir.h"
#include "tests/sync/hq_old_schemas.h"
#include "tests/sync/sqlite_file_query.h"

namespace {

using pma::hq::SqliteSink;
using pma::sqlite::Database;
namespace schemas = pma::test::hq_schemas;

const pma::hq::TerminalIdentity kTill{"S1", "T1"};
constexpr std::int64_t kNow = 1'790'000'000'000;
constexpr std::int64_t kMonth = 680;  // a month index before kNow's

pma::v1::Delta sale(std::uint64_t seq) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id("SALE-1");
  delta.set_occurred_at_ms(kNow);
  auto* c = delta.mutable_checkout();
  c->set_member_id("M1");
  c->set_gross_fen(10'000);
  c->set_paid_fen(10'000);
  c->set_points_earned(100);
  return delta;
}

pma::v1::Delta refund(std::uint64_t seq, const std::string& txn, std::int64_t fen) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id(txn);
  delta.set_occurred_at_ms(kNow);
  auto* r = delta.mutable_refund();
  r->set_member_id("M1");
  r->set_original_txn_id("SALE-1");
  r->set_refunded_fen(fen);
  r->set_points_reversed(fen / 100);
  return delta;
}

// The first column of the first row of `sql` on the file at `path`; -1: no row.
std::int64_t scalar(const std::string& path, const std::string& sql) {
  return pma::test::first_int(path, sql).value_or(-1);
}

// Every table's columns (name, type, not null, default, key position) and whether it has a
// rowid, every index's columns and SQL: what a schema is, whatever text ALTER left in
// sqlite_schema.sql.
std::string fingerprint(const std::string& path) {
  auto db = Database::open(path);
  REQUIRE(db);
  std::string out;
  auto objects = (*db)->prepare(
      "SELECT type, name, tbl_name, COALESCE(sql, '') FROM sqlite_schema ORDER BY type, name");
  REQUIRE(objects);
  std::vector<std::array<std::string, 4>> rows;
  while (*objects->step()) {
    rows.push_back({objects->column_text(0), objects->column_text(1), objects->column_text(2),
                    objects->column_text(3)});
  }
  for (const auto& [type, name, table, sql] : rows) {
    out += fmt::format("{} {} on {}\n", type, name, table);
    if (type == "table") {
      auto columns = (*db)->prepare(
          "SELECT name, type, \"notnull\", COALESCE(dflt_value, 'NULL'), pk FROM "
          "pragma_table_xinfo(?1) ORDER BY cid");
      REQUIRE(columns);
      columns->bind(1, name);
      while (*columns->step()) {
        out += fmt::format("  {} {} {} {} {}\n", columns->column_text(0), columns->column_text(1),
                           columns->column_int64(2), columns->column_text(3),
                           columns->column_int64(4));
      }
      auto kind = (*db)->prepare("SELECT wr FROM pragma_table_list WHERE name = ?1");
      REQUIRE(kind);
      kind->bind(1, name);
      REQUIRE(*kind->step());
      out += fmt::format("  without rowid {}\n", kind->column_int64(0));
    } else if (type == "index") {
      out += "  " + std::regex_replace(sql, std::regex("\\s+"), " ") + "\n";
      auto columns = (*db)->prepare(
          "SELECT seqno, COALESCE(name, ''), \"desc\", key FROM pragma_index_xinfo(?1)");
      REQUIRE(columns);
      columns->bind(1, name);
      while (*columns->step()) {
        out += fmt::format("  {} {} {} {}\n", columns->column_int64(0), columns->column_text(1),
                           columns->column_int64(2), columns->column_int64(3));
      }
    }
  }
  return out;
}

std::string fresh_fingerprint() {
  pma::test::TempDir dir;
  REQUIRE(SqliteSink::open(dir.file("new.db")));
  return fingerprint(dir.file("new.db"));
}

void exec(Database& db, const std::string& sql) {
  auto ok = db.exec(sql);
  INFO(sql);
  REQUIRE(ok);
}

// Representative rows, in the columns the release of that version had: members M1 (known, 500
// points) and M2 (points only), an issued and a redeemed coupon, a provisional id, a conflict,
// a rule set, S1/T1's three applied deltas (SALE-1, its partial refund SALE-1-R, one without
// txn id) and from version 2 on a points hold and a coupon hold.
void write_rows(Database& db, int version) {
  exec(db,
       "INSERT INTO terminals VALUES('S1', 'T1', 3);"
       "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, points, version) "
       "VALUES('M1', '8800001', X'01', '138****0001', 'Li', 500, 1), "
       "('M2', NULL, NULL, '', '', 30, 2);"
       "INSERT INTO coupons(code, member_id, state) VALUES('W1', 'M1', 1);"
       "INSERT INTO coupons(code, member_id, state, redeemed_store, redeemed_terminal, "
       "redeemed_txn) VALUES('W2', 'M1', 2, 'S1', 'T1', 'SALE-1');"
       "INSERT INTO provisional_ids VALUES('P-S1-T1-1', 'M1');"
       "INSERT INTO conflicts(kind, store_id, terminal_id, seq, detail, at_ms) "
       "VALUES('txn_id_reused', 'S1', 'T1', 2, 'a conflict', 1);"
       "INSERT INTO rule_sets VALUES(1, X'');");
  const auto checkout = sale(1);
  const auto partial = refund(2, "SALE-1-R", 2'000);
  const int kCheckout = pma::v1::Delta::kCheckout, kRefund = pma::v1::Delta::kRefund;
  if (version < 7) {
    exec(db,
         "INSERT INTO applied VALUES('S1', 'T1', 1, 'SALE-1', 1), ('S1', 'T1', 2, 'SALE-1-R', 2), "
         "('S1', 'T1', 3, '', 3)");
  }
  if (version >= 5 && version < 7) {
    exec(db, fmt::format("INSERT INTO applied_txns VALUES('S1', 'T1', 'SALE-1', {}, {}, 1), "
                         "('S1', 'T1', 'SALE-1-R', {}, {}, 2)",
                         kCheckout, schemas::stored_digest(checkout), kRefund,
                         schemas::stored_digest(partial)));
  }
  if (version == 6) {
    exec(db, "INSERT INTO sales VALUES('S1', 'T1', 'SALE-1', 'M1', 10000, 100, 0, 2000, 20, 0)");
  }
  if (version == 7) {
    exec(db, fmt::format(
                 "INSERT INTO deltas VALUES('S1', 'T1', 'SALE-1', {}, 0, 1, {}, 1, 'M1', 10000, "
                 "100, 0, 2000, 20, 0), ('S1', 'T1', 'SALE-1-R', {}, 0, 2, {}, 2, NULL, NULL, "
                 "NULL, NULL, 0, 0, 0), ('S1', 'T1', '', 0, 3, 3, NULL, 3, NULL, NULL, NULL, "
                 "NULL, 0, 0, 0)",
                 kCheckout, schemas::stored_digest(checkout), kRefund,
                 schemas::stored_digest(partial)));
  }
  if (version >= 2) {
    exec(db, fmt::format("INSERT INTO holds(store_id, terminal_id, txn_id, member_id, points, "
                         "until_ms) VALUES('S1', 'T1', 'HOLD-1', 'M1', 50, {0});"
                         "INSERT INTO held_coupons VALUES('W1', 'S1', 'T1', 'HOLD-1', {0});",
                         kNow + 3'600'000));
  }
  if (version >= 3) {
    exec(db, fmt::format("UPDATE members SET spend_month = {0}, spend_month_fen = 8000 WHERE "
                         "member_id = 'M1';"
                         "INSERT INTO member_spend VALUES('M1', {1}, 5000);"
                         "INSERT INTO terminal_access(store_id, terminal_id, revoked) "
                         "VALUES('S1', 'T2', 1);",
                         kMonth, kMonth - 1));
  }
  if (version >= 5) {
    exec(db,
         "UPDATE members SET profile = 1 WHERE member_id = 'M1';"
         "INSERT INTO disputed_ids VALUES('P-S1-T1-9', 'S1', 'T1', 7);");
  }
}

void write_release(const std::string& path, const std::string& sql, int version) {
  auto db = Database::open(path);
  REQUIRE(db);
  exec(**db, sql);
  write_rows(**db, version);
  REQUIRE((*db)->user_version() == 0);  // no release before this one kept a version
}

std::string text(const std::string& path, const std::string& sql) {
  auto db = Database::open(path);
  REQUIRE(db);
  auto q = (*db)->prepare(sql);
  REQUIRE(q);
  REQUIRE(*q->step());
  return q->column_text(0);
}

// Everything write_rows put there, read through the sink and the file.
void check_rows_kept(const std::string& path, int version) {
  INFO("release " << version);
  auto sink = SqliteSink::open(path);
  REQUIRE(sink);
  CHECK(scalar(path, "PRAGMA user_version") == pma::hq::latest_sink_schema_version());
  auto m1 = (*sink)->member("M1");
  REQUIRE(m1);
  REQUIRE(m1->has_value());
  CHECK((*m1)->points == 500);
  CHECK(text(path, "SELECT card_no FROM members WHERE member_id = 'M1'") == "8800001");
  auto m2 = (*sink)->member("M2");
  REQUIRE(m2);
  REQUIRE(m2->has_value());
  CHECK((*m2)->points == 30);
  // Known members keep their profile; a points-only row stays unknown.
  CHECK(scalar(path, "SELECT profile FROM members WHERE member_id = 'M1'") == 1);
  CHECK(scalar(path, "SELECT profile FROM members WHERE member_id = 'M2'") == 0);
  CHECK(text(path,
             "SELECT group_concat(c, ',') FROM (SELECT code || ':' || state AS c FROM coupons "
             "ORDER BY code)") == "W1:1,W2:2");
  CHECK(text(path, "SELECT member_id FROM provisional_ids WHERE provisional_id = 'P-S1-T1-1'") ==
        "M1");
  CHECK((*sink)->conflicts()->size() == 1);
  CHECK(*(*sink)->highest_applied(kTill) == 3);
  CHECK(*(*sink)->applied_count(kTill) == 3);
  CHECK(*(*sink)->active_holds(kNow) == (version >= 2 ? 2u : 0u));
  if (version >= 3) {
    CHECK(scalar(path, "SELECT spend_month_fen FROM members WHERE member_id = 'M1'") == 8000);
    CHECK(scalar(path, "SELECT spend_fen FROM member_spend WHERE member_id = 'M1'") == 5000);
    auto terminals = (*sink)->terminals();
    REQUIRE(terminals);
    REQUIRE(terminals->size() == 2);
    CHECK((*terminals)[1].revoked);
  }
  if (version >= 5) CHECK(scalar(path, "SELECT from_seq FROM disputed_ids") == 7);

  // The applied deltas' identities survived: SALE-1 sent again under a new seq is a duplicate.
  pma::v1::Batch again;
  *again.add_deltas() = sale(4);
  auto outcome = (*sink)->apply_batch(kTill, again, kNow);
  REQUIRE(outcome);
  CHECK(outcome->duplicates == 1);
  CHECK(outcome->applied == 0);
  CHECK((*(*sink)->member("M1"))->points == 500);
  if (version >= 6) {
    // The sale's figures too: 8,000 fen are left to refund, not 8,001.
    pma::v1::Batch beyond;
    *beyond.add_deltas() = refund(5, "R-5", 8'001);
    REQUIRE((*sink)->apply_batch(kTill, beyond, kNow));
    auto conflicts = (*sink)->conflicts();
    REQUIRE(conflicts);
    REQUIRE(conflicts->size() == 2);
    CHECK(conflicts->back().kind == "refund_exceeds_sale");
    CHECK((*(*sink)->member("M1"))->points == 500);
  }
}

}  // namespace

TEST_CASE("A new HQ file gets every migration and the latest schema version",
          "[sync][hq][migrations]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("hq.db");
  REQUIRE(SqliteSink::open(path));
  CHECK(scalar(path, "PRAGMA user_version") == pma::hq::latest_sink_schema_version());
  CHECK(scalar(path, "PRAGMA user_version") == 7);
  const std::string schema = fingerprint(path);
  for (const char* table : {"table deltas", "table members", "table holds", "table member_spend",
                            "table disputed_ids", "index deltas_kind0"}) {
    CHECK(schema.find(table) != std::string::npos);
  }
  for (const char* gone : {"table applied ", "table applied_txns", "table sales"}) {
    CHECK(schema.find(gone) == std::string::npos);
  }
  // Opening again runs nothing and changes nothing.
  REQUIRE(SqliteSink::open(path));
  CHECK(fingerprint(path) == schema);
}

TEST_CASE("An HQ file of every earlier release is brought to the latest schema with its rows",
          "[sync][hq][migrations]") {
  const std::string fresh = fresh_fingerprint();
  for (int version = 1; version <= 7; ++version) {
    DYNAMIC_SECTION("release " << version) {
      pma::test::TempDir dir;
      const std::string path = dir.file("hq.db");
      write_release(path, schemas::release(version), version);
      {
        auto db = Database::open(path);
        REQUIRE(db);
        auto judged = pma::hq::legacy_sink_version(**db);
        REQUIRE(judged);
        CHECK(*judged == version);
      }
      check_rows_kept(path, version);
      CHECK(fingerprint(path) == fresh);
    }
  }
}

TEST_CASE("An HQ file a later release failed to open for want of holds.hold_id opens now",
          "[sync][hq][migrations]") {
  // Releases 2-3 created holds without hold_id; from release 4 on, every open of such a file
  // added its own tables (release 7: moved applied into deltas) and then failed.
  const std::string fresh = fresh_fingerprint();
  for (int version = 4; version <= 7; ++version) {
    DYNAMIC_SECTION("left by release " << version) {
      pma::test::TempDir dir;
      const std::string path = dir.file("hq.db");
      {
        auto db = Database::open(path);
        REQUIRE(db);
        exec(**db, schemas::without_hold_ids(version));
        write_rows(**db, version);
        auto judged = pma::hq::legacy_sink_version(**db);
        REQUIRE(judged);
        CHECK(*judged == 3);
      }
      check_rows_kept(path, version);
      CHECK(fingerprint(path) == fresh);
    }
  }
}

TEST_CASE("An HQ file of a newer memberhq is refused and left as it is", "[sync][hq][migrations]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("hq.db");
  REQUIRE(SqliteSink::open(path));
  const int newer = pma::hq::latest_sink_schema_version() + 1;
  {
    auto db = Database::open(path);
    REQUIRE(db);
    exec(**db, fmt::format("PRAGMA user_version = {}", newer));
  }
  const std::string before = fingerprint(path);
  auto sink = SqliteSink::open(path);
  REQUIRE_FALSE(sink);
  CHECK(sink.error().code == "schema_too_new");
  CHECK_THAT(sink.error().message, Catch::Contains("upgrade memberhq"));
  CHECK(scalar(path, "PRAGMA user_version") == newer);
  CHECK(fingerprint(path) == before);
}

TEST_CASE("A file without a schema version whose tables are not HQ's is refused",
          "[sync][hq][migrations]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("till.db");
  {
    auto db = Database::open(path);
    REQUIRE(db);
    exec(**db, "CREATE TABLE outbox(seq INTEGER PRIMARY KEY, payload BLOB)");
  }
  auto sink = SqliteSink::open(path);
  REQUIRE_FALSE(sink);
  CHECK(sink.error().code == "schema_unrecognised");
  CHECK(scalar(path, "SELECT COUNT(*) FROM sqlite_schema") == 1);
}

TEST_CASE("A migration step that fails rolls back and leaves the file at the version before",
          "[sync][hq][migrations]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("hq.db");
  SECTION("HQ's move into deltas: rows it cannot move without losing an identity") {
    // A release-6 file whose applied row (seq 0, no identity) and orphan identity would both be
    // keyed (Z, kind 0, 0) in deltas: step 7 fails rather than drop one.
    write_release(path, schemas::release(6), 6);
    {
      auto db = Database::open(path);
      REQUIRE(db);
      exec(**db,
           "INSERT INTO applied VALUES('S1', 'T1', 0, 'Z', 0);"
           "INSERT INTO applied_txns VALUES('S1', 'T1', 'Z', 0, NULL, 9);");
    }
    const std::string before = fingerprint(path);
    auto sink = SqliteSink::open(path);
    REQUIRE_FALSE(sink);
    CHECK(sink.error().code == "schema_migration");
    CHECK_THAT(sink.error().message, Catch::Contains("migration 7"));
    CHECK(fingerprint(path) == before);
    CHECK(scalar(path, "PRAGMA user_version") == 0);
    CHECK(scalar(path, "SELECT COUNT(*) FROM applied") == 4);
    CHECK(scalar(path, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'deltas'") == 0);
  }
  SECTION("the runner: earlier steps stay, the failed one leaves nothing") {
    const pma::sqlite::Migration steps[] = {
        {1, "one table", "CREATE TABLE a(x INTEGER)"},
        {2, "a table, then a failure", "CREATE TABLE b(x INTEGER); INSERT INTO missing VALUES(1)"},
    };
    auto db = Database::open(path);
    REQUIRE(db);
    auto ok = pma::sqlite::migrate(**db, steps, {.program = "test"});
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "schema_migration");
    CHECK((*db)->user_version() == 1);
    CHECK(scalar(path, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'a'") == 1);
    CHECK(scalar(path, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'b'") == 0);
  }
}
