// CheckoutService: quotes, commits, refunds and registrations at the till, each commit one
// SQLite transaction (ledger rows, coupon state, one outbox Delta, the idempotency record).
// Borrows the Database, the PhoneHasher and the Clock, which must outlive it.
// Thread-compatible: one service per Database, used from the thread that owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "checkout/clock.h"
#include "loyalty/quote.h"
#include "pma/error.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/rules.pb.h"
#include "pma/v1/sync.pb.h"
#include "store/member_store.h"
#include "store/sqlite.h"

namespace pma::checkout {

struct CheckoutConfig {
  std::string store_id;     // part of provisional member ids and welcome coupon codes
  std::string terminal_id;  // the till
};

// A response and its stored bytes. For an idempotent replay, bytes are the first response's
// bytes exactly (serve them, or message, which was parsed from them).
template <typename Message>
struct Reply {
  Message message;
  std::string bytes;  // deterministic Protobuf serialisation
  bool replayed = false;
};

class CheckoutService {
 public:
  CheckoutService(store::Database& db, const pma::PhoneHasher& hasher, CheckoutConfig config,
                  const Clock& clock);

  // Replaces the rule set (defaults: loyalty::default_rule_set()). Errors: "invalid_rule_set".
  Status set_rules(v1::RuleSet rules);
  const v1::RuleSet& rules() const { return rules_; }
  // Whether HQ is reachable now (offline limits apply while it is not). Default: false.
  void set_hq_online(bool online) { hq_online_ = online; }

  // Prices a basket; writes nothing. Errors: "member_not_found", "invalid_request" (more than
  // 100 coupon codes) and loyalty::quote's codes, among them the rule set's caps
  // ("basket_total_exceeds_limit", "points_exceed_limit").
  Result<v1::QuoteResponse> quote(const v1::QuoteRequest& request);

  // What an online-first commit must hold at HQ before it commits: the coupons that apply and
  // the points burn, priced as if HQ were reachable, and the member's local entries HQ has not
  // reflected yet. nullopt when nothing needs holding (no coupon, no burn) or when txn_id was
  // already committed (the commit will replay). Writes nothing. Errors: as quote(), and
  // "invalid_request" for a missing txn_id.
  Result<std::optional<v1::ReserveRequest>> reservation_for(const v1::CommitRequest& request);

  // Commits a checkout under request.txn_id. A replay of the same body returns the first reply;
  // a different body under the same id: "idempotency_conflict". Errors also: "invalid_request",
  // "member_not_found", "quote_changed", every coupon refusal code, loyalty::quote's codes,
  // SQLite errors. Nothing is written unless everything is. hq_check is recorded in the
  // response ("reserved", "offline", ...; see CommitResponse.hq_check).
  Result<Reply<v1::CommitResponse>> commit(const v1::CommitRequest& request,
                                           std::string_view hq_check = {});

  // Refunds (part of) a checkout committed here, under request.refund_id (idempotent as
  // commit). Errors: "invalid_request", "original_not_found" (sold elsewhere: refund through
  // HQ), "already_refunded", "refund_exceeds_purchase", "refund_invalid_line",
  // "checkout_record_corrupt". A refused refund writes nothing.
  Result<Reply<v1::RefundResponse>> refund(const v1::RefundRequest& request);

  // Registers a member at the till, or returns the existing member with that phone
  // (created = false). Errors: "invalid_phone", "invalid_birthday", "invalid_request",
  // "member_conflict" (card number taken).
  Result<v1::RegisterMemberResponse> register_member(const v1::RegisterMemberRequest& request);

 private:
  struct Priced {
    v1::Quote quote;
    store::MemberRecord member;  // empty member_id without a member
  };
  Result<Priced> price(const std::string& member_id,
                       const google::protobuf::RepeatedPtrField<v1::BasketLine>& lines,
                       const google::protobuf::RepeatedPtrField<std::string>& coupon_codes,
                       std::int64_t points_to_burn, const StoreTime& now);
  Result<v1::MemberReceipt> receipt(const store::MemberRecord& member, const StoreTime& now);

  store::Database& db_;
  const pma::PhoneHasher& hasher_;
  CheckoutConfig config_;
  const Clock& clock_;
  v1::RuleSet rules_;
  bool hq_online_ = false;
};

// "2026-05-28T10:00:00Z" for UTC unix seconds.
std::string rfc3339_utc(std::int64_t unix_seconds);

// Deterministic serialisation (stable bytes for the same message within one build).
std::string canonical_bytes(const google::protobuf::MessageLite& message);

}  // namespace pma::checkout
