#include "sync/hq/delta_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace pma::hq {

namespace {

Refusal out_of_range(std::string_view field, std::int64_t value, std::int64_t cap,
                     std::string member_id = {}) {
  return {"delta_out_of_range", std::move(member_id), "",
          fmt::format("{} {} outside 0..{}", field, value, cap)};
}

// A number HQ adds to a balance or a spend bucket: 0..cap.
std::optional<Refusal> in_range(std::string_view field, std::int64_t value, std::int64_t cap,
                                const std::string& member_id) {
  if (value < 0 || value > cap) return out_of_range(field, value, cap, member_id);
  return std::nullopt;
}

std::optional<Refusal> check_checkout(const pma::v1::CheckoutCommitted& c, const Limits& limits) {
  const std::int64_t fen = limits.max_basket_total_fen, points = limits.max_points_per_transaction;
  const std::string& m = c.member_id();
  for (auto [field, value] : {std::pair<std::string_view, std::int64_t>{"gross_fen", c.gross_fen()},
                              {"tier_discount_fen", c.tier_discount_fen()},
                              {"coupon_discount_fen", c.coupon_discount_fen()},
                              {"points_discount_fen", c.points_discount_fen()},
                              {"paid_fen", c.paid_fen()}}) {
    if (auto r = in_range(field, value, fen, m)) return r;
  }
  if (auto r = in_range("points_earned", c.points_earned(), points, m)) return r;
  if (auto r = in_range("points_burned", c.points_burned(), points, m)) return r;
  if (c.paid_fen() > c.gross_fen()) {
    return Refusal{"delta_out_of_range", m, "",
                   fmt::format("paid_fen {} exceeds gross_fen {}", c.paid_fen(), c.gross_fen())};
  }
  return std::nullopt;
}

std::optional<Refusal> check_refund(const pma::v1::RefundRecorded& r, const Limits& limits) {
  const std::string& m = r.member_id();
  if (auto x = in_range("refunded_fen", r.refunded_fen(), limits.max_basket_total_fen, m)) return x;
  if (auto x =
          in_range("points_reversed", r.points_reversed(), limits.max_points_per_transaction, m)) {
    return x;
  }
  return in_range("points_restored", r.points_restored(), limits.max_points_per_transaction, m);
}

std::optional<Refusal> check_registration(const net::TerminalIdentity& terminal,
                                          const pma::v1::MemberRegistered& r) {
  const std::string members = own_prefix('P', terminal), coupons = own_prefix('W', terminal);
  if (!r.provisional_id().starts_with(members) || r.provisional_id().size() == members.size()) {
    return Refusal{"foreign_id", r.provisional_id(), "",
                   fmt::format("registration {} is not under the terminal's own prefix {}",
                               r.provisional_id(), members)};
  }
  auto foreign = [&](const std::string& code) -> std::optional<Refusal> {
    if (code.starts_with(coupons) && code.size() > coupons.size()) return std::nullopt;
    return Refusal{"foreign_id", r.provisional_id(), code,
                   fmt::format("welcome coupon {} of registration {} is not under the "
                               "terminal's own prefix {}",
                               code, r.provisional_id(), coupons)};
  };
  for (const auto& t : r.welcome_coupon_terms()) {
    if (auto x = foreign(t.code())) return x;
  }
  for (const auto& code : r.welcome_coupons()) {
    if (auto x = foreign(code)) return x;
  }
  return std::nullopt;
}

}  // namespace

std::string own_prefix(char kind, const net::TerminalIdentity& terminal) {
  return fmt::format("{}-{}-{}-", kind, terminal.store_id, terminal.terminal_id);
}

std::optional<Refusal> check_delta(const net::TerminalIdentity& terminal,
                                   const pma::v1::Delta& delta, const Limits& limits) {
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout:
      return check_checkout(delta.checkout(), limits);
    case Delta::kRefund:
      return check_refund(delta.refund(), limits);
    case Delta::kMemberRegistered:
      return check_registration(terminal, delta.member_registered());
    case Delta::kCouponRedeemed:
      if (delta.coupon_redeemed().member_id().empty() || delta.coupon_redeemed().code().empty()) {
        return Refusal{"delta_out_of_range", delta.coupon_redeemed().member_id(),
                       delta.coupon_redeemed().code(),
                       "a coupon redemption needs a member id and a code"};
      }
      return std::nullopt;
    case Delta::kPointsAdjusted:
      // No till sends adjustments; one would let a certificate set any member's balance.
      return Refusal{
          "points_adjustment_refused", delta.points_adjusted().member_id(), "",
          fmt::format("a terminal adjusted {} points ({}); points are adjusted at HQ only",
                      delta.points_adjusted().points(), delta.points_adjusted().reason())};
    case Delta::BODY_NOT_SET:
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<std::int64_t> max_points_earned(const pma::v1::RuleSet& rules,
                                              std::int64_t paid_fen) {
  std::int64_t tier_pct = 100;
  for (const auto& t : rules.tiers()) {
    tier_pct = std::max<std::int64_t>(tier_pct, t.points_multiplier_percent());
  }
  const auto& bonus = rules.bonus_days();
  const std::int64_t bonus_pct = std::max<std::int64_t>(
      {100, bonus.member_day_multiplier_percent(), bonus.birthday_multiplier_percent()});
  auto rate = checked_mul(std::max<std::int64_t>(0, rules.earning().points_per_yuan()), tier_pct);
  if (rate) rate = checked_mul(*rate, bonus_pct);
  if (!rate) return std::nullopt;
  // paid * rate / 10^6 without overflowing the product: split paid into whole and remainder.
  constexpr std::int64_t kScale = 100 * 100 * 100;
  auto whole = checked_mul(paid_fen / kScale, *rate);
  auto part = checked_mul(paid_fen % kScale, *rate);
  if (!whole || !part) return std::nullopt;
  return checked_add(*whole, *part / kScale);
}

std::optional<Refusal> check_earned(const pma::v1::CheckoutCommitted& checkout,
                                    const pma::v1::RuleSet& rules) {
  auto most = max_points_earned(rules, checkout.paid_fen());
  if (!most || checkout.points_earned() <= *most) return std::nullopt;
  return Refusal{"points_earned_exceeds_rules", checkout.member_id(), "",
                 fmt::format("{} points earned on {} fen paid; the rule set allows at most {}",
                             checkout.points_earned(), checkout.paid_fen(), *most)};
}

}  // namespace pma::hq
