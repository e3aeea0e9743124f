#include <catch2/catch.hpp>

#include "agent/store/ledger.h"
#include "agent/store/outbox.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::kT0;
using pma::test::Till;

namespace {

v1::CommitRequest commit_of(std::string txn, std::string member, std::vector<v1::BasketLine> lines,
                            std::vector<std::string> coupons = {}, std::int64_t burn = 0) {
  v1::CommitRequest r;
  r.set_txn_id(std::move(txn));
  r.set_member_id(std::move(member));
  for (auto& l : lines) *r.add_lines() = l;
  for (auto& c : coupons) r.add_coupon_codes(c);
  r.set_points_to_burn(burn);
  return r;
}

}  // namespace

TEST_CASE("A commit writes ledger, coupon, one delta and the idempotency record together",
          "[checkout]") {
  Till till;
  till.add_member("M1", 2, 3000);
  till.add_coupon("W1", "M1");
  auto reply =
      till.service->commit(commit_of("T-1", "M1", {basket_line("cake", 2, 10000)}, {"W1"}, 1000));
  REQUIRE(reply);
  CHECK_FALSE(reply->replayed);
  const auto& q = reply->message.quote();
  // silver 18000, coupon -1000, points -5000 = 12000 paid, 120 points.
  CHECK(q.payable_fen() == 12000);
  CHECK(q.points_to_earn() == 120);
  CHECK(reply->message.new_balance() == 3000 - 1000 + 120);
  CHECK(till.balance("M1") == reply->message.new_balance());
  CHECK(reply->message.receipt().points_used() == 1000);
  CHECK(reply->message.receipt().coupons_used_size() == 1);
  CHECK(till.coupon_state("W1") == "redeemed");
  CHECK(till.outbox_rows() == 1);
  CHECK(till.scalar("SELECT COUNT(*) FROM idempotency") == 1);
  // Every ledger row points at the delta that carries it.
  CHECK(till.scalar("SELECT COUNT(*) FROM ledger WHERE outbox_seq = " +
                    std::to_string(reply->message.outbox_seq())) == 2);
  auto payload = till.scalar("SELECT seq FROM outbox");
  CHECK(payload == static_cast<std::int64_t>(reply->message.outbox_seq()));
}

TEST_CASE("A replay returns the first reply byte for byte and changes nothing", "[checkout]") {
  Till till;
  till.add_member("M1", 1, 0);
  auto request = commit_of("T-1", "M1", {basket_line("tea", 1, 1500)});
  auto first = till.service->commit(request);
  REQUIRE(first);
  till.clock.advance(60'000);
  auto again = till.service->commit(request);
  REQUIRE(again);
  CHECK(again->replayed);
  CHECK(again->bytes == first->bytes);
  CHECK(till.outbox_rows() == 1);
  CHECK(till.scalar("SELECT COUNT(*) FROM ledger") == 1);

  SECTION("the same id with another body is refused") {
    auto other = commit_of("T-1", "M1", {basket_line("tea", 2, 1500)});
    CHECK(till.service->commit(other).error().code == "idempotency_conflict");
    CHECK(till.outbox_rows() == 1);
  }
}

TEST_CASE("A refused commit writes nothing and names the rule", "[checkout]") {
  Till till;
  till.add_member("M1", 1, 500);
  till.add_member("M2", 1, 5000);
  till.add_coupon("OLD", "M1", "welcome", 0);  // valid until now: expired
  till.add_coupon("W2", "M2");
  auto lines = std::vector{basket_line("cake", 1, 20000)};
  CHECK(till.service->commit(commit_of("A", "M1", lines, {"OLD"})).error().code ==
        "coupon_expired");
  CHECK(till.service->commit(commit_of("B", "M1", lines, {}, 1000)).error().code ==
        "insufficient_points");
  CHECK(till.service->commit(commit_of("C", "M1", lines, {"W2"})).error().code ==
        "coupon_not_owner");
  CHECK(till.service->commit(commit_of("D", "NOPE", lines)).error().code == "unknown_member");
  CHECK(till.service->commit(commit_of("", "M1", lines)).error().code == "invalid_request");
  auto expect = commit_of("E", "M1", lines);
  expect.set_expected_payable_fen(20000);
  CHECK(till.service->commit(expect).error().code == "quote_changed");
  REQUIRE(till.service->commit(commit_of("F", "M2", lines, {"W2"})));
  CHECK(till.service->commit(commit_of("G", "M2", lines, {"W2"})).error().code ==
        "coupon_already_redeemed");
  CHECK(till.outbox_rows() == 1);
  CHECK(till.scalar("SELECT COUNT(*) FROM idempotency") == 1);
  CHECK(till.balance("M1") == 500);
}

TEST_CASE("Offline, burns are limited per member per store-local day", "[checkout][offline]") {
  Till till;
  till.add_member("M1", 1, 10000);
  using checkout::Connectivity;
  auto lines = std::vector{basket_line("cake", 1, 40000, false)};
  REQUIRE(till.service->commit(commit_of("A", "M1", lines, {}, 2000), Connectivity::offline));
  CHECK(till.service->commit(commit_of("B", "M1", lines, {}, 1000), Connectivity::offline)
            .error()
            .code == "points_offline_limit");
  CHECK(till.service->commit(commit_of("C", "M1", lines, {}, 1000), Connectivity::online));
  till.clock.advance(24LL * 3600 * 1000);  // the next store-local day
  CHECK(till.service->commit(commit_of("D", "M1", lines, {}, 2000), Connectivity::offline));
}

TEST_CASE("Coupons that need HQ are refused offline", "[checkout][offline]") {
  Till till;
  auto rules = loyalty::default_rule_set();
  rules.mutable_offline()->add_online_only_template_ids("welcome");
  REQUIRE(till.service->set_rules(rules));
  till.add_member("M1");
  till.add_coupon("W1", "M1");
  auto lines = std::vector{basket_line("cake", 1, 2000)};
  CHECK(till.service->commit(commit_of("A", "M1", lines, {"W1"})).error().code ==
        "needs_hq_online");
  CHECK(till.service->commit(commit_of("A", "M1", lines, {"W1"}), checkout::Connectivity::online));
}

TEST_CASE("Crossing 5,000 yuan in a year upgrades to gold from the next checkout",
          "[checkout][tier]") {
  Till till;
  till.add_member("M1", 2, 0, "", 480'000);
  auto r1 = till.service->commit(commit_of("A", "M1", {basket_line("cake", 1, 25000)}));
  REQUIRE(r1);
  CHECK(r1->message.quote().payable_fen() == 22500);  // still silver: 90%
  CHECK(r1->message.receipt().upgraded_to() == v1::TIER_GOLD);
  auto r2 = till.service->commit(commit_of("B", "M1", {basket_line("cake", 1, 10000)}));
  REQUIRE(r2);
  CHECK(r2->message.quote().payable_fen() == 8500);  // gold: 85%
  CHECK(r2->message.receipt().tier() == v1::TIER_GOLD);
}

TEST_CASE("Member day and birthday double points at commit", "[checkout][earning]") {
  Till till;
  till.add_member("M1", 1, 0, "05-28");  // kT0 is 28 May in Shanghai
  till.add_member("M2", 1, 0, "01-01");
  auto lines = std::vector{basket_line("tea", 1, 10000, false)};
  CHECK(till.service->commit(commit_of("A", "M1", lines))->message.quote().points_to_earn() == 200);
  CHECK(till.service->commit(commit_of("B", "M2", lines))->message.quote().points_to_earn() == 100);
  till.clock.set(kT0 + 11LL * 24 * 3600 * 1000);  // 8 June: member day
  CHECK(till.service->commit(commit_of("C", "M2", lines))->message.quote().points_to_earn() == 200);
}

TEST_CASE("Registration issues a welcome coupon and a provisional id", "[checkout][members]") {
  Till till;
  v1::RegisterMemberRequest req;
  req.set_phone("+86 138 1234 5678");
  req.set_name("Li");
  req.set_birthday("02-29");
  auto reg = till.service->register_member(req);
  REQUIRE(reg);
  CHECK(reg->created());
  // P-<store>-<terminal>-<install id>-<seq>
  CHECK_THAT(reg->member().member_id(), Catch::Matches("P-S1-T1-[0-9a-f]{8}-1"));
  CHECK(reg->member().phone_masked() == "138****5678");
  REQUIRE(reg->welcome_coupons_size() == 1);
  CHECK(reg->member().coupons_size() == 1);
  CHECK(till.coupon_state(reg->welcome_coupons(0).code()) == "issued");
  CHECK(till.outbox_rows() == 1);
  CHECK(till.scalar("SELECT COUNT(*) FROM outbox WHERE kind = 'member_registered'") == 1);

  SECTION("the same phone returns the same member") {
    req.set_phone("13812345678");
    auto again = till.service->register_member(req);
    REQUIRE(again);
    CHECK_FALSE(again->created());
    CHECK(again->member().member_id() == reg->member().member_id());
    CHECK(till.outbox_rows() == 1);
    CHECK(till.scalar("SELECT COUNT(*) FROM members") == 1);
  }
  SECTION("the welcome coupon pays at the next checkout") {
    auto r = till.service->commit(commit_of("A", reg->member().member_id(),
                                            {basket_line("cake", 1, 3000)},
                                            {reg->welcome_coupons(0).code()}));
    REQUIRE(r);
    CHECK(r->message.quote().coupon_discount_fen() == 1000);
  }
  SECTION("invalid input is refused") {
    req.set_phone("12345");
    CHECK(till.service->register_member(req).error().code == "invalid_phone");
    req.set_phone("13900000000");
    req.set_birthday("13-01");
    CHECK(till.service->register_member(req).error().code == "invalid_birthday");
  }
}

TEST_CASE("Provisional ids and seqs respect the seq floor after a reinstall",
          "[checkout][outbox]") {
  Till till;
  REQUIRE(till.db->exec("INSERT INTO sync_state(key, value) VALUES ('seq_floor', '500')"));
  v1::RegisterMemberRequest req;
  req.set_phone("13912345678");
  auto reg = till.service->register_member(req);
  REQUIRE(reg);
  CHECK_THAT(reg->member().member_id(), Catch::Matches("P-S1-T1-[0-9a-f]{8}-500"));
  CHECK(till.scalar("SELECT MAX(seq) FROM outbox") == 500);
  // Pruned rows never lower the next seq.
  REQUIRE(till.db->exec("DELETE FROM outbox"));
  CHECK(store::Outbox(*till.db).next_seq().value() == 501);
}

TEST_CASE("Refunds reverse earned points and restore burned points and coupons",
          "[checkout][refund]") {
  Till till;
  till.add_member("M1", 1, 2000);
  till.add_coupon("W1", "M1");
  auto sale = till.service->commit(
      commit_of("S", "M1", {basket_line("cake", 2, 10000), basket_line("tea", 1, 5000, false)},
                {"W1"}, 1000));
  REQUIRE(sale);
  // 19000 + 5000 - 1000 - 5000 = 18000 paid, 180 points.
  CHECK(sale->message.new_balance() == 2000 - 1000 + 180);
  v1::RefundRequest part;
  part.set_refund_id("R1");
  part.set_original_txn_id("S");
  auto* line = part.add_lines();
  line->set_line_index(0);
  line->set_qty(1);
  auto r1 = till.service->refund(part);
  REQUIRE(r1);
  CHECK_FALSE(r1->message.fully_refunded());
  CHECK(r1->message.coupons_restored_size() == 0);
  CHECK(till.coupon_state("W1") == "redeemed");
  auto replay = till.service->refund(part);
  REQUIRE(replay);
  CHECK(replay->bytes == r1->bytes);

  v1::RefundRequest rest;
  rest.set_refund_id("R2");
  rest.set_original_txn_id("S");
  auto r2 = till.service->refund(rest);
  REQUIRE(r2);
  CHECK(r2->message.fully_refunded());
  CHECK(r1->message.points_reversed() + r2->message.points_reversed() == 180);
  CHECK(r1->message.points_restored() + r2->message.points_restored() == 1000);
  CHECK(r1->message.refunded_fen() + r2->message.refunded_fen() == 18000);
  CHECK(till.coupon_state("W1") == "issued");
  CHECK(till.balance("M1") == 2000);
  CHECK(r2->message.new_balance() == 2000);
  CHECK(till.outbox_rows() == 3);
  rest.set_refund_id("R3");
  CHECK(till.service->refund(rest).error().code == "already_refunded");
  rest.set_original_txn_id("ELSEWHERE");
  CHECK(till.service->refund(rest).error().code == "original_not_found");
}

TEST_CASE("A refund that exceeds the balance records a points debt", "[checkout][refund]") {
  Till till;
  till.add_member("M1", 1, 0);
  auto sale = till.service->commit(commit_of("S", "M1", {basket_line("tv", 1, 300000, false)}));
  REQUIRE(sale);
  CHECK(sale->message.new_balance() == 3000);
  // The member spends the points elsewhere (HQ reflects it as a lower balance).
  REQUIRE(till.db->exec("UPDATE members SET hq_points = -2500 WHERE member_id = 'M1'"));
  v1::RefundRequest whole;
  whole.set_refund_id("R");
  whole.set_original_txn_id("S");
  auto r = till.service->refund(whole);
  REQUIRE(r);
  CHECK(r->message.points_reversed() == 3000);
  CHECK(r->message.new_balance() == -2500);
  CHECK(r->message.points_debt() == 2500);
  CHECK(till.balance("M1") == -2500);
}

TEST_CASE("Expired coupons are not restored by a refund", "[checkout][refund]") {
  Till till;
  till.add_member("M1");
  till.add_coupon("W1", "M1", "welcome", 1);
  REQUIRE(till.service->commit(commit_of("S", "M1", {basket_line("cake", 1, 3000)}, {"W1"})));
  till.clock.advance(2LL * 86400 * 1000);
  v1::RefundRequest whole;
  whole.set_refund_id("R");
  whole.set_original_txn_id("S");
  auto r = till.service->refund(whole);
  REQUIRE(r);
  REQUIRE(r->message.coupons_not_restored_size() == 1);
  CHECK(r->message.coupons_not_restored(0).reason_code() == "coupon_expired");
  CHECK(till.coupon_state("W1") == "redeemed");
}

TEST_CASE("A refund tells HQ when the refunded checkout happened", "[checkout][refund]") {
  Till till;
  till.add_member("M1");
  REQUIRE(till.service->commit(commit_of("S", "M1", {basket_line("cake", 1, 3000)})));
  const std::int64_t sold_at = till.clock.now_ms();
  till.clock.advance(40LL * 86400 * 1000);  // the next month
  v1::RefundRequest whole;
  whole.set_refund_id("R");
  whole.set_original_txn_id("S");
  REQUIRE(till.service->refund(whole));
  auto stmt = till.db->prepare("SELECT payload FROM outbox WHERE kind = 'refund'");
  REQUIRE(stmt);
  REQUIRE(stmt->step().value());
  auto payload = stmt->column_blob(0);
  v1::Delta delta;
  REQUIRE(delta.ParseFromArray(payload.data(), static_cast<int>(payload.size())));
  REQUIRE(delta.has_refund());
  CHECK(delta.occurred_at_ms() == sold_at + 40LL * 86400 * 1000);
  CHECK(delta.refund().original_occurred_at_ms() == sold_at);
}

TEST_CASE(
    "A commit's receipt is the printable member block: name, QR, coupon titles, "
    "store-local expiry",
    "[checkout][receipt]") {
  Till till;  // the store is at UTC+8
  till.add_member("M1", 2, 3000);
  REQUIRE(
      till.db->exec("UPDATE members SET name = '王小明', card_no = '8800012345' "
                    "WHERE member_id = 'M1'"));
  till.add_coupon("W1", "M1");
  till.add_coupon("W2", "M1", "birthday");
  // Usable until 2026-12-31 20:00 UTC (exclusive): 2027-01-01 03:59:59 in the store.
  REQUIRE(till.db->exec("UPDATE coupons SET valid_until = 1798747200 WHERE code = 'W2'"));
  auto reply =
      till.service->commit(commit_of("T-9", "M1", {basket_line("cake", 1, 10000)}, {"W1"}));
  REQUIRE(reply);
  const v1::MemberReceipt& r = reply->message.receipt();
  CHECK(r.member_id() == "M1");
  CHECK(r.member_name() == "王小明");
  CHECK(r.member_qr() == "8800012345");
  CHECK(r.transaction_id() == "T-9");
  CHECK(r.points_balance() == reply->message.new_balance());
  REQUIRE(r.coupons_used_size() == 1);
  CHECK(r.coupons_used(0).code() == "W1");
  CHECK(r.coupons_used(0).title() == "Welcome: 10 yuan off");  // the rule set's title
  REQUIRE(r.coupons_available_size() == 1);
  CHECK(r.coupons_available(0).code() == "W2");
  CHECK(r.coupons_available(0).title() == "birthday");
  CHECK(r.coupons_available(0).valid_until() == "2026-12-31T20:00:00Z");
  CHECK(r.coupons_available(0).expires_on() == "2027-01-01");
}
