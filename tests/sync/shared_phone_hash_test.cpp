// Issue 12, must-show 1: the phone rule (pma/phone.h) is one definition used by HQ's import and
// the till's lookup, so the bytes HQ stores are the bytes a till computes.
#include <catch2/catch.hpp>

#include "agent/store/member_store.h"
#include "pma/phone.h"
#include "sync/hq/member_import.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;

TEST_CASE("A member imported at HQ by phone is found by that phone at a till, however written",
          "[sync][import][phone]") {
  SyncWorld world;
  // HQ's own import path (memberhq import): the number as a spreadsheet writes it.
  auto parsed = pma::hq::parse_member_base(
      "member_id,card_no,phone,name\nM7,,+86 139-0000-1111,Chen\n", "csv", "chain-key");
  REQUIRE(parsed.errors.empty());
  REQUIRE(parsed.members.size() == 1);
  REQUIRE(world.sink->import_members(parsed.members));

  pma::test::Till& till = world.add_till("S1", "T1");
  REQUIRE(world.sync(till));

  // The till's lookup path: the cashier types the number another way.
  pma::PhoneHasher hasher("chain-key");
  pma::store::MemberStore members(*till.db, hasher);
  for (const char* typed : {"13900001111", "139 0000 1111", "0086-139-0000-1111"}) {
    INFO(typed);
    auto normalized = pma::normalize_phone(typed);
    REQUIRE(normalized);
    auto found = members.find_by_phone(*normalized, 0);
    REQUIRE(found);
    REQUIRE(found->has_value());
    CHECK((*found)->member_id == "M7");
    CHECK((*found)->phone_masked == "139****1111");
  }
  // Under another chain's key the same number finds nobody: the key is part of the hash.
  pma::PhoneHasher other("other-chain-key");
  pma::store::MemberStore strangers(*till.db, other);
  auto missing = strangers.find_by_phone("13900001111", 0);
  REQUIRE(missing);
  CHECK_FALSE(missing->has_value());
}
