#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <limits>

#include "agent/store/ledger.h"
#include "agent/store/member_store.h"
#include "agent/store/sync_store_sqlite.h"
#include "tests/support/temp_dir.h"

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

namespace {

// A page of one member with the given spend months (month index, fen) and HQ's figure.
pma::v1::MemberPage spend_page(const std::string& id, std::uint64_t version,
                               std::vector<std::pair<int, std::int64_t>> months,
                               std::int64_t spend_12m_fen, bool erased = false) {
  pma::v1::MemberPage page;
  auto* m = page.add_members();
  m->set_member_id(id);
  m->set_version(version);
  m->set_erased(erased);
  m->set_spend_12m_fen(spend_12m_fen);
  for (auto [month, fen] : months) {
    auto* b = m->add_spend_months();
    b->set_month(month);
    b->set_fen(fen);
  }
  page.set_next_cursor(version);
  return page;
}

}  // namespace

TEST_CASE("A member page's spend months replace the member's and count within the window",
          "[sync][apply][spend]") {
  pma::test::TempDir dir;
  auto db = pma::store::open_store(dir.file("agent.db"));
  REQUIRE(db);
  pma::store::Database& database = **db;
  pma::store::SqliteSyncStore store(database);
  pma::store::Ledger ledger(database);
  constexpr int kMay2026 = 676;
  REQUIRE(store.apply_member_page(
      spend_page("M1", 1, {{kMay2026 - 11, 2000}, {kMay2026 - 1, -300}, {kMay2026, 1000}}, 2700),
      0));
  CHECK(ledger.spend_12m("M1", kMay2026 - 11, 0).value() == 2700);
  CHECK(ledger.spend_12m("M1", kMay2026 - 10, 0).value() == 700);
  CHECK(ledger.spend_12m("M1", kMay2026 + 1, 0).value() == 0);
  CHECK(ledger.spend_12m("M1", kMay2026 - 1, 0).value() == 700);
  // Months within the window that sum below zero count as nothing, as at HQ.
  REQUIRE(store.apply_member_page(spend_page("M1", 2, {{kMay2026, -50}}, 0), 0));
  CHECK(ledger.spend_12m("M1", kMay2026 - 11, 0).value() == 0);
  REQUIRE(store.apply_member_page(spend_page("M1", 3, {{kMay2026, 80}}, 80), 0));
  CHECK(ledger.spend_12m("M1", kMay2026 - 11, 0).value() == 80);  // replaced, not added

  SECTION("a page from an older HQ, without months, leaves HQ's figure") {
    REQUIRE(store.apply_member_page(spend_page("M1", 4, {}, 4200), 0));
    CHECK(scalar(database, "SELECT COUNT(*) FROM members WHERE spend_months IS NULL") == 1);
    CHECK(ledger.spend_12m("M1", kMay2026 + 100, 0).value() == 4200);
  }
  SECTION("an erasure removes the months with the member") {
    REQUIRE(store.apply_member_page(spend_page("M1", 4, {}, 0, true), 0));
    CHECK(scalar(database, "SELECT COUNT(*) FROM members") == 0);
    CHECK(ledger.spend_12m("M1", kMay2026, 0).error().code == "unknown_member");
  }
  SECTION("months of a provisional id follow it to the canonical id") {
    REQUIRE(store.apply_member_page(spend_page("P-S-T1-1", 4, {{kMay2026, 900}}, 900), 0));
    pma::v1::IdMapping mapping;
    mapping.set_provisional_id("P-S-T1-1");
    mapping.set_member_id("H000000007");
    REQUIRE(store.acknowledge(0, {mapping}));
    CHECK(ledger.spend_12m("H000000007", kMay2026, 0).value() == 900);
    CHECK(scalar(database, "SELECT COUNT(*) FROM members WHERE member_id = 'P-S-T1-1'") == 0);
  }
}

TEST_CASE("Spend months from a garbled page are bounded: far-off months drop, repeats add up",
          "[sync][apply][spend]") {
  pma::test::TempDir dir;
  auto db = pma::store::open_store(dir.file("agent.db"));
  REQUIRE(db);
  pma::store::SqliteSyncStore store(**db);
  pma::store::Ledger ledger(**db);
  constexpr int kMay2026 = 676;
  REQUIRE(store.apply_member_page(spend_page("M1", 1,
                                             {{std::numeric_limits<std::int32_t>::min(), 5},
                                              {kMay2026, 100},
                                              {kMay2026, 50},
                                              {kMay2026 - 40, 7}},
                                             150),
                                  0));
  CHECK(ledger.spend_12m("M1", std::numeric_limits<std::int32_t>::min(), 0).value() == 150);
  CHECK(scalar(**db, "SELECT length(spend_months) < 16 FROM members") == 1);
}
