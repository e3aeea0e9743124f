// Online-first reservations: HQ holds coupons and points burns for one checkout, all or
// nothing; the checkout's Delta consumes the hold; the Reserver gets HQ's answer over real
// mutual TLS within its budget or reports why it could not.
#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "sync/client/reserver.h"
#include "tests/sync/fault_proxy.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using namespace pma::test;  // SyncWorld, Till and the shared helpers

constexpr std::int64_t kNow = pma::test::kReserveNow;
constexpr std::int64_t kHold = pma::test::kReserveHold;

// Member M1 at HQ with 1000 points and an issued welcome coupon W-A-T1-1 (registered at store A).
void seed(SyncWorld& world, Till& a) {
  // The registration's phone is M1's, so HQ gives the welcome coupon to M1.
  pma::test::seed_welcome(world, a,
                          {{"M1", "886000000001", pma::test::chain_hash("13900000001"),
                            "139****0001", "Member 1", "", 1, 1000}},
                          "P-A-T1-1", "W-A-T1-1", "13900000001", "New");
}

// The till's checkout under the POS transaction id the reservation used.
void checkout_as(SyncWorld& world, Till& till, const std::string& txn, const std::string& member,
                 std::int64_t burned, std::vector<std::string> coupons) {
  pma::v1::Delta delta;
  delta.set_txn_id(txn);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->set_points_burned(burned);
  for (auto& code : coupons) c->add_coupon_codes(code);
  world.write_delta(till, delta, member, -burned, "checkout");
}

// Stores A and B with one till each, seeded at A: the setup most cases here start from.
struct SeededStores {
  SeededStores() { seed(world, a); }
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  pma::hq::SqliteSink& sink = *world.sink;
};

}  // namespace

TEST_CASE_METHOD(SeededStores,
                 "HQ holds a coupon for one checkout and refuses it to every other till until then",
                 "[sync][reserve]") {
  auto first = sink.reserve(terminal(a), ask("A-1", "M1", 0, {"W-A-T1-1"}), kNow, kNow + kHold);
  REQUIRE(first);
  CHECK(first->granted());
  CHECK(first->hold_until_ms() == kNow + kHold);
  CHECK(holds(sink, kNow) == 1);

  auto second =
      sink.reserve(terminal(b), ask("B-1", "M1", 0, {"W-A-T1-1"}), kNow + 10, kNow + kHold);
  REQUIRE(second);
  CHECK_FALSE(second->granted());
  REQUIRE(second->refusals_size() == 1);
  CHECK(second->refusals(0).code() == "coupon_reserved_elsewhere");
  CHECK(second->refusals(0).coupon_code() == "W-A-T1-1");
  CHECK(second->refusals(0).message().find("store A") != std::string::npos);

  // Asking again under the same txn id replaces the hold instead of colliding with it.
  auto again =
      sink.reserve(terminal(a), ask("A-1", "M1", 0, {"W-A-T1-1"}), kNow + 20, kNow + kHold);
  REQUIRE(again);
  CHECK(again->granted());
  CHECK(holds(sink, kNow + 20) == 1);

  // The checkout arrives: the hold is consumed and the coupon is redeemed for good.
  checkout_as(world, a, "A-1", "M1", 0, {"W-A-T1-1"});
  REQUIRE(world.sync(a));
  CHECK(holds(sink, kNow + 30) == 0);
  auto later =
      sink.reserve(terminal(b), ask("B-2", "M1", 0, {"W-A-T1-1"}), kNow + 40, kNow + kHold);
  REQUIRE(later);
  CHECK_FALSE(later->granted());
  CHECK(later->refusals(0).code() == "coupon_redeemed_elsewhere");
  auto conflicts = sink.conflicts();
  REQUIRE(conflicts);
  CHECK(conflicts->empty());
}

TEST_CASE_METHOD(SeededStores, "Points holds count against the chain-wide balance, all or nothing",
                 "[sync][reserve]") {
  auto big = sink.reserve(terminal(a), ask("A-1", "M1", 800), kNow, kNow + kHold);
  REQUIRE(big);
  CHECK(big->granted());
  CHECK(big->points_available() == 1000);

  // 1000 - 800 held = 200 left; the coupon part is fine but nothing is held (all or nothing).
  auto over = sink.reserve(terminal(b), ask("B-1", "M1", 300, {"W-A-T1-1"}), kNow, kNow + kHold);
  REQUIRE(over);
  CHECK_FALSE(over->granted());
  REQUIRE(over->refusals_size() == 1);
  CHECK(over->refusals(0).code() == "points_insufficient_at_hq");
  CHECK(over->points_available() == 200);
  CHECK(holds(sink, kNow) == 1);

  // Points the till earned that HQ has not seen yet count toward what it may burn.
  auto with_local = sink.reserve(terminal(b), ask("B-2", "M1", 300, {}, 150), kNow, kNow + kHold);
  REQUIRE(with_local);
  CHECK(with_local->granted());
  REQUIRE(sink.release(terminal(b), "B-2", with_local->hold_id()));

  // A released hold and an expired hold both free their points.
  REQUIRE(sink.release(terminal(a), "A-1", 0));
  auto freed = sink.reserve(terminal(b), ask("B-3", "M1", 900), kNow, kNow + 1000);
  REQUIRE(freed);
  CHECK(freed->granted());
  auto after_expiry = sink.reserve(terminal(a), ask("A-2", "M1", 900), kNow + 2000, kNow + kHold);
  REQUIRE(after_expiry);
  CHECK(after_expiry->granted());

  // A member or coupon HQ has not heard of yet exists only at that till: granted, not held.
  auto unknown = sink.reserve(terminal(b), ask("B-4", "P-B-9", 50, {"W-B-T1-9"}), kNow, kNow + 1);
  REQUIRE(unknown);
  CHECK(unknown->granted());

  // Bad requests are errors, not refusals.
  auto bad = sink.reserve(terminal(b), ask("", "M1", 5), kNow, kNow + 1);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "reserve_invalid");
  auto negative = sink.reserve(terminal(b), ask("B-5", "M1", -5), kNow, kNow + 1);
  REQUIRE_FALSE(negative);
  CHECK(negative.error().code == "reserve_invalid");
}

TEST_CASE_METHOD(SeededStores,
                 "The Reserver gets HQ's answer over mutual TLS and reuses its connection",
                 "[sync][reserve]") {
  pma::sync::Reserver ra(world.io, world.client_config(a), {.budget = std::chrono::seconds(5)});
  pma::sync::Reserver rb(world.io, world.client_config(b), {.budget = std::chrono::seconds(5)});
  REQUIRE(ra.start());
  REQUIRE(rb.start());

  auto granted = answer_of(run(world.io, ra.reserve(ask("A-1", "M1", 100, {"W-A-T1-1"}))));
  REQUIRE(granted);
  CHECK(granted->granted());
  auto refused = answer_of(run(world.io, rb.reserve(ask("B-1", "M1", 0, {"W-A-T1-1"}))));
  REQUIRE(refused);
  CHECK_FALSE(refused->granted());
  CHECK(refused->refusals(0).code() == "coupon_reserved_elsewhere");

  // The second reservation from A rides the same connection.
  auto second = answer_of(run(world.io, ra.reserve(ask("A-2", "M1", 100))));
  REQUIRE(second);
  CHECK(second->granted());
  CHECK(ra.stats().connections == 1);
  CHECK_FALSE(ra.paused());
  CHECK(ra.stats().granted == 2);
  CHECK(world.server->stats().reservations_granted == 2);
  CHECK(world.server->stats().reservations_refused == 1);

  // A release frees the coupon for B.
  ra.release("A-1", granted->hold_id());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (holds(*world.sink, 0) != 1 && std::chrono::steady_clock::now() < deadline) {
    world.io.restart();
    world.io.run_for(std::chrono::milliseconds(20));
  }
  CHECK(holds(*world.sink, 0) == 1);  // A-2's points
  auto now_free = answer_of(run(world.io, rb.reserve(ask("B-2", "M1", 0, {"W-A-T1-1"}))));
  REQUIRE(now_free);
  CHECK(now_free->granted());
  ra.stop();
  rb.stop();
}

TEST_CASE("A Reserver facing a silent or absent HQ gives up within its budget and pauses",
          "[sync][reserve]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  namespace asio = boost::asio;
  using tcp = asio::ip::tcp;
  // A real listener that accepts and never speaks (HQ hung, or a black-holing firewall).
  tcp::acceptor silent_hq(world.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::vector<std::shared_ptr<tcp::socket>> held;
  std::function<void()> accept = [&] {
    auto socket = std::make_shared<tcp::socket>(world.io);
    silent_hq.async_accept(*socket, [&, socket](boost::system::error_code ec) {
      if (ec) return;
      held.push_back(socket);
      accept();
    });
  };
  accept();

  pma::sync::Reserver silent(
      world.io, world.client_config(a, silent_hq.local_endpoint().port()),
      {.budget = std::chrono::milliseconds(300), .retry_pause = std::chrono::seconds(60)});
  REQUIRE(silent.start());
  auto timed_out = answer_of(run(world.io, silent.reserve(ask("A-1", "M1", 10))));
  REQUIRE_FALSE(timed_out);
  CHECK(timed_out.error().cause.code == "hq_timeout");
  CHECK(timed_out.error().cause.message.find("300 ms") != std::string::npos);
  // The TLS handshake never finished: no request left the till, so nothing can be held.
  CHECK_FALSE(timed_out.error().may_hold);
  // Within the pause the next checkout does not wait on HQ at all.
  auto skipped = answer_of(run(world.io, silent.reserve(ask("A-2", "M1", 10))));
  REQUIRE_FALSE(skipped);
  CHECK(skipped.error().cause.code == "hq_skipped");
  CHECK_FALSE(skipped.error().may_hold);
  CHECK(silent.stats().unanswered == 1);
  CHECK(silent.stats().skipped == 1);
  CHECK(silent.paused());

  // Nothing listens on this port: refused at once.
  tcp::acceptor closed(world.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto free_port = closed.local_endpoint().port();
  closed.close();
  pma::sync::Reserver absent(world.io, world.client_config(a, free_port));
  REQUIRE(absent.start());
  auto refused = answer_of(run(world.io, absent.reserve(ask("A-3", "M1", 10))));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().cause.code == "connect");
  CHECK_FALSE(refused.error().may_hold);
  silent.stop();
  absent.stop();
}

TEST_CASE("A welcome coupon issued at a till reaches other stores with its terms",
          "[sync][reserve]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  pma::v1::Delta delta;
  auto* r = delta.mutable_member_registered();
  r->set_provisional_id("P-A-T1-1");
  r->add_welcome_coupons("W-A-T1-9");
  auto* terms = r->add_welcome_coupon_terms();
  terms->set_code("W-A-T1-9");
  terms->set_template_id("welcome");
  terms->set_title("Welcome: 10 yuan off");
  terms->set_valid_from(1'790'000'000);
  terms->set_valid_until(1'792'592'000);
  world.write_delta(a, delta, "P-A-T1-1", 0, "member_registered");
  REQUIRE(world.sync(a));
  auto page = world.sink->member_page(terminal(b), 0, 100, 0, kNow);
  REQUIRE(page);
  REQUIRE(page->members_size() == 1);
  REQUIRE(page->members(0).coupons_size() == 1);
  const auto& c = page->members(0).coupons(0);
  CHECK(c.code() == "W-A-T1-9");
  CHECK(c.template_id() == "welcome");
  CHECK(c.title() == "Welcome: 10 yuan off");
  CHECK(c.valid_from() == 1'790'000'000);
  CHECK(c.valid_until() == 1'792'592'000);
  CHECK(c.state() == pma::v1::COUPON_ISSUED);
}

TEST_CASE("Reservations through a faulty link end in an answer or an error, never a wrong grant",
          "[sync][reserve][faults]") {
  SyncWorld world;
  world.import_members(3, 1'000'000);
  pma::test::FaultProxy proxy(world.io, world.port, 42);
  Till& a = world.add_till("A", "T1");
  int granted = 0, failed = 0;
  std::vector<std::string> asked;
  std::vector<std::uint64_t> grants;
  std::optional<pma::sync::Reserver> reserver;
  for (int i = 0; i < 90; ++i) {
    std::string txn = fmt::format("A-{}", i);
    asked.push_back(txn);
    // The proxy injects one fault per connection: a new Reserver (connection) every third
    // reservation, the others ride the connection it keeps (where a duplicated reply would be
    // read as the next reservation's answer if the Reserver did not check it).
    if (i % 3 == 0) {
      if (reserver) reserver->stop();
      reserver.emplace(world.io, world.client_config(a, proxy.port()),
                       pma::sync::ReserverConfig{.budget = std::chrono::milliseconds(1500),
                                                 .idle_close = std::chrono::seconds(60),
                                                 .retry_pause = std::chrono::milliseconds(0)});
      REQUIRE(reserver->start());
    }
    auto reply =
        answer_of(run(world.io, reserver->reserve(ask(txn, fmt::format("M{}", 1 + i % 3), 10))));
    if (reply) {
      REQUIRE(reply->granted());
      grants.push_back(reply->hold_id());
      ++granted;
    } else {
      ++failed;
    }
  }
  reserver->stop();
  // Hold ids are distinct: no reply was taken for another reservation's.
  std::sort(grants.begin(), grants.end());
  CHECK(std::adjacent_find(grants.begin(), grants.end()) == grants.end());
  INFO("granted " << granted << ", failed " << failed << ", connections " << proxy.connections());
  CHECK(granted > 0);
  CHECK(failed > 0);
  // Every grant the till saw is a hold at HQ; HQ may hold more (it answered, the answer was
  // lost): those lapse, or the checkout consumes them, or the till releases them.
  CHECK(holds(*world.sink, 0) >= static_cast<std::uint64_t>(granted));
  for (const auto& txn : asked) REQUIRE(world.sink->release(terminal(a), txn, 0));
  CHECK(holds(*world.sink, 0) == 0);
}

TEST_CASE("A till's own committed burns count once at HQ, before and after HQ applies them",
          "[sync][reserve]") {
  SyncWorld world;
  world.import_members(1, 1000);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  auto& sink = *world.sink;
  auto with_entries = [](pma::v1::ReserveRequest r,
                         std::vector<std::tuple<std::uint64_t, std::string, std::int64_t>> es) {
    for (auto& [seq, txn, points] : es) {
      auto* e = r.add_unreflected();
      e->set_seq(seq);
      e->set_txn_id(txn);
      e->set_points(points);
    }
    return r;
  };
  // A burns 600 (held, then committed locally: an unreflected entry), then asks to burn 300.
  auto first = sink.reserve(terminal(a), ask("A-1", "M1", 600), kNow, kNow + kHold);
  REQUIRE(first);
  REQUIRE(first->granted());
  checkout_as(world, a, "A-1", "M1", 600, {});
  auto seq1 = static_cast<std::uint64_t>(world.count(a, "SELECT MAX(seq) FROM outbox"));
  auto second = sink.reserve(
      terminal(a), with_entries(ask("A-2", "M1", 300), {{seq1, "A-1", -600}}), kNow, kNow + kHold);
  REQUIRE(second);
  CHECK(second->granted());  // 1000 - 600 = 400 left, not 1000 - 600 - 600
  CHECK(second->points_available() == 400);
  // Another store sees both holds.
  auto other = sink.reserve(terminal(b), ask("B-1", "M1", 200), kNow, kNow + kHold);
  REQUIRE(other);
  CHECK_FALSE(other->granted());
  CHECK(other->points_available() == 100);
  // HQ applies A-1; the till has not pulled the page yet, so it still lists the entry: HQ must
  // not count it again (its seq is at or below what HQ applied).
  REQUIRE(world.sync(a));
  REQUIRE(sink.release(terminal(a), "A-2", second->hold_id()));
  auto third = sink.reserve(terminal(a), with_entries(ask("A-3", "M1", 400), {{seq1, "A-1", -600}}),
                            kNow, kNow + kHold);
  REQUIRE(third);
  CHECK(third->granted());
  CHECK(third->points_available() == 400);
}

TEST_CASE_METHOD(SeededStores,
                 "A late release cannot drop a newer hold, and a late reservation holds nothing",
                 "[sync][reserve]") {
  auto old_hold = sink.reserve(terminal(a), ask("A-1", "M1", 0, {"W-A-T1-1"}), kNow, kNow + kHold);
  REQUIRE(old_hold);
  REQUIRE(old_hold->granted());
  // The commit failed; the POS retried under the same txn id before the release arrived.
  auto new_hold =
      sink.reserve(terminal(a), ask("A-1", "M1", 0, {"W-A-T1-1"}), kNow + 5, kNow + kHold);
  REQUIRE(new_hold);
  REQUIRE(new_hold->granted());
  CHECK(new_hold->hold_id() != old_hold->hold_id());
  REQUIRE(sink.release(terminal(a), "A-1", old_hold->hold_id()));
  auto still =
      sink.reserve(terminal(b), ask("B-1", "M1", 0, {"W-A-T1-1"}), kNow + 10, kNow + kHold);
  REQUIRE(still);
  CHECK_FALSE(still->granted());
  CHECK(still->refusals(0).code() == "coupon_reserved_elsewhere");
  REQUIRE(sink.release(terminal(a), "A-1", new_hold->hold_id()));
  CHECK(holds(sink, kNow) == 0);

  // A reservation HQ reads only after the checkout's delta was applied holds nothing.
  checkout_as(world, a, "A-9", "M1", 100, {});
  REQUIRE(world.sync(a));
  auto late = sink.reserve(terminal(a), ask("A-9", "M1", 100), kNow + 20, kNow + kHold);
  REQUIRE(late);
  CHECK(late->granted());
  CHECK(holds(sink, kNow + 20) == 0);
}
