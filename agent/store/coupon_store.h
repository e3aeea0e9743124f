// Coupon state in the store: look-up, single-use redemption, restoration after a refund and
// local issuing (welcome coupons). Borrows the Database; thread-compatible.
// Validity and update times are UTC unix seconds (as in the coupons table).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/sqlite.h"

namespace pma::store {

struct Coupon {
  std::string code;
  std::string member_id;  // empty: a bearer coupon
  std::string template_id;
  std::string title;
  std::int64_t valid_from = 0;
  std::int64_t valid_until = 0;
  std::string state = "issued";  // "issued", "redeemed" or "revoked"
  std::string redeemed_txn;
};

class CouponStore {
 public:
  explicit CouponStore(Database& db) : db_(db) {}

  Result<std::optional<Coupon>> find(std::string_view code);

  // issued -> redeemed by txn_id, inside the caller's transaction. A coupon that is not in the
  // "issued" state is refused ("coupon_already_redeemed"), so it is redeemed at most once.
  Status redeem(std::string_view code, std::string_view txn_id, std::int64_t now_s);

  // redeemed (by txn_id) -> issued. "coupon_not_redeemed" if it was not redeemed by txn_id.
  Status restore(std::string_view code, std::string_view txn_id, std::int64_t now_s);

  // Inserts a new coupon; "coupon_exists" if the code is taken.
  Status issue(const Coupon& coupon, std::int64_t now_s);

  // Coupons a member can use at now_s, soonest expiry first.
  Result<std::vector<Coupon>> usable_by(std::string_view member_id, std::int64_t now_s);

 private:
  Database& db_;
};

}  // namespace pma::store
