#include "agent/loyalty/quote.h"

#include <catch2/catch.hpp>
#include <limits>

#include "agent/loyalty/money.h"
#include "tests/support/basket.h"

using namespace pma;
using namespace pma::loyalty;

namespace {

constexpr std::int64_t kNowMs = 1'780'000'000'000;  // 2026-05-28 UTC

// test::basket_line under this file's short name (a lambda keeps its default arguments).
constexpr auto line = [](auto&&... args) {
  return test::basket_line(std::forward<decltype(args)>(args)...);
};

MemberView member(v1::Tier tier = v1::TIER_NORMAL, std::int64_t points = 0) {
  return MemberView{.member_id = "M1", .tier = tier, .points = points, .birthday = "03-15"};
}

QuoteContext on(int year, int month, int day, bool online = true) {
  return QuoteContext{.local_date = {year, month, day}, .now_ms = kNowMs, .hq_online = online};
}

CouponView coupon(std::string code, std::string template_id = "welcome") {
  return CouponView{.code = std::move(code),
                    .found = true,
                    .member_id = "M1",
                    .template_id = std::move(template_id),
                    .valid_from_s = 0,
                    .valid_until_s = kNowMs / 1000 + 86400,
                    .state = "issued"};
}

Result<v1::Quote> price(const std::vector<v1::BasketLine>& lines, const MemberView* m,
                        std::int64_t burn = 0, std::vector<CouponView> coupons = {},
                        QuoteContext ctx = on(2026, 5, 28),
                        const v1::RuleSet& rules = default_rule_set()) {
  return quote(QuoteInput{.lines = lines, .member = m, .coupons = coupons, .points_to_burn = burn},
               rules, ctx);
}

}  // namespace

TEST_CASE("Tiers pay 95%, 90% and 85% on discountable lines only", "[loyalty][tier]") {
  std::vector lines = {line("bread", 2, 5000), line("gift-card", 1, 10000, false)};
  auto [tier, payable] = GENERATE(table<v1::Tier, std::int64_t>({{v1::TIER_NORMAL, 9500 + 10000},
                                                                 {v1::TIER_SILVER, 9000 + 10000},
                                                                 {v1::TIER_GOLD, 8500 + 10000}}));
  MemberView m = member(tier);
  auto q = price(lines, &m);
  REQUIRE(q);
  CHECK(q->gross_fen() == 20000);
  CHECK(q->payable_fen() == payable);
  CHECK(q->tier_discount_fen() == 20000 - payable);
  CHECK(q->lines(1).tier_discount_fen() == 0);
  REQUIRE(q->discounts_size() == 1);
  CHECK(q->discounts(0).kind() == "tier");
}

TEST_CASE("The tier discount's label reads as a cashier would say it", "[loyalty][tier]") {
  std::vector lines = {line("bread", 2, 5000)};
  auto [tier, label] = GENERATE(table<v1::Tier, std::string>({
      {v1::TIER_NORMAL, "Member price 95%"},
      {v1::TIER_SILVER, "Silver member price 90%"},
      {v1::TIER_GOLD, "Gold member price 85%"},
  }));
  MemberView m = member(tier);
  auto q = price(lines, &m);
  REQUIRE(q);
  REQUIRE(q->discounts_size() == 1);
  CHECK(q->discounts(0).label() == label);
  // A rule set's odd per mille keeps its decimal.
  v1::RuleSet rules = default_rule_set();
  for (auto& t : *rules.mutable_tiers()) {
    if (t.tier() == v1::TIER_GOLD) t.set_price_permille(875);
  }
  MemberView gold = member(v1::TIER_GOLD);
  auto odd = price(lines, &gold, 0, {}, on(2026, 5, 28), rules);
  REQUIRE(odd);
  CHECK(odd->discounts(0).label() == "Gold member price 87.5%");
}

TEST_CASE("Tier prices round half up to the fen per line", "[loyalty][tier]") {
  auto [unit, tier, paid] = GENERATE(
      table<std::int64_t, v1::Tier, std::int64_t>({{10, v1::TIER_NORMAL, 10},    // 9.5 -> 10
                                                   {999, v1::TIER_NORMAL, 949},  // 949.05 -> 949
                                                   {333, v1::TIER_GOLD, 283},    // 283.05 -> 283
                                                   {1, v1::TIER_SILVER, 1}}));   // 0.9 -> 1
  MemberView m = member(tier);
  auto q = price({line("x", 1, unit)}, &m);
  REQUIRE(q);
  CHECK(q->payable_fen() == paid);
}

TEST_CASE("A guest pays list price and earns nothing", "[loyalty]") {
  auto q = price({line("bread", 1, 1234)}, nullptr);
  REQUIRE(q);
  CHECK(q->payable_fen() == 1234);
  CHECK(q->points_to_earn() == 0);
  CHECK(q->member_id().empty());
}

TEST_CASE("1,000 points pay 50 yuan in whole units", "[loyalty][points]") {
  MemberView m = member(v1::TIER_NORMAL, 2500);
  auto q = price({line("cake", 1, 20000, false)}, &m, 2000);
  REQUIRE(q);
  CHECK(q->points_discount_fen() == 10000);
  CHECK(q->payable_fen() == 10000);
  CHECK(q->points_burned() == 2000);
  CHECK(q->max_points_burnable() == 2000);
  // Earned on the 100 yuan actually paid.
  CHECK(q->points_to_earn() == 100);
  CHECK(q->points_balance_after() == 2500 - 2000 + 100);
}

TEST_CASE("Points refusals name the rule", "[loyalty][points]") {
  std::vector lines = {line("cake", 1, 20000, false)};
  MemberView m = member(v1::TIER_NORMAL, 5000);
  SECTION("not whole units") {
    CHECK(price(lines, &m, 1500).error().code == "points_not_whole_units");
  }
  SECTION("insufficient points") {
    MemberView poor = member(v1::TIER_NORMAL, 999);
    CHECK(price(lines, &poor, 1000).error().code == "insufficient_points");
  }
  SECTION("more than half the bill") {
    CHECK(price(lines, &m, 3000).error().code == "points_exceed_bill_share");
    CHECK(price(lines, &m, 2000));
  }
  SECTION("offline daily limit") {
    auto ctx = on(2026, 5, 28, false);
    ctx.burned_today = 1000;
    CHECK(price(lines, &m, 2000, {}, ctx).error().code == "points_offline_limit");
    CHECK(price(lines, &m, 1000, {}, ctx));
    ctx.hq_online = true;
    CHECK(price(lines, &m, 2000, {}, ctx));
  }
  SECTION("a guest cannot burn") {
    CHECK(price(lines, nullptr, 1000).error().code == "points_need_member");
  }
  SECTION("negative") { CHECK(price(lines, &m, -1000).error().code == "invalid_points"); }
}

TEST_CASE("Member day and birthday double points, without stacking", "[loyalty][earning]") {
  MemberView m = member();  // birthday 03-15
  std::vector lines = {line("tea", 1, 10000, false)};
  auto [month, day, points, reasons] = GENERATE(table<int, int, std::int64_t, std::size_t>(
      {{5, 7, 100, 0}, {5, 8, 200, 1}, {3, 15, 200, 1}, {3, 8, 200, 1}, {4, 15, 100, 0}}));
  auto q = price(lines, &m, 0, {}, on(2026, month, day));
  REQUIRE(q);
  CHECK(q->points_to_earn() == points);
  CHECK(static_cast<std::size_t>(q->bonus_reasons_size()) == reasons);
  SECTION("both on one day count once") {
    MemberView eighth = m;
    eighth.birthday = "03-08";
    auto both = price(lines, &eighth, 0, {}, on(2026, 3, 8));
    REQUIRE(both);
    CHECK(both->points_to_earn() == 200);
    CHECK(both->bonus_reasons_size() == 2);
  }
}

TEST_CASE("A 29 February birthday is celebrated on 28 February in common years",
          "[loyalty][earning]") {
  MemberView m = member();
  m.birthday = "02-29";
  std::vector lines = {line("tea", 1, 10000, false)};
  CHECK(price(lines, &m, 0, {}, on(2026, 2, 28))->points_to_earn() == 200);
  CHECK(price(lines, &m, 0, {}, on(2028, 2, 28))->points_to_earn() == 100);
  CHECK(price(lines, &m, 0, {}, on(2028, 2, 29))->points_to_earn() == 200);
}

TEST_CASE("Points are earned per whole yuan paid, rounded down per transaction",
          "[loyalty][earning]") {
  MemberView m = member();
  auto rules = default_rule_set();
  rules.mutable_earning()->add_excluded_categories("tobacco");
  auto q = price(
      {line("a", 1, 199, false), line("b", 1, 250, false), line("cig", 1, 3000, false, "tobacco")},
      &m, 0, {}, on(2026, 5, 28), rules);
  REQUIRE(q);
  CHECK(q->points_to_earn() == 4);  // 4.49 yuan eligible; the cigarettes earn nothing
  CHECK_FALSE(q->lines(2).earns_points());
}

TEST_CASE("A year's spend reaching 5,000 yuan announces gold for the next checkout",
          "[loyalty][tier]") {
  MemberView m = member(v1::TIER_SILVER);
  std::vector lines = {line("cake", 1, 10000, false)};
  m.spend_12m_fen = 490'000;
  auto q = price(lines, &m);
  REQUIRE(q);
  CHECK(q->tier().upgrade_to() == v1::TIER_GOLD);
  CHECK(q->tier().spend_12m_fen() == 500'000);
  CHECK(q->payable_fen() == 10000);  // not discountable: the price is the same either way
  m.spend_12m_fen = 489'999;
  q = price(lines, &m);
  CHECK(q->tier().upgrade_to() == v1::TIER_UNSPECIFIED);
  CHECK(q->tier().next() == v1::TIER_GOLD);
  CHECK(q->tier().remaining_fen() == 1);
  SECTION("the upgrade does not change this checkout's price") {
    m.spend_12m_fen = 490'000;
    auto d = price({line("bread", 1, 10000)}, &m);
    CHECK(d->payable_fen() == 9000);
    CHECK(d->tier().upgrade_to() == v1::TIER_UNSPECIFIED);  // 4,990 yuan: not there yet
  }
}

TEST_CASE("Coupons apply after the tier price and refusals name the rule", "[loyalty][coupon]") {
  auto rules = default_rule_set();
  auto* t = rules.add_coupon_templates();
  t->set_id("pct20");
  t->set_title("20% off bakery over 100 yuan");
  t->set_kind(v1::CouponTemplate::KIND_PERCENT);
  t->set_percent_off(20);
  t->set_min_spend_fen(10000);
  t->add_eligible_categories("bakery");
  t->set_offline_redemption_allowed(false);
  MemberView m = member(v1::TIER_GOLD);
  std::vector lines = {line("cake", 2, 10000), line("milk", 1, 1000, true, "dairy")};
  auto ctx = on(2026, 5, 28);

  SECTION("percent on eligible lines, fixed on the rest") {
    auto q = price(lines, &m, 0, {coupon("C1", "pct20"), coupon("W1")}, ctx, rules);
    REQUIRE(q);
    // gold: 17000 + 850; 20% of 17000 = 3400; welcome 1000 over 13600 + 850.
    CHECK(q->coupons(0).applies());
    CHECK(q->coupons(0).discount_fen() == 3400);
    CHECK(q->coupons(1).discount_fen() == 1000);
    CHECK(q->payable_fen() == 17850 - 3400 - 1000);
    std::int64_t sum = 0;
    for (const auto& l : q->lines()) sum += l.paid_fen();
    CHECK(sum == q->payable_fen());
    CHECK(require_all_coupons(*q));
  }
  auto refused = [&](std::vector<v1::BasketLine> ls, CouponView c, QuoteContext x) {
    auto q = price(ls, &m, 0, {c}, x, rules);
    REQUIRE(q);
    CHECK_FALSE(q->coupons(0).applies());
    CHECK(q->coupon_discount_fen() == 0);
    CHECK(require_all_coupons(*q).error().code == q->coupons(0).reason_code());
    return q->coupons(0).reason_code();
  };
  SECTION("each refusal") {
    auto expired = coupon("C1");
    expired.valid_until_s = kNowMs / 1000;
    CHECK(refused(lines, expired, ctx) == "coupon_expired");
    auto early = coupon("C1");
    early.valid_from_s = kNowMs / 1000 + 1;
    CHECK(refused(lines, early, ctx) == "coupon_not_yet_valid");
    CHECK(refused({line("cake", 1, 10000)}, coupon("C1", "pct20"), ctx) == "coupon_min_spend");
    auto used = coupon("C1");
    used.state = "redeemed";
    CHECK(refused(lines, used, ctx) == "coupon_already_redeemed");
    auto revoked = coupon("C1");
    revoked.state = "revoked";
    CHECK(refused(lines, revoked, ctx) == "coupon_revoked");
    CHECK(refused(lines, coupon("C1", "pct20"), on(2026, 5, 28, false)) == "needs_hq_online");
    auto other = coupon("C1");
    other.member_id = "M2";
    CHECK(refused(lines, other, ctx) == "coupon_not_owner");
    CHECK(refused(lines, CouponView{.code = "NOPE"}, ctx) == "coupon_unknown");
    CHECK(refused(lines, coupon("C1", "gone"), ctx) == "coupon_unknown_template");
    CHECK(refused({line("milk", 1, 20000, true, "dairy")}, coupon("C1", "pct20"), ctx) ==
          "coupon_not_eligible");
  }
  SECTION("the same code twice applies once") {
    auto q = price(lines, &m, 0, {coupon("W1"), coupon("W1")}, ctx, rules);
    REQUIRE(q);
    CHECK(q->coupons(0).applies());
    CHECK(q->coupons(1).reason_code() == "coupon_duplicate");
  }
}

TEST_CASE("Points are capped on the bill after coupons", "[loyalty][points]") {
  MemberView m = member(v1::TIER_NORMAL, 10000);
  // 200 yuan, 95% -> 190, welcome -10 -> 180; half is 90 yuan -> 1 unit of 50 yuan.
  auto q = price({line("cake", 1, 20000)}, &m, 1000, {coupon("W1")});
  REQUIRE(q);
  CHECK(q->max_points_burnable() == 1000);
  CHECK(q->payable_fen() == 18000 - 5000);
  CHECK(q->discounts_size() == 3);
}

TEST_CASE("Allocation is proportional, exact and never exceeds a line", "[loyalty][money]") {
  std::vector<std::int64_t> w = {1, 1, 1};
  CHECK(allocate(2, w) == std::vector<std::int64_t>{1, 1, 0});
  std::vector<std::int64_t> w2 = {300, 100, 0};
  CHECK(allocate(101, w2) == std::vector<std::int64_t>{76, 25, 0});
  CHECK(allocate(400, w2) == w2);
  CHECK(mul_div_ceil(7, 1, 2) == 4);
  CHECK(mul_div_floor(7, 1, 2) == 3);
}

TEST_CASE("The default rule set is valid and nonsense is refused", "[loyalty][rules]") {
  CHECK(validate_rule_set(default_rule_set()));
  auto rules = default_rule_set();
  rules.mutable_tiers(0)->set_price_permille(0);
  CHECK(validate_rule_set(rules).error().code == "invalid_rule_set");
  CHECK(validate_rule_set(v1::RuleSet()).error().code == "invalid_rule_set");
}

TEST_CASE("The rule set's caps bound the basket, the burn offer and extreme earning rates",
          "[loyalty][limits]") {
  auto rules = default_rule_set();
  CHECK(rules.limits().max_basket_total_fen() == 100'000'000);
  CHECK(rules.limits().max_points_per_transaction() == 1'000'000);
  auto m = member(v1::TIER_NORMAL, 5'000'000);
  // 100 x 999,999 fen: just under the cap; half the bill would allow 9,999 units.
  auto big = std::vector{line("bar", 100, 999'999, false)};
  auto q = price(big, &m);
  REQUIRE(q);
  CHECK(q->max_points_burnable() == 1'000'000);
  CHECK(price({line("bar", 100, 1'000'001, false)}, &m).error().code ==
        "basket_total_exceeds_limit");
  CHECK(price(big, &m, 1'001'000).error().code == "points_exceed_limit");

  // A rule set that earns 10^13 points per yuan: refused, not wrapped around.
  rules.mutable_earning()->set_points_per_yuan(10'000'000'000'000);
  auto wild = price({line("cake", 1, 100)}, &m, 0, {}, on(2026, 5, 28), rules);
  REQUIRE_FALSE(wild);
  CHECK(wild.error().code == "points_exceed_limit");
  rules.mutable_earning()->set_points_per_yuan(std::numeric_limits<std::int64_t>::max());
  CHECK(price({line("cake", 1, 100)}, &m, 0, {}, on(2026, 5, 28), rules).error().code ==
        "points_exceed_limit");
}
