// HQ coupons (sync/hq/programme.h) over the real memberhq sink, real tills and loopback TLS:
// issue is idempotent per (key, member); an HQ coupon travels in member pages to the member's
// till and is redeemed there (online-first: held at HQ); another member cannot use it; a
// revoked one is refused by HQ's reservation and, after a sync, by the till itself; a code of
// HQ's form that HQ never issued is refused at ingest.
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/checkout/online_first_checkout.h"
#include "agent/lookup/member_lookup.h"
#include "agent/loyalty/rules.h"
#include "agent/store/member_store.h"
#include "drivers/codes/classify.h"
#include "sync/client/reserver.h"
#include "tests/support/basket.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::checkout::Connectivity;
using pma::hq::CouponTarget;
using pma::test::run;
using pma::test::SyncWorld;
using pma::test::Till;
namespace v1 = pma::v1;

// 2026-05-28 02:00 UTC: the tills' clock; HQ issues a day earlier.
constexpr std::int64_t kT0 = 1'779'933'600'000;
constexpr std::int64_t kIssuedAt = kT0 - 86'400'000;

v1::RuleSet programme_rules() {
  v1::RuleSet rules = pma::loyalty::default_rule_set();
  rules.set_version(2);
  auto* t = rules.add_coupon_templates();
  t->set_id("HQ10");
  t->set_title("10 yuan off");
  t->set_kind(v1::CouponTemplate::KIND_FIXED);
  t->set_amount_fen(1'000);
  t->set_offline_redemption_allowed(true);
  t->set_validity_days(30);
  return rules;
}

struct Checkout {
  Checkout(SyncWorld& world, Till& till)
      : service(*till.db, hasher, {.store_id = till.store_id, .terminal_id = till.terminal_id},
                store_clock),
        reserver(world.io, world.client_config(till),
                 {.budget = std::chrono::seconds(5), .retry_pause = std::chrono::milliseconds(0)}),
        commits(service, &reserver, spdlog::default_logger()) {
    REQUIRE(service.set_rules(programme_rules()));
    REQUIRE(reserver.start());
  }
  ~Checkout() { reserver.stop(); }

  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock{kT0};
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService service;
  pma::sync::Reserver reserver;
  pma::checkout::OnlineFirstCheckout commits;
};

// A 50-yuan discountable basket for `member` with `coupon`.
v1::CommitRequest with_coupon(const std::string& txn, const std::string& member,
                              const std::string& coupon) {
  v1::CommitRequest r;
  r.set_txn_id(txn);
  r.set_member_id(member);
  *r.add_lines() = pma::test::basket_line("cake", 1, 5'000, true, "bakery");
  r.add_coupon_codes(coupon);
  return r;
}

// Members M1..M5 at HQ, the programme's rule set published, store A's till.
struct Chain {
  Chain() {
    world.hq_now_ms = kIssuedAt;
    world.import_members(5, 100);
    REQUIRE(world.sink->put_rule_set(2, programme_rules().SerializeAsString()));
  }
  pma::hq::SqliteProgramme& programme() { return world.sink->programme(); }
  pma::hq::CouponIssueReport issue(CouponTarget target, const std::string& key) {
    auto done = programme().issue_coupons({"HQ10", key, std::move(target), kIssuedAt});
    INFO((done ? "" : done.error().message));
    REQUIRE(done);
    return *done;
  }
  std::string only_coupon(const std::string& member) {
    auto coupons = programme().member_coupons(member);
    REQUIRE(coupons);
    REQUIRE(coupons->size() == 1);
    return (*coupons)[0].code;
  }
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
};

}  // namespace

TEST_CASE_METHOD(Chain, "An HQ coupon issue run again under its key issues nothing twice",
                 "[sync][programme][coupons]") {
  auto first = issue({CouponTarget::Kind::tier, "1", {}}, "spring-2026");
  CHECK(first.issued == 5);
  CHECK(first.already_issued == 0);
  auto again = issue({CouponTarget::Kind::tier, "1", {}}, "spring-2026");
  CHECK(again.issued == 0);
  CHECK(again.already_issued == 5);
  // One member of the same key: already issued; under another key: a second coupon.
  CHECK(issue({CouponTarget::Kind::member, "M1", {}}, "spring-2026").already_issued == 1);
  CHECK(issue({CouponTarget::Kind::member, "M1", {}}, "apology-17").issued == 1);
  // A list with an unknown member and a repeat: the known ones once, the unknown skipped.
  auto listed = issue({CouponTarget::Kind::members, "", {"M2", "M2", "NOBODY"}}, "list-1");
  CHECK(listed.issued == 1);
  REQUIRE(listed.skipped == std::vector<std::string>{"NOBODY"});
  auto counts = programme().coupon_counts();
  REQUIRE(counts);
  REQUIRE(counts->size() == 1);
  CHECK((*counts)[0].template_id == "HQ10");
  CHECK((*counts)[0].issued == 7);
  CHECK((*counts)[0].redeemed == 0);
  auto m1 = programme().member_coupons("M1");
  REQUIRE(m1);
  REQUIRE(m1->size() == 2);
  for (const auto& c : *m1) {
    CHECK(pma::codes::is_hq_coupon(c.code));
    CHECK(c.state == "issued");
    CHECK(c.valid_until - c.valid_from == 30 * 86'400);
  }

  SECTION("an unknown template, a bad key or an unknown member issues nothing") {
    auto unknown =
        programme().issue_coupons({"NOPE", "k", {CouponTarget::Kind::tier, "1", {}}, kIssuedAt});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code == "coupon_template_unknown");
    auto bad_key =
        programme().issue_coupons({"HQ10", "", {CouponTarget::Kind::tier, "1", {}}, kIssuedAt});
    REQUIRE_FALSE(bad_key);
    CHECK(bad_key.error().code == "issue_key_invalid");
    auto nobody = programme().issue_coupons(
        {"HQ10", "k", {CouponTarget::Kind::member, "M99", {}}, kIssuedAt});
    REQUIRE_FALSE(nobody);
    CHECK(nobody.error().code == "member_not_found");
    auto tier =
        programme().issue_coupons({"HQ10", "k", {CouponTarget::Kind::tier, "7", {}}, kIssuedAt});
    REQUIRE_FALSE(tier);
    CHECK(tier.error().code == "coupon_target_invalid");
    CHECK((*programme().coupon_counts())[0].issued == 7);
  }
  SECTION("a template whose amount is out of range is refused") {
    v1::RuleSet rules = programme_rules();
    rules.set_version(3);
    rules.mutable_coupon_templates(rules.coupon_templates_size() - 1)->set_amount_fen(-5);
    REQUIRE(world.sink->put_rule_set(3, rules.SerializeAsString()));
    auto refused =
        programme().issue_coupons({"HQ10", "k", {CouponTarget::Kind::member, "M3", {}}, kIssuedAt});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == "coupon_template_invalid");
  }
}

TEST_CASE_METHOD(Chain,
                 "An HQ coupon reaches its member's till and is redeemed there, by that member "
                 "only",
                 "[sync][programme][coupons]") {
  issue({CouponTarget::Kind::member, "M1", {}}, "welcome-back");
  const std::string code = only_coupon("M1");
  REQUIRE(world.sync(a));
  CHECK(world.count(a, ("SELECT COUNT(*) FROM coupons WHERE code = '" + code +
                        "' AND member_id = 'M1' AND state = 'issued'")
                           .c_str()) == 1);
  Checkout till(world, a);

  // M2 cannot use M1's coupon at the till.
  v1::QuoteRequest other;
  other.set_member_id("M2");
  *other.add_lines() = pma::test::basket_line("cake", 1, 5'000, true, "bakery");
  other.add_coupon_codes(code);
  auto quoted = till.service.quote(other, Connectivity::online);
  REQUIRE(quoted);
  REQUIRE(quoted->quote().coupons_size() == 1);
  CHECK(quoted->quote().coupons(0).reason_code() == "coupon_not_owner");

  // M1 can: online-first, held at HQ, committed, then applied at HQ.
  auto reply =
      run(world.io, till.commits.commit(with_coupon("A-1", "M1", code), Connectivity::online));
  INFO((reply ? "" : reply.error().message));
  REQUIRE(reply);
  CHECK(reply->message.hq_check() == "reserved");
  CHECK(reply->message.quote().coupon_discount_fen() == 1'000);
  REQUIRE(world.sync(a));
  auto counts = programme().coupon_counts();
  REQUIRE(counts);
  CHECK((*counts)[0].redeemed == 1);
  CHECK((*programme().member_coupons("M1"))[0].state == "redeemed");
  // Redeemed: it can no longer be revoked.
  auto revoked = programme().revoke_coupon(code);
  REQUIRE_FALSE(revoked);
  CHECK(revoked.error().code == "coupon_already_redeemed");
}

TEST_CASE_METHOD(Chain, "A revoked HQ coupon is refused by HQ at once and by the till after a sync",
                 "[sync][programme][coupons]") {
  issue({CouponTarget::Kind::member, "M1", {}}, "k");
  const std::string code = only_coupon("M1");
  REQUIRE(world.sync(a));
  auto revoked = programme().revoke_coupon(code);
  REQUIRE(revoked);
  CHECK(revoked->member_id == "M1");
  CHECK_FALSE(revoked->already_revoked);
  CHECK(programme().revoke_coupon(code)->already_revoked);
  auto missing = programme().revoke_coupon("H-0000000999");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().code == "coupon_not_found");

  Checkout till(world, a);
  // The till still thinks it issued: HQ's hold refuses it.
  auto refused =
      run(world.io, till.commits.commit(with_coupon("A-1", "M1", code), Connectivity::online));
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "coupon_revoked");
  // After a sync the till knows, offline too.
  REQUIRE(world.sync(a));
  v1::QuoteRequest q;
  q.set_member_id("M1");
  *q.add_lines() = pma::test::basket_line("cake", 1, 5'000, true, "bakery");
  q.add_coupon_codes(code);
  auto quoted = till.service.quote(q, Connectivity::offline);
  REQUIRE(quoted);
  CHECK(quoted->quote().coupons(0).reason_code() == "coupon_revoked");
  CHECK((*programme().coupon_counts())[0].revoked == 1);
}

TEST_CASE_METHOD(Chain, "A code of HQ's form that HQ never issued is refused as coupon_not_owner",
                 "[sync][programme][coupons]") {
  REQUIRE(world.sync(a));
  world.checkout(a, "M1", 10, 0, {"H-0000099999"});
  REQUIRE(world.sync(a));
  auto conflicts = world.sink->conflicts();
  REQUIRE(conflicts);
  REQUIRE(conflicts->size() == 1);
  CHECK((*conflicts)[0].kind == "coupon_not_owner");
  CHECK((*conflicts)[0].coupon_code == "H-0000099999");
  CHECK(world.hq_balance("M1") == 100);  // nothing of the checkout applied
}

TEST_CASE_METHOD(Chain, "A member's segment and tags reach its till's cache and lookups",
                 "[sync][programme][tags]") {
  REQUIRE(programme().run_segments(kIssuedAt, nullptr));
  REQUIRE(*programme().add_tag("M1", "holiday buyer"));
  REQUIRE(*programme().add_tag("M1", "low-sugar buyer"));
  REQUIRE(world.sync(a));
  pma::PhoneHasher hasher("chain-key");
  pma::store::MemberStore members(*a.db, hasher);
  auto m1 = members.find_by_id("M1", kT0 / 1000);
  REQUIRE(m1);
  REQUIRE(m1->has_value());
  CHECK((*m1)->segment == "none");  // no visit yet
  CHECK((*m1)->tags == std::vector<std::string>{"holiday buyer", "low-sugar buyer"});
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE tags <> ''") == 1);
  // What a lookup answer and a scan event carry (the Member message).
  const pma::v1::Member shown = pma::lookup::to_proto(**m1);
  CHECK(shown.segment() == "none");
  REQUIRE(shown.tags_size() == 2);
  CHECK(shown.tags(0) == "holiday buyer");
  CHECK(shown.tags(1) == "low-sugar buyer");

  REQUIRE(*programme().remove_tag("M1", "holiday buyer"));
  REQUIRE(world.sync(a));
  m1 = members.find_by_id("M1", kT0 / 1000);
  REQUIRE(m1);
  CHECK((*m1)->tags == std::vector<std::string>{"low-sugar buyer"});
}
