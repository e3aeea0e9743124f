// authorise_delta: the one authorisation of a delta, over a sink's DeltaFacts.
#include "sync/hq/delta_authorisation.h"

#include <fmt/format.h>

#include "drivers/codes/classify.h"

namespace pma::hq {

namespace {

Result<std::optional<Refusal>> check_coupon(const net::TerminalIdentity& terminal,
                                            const std::string& member_id, const std::string& code,
                                            DeltaFacts& facts) {
  PMA_TRY_ASSIGN(auto held, facts.coupon_owner(code));
  if (!held) {
    // HQ's own codes are all in its table: an unknown one was never issued to anybody.
    if (codes::is_hq_coupon(code)) {
      return std::optional<Refusal>(Refusal{
          "coupon_not_owner", member_id, code,
          fmt::format("coupon {} has the form of an HQ coupon but HQ never issued it", code)});
    }
    // Welcome codes are minted by one terminal and registered before it redeems them; another
    // terminal's unknown code redeemed here would squat it before its registration arrives.
    if (!code.starts_with("W-") || code.starts_with(own_prefix('W', terminal))) {
      return std::optional<Refusal>();
    }
    return std::optional<Refusal>(
        Refusal{"coupon_not_owner", member_id, code,
                fmt::format("coupon {} is unknown at HQ and not under the terminal's prefix {}",
                            code, own_prefix('W', terminal))});
  }
  const std::string& owner = *held;
  if (owner.empty() || owner == member_id) return std::optional<Refusal>();
  return std::optional<Refusal>(
      Refusal{"coupon_not_owner", member_id, code,
              fmt::format("coupon {} belongs to member {}, not to {}", code, owner, member_id)});
}

Result<std::optional<Refusal>> check_refund(const net::TerminalIdentity& terminal,
                                            const pma::v1::RefundRecorded& r, DeltaFacts& facts) {
  using Found = std::optional<Refusal>;
  auto not_own = [&](std::string why) {
    return Found(Refusal{"refund_not_own_sale", r.member_id(), "",
                         fmt::format("refund of txn '{}': {}; a till refunds only its own "
                                     "sales",
                                     r.original_txn_id(), why)});
  };
  if (r.original_txn_id().empty()) return not_own("no original sale named");
  PMA_TRY_ASSIGN(auto sale, facts.find_sale(terminal, r.original_txn_id()));
  // Only a checkout of this terminal is a sale: another of its deltas under that txn id (the
  // refund itself, an adjustment) is not one.
  if (!sale) return not_own("this terminal sent no such sale");
  if (!sale->figures_known) return Found();  // applied before HQ kept sales: not checked
  const std::string& sale_member = sale->member_id;
  const std::int64_t fen_left = sale->fen_left, earned_left = sale->earned_left,
                     burned_left = sale->burned_left;
  if (sale_member.empty()) return not_own("the sale had no member");
  PMA_TRY_ASSIGN(auto sale_canonical, facts.resolve(sale_member));
  PMA_TRY_ASSIGN(auto refund_canonical, facts.resolve(r.member_id()));
  if (sale_canonical != refund_canonical) {
    return not_own(fmt::format("the sale was for member {}, not {}", sale_member, r.member_id()));
  }
  if (r.refunded_fen() > fen_left || r.points_reversed() > earned_left ||
      r.points_restored() > burned_left) {
    return Found(Refusal{
        "refund_exceeds_sale", r.member_id(), "",
        fmt::format("refund of txn {} ({} fen, {} points reversed, {} restored) exceeds what is "
                    "left of the sale ({} fen, {} earned, {} burned)",
                    r.original_txn_id(), r.refunded_fen(), r.points_reversed(), r.points_restored(),
                    fen_left, earned_left, burned_left)});
  }
  return Found();
}

}  // namespace

Result<std::optional<Refusal>> authorise_delta(const net::TerminalIdentity& terminal,
                                               const pma::v1::Delta& delta, DeltaFacts& facts) {
  using Found = std::optional<Refusal>;
  if (auto refusal = check_delta(terminal, delta, facts.limits())) return refusal;
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout: {
      const auto& c = delta.checkout();
      if (c.member_id().empty()) return Found();
      PMA_TRY_ASSIGN(auto rules, facts.rules_at(c.rule_set_version()));
      if (rules != nullptr) {
        if (auto refusal = check_earned(c, *rules)) return refusal;
      }
      PMA_TRY_ASSIGN(auto member, facts.resolve(c.member_id()));
      for (const auto& code : c.coupon_codes()) {
        auto refusal = check_coupon(terminal, member, code, facts);
        if (!refusal || *refusal) return refusal;
      }
      return Found();
    }
    case Delta::kCouponRedeemed: {
      PMA_TRY_ASSIGN(auto member, facts.resolve(delta.coupon_redeemed().member_id()));
      return check_coupon(terminal, member, delta.coupon_redeemed().code(), facts);
    }
    case Delta::kRefund:
      if (delta.refund().member_id().empty()) return Found();  // nothing to change at HQ
      return check_refund(terminal, delta.refund(), facts);
    default:
      return Found();
  }
}

}  // namespace pma::hq
