// The loyalty rule set (pma.v1.RuleSet): defaults, validation and look-ups. The store-local
// date the rules need is pma::LocalDate (pma/calendar.h). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "pma/calendar.h"
#include "pma/error.h"
#include "pma/v1/rules.pb.h"

namespace pma::loyalty {

// The chain defaults: 1 point per yuan; normal 95%, silver 90% (from 1,000 yuan), gold 85% (from
// 5,000 yuan); member day the 8th and birthdays double points; 1,000 points = 50 yuan capped at
// 50% of the bill; a 10-yuan welcome coupon (no threshold, 30 days, offline allowed); offline at
// most 2,000 points burned per member per day; coupons restored on a full refund; at most
// 1,000,000 yuan (100,000,000 fen) per basket and 1,000,000 points earned or burned per
// transaction (limits, spelled out although 0 means the same defaults, pma/limits.h).
v1::RuleSet default_rule_set();

// Refuses a rule set that would price nonsense ("invalid_rule_set", naming the field).
Status validate_rule_set(const v1::RuleSet& rules);

// The rule for a tier, or nullptr when the rule set has none.
const v1::TierRule* find_tier(const v1::RuleSet& rules, v1::Tier tier);
const v1::CouponTemplate* find_template(const v1::RuleSet& rules, std::string_view id);

// Whether the template may only be redeemed while HQ is reachable.
bool needs_hq_online(const v1::RuleSet& rules, const v1::CouponTemplate& tmpl);

}  // namespace pma::loyalty
