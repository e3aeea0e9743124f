// CheckoutService::refund: reverses (part of) a checkout committed at this store.
#include "agent/loyalty/refund.h"

#include <fmt/format.h>

#include "agent/checkout/checkout_records.h"
#include "agent/checkout/checkout_service.h"
#include "agent/checkout/replay.h"
#include "agent/store/coupon_store.h"
#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"
#include "agent/store/outbox.h"
#include "pma/error.h"

namespace pma::checkout {

Result<Reply<v1::RefundResponse>> CheckoutService::refund(const v1::RefundRequest& request,
                                                          Connectivity hq) {
  if (request.refund_id().empty() || request.refund_id().size() > 128 ||
      request.original_txn_id().empty()) {
    return fail("invalid_request", "refund_id (1..128 characters) and original_txn_id are needed");
  }
  const std::string key = "refund:" + request.refund_id();
  const std::string request_bytes = canonical_bytes(request);
  PMA_TRY_ASSIGN(auto tx, store::Transaction::begin(db_));
  store::IdempotencyStore idempotency(db_);
  PMA_TRY_ASSIGN(auto replay, find_replay<v1::RefundResponse>(idempotency, key, request_bytes,
                                                              "refund " + request.refund_id()));
  if (replay) return std::move(*replay);

  CheckoutRecords records(db_);
  PMA_TRY_ASSIGN(auto original, records.find_checkout(request.original_txn_id()));
  if (!original) {
    return fail("original_not_found",
                fmt::format("transaction {} was not committed at this till; refund it through HQ",
                            request.original_txn_id()));
  }
  const v1::Quote& q = original->quote;
  PMA_TRY_ASSIGN(auto done, records.refunded_qty(request.original_txn_id(), q.lines_size()));
  std::vector<v1::RefundLine> wanted(request.lines().begin(), request.lines().end());
  PMA_TRY_ASSIGN(auto plan, loyalty::plan_refund(q, done, wanted));

  const StoreTime now = clock_.now();
  const std::int64_t now_s = now.now_ms / 1000;
  Reply<v1::RefundResponse> reply;
  v1::RefundResponse& response = reply.message;
  response.set_refund_id(request.refund_id());
  response.set_original_txn_id(request.original_txn_id());
  response.set_member_id(q.member_id());
  response.set_refunded_fen(plan.refunded_fen);
  response.set_points_reversed(plan.points_reversed);
  response.set_points_restored(plan.points_restored);
  response.set_fully_refunded(plan.fully_refunded);
  response.set_refunded_at_ms(now.now_ms);

  // Coupons come back only when the whole transaction has been refunded and they are still
  // within their validity window (rule refund.restore_coupons).
  store::CouponStore coupons(db_);
  for (const auto& c : q.coupons()) {
    auto refuse = [&](const char* code, const char* why) {
      auto* d = response.add_coupons_not_restored();
      d->set_code(c.code());
      d->set_reason_code(code);
      d->set_reason(why);
    };
    if (!plan.fully_refunded) {
      refuse("partial_refund", "coupons come back when the whole transaction is refunded");
      continue;
    }
    if (!rules_.refund().restore_coupons()) {
      refuse("coupon_not_restorable", "the rule set does not restore coupons on refunds");
      continue;
    }
    PMA_TRY_ASSIGN(auto found, coupons.find(c.code()));
    if (!found || found->state != "redeemed" || found->redeemed_txn != request.original_txn_id()) {
      refuse("coupon_not_redeemed", "the coupon is no longer held by this transaction");
      continue;
    }
    if (now_s >= found->valid_until) {
      refuse("coupon_expired", "the coupon has expired since it was used");
      continue;
    }
    PMA_TRY(coupons.restore(c.code(), request.original_txn_id(), now_s));
    response.add_coupons_restored(c.code());
  }

  v1::Delta delta;
  delta.set_txn_id(request.refund_id());
  delta.set_occurred_at_ms(now.now_ms);
  PMA_TRY_ASSIGN(auto seq, store::Outbox(db_).next_seq());
  if (!q.member_id().empty()) {
    store::Ledger ledger(db_);
    // Written in full even if the balance goes negative: a negative balance is the points
    // debt, never floored away.
    store::LedgerEntry reverse{.member_id = q.member_id(),
                               .txn_id = request.refund_id(),
                               .kind = "refund_reverse",
                               .points = -plan.points_reversed,
                               .amount_fen = -plan.refunded_fen,
                               .created_at_ms = now.now_ms,
                               .outbox_seq = seq,
                               .offline = hq != Connectivity::online};
    PMA_TRY(ledger.append(reverse));
    if (plan.points_restored > 0) {
      store::LedgerEntry restore = reverse;
      restore.kind = "refund_restore";
      restore.points = plan.points_restored;
      restore.amount_fen = 0;
      PMA_TRY(ledger.append(restore));
    }
    store::MemberStore members(db_, hasher_);
    PMA_TRY_ASSIGN(auto member, members.find_by_id(q.member_id(), now_s));
    // Name, card and tier from the member's record; points under the purchase's member id.
    store::MemberRecord who = member ? *member : store::MemberRecord{};
    who.member_id = q.member_id();
    PMA_TRY_ASSIGN(auto r, receipt(who, now));
    r.set_points_used(-plan.points_restored);
    r.set_points_earned(-plan.points_reversed);
    r.set_transaction_id(request.refund_id());
    response.set_new_balance(r.points_balance());
    response.set_points_debt(r.points_debt());
    *response.mutable_receipt() = std::move(r);
  }
  auto* body = delta.mutable_refund();
  body->set_member_id(q.member_id());
  body->set_original_txn_id(request.original_txn_id());
  body->set_refunded_fen(plan.refunded_fen);
  body->set_points_reversed(plan.points_reversed);
  body->set_points_restored(plan.points_restored);
  *body->mutable_coupons_restored() = response.coupons_restored();
  body->set_points_debt(response.points_debt());
  // HQ takes the spend back from the purchase's month, not the refund's.
  body->set_original_occurred_at_ms(original->committed_at_ms);
  PMA_TRY_ASSIGN(auto appended, store::Outbox(db_).append(delta, "refund"));
  response.set_outbox_seq(appended);
  if (auto ok =
          records.add_refund(request.refund_id(), request.original_txn_id(), plan.qty, now.now_ms);
      !ok) {
    return std::unexpected(ok.error());
  }
  reply.bytes = canonical_bytes(response);
  PMA_TRY(idempotency.put(key, {request_bytes, reply.bytes, now.now_ms}));
  PMA_TRY(tx.commit());
  return reply;
}

}  // namespace pma::checkout
