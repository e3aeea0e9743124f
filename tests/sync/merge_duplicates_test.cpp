// Issue 14, duplicates: two tills that register the same phone offline end with one member at
// HQ, and `memberhq merge` folds one member into another with every point, fen and coupon
// added exactly, the old id an alias everywhere. Real memberhq sink and server on loopback, real
// till databases (sync_world.h).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "agent/store/member_store.h"
#include "pma/phone.h"
#include "sync/hq/sqlite_member_quality.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

std::int64_t hq_scalar(SyncWorld& world, const std::string& sql) {
  auto q = world.sink->core().db().prepare(sql);
  REQUIRE(q);
  auto row = q->step();
  REQUIRE(row);
  REQUIRE(*row);
  return q->column_int64(0);
}

std::string hq_text(SyncWorld& world, const std::string& sql) {
  auto q = world.sink->core().db().prepare(sql);
  REQUIRE(q);
  auto row = q->step();
  REQUIRE(row);
  REQUIRE(*row);
  return q->column_text(0);
}

// Every point and fen HQ holds, over all member rows (tombstones included).
std::int64_t hq_points_total(SyncWorld& world) {
  return hq_scalar(world, "SELECT COALESCE(SUM(points), 0) FROM members");
}
std::int64_t hq_spend_total(SyncWorld& world) {
  return hq_scalar(world,
                   "SELECT (SELECT COALESCE(SUM(spend_month_fen), 0) FROM members) + "
                   "(SELECT COALESCE(SUM(spend_fen), 0) FROM member_spend)");
}
std::int64_t hq_spend_of(SyncWorld& world, const std::string& member) {
  return hq_scalar(world, fmt::format("SELECT (SELECT spend_month_fen FROM members WHERE "
                                      "member_id = '{0}') + (SELECT COALESCE(SUM(spend_fen), 0) "
                                      "FROM member_spend WHERE member_id = '{0}')",
                                      member));
}

// A registration as a till writes it, with its welcome coupon's terms.
std::uint64_t register_with_coupon(SyncWorld& world, Till& till, const std::string& provisional,
                                   const std::string& phone, const std::string& code) {
  pma::PhoneHasher hasher("chain-key");
  pma::store::MemberStore members(*till.db, hasher);
  REQUIRE(members.upsert({.member_id = provisional, .phone = phone, .name = "New"}, 0));
  auto delta = pma::test::registration_delta(provisional, phone, "New");
  auto* terms = delta.mutable_member_registered()->add_welcome_coupon_terms();
  terms->set_code(code);
  terms->set_template_id("welcome");
  terms->set_title("Welcome");
  terms->set_valid_from(1);
  terms->set_valid_until(4'000'000'000);
  return world.write_delta(till, delta, provisional, 0, "member_registered");
}

}  // namespace

TEST_CASE("Two tills registering one phone offline end as one member with every point",
          "[sync][merge]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));
  // Both offline: each registers the same phone and sells to the new member.
  register_with_coupon(world, a, "P-A-T1-1", "13800001111", "W-A-T1-1");
  world.checkout(a, "P-A-T1-1", 40);
  register_with_coupon(world, b, "P-B-T1-1", "13800001111", "W-B-T1-1");
  world.checkout(b, "P-B-T1-1", 25);

  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));
  REQUIRE(world.sync(a));  // A's page now carries what B added

  // One member at HQ for the phone, holding both tills' points and both welcome coupons.
  CHECK(hq_scalar(world,
                  "SELECT COUNT(*) FROM members WHERE erased = 0 AND merged_into IS NULL "
                  "AND profile = 1") == 1);
  const std::string survivor = hq_text(world, "SELECT member_id FROM members WHERE profile = 1");
  CHECK_FALSE(survivor.starts_with("P-"));
  CHECK(world.hq_balance(survivor) == 65);
  CHECK(hq_points_total(world) == 65);
  CHECK(hq_scalar(world, fmt::format("SELECT COUNT(*) FROM coupons WHERE member_id = '{}'",
                                     survivor)) == 2);
  CHECK(hq_scalar(world,
                  "SELECT COUNT(*) FROM member_merges WHERE kind = 'registration' AND "
                  "from_id = 'P-B-T1-1'") == 1);
  // Both tills hold the survivor (no provisional row left) with the same balance.
  for (Till* till : {&a, &b}) {
    INFO(till->store_id);
    CHECK(world.count(*till, "SELECT COUNT(*) FROM members WHERE member_id LIKE 'P-%'") == 0);
    CHECK(world.count(*till, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}'",
                                         survivor)) == 1);
    CHECK(world.till_balance(*till, survivor) == 65);
  }

  // A POS at B still naming the provisional id: the delta lands on the survivor.
  world.checkout(b, "P-B-T1-1", 10);
  REQUIRE(world.sync(b));
  CHECK(world.hq_balance(survivor) == 75);
  CHECK(hq_points_total(world) == 75);

  pma::hq::SqliteMemberQuality quality(world.sink->core());
  auto report = quality.quality_report();
  REQUIRE(report);
  CHECK(report->merged_at_registration == 1);
  CHECK(report->members == 1);
}

TEST_CASE("A manual merge moves points, spend, coupons and history exactly and leaves an alias",
          "[sync][merge]") {
  SyncWorld world;
  world.import_members(3, 100);  // M1..M3, 100 points each
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  const std::uint64_t sale_seq = world.checkout(a, "M1", 40);  // 4,000 fen
  (void)sale_seq;
  world.checkout(a, "M2", 10);
  auto* db = &world.sink->core().db();
  REQUIRE(
      db->exec("INSERT INTO coupons(code, member_id, template_id, state) VALUES "
               "('C-1', 'M1', 'hq', 1), ('C-2', 'M1', 'hq', 2)"));
  REQUIRE(world.sync(a));
  REQUIRE(world.hq_balance("M1") == 140);
  REQUIRE(world.hq_balance("M2") == 110);
  const std::int64_t points_before = hq_points_total(world);
  const std::int64_t spend_before = hq_spend_total(world);
  const std::int64_t m1_spend = hq_spend_of(world, "M1");
  const std::int64_t m2_spend = hq_spend_of(world, "M2");
  REQUIRE(m1_spend == 4'000);

  pma::hq::SqliteMemberQuality quality(world.sink->core());
  auto merged = quality.merge("M1", "M2", 1'800'000'000'000);
  REQUIRE(merged);
  CHECK(merged->from_id == "M1");
  CHECK(merged->into_id == "M2");
  CHECK(merged->points == 140);
  CHECK(merged->spend_fen == m1_spend);
  CHECK(merged->coupons == 2);
  CHECK(merged->sales == 1);
  const std::string text = pma::hq::format_merge_report(*merged);
  CHECK_THAT(text, Catch::Contains("points moved\t140"));
  CHECK_THAT(text, Catch::Contains("coupons moved\t2"));

  // Nothing minted, nothing dropped.
  CHECK(world.hq_balance("M2") == 250);
  CHECK(world.hq_balance("M1") == 0);
  CHECK(hq_points_total(world) == points_before);
  CHECK(hq_spend_total(world) == spend_before);
  CHECK(hq_spend_of(world, "M2") == m1_spend + m2_spend);
  CHECK(hq_scalar(world, "SELECT COUNT(*) FROM coupons WHERE member_id = 'M2'") == 2);
  CHECK(hq_text(world, "SELECT merged_into FROM members WHERE member_id = 'M1'") == "M2");

  // The till replaces M1 with M2 and keeps M1 as an alias.
  REQUIRE(world.sync(a));
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id = 'M1'") == 0);
  CHECK(world.till_balance(a, "M2") == 250);
  pma::PhoneHasher hasher("chain-key");
  pma::store::MemberStore members(*a.db, hasher);
  auto found = members.find_by_id("M1", 0);
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->member_id == "M2");
  CHECK((*found)->points == 250);

  // A delta under the old id (a till that had not synced, a POS still naming it) lands on M2.
  world.checkout(a, "M1", 7);
  REQUIRE(world.sync(a));
  CHECK(world.hq_balance("M2") == 257);
  CHECK(world.hq_balance("M1") == 0);
  CHECK(hq_points_total(world) == points_before + 7);

  SECTION("merging again, into itself or an unknown member is refused and changes nothing") {
    CHECK(quality.merge("M1", "M2", 1).error().code == "merge_refused");
    CHECK(quality.merge("M2", "M2", 1).error().code == "merge_refused");
    CHECK(quality.merge("M9", "M2", 1).error().code == "member_not_found");
    CHECK(quality.merge("M3", "M9", 1).error().code == "member_not_found");
    CHECK(hq_points_total(world) == points_before + 7);
  }
  SECTION("a member merged in later takes M1's alias along") {
    auto again = quality.merge("M2", "M3", 1'800'000'000'001);
    REQUIRE(again);
    CHECK(again->aliases == 1);  // M1 -> M2 became M1 -> M3
    CHECK(world.hq_balance("M3") == 357);
    world.checkout(a, "M1", 3);
    REQUIRE(world.sync(a));
    CHECK(world.hq_balance("M3") == 360);
    CHECK(hq_points_total(world) == points_before + 10);
    CHECK(world.till_balance(a, "M3") == 360);
  }
}
