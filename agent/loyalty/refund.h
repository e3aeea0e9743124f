// Plans a (partial) refund of a committed checkout: which quantities, how much money, how many
// earned points are reversed and burned points restored. Pure; thread-safe.
// Amounts are computed on cumulative refunded quantities, so several partial refunds add up
// exactly to a whole refund (see README.md, "Refunds").
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "pma/error.h"
#include "pma/v1/checkout.pb.h"

namespace pma::loyalty {

struct RefundPlan {
  std::vector<std::int64_t> qty;  // refunded by this refund, per original line
  std::int64_t refunded_fen = 0;
  std::int64_t points_reversed = 0;  // earned points taken back (>= 0)
  std::int64_t points_restored = 0;  // burned points given back (>= 0)
  bool fully_refunded = false;       // every line refunded once this refund is applied
};

// original: the quote the checkout committed. refunded_qty: per line, already refunded by
// earlier refunds. requested: empty for everything not refunded yet.
// Errors: "refund_invalid_line" (unknown line index, qty <= 0, more than 1,000 lines),
// "refund_exceeds_purchase" (more than is left of a line, however large the numbers: nothing
// overflows), "already_refunded", "checkout_record_corrupt" (original or refunded_qty not as
// committed: a quantity <= 0, a negative amount, refunded_qty outside 0..qty).
Result<RefundPlan> plan_refund(const v1::Quote& original,
                               std::span<const std::int64_t> refunded_qty,
                               std::span<const v1::RefundLine> requested);

}  // namespace pma::loyalty
