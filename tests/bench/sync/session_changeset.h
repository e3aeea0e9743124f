// The SQLite session-extension baseline for bench_sync: the same checkouts written to tables
// under a session, and the size of the resulting changeset. Single-threaded.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pma::bench {

struct BasketLine {
  std::string sku;
  std::int64_t qty;
  std::int64_t unit_price_fen;
};

struct CheckoutRow {
  std::int64_t seq;
  std::string txn_id;
  std::string member_id;
  std::int64_t occurred_at_ms;
  std::int64_t gross_fen;
  std::int64_t tier_discount_fen;
  std::int64_t paid_fen;
  std::int64_t points_earned;
  std::int64_t rule_set_version;
  std::vector<BasketLine> lines;  // not part of the changeset (only the wire figure with lines)
};

// The changeset bytes of inserting rows into an outbox-like table (and a ledger row for each
// member checkout).
std::vector<std::uint8_t> session_changeset(const std::vector<CheckoutRow>& rows);

}  // namespace pma::bench
