#include "tests/checkout/till.h"

#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "agent/store/coupon_store.h"

namespace pma::test {

Till::Till(std::string p, store::OpenOptions options)
    : path(p.empty() ? dir.file("agent.db") : std::move(p)) {
  auto opened = store::open_store(path, options);
  REQUIRE(opened);
  db = std::move(*opened);
  service = std::make_unique<checkout::CheckoutService>(
      *db, hasher, checkout::CheckoutConfig{"S1", "T1"}, store_clock);
}

void Till::add_member(const std::string& id, int tier, std::int64_t hq_points, std::string birthday,
                      std::int64_t spend_12m_fen) {
  store::MemberStore members(*db, hasher);
  REQUIRE(members.upsert({.member_id = id,
                          .birthday = std::move(birthday),
                          .tier = tier,
                          .hq_points = hq_points,
                          .hq_version = 1},
                         kT0 / 1000));
  REQUIRE(db->exec(fmt::format("UPDATE members SET spend_12m_fen = {} WHERE member_id = '{}'",
                               spend_12m_fen, id)));
}

void Till::add_coupon(const std::string& code, const std::string& member_id,
                      const std::string& template_id, std::int64_t valid_days) {
  std::int64_t now_s = clock.now_s();
  REQUIRE(store::CouponStore(*db).issue({.code = code,
                                         .member_id = member_id,
                                         .template_id = template_id,
                                         .title = template_id,
                                         .valid_from = now_s - 1,
                                         .valid_until = now_s + valid_days * 86400},
                                        now_s));
}

std::int64_t Till::scalar(const std::string& sql) {
  auto stmt = db->prepare(sql);
  REQUIRE(stmt);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  return stmt->column_int64(0);
}

std::int64_t Till::balance(const std::string& member_id) {
  return scalar(fmt::format(
      "SELECT hq_points + (SELECT COALESCE(SUM(points), 0) FROM ledger WHERE member_id = "
      "'{0}' AND hq_reflected = 0) FROM members WHERE member_id = '{0}'",
      member_id));
}

std::string Till::coupon_state(const std::string& code) {
  auto c = store::CouponStore(*db).find(code);
  REQUIRE(c);
  return *c ? (*c)->state : "missing";
}

}  // namespace pma::test
