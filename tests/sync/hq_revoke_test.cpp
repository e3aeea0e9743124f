// memberhq terminal revoke / reinstate over real mutual TLS: a revoked terminal is refused
// right after the handshake with terminal_revoked; every other terminal keeps being served.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "sync_world.h"

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
