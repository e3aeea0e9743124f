// Issue 14, `memberhq report quality`: every figure of the report against a count made here,
// independently, from the member base the test imported and the merges and consents it made.
// Real memberhq sink (SQLite file) and a real till on loopback (sync_world.h).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <string>
#include <vector>

#include "pma/phone.h"
#include "sync/hq/sqlite_member_quality.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;

namespace {

std::vector<std::uint8_t> hash_of(const std::string& phone) {
  auto h = pma::PhoneHasher("chain-key").hash(phone);
  return {h.begin(), h.end()};
}

}  // namespace

TEST_CASE("The quality report's figures match an independent count of the member base",
          "[sync][quality]") {
  SyncWorld world;
  // 60 members with every kind of gap: i % 5 == 0 no phone, i % 7 == 0 a garbled phone (a mask
  // that is not a mobile's, or a hash without its mask), i % 3 == 0 no card, i % 4 == 0 no
  // birthday, i % 11 == 0 no name; members 1-4 share one name and birthday.
  std::vector<pma::hq::ImportedMember> base;
  for (int i = 1; i <= 60; ++i) {
    pma::hq::ImportedMember m;
    m.member_id = fmt::format("M{}", i);
    if (i % 3 != 0) m.card_no = fmt::format("8860{:04}", i);
    const std::string phone = fmt::format("1380000{:04}", i);
    if (i % 5 == 0) {
      // none
    } else if (i % 7 == 0) {
      if (i % 2 == 0) {
        m.phone_hash = hash_of(phone);  // hash without mask
      } else {
        m.phone_hash = hash_of(phone);
        m.phone_masked = "12345";  // not a mobile's mask
      }
    } else {
      m.phone_hash = hash_of(phone);
      m.phone_masked = pma::mask_phone(phone);
    }
    if (i % 11 != 0) m.name = i <= 4 ? "Zhang Wei" : fmt::format("Member {}", i);
    if (i % 4 != 0)
      m.birthday = i <= 4 ? "03-08" : fmt::format("{:02}-{:02}", i % 12 + 1, i % 28 + 1);
    m.points = i;
    base.push_back(std::move(m));
  }
  REQUIRE(world.sink->import_members(base));
  pma::hq::SqliteMemberQuality quality(world.sink->core());
  // A manual merge (M2 into M1: M2 leaves the active base) and a registration of a phone HQ
  // holds (M6's) at a till: a duplicate found and merged. Consent: M10..M19 grant it.
  REQUIRE(quality.merge("M2", "M1", 1));
  pma::test::Till& till = world.add_till("A", "T1");  // offline since before M6 was imported
  world.register_member(till, "P-A-T1-1", "13800000006");
  REQUIRE(world.sync(till));
  for (int i = 10; i < 20; ++i) {
    REQUIRE(quality.set_consent(fmt::format("M{}", i), true, 1, pma::hq::kConsentByOperator));
  }

  // The independent count, from the imported rows (M1 took M2's fields it lacked: none, M1
  // has a card, a phone, a name and a birthday).
  std::int64_t members = 0, missing = 0, invalid = 0, card = 0, name = 0, birthday = 0;
  std::int64_t consenting = 0, suspected = 0;
  for (const auto& m : base) {
    if (m.member_id == "M2") continue;
    ++members;
    const bool no_phone = m.phone_hash.empty() && m.phone_masked.empty();
    const bool bad_phone = !no_phone && (m.phone_masked.empty() || m.phone_hash.empty() ||
                                         m.phone_masked.size() != 11);
    missing += no_phone;
    invalid += bad_phone;
    card += !m.card_no.empty();
    name += !m.name.empty();
    birthday += !m.birthday.empty();
    const int n = std::stoi(m.member_id.substr(1));
    consenting += n >= 10 && n < 20;
    // M1, M3, M4 share name and birthday (M2 merged away): i <= 4, i % 4 != 0.
    suspected += m.name == "Zhang Wei" && m.birthday == "03-08";
  }
  const std::int64_t phone = members - missing - invalid;
  REQUIRE(suspected == 2);  // M1 and M3 (M4 has no birthday)

  auto report = quality.quality_report();
  REQUIRE(report);
  CHECK(report->members == members);
  CHECK(report->phone_missing == missing);
  CHECK(report->phone_invalid == invalid);
  CHECK(report->with_phone == phone);
  CHECK(report->with_card == card);
  CHECK(report->with_name == name);
  CHECK(report->with_birthday == birthday);
  CHECK(report->without_consent == members - consenting);
  CHECK(report->merged_manually == 1);
  CHECK(report->merged_at_registration == 1);
  CHECK(report->suspected_duplicates == suspected);

  const double overall = std::round(1000.0 * static_cast<double>(card + phone + name + birthday) /
                                    static_cast<double>(4 * members)) /
                         10.0;
  CHECK(pma::hq::completeness(*report) == Approx(overall));
  const std::string text = pma::hq::format_quality_report(*report);
  CHECK_THAT(text, Catch::Contains(fmt::format("phone missing\t{}\n", missing)));
  CHECK_THAT(text, Catch::Contains(fmt::format("complete: all four fields\t{:.1f}%", overall)));
  CHECK_THAT(text, Catch::Contains(
                       fmt::format("without marketing consent\t{} ({:.1f}%)", members - consenting,
                                   std::round(1000.0 * static_cast<double>(members - consenting) /
                                              static_cast<double>(members)) /
                                       10.0)));
}
