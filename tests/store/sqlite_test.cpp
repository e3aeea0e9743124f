#include "agent/store/sqlite.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

using namespace pma::store;

TEST_CASE("Database opens in WAL mode with synchronous FULL by default", "[store][sqlite]") {
  pma::test::TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  REQUIRE(db);
  auto mode = (*db)->prepare("PRAGMA journal_mode");
  REQUIRE(mode);
  REQUIRE(mode->step().value());
  CHECK(mode->column_text(0) == "wal");
  auto sync = (*db)->prepare("PRAGMA synchronous");
  REQUIRE(sync);
  REQUIRE(sync->step().value());
  CHECK(sync->column_int64(0) == 2);  // FULL
}

TEST_CASE("Database open errors name the path", "[store][sqlite]") {
  SECTION("missing folder") {
    auto db = Database::open("/nonexistent-folder/sub/a.db");
    REQUIRE_FALSE(db);
    CHECK(db.error().code == "sqlite_open");
    CHECK_THAT(db.error().message, Catch::Contains("/nonexistent-folder/sub/a.db"));
  }
  SECTION("bad synchronous value") {
    pma::test::TempDir dir;
    OpenOptions options;
    options.synchronous = "SOMETIMES";
    auto db = Database::open(dir.file("a.db"), options);
    REQUIRE_FALSE(db);
    CHECK_THAT(db.error().message, Catch::Contains("SOMETIMES"));
  }
  SECTION("not a database") {
    pma::test::TempDir dir;
    {
      std::FILE* f = std::fopen(dir.file("junk.db").c_str(), "wb");
      REQUIRE(f);
      std::fputs("this is definitely not an SQLite database file, just text......", f);
      std::fclose(f);
    }
    auto db = Database::open(dir.file("junk.db"));
    REQUIRE_FALSE(db);
    CHECK(db.error().code == "sqlite_open");
  }
}

TEST_CASE("Statement errors carry SQLite's message and the statement", "[store][sqlite]") {
  pma::test::TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  REQUIRE(db);
  REQUIRE((*db)->exec("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER NOT NULL)"));

  SECTION("syntax error at prepare") {
    auto stmt = (*db)->prepare("SELEC k FROM t");
    REQUIRE_FALSE(stmt);
    CHECK(stmt.error().code == "sqlite_prepare");
    CHECK_THAT(stmt.error().message, Catch::Contains("syntax error"));
    CHECK_THAT(stmt.error().message, Catch::Contains("SELEC k FROM t"));
  }
  SECTION("unknown table") {
    auto stmt = (*db)->prepare("SELECT * FROM missing");
    REQUIRE_FALSE(stmt);
    CHECK_THAT(stmt.error().message, Catch::Contains("no such table: missing"));
  }
  SECTION("constraint violation at step") {
    auto insert = (*db)->prepare("INSERT INTO t(k, v) VALUES (?1, ?2)");
    REQUIRE(insert);
    insert->bind_all("a", 1);
    REQUIRE(insert->run());
  }
  SECTION("constraint violation is reported as sqlite_constraint") {
    REQUIRE((*db)->exec("INSERT INTO t VALUES ('a', 1)"));
    auto insert = (*db)->prepare("INSERT INTO t(k, v) VALUES (?1, ?2)");
    REQUIRE(insert);
    insert->bind_all("a", 2);
    auto ok = insert->run();
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "sqlite_constraint");
    CHECK_THAT(ok.error().message, Catch::Contains("UNIQUE constraint failed: t.k"));
    CHECK_THAT(ok.error().message, Catch::Contains("INSERT INTO t"));
  }
  SECTION("binding out of range") {
    auto insert = (*db)->prepare("INSERT INTO t(k, v) VALUES (?1, ?2)");
    REQUIRE(insert);
    insert->bind(3, 7);
    auto ok = insert->run();
    REQUIRE_FALSE(ok);
    CHECK(ok.error().code == "sqlite_bind");
    CHECK_THAT(ok.error().message, Catch::Contains("parameter 3"));
  }
}

TEST_CASE("Prepared statements are cached and reset between uses", "[store][sqlite]") {
  pma::test::TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  REQUIRE(db);
  REQUIRE((*db)->exec("CREATE TABLE t(v INTEGER); INSERT INTO t VALUES (1), (2), (3)"));
  for (int round = 0; round < 3; ++round) {
    auto stmt = (*db)->prepare("SELECT v FROM t ORDER BY v");
    REQUIRE(stmt);
    REQUIRE(stmt->step().value());
    CHECK(stmt->column_int64(0) == 1);  // a reused statement starts from the first row
  }
}

TEST_CASE("A transaction rolls back unless committed", "[store][sqlite]") {
  pma::test::TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  REQUIRE(db);
  REQUIRE((*db)->exec("CREATE TABLE t(v INTEGER)"));
  {
    auto tx = Transaction::begin(**db);
    REQUIRE(tx);
    REQUIRE((*db)->exec("INSERT INTO t VALUES (1)"));
  }
  {
    auto tx = Transaction::begin(**db);
    REQUIRE(tx);
    REQUIRE((*db)->exec("INSERT INTO t VALUES (2)"));
    REQUIRE(tx->commit());
  }
  auto stmt = (*db)->prepare("SELECT group_concat(v) FROM t");
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  CHECK(stmt->column_text(0) == "2");
}

TEST_CASE("A second writer waits for the busy timeout, then reports busy", "[store][sqlite]") {
  pma::test::TempDir dir;
  OpenOptions options;
  options.busy_timeout_ms = 50;
  auto first = Database::open(dir.file("a.db"), options);
  auto second = Database::open(dir.file("a.db"), options);
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE((*first)->exec("CREATE TABLE t(v INTEGER)"));
  auto tx = Transaction::begin(**first);
  REQUIRE(tx);
  auto blocked = Transaction::begin(**second);
  REQUIRE_FALSE(blocked);
  CHECK_THAT(blocked.error().message, Catch::Contains("locked"));
}

TEST_CASE("run binds every argument in order, blobs and NULLs included", "[store][sqlite]") {
  pma::test::TempDir dir;
  auto db = Database::open(dir.file("a.db"));
  REQUIRE(db);
  REQUIRE((*db)->exec("CREATE TABLE t(a INTEGER, b TEXT, c BLOB, d TEXT)"));
  const std::string bytes("\x00\x01z", 3);
  REQUIRE(run(**db, "INSERT INTO t VALUES(?, ?, ?, ?)", std::int64_t{7}, "seven", bytes_of(bytes),
              nullptr));
  auto q = (*db)->prepare("SELECT a, b, c, d IS NULL FROM t");
  REQUIRE(q);
  REQUIRE(q->step().value());
  CHECK(q->column_int64(0) == 7);
  CHECK(q->column_text(1) == "seven");
  CHECK(q->column_blob(2) == std::vector<std::uint8_t>{0, 1, 'z'});
  CHECK(q->column_int64(3) == 1);
}

TEST_CASE("A read transaction keeps one snapshot while another connection commits",
          "[store][sqlite]") {
  pma::test::TempDir dir;
  auto reader = Database::open(dir.file("a.db"));
  auto writer = Database::open(dir.file("a.db"));
  REQUIRE(reader);
  REQUIRE(writer);
  REQUIRE((*writer)->exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1)"));
  auto count = [&] {
    auto q = (*reader)->prepare("SELECT COUNT(*) FROM t");
    REQUIRE(q);
    REQUIRE(q->step().value());
    return q->column_int64(0);
  };
  {
    auto snapshot = Transaction::begin_read(**reader);
    REQUIRE(snapshot);
    CHECK((*reader)->in_transaction());
    CHECK(count() == 1);
    REQUIRE(run(**writer, "INSERT INTO t VALUES(2)"));  // a read lock does not stop a WAL writer
    CHECK(count() == 1);
  }
  CHECK_FALSE((*reader)->in_transaction());
  CHECK(count() == 2);
}
