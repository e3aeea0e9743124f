#include "sync/wire/delta_columns.h"

#include <fmt/format.h>
#include <google/protobuf/util/message_differencer.h>

#include <catch2/catch.hpp>
#include <limits>
#include <random>

#include "pma/v1/sync.pb.h"
#include "sync/wire/frame.h"
#include "sync/wire/messages.h"

using namespace pma::wire;
using google::protobuf::util::MessageDifferencer;

namespace {

// Values that stress the encoding: extremes, zero, negatives, small and large.
class Values {
 public:
  explicit Values(std::uint64_t seed) : random_(seed) {}

  std::int64_t integer() {
    switch (random_() % 6) {
      case 0:
        return std::numeric_limits<std::int64_t>::min();
      case 1:
        return std::numeric_limits<std::int64_t>::max();
      case 2:
        return 0;
      case 3:
        return -static_cast<std::int64_t>(random_() % 1000);
      case 4:
        return static_cast<std::int64_t>(random_());
      default:
        return static_cast<std::int64_t>(random_() % 100000);
    }
  }
  std::string text() {
    static const char* const kSamples[] = {"",     "M1",  "M0000042", "\xe4\xbc\x9a\xe5\x91\x98",
                                           "0",    "00",  "007",      "12345678901234567890123",
                                           "POS-", "x9y", "A-000",    "999999999999999999"};
    std::string s = kSamples[random_() % std::size(kSamples)];
    if (random_() % 3 == 0) s += std::to_string(random_() % 100000);
    return s;
  }
  bool coin() { return random_() % 2 == 0; }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(random_() % n); }

 private:
  std::mt19937_64 random_;
};

void fill_checkout(pma::v1::CheckoutCommitted& c, Values& v) {
  c.set_member_id(v.text());
  c.set_gross_fen(v.integer());
  c.set_tier_discount_fen(v.integer());
  c.set_coupon_discount_fen(v.integer());
  c.set_points_discount_fen(v.integer());
  // Mostly a checkout that adds up, sometimes not (wrapping, as random extremes may: the
  // columns carry any int64, and a signed overflow here was UBSan's finding in this test).
  c.set_paid_fen(v.coin()
                     ? static_cast<std::int64_t>(static_cast<std::uint64_t>(c.gross_fen()) -
                                                 static_cast<std::uint64_t>(c.tier_discount_fen()))
                     : v.integer());
  c.set_points_earned(v.integer());
  c.set_points_burned(v.integer());
  c.set_rule_set_version(v.integer());
  for (std::size_t i = v.below(3); i > 0; --i) c.add_coupon_codes(v.text());
  for (std::size_t i = v.below(4); i > 0; --i) {
    auto* line = c.add_lines();
    line->set_sku(v.text());
    line->set_qty(v.integer());
    line->set_unit_price_fen(v.integer());
    line->set_category(v.text());
    line->set_discountable(v.coin());
    line->set_paid_fen(v.integer());
  }
}

// A delta of any body kind (or none), each field drawn from Values.
pma::v1::Delta random_delta(Values& v, std::uint64_t seq) {
  pma::v1::Delta d;
  d.set_seq(seq);
  d.set_txn_id(v.text());
  d.set_occurred_at_ms(v.integer());
  switch (v.below(7)) {
    case 0:
    case 1:
    case 2:
      fill_checkout(*d.mutable_checkout(), v);
      break;
    case 3: {
      auto* r = d.mutable_refund();
      r->set_member_id(v.text());
      r->set_original_txn_id(v.text());
      r->set_refunded_fen(v.integer());
      r->set_points_reversed(v.integer());
      r->set_points_restored(v.integer());
      r->add_coupons_restored(v.text());
      r->set_points_debt(v.integer());
      break;
    }
    case 4: {
      auto* m = d.mutable_member_registered();
      m->set_provisional_id(v.text());
      m->set_phone_hash(std::string("\x00\x01\xff", 3));
      m->set_phone_masked("138****5678");
      m->set_name(v.text());
      m->set_card_no(v.text());
      m->add_welcome_coupons(v.text());
      break;
    }
    case 5:
      d.mutable_coupon_redeemed()->set_member_id(v.text());
      d.mutable_coupon_redeemed()->set_code(v.text());
      break;
    default:
      if (v.coin()) {
        d.mutable_points_adjusted()->set_member_id(v.text());
        d.mutable_points_adjusted()->set_points(v.integer());
        d.mutable_points_adjusted()->set_reason(v.text());
      }  // else: no body at all
  }
  return d;
}

// pack -> serialise -> parse -> unpack.
pma::v1::Batch over_the_wire(const pma::v1::Batch& batch) {
  pma::v1::Batch packed = batch;
  pack_checkouts(packed);
  pma::v1::Batch received;
  REQUIRE(received.ParseFromString(packed.SerializeAsString()));
  auto ok = unpack_checkouts(received);
  REQUIRE(ok);
  return received;
}

}  // namespace

TEST_CASE("Columnar checkouts round-trip every delta kind exactly (seeded property test)",
          "[sync][wire][columns]") {
  for (std::uint64_t seed = 1; seed <= 300; ++seed) {
    Values v(seed);
    pma::v1::Batch batch;
    std::uint64_t seq = v.coin() ? 0 : std::numeric_limits<std::uint64_t>::max() - 500;
    bool ordered = seed % 5 != 0;
    for (std::size_t i = 1 + v.below(60); i > 0; --i) {
      seq = ordered ? seq + 1 + v.below(3) : v.below(20);
      *batch.add_deltas() = random_delta(v, seq);
    }
    INFO("seed " << seed);
    auto received = over_the_wire(batch);
    REQUIRE(MessageDifferencer::Equals(batch, received));
  }
}

TEST_CASE("Checkouts travel column-wise, other deltas as they are, in seq order",
          "[sync][wire][columns]") {
  Values v(7);
  pma::v1::Batch batch;
  for (std::uint64_t seq = 1; seq <= 10; ++seq) {
    auto d = random_delta(v, seq);
    if (seq % 3 == 0) {
      d.mutable_coupon_redeemed()->set_code("C1");
    } else {
      fill_checkout(*d.mutable_checkout(), v);
    }
    *batch.add_deltas() = d;
  }
  pma::v1::Batch packed = batch;
  pack_checkouts(packed);
  CHECK(packed.deltas_size() == 3);
  CHECK(packed.checkouts().seq_gap_size() == 7);
  REQUIRE(unpack_checkouts(packed));
  CHECK(MessageDifferencer::Equals(batch, packed));

  SECTION("through a batch frame and decode_batch") {
    auto bytes = encode_batch(batch, true);
    FrameDecoder decoder;
    decoder.feed(bytes);
    auto frame = decoder.next();
    REQUIRE(frame);
    REQUIRE(frame->has_value());
    pma::v1::Batch out;
    REQUIRE(decode_batch(**frame, out));
    CHECK(MessageDifferencer::Equals(batch, out));
  }
}

TEST_CASE("Seqs out of order or unknown fields keep a batch plain", "[sync][wire][columns]") {
  Values v(9);
  pma::v1::Batch batch;
  for (std::uint64_t seq : {5, 3, 4}) {
    auto d = random_delta(v, seq);
    fill_checkout(*d.mutable_checkout(), v);
    *batch.add_deltas() = d;
  }
  SECTION("seqs out of order") {
    pma::v1::Batch packed = batch;
    pack_checkouts(packed);
    CHECK_FALSE(packed.has_checkouts());
    CHECK(MessageDifferencer::Equals(batch, packed));
  }
  SECTION("a newer agent's field in a checkout") {
    batch.mutable_deltas(0)->set_seq(1);
    batch.mutable_deltas(1)->set_seq(2);
    batch.mutable_deltas(2)->set_seq(3);
    auto* checkout = batch.mutable_deltas(1)->mutable_checkout();
    checkout->GetReflection()->MutableUnknownFields(checkout)->AddVarint(99, 1);
    auto received = over_the_wire(batch);
    CHECK(MessageDifferencer::Equals(batch, received));
    const auto& got = received.deltas(1).checkout();
    CHECK(got.GetReflection()->GetUnknownFields(got).field_count() == 1);
  }
}

TEST_CASE("Garbled checkout columns are refused with batch_garbled", "[sync][wire][columns]") {
  Values v(11);
  pma::v1::Batch batch;
  for (std::uint64_t seq = 1; seq <= 4; ++seq) {
    auto d = random_delta(v, seq);
    fill_checkout(*d.mutable_checkout(), v);
    d.mutable_checkout()->set_member_id("M1");
    *batch.add_deltas() = d;
  }
  pack_checkouts(batch);
  REQUIRE(batch.has_checkouts());
  auto* c = batch.mutable_checkouts();
  SECTION("a column one row short") { c->mutable_gross_fen()->RemoveLast(); }
  SECTION("a member index outside the dictionary") { c->set_member(2, 5); }
  SECTION("line counts that do not add up") { c->set_line_count(0, c->line_count(0) + 1); }
  SECTION("a checkout row colliding with a plain delta's seq") {
    auto* plain = batch.add_deltas();
    plain->set_seq(2);
    plain->mutable_coupon_redeemed()->set_code("C");
  }
  SECTION("a txn number wider than its width") {
    c->set_txn_number_gap(0, 123457);
    c->set_txn_width(0, 2);
  }
  auto ok = unpack_checkouts(batch);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == "batch_garbled");
}
