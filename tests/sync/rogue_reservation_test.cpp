// Issue 11 item 8 for online-first reservations: a valid certificate of store S1 (the rogue)
// must not use holds to act for another store's customers. HQ refuses to hold a coupon it holds
// for another member, another terminal's welcome code it has not heard of, more points than one
// transaction may burn, and more holds than one terminal may have in force at once, so one
// certificate cannot keep the chain's coupons and points from their owners. Real memberhq on
// loopback with mutual TLS (the Reserver) and its real SQLite sink.
#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "sync/client/reserver.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

using namespace pma::test;  // SyncWorld, Till and the shared helpers

namespace {

constexpr std::int64_t kNow = pma::test::kReserveNow;
constexpr std::int64_t kHold = pma::test::kReserveHold;

// Members M1 (the victim, with `points`) and M2 (the rogue's accomplice) at HQ; S2 registers a
// customer with M1's phone and the welcome coupon W-S2-T1-1, so HQ holds that coupon for M1.
void seed(SyncWorld& world, Till& s2, std::int64_t points = 1000) {
  pma::test::seed_welcome(world, s2,
                          {{"M1", "886000000001", pma::test::chain_hash("13900000001"),
                            "139****0001", "Victim", "", 1, points},
                           {"M2", "886000000002", {}, "", "Accomplice", "", 1, 0}},
                          "P-S2-T1-1", "W-S2-T1-1", "13900000001");
}

// The kinds of the conflicts recorded for the terminal, in order.
std::vector<std::string> conflicts_of(SyncWorld& world, const Till& till) {
  auto all = world.sink->conflicts();
  REQUIRE(all);
  std::vector<std::string> kinds;
  for (const auto& c : *all) {
    if (c.store_id == till.store_id && c.terminal_id == till.terminal_id) kinds.push_back(c.kind);
  }
  return kinds;
}

// The rogue (S1/T9) and the owner's store S2, seeded with M1 holding `kPoints`.
template <std::int64_t kPoints = 1000>
struct RogueAndOwner {
  RogueAndOwner() { seed(world, s2, kPoints); }
  SyncWorld world;
  Till& s2 = world.add_till("S2", "T1");
  Till& rogue = world.add_till("S1", "T9");
  pma::hq::SqliteSink& sink = *world.sink;
};

}  // namespace

TEST_CASE_METHOD(
    RogueAndOwner<>,
    "A rogue terminal cannot hold another member's coupon, and its owner's checkout is held",
    "[sync][reserve][rogue]") {
  pma::sync::Reserver by_rogue(world.io, world.client_config(rogue),
                               {.budget = std::chrono::seconds(5)});
  pma::sync::Reserver by_s2(world.io, world.client_config(s2), {.budget = std::chrono::seconds(5)});
  REQUIRE(by_rogue.start());
  REQUIRE(by_s2.start());

  // For the accomplice, and for a checkout without a member: refused, nothing held.
  for (const auto& [txn, member] : {std::pair{"R-1", "M2"}, std::pair{"R-2", ""}}) {
    INFO(txn);
    auto refused = answer_of(run(world.io, by_rogue.reserve(ask(txn, member, 0, {"W-S2-T1-1"}))));
    REQUIRE(refused);
    CHECK_FALSE(refused->granted());
    REQUIRE(refused->refusals_size() == 1);
    CHECK(refused->refusals(0).code() == "coupon_not_owner");
    CHECK(refused->refusals(0).coupon_code() == "W-S2-T1-1");
    CHECK_THAT(refused->refusals(0).message(), Catch::Contains("belongs to another member"));
  }
  CHECK(holds(*world.sink, 0) == 0);
  CHECK(conflicts_of(world, rogue) ==
        std::vector<std::string>{"coupon_not_owner", "coupon_not_owner"});

  // The owner's checkout at S2 gets its coupon held at once (not after the rogue's hold lapses).
  auto owner = answer_of(run(world.io, by_s2.reserve(ask("S2-1", "M1", 0, {"W-S2-T1-1"}))));
  REQUIRE(owner);
  CHECK(owner->granted());
  CHECK(holds(*world.sink, 0) == 1);
  // The owner's own checkout at the rogue's store is served too: any store serves any member.
  auto elsewhere = world.sink->reserve(terminal(rogue), ask("R-3", "M1", 100), kNow, kNow + kHold);
  REQUIRE(elsewhere);
  CHECK(elsewhere->granted());
  by_rogue.stop();
  by_s2.stop();
}

TEST_CASE_METHOD(
    RogueAndOwner<>,
    "A terminal cannot claim another terminal's welcome code before HQ has heard of it",
    "[sync][reserve][rogue]") {
  auto squat =
      sink.reserve(terminal(rogue), ask("R-1", "M2", 0, {"W-S2-T1-6"}), kNow, kNow + kHold);
  REQUIRE(squat);
  CHECK_FALSE(squat->granted());
  REQUIRE(squat->refusals_size() == 1);
  CHECK(squat->refusals(0).code() == "coupon_not_owner");
  CHECK_THAT(squat->refusals(0).message(), Catch::Contains("W-S1-T9-"));
  // Its own unsynced codes (and codes outside the welcome scheme) exist only at that till.
  auto own = sink.reserve(terminal(rogue), ask("R-2", "M2", 0, {"W-S1-T9-1"}), kNow, kNow + kHold);
  REQUIRE(own);
  CHECK(own->granted());
  auto s2_own = sink.reserve(terminal(s2), ask("S2-1", "M1", 0, {"W-S2-T1-6"}), kNow, kNow + kHold);
  REQUIRE(s2_own);
  CHECK(s2_own->granted());
  CHECK(conflicts_of(world, rogue) == std::vector<std::string>{"coupon_not_owner"});
  CHECK(conflicts_of(world, s2).empty());
}

TEST_CASE_METHOD(RogueAndOwner<5'000'000>, "HQ holds no more points than one transaction may burn",
                 "[sync][reserve][rogue]") {
  // The default cap, 1,000,000 points per transaction.
  auto over = sink.reserve(terminal(rogue), ask("R-1", "M1", 1'000'001), kNow, kNow + kHold);
  REQUIRE(over);
  CHECK_FALSE(over->granted());
  REQUIRE(over->refusals_size() == 1);
  CHECK(over->refusals(0).code() == "points_out_of_range");
  CHECK_THAT(over->refusals(0).message(), Catch::Contains("1000000"));
  CHECK(holds(sink, kNow) == 0);

  // The chain's own cap, from its newest rule set.
  pma::v1::RuleSet rules;
  rules.mutable_limits()->set_max_points_per_transaction(500);
  REQUIRE(sink.put_rule_set(1, rules.SerializeAsString()));
  auto over_chain = sink.reserve(terminal(rogue), ask("R-2", "M1", 501), kNow, kNow + kHold);
  REQUIRE(over_chain);
  CHECK_FALSE(over_chain->granted());
  REQUIRE(over_chain->refusals_size() == 1);
  CHECK(over_chain->refusals(0).code() == "points_out_of_range");
  auto within = sink.reserve(terminal(s2), ask("S2-1", "M1", 500), kNow, kNow + kHold);
  REQUIRE(within);
  CHECK(within->granted());
  CHECK(holds(sink, kNow) == 1);
  CHECK(conflicts_of(world, rogue) ==
        std::vector<std::string>{"points_out_of_range", "points_out_of_range"});
}

TEST_CASE_METHOD(
    RogueAndOwner<5'000'000>,
    "One terminal has at most kMaxHoldsPerTerminal holds in force, other terminals are not "
    "affected",
    "[sync][reserve][rogue]") {
  const auto limit = pma::hq::kMaxHoldsPerTerminal;

  for (std::size_t i = 0; i < limit; ++i) {
    auto held =
        sink.reserve(terminal(rogue), ask(fmt::format("R-{}", i), "M1", 1), kNow + 1, kNow + kHold);
    REQUIRE(held);
    REQUIRE(held->granted());
  }
  CHECK(holds(sink, kNow) == limit);
  auto one_more =
      sink.reserve(terminal(rogue), ask("R-more", "M1", 1, {"W-S2-T1-1"}), kNow + 2, kNow + kHold);
  REQUIRE(one_more);
  CHECK_FALSE(one_more->granted());
  REQUIRE(one_more->refusals_size() == 1);
  CHECK(one_more->refusals(0).code() == "hold_limit_reached");
  CHECK_THAT(one_more->refusals(0).message(), Catch::Contains(fmt::format("{}", limit)));
  CHECK(holds(sink, kNow) == limit);

  // Another store's checkout, even for the same member and the coupon the rogue asked for.
  auto honest =
      sink.reserve(terminal(s2), ask("S2-1", "M1", 1, {"W-S2-T1-1"}), kNow + 3, kNow + kHold);
  REQUIRE(honest);
  CHECK(honest->granted());
  // Asking again for a held txn replaces its hold: not one more.
  auto again = sink.reserve(terminal(rogue), ask("R-0", "M1", 2), kNow + 4, kNow + kHold);
  REQUIRE(again);
  CHECK(again->granted());
  // A released hold makes room; a hold past its time counts no more.
  REQUIRE(sink.release(terminal(rogue), "R-1", 0));
  auto after_release = sink.reserve(terminal(rogue), ask("R-new", "M1", 1), kNow + 5, kNow + kHold);
  REQUIRE(after_release);
  CHECK(after_release->granted());
  auto after_expiry =
      sink.reserve(terminal(rogue), ask("R-later", "M1", 1), kNow + kHold + 1, kNow + 2 * kHold);
  REQUIRE(after_expiry);
  CHECK(after_expiry->granted());
}
