// Issue 11, "a terminal acts only for itself": a till with a valid certificate of store S1
// (the rogue) sends, through the real memberhq on loopback with mutual TLS, every delta a
// bent till could send to act for store S2 or to mint points. Each is refused, recorded as a
// conflict, changes nothing, and the batch is still acknowledged; S2 is served meanwhile.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <limits>
#include <set>

#include "drivers/sqlite/database.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

// A registration as agent/checkout writes it, with welcome coupons.
std::uint64_t register_with(SyncWorld& world, Till& till, const std::string& provisional_id,
                            const std::string& phone, std::vector<std::string> coupons) {
  auto delta = pma::test::registration_delta(provisional_id, phone, "Customer");
  auto* r = delta.mutable_member_registered();
  for (const auto& code : coupons) {
    auto* t = r->add_welcome_coupon_terms();
    t->set_code(code);
    t->set_template_id("welcome");
    t->set_valid_from(1'700'000'000);
    t->set_valid_until(1'900'000'000);
  }
  return world.write_delta(till, delta, provisional_id, 0, "member_registered");
}

std::uint64_t sale(SyncWorld& world, Till& till, const std::string& txn, const std::string& member,
                   std::int64_t paid_fen, std::int64_t earned,
                   std::vector<std::string> coupons = {}) {
  pma::v1::Delta delta;
  delta.set_txn_id(txn);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->set_gross_fen(paid_fen);
  c->set_paid_fen(paid_fen);
  c->set_points_earned(earned);
  for (auto& code : coupons) c->add_coupon_codes(code);
  return world.write_delta(till, delta, member, earned, "checkout");
}

std::uint64_t refund(SyncWorld& world, Till& till, const std::string& txn,
                     const std::string& original, const std::string& member, std::int64_t fen,
                     std::int64_t restored, std::vector<std::string> coupons = {}) {
  pma::v1::Delta delta;
  delta.set_txn_id(txn);
  auto* r = delta.mutable_refund();
  r->set_member_id(member);
  r->set_original_txn_id(original);
  r->set_refunded_fen(fen);
  r->set_points_restored(restored);
  for (auto& code : coupons) r->add_coupons_restored(code);
  return world.write_delta(till, delta, member, restored, "refund");
}

std::string hq_text(SyncWorld& world, const std::string& sql) {
  auto db = pma::sqlite::Database::open(world.dir.file("hq.db"));
  REQUIRE(db);
  auto q = (*db)->prepare(sql);
  REQUIRE(q);
  auto row = q->step();
  REQUIRE(row);
  if (!*row) return "<none>";
  return q->column_text(0);
}

std::string canonical(SyncWorld& world, const pma::hq::TerminalIdentity& terminal,
                      const std::string& provisional_id) {
  const std::vector<std::string> asked{provisional_id};
  auto found = world.sink->id_mappings(terminal, asked);
  REQUIRE(found);
  REQUIRE(found->size() == 1);
  return (*found)[0].member_id();
}

// The conflicts the rogue caused, by kind, in order.
std::vector<std::string> rogue_conflicts(SyncWorld& world) {
  auto all = world.sink->conflicts();
  REQUIRE(all);
  std::vector<std::string> kinds;
  for (const auto& c : *all) {
    if (c.store_id == "S1") kinds.push_back(c.kind);
  }
  return kinds;
}

}  // namespace

TEST_CASE("A certificate of another store can neither register, squat, refund nor mint for S2",
          "[sync][rogue]") {
  SyncWorld world;
  pma::v1::RuleSet rules;
  rules.set_version(1);
  rules.mutable_earning()->set_points_per_yuan(1);
  REQUIRE(world.sink->put_rule_set(1, rules.SerializeAsString()));
  world.import_members(1, 0);  // M1: the rogue's own, honest customer
  Till& victim = world.add_till("S2", "T1");
  Till& rogue = world.add_till("S1", "T9");

  // S2's customer: registered with a welcome coupon, 475 points, the coupon redeemed in TX-1.
  register_with(world, victim, "P-S2-T1-7", "13912345678", {"W-S2-T1-5"});
  sale(world, victim, "TX-1", "P-S2-T1-7", 47'500, 475, {"W-S2-T1-5"});
  REQUIRE(world.sync(victim));
  const std::string customer = canonical(world, {"S2", "T1"}, "P-S2-T1-7");
  REQUIRE(world.hq_balance(customer) == 475);
  const std::string coupon_sql =
      "SELECT state || ' ' || member_id || ' ' || "
      "COALESCE(redeemed_txn, '') FROM coupons WHERE code = ";
  REQUIRE(hq_text(world, coupon_sql + "'W-S2-T1-5'") == fmt::format("2 {} TX-1", customer));

  SECTION("every attack is refused and recorded; the honest deltas around them apply") {
    sale(world, rogue, "R-1", "M1", 1000, 10);                               // honest
    register_with(world, rogue, "P-S2-T1-7", "13800000001", {});             // S2's id
    register_with(world, rogue, "P-S1-T9-1", "13800000002", {"W-S2-T1-6"});  // squat S2's code
    sale(world, rogue, "R-2", customer, 100'000'000'000, 1'000'000'000);     // beyond the caps
    sale(world, rogue, "R-3", "M1", 100, 5000);                              // not earned by 1 yuan
    refund(world, rogue, "R-4", "TX-1", customer, 47'500, 0, {"W-S2-T1-5"});  // S2's sale
    {
      pma::v1::Delta adjust;
      adjust.mutable_points_adjusted()->set_member_id(customer);
      adjust.mutable_points_adjusted()->set_points(100'000);
      adjust.mutable_points_adjusted()->set_reason("goodwill");
      world.write_delta(rogue, adjust, customer, 100'000, "points_adjusted");
    }
    {
      pma::v1::Delta redeem;  // burn S2's customer's coupon for the rogue's customer
      redeem.mutable_coupon_redeemed()->set_member_id("M1");
      redeem.mutable_coupon_redeemed()->set_code("W-S2-T1-5");
      world.write_delta(rogue, redeem, "M1", 0, "coupon_redeemed");
    }
    sale(world, rogue, "R-5", "M1", 500, 5, {"W-S2-T1-9"});  // squat an unknown S2 code
    refund(world, rogue, "R-6", "R-1", "M1", 5000, 0);       // more than R-1 paid
    refund(world, rogue, "R-7", "R-1", customer, 1000, 0);   // R-1 was M1's, not the customer's
    {
      pma::v1::Delta burn;
      burn.mutable_checkout()->set_member_id(customer);
      burn.mutable_checkout()->set_points_burned(std::numeric_limits<std::int64_t>::max());
      world.write_delta(rogue, burn, customer, 0, "checkout");
    }
    sale(world, rogue, "R-8", "M1", 2000, 20);  // honest, after all of them

    auto report = world.sync(rogue);
    REQUIRE(report);
    // Acknowledged: the honest part of the outbox is not stuck behind the refused deltas.
    CHECK(world.count(rogue, "SELECT COUNT(*) FROM outbox") == 0);
    CHECK(*world.sink->highest_applied({"S1", "T9"}) == 13);
    CHECK(rogue_conflicts(world) ==
          std::vector<std::string>{"foreign_id", "foreign_id", "delta_out_of_range",
                                   "points_earned_exceeds_rules", "refund_not_own_sale",
                                   "points_adjustment_refused", "coupon_not_owner",
                                   "coupon_not_owner", "refund_exceeds_sale", "refund_not_own_sale",
                                   "delta_out_of_range"});
    // Nothing of them changed: S2's customer, S2's coupon, S2's ids.
    CHECK(world.hq_balance(customer) == 475);
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-5'") == fmt::format("2 {} TX-1", customer));
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-6'") == "<none>");
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-9'") == "<none>");
    CHECK(canonical(world, {"S2", "T1"}, "P-S2-T1-7") == customer);
    CHECK(hq_text(world,
                  "SELECT COUNT(*) FROM provisional_ids WHERE provisional_id = "
                  "'P-S1-T9-1'") == "0");
    CHECK(world.hq_balance("M1") == 30);  // R-1 and R-8 only

    // S2 registers the code the rogue tried to squat, and refunds its own sale: both work.
    register_with(world, victim, "P-S2-T1-8", "13912345679", {"W-S2-T1-6"});
    refund(world, victim, "TX-1-R", "TX-1", "P-S2-T1-7", 47'500, 0, {"W-S2-T1-5"});
    REQUIRE(world.sync(victim));
    auto second = canonical(world, {"S2", "T1"}, "P-S2-T1-8");
    CHECK(second != customer);
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-6'") == fmt::format("1 {} ", second));
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-5'") == fmt::format("1 {} ", customer));
    CHECK(rogue_conflicts(world).size() == 11);
    auto all = world.sink->conflicts();
    REQUIRE(all);
    CHECK(all->size() == 11);  // S2 caused none
  }

  SECTION("a refund at the rogue naming a txn id S2 also used restores none of S2's coupons") {
    // Txn ids are the POS's own: S1 may well have a TX-1 of its own.
    sale(world, rogue, "TX-1", "M1", 1000, 10);
    refund(world, rogue, "TX-1-R", "TX-1", "M1", 1000, 0, {"W-S2-T1-5"});
    REQUIRE(world.sync(rogue));
    CHECK(hq_text(world, coupon_sql + "'W-S2-T1-5'") == fmt::format("2 {} TX-1", customer));
    CHECK(world.hq_balance("M1") == 10);
    CHECK(world.hq_balance(customer) == 475);
  }
}

TEST_CASE("A balance HQ cannot add to without overflowing is a recorded conflict",
          "[sync][rogue]") {
  SyncWorld world;
  std::vector<pma::hq::ImportedMember> members{
      {"RICH", "", {}, "", "Rich", "", 1, std::numeric_limits<std::int64_t>::max() - 5}};
  REQUIRE(world.sink->import_members(members));
  Till& till = world.add_till("S1", "T1");
  sale(world, till, "X-1", "RICH", 1000, 10);
  REQUIRE(world.sync(till));
  CHECK(world.hq_balance("RICH") == std::numeric_limits<std::int64_t>::max() - 5);
  CHECK(rogue_conflicts(world) == std::vector<std::string>{"delta_out_of_range"});
  CHECK(world.count(till, "SELECT COUNT(*) FROM outbox") == 0);
}

TEST_CASE("HQ's new member ids never collide with imported ones", "[sync][hq][ids]") {
  SyncWorld world;
  // Ids in HQ's own pattern, e.g. from a previous system or an export of another HQ.
  std::vector<pma::hq::ImportedMember> members{{"H000000001", "", {}, "", "Old one", "", 1, 70},
                                               {"H000000002", "", {}, "", "Old two", "", 1, 80},
                                               {"H000000005", "", {}, "", "Old five", "", 1, 50}};
  REQUIRE(world.sink->import_members(std::span(members).subspan(1)));
  Till& till = world.add_till("S1", "T1");
  world.register_member(till, "P-S1-T1-1", "13900000001");
  world.register_member(till, "P-S1-T1-2", "13900000002");
  REQUIRE(world.sync(till));
  // Another process imports H000000001 while the server runs; HQ was opened before it.
  {
    auto other = pma::hq::SqliteSink::open(world.dir.file("hq.db"), "NORMAL");
    REQUIRE(other);
    REQUIRE((*other)->import_members(std::span(members).first(1)));
  }
  world.register_member(till, "P-S1-T1-3", "13900000003");
  REQUIRE(world.sync(till));
  std::set<std::string> ids;
  for (const auto* p : {"P-S1-T1-1", "P-S1-T1-2", "P-S1-T1-3"}) {
    ids.insert(canonical(world, {"S1", "T1"}, p));
  }
  CHECK(ids.size() == 3);
  for (const auto& m : members) CHECK_FALSE(ids.contains(m.member_id));
  CHECK(world.hq_balance("H000000001") == 70);
  CHECK(world.hq_balance("H000000002") == 80);
  CHECK(world.hq_balance("H000000005") == 50);
  // A restarted HQ (a second open of the file) continues past every id it holds.
  auto reopened = pma::hq::SqliteSink::open(world.dir.file("hq.db"), "NORMAL");
  REQUIRE(reopened);
  pma::v1::Batch batch;
  auto* d = batch.add_deltas();
  d->set_seq(1);
  d->set_txn_id("reg");
  d->mutable_member_registered()->set_provisional_id("P-S1-T2-1");
  auto applied = (*reopened)->apply_batch({"S1", "T2"}, batch, 1);
  REQUIRE(applied);
  REQUIRE(applied->id_mappings.size() == 1);
  CHECK_FALSE(ids.contains(applied->id_mappings[0].member_id()));
  CHECK(applied->id_mappings[0].member_id() > "H000000005");
}
