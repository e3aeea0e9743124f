// OnlineFirstCheckout over the real Reserver and the real memberhq: each typed outcome of a
// reservation (granted, refused, unanswered) decides the till's commit, and a hold whose commit
// fails is released. The till's CheckoutService writes to its real SQLite file.
#include "agent/checkout/online_first_checkout.h"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "sync/client/reserver.h"
#include "tests/support/basket.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::checkout::Connectivity;
using pma::test::run;
using pma::test::SyncWorld;
using pma::test::Till;
namespace v1 = pma::v1;

// 2026-05-28 02:00 UTC, 10:00 in Shanghai: not a member day.
constexpr std::int64_t kT0 = 1'779'933'600'000;

// A till's checkout stack: the service on the till's database, the Reserver to HQ (or to
// `port`), and the online-first commit over both.
struct Checkout {
  Checkout(SyncWorld& world, Till& till, std::uint16_t port = 0)
      : service(*till.db, hasher, {.store_id = till.store_id, .terminal_id = till.terminal_id},
                store_clock),
        reserver(world.io, world.client_config(till, port),
                 {.budget = std::chrono::seconds(5), .retry_pause = std::chrono::milliseconds(0)}),
        commits(service, &reserver, spdlog::default_logger()) {
    REQUIRE(reserver.start());
  }
  ~Checkout() { reserver.stop(); }

  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock{kT0};
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService service;
  pma::sync::Reserver reserver;
  pma::checkout::OnlineFirstCheckout commits;
};

// A 2,000-yuan basket (not discountable) for M1 burning `points`.
v1::CommitRequest burn(const std::string& txn, std::int64_t points) {
  v1::CommitRequest r;
  r.set_txn_id(txn);
  r.set_member_id("M1");
  *r.add_lines() = pma::test::basket_line("piano", 1, 200'000, false, "music");
  r.set_points_to_burn(points);
  return r;
}

// HQ's holds in force now.
std::uint64_t holds(SyncWorld& world) { return pma::test::holds(*world.sink, 0); }

// Member M1 with 10,000 points at HQ, and store A's till synced so it knows M1.
struct SyncedTillA {
  SyncedTillA() {
    world.import_members(1, 10'000);
    REQUIRE(world.sync(a));
  }
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
};

}  // namespace

TEST_CASE_METHOD(SyncedTillA,
                 "A burn HQ holds commits under the online rules and is recorded as reserved",
                 "[sync][reserve][checkout]") {
  Checkout till(world, a);

  // 3,000 points are beyond the offline daily limit (2,000): only a hold makes them possible,
  // whatever the sync link thought of HQ a moment ago.
  auto reply = run(world.io, till.commits.commit(burn("A-1", 3000), Connectivity::offline));
  INFO((reply ? "" : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->message.hq_check() == "reserved");
  CHECK(reply->message.quote().points_burned() == 3000);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE txn_id = 'A-1' AND offline = 0") == 2);
  CHECK(till.reserver.stats().granted == 1);
  CHECK(holds(world) == 1);
  // The checkout's delta consumes the hold at HQ.
  REQUIRE(world.sync(a));
  CHECK(holds(world) == 0);
}

TEST_CASE_METHOD(SyncedTillA,
                 "A burn HQ refuses is the commit's refusal, with HQ's reason, and writes nothing",
                 "[sync][reserve][checkout]") {
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(b));
  Checkout at_a(world, a);
  Checkout at_b(world, b);
  REQUIRE(run(world.io, at_a.commits.commit(burn("A-1", 3000), Connectivity::online)));

  // B's cache still shows 10,000 points, but HQ holds 3,000 of them for A: 8,000 is too many.
  auto refused = run(world.io, at_b.commits.commit(burn("B-1", 8000), Connectivity::online));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "points_insufficient_at_hq");
  CHECK_THAT(refused.error().message, Catch::StartsWith("HQ refused: "));
  CHECK(at_b.reserver.stats().refused == 1);
  CHECK(world.count(b, "SELECT COUNT(*) FROM outbox") == 0);
  CHECK(world.count(b, "SELECT COUNT(*) FROM ledger") == 0);
  CHECK(holds(world) == 1);  // A's, untouched
}

TEST_CASE_METHOD(SyncedTillA,
                 "A burn HQ leaves unanswered commits under the offline rules and limits",
                 "[sync][reserve][checkout]") {
  // Nothing listens on this port: every reservation is unanswered ("connect").
  boost::asio::ip::tcp::acceptor closed(world.io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto free_port = closed.local_endpoint().port();
  closed.close();
  Checkout till(world, a, free_port);

  // The sync link said HQ was reachable, but the reservation found otherwise: offline limits.
  auto over = run(world.io, till.commits.commit(burn("A-1", 3000), Connectivity::online));
  REQUIRE_FALSE(over);
  CHECK(over.error().code == "points_offline_limit");
  auto within = run(world.io, till.commits.commit(burn("A-2", 2000), Connectivity::online));
  REQUIRE(within);
  CHECK(within->message.hq_check() == "offline");
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE txn_id = 'A-2' AND offline = 1") == 2);
  CHECK(till.reserver.stats().unanswered == 2);
  CHECK(holds(world) == 0);
}

TEST_CASE_METHOD(
    SyncedTillA,
    "A hold whose local commit fails is released at HQ, and a plain sale asks HQ nothing",
    "[sync][reserve][checkout]") {
  Checkout till(world, a);

  // HQ grants the hold; the commit then fails on the POS's stale expected payable.
  auto stale = burn("A-1", 1000);
  stale.set_expected_payable_fen(1);
  auto failed = run(world.io, till.commits.commit(stale, Connectivity::online));
  REQUIRE_FALSE(failed);
  CHECK(failed.error().code == "quote_changed");
  CHECK(till.reserver.stats().granted == 1);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holds(world) != 0 && std::chrono::steady_clock::now() < deadline) {
    world.io.restart();
    world.io.run_for(std::chrono::milliseconds(20));
  }
  CHECK(holds(world) == 0);

  auto plain = run(world.io, till.commits.commit(burn("A-2", 0), Connectivity::online));
  REQUIRE(plain);
  CHECK(plain->message.hq_check() == "not_needed");
  CHECK(world.server->stats().reservations_granted == 1);
  CHECK(till.reserver.stats().connections == 1);
}
