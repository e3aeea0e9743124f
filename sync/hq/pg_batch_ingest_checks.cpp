// PgBatchIngest's facts for authorise_delta (delta_authorisation.h): a coupon's owner, a
// terminal's sale.
#include "sync/hq/delta_checks.h"
#include "sync/hq/pg_batch_ingest.h"

namespace pma::hq {

Result<std::optional<std::string>> PgBatchIngest::coupon_owner(const std::string& code) {
  PMA_TRY_ASSIGN(auto q,
                 db_.prepare("SELECT COALESCE(member_id, '') FROM coupons WHERE code = $1"));
  q.bind(1, code);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return std::optional<std::string>();
  std::string owner = q.column_text(0);
  PMA_TRY(q.run());
  return std::optional<std::string>(std::move(owner));
}

Result<std::optional<Sale>> PgBatchIngest::find_sale(const TerminalIdentity& terminal,
                                                     const std::string& txn_id) {
  for (const std::int64_t kind :
       {static_cast<std::int64_t>(pma::v1::Delta::kCheckout), std::int64_t{0}}) {
    if (kind == 0 && !core_.kind0_identities()) break;
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare(
            "SELECT member_id IS NOT NULL, COALESCE(member_id, ''), COALESCE(paid_fen, 0) - "
            "refunded_fen, COALESCE(points_earned, 0) - points_reversed, COALESCE(points_burned, "
            "0) "
            "- points_restored FROM deltas WHERE store_id = $1 AND terminal_id = $2 AND txn_id = "
            "$3 "
            "AND kind = $4 AND unkeyed_seq = 0"));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id).bind(4, kind);
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) continue;
    Sale sale{q.column_int64(0) != 0, q.column_text(1),  q.column_int64(2),
              q.column_int64(3),      q.column_int64(4), kind};
    PMA_TRY(q.run());
    return std::optional<Sale>(std::move(sale));
  }
  return std::optional<Sale>();
}

}  // namespace pma::hq
