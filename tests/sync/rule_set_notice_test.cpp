// Rule sets reach the till's checkout by notification from the sync client (HqRuleSets as its
// observer, wired as memberd wires it), in the session that brought them, with no timer; the
// stored one is in force again after a restart with HQ gone.
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>

#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/checkout/hq_rule_sets.h"
#include "agent/loyalty/rules.h"
#include "tests/support/basket.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::SyncWorld;
using pma::test::Till;
namespace v1 = pma::v1;

constexpr std::int64_t kT0 = 1'779'933'600'000;

// The default rules under `version`, earning `per_yuan` points per yuan.
std::string rules_with(std::int64_t version, std::int64_t per_yuan) {
  v1::RuleSet rules = pma::loyalty::default_rule_set();
  rules.set_version(version);
  rules.mutable_earning()->set_points_per_yuan(per_yuan);
  return rules.SerializeAsString();
}

// Points a 100-yuan tea earns M1 (normal tier) under the rules in force.
std::int64_t earned(pma::checkout::CheckoutService& service) {
  v1::QuoteRequest q;
  q.set_member_id("M1");
  *q.add_lines() = pma::test::basket_line("tea", 1, 10'000, false, "tea");
  auto quote = service.quote(q);
  REQUIRE(quote);
  return quote->quote().points_to_earn();
}

struct TillCheckout {
  explicit TillCheckout(Till& till)
      : service(*till.db, hasher, {.store_id = till.store_id, .terminal_id = till.terminal_id},
                store_clock),
        rule_sets(service, *till.sync_store, spdlog::default_logger()) {}

  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock{kT0};
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService service;
  pma::checkout::HqRuleSets rule_sets;
};

}  // namespace

TEST_CASE("A rule set HQ sends is in force at the till's checkout when its session ends",
          "[sync][rules]") {
  SyncWorld world;
  world.import_members(1, 0);
  REQUIRE(world.sink->put_rule_set(5, rules_with(5, 3)));
  Till& a = world.add_till("A", "T1");
  TillCheckout till(a);
  till.rule_sets.load_stored();  // a fresh till: nothing stored, the defaults stay
  CHECK(till.rule_sets.version() == 0);
  int notices = 0;
  a.client->on_rule_set([&](const v1::RuleSetEnvelope& envelope) {
    ++notices;
    // Told after its page committed: what a restart would load is already there.
    CHECK(world.count(a,
                      "SELECT CAST(value AS INTEGER) FROM sync_state WHERE "
                      "key = 'rule_set_version'") == envelope.version());
    till.rule_sets.on_rule_set(envelope);
  });
  std::int64_t version_before_done = -1;
  auto report = world.sync(a, [&](const pma::sync::SyncProgress& p) {
    if (p.phase == pma::sync::SyncProgress::Phase::done)
      version_before_done = till.service.rules().version();
  });
  REQUIRE(report);
  CHECK(report->rule_set_updated);
  CHECK(notices == 1);
  // In force inside the session itself, before it even reported done: no timer, no poll.
  CHECK(version_before_done == 5);
  CHECK(till.service.rules().version() == 5);
  CHECK(earned(till.service) == 300);

  // HQ publishes a newer one: the next session brings it; an unchanged one is not told again.
  REQUIRE(world.sync(a));
  CHECK(notices == 1);
  REQUIRE(world.sink->put_rule_set(6, rules_with(6, 2)));
  REQUIRE(world.sync(a));
  CHECK(notices == 2);
  CHECK(till.service.rules().version() == 6);
  CHECK(earned(till.service) == 200);
}

TEST_CASE("A till restarting with HQ gone checks out under HQ's stored rule set", "[sync][rules]") {
  SyncWorld world;
  world.import_members(1, 0);
  REQUIRE(world.sink->put_rule_set(7, rules_with(7, 4)));
  Till& a = world.add_till("A", "T1");
  {
    TillCheckout till(a);
    a.client->on_rule_set(
        [&](const v1::RuleSetEnvelope& envelope) { till.rule_sets.on_rule_set(envelope); });
    REQUIRE(world.sync(a));
    CHECK(till.service.rules().version() == 7);
  }
  world.server->stop();
  world.restart(a);
  TillCheckout restarted(a);
  CHECK(restarted.service.rules().version() != 7);  // the built-in defaults until loaded
  restarted.rule_sets.load_stored();
  CHECK(restarted.rule_sets.version() == 7);
  CHECK(restarted.service.rules().version() == 7);
  CHECK(earned(restarted.service) == 400);
}

TEST_CASE("A rule set the till cannot use leaves the rules in force", "[sync][rules]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));  // M1 in the cache; HQ has published no rule set
  TillCheckout till(a);
  v1::RuleSetEnvelope garbled;
  garbled.set_version(8);
  garbled.set_rule_set("\xff\xff not a rule set");
  till.rule_sets.on_rule_set(garbled);
  v1::RuleSetEnvelope invalid;
  invalid.set_version(9);
  invalid.set_rule_set(v1::RuleSet().SerializeAsString());  // no tiers, no redemption
  till.rule_sets.on_rule_set(invalid);
  CHECK(till.rule_sets.version() == 0);
  CHECK(earned(till.service) == 100);  // the defaults: 1 point per yuan
}
