// memberhq erase: a member erased at HQ leaves every till's cache at its next sync, its PII is
// gone at HQ, its holds are released, and nothing a store sends afterwards (a late checkout or
// refund) brings it or its coupons back.
#include <fmt/format.h>

#include <catch2/catch.hpp>

#include "agent/store/member_store.h"
#include "drivers/sqlite/database.h"
#include "pma/phone.h"
#include "tests/sync/sqlite_file_query.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

constexpr const char* kPhone = "13812345678";

// A registration at the till with a welcome coupon, as agent/checkout writes it.
void register_with_coupon(SyncWorld& world, Till& till, const std::string& provisional_id,
                          const std::string& coupon) {
  pma::PhoneHasher hasher("chain-key");
  pma::store::MemberStore members(*till.db, hasher);
  REQUIRE(members.upsert({.member_id = provisional_id, .phone = kPhone, .name = "Wang"}, 0));
  auto delta = pma::test::registration_delta(provisional_id, kPhone, "Wang");
  auto* r = delta.mutable_member_registered();
  r->set_birthday("1990-04-01");
  r->set_card_no("886099990001");
  r->add_welcome_coupons(coupon);
  world.write_delta(till, delta, provisional_id, 0, "member_registered");
}

std::string canonical_of(SyncWorld& world, Till& till) {
  auto stmt = till.db->prepare("SELECT member_id FROM members WHERE phone_masked <> ''");
  REQUIRE(stmt);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  (void)world;
  return stmt->column_text(0);
}

// HQ's own row, read through a second connection to its file.
std::string hq_row(SyncWorld& world, const std::string& member_id) {
  auto db = pma::sqlite::Database::open(world.dir.file("hq.db"));
  REQUIRE(db);
  auto q = (*db)->prepare(
      "SELECT erased || '|' || COALESCE(card_no, 'null') || '|' || "
      "typeof(phone_hash) || '|' || phone_masked || '|' || name || '|' || "
      "birthday || '|' || COALESCE((SELECT group_concat(code || ':' || state) FROM coupons c "
      "WHERE c.member_id = members.member_id), '') FROM members WHERE member_id = ?1");
  REQUIRE(q);
  q->bind(1, member_id);
  auto row = q->step();
  REQUIRE(row);
  REQUIRE(*row);
  return q->column_text(0);
}

}  // namespace

TEST_CASE("A member erased at HQ leaves a till's cache at its next sync and stays gone",
          "[sync][hq][erase]") {
  SyncWorld world;
  world.import_members(2, 100);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  register_with_coupon(world, a, "P-A-T1-1", "W-A-T1-1");
  world.checkout(a, "P-A-T1-1", 30);
  REQUIRE(world.sync(a));
  const std::string erased_id = canonical_of(world, a);
  REQUIRE(world.sync(b));
  REQUIRE(world.count(b, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}' AND "
                                     "phone_hash IS NOT NULL AND name = 'Wang'",
                                     erased_id)) == 1);
  REQUIRE(world.count(b, fmt::format("SELECT COUNT(*) FROM coupons WHERE member_id = '{}'",
                                     erased_id)) == 1);
  auto before = world.sink->member(erased_id);
  REQUIRE(before);
  REQUIRE(before->has_value());

  auto erased = world.sink->erase_member(erased_id);
  REQUIRE(erased);
  CHECK(erased->member_id == erased_id);
  CHECK_FALSE(erased->already_erased);
  CHECK(erased->coupons_revoked == 1);
  CHECK(erased->version > (*before)->version);
  CHECK(hq_row(world, erased_id) == "1|null|null||||W-A-T1-1:3");

  // Store B syncs: the member and its coupon leave the cache.
  REQUIRE(world.sync(b));
  CHECK(world.count(
            b, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}'", erased_id)) == 0);
  CHECK(world.count(
            b, fmt::format("SELECT COUNT(*) FROM coupons WHERE member_id = '{}'", erased_id)) == 0);
  CHECK(world.count(b, "SELECT COUNT(*) FROM members") == 2);  // M1 and M2 stay

  // Store A sold to the member before it learnt of the erasure: HQ ignores the points, records
  // a conflict, and A drops the member in the same session.
  world.checkout(a, erased_id, 12);
  REQUIRE(world.sync(a));
  auto conflicts = world.sink->conflicts();
  REQUIRE(conflicts);
  REQUIRE(conflicts->size() == 1);
  CHECK((*conflicts)[0].kind == "erased_member_activity");
  CHECK((*conflicts)[0].member_id == erased_id);
  CHECK((*conflicts)[0].store_id == "A");
  CHECK(world.hq_balance(erased_id) == 30);
  CHECK(hq_row(world, erased_id) == "1|null|null||||W-A-T1-1:3");
  CHECK(world.count(
            a, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}'", erased_id)) == 0);

  // The same phone registering again is a new member, never the erased one.
  register_with_coupon(world, a, "P-A-T1-2", "W-A-T1-2");
  REQUIRE(world.sync(a));
  const std::string new_id = canonical_of(world, a);
  CHECK(new_id != erased_id);
  CHECK(hq_row(world, erased_id) == "1|null|null||||W-A-T1-1:3");

  // A full reconcile (cursor from 0) at B does not bring the erased member back.
  REQUIRE(b.sync_store->reset_member_cursor());
  auto full = world.sync(b);
  REQUIRE(full);
  CHECK(full->members_applied >= 4);
  CHECK(world.count(
            b, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}'", erased_id)) == 0);
  CHECK(world.count(
            b, fmt::format("SELECT COUNT(*) FROM members WHERE member_id = '{}'", new_id)) == 1);
  auto snapshot = world.sink->member(erased_id);
  REQUIRE(snapshot);
  REQUIRE(snapshot->has_value());
  CHECK((*snapshot)->erased);
}

TEST_CASE("Erasing at HQ refuses an unknown id, is idempotent, and survives a re-import",
          "[sync][hq][erase]") {
  SyncWorld world;
  world.import_members(2, 100);

  auto unknown = world.sink->erase_member("NOPE");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == "member_not_found");
  CHECK(unknown.error().message.find("NOPE") != std::string::npos);

  auto first = world.sink->erase_member("M1");
  REQUIRE(first);
  CHECK_FALSE(first->already_erased);
  auto again = world.sink->erase_member("M1");
  REQUIRE(again);
  CHECK(again->already_erased);
  CHECK(again->version == first->version);

  // An old export imported again does not resurrect the erased member's PII.
  pma::hq::ImportedMember m1{"M1", "886000000001", {}, "", "Member 1", "", 1, 100};
  pma::hq::ImportedMember m3{"M3", "886000000003", {}, "", "Member 3", "", 1, 100};
  std::vector<pma::hq::ImportedMember> rows = {m1, m3};
  auto written = world.sink->import_members(rows);
  REQUIRE(written);
  CHECK(*written == 1);
  CHECK(hq_row(world, "M1") == "1|null|null||||");

  // The erasure travels: a till that never saw M1 receives it as erased and keeps no row.
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id = 'M1'") == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM members") == 2);
}

namespace {

// A checkout (or its refund) under a POS transaction id of the test's choosing.
void redeem_as(SyncWorld& world, Till& till, const std::string& txn, const std::string& member,
               const std::string& coupon) {
  pma::v1::Delta delta;
  delta.set_txn_id(txn);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->add_coupon_codes(coupon);
  world.write_delta(till, delta, member, 0, "checkout");
}

void refund_as(SyncWorld& world, Till& till, const std::string& original_txn,
               const std::string& member, const std::string& coupon) {
  pma::v1::Delta delta;
  delta.set_txn_id("R-" + original_txn);
  auto* r = delta.mutable_refund();
  r->set_member_id(member);
  r->set_original_txn_id(original_txn);
  r->add_coupons_restored(coupon);
  world.write_delta(till, delta, member, 0, "refund");
}

std::int64_t hq_count(SyncWorld& world, const std::string& sql) {
  auto n = pma::test::first_int(world.dir.file("hq.db"), sql);
  REQUIRE(n.has_value());
  return *n;
}

}  // namespace

TEST_CASE("A refund arriving after the erasure leaves the erased member's coupon revoked",
          "[sync][hq][erase]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  register_with_coupon(world, a, "P-A-T1-1", "W-A-T1-1");
  // A second member (no phone) whose refund must still give its coupon back.
  pma::v1::Delta other;
  other.mutable_member_registered()->set_provisional_id("P-A-T1-2");
  other.mutable_member_registered()->add_welcome_coupons("W-A-T1-2");
  world.write_delta(a, other, "P-A-T1-2", 0, "member_registered");
  redeem_as(world, a, "SALE-1", "P-A-T1-1", "W-A-T1-1");
  redeem_as(world, a, "SALE-2", "P-A-T1-2", "W-A-T1-2");
  REQUIRE(world.sync(a));
  REQUIRE(hq_count(world, "SELECT COUNT(*) FROM coupons WHERE state = 2") == 2);

  auto erased = world.sink->erase_member("P-A-T1-1");
  REQUIRE(erased);
  CHECK(erased->coupons_revoked == 0);  // W-A-T1-1 was redeemed, not issued
  // The till refunds both sales before it hears of the erasure.
  refund_as(world, a, "SALE-1", "P-A-T1-1", "W-A-T1-1");
  refund_as(world, a, "SALE-2", "P-A-T1-2", "W-A-T1-2");
  REQUIRE(world.sync(a));

  CHECK(hq_count(world, "SELECT state FROM coupons WHERE code = 'W-A-T1-1'") ==
        pma::v1::COUPON_REVOKED);
  CHECK(hq_count(world, "SELECT state FROM coupons WHERE code = 'W-A-T1-2'") ==
        pma::v1::COUPON_ISSUED);
  CHECK(hq_count(world,
                 "SELECT COUNT(*) FROM coupons WHERE code = 'W-A-T1-1' AND "
                 "redeemed_txn IS NULL") == 1);
  CHECK(hq_row(world, erased->member_id) == "1|null|null||||W-A-T1-1:3");
  // Nobody can hold or redeem it afterwards.
  pma::v1::ReserveRequest ask;
  ask.set_txn_id("A-9");
  ask.add_coupon_codes("W-A-T1-1");
  auto reply = world.sink->reserve({"A", "T1"}, ask, 1, 2);
  REQUIRE(reply);
  CHECK_FALSE(reply->granted());
  CHECK(reply->refusals(0).code() == "coupon_revoked");
}

TEST_CASE("Erasing a member releases its online-first holds in the same transaction",
          "[sync][hq][erase][reserve]") {
  constexpr std::int64_t kNow = 1'790'000'000'000;
  constexpr std::int64_t kUntil = kNow + 15 * 60 * 1000;
  SyncWorld world;
  world.import_members(2, 1000);
  Till& a = world.add_till("A", "T1");
  register_with_coupon(world, a, "P-A-T1-1", "W-A-T1-1");
  REQUIRE(world.sync(a));
  auto& sink = *world.sink;
  auto reserve = [&](const std::string& store, const std::string& txn, const std::string& member,
                     std::int64_t points, const std::string& coupon) {
    pma::v1::ReserveRequest r;
    r.set_txn_id(txn);
    r.set_member_id(member);
    r.set_points(points);
    if (!coupon.empty()) r.add_coupon_codes(coupon);
    auto reply = sink.reserve({store, "T1"}, r, kNow, kUntil);
    REQUIRE(reply);
    return *reply;
  };
  REQUIRE(reserve("B", "B-1", "M1", 300, "").granted());
  REQUIRE(reserve("A", "A-1", "P-A-T1-1", 0, "W-A-T1-1").granted());  // by its provisional id
  REQUIRE(reserve("B", "B-2", "M2", 100, "").granted());
  REQUIRE(*sink.active_holds(kNow) == 3);

  auto m1 = sink.erase_member("M1");
  REQUIRE(m1);
  CHECK(m1->holds_released == 1);
  CHECK(m1->coupon_holds_released == 0);
  CHECK(*sink.active_holds(kNow) == 2);
  auto registered = sink.erase_member("P-A-T1-1");
  REQUIRE(registered);
  CHECK(registered->coupons_revoked == 1);
  CHECK(registered->holds_released == 1);
  CHECK(registered->coupon_holds_released == 1);
  CHECK(*sink.active_holds(kNow) == 1);  // M2's stays

  // W-A-T1-1 is revoked, not "being redeemed elsewhere"; M2 still has 100 of its points held.
  auto w1 = reserve("B", "B-3", "M2", 0, "W-A-T1-1");
  CHECK_FALSE(w1.granted());
  CHECK(w1.refusals(0).code() == "coupon_revoked");
  auto m2 = reserve("A", "A-2", "M2", 950, "");
  CHECK_FALSE(m2.granted());
  CHECK(m2.points_available() == 900);
}
