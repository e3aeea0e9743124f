// `memberhq migrate`: a SQLite HQ with members, deltas, conflicts, holds and rule sets copied
// into PostgreSQL, checked by counts and sums, and serving on from the copy as it would have
// from the file (a copied delta sent again is a duplicate, balances and versions carry on).
#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>

#include "sync/hq/pg_open.h"
#include "sync/hq/pg_sink.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace {

const pma::hq::TerminalIdentity kTill{"S1", "T1"};
constexpr std::int64_t kNow = 1'790'000'000'000;

pma::v1::Delta checkout(std::uint64_t seq, const std::string& member, std::int64_t earned,
                        std::int64_t burned = 0) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id("TX-" + std::to_string(seq));
  delta.set_occurred_at_ms(kNow);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->set_gross_fen(1000);
  c->set_paid_fen(1000);
  c->set_points_earned(earned);
  c->set_points_burned(burned);
  return delta;
}

pma::v1::Batch batch_of(std::vector<pma::v1::Delta> deltas) {
  pma::v1::Batch batch;
  for (auto& d : deltas) *batch.add_deltas() = std::move(d);
  return batch;
}

}  // namespace

TEST_CASE("memberhq migrate copies a SQLite HQ into PostgreSQL, verified, and it serves on",
          "[pg][migrate]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  pma::test::TempDir dir;
  const std::string file = dir.file("hq.db");
  std::uint64_t m1_version = 0;
  {
    auto lite = pma::hq::SqliteSink::open(file, "NORMAL");
    REQUIRE(lite);
    std::vector<pma::hq::ImportedMember> members{
        {"M1", "8861", {1, 2, 3}, "139****0001", "One", "1990-01-01", 2, 500},
        {"M2", "", {}, "", "Two", "", 1, 10}};
    REQUIRE((*lite)->import_members(members));
    REQUIRE((*lite)->put_rule_set(3, "rules-v3"));
    REQUIRE((*lite)->apply_batch(kTill, batch_of({checkout(1, "M1", 20), checkout(2, "M2", 0, 50)}),
                                 kNow));
    pma::v1::ReserveRequest hold;
    hold.set_txn_id("HOLD-1");
    hold.set_member_id("M1");
    hold.set_points(100);
    auto held = (*lite)->reserve(kTill, hold, kNow, kNow + 60'000);
    REQUIRE(held);
    REQUIRE(held->granted());
    REQUIRE((*lite)->set_terminal_revoked({"S9", "T9"}, true, kNow));
    m1_version = (*(*lite)->member("M1"))->version;
  }
  static std::atomic<int> n{0};
  const std::string uri =
      pma::test::PgCluster::shared().create_database("migrate_" + std::to_string(++n));
  auto figures = pma::hq::migrate_sqlite_to_pg(file, uri);
  if (!figures) FAIL(figures.error().code << ": " << figures.error().message);
  bool saw_points = false;
  for (const auto& f : *figures) {
    INFO(f.what);
    CHECK(f.source == f.copy);
    if (f.what == "members points sum") {
      CHECK(f.copy == 500 + 20 + 10 - 50);
      saw_points = true;
    }
  }
  CHECK(saw_points);
  auto again = pma::hq::migrate_sqlite_to_pg(file, uri);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == "migrate_target_not_empty");

  auto pg = pma::hq::open_sink(uri);
  REQUIRE(pg);
  pma::hq::Sink& sink = **pg;
  auto m1 = sink.member("M1");
  REQUIRE(m1);
  REQUIRE(*m1);
  CHECK((*m1)->points == 520);
  CHECK((*m1)->tier == 2);
  CHECK((*m1)->version == m1_version);
  CHECK(*sink.highest_applied(kTill) == 2);
  CHECK(*sink.active_holds(kNow) == 1);
  CHECK(sink.conflicts()->size() == 1);  // M2 overdrawn
  auto terminals = sink.terminals();
  REQUIRE(terminals);
  CHECK(terminals->size() == 2);
  // A copied delta sent again under a new seq is recognised; the next one applies on.
  auto resent = sink.apply_batch(kTill, batch_of({checkout(3, "M1", 20)}), kNow);
  REQUIRE(resent);
  CHECK(resent->applied == 1);
  pma::v1::Batch same = batch_of({checkout(1, "M1", 20)});
  same.mutable_deltas(0)->set_seq(4);
  auto duplicate = sink.apply_batch(kTill, same, kNow);
  REQUIRE(duplicate);
  CHECK(duplicate->duplicates == 1);
  CHECK((*sink.member("M1"))->points == 540);
  CHECK((*sink.member("M1"))->version > m1_version);
  auto page = sink.member_page(kTill, m1_version, 10, 0, kNow);
  REQUIRE(page);
  // M2 (copied, changed after M1's copied version), then M1 at its new version.
  REQUIRE(page->members_size() == 2);
  CHECK(page->members(0).member_id() == "M2");
  CHECK(page->members(1).member_id() == "M1");
  CHECK(page->members(1).phone_hash() == std::string("\x01\x02\x03", 3));
  CHECK(page->rule_set().version() == 3);
  auto wrong = pma::hq::migrate_sqlite_to_pg(file, "mysql://nope");
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().code == "pg_uri");
}
