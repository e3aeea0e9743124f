// Committed checkouts and their refunds, kept so that a refund days later can reverse exactly
// what the checkout did (the outbox rows are pruned once HQ has them). A checkout's quote is the
// one in its idempotency record (store/idempotency.h), written with it by the commit: stored
// once. Borrows the Database; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "agent/store/sqlite.h"
#include "pma/v1/checkout.pb.h"

namespace pma::checkout {

// A checkout as committed: its priced quote and when (its Delta's occurred_at_ms).
struct CommittedCheckout {
  v1::Quote quote;
  std::int64_t committed_at_ms = 0;  // UTC
};

class CheckoutRecords {
 public:
  explicit CheckoutRecords(store::Database& db) : db_(db) {}

  // Errors: "checkout_record_corrupt" when the stored quote does not decode.
  Result<std::optional<CommittedCheckout>> find_checkout(std::string_view txn_id);

  // Quantities already refunded per line of txn_id (size line_count). Errors:
  // "checkout_record_corrupt" when a line's rows are negative or do not sum in int64.
  Result<std::vector<std::int64_t>> refunded_qty(std::string_view txn_id, int line_count);
  Status add_refund(std::string_view refund_id, std::string_view txn_id,
                    const std::vector<std::int64_t>& qty, std::int64_t now_ms);

 private:
  store::Database& db_;
};

}  // namespace pma::checkout
