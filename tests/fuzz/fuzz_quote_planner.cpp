// Fuzz target: the checkout planner, loyalty::quote, on a QuoteRequest as the POS sends it (JSON)
// under the default rule set, for a member, date and HQ state the header sets up
// (planner_input.h). Properties: no throw, no overflow (checked against 128-bit sums); a
// refusal is one of quote's documented codes, maps to its HTTP status, and is the right one for
// the rule set's caps; a quote has 0 <= payable <= basket total <= the cap, lines that add up,
// points earned and burned within the per-transaction cap, and the balance moved by exactly
// burn and earn.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string_view>

#include "agent/api/json.h"
#include "agent/loyalty/rules.h"
#include "pma/limits.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/planner_input.h"

namespace {

using pma::fuzz::check;
__extension__ typedef __int128 Int128;

// Whether validate_basket (quote.cpp) accepts the lines: the caps are only decided after it.
bool lines_in_range(const pma::v1::QuoteRequest& r) {
  if (r.lines().empty() || r.lines_size() > 1000) return false;
  for (const auto& l : r.lines()) {
    if (l.sku().empty() || l.qty() <= 0 || l.qty() > 1'000'000 || l.unit_price_fen() < 0 ||
        l.unit_price_fen() > 1'000'000'000) {
      return false;
    }
  }
  return true;
}

void check_refusal(const pma::Error& error, const pma::v1::QuoteRequest& request, Int128 gross,
                   const pma::Limits& limits) {
  pma::fuzz::check_error(
      error,
      {"invalid_basket", "invalid_points", "points_exceed_limit", "basket_total_exceeds_limit",
       "points_need_member", "points_not_whole_units", "insufficient_points",
       "points_offline_limit", "points_exceed_bill_share"},
      "quote");
  const int expected_status = error.code.starts_with("invalid_") ? 400 : 409;
  check(pma::api::status_for(error.code) == expected_status,
        fmt::format("{} does not map to HTTP {}", error.code, expected_status));
  if (!lines_in_range(request) || request.points_to_burn() < 0) return;
  if (request.points_to_burn() > limits.max_points_per_transaction) {
    check(error.code == "points_exceed_limit",
          fmt::format("a burn above the cap was refused as {}", error.code));
  } else if (gross > limits.max_basket_total_fen) {
    check(error.code == "basket_total_exceeds_limit",
          fmt::format("a basket above the cap was refused as {}", error.code));
  } else {
    check(error.code != "basket_total_exceeds_limit", "a basket within the cap was refused");
  }
}

void check_quote(const pma::v1::Quote& q, const pma::fuzz::PlannerCase& c, Int128 gross,
                 const pma::Limits& limits) {
  check(q.gross_fen() == gross, "gross_fen is not the sum of qty x unit price");
  check(q.gross_fen() <= limits.max_basket_total_fen, "a basket above the cap was priced");
  check(q.payable_fen() >= 0 && q.payable_fen() <= q.gross_fen(),
        fmt::format("payable {} is outside 0..{}", q.payable_fen(), q.gross_fen()));
  Int128 paid = 0, discounts = 0;
  check(q.lines_size() == c.request.lines_size(), "the quote lost or added lines");
  for (const auto& line : q.lines()) {
    check(line.paid_fen() >= 0 && line.paid_fen() <= line.gross_fen(),
          fmt::format("line {} pays {} of {}", line.index(), line.paid_fen(), line.gross_fen()));
    check(line.gross_fen() - line.tier_discount_fen() - line.coupon_discount_fen() -
                  line.points_discount_fen() ==
              line.paid_fen(),
          fmt::format("line {}: discounts do not add up", line.index()));
    check(c.has_member || line.tier_discount_fen() == 0, "a guest got a tier price");
    paid += line.paid_fen();
  }
  check(paid == q.payable_fen(), "line amounts do not add up to payable");
  for (const auto& d : q.discounts()) {
    check(d.amount_fen() >= 0, fmt::format("a {} discount of {} fen", d.kind(), d.amount_fen()));
    discounts += d.amount_fen();
  }
  check(discounts == gross - q.payable_fen(), "discount lines do not add up to gross - payable");
  check(q.points_to_earn() >= 0 && q.points_to_earn() <= limits.max_points_per_transaction,
        fmt::format("earns {} points, cap {}", q.points_to_earn(),
                    limits.max_points_per_transaction));
  check(q.points_burned() == c.request.points_to_burn(), "burned other points than requested");
  check(q.points_burned() >= 0 && q.points_burned() <= limits.max_points_per_transaction,
        "burns points beyond the cap");
  check(
      q.max_points_burnable() >= 0 && q.max_points_burnable() <= limits.max_points_per_transaction,
      "offers to burn points beyond the cap");
  if (!c.has_member) {
    check(q.points_to_earn() == 0 && q.points_burned() == 0, "a guest earned or burned points");
    return;
  }
  check(q.points_burned() <= c.member.points, "burned more than the balance");
  check(q.points_balance_after() == c.member.points - q.points_burned() + q.points_to_earn(),
        "balance after is not balance - burned + earned");
  if (pma::loyalty::require_all_coupons(q)) return;
  auto refused = pma::loyalty::require_all_coupons(q);
  check(refused.error().code.starts_with("coupon_") || refused.error().code == "needs_hq_online",
        fmt::format("a coupon refused as {}", refused.error().code));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const std::string_view header = in.take(pma::fuzz::kPlannerHeaderSize);
  auto c = pma::fuzz::decode_planner_case(header, in.rest());
  if (!c) return 0;
  static const pma::v1::RuleSet rules = pma::loyalty::default_rule_set();
  const pma::Limits limits = pma::effective_limits(rules);
  // Exact up to far beyond any cap; saturated beyond (a thousand lines of INT64_MAX x
  // INT64_MAX do not fit even in 128 bits).
  Int128 gross = 0;
  for (const auto& l : c->request.lines()) {
    const Int128 line = static_cast<Int128>(l.qty()) * l.unit_price_fen();
    if (__builtin_add_overflow(gross, line, &gross)) {
      constexpr Int128 kHuge = static_cast<Int128>(INT64_MAX) * INT64_MAX;  // < 2^126
      gross = line < 0 ? -kHuge : kHuge;
    }
  }
  auto q = pma::loyalty::quote(c->input(), rules, c->context);
  if (!q) {
    check_refusal(q.error(), c->request, gross, limits);
    return 0;
  }
  check(lines_in_range(c->request), "a basket outside the documented ranges was priced");
  check_quote(*q, *c, gross, limits);
  return 0;
}
