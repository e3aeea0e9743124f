// Provisional member ids whose mapping was lost with an Ack: the next Hello names them and HQ's
// Handshake maps them, so a registration never stays under its P- id (and never shows twice
// once HQ's member pages bring the canonical row). Real memberhq sink and server on loopback.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

// HQ applies the till's outbox as if a session had sent it, and the Ack never arrives.
void apply_without_ack(SyncWorld& world, Till& till) {
  auto entries = till.sync_store->outbox_from(1, 1000, 1 << 20);
  REQUIRE(entries);
  REQUIRE_FALSE(entries->empty());
  pma::v1::Batch batch;
  for (const auto& e : *entries) {
    REQUIRE(
        batch.add_deltas()->ParseFromArray(e.payload.data(), static_cast<int>(e.payload.size())));
  }
  auto applied = world.sink->apply_batch({till.store_id, till.terminal_id}, batch, 1);
  REQUIRE(applied);
  REQUIRE(applied->applied == entries->size());
  REQUIRE_FALSE(applied->id_mappings.empty());  // the mapping the lost Ack carried
}

}  // namespace

TEST_CASE("A registration whose Ack was lost is mapped at the next handshake",
          "[sync][registration]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));  // the till has met HQ (a batch only ever follows a handshake)
  const std::string provisional = "P-A-T1-1";
  world.register_member(a, provisional, "13800001111");
  world.checkout(a, provisional, 40);
  apply_without_ack(world, a);
  REQUIRE(world.count(a, "SELECT COUNT(*) FROM outbox") == 2);

  auto report = world.sync(a);
  REQUIRE(report);
  // HQ had them: sent again under new seqs, counted once (as duplicates).
  CHECK(*world.sink->applied_count({a.store_id, a.terminal_id}) == 2);
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id LIKE 'P-%'") == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE member_id LIKE 'P-%'") == 0);
  // One member row with the phone's name, under HQ's id, holding the 40 points once.
  REQUIRE(world.count(a, "SELECT COUNT(*) FROM members WHERE name = 'New'") == 1);
  auto stmt = a.db->prepare("SELECT member_id FROM members WHERE name = 'New'");
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  const std::string member = stmt->column_text(0);
  CHECK(world.till_balance(a, member) == 40);
  CHECK(world.hq_balance(member) == 40);
}

TEST_CASE("HQ tells a terminal the mappings of its own registrations only",
          "[sync][registration]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  world.add_till("B", "T1");
  world.register_member(a, "P-A-T1-7", "13800002222");
  apply_without_ack(world, a);

  std::vector<std::string> asked = {"P-A-T1-7", "P-A-T1-8"};
  auto own = world.sink->id_mappings({"A", "T1"}, asked);
  REQUIRE(own);
  REQUIRE(own->size() == 1);  // P-A-T1-8 was never registered
  CHECK(own->at(0).provisional_id() == "P-A-T1-7");
  CHECK_FALSE(own->at(0).member_id().starts_with("P-"));

  auto other = world.sink->id_mappings({"B", "T1"}, asked);
  REQUIRE(other);
  CHECK(other->empty());
  auto other_till = world.sink->id_mappings({"A", "T2"}, asked);
  REQUIRE(other_till);
  CHECK(other_till->empty());
}
