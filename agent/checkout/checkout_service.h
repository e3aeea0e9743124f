// CheckoutService: quotes, commits, refunds and registrations at the till, each commit one
// SQLite transaction (ledger rows, coupon state, one outbox Delta, the idempotency record).
// Borrows the Database, the PhoneHasher and the Clock, which must outlive it. Whether HQ is
// reachable comes with each request (Connectivity), never as state of the service, so no
// request prices under another's view of HQ. Online-first commits (holding at HQ first) are
// OnlineFirstCheckout's, over this service.
// Thread-compatible: one service per Database, used from the thread that owns it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/checkout/clock.h"
#include "agent/loyalty/quote.h"
#include "agent/store/member_store.h"
#include "agent/store/sqlite.h"
#include "drivers/codes/classify.h"
#include "pma/error.h"
#include "pma/v1/checkout.pb.h"
#include "pma/v1/rules.pb.h"
#include "pma/v1/sync.pb.h"

namespace pma::checkout {

struct CheckoutConfig {
  std::string store_id;         // part of provisional member ids and welcome coupon codes
  std::string terminal_id;      // the till
  codes::CodeRules card_rules;  // [codes]: a registered card number must scan as a card
};

// A response and its stored bytes. For an idempotent replay, bytes are the first response's
// bytes exactly (serve them, or message, which was parsed from them).
// What the till knows of HQ as a request is priced: offline limits apply unless online
// (agent/loyalty/README.md: the offline daily burn, coupons that need HQ).
enum class Connectivity { offline, online };

// How a commit dealt with HQ, recorded in CommitResponse.hq_check.
enum class HqCheck {
  unset,       // "": no online-first reservations on this till
  not_needed,  // "not_needed": nothing to hold (no coupon, no burn)
  reserved,    // "reserved": HQ held the coupons and burn first
  offline,     // "offline": HQ did not decide in time; offline rules applied
};
std::string_view to_string(HqCheck check);

template <typename Message>
struct Reply {
  Message message;
  std::string bytes;  // deterministic Protobuf serialisation
  bool replayed = false;
};

class CheckoutService {
 public:
  CheckoutService(store::Database& db, const pma::PhoneHasher& hasher, CheckoutConfig config,
                  const StoreClock& clock);

  // Replaces the rule set (defaults: loyalty::default_rule_set()). Errors: "invalid_rule_set".
  Status set_rules(v1::RuleSet rules);
  const v1::RuleSet& rules() const { return rules_; }

  // Prices a basket under `hq` (offline limits unless online); writes nothing. Errors:
  // "unknown_member", "invalid_request" (more than 100 coupon codes) and loyalty::quote's
  // codes, among them the rule set's caps ("basket_total_exceeds_limit", "points_exceed_limit").
  Result<v1::QuoteResponse> quote(const v1::QuoteRequest& request,
                                  Connectivity hq = Connectivity::offline);

  // What an online-first commit must hold at HQ before it commits: the coupons that apply and
  // the points burn, priced as if HQ were reachable, and the member's local entries HQ has not
  // reflected yet. nullopt when nothing needs holding (no coupon, no burn) or when txn_id was
  // already committed (the commit will replay). Writes nothing. Errors: as quote(), and
  // "invalid_request" for a missing txn_id.
  Result<std::optional<v1::ReserveRequest>> reservation_for(const v1::CommitRequest& request);

  // Commits a checkout under request.txn_id, priced under `hq`, in one transaction. A replay of
  // the same body returns the first reply; a different body under the same id:
  // "idempotency_conflict". Errors also: "invalid_request", "unknown_member",
  // "quote_changed", every coupon refusal code, loyalty::quote's codes, SQLite errors. Nothing
  // is written unless everything is. hq_check is recorded in the response.
  Result<Reply<v1::CommitResponse>> commit(const v1::CommitRequest& request,
                                           Connectivity hq = Connectivity::offline,
                                           HqCheck hq_check = HqCheck::unset);

  // Refunds (part of) a checkout committed here, under request.refund_id (idempotent as
  // commit). Errors: "invalid_request", "original_not_found" (sold elsewhere: refund through
  // HQ), "already_refunded", "refund_exceeds_purchase", "refund_invalid_line",
  // "checkout_record_corrupt". A refused refund writes nothing. `hq` marks its ledger rows
  // as booked offline or not.
  Result<Reply<v1::RefundResponse>> refund(const v1::RefundRequest& request,
                                           Connectivity hq = Connectivity::offline);

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
                       std::int64_t points_to_burn, const StoreTime& now, Connectivity hq);
  Result<v1::MemberReceipt> receipt(const store::MemberRecord& member, const StoreTime& now);

  store::Database& db_;
  const pma::PhoneHasher& hasher_;
  CheckoutConfig config_;
  const StoreClock& clock_;
  v1::RuleSet rules_;
};

// "2026-05-28T10:00:00Z" for UTC unix seconds.
std::string rfc3339_utc(std::int64_t unix_seconds);

// Deterministic serialisation (stable bytes for the same message within one build).
std::string canonical_bytes(const google::protobuf::MessageLite& message);

}  // namespace pma::checkout
