// SqliteSink's authorisation of each delta before it is applied (issue 11, "a terminal acts
// only for itself"): the pure checks of delta_checks.h with the caps of the newest rule set,
// then what needs the database: a checkout's points against the rule set it names, a coupon's
// owner, a refund's original sale (one this terminal sent, and not refunded beyond what was
// paid, earned and burned). Also HQ's member numbering.
#include <fmt/format.h>

#include "hq/delta_checks.h"
#include "hq/sqlite_sink.h"

namespace pma::hq {

namespace {

constexpr std::string_view kChecksSchema = R"sql(
CREATE TABLE IF NOT EXISTS sales(
  store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL,
  member_id TEXT NOT NULL, paid_fen INTEGER NOT NULL, points_earned INTEGER NOT NULL,
  points_burned INTEGER NOT NULL, refunded_fen INTEGER NOT NULL DEFAULT 0,
  points_reversed INTEGER NOT NULL DEFAULT 0, points_restored INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY(store_id, terminal_id, txn_id)) WITHOUT ROWID;
)sql";

}  // namespace

Status SqliteSink::open_checks_schema() {
  PMA_TRY(db_->exec(kChecksSchema));
  // Past every H<digits> id HQ holds (imported ones included), not COUNT(*) + 1: next_member_id
  // still checks each number, for ids imported by another process since.
  auto q = db_->prepare(
      "SELECT COALESCE(MAX(CAST(substr(member_id, 2) AS INTEGER)), 0) FROM members "
      "WHERE member_id GLOB 'H[0-9]*' AND substr(member_id, 2) NOT GLOB '*[^0-9]*' "
      "AND length(member_id) <= 19");
  if (!q) return std::unexpected(q.error());
  PMA_TRY(q->step());
  next_member_number_ = std::max(next_member_number_, q->int64(0) + 1);
  return q->run();
}

Result<std::string> SqliteSink::next_member_id() {
  for (;;) {
    std::string id = fmt::format("H{:09}", next_member_number_++);
    auto q = db_->prepare(
        "SELECT EXISTS(SELECT 1 FROM members WHERE member_id = ?1) OR "
        "EXISTS(SELECT 1 FROM provisional_ids WHERE provisional_id = ?1)");
    if (!q) return std::unexpected(q.error());
    q->bind(1, id);
    PMA_TRY(q->step());
    const bool taken = q->int64(0) != 0;
    PMA_TRY(q->run());
    if (!taken) return id;
  }
}

Status SqliteSink::refresh_rules() {
  auto q = db_->prepare("SELECT version, rule_set FROM rule_sets ORDER BY version DESC LIMIT 1");
  if (!q) return std::unexpected(q.error());
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  const std::int64_t version = *row ? q->int64(0) : 0;
  older_rules_.clear();
  if (version == rules_version_ && rules_loaded_) return q->run();
  rules_.reset();
  if (*row) {
    auto bytes = q->blob(1);
    pma::v1::RuleSet rules;
    // `memberhq rules` checks what it stores; a garbled one leaves the defaults in force.
    if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) rules_ = rules;
  }
  PMA_TRY(q->run());
  rules_version_ = version;
  rules_loaded_ = true;
  limits_ = rules_ ? effective_limits(*rules_) : Limits{};
  return {};
}

Result<const pma::v1::RuleSet*> SqliteSink::rules_at(std::int64_t version) {
  const pma::v1::RuleSet* newest = rules_ ? &*rules_ : nullptr;
  if (version == rules_version_) return newest;
  // Each older version is read and parsed once per batch (refresh_rules empties the map), not
  // once per checkout naming it; between batches another process may publish or replace one.
  auto [it, inserted] = older_rules_.try_emplace(version);
  if (inserted) {
    auto q = db_->prepare("SELECT rule_set FROM rule_sets WHERE version = ?1");
    if (!q) return std::unexpected(q.error());
    q->bind(1, version);
    auto row = q->step();
    if (!row) {
      older_rules_.erase(it);
      return std::unexpected(row.error());
    }
    if (*row) {
      auto bytes = q->blob(0);
      pma::v1::RuleSet rules;
      if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        it->second = std::move(rules);
      }
    }
    if (auto done = q->run(); !done) {
      older_rules_.erase(it);
      return std::unexpected(done.error());
    }
  }
  // A version HQ never published, or a garbled one: judge by the newest.
  return it->second ? &*it->second : newest;
}

Result<std::optional<Refusal>> SqliteSink::check_coupon(const TerminalIdentity& terminal,
                                                        const std::string& member_id,
                                                        const std::string& code) {
  auto q = db_->prepare("SELECT COALESCE(member_id, '') FROM coupons WHERE code = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, code);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
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
  std::string owner = q->text(0);
  PMA_TRY(q->run());
  if (owner.empty() || owner == member_id) return std::optional<Refusal>();
  return std::optional<Refusal>(
      Refusal{"coupon_not_owner", member_id, code,
              fmt::format("coupon {} belongs to member {}, not to {}", code, owner, member_id)});
}

Result<std::optional<Refusal>> SqliteSink::check_refund(const TerminalIdentity& terminal,
                                                        const pma::v1::RefundRecorded& r) {
  using Found = std::optional<Refusal>;
  auto not_own = [&](std::string why) {
    return Found(Refusal{"refund_not_own_sale", r.member_id(), "",
                         fmt::format("refund of txn '{}': {}; a till refunds only its own "
                                     "sales",
                                     r.original_txn_id(), why)});
  };
  if (r.original_txn_id().empty()) return not_own("no original sale named");
  auto q = db_->prepare(
      "SELECT member_id, paid_fen - refunded_fen, points_earned - points_reversed, "
      "points_burned - points_restored FROM sales WHERE store_id = ?1 AND terminal_id = ?2 AND "
      "txn_id = ?3");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, r.original_txn_id());
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) {
    // A sale applied before HQ kept sales (no row): it must still be one of this terminal's.
    auto legacy = db_->prepare(
        "SELECT EXISTS(SELECT 1 FROM applied WHERE store_id = ?1 AND terminal_id = ?2 AND "
        "txn_id = ?3)");
    if (!legacy) return std::unexpected(legacy.error());
    legacy->bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, r.original_txn_id());
    PMA_TRY(legacy->step());
    const bool known = legacy->int64(0) != 0;
    PMA_TRY(legacy->run());
    if (!known) return not_own("this terminal sent no such sale");
    return Found();
  }
  const std::string sale_member = q->text(0);
  const std::int64_t fen_left = q->int64(1), earned_left = q->int64(2), burned_left = q->int64(3);
  PMA_TRY(q->run());
  auto sale_canonical = resolve(sale_member);
  if (!sale_canonical) return std::unexpected(sale_canonical.error());
  auto refund_canonical = resolve(r.member_id());
  if (!refund_canonical) return std::unexpected(refund_canonical.error());
  if (*sale_canonical != *refund_canonical) {
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

Result<std::optional<Refusal>> SqliteSink::authorise(const TerminalIdentity& terminal,
                                                     const pma::v1::Delta& delta) {
  using Found = std::optional<Refusal>;
  if (auto refusal = check_delta(terminal, delta, limits_)) return refusal;
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout: {
      const auto& c = delta.checkout();
      if (c.member_id().empty()) return Found();
      auto rules = rules_at(c.rule_set_version());
      if (!rules) return std::unexpected(rules.error());
      if (*rules != nullptr) {
        if (auto refusal = check_earned(c, **rules)) return refusal;
      }
      auto member = resolve(c.member_id());
      if (!member) return std::unexpected(member.error());
      for (const auto& code : c.coupon_codes()) {
        auto refusal = check_coupon(terminal, *member, code);
        if (!refusal || *refusal) return refusal;
      }
      return Found();
    }
    case Delta::kCouponRedeemed: {
      auto member = resolve(delta.coupon_redeemed().member_id());
      if (!member) return std::unexpected(member.error());
      return check_coupon(terminal, *member, delta.coupon_redeemed().code());
    }
    case Delta::kRefund:
      if (delta.refund().member_id().empty()) return Found();  // nothing to change at HQ
      return check_refund(terminal, delta.refund());
    default:
      return Found();
  }
}

Status SqliteSink::note_sale(const TerminalIdentity& terminal, const pma::v1::Delta& delta) {
  if (delta.has_checkout() && !delta.checkout().member_id().empty()) {
    const auto& c = delta.checkout();
    auto q = db_->prepare(
        "INSERT OR IGNORE INTO sales(store_id, terminal_id, txn_id, member_id, paid_fen, "
        "points_earned, points_burned) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)");
    if (!q) return std::unexpected(q.error());
    q->bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, delta.txn_id());
    q->bind(4, c.member_id()).bind(5, c.paid_fen()).bind(6, c.points_earned());
    q->bind(7, c.points_burned());
    return q->run();
  }
  if (delta.has_refund() && !delta.refund().member_id().empty()) {
    const auto& r = delta.refund();
    // Bounded by check_refund (each sum stays within the sale's own, capped, numbers).
    auto q = db_->prepare(
        "UPDATE sales SET refunded_fen = refunded_fen + ?4, points_reversed = points_reversed + "
        "?5, points_restored = points_restored + ?6 WHERE store_id = ?1 AND terminal_id = ?2 AND "
        "txn_id = ?3");
    if (!q) return std::unexpected(q.error());
    q->bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, r.original_txn_id());
    q->bind(4, r.refunded_fen()).bind(5, r.points_reversed()).bind(6, r.points_restored());
    return q->run();
  }
  return {};
}

}  // namespace pma::hq
