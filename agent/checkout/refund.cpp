// CheckoutService::refund: reverses (part of) a checkout committed at this store.
#include "loyalty/refund.h"

#include <fmt/format.h>

#include "checkout/checkout_records.h"
#include "checkout/checkout_service.h"
#include "checkout/replay.h"
#include "store/coupon_store.h"
#include "store/idempotency.h"
#include "store/ledger.h"
#include "store/outbox.h"

namespace pma::checkout {

Result<Reply<v1::RefundResponse>> CheckoutService::refund(const v1::RefundRequest& request,
                                                          Connectivity hq) {
  if (request.refund_id().empty() || request.refund_id().size() > 128 ||
      request.original_txn_id().empty()) {
    return fail("invalid_request", "refund_id (1..128 characters) and original_txn_id are needed");
  }
  const std::string key = "refund:" + request.refund_id();
  const std::string request_bytes = canonical_bytes(request);
  auto tx = store::Transaction::begin(db_);
  if (!tx) return std::unexpected(tx.error());
  store::IdempotencyStore idempotency(db_);
  auto replay = find_replay<v1::RefundResponse>(idempotency, key, request_bytes,
                                                "refund " + request.refund_id());
  if (!replay) return std::unexpected(replay.error());
  if (*replay) return std::move(**replay);

  CheckoutRecords records(db_);
  auto original = records.find_checkout(request.original_txn_id());
  if (!original) return std::unexpected(original.error());
  if (!*original) {
    return fail("original_not_found",
                fmt::format("transaction {} was not committed at this till; refund it through HQ",
                            request.original_txn_id()));
  }
  const v1::Quote& q = (*original)->quote;
  auto done = records.refunded_qty(request.original_txn_id(), q.lines_size());
  if (!done) return std::unexpected(done.error());
  std::vector<v1::RefundLine> wanted(request.lines().begin(), request.lines().end());
  auto plan = loyalty::plan_refund(q, *done, wanted);
  if (!plan) return std::unexpected(plan.error());

  const StoreTime now = clock_.now();
  const std::int64_t now_s = now.now_ms / 1000;
  Reply<v1::RefundResponse> reply;
  v1::RefundResponse& response = reply.message;
  response.set_refund_id(request.refund_id());
  response.set_original_txn_id(request.original_txn_id());
  response.set_member_id(q.member_id());
  response.set_refunded_fen(plan->refunded_fen);
  response.set_points_reversed(plan->points_reversed);
  response.set_points_restored(plan->points_restored);
  response.set_fully_refunded(plan->fully_refunded);
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
    if (!plan->fully_refunded) {
      refuse("partial_refund", "coupons come back when the whole transaction is refunded");
      continue;
    }
    if (!rules_.refund().restore_coupons()) {
      refuse("coupon_not_restorable", "the rule set does not restore coupons on refunds");
      continue;
    }
    auto found = coupons.find(c.code());
    if (!found) return std::unexpected(found.error());
    if (!*found || (*found)->state != "redeemed" ||
        (*found)->redeemed_txn != request.original_txn_id()) {
      refuse("coupon_not_redeemed", "the coupon is no longer held by this transaction");
      continue;
    }
    if (now_s >= (*found)->valid_until) {
      refuse("coupon_expired", "the coupon has expired since it was used");
      continue;
    }
    if (auto ok = coupons.restore(c.code(), request.original_txn_id(), now_s); !ok) {
      return std::unexpected(ok.error());
    }
    response.add_coupons_restored(c.code());
  }

  v1::Delta delta;
  delta.set_txn_id(request.refund_id());
  delta.set_occurred_at_ms(now.now_ms);
  auto seq = store::Outbox(db_).next_seq();
  if (!seq) return std::unexpected(seq.error());
  if (!q.member_id().empty()) {
    store::Ledger ledger(db_);
    // Written in full even if the balance goes negative: a negative balance is the points
    // debt, never floored away.
    store::LedgerEntry reverse{.member_id = q.member_id(),
                               .txn_id = request.refund_id(),
                               .kind = "refund_reverse",
                               .points = -plan->points_reversed,
                               .amount_fen = -plan->refunded_fen,
                               .created_at_ms = now.now_ms,
                               .outbox_seq = *seq,
                               .offline = hq != Connectivity::online};
    if (auto ok = ledger.append(reverse); !ok) return std::unexpected(ok.error());
    if (plan->points_restored > 0) {
      store::LedgerEntry restore = reverse;
      restore.kind = "refund_restore";
      restore.points = plan->points_restored;
      restore.amount_fen = 0;
      if (auto ok = ledger.append(restore); !ok) return std::unexpected(ok.error());
    }
    store::MemberStore members(db_, hasher_);
    auto member = members.find_by_id(q.member_id(), now_s);
    if (!member) return std::unexpected(member.error());
    // Name, card and tier from the member's record; points under the purchase's member id.
    store::MemberRecord who = *member ? **member : store::MemberRecord{};
    who.member_id = q.member_id();
    auto r = receipt(who, now);
    if (!r) return std::unexpected(r.error());
    r->set_points_used(-plan->points_restored);
    r->set_points_earned(-plan->points_reversed);
    r->set_transaction_id(request.refund_id());
    response.set_new_balance(r->points_balance());
    response.set_points_debt(r->points_debt());
    *response.mutable_receipt() = std::move(*r);
  }
  auto* body = delta.mutable_refund();
  body->set_member_id(q.member_id());
  body->set_original_txn_id(request.original_txn_id());
  body->set_refunded_fen(plan->refunded_fen);
  body->set_points_reversed(plan->points_reversed);
  body->set_points_restored(plan->points_restored);
  *body->mutable_coupons_restored() = response.coupons_restored();
  body->set_points_debt(response.points_debt());
  // HQ takes the spend back from the purchase's month, not the refund's.
  body->set_original_occurred_at_ms((*original)->committed_at_ms);
  auto appended = store::Outbox(db_).append(delta, "refund");
  if (!appended) return std::unexpected(appended.error());
  response.set_outbox_seq(*appended);
  if (auto ok =
          records.add_refund(request.refund_id(), request.original_txn_id(), plan->qty, now.now_ms);
      !ok) {
    return std::unexpected(ok.error());
  }
  reply.bytes = canonical_bytes(response);
  if (auto ok = idempotency.put(key, {request_bytes, reply.bytes, now.now_ms}); !ok) {
    return std::unexpected(ok.error());
  }
  if (auto ok = tx->commit(); !ok) return std::unexpected(ok.error());
  return reply;
}

}  // namespace pma::checkout
