// How a till sees an HQ that refuses it: a revoked terminal finds HQ not reachable, with the
// refusal as the reason, and its online-first reservations stop asking HQ; a busy HQ stays
// reachable (only "later"). Real memberhq server in-process, real mutual TLS on loopback.
#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "sync/client/reserver.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::answer_of;
using pma::test::run;
using pma::test::SyncWorld;
using pma::test::Till;

// A reservation of `points` for M1, the member these cases import.
pma::v1::ReserveRequest ask(const std::string& txn, std::int64_t points) {
  return pma::test::ask(txn, "M1", points);
}

}  // namespace

TEST_CASE(
    "A revoked terminal sees HQ unreachable with the refusal as the reason and reserves "
    "nothing until reinstated",
    "[sync][hq][revoke][reserve]") {
  SyncWorld world;
  world.import_members(1, 500);
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  REQUIRE(a.client->reachable());
  pma::sync::Reserver linked(world.io, world.client_config(a), {.budget = std::chrono::seconds(5)},
                             a.client.get());
  pma::sync::Reserver unlinked(world.io, world.client_config(a),
                               {.budget = std::chrono::seconds(5)});
  REQUIRE(linked.start());
  REQUIRE(unlinked.start());

  REQUIRE(world.sink->set_terminal_revoked({"A", "T1"}, true, 1'800'000'000'000));
  auto refused = world.sync(a);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "terminal_revoked");
  auto status = a.client->status();
  REQUIRE(status);
  CHECK_FALSE(status->reachable);
  CHECK_FALSE(a.client->reachable());
  CHECK(status->refusal.find("terminal_revoked") == 0);
  CHECK(status->refusal.find("A/T1") != std::string::npos);
  CHECK(status->last_error.find("terminal_revoked") == 0);
  CHECK(a.client->hq_refusal() == status->refusal);

  // The linked Reserver does not even connect: the checkout goes straight to offline rules.
  auto skipped = answer_of(run(world.io, linked.reserve(ask("A-1", 100))));
  REQUIRE_FALSE(skipped);
  CHECK(skipped.error().cause.code == "hq_skipped");
  CHECK(skipped.error().cause.message.find("terminal_revoked") != std::string::npos);
  CHECK(linked.stats().connections == 0);
  CHECK(linked.stats().skipped == 1);
  // One that does ask gets HQ's own refusal code back, not a garbled-frame error.
  auto asked = answer_of(run(world.io, unlinked.reserve(ask("A-2", 100))));
  REQUIRE_FALSE(asked);
  CHECK(asked.error().cause.code == "terminal_revoked");
  CHECK(asked.error().may_hold);  // its request was written before HQ's refusal came back
  CHECK(unlinked.stats().connections == 1);
  CHECK(world.server->stats().refused_revoked == 2);
  auto none = world.sink->active_holds(0);
  REQUIRE(none);
  CHECK(*none == 0);

  // Reinstated: the next sync reaches HQ again and so do reservations.
  REQUIRE(world.sink->set_terminal_revoked({"A", "T1"}, false, 1'800'000'001'000));
  REQUIRE(world.sync(a));
  status = a.client->status();
  REQUIRE(status);
  CHECK(status->reachable);
  CHECK(status->refusal.empty());
  CHECK(status->last_error.empty());
  auto granted = answer_of(run(world.io, linked.reserve(ask("A-3", 100))));
  REQUIRE(granted);
  CHECK(granted->granted());
  CHECK(linked.stats().connections == 1);
  linked.stop();
  unlinked.stop();
}

TEST_CASE("A busy HQ stays reachable at the till: Busy is a retry hint, not a refusal",
          "[sync][hq][busy]") {
  pma::hq::ServerConfig config;
  config.max_sessions = 1;
  config.retry_after_ms = 1234;
  SyncWorld world(config);
  world.import_members(1, 500);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(a));

  // B's Reserver keeps its connection (a session) open: the one slot is taken.
  pma::sync::Reserver holder(
      world.io, world.client_config(b),
      {.budget = std::chrono::seconds(5), .idle_close = std::chrono::seconds(120)});
  REQUIRE(holder.start());
  auto granted = answer_of(run(world.io, holder.reserve(ask("B-1", 10))));
  REQUIRE(granted);
  REQUIRE(granted->granted());
  REQUIRE(world.server->stats().sessions_active == 1);

  auto busy = world.sync(a);
  REQUIRE_FALSE(busy);
  CHECK(busy.error().code == "hq_busy");
  CHECK(busy.error().message.find("1234") != std::string::npos);
  CHECK(world.server->stats().refused_busy == 1);
  auto status = a.client->status();
  REQUIRE(status);
  CHECK(status->reachable);
  CHECK(status->refusal.empty());
  CHECK(status->last_error.find("hq_busy") == 0);
  CHECK(status->consecutive_failures == 0);

  // A reservation HQ turns away as busy was never read: unanswered, and nothing can be held.
  pma::sync::Reserver turned_away(world.io, world.client_config(a),
                                  {.budget = std::chrono::seconds(5)});
  REQUIRE(turned_away.start());
  auto busy_reserve = answer_of(run(world.io, turned_away.reserve(ask("A-9", 10))));
  REQUIRE_FALSE(busy_reserve);
  CHECK(busy_reserve.error().cause.code == "hq_busy");
  CHECK_FALSE(busy_reserve.error().may_hold);
  turned_away.stop();
  holder.stop();
}
