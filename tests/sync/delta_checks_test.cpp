// delta_checks: what HQ refuses from a terminal before touching its database.
#include "sync/hq/delta_checks.h"

#include <catch2/catch.hpp>
#include <limits>

using pma::hq::check_delta;
using pma::hq::check_earned;
using pma::hq::max_points_earned;

namespace {

const pma::net::TerminalIdentity kTerminal{"S1", "T9"};

std::string refused(const pma::v1::Delta& delta, pma::Limits limits = {}) {
  auto r = check_delta(kTerminal, delta, limits);
  return r ? r->kind : "";
}

}  // namespace

TEST_CASE("Registrations and welcome coupons only under the terminal's own prefix",
          "[sync][hq][checks]") {
  pma::v1::Delta d;
  auto* r = d.mutable_member_registered();
  r->set_provisional_id("P-S1-T9-1");
  CHECK(refused(d).empty());
  r->set_provisional_id("P-S1-T9-inst42-1");  // whatever follows the prefix
  CHECK(refused(d).empty());
  for (const char* foreign : {"P-S2-T1-7", "P-S1-T1-1", "P-S1-T9-", "P-S1-T9", "H000000001"}) {
    r->set_provisional_id(foreign);
    CHECK(refused(d) == "foreign_id");
  }
  r->set_provisional_id("P-S1-T9-2");
  r->add_welcome_coupons("W-S1-T9-2");
  CHECK(refused(d).empty());
  r->add_welcome_coupon_terms()->set_code("W-S2-T1-6");
  auto refusal = check_delta(kTerminal, d, {});
  REQUIRE(refusal);
  CHECK(refusal->kind == "foreign_id");
  CHECK(refusal->coupon_code == "W-S2-T1-6");
}

TEST_CASE("Numbers HQ adds are within the rule set's caps", "[sync][hq][checks]") {
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  pma::v1::Delta d;
  auto* c = d.mutable_checkout();
  c->set_member_id("M1");
  c->set_gross_fen(100'000'000);
  c->set_paid_fen(100'000'000);
  c->set_points_earned(1'000'000);
  c->set_points_burned(1'000'000);
  CHECK(refused(d).empty());
  c->set_paid_fen(100'000'001);
  CHECK(refused(d) == "delta_out_of_range");
  c->set_paid_fen(50);
  c->set_points_burned(kMax);
  CHECK(refused(d) == "delta_out_of_range");
  c->set_points_burned(-1);
  CHECK(refused(d) == "delta_out_of_range");
  c->set_points_burned(0);
  c->set_gross_fen(10);  // paid more than the basket
  CHECK(refused(d) == "delta_out_of_range");
  // A chain's own, lower caps.
  c->set_gross_fen(500);
  c->set_paid_fen(500);
  c->set_points_earned(5);
  CHECK(refused(d, {.max_basket_total_fen = 499}) == "delta_out_of_range");
  CHECK(refused(d, {.max_points_per_transaction = 4}) == "delta_out_of_range");

  pma::v1::Delta refund;
  refund.mutable_refund()->set_member_id("M1");
  refund.mutable_refund()->set_points_reversed(kMax);
  CHECK(refused(refund) == "delta_out_of_range");
  refund.mutable_refund()->set_points_reversed(10);
  refund.mutable_refund()->set_points_restored(-92222870619063247);
  CHECK(refused(refund) == "delta_out_of_range");
  refund.mutable_refund()->set_points_restored(0);
  refund.mutable_refund()->set_refunded_fen(9223372036854767307);
  CHECK(refused(refund) == "delta_out_of_range");
}

TEST_CASE("Points adjustments from a terminal are refused", "[sync][hq][checks]") {
  pma::v1::Delta d;
  d.mutable_points_adjusted()->set_member_id("M1");
  d.mutable_points_adjusted()->set_points(1);
  CHECK(refused(d) == "points_adjustment_refused");
}

TEST_CASE("Points earned are bounded by what the rule set gives for the amount paid",
          "[sync][hq][checks]") {
  pma::v1::RuleSet rules;
  rules.mutable_earning()->set_points_per_yuan(2);
  auto* gold = rules.add_tiers();
  gold->set_points_multiplier_percent(150);
  rules.mutable_bonus_days()->set_member_day_multiplier_percent(200);
  rules.mutable_bonus_days()->set_birthday_multiplier_percent(300);
  // 2 points per yuan x1.5 x3 on 10.99 yuan: 98.91, floored.
  CHECK(max_points_earned(rules, 1099) == 98);
  CHECK(max_points_earned(rules, 0) == 0);
  // The whole of INT64_MAX fen: split, the product never overflows (9,223,372,036,854,775,807
  // x 90,000 / 10^6, floored).
  CHECK(max_points_earned(rules, std::numeric_limits<std::int64_t>::max()) ==
        830'103'483'316'929'822);
  pma::v1::RuleSet absurd = rules;  // a rate that does not fit: only the caps bound earning
  absurd.mutable_earning()->set_points_per_yuan(std::numeric_limits<std::int64_t>::max() / 100);
  CHECK(max_points_earned(absurd, 100) == std::nullopt);
  pma::v1::CheckoutCommitted c;
  c.set_paid_fen(1099);
  c.set_points_earned(98);
  CHECK_FALSE(check_earned(c, rules));
  c.set_points_earned(99);
  auto refusal = check_earned(c, rules);
  REQUIRE(refusal);
  CHECK(refusal->kind == "points_earned_exceeds_rules");
}
