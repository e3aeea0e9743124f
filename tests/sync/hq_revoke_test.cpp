// memberhq terminal revoke / reinstate over real mutual TLS: a revoked terminal is refused
// right after the handshake with terminal_revoked; every other terminal keeps being served, also
// while another process holds HQ's write lock.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "drivers/sqlite/database.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

TEST_CASE("A revoked terminal is refused with terminal_revoked and served again once reinstated",
          "[sync][hq][revoke]") {
  SyncWorld world;
  world.import_members(1, 100);
  Till& a = world.add_till("A", "T1");
  Till& a2 = world.add_till("A", "T2");
  Till& b = world.add_till("B", "T1");
  world.checkout(a, "M1", 10);
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));

  auto known = world.sink->set_terminal_revoked({"A", "T1"}, true, 1'800'000'000'000);
  REQUIRE(known);
  CHECK(*known);
  world.checkout(a, "M1", 5);
  world.checkout(a2, "M1", 7);

  auto refused = world.sync(a);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "terminal_revoked");
  CHECK(refused.error().message.find("A/T1") != std::string::npos);
  CHECK(refused.error().message.find("revoked") != std::string::npos);
  CHECK(world.server->stats().refused_revoked == 1);
  CHECK(*world.sink->applied_count({"A", "T1"}) == 1);  // the new checkout was not taken
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 1);
  auto status = a.client->status();
  REQUIRE(status);
  CHECK(status->last_error.find("terminal_revoked") != std::string::npos);

  // Other terminals, in the same store and elsewhere, are served meanwhile.
  auto others = world.sync_all({&a2, &b});
  for (auto& r : others) REQUIRE(r);
  CHECK(*world.sink->applied_count({"A", "T2"}) == 1);
  CHECK(world.hq_balance("M1") == 117);
  CHECK(world.server->stats().refused_revoked == 1);

  auto list = world.sink->terminals();
  REQUIRE(list);
  REQUIRE(list->size() == 3);
  CHECK((*list)[0].store_id == "A");
  CHECK((*list)[0].terminal_id == "T1");
  CHECK((*list)[0].revoked);
  CHECK((*list)[0].highest_seq == 1);
  CHECK((*list)[0].last_seen_ms > 0);
  CHECK((*list)[0].changed_at_ms == 1'800'000'000'000);
  CHECK_FALSE((*list)[1].revoked);
  CHECK((*list)[1].highest_seq == 1);
  CHECK((*list)[2].store_id == "B");
  CHECK_FALSE((*list)[2].revoked);

  // Reinstated: the next session is served and the held-back checkout goes up.
  REQUIRE(world.sink->set_terminal_revoked({"A", "T1"}, false, 1'800'000'001'000));
  auto served = world.sync(a);
  REQUIRE(served);
  CHECK(served->deltas_acked == 1);
  CHECK(world.hq_balance("M1") == 122);
  CHECK(world.till_balance(a, "M1") == 122);
  CHECK(world.server->stats().refused_revoked == 1);
  list = world.sink->terminals();
  REQUIRE(list);
  CHECK_FALSE((*list)[0].revoked);
  CHECK((*list)[0].highest_seq == 2);
}

TEST_CASE("A terminal HQ has never seen can be revoked before its first session",
          "[sync][hq][revoke]") {
  SyncWorld world;
  auto known = world.sink->set_terminal_revoked({"Z", "T9"}, true, 1);
  REQUIRE(known);
  CHECK_FALSE(*known);
  Till& z = world.add_till("Z", "T9");
  auto refused = world.sync(z);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "terminal_revoked");
  CHECK(*world.sink->highest_applied({"Z", "T9"}) == 0);
}

TEST_CASE(
    "Sessions are admitted and served while a memberhq command holds HQ's write lock, and a "
    "revoked terminal is still refused",
    "[sync][hq][revoke]") {
  SyncWorld world;
  world.import_members(3, 100);
  Till& a = world.add_till("A", "T1");
  Till& r = world.add_till("R", "T1");
  REQUIRE(world.sink->set_terminal_revoked({"R", "T1"}, true, 1'800'000'000'000));

  // Another process (memberhq erase, import, terminal revoke) in the middle of its transaction.
  auto other = pma::sqlite::Database::open(world.dir.file("hq.db"));
  REQUIRE(other);
  REQUIRE((*other)->exec("BEGIN IMMEDIATE"));
  REQUIRE((*other)->exec("UPDATE terminal_access SET changed_at_ms = changed_at_ms"));

  // A terminal HQ has never seen: its first session used to write last_seen before admission.
  auto served = world.sync(a);
  REQUIRE(served);
  CHECK(served->members_applied == 3);
  CHECK(world.till_balance(a, "M2") == 100);
  auto refused = world.sync(r);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "terminal_revoked");
  CHECK(world.server->stats().refused_revoked == 1);
  CHECK(world.server->stats().protocol_errors == 0);  // no terminal_check_failed
  CHECK(world.server->stats().sessions_total == 1);

  // last_seen waits in memory: the flush does not wait for the lock, and HQ's own view has it.
  auto deferred = world.sink->flush_terminal_activity();
  REQUIRE_FALSE(deferred);
  CHECK(deferred.error().code == "sqlite_busy_deferred");
  auto list = world.sink->terminals();
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].store_id == "A");
  CHECK((*list)[0].last_seen_ms > 0);
  CHECK((*list)[1].store_id == "R");
  CHECK((*list)[1].revoked);
  CHECK((*list)[1].last_seen_ms > 0);

  // Once the command commits, the next flush writes both for other processes to see.
  REQUIRE((*other)->exec("COMMIT"));
  REQUIRE(world.sink->flush_terminal_activity());
  auto written = (*other)->prepare(
      "SELECT COUNT(*) FROM terminal_access WHERE last_seen_ms > 0 AND "
      "((store_id = 'A' AND revoked = 0) OR (store_id = 'R' AND revoked = 1))");
  REQUIRE(written);
  REQUIRE(written->step());
  CHECK(written->column_int64(0) == 2);
  REQUIRE(written->run());
  REQUIRE(world.sink->flush_terminal_activity());  // nothing noted since: nothing to do
}
