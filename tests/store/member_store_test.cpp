#include "agent/store/member_store.h"

#include <catch2/catch.hpp>

#include "tests/support/member_fixtures.h"
#include "tests/support/temp_dir.h"

using namespace pma::store;
using pma::PhoneHasher;
using pma::test::MemberStoreFixture;

TEST_CASE_METHOD(MemberStoreFixture, "Members are found by card, phone and id",
                 "[store][members]") {
  REQUIRE(members.upsert(pma::test::sample_member(4), 1000));

  auto by_card = members.find_by_card("8860000000000001", 1000);
  REQUIRE(by_card);
  REQUIRE(by_card->has_value());
  CHECK((*by_card)->member_id == "M1");
  CHECK((*by_card)->phone_masked == "138****5678");
  CHECK((*by_card)->name == "王小明");
  CHECK((*by_card)->tier == 3);
  CHECK((*by_card)->points == 1200);

  auto by_phone = members.find_by_phone("13812345678", 1000);
  REQUIRE(by_phone);
  REQUIRE(by_phone->has_value());
  CHECK((*by_phone)->member_id == "M1");

  CHECK_FALSE(members.find_by_phone("13812345679", 1000)->has_value());
  CHECK_FALSE(members.find_by_card("nope", 1000)->has_value());
  CHECK(members.find_by_id("M1", 1000)->has_value());
  CHECK(members.count().value() == 1);
}

TEST_CASE("The stored member never holds the full phone number", "[store][members]") {
  pma::test::TempDir dir;
  {
    auto db = pma::test::open_till_store(dir.file("agent.db"));
    PhoneHasher hasher("test-key");
    MemberStore members(*db, hasher);
    REQUIRE(members.upsert({.member_id = "M1", .phone = "13812345678"}, 1));
  }
  std::FILE* f = std::fopen(dir.file("agent.db").c_str(), "rb");
  REQUIRE(f);
  std::string bytes;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;) bytes.append(buffer, n);
  std::fclose(f);
  // Include the WAL, where the fresh row lives until a checkpoint.
  if (std::FILE* wal = std::fopen(dir.file("agent.db-wal").c_str(), "rb")) {
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, wal)) > 0;)
      bytes.append(buffer, n);
    std::fclose(wal);
  }
  CHECK(bytes.find("138****5678") != std::string::npos);
  CHECK(bytes.find("13812345678") == std::string::npos);
}

TEST_CASE_METHOD(MemberStoreFixture, "Balance adds local ledger entries HQ has not reflected",
                 "[store][members]") {
  REQUIRE(members.upsert({.member_id = "M1", .card_no = "C1", .hq_points = 500}, 1));
  REQUIRE(db->exec(
      "INSERT INTO ledger(member_id, txn_id, kind, points, created_at, hq_reflected) VALUES "
      "('M1', 'T1', 'earn', 30, 2, 0), ('M1', 'T0', 'earn', 99, 1, 1), "
      "('M1', 'T2', 'burn', -10, 3, 0)"));
  CHECK(members.find_by_card("C1", 5)->value().points == 520);
}

TEST_CASE_METHOD(MemberStoreFixture, "Usable coupons are listed with the member",
                 "[store][members]") {
  REQUIRE(members.upsert({.member_id = "M1", .card_no = "C1"}, 1));
  REQUIRE(db->exec(
      "INSERT INTO coupons(code, member_id, template_id, title, valid_from, valid_until, state) "
      "VALUES ('A', 'M1', 'welcome', 'Welcome', 0, 100, 'issued'),"
      "       ('B', 'M1', 'birthday', 'Birthday', 0, 20, 'issued'),"
      "       ('C', 'M1', 'x', 'Used', 0, 100, 'redeemed'),"
      "       ('D', 'M1', 'y', 'Later', 60, 100, 'issued')"));
  auto m = members.find_by_card("C1", 50).value();
  REQUIRE(m.has_value());
  REQUIRE(m->coupons.size() == 1);
  CHECK(m->coupons[0].code == "A");
}

TEST_CASE_METHOD(MemberStoreFixture, "A card number owned by another member is a conflict",
                 "[store][members]") {
  REQUIRE(members.upsert({.member_id = "M1", .card_no = "C1"}, 1));
  auto ok = members.upsert({.member_id = "M2", .card_no = "C1"}, 1);
  REQUIRE_FALSE(ok);
  CHECK(ok.error().code == "member_conflict");
  // The message names the field and its holder, and never the SQL that failed.
  CHECK(ok.error().message == "card number already belongs to member M1");
  REQUIRE(members.upsert({.member_id = "M3", .card_no = "C3", .phone = "13812345678"}, 1));
  auto phone = members.upsert({.member_id = "M4", .card_no = "C4", .phone = "13812345678"}, 1);
  REQUIRE_FALSE(phone);
  CHECK(phone.error().message == "phone number already belongs to member M3");
}
