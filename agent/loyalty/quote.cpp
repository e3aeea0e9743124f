#include "agent/loyalty/quote.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "agent/loyalty/money.h"
#include "pma/error.h"
#include "pma/limits.h"
#include "pma/tier.h"

namespace pma::loyalty {

namespace {

// What the cashier and the receipt read for the tier discount: "Gold member price 85%", never
// the enum's name. An odd per mille keeps its decimal ("87.5%").
std::string tier_price_label(v1::Tier tier, std::int32_t permille) {
  std::string_view name = tier == v1::TIER_GOLD     ? "Gold member"
                          : tier == v1::TIER_SILVER ? "Silver member"
                                                    : "Member";
  if (permille % 10 == 0) return fmt::format("{} price {}%", name, permille / 10);
  return fmt::format("{} price {}.{}%", name, permille / 10, permille % 10);
}

constexpr std::int64_t kMaxQty = 1'000'000;
constexpr std::int64_t kMaxUnitPriceFen = 1'000'000'000;  // 10 million yuan
constexpr std::int64_t kMaxLines = 1000;
constexpr std::int64_t kPercent = 100;

// A sum or product that does not fit in int64. The range checks and the basket cap keep every
// amount far below that; this is the last line for rule sets with extreme values.
std::unexpected<Error> out_of_range(std::string_view what) {
  return fail("amount_out_of_range", fmt::format("{} does not fit in a 64-bit integer", what));
}

struct Line {
  const v1::BasketLine* in;
  std::int64_t gross = 0;
  std::int64_t tier = 0;
  std::int64_t coupon = 0;
  std::int64_t points = 0;
  std::int64_t amount() const { return gross - tier - coupon - points; }
};

bool contains(const google::protobuf::RepeatedPtrField<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool is_birthday(const std::string& birthday, const LocalDate& date) {
  int month = 0, day = 0;
  if (birthday.size() != 5 || birthday[2] != '-' ||
      std::sscanf(birthday.c_str(), "%2d-%2d", &month, &day) != 2) {
    return false;
  }
  if (month == 2 && day == 29) {
    std::chrono::year y{date.year};
    if (!y.is_leap()) day = 28;  // celebrated on 28 February in common years
  }
  return month == date.month && day == date.day;
}

Status validate_basket(const QuoteInput& input, const Limits& limits) {
  if (input.lines.empty()) return fail("invalid_basket", "the basket has no lines");
  if (static_cast<std::int64_t>(input.lines.size()) > kMaxLines) {
    return fail("invalid_basket", fmt::format("the basket has more than {} lines", kMaxLines));
  }
  for (std::size_t i = 0; i < input.lines.size(); ++i) {
    const auto& l = input.lines[i];
    if (l.sku().empty()) return fail("invalid_basket", fmt::format("line {}: sku is empty", i));
    if (l.qty() <= 0 || l.qty() > kMaxQty) {
      return fail("invalid_basket", fmt::format("line {} ({}): qty {} is outside 1..{}", i, l.sku(),
                                                l.qty(), kMaxQty));
    }
    if (l.unit_price_fen() < 0 || l.unit_price_fen() > kMaxUnitPriceFen) {
      return fail("invalid_basket", fmt::format("line {} ({}): unit_price_fen {} is outside 0..{}",
                                                i, l.sku(), l.unit_price_fen(), kMaxUnitPriceFen));
    }
  }
  if (input.points_to_burn < 0) {
    return fail("invalid_points", "points_to_burn is negative");
  }
  if (input.points_to_burn > limits.max_points_per_transaction) {
    return fail("points_exceed_limit",
                fmt::format("points_to_burn {} is above the rule set's limit of {} points per "
                            "transaction (limits.max_points_per_transaction)",
                            input.points_to_burn, limits.max_points_per_transaction));
  }
  return {};
}

// Gross per line and the basket total before discounts, refused above the rule set's cap. Every
// later amount is a part of this total, so no later sum can overflow.
Result<std::int64_t> gross_lines(const QuoteInput& input, const Limits& limits,
                                 std::vector<Line>& lines) {
  std::int64_t total = 0;
  for (const auto& l : input.lines) {
    auto gross = checked_mul(l.qty(), l.unit_price_fen());
    if (!gross) return out_of_range(fmt::format("line {}: qty x unit_price_fen", l.sku()));
    auto sum = checked_add(total, *gross);
    if (!sum) return out_of_range("the basket total");
    total = *sum;
    lines.push_back(Line{&l, *gross});
  }
  if (total > limits.max_basket_total_fen) {
    return fail("basket_total_exceeds_limit",
                fmt::format("the basket totals {} fen before discounts; the rule set allows at "
                            "most {} fen in one transaction (limits.max_basket_total_fen)",
                            total, limits.max_basket_total_fen));
  }
  return total;
}

// Points earned on eligible_paid: floor(paid x points_per_yuan x tier% x bonus% / 1,000,000),
// refused above the rule set's cap (rule sets may set points_per_yuan without bound).
Result<std::int64_t> points_earned(std::int64_t eligible_paid, std::int64_t tier_pct,
                                   std::int64_t bonus_pct, const v1::RuleSet& rules,
                                   const Limits& limits) {
  if (eligible_paid < rules.earning().min_eligible_fen() || eligible_paid == 0) return 0;
  auto rate = checked_mul(rules.earning().points_per_yuan(), tier_pct);
  if (rate) rate = checked_mul(*rate, bonus_pct);
  auto earned = rate ? checked_mul_div_floor(eligible_paid, *rate, kPercent * kPercent * kPercent)
                     : std::nullopt;
  if (!earned || *earned > limits.max_points_per_transaction) {
    return fail("points_exceed_limit",
                fmt::format("this checkout would earn {} points; the rule set allows at most {} "
                            "points per transaction (limits.max_points_per_transaction)",
                            earned ? fmt::format("{}", *earned) : "more than 2^63",
                            limits.max_points_per_transaction));
  }
  return *earned;
}

// Decides one coupon; on success returns the template, else fills the refusal.
const v1::CouponTemplate* check_coupon(const CouponView& c, const QuoteInput& input,
                                       const v1::RuleSet& rules, const QuoteContext& ctx,
                                       v1::CouponDecision& d) {
  auto refuse = [&](const char* code, std::string why) -> const v1::CouponTemplate* {
    d.set_applies(false);
    d.set_reason_code(code);
    d.set_reason(std::move(why));
    return nullptr;
  };
  if (!c.found) return refuse("coupon_unknown", "no such coupon in this store");
  if (c.state == "redeemed") {
    return refuse("coupon_already_redeemed", "this coupon has already been redeemed");
  }
  if (c.state != "issued") return refuse("coupon_revoked", "this coupon has been revoked");
  if (!c.member_id.empty() && (input.member == nullptr || input.member->member_id != c.member_id)) {
    return refuse("coupon_not_owner", "this coupon belongs to another member");
  }
  const v1::CouponTemplate* tmpl = find_template(rules, c.template_id);
  if (tmpl == nullptr) {
    return refuse(
        "coupon_unknown_template",
        fmt::format("coupon template '{}' is not in rule set {}", c.template_id, rules.version()));
  }
  d.set_title(tmpl->title());
  std::int64_t now_s = ctx.now_ms / 1000;
  if (now_s < c.valid_from_s) return refuse("coupon_not_yet_valid", "not valid yet");
  if (now_s >= c.valid_until_s) return refuse("coupon_expired", "this coupon has expired");
  if (!ctx.hq_online && needs_hq_online(rules, *tmpl)) {
    return refuse("needs_hq_online", "this coupon can only be redeemed while HQ is reachable");
  }
  return tmpl;
}

bool coupon_eligible(const v1::CouponTemplate& t, const v1::BasketLine& l) {
  return l.discountable() &&
         (t.eligible_categories().empty() || contains(t.eligible_categories(), l.category()));
}

}  // namespace

Result<v1::Quote> quote(const QuoteInput& input, const v1::RuleSet& rules,
                        const QuoteContext& ctx) {
  const Limits limits = effective_limits(rules);
  PMA_TRY(validate_basket(input, limits));
  const MemberView* member = input.member;
  v1::Quote q;
  q.set_rule_set_version(rules.version());
  if (member != nullptr) q.set_member_id(member->member_id);

  std::vector<Line> lines;
  PMA_TRY(gross_lines(input, limits, lines));

  // 1. Tier price per discountable line, rounded half up to the fen.
  const v1::TierRule* tier = member ? find_tier(rules, member->tier) : nullptr;
  if (tier != nullptr && tier->price_permille() < 1000) {
    std::int64_t total = 0;
    for (auto& line : lines) {
      if (!line.in->discountable()) continue;
      // gross <= 10^15 (qty and price ranges) and permille <= 1000: the product fits.
      std::int64_t price = (line.gross * tier->price_permille() + 500) / 1000;
      line.tier = line.gross - price;
      total += line.tier;
    }
    if (total > 0) {
      auto* d = q.add_discounts();
      d->set_kind("tier");
      d->set_label(tier_price_label(member->tier, tier->price_permille()));
      d->set_amount_fen(total);
    }
  }

  // 2. Coupons in request order, each on its eligible lines' remaining amount.
  std::vector<std::string> seen;
  for (const CouponView& c : input.coupons) {
    auto* d = q.add_coupons();
    d->set_code(c.code);
    if (std::find(seen.begin(), seen.end(), c.code) != seen.end()) {
      d->set_reason_code("coupon_duplicate");
      d->set_reason("the same coupon is listed twice");
      continue;
    }
    seen.push_back(c.code);
    const v1::CouponTemplate* t = check_coupon(c, input, rules, ctx, *d);
    if (t == nullptr) continue;
    std::int64_t base = 0, remaining = 0;
    std::vector<std::int64_t> weights;
    for (const auto& line : lines) {
      bool ok = coupon_eligible(*t, *line.in);
      if (ok) base += line.gross - line.tier, remaining += line.amount();
      weights.push_back(ok ? line.amount() : 0);
    }
    if (base == 0 || remaining == 0) {
      d->set_reason_code("coupon_not_eligible");
      d->set_reason("no line in the basket is eligible for this coupon");
      continue;
    }
    if (base < t->min_spend_fen()) {
      d->set_reason_code("coupon_min_spend");
      d->set_reason(fmt::format("needs a spend of {} fen on eligible items, the basket has {}",
                                t->min_spend_fen(), base));
      continue;
    }
    std::int64_t off = t->kind() == v1::CouponTemplate::KIND_FIXED
                           ? std::min(t->amount_fen(), remaining)
                           : mul_div_floor(remaining, t->percent_off(), 100);
    auto shares = allocate(off, weights);
    for (std::size_t i = 0; i < lines.size(); ++i) lines[i].coupon += shares[i];
    d->set_applies(true);
    d->set_discount_fen(off);
    q.set_coupon_discount_fen(q.coupon_discount_fen() + off);
    auto* dl = q.add_discounts();
    dl->set_kind("coupon");
    dl->set_label(t->title());
    dl->set_amount_fen(off);
    dl->set_coupon_code(c.code);
  }

  // 3. Points as money, in whole units, capped by bill share, balance, the offline limit and the
  // per-transaction limit. Line amounts are parts of the checked basket total, so their sums
  // (here and in step 4) fit.
  const auto& red = rules.redemption();
  std::int64_t bill = 0;
  for (const auto& line : lines) bill += line.amount();
  std::int64_t share_cap_units =
      mul_div_floor(bill, red.max_bill_share_percent(), 100) / red.unit_value_fen();
  auto room = checked_sub(rules.offline().max_points_burned_per_member_per_day(), ctx.burned_today);
  if (!room) return out_of_range("the offline burn allowance left today");
  std::int64_t offline_room = std::max<std::int64_t>(0, *room);
  if (member != nullptr) {
    std::int64_t units = std::min(
        share_cap_units, std::max<std::int64_t>(0, member->points) / red.points_per_unit());
    if (!ctx.hq_online) units = std::min(units, offline_room / red.points_per_unit());
    units = std::min(units, limits.max_points_per_transaction / red.points_per_unit());
    q.set_max_points_burnable(units * red.points_per_unit());
    q.set_points_balance_before(member->points);
  }
  std::int64_t burn = input.points_to_burn;
  if (burn > 0) {
    if (member == nullptr) return fail("points_need_member", "burning points needs a member");
    if (burn % red.points_per_unit() != 0) {
      return fail("points_not_whole_units",
                  fmt::format("points are burned in units of {}; {} is not a multiple",
                              red.points_per_unit(), burn));
    }
    if (burn > member->points) {
      return fail("insufficient_points",
                  fmt::format("the member has {} points, {} requested", member->points, burn));
    }
    if (!ctx.hq_online && burn > offline_room) {
      return fail("points_offline_limit",
                  fmt::format("while HQ is unreachable a member may burn at most {} points a day "
                              "here; {} already burned today, {} requested",
                              rules.offline().max_points_burned_per_member_per_day(),
                              ctx.burned_today, burn));
    }
    std::int64_t units = burn / red.points_per_unit();
    if (units > share_cap_units) {
      return fail(
          "points_exceed_bill_share",
          fmt::format("points may pay at most {}% of the bill ({} points here); {} "
                      "requested",
                      red.max_bill_share_percent(), share_cap_units * red.points_per_unit(), burn));
    }
    std::int64_t fen = units * red.unit_value_fen();
    std::vector<std::int64_t> weights;
    for (const auto& line : lines) weights.push_back(line.amount());
    auto shares = allocate(fen, weights);
    for (std::size_t i = 0; i < lines.size(); ++i) lines[i].points = shares[i];
    q.set_points_burned(burn);
    q.set_points_discount_fen(fen);
    auto* d = q.add_discounts();
    d->set_kind("points");
    d->set_label(fmt::format("{} points", burn));
    d->set_amount_fen(fen);
    d->set_points(burn);
  }

  // 4. Lines, totals, and points earned on what was actually paid (rounded down, once per
  // transaction).
  std::int64_t eligible_paid = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    auto* out = q.add_lines();
    out->set_index(static_cast<int>(i));
    out->set_sku(line.in->sku());
    out->set_qty(line.in->qty());
    out->set_unit_price_fen(line.in->unit_price_fen());
    out->set_gross_fen(line.gross);
    out->set_tier_discount_fen(line.tier);
    out->set_coupon_discount_fen(line.coupon);
    out->set_points_discount_fen(line.points);
    out->set_paid_fen(line.amount());
    bool earns = member != nullptr && !contains(rules.earning().excluded_skus(), line.in->sku()) &&
                 !contains(rules.earning().excluded_categories(), line.in->category());
    out->set_earns_points(earns);
    if (earns) eligible_paid += line.amount();
    q.set_gross_fen(q.gross_fen() + line.gross);
    q.set_tier_discount_fen(q.tier_discount_fen() + line.tier);
    q.set_payable_fen(q.payable_fen() + line.amount());
  }
  if (member == nullptr) return q;

  std::int64_t tier_pct = tier ? tier->points_multiplier_percent() : 100;
  std::int64_t bonus_pct = 100;
  const auto& bonus = rules.bonus_days();
  if (std::find(bonus.member_days_of_month().begin(), bonus.member_days_of_month().end(),
                ctx.local_date.day) != bonus.member_days_of_month().end()) {
    q.add_bonus_reasons("member_day");
    bonus_pct = std::max<std::int64_t>(bonus_pct, bonus.member_day_multiplier_percent());
  }
  if (is_birthday(member->birthday, ctx.local_date)) {
    q.add_bonus_reasons("birthday");
    bonus_pct = std::max<std::int64_t>(bonus_pct, bonus.birthday_multiplier_percent());
  }
  q.set_points_multiplier_percent(static_cast<int>(tier_pct * bonus_pct / 100));
  PMA_TRY_ASSIGN(auto earned, points_earned(eligible_paid, tier_pct, bonus_pct, rules, limits));
  q.set_points_to_earn(earned);
  auto after = checked_sub(member->points, burn);
  if (after) after = checked_add(*after, earned);
  if (!after) return out_of_range("the member's balance after this checkout");
  q.set_points_balance_after(*after);

  // 5. Tier progress on the rolling 12-month spend including this checkout.
  auto* progress = q.mutable_tier();
  auto spend_sum = checked_add(member->spend_12m_fen, q.payable_fen());
  if (!spend_sum) return out_of_range("the 12-month spend with this checkout");
  const std::int64_t spend = *spend_sum;
  progress->set_current(member->tier);
  progress->set_spend_12m_fen(spend);
  v1::Tier reached = tier_for_spend(rules, member->tier, spend);
  if (reached > member->tier) progress->set_upgrade_to(reached);
  const v1::TierRule* next = nullptr;
  for (const auto& rule : rules.tiers()) {
    if (rule.tier() > reached && rule.upgrade_spend_fen() > 0 &&
        (next == nullptr || rule.tier() < next->tier())) {
      next = &rule;
    }
  }
  if (next != nullptr) {
    progress->set_next(next->tier());
    progress->set_next_threshold_fen(next->upgrade_spend_fen());
    auto remaining = checked_sub(next->upgrade_spend_fen(), spend);
    if (!remaining) return out_of_range("the spend remaining to the next tier");
    progress->set_remaining_fen(std::max<std::int64_t>(0, *remaining));
  }
  return q;
}

Status require_all_coupons(const v1::Quote& quote) {
  for (const auto& c : quote.coupons()) {
    if (!c.applies()) {
      return fail(c.reason_code(), fmt::format("coupon {}: {}", c.code(), c.reason()));
    }
  }
  return {};
}

}  // namespace pma::loyalty
