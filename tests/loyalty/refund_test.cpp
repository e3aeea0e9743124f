#include "agent/loyalty/refund.h"

#include <catch2/catch.hpp>
#include <limits>

#include "agent/loyalty/quote.h"

using namespace pma;
using namespace pma::loyalty;

namespace {

v1::Quote checkout_of(std::int64_t burn) {
  std::vector<v1::BasketLine> lines(3);
  lines[0].set_sku("cake"), lines[0].set_qty(3), lines[0].set_unit_price_fen(3333);
  lines[1].set_sku("tea"), lines[1].set_qty(1), lines[1].set_unit_price_fen(12345);
  lines[2].set_sku("bag"), lines[2].set_qty(2), lines[2].set_unit_price_fen(50);
  MemberView m{.member_id = "M1", .tier = v1::TIER_NORMAL, .points = 5000};
  auto q = quote({.lines = lines, .member = &m, .points_to_burn = burn}, default_rule_set(),
                 {.local_date = {2026, 5, 7}, .now_ms = 0});
  REQUIRE(q);
  return *q;
}

v1::RefundLine refund_line(int index, std::int64_t qty) {
  v1::RefundLine r;
  r.set_line_index(index);
  r.set_qty(qty);
  return r;
}

}  // namespace

TEST_CASE("A whole refund reverses every earned point and restores every burned one",
          "[loyalty][refund]") {
  auto q = checkout_of(2000);
  REQUIRE(q.points_to_earn() > 0);
  std::vector<std::int64_t> none(3, 0);
  auto plan = plan_refund(q, none, {});
  REQUIRE(plan);
  CHECK(plan->fully_refunded);
  CHECK(plan->refunded_fen == q.payable_fen());
  CHECK(plan->points_reversed == q.points_to_earn());
  CHECK(plan->points_restored == 2000);
}

TEST_CASE("Partial refunds add up exactly to a whole refund", "[loyalty][refund]") {
  auto q = checkout_of(1000);
  std::vector<std::int64_t> done(3, 0);
  std::int64_t fen = 0, reversed = 0, restored = 0;
  for (auto [index, qty] :
       std::vector<std::pair<int, std::int64_t>>{{0, 1}, {1, 1}, {0, 1}, {2, 2}, {0, 1}}) {
    std::vector<v1::RefundLine> req = {refund_line(index, qty)};
    auto plan = plan_refund(q, done, req);
    REQUIRE(plan);
    CHECK(plan->points_reversed >= 0);
    CHECK(plan->points_restored >= 0);
    fen += plan->refunded_fen;
    reversed += plan->points_reversed;
    restored += plan->points_restored;
    for (int i = 0; i < 3; ++i) done[i] += plan->qty[i];
  }
  CHECK(fen == q.payable_fen());
  CHECK(reversed == q.points_to_earn());
  CHECK(restored == 1000);
  CHECK(plan_refund(q, done, {}).error().code == "already_refunded");
}

TEST_CASE("Refunding one of three cakes reverses a third of their points, rounded up",
          "[loyalty][refund]") {
  auto q = checkout_of(0);
  std::vector<std::int64_t> none(3, 0);
  std::vector<v1::RefundLine> req = {refund_line(0, 1)};
  auto plan = plan_refund(q, none, req);
  REQUIRE(plan);
  std::int64_t paid = q.lines(0).paid_fen() / 3;
  CHECK(plan->refunded_fen == paid);
  // The member keeps the points of what they kept, rounded down.
  std::int64_t kept = q.payable_fen() - paid;
  CHECK(q.points_to_earn() - plan->points_reversed == q.points_to_earn() * kept / q.payable_fen());
  CHECK(plan->points_reversed == 34);  // 99.99 of 266.59 yuan -> 33.3 points, rounded up
  CHECK_FALSE(plan->fully_refunded);
}

TEST_CASE("Refund requests beyond the purchase are refused", "[loyalty][refund]") {
  auto q = checkout_of(0);
  std::vector<std::int64_t> none(3, 0);
  std::vector<v1::RefundLine> too_many = {refund_line(1, 2)};
  CHECK(plan_refund(q, none, too_many).error().code == "refund_exceeds_purchase");
  std::vector<v1::RefundLine> bad_index = {refund_line(7, 1)};
  CHECK(plan_refund(q, none, bad_index).error().code == "refund_invalid_line");
  std::vector<v1::RefundLine> zero = {refund_line(0, 0)};
  CHECK(plan_refund(q, none, zero).error().code == "refund_invalid_line");
}

TEST_CASE("Refund quantities that would overflow are refused as exceeding the purchase",
          "[loyalty][refund][arithmetic]") {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  auto q = checkout_of(0);
  std::vector<std::int64_t> whole = {3, 1, 2};
  std::vector<v1::RefundLine> huge = {refund_line(0, kMax)};
  CHECK(plan_refund(q, whole, huge).error().code == "refund_exceeds_purchase");
  std::vector<std::int64_t> none(3, 0);
  std::vector<v1::RefundLine> wraps = {refund_line(0, kMax), refund_line(0, 2), refund_line(1, 1)};
  auto refused = plan_refund(q, none, wraps);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "refund_exceeds_purchase");
  CHECK_THAT(refused.error().message, Catch::Contains("more than 9223372036854775807 requested"));
  std::vector<v1::RefundLine> two = {refund_line(0, 2), refund_line(0, 1)};
  CHECK(plan_refund(q, none, two));
}

TEST_CASE("Refunded quantities outside the purchase are refused as corrupt records",
          "[loyalty][refund][arithmetic]") {
  auto q = checkout_of(0);
  for (auto done : {std::vector<std::int64_t>{4, 0, 0}, std::vector<std::int64_t>{0, -1, 0}}) {
    CHECK(plan_refund(q, done, {}).error().code == "checkout_record_corrupt");
  }
  auto broken = q;
  broken.mutable_lines(1)->set_qty(0);
  CHECK(plan_refund(broken, std::vector<std::int64_t>(3, 0), {}).error().code ==
        "checkout_record_corrupt");
}
