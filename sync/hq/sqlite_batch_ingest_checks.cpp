// SqliteBatchIngest's authorisation of each delta before it is applied (issue 11, "a terminal
// acts only for itself"): the pure checks of delta_checks.h with the caps of the newest rule
// set, then what needs the database: a checkout's points against the rule set it names, a
// coupon's owner, a refund's original sale (a checkout this terminal sent for that member, and
// not refunded beyond what was paid, earned and burned).
#include <fmt/format.h>

#include "sync/hq/delta_checks.h"
#include "sync/hq/sqlite_batch_ingest.h"

namespace pma::hq {

Result<std::optional<Refusal>> SqliteBatchIngest::check_coupon(const TerminalIdentity& terminal,
                                                               const std::string& member_id,
                                                               const std::string& code) {
  PMA_TRY_ASSIGN(auto q,
                 db_.prepare("SELECT COALESCE(member_id, '') FROM coupons WHERE code = ?1"));
  q.bind(1, code);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) {
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
  std::string owner = q.column_text(0);
  PMA_TRY(q.run());
  if (owner.empty() || owner == member_id) return std::optional<Refusal>();
  return std::optional<Refusal>(
      Refusal{"coupon_not_owner", member_id, code,
              fmt::format("coupon {} belongs to member {}, not to {}", code, owner, member_id)});
}

Result<std::optional<Refusal>> SqliteBatchIngest::check_refund(const TerminalIdentity& terminal,
                                                               const pma::v1::RefundRecorded& r) {
  using Found = std::optional<Refusal>;
  auto not_own = [&](std::string why) {
    return Found(Refusal{"refund_not_own_sale", r.member_id(), "",
                         fmt::format("refund of txn '{}': {}; a till refunds only its own "
                                     "sales",
                                     r.original_txn_id(), why)});
  };
  if (r.original_txn_id().empty()) return not_own("no original sale named");
  PMA_TRY_ASSIGN(auto sale, find_sale(terminal, r.original_txn_id()));
  // Only a checkout of this terminal is a sale: another of its deltas under that txn id (the
  // refund itself, an adjustment) is not one.
  if (!sale) return not_own("this terminal sent no such sale");
  if (!(sale)->figures_known) return Found();  // applied before HQ kept sales: not checked
  const std::string& sale_member = (sale)->member_id;
  const std::int64_t fen_left = (sale)->fen_left, earned_left = (sale)->earned_left,
                     burned_left = (sale)->burned_left;
  if (sale_member.empty()) return not_own("the sale had no member");
  PMA_TRY_ASSIGN(auto sale_canonical, resolve(sale_member));
  PMA_TRY_ASSIGN(auto refund_canonical, resolve(r.member_id()));
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

Result<std::optional<Refusal>> SqliteBatchIngest::authorise(const TerminalIdentity& terminal,
                                                            const pma::v1::Delta& delta) {
  using Found = std::optional<Refusal>;
  if (auto refusal = check_delta(terminal, delta, core_.limits())) return refusal;
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout: {
      const auto& c = delta.checkout();
      if (c.member_id().empty()) return Found();
      PMA_TRY_ASSIGN(auto rules, core_.rules_at(c.rule_set_version()));
      if (rules != nullptr) {
        if (auto refusal = check_earned(c, *rules)) return refusal;
      }
      PMA_TRY_ASSIGN(auto member, resolve(c.member_id()));
      for (const auto& code : c.coupon_codes()) {
        auto refusal = check_coupon(terminal, member, code);
        if (!refusal || *refusal) return refusal;
      }
      return Found();
    }
    case Delta::kCouponRedeemed: {
      PMA_TRY_ASSIGN(auto member, resolve(delta.coupon_redeemed().member_id()));
      return check_coupon(terminal, member, delta.coupon_redeemed().code());
    }
    case Delta::kRefund:
      if (delta.refund().member_id().empty()) return Found();  // nothing to change at HQ
      return check_refund(terminal, delta.refund());
    default:
      return Found();
  }
}

Result<std::optional<SqliteBatchIngest::Sale>> SqliteBatchIngest::find_sale(
    const TerminalIdentity& terminal, const std::string& txn_id) {
  for (const std::int64_t kind :
       {static_cast<std::int64_t>(pma::v1::Delta::kCheckout), std::int64_t{0}}) {
    if (kind == 0 && !core_.kind0_identities()) break;
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare(
            "SELECT member_id IS NOT NULL, COALESCE(member_id, ''), COALESCE(paid_fen, 0) - "
            "refunded_fen, COALESCE(points_earned, 0) - points_reversed, COALESCE(points_burned, "
            "0) "
            "- points_restored FROM deltas WHERE store_id = ?1 AND terminal_id = ?2 AND txn_id = "
            "?3 "
            "AND kind = ?4 AND unkeyed_seq = 0"));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id).bind(4, kind);
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) continue;
    Sale sale{q.column_int64(0) != 0, q.column_text(1),  q.column_int64(2),
              q.column_int64(3),      q.column_int64(4), kind};
    PMA_TRY(q.run());
    return std::optional<Sale>(std::move(sale));
  }
  return std::optional<Sale>();
}

}  // namespace pma::hq
