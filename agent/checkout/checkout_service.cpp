#include "agent/checkout/checkout_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <ctime>

#include "agent/checkout/replay.h"
#include "agent/store/coupon_store.h"
#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"
#include "agent/store/outbox.h"
#include "pma/error.h"

namespace pma::checkout {

namespace {

constexpr std::size_t kMaxKeyLength = 128;
// More coupons than any receipt holds; checked before any is looked up.
constexpr int kMaxCouponCodes = 100;

v1::Tier to_tier(int tier) {
  return v1::Tier_IsValid(tier) ? static_cast<v1::Tier>(tier) : v1::TIER_NORMAL;
}

}  // namespace

std::string_view to_string(HqCheck check) {
  switch (check) {
    case HqCheck::unset:
      return "";
    case HqCheck::not_needed:
      return "not_needed";
    case HqCheck::reserved:
      return "reserved";
    case HqCheck::offline:
      return "offline";
  }
  return "";
}

std::string rfc3339_utc(std::int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

std::string canonical_bytes(const google::protobuf::MessageLite& message) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

CheckoutService::CheckoutService(store::Database& db, const pma::PhoneHasher& hasher,
                                 CheckoutConfig config, const StoreClock& clock)
    : db_(db),
      hasher_(hasher),
      config_(std::move(config)),
      clock_(clock),
      rules_(loyalty::default_rule_set()) {}

Status CheckoutService::set_rules(v1::RuleSet rules) {
  if (auto ok = loyalty::validate_rule_set(rules); !ok) return ok;
  rules_ = std::move(rules);
  return {};
}

Result<CheckoutService::Priced> CheckoutService::price(
    const std::string& member_id, const google::protobuf::RepeatedPtrField<v1::BasketLine>& lines,
    const google::protobuf::RepeatedPtrField<std::string>& coupon_codes,
    std::int64_t points_to_burn, const StoreTime& now, Connectivity hq) {
  if (coupon_codes.size() > kMaxCouponCodes) {
    return fail("invalid_request", fmt::format("at most {} coupon codes per checkout, {} given",
                                               kMaxCouponCodes, coupon_codes.size()));
  }
  Priced out;
  loyalty::MemberView view;
  loyalty::QuoteContext ctx{
      .local_date = now.local_date, .now_ms = now.now_ms, .hq_online = hq == Connectivity::online};
  if (!member_id.empty()) {
    store::MemberStore members(db_, hasher_);
    PMA_TRY_ASSIGN(auto found, members.find_by_id(member_id, now.now_ms / 1000));
    if (!found) {
      return fail("unknown_member", fmt::format("member {} is not in the cache", member_id));
    }
    out.member = std::move(*found);
    // The cache's id: a provisional id HQ mapped meanwhile books under the canonical one.
    const std::string& id = out.member.member_id;
    store::Ledger ledger(db_);
    PMA_TRY_ASSIGN(auto spend,
                   ledger.spend_12m(id, now.spend_window_first_month, now.spend_window_start_ms));
    PMA_TRY_ASSIGN(auto burned, ledger.offline_burned_since(id, now.local_day_start_ms));
    view = loyalty::MemberView{.member_id = id,
                               .tier = to_tier(out.member.tier),
                               .points = out.member.points,
                               .birthday = out.member.birthday,
                               .spend_12m_fen = spend};
    ctx.burned_today = burned;
  }
  std::vector<loyalty::CouponView> coupons;
  store::CouponStore store(db_);
  for (const auto& code : coupon_codes) {
    PMA_TRY_ASSIGN(auto c, store.find(code));
    loyalty::CouponView v{.code = code};
    if (c) {
      v = loyalty::CouponView{.code = code,
                              .found = true,
                              .member_id = c->member_id,
                              .template_id = c->template_id,
                              .valid_from_s = c->valid_from,
                              .valid_until_s = c->valid_until,
                              .state = c->state};
    }
    coupons.push_back(std::move(v));
  }
  std::vector<v1::BasketLine> basket(lines.begin(), lines.end());
  PMA_TRY_ASSIGN(auto q, loyalty::quote({.lines = basket,
                                         .member = member_id.empty() ? nullptr : &view,
                                         .coupons = coupons,
                                         .points_to_burn = points_to_burn},
                                        rules_, ctx));
  out.quote = std::move(q);
  return out;
}

Result<v1::MemberReceipt> CheckoutService::receipt(const store::MemberRecord& member,
                                                   const StoreTime& now) {
  v1::MemberReceipt r;
  r.set_member_id(member.member_id);
  r.set_phone_masked(member.phone_masked);
  r.set_member_name(member.name);
  r.set_tier(to_tier(member.tier));
  // The card number reads back as this member when the receipt's QR is scanned.
  r.set_member_qr(member.card_no);
  PMA_TRY_ASSIGN(auto balance, store::Ledger(db_).balance(member.member_id));
  r.set_points_balance(balance);
  r.set_points_debt(balance < 0 ? -balance : 0);
  PMA_TRY_ASSIGN(auto usable,
                 store::CouponStore(db_).usable_by(member.member_id, now.now_ms / 1000));
  for (const auto& c : usable) {
    auto* rc = r.add_coupons_available();
    rc->set_code(c.code);
    rc->set_template_id(c.template_id);
    rc->set_title(c.title);
    rc->set_valid_until(rfc3339_utc(c.valid_until));
    // valid_until is exclusive: the last day of use is the store-local day of its last second.
    LocalDate last = clock_.zone().local_date_at((c.valid_until - 1) * 1000);
    rc->set_expires_on(fmt::format("{:04}-{:02}-{:02}", last.year, last.month, last.day));
  }
  return r;
}

Result<v1::QuoteResponse> CheckoutService::quote(const v1::QuoteRequest& request, Connectivity hq) {
  PMA_TRY_ASSIGN(auto priced, price(request.member_id(), request.lines(), request.coupon_codes(),
                                    request.points_to_burn(), clock_.now(), hq));
  v1::QuoteResponse response;
  *response.mutable_quote() = std::move(priced.quote);
  return response;
}

Result<Reply<v1::CommitResponse>> CheckoutService::commit(const v1::CommitRequest& request,
                                                          Connectivity hq, HqCheck hq_check) {
  if (request.txn_id().empty() || request.txn_id().size() > kMaxKeyLength) {
    return fail("invalid_request", fmt::format("txn_id must be 1..{} characters", kMaxKeyLength));
  }
  const std::string key = "checkout:" + request.txn_id();
  const std::string request_bytes = canonical_bytes(request);
  PMA_TRY_ASSIGN(auto tx, store::Transaction::begin(db_));
  store::IdempotencyStore idempotency(db_);
  PMA_TRY_ASSIGN(auto replay, find_replay<v1::CommitResponse>(idempotency, key, request_bytes,
                                                              "transaction " + request.txn_id()));
  if (replay) return std::move(*replay);

  const StoreTime now = clock_.now();
  PMA_TRY_ASSIGN(auto priced, price(request.member_id(), request.lines(), request.coupon_codes(),
                                    request.points_to_burn(), now, hq));
  const v1::Quote& q = priced.quote;
  PMA_TRY(loyalty::require_all_coupons(q));
  if (request.has_expected_payable_fen() && request.expected_payable_fen() != q.payable_fen()) {
    return fail("quote_changed", fmt::format("payable is {} fen, the POS expected {}",
                                             q.payable_fen(), request.expected_payable_fen()));
  }

  v1::Delta delta;
  delta.set_txn_id(request.txn_id());
  delta.set_occurred_at_ms(now.now_ms);
  auto* body = delta.mutable_checkout();
  body->set_member_id(q.member_id());
  body->set_gross_fen(q.gross_fen());
  body->set_tier_discount_fen(q.tier_discount_fen());
  body->set_coupon_discount_fen(q.coupon_discount_fen());
  body->set_points_discount_fen(q.points_discount_fen());
  body->set_paid_fen(q.payable_fen());
  body->set_points_earned(q.points_to_earn());
  body->set_points_burned(q.points_burned());
  body->set_rule_set_version(q.rule_set_version());
  for (const auto& c : q.coupons()) body->add_coupon_codes(c.code());
  for (int i = 0; i < q.lines_size(); ++i) {
    const auto& in = request.lines(i);
    auto* line = body->add_lines();
    line->set_sku(in.sku());
    line->set_qty(in.qty());
    line->set_unit_price_fen(in.unit_price_fen());
    line->set_category(in.category());
    line->set_discountable(in.discountable());
    line->set_paid_fen(q.lines(i).paid_fen());
  }
  // The delta is appended last, with the replay record, which holds this seq.
  PMA_TRY_ASSIGN(auto seq, store::Outbox(db_).next_seq());

  store::CouponStore coupons(db_);
  for (const auto& c : q.coupons()) {
    PMA_TRY(coupons.redeem(c.code(), request.txn_id(), now.now_ms / 1000));
  }
  if (!q.member_id().empty()) {
    store::Ledger ledger(db_);
    // The earn row also carries the spend that counts toward tiers, so it is written even when
    // no points are earned.
    store::LedgerEntry earn{.member_id = q.member_id(),
                            .txn_id = request.txn_id(),
                            .kind = "earn",
                            .points = q.points_to_earn(),
                            .amount_fen = q.payable_fen(),
                            .created_at_ms = now.now_ms,
                            .outbox_seq = seq,
                            .offline = hq != Connectivity::online};
    PMA_TRY(ledger.append(earn));
    if (q.points_burned() > 0) {
      store::LedgerEntry burn = earn;
      burn.kind = "burn";
      burn.points = -q.points_burned();
      burn.amount_fen = 0;
      PMA_TRY(ledger.append(burn));
    }
    if (q.tier().upgrade_to() != v1::TIER_UNSPECIFIED) {
      // Effective from the next checkout; HQ recomputes tiers and confirms it downstream.
      PMA_TRY_ASSIGN(
          auto up, db_.prepare("UPDATE members SET tier = ?2 WHERE member_id = ?1 AND tier < ?2"));
      up.bind(1, q.member_id()).bind(2, static_cast<int>(q.tier().upgrade_to()));
      PMA_TRY(up.run());
    }
  }
  Reply<v1::CommitResponse> reply;
  v1::CommitResponse& response = reply.message;
  response.set_txn_id(request.txn_id());
  *response.mutable_quote() = q;
  response.set_committed_at_ms(now.now_ms);
  response.set_outbox_seq(seq);
  response.set_hq_check(std::string(to_string(hq_check)));
  if (!q.member_id().empty()) {
    PMA_TRY_ASSIGN(auto r, receipt(priced.member, now));
    r.set_tier(to_tier(priced.member.tier));
    r.set_points_earned(q.points_to_earn());
    r.set_points_used(q.points_burned());
    for (const auto& c : q.coupons()) {
      if (!c.applies()) continue;
      auto* used = r.add_coupons_used();
      used->set_code(c.code());
      used->set_title(c.title());
    }
    r.set_upgraded_to(q.tier().upgrade_to());
    *r.mutable_bonus_reasons() = q.bonus_reasons();
    r.set_transaction_id(request.txn_id());
    response.set_new_balance(r.points_balance());
    *response.mutable_receipt() = std::move(r);
  }
  reply.bytes = canonical_bytes(response);
  // The replay record (also the checkout's record for refunds: its quote is the response's)
  // rides in the outbox row until HQ acknowledges the delta (store/idempotency.h).
  // next_seq() answers the same inside this transaction until the append (as in a refund).
  PMA_TRY_ASSIGN(auto appended,
                 store::Outbox(db_).append(delta, "checkout", request_bytes, reply.bytes));
  PMA_TRY(idempotency.put_in_outbox(key, appended, now.now_ms));
  PMA_TRY(tx.commit());
  return reply;
}

}  // namespace pma::checkout
