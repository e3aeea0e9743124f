// The real Server with its four interfaces served by four separate objects (the SQLite ones,
// constructed one by one over one SqliteCore), through real till sessions and reservations over
// mutual TLS: what a second storage built piece by piece would be wired as.
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>

#include "sync/client/reserver.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_administration.h"
#include "sync/hq/sqlite_batch_ingest.h"
#include "sync/hq/sqlite_core.h"
#include "sync/hq/sqlite_member_pages.h"
#include "sync/hq/sqlite_reservations.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::answer_of;
using pma::test::run;
using pma::test::SyncWorld;
using pma::test::Till;

std::uint64_t holds(pma::hq::Reservations& reservations) {
  auto n = reservations.active_holds(0);
  REQUIRE(n);
  return *n;
}

}  // namespace

TEST_CASE("The server serves tills with its four interfaces held by separate objects",
          "[sync][hq][sinks]") {
  SyncWorld world;  // its own HQ stays idle: every till here talks to the split one
  auto core = pma::hq::SqliteCore::open(world.dir.file("split.db"), "NORMAL");
  REQUIRE(core);
  pma::hq::SqliteBatchIngest ingest(**core);
  pma::hq::SqliteMemberPages pages(**core);
  pma::hq::SqliteReservations reservations(**core);
  pma::hq::SqliteAdministration admin(**core);

  pma::hq::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.tls = {world.ca_dir + "/ca.crt", world.ca_dir + "/server.crt",
                world.ca_dir + "/server.key"};
  pma::hq::Server server(world.io, pma::hq::ServerSinks{ingest, pages, reservations, admin}, config,
                         world.hq_clock);
  auto port = server.start();
  REQUIRE(port);

  std::vector<pma::hq::ImportedMember> m1{{"M1", "886000000001", {}, "", "Member 1", "", 1, 1000}};
  REQUIRE(admin.import_members(m1));
  Till& a = world.add_till("A", "T1", *port);
  Till& b = world.add_till("B", "T1", *port);

  // Batches in (ingest), a registration mapped, pages out to another store (pages).
  world.checkout(a, "M1", 10, 4);
  world.register_member(a, "P-A-T1-1", "13900000009");
  auto served = world.sync(a);
  REQUIRE(served);
  CHECK(served->deltas_acked == 2);
  CHECK(*admin.applied_count({"A", "T1"}) == 2);
  auto m = admin.member("M1");
  REQUIRE(m);
  REQUIRE(*m);
  CHECK((*m)->points == 1006);
  CHECK(*world.sink->applied_count({"A", "T1"}) == 0);  // the world's own HQ saw nothing
  const std::string provisional[] = {"P-A-T1-1"};
  auto mapped = ingest.id_mappings({"A", "T1"}, provisional);
  REQUIRE(mapped);
  REQUIRE(mapped->size() == 1);
  CHECK((*mapped)[0].member_id().starts_with("H"));
  REQUIRE(world.sync(b));
  CHECK(world.till_balance(b, "M1") == 1006);

  // Reservations: a points hold granted by one object, visible to ingest's core, released.
  pma::sync::Reserver reserver(world.io, world.client_config(b, *port),
                               {.budget = std::chrono::seconds(5)});
  REQUIRE(reserver.start());
  pma::v1::ReserveRequest ask;
  ask.set_txn_id("B-1");
  ask.set_member_id("M1");
  ask.set_points(1000);
  auto granted = answer_of(run(world.io, reserver.reserve(ask)));
  REQUIRE(granted);
  CHECK(granted->granted());
  CHECK(holds(reservations) == 1);
  ask.set_txn_id("B-2");
  ask.set_points(10);
  auto refused = answer_of(run(world.io, reserver.reserve(ask)));
  REQUIRE(refused);
  REQUIRE(refused->refusals_size() == 1);
  CHECK(refused->refusals(0).code() == "points_insufficient_at_hq");
  reserver.release("B-1", granted->hold_id());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holds(reservations) != 0 && std::chrono::steady_clock::now() < deadline) {
    world.io.restart();
    world.io.run_for(std::chrono::milliseconds(20));
  }
  CHECK(holds(reservations) == 0);
  reserver.stop();

  // Administration: a revocation the server's admission check reads from it.
  REQUIRE(admin.set_terminal_revoked({"B", "T1"}, true, 1'800'000'000'000));
  auto revoked = world.sync(b);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().code == "terminal_revoked");
  CHECK(server.stats().refused_revoked == 1);

  server.stop();
  world.io.restart();
  world.io.run_for(std::chrono::milliseconds(200));
}
