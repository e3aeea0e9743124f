// Request numbers at the till's edges (issue 11, "Arithmetic on request numbers"): refund lines
// that would overflow, baskets and points beyond the rule set's caps. Each refusal must leave
// the database exactly as it was.
#include <catch2/catch.hpp>
#include <limits>

#include "agent/api/json.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::Till;

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

v1::CommitRequest commit_of(std::string txn, std::string member, std::vector<v1::BasketLine> lines,
                            std::int64_t burn = 0) {
  v1::CommitRequest r;
  r.set_txn_id(std::move(txn));
  r.set_member_id(std::move(member));
  for (auto& l : lines) *r.add_lines() = l;
  r.set_points_to_burn(burn);
  return r;
}

v1::QuoteRequest quote_of(std::string member, std::vector<v1::BasketLine> lines,
                          std::int64_t burn = 0) {
  v1::QuoteRequest r;
  r.set_member_id(std::move(member));
  for (auto& l : lines) *r.add_lines() = l;
  r.set_points_to_burn(burn);
  return r;
}

v1::RefundRequest refund_of(std::string id, std::string original,
                            std::vector<std::pair<int, std::int64_t>> lines = {}) {
  v1::RefundRequest r;
  r.set_refund_id(std::move(id));
  r.set_original_txn_id(std::move(original));
  for (auto [index, qty] : lines) {
    auto* l = r.add_lines();
    l->set_line_index(index);
    l->set_qty(qty);
  }
  return r;
}

// Everything a checkout or refund writes, for "nothing written" checks.
struct Written {
  std::int64_t balance, ledger, outbox, idempotency, checkouts, refund_lines, refund_qty;
  bool operator==(const Written&) const = default;
};

Written written(Till& till, const std::string& member) {
  return Written{till.balance(member),
                 till.scalar("SELECT COUNT(*) FROM ledger"),
                 till.outbox_rows(),
                 till.scalar("SELECT COUNT(*) FROM idempotency"),
                 till.scalar("SELECT COUNT(*) FROM idempotency WHERE quote IS NOT NULL"),
                 till.scalar("SELECT COUNT(*) FROM refund_lines"),
                 till.scalar("SELECT COALESCE(MAX(qty), 0) FROM refund_lines")};
}

}  // namespace

TEST_CASE("A refund line of INT64_MAX after a whole refund is refused and writes nothing",
          "[checkout][refund][arithmetic]") {
  Till till;
  till.add_member("M1", 1, 0);
  REQUIRE(till.service->commit(commit_of("RX-1", "M1", {basket_line("cake", 1, 10001)})));
  REQUIRE(till.service->refund(refund_of("RX-R1", "RX-1")));
  const Written before = written(till, "M1");

  auto overflow = till.service->refund(refund_of("RX-R2", "RX-1", {{0, kInt64Max}}));
  REQUIRE_FALSE(overflow);
  CHECK(overflow.error().code == "refund_exceeds_purchase");
  CHECK(api::status_for(overflow.error().code) == 409);
  CHECK(written(till, "M1") == before);

  // Later refunds of the sale are answered by the rules, not by an overflowing SUM.
  auto more = till.service->refund(refund_of("RX-R3", "RX-1", {{0, 1}}));
  REQUIRE_FALSE(more);
  CHECK(more.error().code == "refund_exceeds_purchase");
  auto rest = till.service->refund(refund_of("RX-R4", "RX-1"));
  REQUIRE_FALSE(rest);
  CHECK(rest.error().code == "already_refunded");
  CHECK(written(till, "M1") == before);
}

TEST_CASE("Refund lines whose sum overflows are refused and the sale stays refundable",
          "[checkout][refund][arithmetic]") {
  Till till;
  till.add_member("M1", 1, 0);
  auto sale = till.service->commit(
      commit_of("RX-1", "M1", {basket_line("cake", 1, 10001), basket_line("tea", 1, 500)}));
  REQUIRE(sale);
  const Written before = written(till, "M1");

  auto overflow =
      till.service->refund(refund_of("RX-R1", "RX-1", {{0, kInt64Max}, {0, 2}, {1, 1}}));
  REQUIRE_FALSE(overflow);
  CHECK(overflow.error().code == "refund_exceeds_purchase");
  CHECK(written(till, "M1") == before);

  SECTION("a near-overflow line alone is refused too") {
    auto r = till.service->refund(refund_of("RX-R1", "RX-1", {{1, kInt64Max - 1}, {1, 1}}));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == "refund_exceeds_purchase");
    CHECK(written(till, "M1") == before);
  }
  SECTION("partial and whole refunds still add up to the sale") {
    auto part = till.service->refund(refund_of("RX-R2", "RX-1", {{1, 1}}));
    REQUIRE(part);
    auto whole = till.service->refund(refund_of("RX-R3", "RX-1"));
    REQUIRE(whole);
    CHECK(whole->message.fully_refunded());
    CHECK(part->message.refunded_fen() + whole->message.refunded_fen() ==
          sale->message.quote().payable_fen());
    CHECK(part->message.points_reversed() + whole->message.points_reversed() ==
          sale->message.quote().points_to_earn());
    CHECK(till.balance("M1") == 0);
    CHECK(till.scalar("SELECT SUM(qty) FROM refund_lines") == 2);
  }
}

TEST_CASE("A basket above the rule set's total cap is refused at quote and commit",
          "[checkout][limits][arithmetic]") {
  Till till;
  till.add_member("M1", 1, 0);
  const Written before = written(till, "M1");
  // The issue's basket: a million items at 10 million yuan each earned 9.5e12 points.
  auto huge = std::vector{basket_line("gold-bar", 1'000'000, 1'000'000'000)};
  auto q = till.service->quote(quote_of("M1", huge));
  REQUIRE_FALSE(q);
  CHECK(q.error().code == "basket_total_exceeds_limit");
  CHECK(api::status_for(q.error().code) == 409);
  auto c = till.service->commit(commit_of("BIG", "M1", huge));
  REQUIRE_FALSE(c);
  CHECK(c.error().code == "basket_total_exceeds_limit");
  CHECK(written(till, "M1") == before);

  SECTION("the cap is the rule set's and its edge is allowed") {
    auto rules = till.service->rules();
    rules.mutable_limits()->set_max_basket_total_fen(20'000);
    REQUIRE(till.service->set_rules(rules));
    CHECK(till.service->quote(quote_of("", {basket_line("cake", 2, 10'000)})));
    auto over = till.service->commit(commit_of("A", "", {basket_line("cake", 2, 10'001)}));
    REQUIRE_FALSE(over);
    CHECK(over.error().code == "basket_total_exceeds_limit");
    CHECK(till.service->commit(commit_of("B", "", {basket_line("cake", 2, 10'000)})));
  }
}

TEST_CASE("Points earned or burned beyond the per-transaction cap are refused",
          "[checkout][limits][arithmetic]") {
  Till till;
  till.add_member("M1", 1, 3'000'000);
  const auto online = checkout::Connectivity::online;  // no offline daily burn limit
  const Written before = written(till, "M1");

  SECTION("burning more than 1,000,000 points in one checkout") {
    // 2,000,000 points pay 100,000 yuan, half of a 200,000-yuan bill: every other rule allows it.
    auto lines = std::vector{basket_line("piano", 1, 20'000'000, false)};
    auto q = till.service->quote(quote_of("M1", lines, 2'000'000), online);
    REQUIRE_FALSE(q);
    CHECK(q.error().code == "points_exceed_limit");
    CHECK(api::status_for(q.error().code) == 409);
    auto c = till.service->commit(commit_of("BURN", "M1", lines, 2'000'000), online);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == "points_exceed_limit");
    CHECK(till.service->commit(commit_of("OK", "M1", lines, 1'000'000), online));
  }
  SECTION("earning more than the cap") {
    auto rules = till.service->rules();
    rules.mutable_limits()->set_max_points_per_transaction(1'000);
    REQUIRE(till.service->set_rules(rules));
    // 2,000 yuan at 95% earns 1,900 points.
    auto lines = std::vector{basket_line("cake", 1, 200'000)};
    auto c = till.service->commit(commit_of("EARN", "M1", lines), online);
    REQUIRE_FALSE(c);
    CHECK(c.error().code == "points_exceed_limit");
    CHECK(written(till, "M1") == before);
    // 1,000 yuan at 95% earns 950: allowed.
    CHECK(
        till.service->commit(commit_of("EARN2", "M1", {basket_line("cake", 1, 100'000)}), online));
  }
  SECTION("a refused burn writes nothing") {
    auto lines = std::vector{basket_line("piano", 1, 20'000'000, false)};
    REQUIRE_FALSE(till.service->commit(commit_of("BURN", "M1", lines, 2'000'000), online));
    CHECK(written(till, "M1") == before);
  }
}

TEST_CASE("Absurd request numbers are refused with a precise code before anything is read",
          "[checkout][limits][arithmetic]") {
  Till till;
  till.add_member("M1", 1, 5000);
  auto refused = [&](v1::CommitRequest r) {
    auto c = till.service->commit(r);
    REQUIRE_FALSE(c);
    return c.error().code;
  };
  CHECK(refused(commit_of("A", "M1", {basket_line("cake", -1, 100)})) == "invalid_basket");
  CHECK(refused(commit_of("B", "M1", {basket_line("cake", 1, -100)})) == "invalid_basket");
  CHECK(refused(commit_of("C", "M1", {basket_line("cake", kInt64Max, kInt64Max)})) ==
        "invalid_basket");
  CHECK(refused(commit_of("D", "M1", {basket_line("cake", 1, 100)}, -1000)) == "invalid_points");
  CHECK(refused(commit_of("E", "M1", {basket_line("cake", 1, 100)}, kInt64Max)) ==
        "points_exceed_limit");
  auto many_coupons = commit_of("F", "M1", {basket_line("cake", 1, 100)});
  for (int i = 0; i < 101; ++i) many_coupons.add_coupon_codes("C" + std::to_string(i));
  CHECK(refused(many_coupons) == "invalid_request");
  CHECK(api::status_for("amount_out_of_range") == 400);

  REQUIRE(till.service->commit(commit_of("S", "M1", {basket_line("cake", 2, 100)})));
  std::vector<std::pair<int, std::int64_t>> ones(1001, {0, 1});
  auto r = till.service->refund(refund_of("R", "S", ones));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "refund_invalid_line");
  CHECK(till.outbox_rows() == 1);
}
