// drivers/postgres against a real throwaway PostgreSQL 15 cluster (tests/support/pg_cluster):
// typed parameters and results, the error codes, transactions, pipeline mode.
#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>

#include "drivers/postgres/connection.h"
#include "tests/support/pg_cluster.h"

namespace {

using pma::pg::Connection;
using pma::pg::Param;
using pma::pg::Transaction;

std::string fresh_database() {
  static std::atomic<int> n{0};
  return pma::test::PgCluster::shared().create_database("driver_" + std::to_string(++n));
}

}  // namespace

TEST_CASE("a throwaway cluster serves a new database and a wrong URI is pg_uri", "[pg]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  auto conn = Connection::open(fresh_database());
  REQUIRE(conn);
  auto rows = (*conn)->query("SELECT current_user, current_setting('fsync')");
  REQUIRE(rows);
  CHECK(rows->text(0, 0) == pma::test::PgCluster::kUser);
  CHECK(rows->text(0, 1) == "off");
  auto bad = Connection::open("sqlite:///tmp/x.db");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "pg_uri");
  // A port nothing listens on: the cluster's own port + nothing would be a guess; use port 1.
  auto refused = Connection::open("postgresql://pma:secret@127.0.0.1:1/x");
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "pg_connect");
  CHECK(refused.error().message.find("secret") == std::string::npos);
}

TEST_CASE("parameters and results keep their types: int8, text, bytea, NULL", "[pg]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  auto conn = Connection::open(fresh_database());
  REQUIRE(conn);
  Connection& c = **conn;
  REQUIRE(c.exec("CREATE TABLE t(id bigint PRIMARY KEY, name text, blob bytea, flag boolean)"));
  const std::vector<std::uint8_t> blob = {0, 1, 0xff, '\\', 'x'};
  const std::vector<Param> params = {std::int64_t{-9007199254740993}, std::string("名字 'q'"), blob,
                                     nullptr};
  REQUIRE(c.query("INSERT INTO t VALUES($1, $2, $3, $4)", params));
  CHECK(c.changes() == 1);
  auto stmt = c.prepare("SELECT id, name, blob, flag IS NULL, id > $1 FROM t");
  REQUIRE(stmt);
  stmt->bind(1, std::int64_t{0});
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  CHECK(stmt->column_int64(0) == -9007199254740993);
  CHECK(stmt->column_text(1) == "名字 'q'");
  CHECK(stmt->column_blob(2) == blob);
  CHECK(stmt->column_int64(3) == 1);
  CHECK(stmt->column_int64(4) == 0);
  auto next = stmt->step();
  REQUIRE(next);
  CHECK_FALSE(*next);
  auto text = c.query("SELECT 'abc'");
  REQUIRE(text);
  auto as_int = text->int64(0, 0);
  REQUIRE_FALSE(as_int);
  CHECK(as_int.error().code == "pg_result");
}

TEST_CASE("errors carry the SQLSTATE's code and a transaction rolls back unless committed",
          "[pg]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  auto conn = Connection::open(fresh_database());
  REQUIRE(conn);
  Connection& c = **conn;
  REQUIRE(c.exec("CREATE TABLE t(id bigint PRIMARY KEY, n bigint NOT NULL CHECK (n >= 0))"));
  REQUIRE(pma::pg::run(c, "INSERT INTO t VALUES($1, $2)", 1, 5));
  auto twice = pma::pg::run(c, "INSERT INTO t VALUES($1, $2)", 1, 6);
  REQUIRE_FALSE(twice);
  CHECK(twice.error().code == "pg_unique_violation");
  auto negative = pma::pg::run(c, "INSERT INTO t VALUES($1, $2)", 2, -1);
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == "pg_constraint");
  auto garbage = c.exec("SELEC 1");
  REQUIRE_FALSE(garbage);
  CHECK(garbage.error().code == "pg_query");
  {
    auto tx = Transaction::begin(c);
    REQUIRE(tx);
    REQUIRE(pma::pg::run(c, "UPDATE t SET n = 100"));
  }  // dropped: rolled back
  auto n = c.query("SELECT n FROM t");
  REQUIRE(n);
  CHECK(*n->int64(0, 0) == 5);
  {
    auto tx = Transaction::begin(c);
    REQUIRE(tx);
    REQUIRE_FALSE(pma::pg::run(c, "INSERT INTO t VALUES($1, $2)", 1, 1));
    auto commit = tx->commit();  // the failed INSERT aborted the transaction
    REQUIRE_FALSE(commit);
  }
  CHECK_FALSE(c.in_transaction());
}

TEST_CASE("two serializable writers of one row: the second gets pg_serialization", "[pg]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  const std::string uri = fresh_database();
  auto a = Connection::open(uri);
  auto b = Connection::open(uri);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE((*a)->exec("CREATE TABLE t(id bigint PRIMARY KEY, n bigint); INSERT INTO t VALUES(1,0)"));
  auto ta = Transaction::begin(**a);
  auto tb = Transaction::begin(**b);
  REQUIRE(ta);
  REQUIRE(tb);
  REQUIRE((*a)->query("SELECT n FROM t WHERE id = 1"));
  REQUIRE((*b)->query("SELECT n FROM t WHERE id = 1"));
  REQUIRE(pma::pg::run(**a, "UPDATE t SET n = n + 1 WHERE id = 1"));
  REQUIRE(ta->commit());
  auto late = pma::pg::run(**b, "UPDATE t SET n = n + 1 WHERE id = 1");
  REQUIRE_FALSE(late);
  CHECK(late.error().code == "pg_serialization");
}

TEST_CASE("a pipeline sends its statements at once and reports the first that failed", "[pg]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  auto conn = Connection::open(fresh_database());
  REQUIRE(conn);
  Connection& c = **conn;
  REQUIRE(c.exec("CREATE TABLE t(id bigint PRIMARY KEY)"));
  std::vector<pma::pg::Query> queries;
  for (std::int64_t i = 1; i <= 100; ++i) {
    queries.push_back({"INSERT INTO t VALUES($1)", {i}});
  }
  queries.push_back({"SELECT COUNT(*) FROM t", {}});
  auto done = c.pipeline(queries);
  REQUIRE(done);
  REQUIRE(done->size() == 101);
  CHECK(*done->back().int64(0, 0) == 100);
  std::vector<pma::pg::Query> clash = {{"INSERT INTO t VALUES($1)", {std::int64_t{101}}},
                                       {"INSERT INTO t VALUES($1)", {std::int64_t{5}}},
                                       {"INSERT INTO t VALUES($1)", {std::int64_t{102}}}};
  auto failed = c.pipeline(clash);
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == "pg_unique_violation");
  // Still usable afterwards.
  auto count = c.query("SELECT COUNT(*) FROM t");
  REQUIRE(count);
  CHECK(*count->int64(0, 0) >= 100);
}
