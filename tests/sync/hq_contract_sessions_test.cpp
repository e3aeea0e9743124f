// HQ's contract through real till sessions (mutual TLS on loopback, the real Server, real till
// databases), the same scenario against both sinks (GENERATE over "sqlite" and "postgresql"):
// batches in, a registration mapped, member pages to another store, an online-first hold and
// its release, and a revoked terminal refused.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <memory>

#include "sync/client/reserver.h"
#include "sync/hq/pg_sink.h"
#include "sync/hq/server.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/pg_cluster.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::answer_of;
using pma::test::run;
using pma::test::SyncWorld;
using pma::test::Till;

std::unique_ptr<pma::hq::Sink> open_sink(const std::string& kind, const pma::test::TempDir& dir) {
  if (kind == "sqlite") {
    auto sink = pma::hq::SqliteSink::open(dir.file("contract.db"), "NORMAL");
    REQUIRE(sink);
    return std::move(*sink);
  }
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return nullptr;
  }
  static std::atomic<int> n{0};
  auto sink = pma::hq::PgSink::open(
      pma::test::PgCluster::shared().create_database("sessions_" + std::to_string(++n)));
  if (!sink) FAIL(sink.error().code << ": " << sink.error().message);
  return std::move(*sink);
}

std::uint64_t holds(pma::hq::Sink& sink) {
  auto n = sink.active_holds(0);
  REQUIRE(n);
  return *n;
}

}  // namespace

TEST_CASE("Tills sync, reserve and are revoked through real sessions on either sink",
          "[hq][contract][sessions]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir sink_dir;
  auto sink = open_sink(kind, sink_dir);
  if (!sink) return;
  SyncWorld world({}, sink.get());  // the world's own SQLite HQ stays idle

  std::vector<pma::hq::ImportedMember> m1{{"M1", "886000000001", {}, "", "Member 1", "", 1, 1000}};
  REQUIRE(sink->import_members(m1));
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");

  world.checkout(a, "M1", 10, 4);
  world.register_member(a, "P-A-T1-1", "13900000009");
  auto served = world.sync(a);
  REQUIRE(served);
  CHECK(served->deltas_acked == 2);
  CHECK(*sink->applied_count({"A", "T1"}) == 2);
  auto m = sink->member("M1");
  REQUIRE(m);
  REQUIRE(*m);
  CHECK((*m)->points == 1006);
  const std::string provisional[] = {"P-A-T1-1"};
  auto mapped = sink->id_mappings({"A", "T1"}, provisional);
  REQUIRE(mapped);
  REQUIRE(mapped->size() == 1);
  CHECK((*mapped)[0].member_id().starts_with("H"));
  // The same outbox again (a lost ack): nothing applies twice.
  auto again = world.sync(a);
  REQUIRE(again);
  CHECK(*sink->applied_count({"A", "T1"}) == 2);
  REQUIRE(world.sync(b));
  CHECK(world.till_balance(b, "M1") == 1006);

  pma::sync::Reserver reserver(world.io, world.client_config(b),
                               {.budget = std::chrono::seconds(5)});
  REQUIRE(reserver.start());
  pma::v1::ReserveRequest ask;
  ask.set_txn_id("B-1");
  ask.set_member_id("M1");
  ask.set_points(1000);
  auto granted = answer_of(run(world.io, reserver.reserve(ask)));
  REQUIRE(granted);
  CHECK(granted->granted());
  CHECK(holds(*sink) == 1);
  ask.set_txn_id("B-2");
  ask.set_points(10);
  auto refused = answer_of(run(world.io, reserver.reserve(ask)));
  REQUIRE(refused);
  REQUIRE(refused->refusals_size() == 1);
  CHECK(refused->refusals(0).code() == "points_insufficient_at_hq");
  reserver.release("B-1", granted->hold_id());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holds(*sink) != 0 && std::chrono::steady_clock::now() < deadline) {
    world.io.restart();
    world.io.run_for(std::chrono::milliseconds(20));
  }
  CHECK(holds(*sink) == 0);
  reserver.stop();

  REQUIRE(sink->set_terminal_revoked({"B", "T1"}, true, 1'800'000'000'000));
  auto revoked = world.sync(b);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().code == "terminal_revoked");
  CHECK(world.server->stats().refused_revoked == 1);
}
