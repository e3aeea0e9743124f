// Prices one basket for one member under one rule set: tier price, coupons, points, earning and
// tier progress. Pure: no I/O, no clock reads (time, member, coupons and rules come in).
// Thread-safe. The order of operations and every rounding rule: agent/loyalty/README.md.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "agent/loyalty/rules.h"
#include "pma/error.h"
#include "pma/v1/checkout.pb.h"

namespace pma::loyalty {

// The member as the till knows it now.
struct MemberView {
  std::string member_id;
  v1::Tier tier = v1::TIER_NORMAL;
  // Current balance (may be negative: a points debt after a refund).
  std::int64_t points = 0;
  std::string birthday;  // "MM-DD" or empty
  // Rolling 12-month spend before this checkout.
  std::int64_t spend_12m_fen = 0;
};

// One requested coupon code and what the store knows of it.
struct CouponView {
  std::string code;
  bool found = false;     // false: no such coupon in the store
  std::string member_id;  // empty: a bearer coupon anyone may use
  std::string template_id;
  std::int64_t valid_from_s = 0;   // UTC unix seconds, inclusive
  std::int64_t valid_until_s = 0;  // UTC unix seconds, exclusive
  std::string state;               // "issued", "redeemed" or "revoked"
};

struct QuoteContext {
  LocalDate local_date;     // store-local: member days and birthdays
  std::int64_t now_ms = 0;  // UTC: coupon validity
  bool hq_online = true;
  // Points this member already burned today at this store (for the offline limit).
  std::int64_t burned_today = 0;
};

struct QuoteInput {
  std::span<const v1::BasketLine> lines;
  const MemberView* member = nullptr;  // nullptr: no member
  // In the order the POS listed the codes.
  std::span<const CouponView> coupons;
  std::int64_t points_to_burn = 0;
};

// Prices the basket. Coupons that do not apply are listed with their reason and do not fail
// the quote. Errors (the rule that refused): "invalid_basket", "invalid_points",
// "points_exceed_limit" (burn or earn above the rule set's per-transaction cap),
// "basket_total_exceeds_limit" (gross above limits.max_basket_total_fen), "points_need_member",
// "points_not_whole_units", "insufficient_points", "points_offline_limit",
// "points_exceed_bill_share", "amount_out_of_range" (a sum that does not fit in int64, only
// reachable with extreme rule sets or member data).
Result<v1::Quote> quote(const QuoteInput& input, const v1::RuleSet& rules,
                        const QuoteContext& context);

// The first requested coupon that does not apply, as an error ("coupon_expired", ...), for
// callers that must not proceed without every coupon (commit).
Status require_all_coupons(const v1::Quote& quote);

}  // namespace pma::loyalty
