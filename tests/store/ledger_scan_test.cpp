// The ledger has no index but its primary key (member, time, txn, kind; migration 9), so every
// statement a frequent path runs must seek by member: a full scan grows with years of sales.
// Measured in SQLite VM instructions (a progress handler), not time: deterministic.
#include <fmt/format.h>
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"
#include "pma/v1/sync.pb.h"
#include "tests/support/temp_dir.h"

using namespace pma::store;

namespace {

int count_step(void* counter) {
  ++*static_cast<long*>(counter);
  return 0;
}

// VM instructions one apply_member_page of 50 members (one of them with an unreflected row,
// sorting after the others: a scan finds it last) costs
// on a till whose ledger holds `history` reflected rows of other members.
long page_cost(const std::string& path, int history) {
  auto db = open_store(path);
  REQUIRE(db);
  REQUIRE((*db)->exec(fmt::format(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "
      "INSERT INTO ledger(member_id, created_at, txn_id, kind, points, amount_fen, outbox_seq, "
      "hq_reflected) SELECT 'OLD' || (i % 997), i, 'T' || i, 'earn', 10, 1999, i, 1 FROM n",
      history)));
  REQUIRE((*db)->exec(
      "INSERT INTO ledger(member_id, created_at, txn_id, kind, points, amount_fen, outbox_seq, "
      "hq_reflected) VALUES ('X7', 5, 'NEW1', 'earn', 10, 1999, 999999, 0)"));
  pma::v1::MemberPage page;
  for (int i = 0; i < 50; ++i) {
    auto* m = page.add_members();
    m->set_member_id(fmt::format("X{}", i));
    m->set_points(100);
    m->set_version(1);
  }
  page.set_reflected_seq(1'000'000);
  page.set_next_cursor(1);
  SqliteSyncStore sync(**db);
  long steps = 0;
  sqlite3_progress_handler((*db)->native_handle(), 1, count_step, &steps);
  REQUIRE(sync.apply_member_page(page, 1));
  sqlite3_progress_handler((*db)->native_handle(), 0, nullptr, nullptr);
  auto stmt = (*db)->prepare("SELECT hq_reflected FROM ledger WHERE txn_id = 'NEW1'");
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  CHECK(stmt->column_int64(0) == 1);  // the watermark still moves
  return steps;
}

}  // namespace

TEST_CASE("A member page costs the same on a till with years of reflected ledger rows",
          "[store][ledger]") {
  pma::test::TempDir dir;
  const long small = page_cost(dir.file("small.db"), 100);
  const long large = page_cost(dir.file("large.db"), 200'000);
  INFO("VM instructions: " << small << " with 100 rows of history, " << large << " with 200,000");
  // B-tree seeks grow with the log of the size; a scan, 2,000 times over.
  CHECK(large < 2 * small);
}
