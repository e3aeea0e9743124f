#include "agent/store/migrations.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"
#include "agent/store/member_rows.h"
#include "agent/store/member_store.h"
#include "agent/store/outbox.h"
#include "agent/store/sync_store_sqlite.h"
#include "pma/v1/checkout.pb.h"
#include "tests/support/temp_dir.h"

using namespace pma::store;

namespace {

std::vector<std::string> tables(Database& db) {
  std::vector<std::string> names;
  auto stmt = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  REQUIRE(stmt);
  while (stmt->step().value()) names.push_back(stmt->column_text(0));
  return names;
}

}  // namespace

TEST_CASE("Migrations bring an empty file to the latest schema", "[store][migrations]") {
  pma::test::TempDir dir;
  auto db = open_store(dir.file("agent.db"));
  REQUIRE(db);
  CHECK((*db)->user_version() == latest_schema_version());
  auto names = tables(**db);
  for (const char* table :
       {"members", "coupons", "ledger", "outbox", "idempotency", "print_queue", "sync_state"}) {
    INFO(table);
    CHECK(std::find(names.begin(), names.end(), table) != names.end());
  }
}

TEST_CASE("Migrations upgrade from every earlier version and keep the data",
          "[store][migrations]") {
  for (int from = 1; from < latest_schema_version(); ++from) {
    DYNAMIC_SECTION("from version " << from) {
      pma::test::TempDir dir;
      {
        auto db = Database::open(dir.file("agent.db"));
        REQUIRE(db);
        REQUIRE(migrate(**db, from));
        REQUIRE((*db)->user_version() == from);
        REQUIRE((*db)->exec(
            "INSERT INTO members(member_id, card_no, name) VALUES ('M1', '8860001', 'Li')"));
      }
      auto db = open_store(dir.file("agent.db"));
      REQUIRE(db);
      CHECK((*db)->user_version() == latest_schema_version());
      auto stmt = (*db)->prepare("SELECT name FROM members WHERE member_id = 'M1'");
      REQUIRE(stmt);
      REQUIRE(stmt->step().value());
      CHECK(stmt->column_text(0) == "Li");
    }
  }
}

TEST_CASE("Migrations refuse a database newer than the build", "[store][migrations]") {
  pma::test::TempDir dir;
  {
    auto db = Database::open(dir.file("agent.db"));
    REQUIRE(db);
    REQUIRE((*db)->exec("PRAGMA user_version = 999"));
  }
  auto db = open_store(dir.file("agent.db"));
  REQUIRE_FALSE(db);
  CHECK(db.error().code == "schema_too_new");
  CHECK_THAT(db.error().message, Catch::Contains("999"));
}

TEST_CASE("Migrations are versioned one step at a time", "[store][migrations]") {
  int expected = 1;
  for (const Migration& m : migrations()) {
    CHECK(m.version == expected++);
    CHECK_FALSE(m.description.empty());
  }
}

TEST_CASE("Migration 9 keeps outbox seqs, checkout quotes and replies of a version 8 till",
          "[store][migrations]") {
  pma::test::TempDir dir;
  pma::v1::Quote sold, erased;
  sold.set_member_id("M1");
  sold.set_gross_fen(1999);
  sold.set_points_to_earn(19);
  erased.set_gross_fen(500);  // anonymised by an erasure: no member part
  pma::v1::CommitResponse reply;
  reply.set_txn_id("S1");
  *reply.mutable_quote() = sold;
  reply.set_new_balance(119);
  const std::string reply_bytes = reply.SerializeAsString();
  const std::string sold_bytes = sold.SerializeAsString();
  const std::string erased_bytes = erased.SerializeAsString();
  {
    auto db = Database::open(dir.file("agent.db"));
    REQUIRE(db);
    REQUIRE(migrate(**db, 8));
    // Seqs 1..5 assigned, the highest three pruned: only sqlite_sequence still knows 5.
    for (int seq = 1; seq <= 5; ++seq) {
      REQUIRE(
          (*db)->exec(fmt::format("INSERT INTO outbox(seq, txn_id, kind, payload, created_at) "
                                  "VALUES ({0}, 'S{0}', 'checkout', X'08', 1)",
                                  seq)));
    }
    REQUIRE((*db)->exec("DELETE FROM outbox WHERE seq >= 3"));
    auto put = [&](const std::string& txn, const std::string& member, const std::string& quote,
                   const std::string& request, const std::string& response) {
      auto c = (*db)->prepare(
          "INSERT INTO checkout_txns(txn_id, member_id, quote, created_at) VALUES (?1, ?2, ?3, 7)");
      REQUIRE(c);
      c->bind(1, txn).bind(2, member).bind_blob(3, bytes_of(quote));
      REQUIRE(c->run());
      auto i = (*db)->prepare(
          "INSERT INTO idempotency(key, request_hash, response, created_at) VALUES (?1, ?2, ?3, "
          "7)");
      REQUIRE(i);
      i->bind(1, "checkout:" + txn)
          .bind_blob(2, bytes_of(request))
          .bind_blob(3, bytes_of(response));
      REQUIRE(i->run());
    };
    put("S1", "M1", sold_bytes, "request-1", reply_bytes);
    REQUIRE((*db)->exec(
        "INSERT INTO members(member_id, hq_points) VALUES ('M1', 100);"
        "INSERT INTO ledger(member_id, txn_id, kind, points, amount_fen, created_at, outbox_seq, "
        "hq_reflected, offline) VALUES ('M1', 'S1', 'earn', 19, 1999, 7, 1, 0, 0), "
        "('M1', 'S1', 'burn', -5, 0, 7, 1, 0, 1), ('M1', 'S0', 'earn', 50, 5000, 3, NULL, 1, 0)"));
    put("S2", "", erased_bytes, "", "");  // the record of an erased member's checkout
  }
  auto db = open_store(dir.file("agent.db"));
  REQUIRE(db);
  auto names = tables(**db);
  CHECK(std::find(names.begin(), names.end(), "checkout_txns") == names.end());
  CHECK(Outbox(**db).next_seq().value() == 6);
  // Every deletion raises the floor now, as sqlite_sequence did.
  REQUIRE((*db)->exec("DELETE FROM outbox"));
  CHECK(Outbox(**db).next_seq().value() == 6);

  IdempotencyStore records(**db);
  auto first = records.find_checkout("S1");
  REQUIRE(first);
  REQUIRE(*first);
  CHECK((*first)->quote.SerializeAsString() == sold_bytes);
  CHECK((*first)->committed_at_ms == 7);
  auto replay = records.find("checkout:S1");
  REQUIRE(replay);
  REQUIRE(*replay);
  CHECK((*replay)->request == "request-1");
  CHECK((*replay)->response == reply_bytes);
  auto second = records.find_checkout("S2");
  REQUIRE(second);
  REQUIRE(*second);
  CHECK((*second)->quote.SerializeAsString() == erased_bytes);
  CHECK((*records.find("checkout:S2"))->response.empty());
  CHECK_FALSE(*records.find_checkout("S3"));

  // The ledger, now clustered by member: every row and column, in commit order.
  Ledger ledger(**db);
  CHECK(ledger.balance("M1").value() == 100 + 19 - 5);
  CHECK(ledger.offline_burned_since("M1", 0).value() == 5);
  auto rows = ledger.entries_for_txn("S1").value();
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].kind == "earn");
  CHECK(rows[0].amount_fen == 1999);
  CHECK(rows[0].outbox_seq == 1);
  CHECK(rows[1].kind == "burn");
  CHECK(rows[1].offline);
  CHECK(ledger.unreflected("M1").value().size() == 2);
}

TEST_CASE("A checkout record's quote is the response's until one is set", "[store][migrations]") {
  pma::test::TempDir dir;
  auto db = open_store(dir.file("agent.db"));
  REQUIRE(db);
  pma::v1::CommitResponse reply;
  reply.mutable_quote()->set_member_id("P-S1-T1-1");
  IdempotencyStore records(**db);
  REQUIRE(records.put("checkout:S1", {"request", reply.SerializeAsString(), 9}));
  CHECK(records.find_checkout("S1").value()->quote.member_id() == "P-S1-T1-1");
  pma::v1::Quote mapped = reply.quote();
  mapped.set_member_id("H1");
  REQUIRE(records.set_checkout_quote("S1", mapped));
  CHECK(records.find_checkout("S1").value()->quote.member_id() == "H1");
  // The reply a replay returns is left as it was.
  CHECK(records.find("checkout:S1").value()->response == reply.SerializeAsString());
  // A record whose response is gone and that has no quote cannot be refunded.
  REQUIRE(records.put("checkout:S2", {"", "", 9}));
  auto lost = records.find_checkout("S2");
  REQUIRE_FALSE(lost);
  CHECK(lost.error().code == "checkout_record_corrupt");
}

TEST_CASE(
    "A version 8 till with acknowledged and waiting checkouts and a refund migrates; acks, an id "
    "mapping and an erasure afterwards keep replays, refund records and seqs right",
    "[store][migrations]") {
  pma::test::TempDir dir;
  pma::v1::Quote q0, q1;
  q0.set_member_id("P-1");
  q0.set_gross_fen(1000);
  q0.set_points_to_earn(10);
  q1 = q0;
  q1.set_gross_fen(2000);
  q1.set_points_to_earn(20);
  q1.add_lines()->set_paid_fen(2000);
  pma::v1::CommitResponse reply1;
  reply1.set_txn_id("S1");
  *reply1.mutable_quote() = q1;
  const std::string reply1_bytes = reply1.SerializeAsString();
  {
    auto db = Database::open(dir.file("agent.db"));
    REQUIRE(db);
    REQUIRE(migrate(**db, 8));
    // Seqs 1..4: S0 (1) and a registration (2) acknowledged and pruned; S1 (3) and its refund
    // R1 (4) waiting.
    for (int seq = 1; seq <= 4; ++seq) {
      REQUIRE((*db)->exec(fmt::format(
          "INSERT INTO outbox(seq, txn_id, kind, payload, created_at) VALUES ({0}, '{1}', "
          "'{2}', X'08', 1)",
          seq,
          seq == 1   ? "S0"
          : seq == 2 ? "P-1"
          : seq == 3 ? "S1"
                     : "R1",
          seq == 4 ? "refund" : "checkout")));
    }
    REQUIRE((*db)->exec("DELETE FROM outbox WHERE seq <= 2"));
    auto put = [&](const std::string& table, const std::string& sql, const std::string& a,
                   const std::string& b) {
      auto stmt = (*db)->prepare(sql);
      REQUIRE(stmt);
      stmt->bind_blob(1, bytes_of(a)).bind_blob(2, bytes_of(b));
      INFO(table);
      REQUIRE(stmt->run());
    };
    put("checkout_txns",
        "INSERT INTO checkout_txns(txn_id, member_id, quote, created_at) VALUES ('S0', 'P-1', "
        "?1, 5), ('S1', 'P-1', ?2, 6)",
        q0.SerializeAsString(), q1.SerializeAsString());
    put("idempotency",
        "INSERT INTO idempotency(key, request_hash, response, created_at) VALUES "
        "('checkout:S1', ?1, ?2, 6), ('refund:R1', X'01', X'02', 7)",
        "request-1", reply1_bytes);
    REQUIRE((*db)->exec(
        "INSERT INTO members(member_id, hq_points) VALUES ('P-1', 0);"
        "INSERT INTO ledger(member_id, txn_id, kind, points, amount_fen, created_at, outbox_seq) "
        "VALUES ('P-1', 'S0', 'earn', 10, 1000, 5, 1), ('P-1', 'S1', 'earn', 20, 2000, 6, 3), "
        "('P-1', 'R1', 'refund_reverse', -20, -2000, 7, 4);"
        "INSERT INTO refund_lines(refund_id, txn_id, line_index, qty, created_at) VALUES "
        "('R1', 'S1', 0, 1, 7);"));
  }
  auto db = open_store(dir.file("agent.db"));
  REQUIRE(db);
  CHECK(Outbox(**db).next_seq().value() == 5);
  SqliteSyncStore sync(**db);
  pma::v1::IdMapping mapping;
  mapping.set_provisional_id("P-1");
  mapping.set_member_id("H1");
  REQUIRE(sync.acknowledge(3, {mapping}));
  IdempotencyStore records(**db);
  auto replay = records.find("checkout:S1");
  REQUIRE(replay);
  REQUIRE(*replay);
  CHECK((*replay)->request == "request-1");
  CHECK((*replay)->response == reply1_bytes);  // the POS's first reply, provisional id and all
  for (const char* txn : {"S0", "S1"}) {
    auto found = records.find_checkout(txn);
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->quote.member_id() == "H1");
  }
  CHECK(Ledger(**db).balance("H1").value() == 10);
  REQUIRE(sync.acknowledge(4, {}));
  REQUIRE((*db)->exec("DELETE FROM outbox"));
  CHECK(Outbox(**db).next_seq().value() == 5);

  REQUIRE(erase_member_rows(**db, "H1"));
  auto erased = records.find("checkout:S1");
  REQUIRE(erased);
  REQUIRE(*erased);
  CHECK((*erased)->response.empty());
  auto money = records.find_checkout("S1");
  REQUIRE(money);
  REQUIRE(*money);
  CHECK((*money)->quote.member_id().empty());
  CHECK((*money)->quote.gross_fen() == 2000);
  CHECK((*money)->quote.lines_size() == 1);
}
