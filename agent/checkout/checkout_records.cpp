#include "agent/checkout/checkout_records.h"

#include <fmt/format.h>

#include "agent/store/idempotency.h"
#include "pma/limits.h"

namespace pma::checkout {

Result<std::optional<CommittedCheckout>> CheckoutRecords::find_checkout(std::string_view txn_id) {
  PMA_TRY_ASSIGN(auto found, store::IdempotencyStore(db_).find_checkout(txn_id));
  if (!found) return std::optional<CommittedCheckout>();
  return std::optional<CommittedCheckout>(
      CommittedCheckout{std::move(found->quote), found->committed_at_ms});
}

Result<std::vector<std::int64_t>> CheckoutRecords::refunded_qty(std::string_view txn_id,
                                                                int line_count) {
  std::vector<std::int64_t> qty(static_cast<std::size_t>(line_count), 0);
  // Summed here with overflow checks rather than with SQL's SUM, which fails the whole query
  // ("integer overflow") on rows a buggy or tampered database may hold.
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare("SELECT line_index, qty FROM refund_lines WHERE txn_id = ?1"));
  stmt.bind(1, txn_id);
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    auto index = stmt.column_int64(0);
    auto line_qty = stmt.column_int64(1);
    if (index < 0 || index >= line_count) continue;
    auto sum =
        line_qty < 0 ? std::nullopt : checked_add(qty[static_cast<std::size_t>(index)], line_qty);
    if (!sum) {
      return fail("checkout_record_corrupt",
                  fmt::format("refunds of {} line {} do not add up to a quantity", txn_id, index));
    }
    qty[static_cast<std::size_t>(index)] = *sum;
  }
  return qty;
}

Status CheckoutRecords::add_refund(std::string_view refund_id, std::string_view txn_id,
                                   const std::vector<std::int64_t>& qty, std::int64_t now_ms) {
  for (std::size_t i = 0; i < qty.size(); ++i) {
    if (qty[i] == 0) continue;
    // One borrow per row: the cached statement is reset when the borrow ends.
    PMA_TRY_ASSIGN(
        auto stmt,
        db_.prepare("INSERT INTO refund_lines(refund_id, txn_id, line_index, qty, created_at) "
                    "VALUES (?1, ?2, ?3, ?4, ?5)"));
    stmt.bind_all(refund_id, txn_id, static_cast<std::int64_t>(i), qty[i], now_ms);
    if (auto ok = stmt.run(); !ok) return ok;
  }
  return {};
}

}  // namespace pma::checkout
