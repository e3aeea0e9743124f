#include "agent/loyalty/rules.h"

#include <fmt/format.h>

#include <algorithm>

#include "pma/limits.h"

namespace pma::loyalty {

namespace {

v1::TierRule make_tier(v1::Tier tier, int permille, std::int64_t threshold_fen) {
  v1::TierRule rule;
  rule.set_tier(tier);
  rule.set_price_permille(permille);
  rule.set_upgrade_spend_fen(threshold_fen);
  rule.set_points_multiplier_percent(100);
  return rule;
}

}  // namespace

v1::RuleSet default_rule_set() {
  v1::RuleSet rules;
  rules.set_version(1);
  rules.mutable_earning()->set_points_per_yuan(1);
  *rules.add_tiers() = make_tier(v1::TIER_NORMAL, 950, 0);
  *rules.add_tiers() = make_tier(v1::TIER_SILVER, 900, 100'000);
  *rules.add_tiers() = make_tier(v1::TIER_GOLD, 850, 500'000);
  auto* bonus = rules.mutable_bonus_days();
  bonus->add_member_days_of_month(8);
  bonus->set_member_day_multiplier_percent(200);
  bonus->set_birthday_multiplier_percent(200);
  auto* redemption = rules.mutable_redemption();
  redemption->set_points_per_unit(1000);
  redemption->set_unit_value_fen(5000);
  redemption->set_max_bill_share_percent(50);
  auto* welcome = rules.add_coupon_templates();
  welcome->set_id("welcome");
  welcome->set_title("Welcome: 10 yuan off");
  welcome->set_kind(v1::CouponTemplate::KIND_FIXED);
  welcome->set_amount_fen(1000);
  welcome->set_offline_redemption_allowed(true);
  welcome->set_validity_days(30);
  rules.set_welcome_coupon_template_id("welcome");
  rules.mutable_offline()->set_max_points_burned_per_member_per_day(2000);
  rules.mutable_refund()->set_restore_coupons(true);
  rules.mutable_limits()->set_max_basket_total_fen(kDefaultMaxBasketTotalFen);
  rules.mutable_limits()->set_max_points_per_transaction(kDefaultMaxPointsPerTransaction);
  return rules;
}

Status validate_rule_set(const v1::RuleSet& rules) {
  auto bad = [](std::string what) { return fail("invalid_rule_set", std::move(what)); };
  if (rules.earning().points_per_yuan() < 0) return bad("earning.points_per_yuan is negative");
  if (rules.earning().min_eligible_fen() < 0) return bad("earning.min_eligible_fen is negative");
  for (v1::Tier tier : {v1::TIER_NORMAL, v1::TIER_SILVER, v1::TIER_GOLD}) {
    const v1::TierRule* rule = find_tier(rules, tier);
    if (rule == nullptr) {
      return bad(fmt::format("tiers: no rule for {}", v1::Tier_Name(tier)));
    }
    if (rule->price_permille() < 1 || rule->price_permille() > 1000) {
      return bad(fmt::format("tiers[{}].price_permille {} is outside 1..1000", v1::Tier_Name(tier),
                             rule->price_permille()));
    }
    if (rule->points_multiplier_percent() < 0 || rule->points_multiplier_percent() > 1000) {
      return bad(fmt::format("tiers[{}].points_multiplier_percent is outside 0..1000",
                             v1::Tier_Name(tier)));
    }
    if (rule->upgrade_spend_fen() < 0) {
      return bad(fmt::format("tiers[{}].upgrade_spend_fen is negative", v1::Tier_Name(tier)));
    }
  }
  const auto& bonus = rules.bonus_days();
  for (int day : bonus.member_days_of_month()) {
    if (day < 1 || day > 31) return bad(fmt::format("bonus_days: member day {} invalid", day));
  }
  if (bonus.member_day_multiplier_percent() < 0 || bonus.member_day_multiplier_percent() > 1000 ||
      bonus.birthday_multiplier_percent() < 0 || bonus.birthday_multiplier_percent() > 1000) {
    return bad("bonus_days: multipliers must be within 0..1000 percent");
  }
  const auto& redemption = rules.redemption();
  if (redemption.points_per_unit() <= 0 || redemption.unit_value_fen() <= 0) {
    return bad("redemption: points_per_unit and unit_value_fen must be positive");
  }
  if (redemption.max_bill_share_percent() < 0 || redemption.max_bill_share_percent() > 100) {
    return bad("redemption.max_bill_share_percent is outside 0..100");
  }
  for (const auto& t : rules.coupon_templates()) {
    if (t.id().empty()) return bad("coupon_templates: a template has no id");
    bool fixed_ok = t.kind() == v1::CouponTemplate::KIND_FIXED && t.amount_fen() > 0;
    bool percent_ok = t.kind() == v1::CouponTemplate::KIND_PERCENT && t.percent_off() > 0 &&
                      t.percent_off() <= 100;
    if (!fixed_ok && !percent_ok) {
      return bad(
          fmt::format("coupon_templates[{}]: needs a positive amount_fen (fixed) or "
                      "percent_off in 1..100 (percent)",
                      t.id()));
    }
    if (t.min_spend_fen() < 0 || t.validity_days() < 0) {
      return bad(
          fmt::format("coupon_templates[{}]: negative min_spend_fen or validity_days", t.id()));
    }
  }
  if (!rules.welcome_coupon_template_id().empty() &&
      find_template(rules, rules.welcome_coupon_template_id()) == nullptr) {
    return bad(fmt::format("welcome_coupon_template_id '{}' names no template",
                           rules.welcome_coupon_template_id()));
  }
  if (rules.offline().max_points_burned_per_member_per_day() < 0) {
    return bad("offline.max_points_burned_per_member_per_day is negative");
  }
  return {};
}

const v1::TierRule* find_tier(const v1::RuleSet& rules, v1::Tier tier) {
  for (const auto& rule : rules.tiers()) {
    if (rule.tier() == tier) return &rule;
  }
  return nullptr;
}

const v1::CouponTemplate* find_template(const v1::RuleSet& rules, std::string_view id) {
  for (const auto& t : rules.coupon_templates()) {
    if (t.id() == id) return &t;
  }
  return nullptr;
}

bool needs_hq_online(const v1::RuleSet& rules, const v1::CouponTemplate& tmpl) {
  if (!tmpl.offline_redemption_allowed()) return true;
  const auto& ids = rules.offline().online_only_template_ids();
  return std::find(ids.begin(), ids.end(), tmpl.id()) != ids.end();
}

}  // namespace pma::loyalty
