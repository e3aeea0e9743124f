#include "agent/loyalty/refund.h"

#include <fmt/format.h>

#include <limits>
#include <string>

#include "agent/loyalty/money.h"
#include "pma/limits.h"

namespace pma::loyalty {

namespace {

struct Totals {
  std::int64_t paid = 0;          // refunded money
  std::int64_t earning_paid = 0;  // of which on lines that earned points
  std::int64_t points_fen = 0;    // points discount on the refunded quantities
};

// What refunding qty[i] of each line amounts to, each line pro rata rounded down (exact when a
// line is refunded in full).
Totals totals_for(const v1::Quote& q, std::span<const std::int64_t> qty) {
  Totals t;
  for (int i = 0; i < q.lines_size(); ++i) {
    const auto& line = q.lines(i);
    std::int64_t paid = mul_div_floor(line.paid_fen(), qty[i], line.qty());
    t.paid += paid;
    if (line.earns_points()) t.earning_paid += paid;
    t.points_fen += mul_div_floor(line.points_discount_fen(), qty[i], line.qty());
  }
  return t;
}

// More lines than any basket has (a line may be listed more than once).
constexpr std::size_t kMaxRequestedLines = 1000;

// The stored checkout and its refunds as plan_refund relies on them: positive quantities,
// non-negative amounts that sum without overflow, refunded quantities within what was bought.
Status check_records(const v1::Quote& q, std::span<const std::int64_t> refunded_qty) {
  std::int64_t paid = 0, points_fen = 0;
  for (int i = 0; i < q.lines_size(); ++i) {
    const auto& line = q.lines(i);
    auto sum_paid = checked_add(paid, line.paid_fen());
    auto sum_points = checked_add(points_fen, line.points_discount_fen());
    if (line.qty() <= 0 || line.paid_fen() < 0 || line.points_discount_fen() < 0 || !sum_paid ||
        !sum_points || refunded_qty[static_cast<std::size_t>(i)] < 0 ||
        refunded_qty[static_cast<std::size_t>(i)] > line.qty()) {
      return fail("checkout_record_corrupt",
                  fmt::format("stored checkout line {} ({}): qty {}, paid {} fen, {} refunded: "
                              "not a checkout this till could have committed",
                              i, line.sku(), line.qty(), line.paid_fen(),
                              refunded_qty[static_cast<std::size_t>(i)]));
    }
    paid = *sum_paid;
    points_fen = *sum_points;
  }
  if (q.points_to_earn() < 0 || q.points_burned() < 0) {
    return fail("checkout_record_corrupt", "stored checkout has negative points");
  }
  return {};
}

// The quantity a request names for one line, for the refusal's message (the sum may not fit).
std::string requested_total(std::span<const v1::RefundLine> requested, int line_index) {
  std::int64_t total = 0;
  for (const auto& r : requested) {
    if (r.line_index() != line_index) continue;
    auto sum = checked_add(total, r.qty());
    if (!sum) return fmt::format("more than {}", std::numeric_limits<std::int64_t>::max());
    total = *sum;
  }
  return fmt::format("{}", total);
}

}  // namespace

Result<RefundPlan> plan_refund(const v1::Quote& original,
                               std::span<const std::int64_t> refunded_qty,
                               std::span<const v1::RefundLine> requested) {
  const auto n = static_cast<std::size_t>(original.lines_size());
  if (refunded_qty.size() != n) {
    return fail("refund_invalid_line", "refunded quantities do not match the original lines");
  }
  PMA_TRY(check_records(original, refunded_qty));
  if (requested.size() > kMaxRequestedLines) {
    return fail("refund_invalid_line", fmt::format("a refund names at most {} lines, this one {}",
                                                   kMaxRequestedLines, requested.size()));
  }
  RefundPlan plan;
  plan.qty.assign(n, 0);
  if (requested.empty()) {
    for (std::size_t i = 0; i < n; ++i) plan.qty[i] = original.lines(i).qty() - refunded_qty[i];
  } else {
    for (const auto& r : requested) {
      if (r.line_index() < 0 || static_cast<std::size_t>(r.line_index()) >= n) {
        return fail("refund_invalid_line",
                    fmt::format("line_index {} is not a line of the original transaction "
                                "(it has {})",
                                r.line_index(), n));
      }
      if (r.qty() <= 0) {
        return fail("refund_invalid_line", fmt::format("line {}: refund qty {} must be positive",
                                                       r.line_index(), r.qty()));
      }
    }
    for (const auto& r : requested) {
      const auto i = static_cast<std::size_t>(r.line_index());
      // What is left of the line after earlier refunds and the earlier entries of this one; it
      // is never negative, so the comparison cannot overflow however large the request is.
      const std::int64_t left =
          original.lines(r.line_index()).qty() - refunded_qty[i] - plan.qty[i];
      if (r.qty() > left) {
        return fail(
            "refund_exceeds_purchase",
            fmt::format("line {} ({}): {} bought, {} already refunded, {} requested", i,
                        original.lines(r.line_index()).sku(), original.lines(r.line_index()).qty(),
                        refunded_qty[i], requested_total(requested, r.line_index())));
      }
      plan.qty[i] += r.qty();
    }
  }
  std::vector<std::int64_t> before(refunded_qty.begin(), refunded_qty.end());
  std::vector<std::int64_t> after(n);
  bool any = false;
  plan.fully_refunded = true;
  for (std::size_t i = 0; i < n; ++i) {
    after[i] = before[i] + plan.qty[i];  // <= the line's qty, checked above
    any = any || plan.qty[i] > 0;
    plan.fully_refunded = plan.fully_refunded && after[i] == original.lines(i).qty();
  }
  if (!any) return fail("already_refunded", "every line of this transaction is already refunded");

  Totals t0 = totals_for(original, before);
  Totals t1 = totals_for(original, after);
  Totals all = totals_for(original, [&] {
    std::vector<std::int64_t> q(n);
    for (std::size_t i = 0; i < n; ++i) q[i] = original.lines(i).qty();
    return q;
  }());
  plan.refunded_fen = t1.paid - t0.paid;
  // Earned points kept are rounded down like earning itself, so the reversal rounds up.
  auto reversed = [&](const Totals& t) {
    return all.earning_paid == 0
               ? 0
               : mul_div_ceil(original.points_to_earn(), t.earning_paid, all.earning_paid);
  };
  // Burned points come back in proportion to the points discount on the refunded items.
  auto restored = [&](const Totals& t) {
    return all.points_fen == 0
               ? 0
               : mul_div_floor(original.points_burned(), t.points_fen, all.points_fen);
  };
  plan.points_reversed = reversed(t1) - reversed(t0);
  plan.points_restored = restored(t1) - restored(t0);
  return plan;
}

}  // namespace pma::loyalty
