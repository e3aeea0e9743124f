#include "agent/store/coupon_store.h"

#include <fmt/format.h>

namespace pma::store {

namespace {

constexpr std::string_view kColumns =
    "code, COALESCE(member_id, ''), template_id, title, valid_from, valid_until, state, "
    "COALESCE(redeemed_txn, '')";

Coupon read(const Statement& s) {
  return Coupon{s.column_text(0),  s.column_text(1),  s.column_text(2), s.column_text(3),
                s.column_int64(4), s.column_int64(5), s.column_text(6), s.column_text(7)};
}

}  // namespace

Result<std::optional<Coupon>> CouponStore::find(std::string_view code) {
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare(fmt::format("SELECT {} FROM coupons WHERE code = ?1", kColumns)));
  stmt.bind(1, code);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<Coupon>();
  return std::optional<Coupon>(read(stmt));
}

Status CouponStore::redeem(std::string_view code, std::string_view txn_id, std::int64_t now_s) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("UPDATE coupons SET state = 'redeemed', redeemed_txn = ?2, updated_at = ?3 "
                  "WHERE code = ?1 AND state = 'issued'"));
  stmt.bind_all(code, txn_id, now_s);
  if (auto ok = stmt.run(); !ok) return ok;
  if (db_.changes() != 1) {
    return fail("coupon_already_redeemed",
                fmt::format("coupon {} is not available for redemption", code));
  }
  return {};
}

Status CouponStore::restore(std::string_view code, std::string_view txn_id, std::int64_t now_s) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("UPDATE coupons SET state = 'issued', redeemed_txn = NULL, updated_at = ?3 "
                  "WHERE code = ?1 AND state = 'redeemed' AND redeemed_txn = ?2"));
  stmt.bind_all(code, txn_id, now_s);
  if (auto ok = stmt.run(); !ok) return ok;
  if (db_.changes() != 1) {
    return fail("coupon_not_redeemed",
                fmt::format("coupon {} was not redeemed by transaction {}", code, txn_id));
  }
  return {};
}

Status CouponStore::issue(const Coupon& c, std::int64_t now_s) {
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare("INSERT INTO coupons(code, member_id, template_id, title, valid_from, "
                             "valid_until, state, "
                             "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'issued', ?7)"));
  stmt.bind(1, c.code);
  if (c.member_id.empty()) {
    stmt.bind(2, nullptr);
  } else {
    stmt.bind(2, c.member_id);
  }
  stmt.bind(3, c.template_id).bind(4, c.title).bind(5, c.valid_from).bind(6, c.valid_until);
  stmt.bind(7, now_s);
  auto ok = stmt.run();
  if (!ok && ok.error().code == "sqlite_constraint") {
    return fail("coupon_exists", fmt::format("coupon code {} already exists", c.code));
  }
  return ok;
}

Result<std::vector<Coupon>> CouponStore::usable_by(std::string_view member_id, std::int64_t now_s) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(fmt::format(
          "SELECT {} FROM coupons WHERE member_id = ?1 AND state = 'issued' AND valid_from <= ?2 "
          "AND valid_until > ?2 ORDER BY valid_until, code",
          kColumns)));
  stmt.bind(1, member_id).bind(2, now_s);
  std::vector<Coupon> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    out.push_back(read(stmt));
  }
  return out;
}

}  // namespace pma::store
