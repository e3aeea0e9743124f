// CheckoutService::register_member: a new member at the till, with a provisional id and the
// welcome coupon, or the existing member with the same phone.
#include <fmt/format.h>

#include "agent/checkout/checkout_service.h"
#include "agent/store/coupon_store.h"
#include "agent/store/outbox.h"
#include "pma/error.h"

namespace pma::checkout {

namespace {

constexpr std::size_t kMaxNameBytes = 64;
constexpr std::size_t kMaxCardBytes = 32;

Status validate_birthday(const std::string& birthday) {
  if (birthday.empty()) return {};
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  auto digit = [&](std::size_t i) { return birthday[i] >= '0' && birthday[i] <= '9'; };
  if (birthday.size() == 5 && birthday[2] == '-' && digit(0) && digit(1) && digit(3) && digit(4)) {
    int month = (birthday[0] - '0') * 10 + (birthday[1] - '0');
    int day = (birthday[3] - '0') * 10 + (birthday[4] - '0');
    if (month >= 1 && month <= 12 && day >= 1 && day <= kDays[month - 1]) return {};
  }
  return fail("invalid_birthday", "birthday must be MM-DD (a real day of the year) or empty");
}

v1::Member to_member(const store::MemberRecord& m) {
  v1::Member out;
  out.set_member_id(m.member_id);
  out.set_card_no(m.card_no);
  out.set_phone_masked(m.phone_masked);
  out.set_name(m.name);
  out.set_birthday(m.birthday);
  out.set_tier(v1::Tier_IsValid(m.tier) ? static_cast<v1::Tier>(m.tier) : v1::TIER_NORMAL);
  out.set_points(m.points);
  out.set_hq_version(m.hq_version);
  for (const auto& c : m.coupons) {
    auto* mc = out.add_coupons();
    mc->set_code(c.code);
    mc->set_template_id(c.template_id);
    mc->set_title(c.title);
    mc->set_valid_until(rfc3339_utc(c.valid_until));
  }
  return out;
}

// This database's install id (migration 7; memberctl restore draws a new one).
Result<std::string> install_id(store::Database& db) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare("SELECT value FROM sync_state WHERE key = 'install_id'"));
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row || stmt.column_text(0).empty()) {
    return fail("install_id_missing", "the database has no install id (sync_state install_id)");
  }
  return stmt.column_text(0);
}

}  // namespace

Result<v1::RegisterMemberResponse> CheckoutService::register_member(
    const v1::RegisterMemberRequest& request) {
  PMA_TRY_ASSIGN(auto phone, pma::normalize_phone(request.phone()));
  PMA_TRY(validate_birthday(request.birthday()));
  if (request.name().size() > kMaxNameBytes || request.card_no().size() > kMaxCardBytes) {
    return fail("invalid_request", fmt::format("name is limited to {} bytes, card_no to {}",
                                               kMaxNameBytes, kMaxCardBytes));
  }
  if (auto ok = codes::check_card_number(request.card_no(), config_.card_rules); !ok) {
    return fail("invalid_request", "cardNo: " + ok.error().message);
  }
  const StoreTime now = clock_.now();
  const std::int64_t now_s = now.now_ms / 1000;
  PMA_TRY_ASSIGN(auto tx, store::Transaction::begin(db_));
  store::MemberStore members(db_, hasher_);
  PMA_TRY_ASSIGN(auto existing, members.find_by_phone(phone, now_s));
  v1::RegisterMemberResponse response;
  if (existing) {
    *response.mutable_member() = to_member(*existing);
    response.set_created(false);
    return response;  // nothing written; the transaction rolls back
  }

  // The outbox seq never repeats within one database, and the install id differs between
  // databases (a reinstall starts a new one, a restore draws a new one): together they make
  // the provisional id and the welcome code unique without a counter of their own, even where
  // a restored or reinstalled till allocates seqs it used before it meets HQ again.
  store::Outbox outbox(db_);
  PMA_TRY_ASSIGN(auto n, outbox.next_seq());
  PMA_TRY_ASSIGN(auto install, install_id(db_));
  const std::string minted =
      fmt::format("{}-{}-{}-{}", config_.store_id, config_.terminal_id, install, n);
  const std::string member_id = "P-" + minted;
  store::MemberUpsert upsert{.member_id = member_id,
                             .card_no = request.card_no(),
                             .phone = phone,
                             .name = request.name(),
                             .birthday = request.birthday(),
                             .tier = v1::TIER_NORMAL};
  PMA_TRY(members.upsert(upsert, now_s));

  v1::Delta delta;
  delta.set_txn_id(member_id);
  delta.set_occurred_at_ms(now.now_ms);
  auto* body = delta.mutable_member_registered();
  body->set_provisional_id(member_id);
  pma::PhoneHash hash = hasher_.hash(phone);
  body->set_phone_hash(std::string(hash.begin(), hash.end()));
  body->set_phone_masked(pma::mask_phone(phone));
  body->set_name(request.name());
  body->set_birthday(request.birthday());
  body->set_card_no(request.card_no());

  if (const auto* tmpl = loyalty::find_template(rules_, rules_.welcome_coupon_template_id())) {
    store::Coupon coupon{.code = "W-" + minted,
                         .member_id = member_id,
                         .template_id = tmpl->id(),
                         .title = tmpl->title(),
                         .valid_from = now_s,
                         .valid_until = now_s + std::int64_t{tmpl->validity_days()} * 86400};
    PMA_TRY(store::CouponStore(db_).issue(coupon, now_s));
    body->add_welcome_coupons(coupon.code);
    auto* terms = body->add_welcome_coupon_terms();
    terms->set_code(coupon.code);
    terms->set_template_id(coupon.template_id);
    terms->set_title(coupon.title);
    terms->set_valid_from(coupon.valid_from);
    terms->set_valid_until(coupon.valid_until);
    auto* mc = response.add_welcome_coupons();
    mc->set_code(coupon.code);
    mc->set_template_id(coupon.template_id);
    mc->set_title(coupon.title);
    mc->set_valid_until(rfc3339_utc(coupon.valid_until));
  }
  PMA_TRY(outbox.append(delta, "member_registered"));
  PMA_TRY_ASSIGN(auto created, members.find_by_id(member_id, now_s));
  if (!created) return fail("internal", "the new member vanished inside its transaction");
  PMA_TRY(tx.commit());
  *response.mutable_member() = to_member(*created);
  response.set_created(true);
  return response;
}

}  // namespace pma::checkout
