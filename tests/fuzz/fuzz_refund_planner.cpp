// Fuzz target: the refund planner, loyalty::plan_refund. The input's first line is a checkout
// (planner_input.h: header, then a QuoteRequest as JSON) priced under the default rules; every
// further line is a RefundRequest (JSON) applied in turn, each on the quantities the earlier
// ones refunded, as CheckoutService::refund does. Properties: no throw, no overflow; a refusal
// is one of plan_refund's codes and exactly the one a 128-bit model of the request predicts,
// and changes nothing; a plan never refunds more than was bought, partial refunds never add up
// to more than the whole (money, points reversed, points restored) and a refund that completes
// the checkout adds up to it exactly; refunded quantities outside 0..qty are refused as corrupt.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/api/json.h"
#include "agent/loyalty/refund.h"
#include "agent/loyalty/rules.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/planner_input.h"

namespace {

using pma::fuzz::check;
__extension__ typedef __int128 Int128;

struct Refunded {
  std::vector<std::int64_t> qty;
  std::int64_t fen = 0, reversed = 0, restored = 0;
};

// What plan_refund must answer: "" for a plan, else the refusal's code (first bad entry wins).
std::string expected_outcome(const pma::v1::Quote& q, const Refunded& done,
                             const std::vector<pma::v1::RefundLine>& lines) {
  const int n = q.lines_size();
  if (lines.size() > 1000) return "refund_invalid_line";
  std::vector<Int128> asked(static_cast<std::size_t>(n), 0);
  bool any = false;
  if (lines.empty()) {
    for (int i = 0; i < n; ++i) any = any || done.qty[i] < q.lines(i).qty();
    return any ? "" : "already_refunded";
  }
  for (const auto& r : lines) {
    if (r.line_index() < 0 || r.line_index() >= n || r.qty() <= 0) return "refund_invalid_line";
  }
  for (const auto& r : lines) {
    asked[r.line_index()] += r.qty();
    if (done.qty[r.line_index()] + asked[r.line_index()] > q.lines(r.line_index()).qty()) {
      return "refund_exceeds_purchase";
    }
    any = true;
  }
  return any ? "" : "already_refunded";
}

void apply(const pma::v1::Quote& q, Refunded& done, const std::vector<pma::v1::RefundLine>& lines,
           int step) {
  const std::string expected = expected_outcome(q, done, lines);
  auto plan = pma::loyalty::plan_refund(q, done.qty, lines);
  if (!plan) {
    pma::fuzz::check_error(plan.error(),
                           {"refund_invalid_line", "refund_exceeds_purchase", "already_refunded"},
                           "plan_refund");
    check(plan.error().code == expected,
          fmt::format("refund {} refused as {}, expected {}", step, plan.error().code,
                      expected.empty() ? "a plan" : expected));
    return;
  }
  check(expected.empty(), fmt::format("refund {} planned, expected {}", step, expected));
  check(plan->qty.size() == done.qty.size(), "a plan for other lines");
  bool whole = true;
  for (int i = 0; i < q.lines_size(); ++i) {
    check(plan->qty[i] >= 0, fmt::format("refund {} line {}: qty {}", step, i, plan->qty[i]));
    check(plan->qty[i] <= q.lines(i).qty() - done.qty[i],
          fmt::format("refund {} line {}: refunds more than was bought", step, i));
    done.qty[i] += plan->qty[i];
    whole = whole && done.qty[i] == q.lines(i).qty();
  }
  check(plan->fully_refunded == whole, "fully_refunded is wrong");
  check(plan->refunded_fen >= 0 && plan->points_reversed >= 0 && plan->points_restored >= 0,
        fmt::format("refund {}: negative amounts", step));
  done.fen += plan->refunded_fen;
  done.reversed += plan->points_reversed;
  done.restored += plan->points_restored;
  check(done.fen <= q.payable_fen(), "refunds add up to more than was paid");
  check(done.reversed <= q.points_to_earn(), "refunds reverse more points than were earned");
  check(done.restored <= q.points_burned(), "refunds restore more points than were burned");
  if (whole) {
    check(done.fen == q.payable_fen() && done.reversed == q.points_to_earn() &&
              done.restored == q.points_burned(),
          "a completed refund does not add up to the checkout");
  }
}

// Stored refunded quantities outside 0..qty are corruption, refused whatever the request.
void check_corrupt_records(const pma::v1::Quote& q, std::int8_t skew) {
  if (skew == 0 || q.lines_size() == 0) return;
  std::vector<std::int64_t> qty(static_cast<std::size_t>(q.lines_size()), 0);
  qty[0] = skew > 0 ? q.lines(0).qty() + skew : skew;
  auto plan = pma::loyalty::plan_refund(q, qty, {});
  check(!plan && plan.error().code == "checkout_record_corrupt",
        "refunded quantities outside the purchase were accepted");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pma::fuzz::ByteReader in(data, size);
  const auto skew = static_cast<std::int8_t>(in.u8());
  const std::string_view header = in.take(pma::fuzz::kPlannerHeaderSize);
  std::string_view text = in.rest();
  const std::size_t first_end = text.find('\n');
  auto c = pma::fuzz::decode_planner_case(header, text.substr(0, first_end));
  if (!c) return 0;
  static const pma::v1::RuleSet rules = pma::loyalty::default_rule_set();
  auto q = pma::loyalty::quote(c->input(), rules, c->context);
  if (!q) return 0;  // fuzz_quote_planner checks refusals
  check_corrupt_records(*q, skew);
  Refunded done{.qty = std::vector<std::int64_t>(static_cast<std::size_t>(q->lines_size()), 0)};
  int step = 0;
  std::size_t pos = first_end;
  while (pos != std::string_view::npos && step < 64) {
    const std::size_t start = pos + 1;
    pos = text.find('\n', start);
    pma::v1::RefundRequest request;
    if (!pma::api::parse_json(text.substr(start, pos == std::string_view::npos ? pos : pos - start),
                              request)) {
      continue;
    }
    std::vector<pma::v1::RefundLine> lines(request.lines().begin(), request.lines().end());
    apply(*q, done, lines, step++);
  }
  // Whatever came before, the rest can still be refunded, and then everything adds up.
  apply(*q, done, {}, step);
  return 0;
}
