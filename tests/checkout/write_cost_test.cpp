// What a checkout costs the till's storage: WAL frames (pages) per commit, exact and
// deterministic for a given sequence of commits (SQLite's B-trees split the same way each run).
// POS boxes run on eMMC and SD cards that wear out; bench_checkout prints the same figures with
// timings and names the pages.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "agent/store/sqlite.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::Till;

namespace {

v1::CommitRequest checkout(int i, bool member) {
  v1::CommitRequest r;
  r.set_txn_id(fmt::format("{}{}", member ? "B" : "G", i));
  if (member) r.set_member_id(fmt::format("M{}", i % 100));
  for (int k = 0; k < 3; ++k) {
    *r.add_lines() = basket_line(fmt::format("sku{}", k), 1 + k, 1999 + 1000 * k, k != 2);
  }
  if (member && i % 3 == 0) r.set_points_to_burn(1000);
  return r;
}

// Frames per commit over n commits after a warm-up of as many (WAL checkpoints never run, so
// every frame a commit writes stays counted).
double frames_per_commit(Till& till, bool member, int n) {
  for (int i = 0; i < n; ++i) REQUIRE(till.service->commit(checkout(1'000'000 + i, member)));
  const int before = till.db->wal_frames();
  for (int i = 0; i < n; ++i) REQUIRE(till.service->commit(checkout(i, member)));
  return static_cast<double>(till.db->wal_frames() - before) / n;
}

}  // namespace

// Schema 8 wrote 11.2 and 5.7 frames per commit here. Schema 9 writes three B-trees per member
// checkout (the outbox row, which also holds the replay record until HQ acknowledges it; the
// member's ledger leaf; the idempotency key) and two without a member, plus the pages their
// splits write now and then. Members are gold: a tier upgrade also writes the member's row
// (one page, once per upgrade).
TEST_CASE("A member checkout writes at most 4 WAL frames per commit, a non-member one 2.5",
          "[checkout][wal]") {
  Till till({}, store::OpenOptions{.synchronous = "OFF", .wal_autocheckpoint = 0});
  for (int m = 0; m < 100; ++m) {
    till.add_member(fmt::format("M{}", m), v1::TIER_GOLD, 1'000'000);
  }
  const double member = frames_per_commit(till, true, 300);
  const double guest = frames_per_commit(till, false, 300);
  INFO("member " << member << ", non-member " << guest << " frames per commit");
  CHECK(member <= 4.0);
  CHECK(guest <= 2.5);
}
