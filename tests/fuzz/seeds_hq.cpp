// Seeds of the hq_batch target: a terminal byte, then batches a till would send against the
// fixture fuzz_hq_batch.cpp builds (members M0000042..44, coupon CPN-AB12CD).
#include "pma/v1/sync.pb.h"
#include "sync/wire/delta_columns.h"
#include "tests/fuzz/seeds.h"

namespace pma::fuzz {

namespace {

v1::Delta* next_delta(v1::Batch& batch, std::uint64_t seq, const std::string& txn) {
  auto* d = batch.add_deltas();
  d->set_seq(seq);
  d->set_txn_id(txn);
  d->set_occurred_at_ms(1'760'000'000'000 + static_cast<std::int64_t>(seq) * 65'000);
  return d;
}

void add_checkout(v1::Batch& batch, std::uint64_t seq, const std::string& txn,
                  const std::string& member, std::int64_t paid, std::int64_t earned,
                  std::int64_t burned, const std::string& coupon = "") {
  auto* k = next_delta(batch, seq, txn)->mutable_checkout();
  k->set_member_id(member);
  k->set_gross_fen(paid + burned);
  k->set_points_discount_fen(burned);
  k->set_paid_fen(paid);
  k->set_points_earned(earned);
  k->set_points_burned(burned);
  k->set_rule_set_version(3);
  if (!coupon.empty()) k->add_coupon_codes(coupon);
  auto* line = k->add_lines();
  line->set_sku("SKU-0017");
  line->set_qty(1);
  line->set_unit_price_fen(paid + burned);
  line->set_discountable(true);
  line->set_paid_fen(paid);
}

std::string with_terminal(std::uint8_t terminal, const v1::Batch& batch) {
  return std::string(1, static_cast<char>(terminal)) + batch.SerializeAsString();
}

}  // namespace

std::vector<std::string> hq_batch_seeds() {
  v1::Batch sales;
  add_checkout(sales, 1, "POS-T1-0001", "M0000042", 12'160, 121, 0, "CPN-AB12CD");
  add_checkout(sales, 2, "POS-T1-0002", "", 4'000, 0, 0);
  auto* r = next_delta(sales, 3, "POS-T1-0003")->mutable_refund();
  r->set_member_id("M0000042");
  r->set_original_txn_id("POS-T1-0001");
  r->set_refunded_fen(12'160);
  r->set_points_reversed(121);
  r->add_coupons_restored("CPN-AB12CD");
  r->set_original_occurred_at_ms(1'760'000'065'000);
  add_checkout(sales, 4, "POS-T1-0004", "M0000042", 9'500, 95, 300);
  auto* adjust = next_delta(sales, 5, "ADJ-T1-0005")->mutable_points_adjusted();
  adjust->set_member_id("M0000043");
  adjust->set_points(-20);
  adjust->set_reason("goodwill reversal");

  v1::Batch registration;
  auto* m = next_delta(registration, 1, "REG-T1-0001")->mutable_member_registered();
  m->set_provisional_id("P-S1-T1-1");
  m->set_phone_hash(std::string(32, '\x5a'));
  m->set_phone_masked("138****5678");
  m->set_name("Li Lei");
  m->set_card_no("8800001");
  m->add_welcome_coupons("W-S1-T1-1");
  auto* terms = m->add_welcome_coupon_terms();
  terms->set_code("W-S1-T1-1");
  terms->set_template_id("T-WELCOME");
  terms->set_valid_until(4'102'444'800);
  add_checkout(registration, 2, "POS-T1-0002", "P-S1-T1-1", 3'000, 30, 0, "W-S1-T1-1");
  auto* redeemed = next_delta(registration, 3, "POS-T1-0003")->mutable_coupon_redeemed();
  redeemed->set_member_id("M0000042");
  redeemed->set_code("CPN-AB12CD");
  add_checkout(registration, 4, "POS-T1-0004", "M0000044", 1'000, 10, 0);

  v1::Batch columnar = sales;
  wire::pack_checkouts(columnar);

  v1::Batch replayed;  // a duplicate, then a gap
  add_checkout(replayed, 1, "POS-T1-0001", "M0000043", 500, 5, 0);
  add_checkout(replayed, 1, "POS-T1-0001", "M0000043", 500, 5, 0);
  add_checkout(replayed, 3, "POS-T1-0003", "M0000043", 500, 5, 0);

  return {with_terminal(0, sales), with_terminal(0, registration), with_terminal(1, columnar),
          with_terminal(0, replayed)};
}

}  // namespace pma::fuzz
