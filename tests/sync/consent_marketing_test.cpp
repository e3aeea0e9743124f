// Issue 14, consent (PIPL): a till registers a member's explicit marketing consent (default
// off), HQ records it and tells every till, `memberhq consent withdraw` and erasure stop the
// member's marketing eligibility at once. A real CheckoutService on the till's database, the
// real memberhq sink and server on loopback (sync_world.h).
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "agent/checkout/checkout_service.h"
#include "agent/store/member_store.h"
#include "sync/hq/sqlite_member_quality.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

constexpr std::int64_t kT0 = 1'779'933'600'000;  // 2026-05-28 02:00 UTC

std::int64_t hq_scalar(SyncWorld& world, const std::string& sql) {
  auto q = world.sink->core().db().prepare(sql);
  REQUIRE(q);
  auto row = q->step();
  REQUIRE(row);
  REQUIRE(*row);
  return q->column_int64(0);
}

struct Counter {
  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock{kT0};
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  std::unique_ptr<pma::checkout::CheckoutService> service;

  explicit Counter(Till& till)
      : service(std::make_unique<pma::checkout::CheckoutService>(
            *till.db, hasher, pma::checkout::CheckoutConfig{till.store_id, till.terminal_id},
            store_clock)) {}

  std::string register_member(const std::string& phone, std::optional<bool> consent) {
    pma::v1::RegisterMemberRequest request;
    request.set_phone(phone);
    request.set_name("Wang");
    if (consent) request.set_marketing_consent(*consent);
    auto reply = service->register_member(request);
    REQUIRE(reply);
    REQUIRE(reply->created());
    CHECK(reply->member().marketing_consent() == consent.value_or(false));
    return reply->member().member_id();
  }
};

bool till_consent(SyncWorld& world, Till& till, const std::string& member_id) {
  return world.count(till, fmt::format("SELECT marketing_consent FROM members WHERE member_id = "
                                       "'{}'",
                                       member_id)) != 0;
}

}  // namespace

TEST_CASE("Marketing consent registered at a till reaches HQ, and withdrawing it stops marketing",
          "[sync][consent]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(a));
  Counter counter(a);
  const std::string yes = counter.register_member("13800002001", true);
  const std::string unasked = counter.register_member("13800002002", std::nullopt);
  const std::string no = counter.register_member("13800002003", false);
  CHECK(till_consent(world, a, yes));
  CHECK_FALSE(till_consent(world, a, unasked));
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));

  pma::hq::SqliteMemberQuality quality(world.sink->core());
  auto canonical = [&](const std::string& id) {
    auto c = world.sink->core().resolve(id);
    REQUIRE(c);
    REQUIRE_FALSE(c->starts_with("P-"));
    return *c;
  };
  const std::string m_yes = canonical(yes), m_unasked = canonical(unasked), m_no = canonical(no);
  CHECK(quality.may_market(m_yes).value());
  CHECK(quality.may_market(yes).value());  // a till's provisional id names the same member
  CHECK_FALSE(quality.may_market(m_unasked).value());
  CHECK_FALSE(quality.may_market(m_no).value());
  CHECK(quality.may_market("H999").error().code == "member_not_found");
  CHECK(hq_scalar(world, "SELECT COUNT(*) FROM consent_log WHERE source = 'registration'") == 3);
  // Both tills hold HQ's record (B never saw the registrations).
  for (Till* till : {&a, &b}) {
    CHECK(till_consent(world, *till, m_yes));
    CHECK_FALSE(till_consent(world, *till, m_unasked));
  }

  SECTION("withdrawing consent stops marketing and reaches the tills") {
    const std::int64_t at = kT0 + 86'400'000;
    auto withdrawn = quality.set_consent(m_yes, false, at, pma::hq::kConsentByOperator);
    REQUIRE(withdrawn);
    CHECK(withdrawn->changed);
    CHECK_FALSE(quality.may_market(m_yes).value());
    CHECK(hq_scalar(world, fmt::format("SELECT at_ms FROM consent_log WHERE member_id = '{}' AND "
                                       "source = 'operator' AND granted = 0",
                                       m_yes)) == at);
    CHECK(hq_scalar(world, fmt::format("SELECT consent_at_ms FROM members WHERE member_id = "
                                       "'{}'",
                                       m_yes)) == at);
    REQUIRE(world.sync(b));
    CHECK_FALSE(till_consent(world, b, m_yes));
    pma::PhoneHasher hasher("chain-key");
    pma::store::MemberStore members(*b.db, hasher);
    auto found = members.find_by_id(m_yes, 0);
    REQUIRE(found);
    REQUIRE(found->has_value());
    CHECK_FALSE((*found)->marketing_consent);
    // Withdrawing again changes nothing but is logged with its time.
    auto again = quality.set_consent(m_yes, false, at + 1, pma::hq::kConsentByOperator);
    REQUIRE(again);
    CHECK_FALSE(again->changed);
  }
  SECTION("granting consent at HQ makes the member eligible") {
    REQUIRE(quality.set_consent(m_unasked, true, kT0 + 1, pma::hq::kConsentByOperator));
    CHECK(quality.may_market(m_unasked).value());
    REQUIRE(world.sync(a));
    CHECK(till_consent(world, a, m_unasked));
  }
  SECTION("erasure withdraws consent, and an erased member cannot consent again") {
    REQUIRE(world.sink->erase_member(m_yes));
    CHECK_FALSE(quality.may_market(m_yes).value());
    CHECK(hq_scalar(world, fmt::format("SELECT marketing_consent FROM members WHERE member_id = "
                                       "'{}'",
                                       m_yes)) == 0);
    CHECK(hq_scalar(world, fmt::format("SELECT COUNT(*) FROM consent_log WHERE member_id = '{}' "
                                       "AND source = 'erasure' AND granted = 0",
                                       m_yes)) == 1);
    auto grant = quality.set_consent(m_yes, true, kT0 + 2, pma::hq::kConsentByOperator);
    REQUIRE_FALSE(grant);
    CHECK(grant.error().code == "member_erased");
    CHECK_FALSE(quality.may_market(m_yes).value());
  }
}
