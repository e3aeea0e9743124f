#include "store/migrations.h"

#include <catch2/catch.hpp>

#include "store/member_store.h"
#include "support/temp_dir.h"

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
