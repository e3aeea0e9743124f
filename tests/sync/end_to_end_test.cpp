#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <random>

#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

TEST_CASE("Offline tills at several stores reconnect and HQ applies every delta exactly once",
          "[sync][e2e]") {
  SyncWorld world;
  world.import_members(5, 1000);
  std::vector<Till*> tills = {&world.add_till("S1", "T1"), &world.add_till("S2", "T1"),
                              &world.add_till("S3", "T1"), &world.add_till("S3", "T2")};
  std::map<std::string, std::int64_t> expected;
  for (int i = 1; i <= 5; ++i) expected[fmt::format("M{}", i)] = 1000;
  std::mt19937 random(42);
  for (Till* till : tills) {
    for (int i = 0; i < 250; ++i) {
      std::string member = fmt::format("M{}", 1 + random() % 5);
      std::int64_t earned = static_cast<std::int64_t>(random() % 50);
      std::int64_t burned = static_cast<std::int64_t>(random() % 10);
      world.checkout(*till, member, earned, burned);
      expected[member] += earned - burned;
    }
  }
  auto results = world.sync_all(tills);
  for (auto& r : results) {
    REQUIRE(r);
    CHECK(r->deltas_acked == 250);
  }
  for (Till* till : tills) {
    pma::hq::TerminalIdentity id{till->store_id, till->terminal_id};
    CHECK(*world.sink->applied_count(id) == 250);
    CHECK(*world.sink->highest_applied(id) == 250);
    CHECK(world.count(*till, "SELECT COUNT(*) FROM outbox") == 0);
  }
  for (auto& [member, points] : expected) CHECK(world.hq_balance(member) == points);
  // A second round changes nothing at HQ: redelivery is harmless. (It is also what brings a
  // till that pulled its member pages before another till's upload landed up to date: the
  // first round runs the four tills concurrently, in no particular order.)
  for (auto& r : world.sync_all(tills)) {
    REQUIRE(r);
    CHECK(r->deltas_acked == 0);
  }
  // Every till sees HQ's balances, with its own entries counted exactly once.
  for (auto& [member, points] : expected) {
    CHECK(world.hq_balance(member) == points);
    for (Till* till : tills) CHECK(world.till_balance(*till, member) == points);
  }
}

TEST_CASE("A member who earns at store A sees it at store B after both sync", "[sync][e2e]") {
  SyncWorld world;
  world.import_members(2, 100);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(b));
  CHECK(world.till_balance(b, "M1") == 100);
  world.checkout(a, "M1", 40);
  CHECK(world.till_balance(a, "M1") == 40);  // A has not seen M1 from HQ yet
  REQUIRE(world.sync(a));
  CHECK(world.till_balance(a, "M1") == 140);
  REQUIRE(world.sync(b));
  CHECK(world.till_balance(b, "M1") == 140);
}

TEST_CASE("Balances stay exact when a checkout lands in the middle of a sync (invariant 2)",
          "[sync][e2e]") {
  SyncWorld world;
  world.import_members(1, 1000);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  world.checkout(a, "M1", 100);
  bool injected = false;
  // Between upstream and downstream: the page that arrives reflects seq 1, not this one.
  auto result = world.sync(a, [&](const pma::sync::SyncProgress& p) {
    if (p.phase == pma::sync::SyncProgress::Phase::downstream && !injected) {
      injected = true;
      world.checkout(a, "M1", 7);
    }
  });
  REQUIRE(result);
  REQUIRE(injected);
  CHECK(world.hq_balance("M1") == 1100);
  CHECK(world.till_balance(a, "M1") == 1107);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE hq_reflected = 0") == 1);
  // Store B spends some meanwhile; A restarts before its next sync.
  world.checkout(b, "M1", 0, 50);
  REQUIRE(world.sync(b));
  world.restart(a);
  CHECK(world.till_balance(a, "M1") == 1107);
  REQUIRE(world.sync(a));
  CHECK(world.hq_balance("M1") == 1057);
  CHECK(world.till_balance(a, "M1") == 1057);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE hq_reflected = 0") == 0);
  REQUIRE(world.sync(b));
  CHECK(world.till_balance(b, "M1") == 1057);
}

TEST_CASE("A provisional member id becomes HQ's canonical id in members, ledger and coupons",
          "[sync][e2e]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  world.register_member(a, "P-A-T1-1", "13812345678");
  world.checkout(a, "P-A-T1-1", 30);
  REQUIRE(world.sync(a));
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id = 'P-A-T1-1'") == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE member_id = 'P-A-T1-1'") == 0);
  auto stmt = a.db->prepare("SELECT member_id FROM members");
  REQUIRE(stmt);
  REQUIRE(*stmt->step());
  std::string canonical = stmt->column_text(0);
  CHECK(canonical.starts_with("H"));
  CHECK(world.hq_balance(canonical) == 30);
  CHECK(world.till_balance(a, canonical) == 30);
}

TEST_CASE("A reinstalled till continues after HQ's seq and never reuses one", "[sync][e2e]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  for (int i = 0; i < 5; ++i) world.checkout(a, "M1", 10);
  REQUIRE(world.sync(a));
  // The box is reinstalled: a fresh database, the same certificate, offline at first.
  a.client.reset();
  a.sync_store.reset();
  a.db.reset();
  std::filesystem::remove(a.db_path);
  world.restart(a);
  for (int i = 0; i < 3; ++i) world.checkout(a, "M1", 1);
  CHECK(world.count(a, "SELECT MIN(seq) FROM outbox") == 1);
  auto result = world.sync(a);
  REQUIRE(result);
  CHECK(result->hq_highest_seq == 8);
  CHECK(*world.sink->applied_count({"A", "T1"}) == 8);
  CHECK(world.hq_balance("M1") == 53);
  CHECK(world.till_balance(a, "M1") == 53);
  CHECK(world.checkout(a, "M1", 1) == 9);
}

TEST_CASE("HQ records a coupon redeemed at two stores and an overdrawn balance", "[sync][e2e]") {
  SyncWorld world;
  world.import_members(1, 10);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  world.checkout(a, "M1", 0, 0, {"C-1"});
  world.checkout(b, "M1", 0, 0, {"C-1"});
  world.checkout(b, "M1", 0, 25);
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));
  auto conflicts = world.sink->conflicts();
  REQUIRE(conflicts);
  REQUIRE(conflicts->size() == 2);
  CHECK((*conflicts)[0].kind == "coupon_redeemed_twice");
  CHECK((*conflicts)[0].store_id == "B");
  CHECK((*conflicts)[0].coupon_code == "C-1");
  CHECK((*conflicts)[1].kind == "points_overdrawn");
  CHECK(world.hq_balance("M1") == -15);
}

TEST_CASE("Member pages and rule sets arrive in bounded pages and resume from the cursor",
          "[sync][e2e]") {
  SyncWorld world;
  world.import_members(120, 5);  // more than two pages of 50
  REQUIRE(world.sink->put_rule_set(3, std::string("\x08\x03rules", 7)));
  Till& a = world.add_till("A", "T1");
  auto first = world.sync(a);
  REQUIRE(first);
  CHECK(first->members_applied == 120);
  CHECK(first->rule_set_updated);
  CHECK(world.count(a, "SELECT COUNT(*) FROM members") == 120);
  CHECK(world.count(a,
                    "SELECT CAST(value AS INTEGER) FROM sync_state WHERE "
                    "key = 'rule_set_version'") == 3);
  auto second = world.sync(a);
  REQUIRE(second);
  CHECK(second->members_applied == 0);
  CHECK_FALSE(second->rule_set_updated);
  auto status = a.client->status();
  REQUIRE(status);
  CHECK(status->reachable);
  CHECK(status->outbox_depth == 0);
  CHECK(status->last_success_ms.has_value());
}
