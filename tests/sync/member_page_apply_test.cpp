#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "store/member_store.h"
#include "store/sync_store_sqlite.h"
#include "support/temp_dir.h"

namespace {

pma::v1::MemberPage page_of(int first, int count) {
  pma::v1::MemberPage page;
  for (int i = first; i < first + count; ++i) {
    auto* m = page.add_members();
    m->set_member_id(fmt::format("M{}", i));
    m->set_version(static_cast<std::uint64_t>(i));
    m->set_card_no(fmt::format("886{:08}", i));
    m->set_points(i);
  }
  page.set_next_cursor(static_cast<std::uint64_t>(first + count));
  return page;
}

std::int64_t scalar(pma::store::Database& db, const char* sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  return stmt->column_int64(0);
}

}  // namespace

TEST_CASE("A member page commits rows and cursor together and leaves the connection at FULL",
          "[sync][apply]") {
  pma::test::TempDir dir;
  auto db = pma::store::open_store(dir.file("agent.db"));
  REQUIRE(db);
  pma::store::Database& database = **db;
  REQUIRE(scalar(database, "PRAGMA synchronous") == 2);
  pma::store::SqliteSyncStore store(database);

  REQUIRE(store.apply_member_page(page_of(1, 50), 0));
  CHECK(scalar(database, "SELECT COUNT(*) FROM members") == 50);
  CHECK(store.downstream_cursor()->member_cursor == 51);
  // The relaxed sync is for the page only: checkouts on this connection commit FULL.
  CHECK(scalar(database, "PRAGMA synchronous") == 2);

  SECTION("a page that fails half-way leaves neither its rows nor its cursor") {
    REQUIRE(
        database.exec("CREATE TEMP TRIGGER refuse BEFORE INSERT ON members "
                      "WHEN NEW.member_id = 'M60' BEGIN SELECT RAISE(ABORT, 'refused'); END"));
    auto failed = store.apply_member_page(page_of(51, 20), 0);
    REQUIRE_FALSE(failed);
    CHECK(scalar(database, "SELECT COUNT(*) FROM members") == 50);
    CHECK(store.downstream_cursor()->member_cursor == 51);
    CHECK(scalar(database, "PRAGMA synchronous") == 2);
  }
}
