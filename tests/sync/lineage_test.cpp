// A till database that is not the one HQ last heard from: a restored backup, a reinstall. Its
// outbox seqs and minted ids repeat ones HQ holds; nothing may be dropped, applied twice or
// booked to the wrong person (issue 11, items 3 and 4). Real memberhq sink and server on
// loopback, real backup files.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "agent/store/backup.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

void close_till(Till& till) {
  till.client.reset();
  till.sync_store.reset();
  till.db.reset();
}

std::size_t conflicts_of(SyncWorld& world, const std::string& kind) {
  auto all = world.sink->conflicts();
  REQUIRE(all);
  std::size_t n = 0;
  for (const auto& c : *all) n += c.kind == kind ? 1 : 0;
  return n;
}

}  // namespace

TEST_CASE("A restored till's new sales reach HQ: no outbox row is dropped as acknowledged",
          "[sync][restore]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  for (int i = 0; i < 5; ++i) world.checkout(a, "M1", 10);
  REQUIRE(world.sync(a));
  // Two sales still in the outbox when the backup is taken; HQ gets them from the original.
  world.checkout(a, "M1", 10);
  world.checkout(a, "M1", 10);
  const std::string backup = world.dir.file("backup.db");
  REQUIRE(pma::store::backup_database(*a.db, backup, {"A", "T1"}));
  for (int i = 0; i < 3; ++i) world.checkout(a, "M1", 10);
  REQUIRE(world.sync(a));
  REQUIRE(world.hq_balance("M1") == 100);  // seqs 1..10 applied

  // The README procedure: stop memberd, memberctl restore, start memberd.
  close_till(a);
  REQUIRE(pma::store::restore_database(backup, a.db_path, "A", false));
  world.restart(a);
  // Sales after the restore, before the first sync (HQ unreachable): they take seqs 8..10,
  // which HQ holds for other sales.
  for (int i = 0; i < 3; ++i) world.checkout(a, "M1", 1);
  CHECK(world.count(a, "SELECT MAX(seq) FROM outbox") == 10);
  // And one committed while the first session runs, right after its handshake.
  bool committed_during = false;
  auto report = world.sync(a, [&](const pma::sync::SyncProgress& p) {
    if (p.phase == pma::sync::SyncProgress::Phase::upstream && !committed_during) {
      committed_during = true;
      world.checkout(a, "M1", 100);
    }
  });
  REQUIRE(report);
  REQUIRE(committed_during);
  REQUIRE(world.sync(a));  // the one committed during the session, if it missed the batch
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
  // 100 before, the two re-sent backup rows counted once, 3 + 100 after the restore.
  CHECK(world.hq_balance("M1") == 203);
  CHECK(world.till_balance(a, "M1") == 203);
  CHECK(*world.sink->applied_count({"A", "T1"}) == 14);
  // Seqs keep increasing past everything HQ holds.
  CHECK(world.checkout(a, "M1", 1) > *world.sink->highest_applied({"A", "T1"}));
}

TEST_CASE("A delta sent again under a new seq after a lost ack is applied once",
          "[sync][restore]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  world.checkout(a, "M1", 7);
  world.checkout(a, "M1", 5);
  // HQ applies them; the Ack is lost.
  auto entries = a.sync_store->outbox_from(1, 100, 1 << 20);
  REQUIRE(entries);
  pma::v1::Batch batch;
  for (const auto& e : *entries) {
    REQUIRE(
        batch.add_deltas()->ParseFromArray(e.payload.data(), static_cast<int>(e.payload.size())));
  }
  REQUIRE(world.sink->apply_batch({"A", "T1"}, batch, 1));
  world.checkout(a, "M1", 1);  // a new sale behind them
  REQUIRE(world.sync(a));
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
  CHECK(world.hq_balance("M1") == 13);
  CHECK(world.till_balance(a, "M1") == 13);
  CHECK(*world.sink->applied_count({"A", "T1"}) == 3);
}

TEST_CASE("HQ refuses a provisional id reused for another person and merges nobody",
          "[sync][registration][reinstall]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  // An agent that minted ids from the seq alone: P-A-T1-1 and W-A-T1-1.
  auto registration = [&](const std::string& id, const std::string& phone,
                          const std::string& coupon) {
    pma::v1::Delta delta;
    delta.set_txn_id(id);
    auto* r = delta.mutable_member_registered();
    r->set_provisional_id(id);
    r->set_phone_hash("hash-of-" + phone);
    r->set_name("New");
    auto* t = r->add_welcome_coupon_terms();
    t->set_code(coupon);
    t->set_template_id("welcome");
    REQUIRE(
        a.db->exec(fmt::format("INSERT INTO members(member_id, name) VALUES('{}', 'New')", id)));
    world.write_delta(a, delta, id, 0, "member_registered");
  };
  registration("P-A-T1-1", "13800000001", "W-A-T1-1");
  world.checkout(a, "P-A-T1-1", 30);
  REQUIRE(world.sync(a));
  auto first = world.sink->id_mappings({"A", "T1"}, std::vector<std::string>{"P-A-T1-1"});
  REQUIRE(first);
  REQUIRE(first->size() == 1);
  const std::string canonical = (*first)[0].member_id();
  REQUIRE(world.hq_balance(canonical) == 30);

  // Reinstalled offline: the same ids again, for other people.
  close_till(a);
  std::filesystem::remove(a.db_path);
  world.restart(a);
  registration("P-A-T1-1", "13900000002", "W-A-T1-9");
  world.checkout(a, "P-A-T1-1", 50);
  registration("P-A-T1-2", "13900000003", "W-A-T1-1");
  REQUIRE(world.sync(a));

  CHECK(conflicts_of(world, "provisional_id_reused") == 1);
  CHECK(conflicts_of(world, "coupon_code_reused") == 1);
  // The first holder keeps exactly what was theirs.
  CHECK(world.hq_balance(canonical) == 30);
  // The new person's points wait under the provisional id, not on anyone else.
  CHECK(world.hq_balance("P-A-T1-1") == 50);
  // And the till is never told to rename the new person into the first holder.
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id = 'P-A-T1-1'") == 1);
  CHECK(world.till_balance(a, "P-A-T1-1") == 50);
  CHECK(world.till_balance(a, canonical) == 30);
}

TEST_CASE("HQ never sends a blank over a member's data it never had", "[sync][pairing]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  // A member seeded at the till before it was paired (HQ has never heard of it).
  REQUIRE(a.db->exec(
      "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, "
      "hq_version) VALUES('L1', '8860001', X'0102', '138****0001', 'Li', '05-01', 1)"));
  world.checkout(a, "L1", 10);
  REQUIRE(world.sync(a));
  CHECK(world.hq_balance("L1") == 10);
  auto stmt = a.db->prepare(
      "SELECT COALESCE(card_no, ''), hex(phone_hash), phone_masked, name, birthday FROM members "
      "WHERE member_id = 'L1'");
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  CHECK(stmt->column_text(0) == "8860001");
  CHECK(stmt->column_text(1) == "0102");
  CHECK(stmt->column_text(2) == "138****0001");
  CHECK(stmt->column_text(3) == "Li");
  CHECK(stmt->column_text(4) == "05-01");
  CHECK(world.till_balance(a, "L1") == 10);
}

TEST_CASE("A till holding members imported there pairs only once HQ has them", "[sync][pairing]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  // memberctl import on the standalone till: HQ has never sent these (hq_version 0).
  REQUIRE(a.db->exec(
      "INSERT INTO members(member_id, card_no, name, hq_points) VALUES('M1', '886000000001', "
      "'Member 1', 100)"));
  world.checkout(a, "M1", 10);  // a standalone sale
  auto refused = world.sync(a);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "pairing_refused");
  CHECK_THAT(refused.error().message, Catch::Contains("memberhq import"));
  CHECK(*world.sink->applied_count({"A", "T1"}) == 0);
  CHECK(world.count(a, "SELECT name = 'Member 1' FROM members WHERE member_id = 'M1'") == 1);

  // The fix the message gives: the same file imported at HQ, then confirmed at the till.
  world.import_members(1, 100);
  REQUIRE(a.sync_store->set_state("members_at_hq", "1"));
  REQUIRE(world.sync(a));
  CHECK(world.hq_balance("M1") == 110);
  CHECK(world.till_balance(a, "M1") == 110);
  CHECK(world.count(a, "SELECT name = 'Member 1' FROM members WHERE member_id = 'M1'") == 1);
}
