// CheckoutService::reservation_for: what an online-first commit holds at HQ before it commits.
#include "agent/checkout/checkout_service.h"
#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"

namespace pma::checkout {

Result<std::optional<v1::ReserveRequest>> CheckoutService::reservation_for(
    const v1::CommitRequest& request) {
  if (request.txn_id().empty()) return fail("invalid_request", "txn_id is required");
  PMA_TRY_ASSIGN(auto previous, store::IdempotencyStore(db_).find("checkout:" + request.txn_id()));
  if (previous) return std::optional<v1::ReserveRequest>();  // a replay holds nothing new
  if (request.coupon_codes().empty() && request.points_to_burn() <= 0) {
    return std::optional<v1::ReserveRequest>();
  }
  // Priced as HQ would allow it: the reservation is what makes the online rules safe.
  PMA_TRY_ASSIGN(auto priced, price(request.member_id(), request.lines(), request.coupon_codes(),
                                    request.points_to_burn(), clock_.now(), Connectivity::online));
  const v1::Quote& q = priced.quote;
  v1::ReserveRequest out;
  out.set_txn_id(request.txn_id());
  out.set_member_id(q.member_id());
  for (const auto& c : q.coupons()) {
    if (c.applies()) out.add_coupon_codes(c.code());
  }
  out.set_points(q.points_burned());
  if (out.coupon_codes().empty() && out.points() == 0) return std::optional<v1::ReserveRequest>();
  if (!q.member_id().empty()) {
    PMA_TRY_ASSIGN(auto entries, store::Ledger(db_).unreflected(q.member_id()));
    for (const auto& e : entries) {
      if (e.points == 0) continue;
      auto* u = out.add_unreflected();
      u->set_seq(e.outbox_seq);
      u->set_txn_id(e.txn_id);
      u->set_points(e.points);
    }
  }
  return std::optional<v1::ReserveRequest>(std::move(out));
}

}  // namespace pma::checkout
