#include "agent/admin/demo_members.h"

#include <catch2/catch.hpp>
#include <set>

#include "pma/phone.h"
#include "tests/support/temp_dir.h"

using namespace pma::admin;

TEST_CASE("Demo members have valid, unique phones and cards", "[admin][demo]") {
  DemoMemberGenerator generator(7);
  std::set<std::string> phones, cards;
  for (std::int64_t i = 0; i < 20000; ++i) {
    auto m = generator.make(i);
    auto phone = pma::normalize_phone(m.phone);
    REQUIRE(phone);
    CHECK(*phone == m.phone);
    phones.insert(m.phone);
    cards.insert(m.card_no);
    REQUIRE(m.birthday.size() == 5);
    REQUIRE(m.tier >= 1);
    REQUIRE(m.tier <= 3);
    REQUIRE_FALSE(m.name.empty());
  }
  CHECK(phones.size() == 20000);
  CHECK(cards.size() == 20000);
}

TEST_CASE("Demo members are the same for the same seed and index", "[admin][demo]") {
  CHECK(DemoMemberGenerator(1).make(42).name == DemoMemberGenerator(1).make(42).name);
  CHECK(DemoMemberGenerator(1).make(42).phone == DemoMemberGenerator(1).make(42).phone);
}

TEST_CASE("Seeding writes members in chunks with progress", "[admin][demo]") {
  pma::test::TempDir dir;
  auto db = pma::store::open_store(dir.file("agent.db")).value();
  pma::PhoneHasher hasher("k-0123456789abcdef");
  pma::store::MemberStore members(*db, hasher);
  std::vector<std::int64_t> progress;
  REQUIRE(seed_demo_members(
      *db, members, 0, 2500, 3, 1,
      [&](std::int64_t done, std::int64_t) { progress.push_back(done); }, 1000));
  CHECK(progress == std::vector<std::int64_t>{1000, 2000, 2500});
  CHECK(members.count().value() == 2500);
  auto first = DemoMemberGenerator(3).make(0);
  CHECK(members.find_by_phone(first.phone, 1).value()->member_id == first.member_id);
}
