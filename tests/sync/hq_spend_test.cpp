// Rolling 12-month spend: HQ keeps checkouts minus refunds in monthly buckets, member pages
// carry the window's sum, and a till counts each of its checkouts exactly once.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <utility>
#include <vector>

#include "agent/checkout/checkout_service.h"
#include "drivers/sqlite/database.h"
#include "pma/calendar.h"
#include "pma/phone.h"
#include "tests/support/basket.h"
#include "tests/sync/hq_old_schemas.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

std::int64_t utc_ms(int y, unsigned m, unsigned d) {
  using namespace std::chrono;
  return duration_cast<milliseconds>(sys_days(year(y) / month(m) / day(d)).time_since_epoch())
      .count();
}

// One of `sku` at `unit_fen`, discountable bakery.
pma::v1::BasketLine line(const std::string& sku, std::int64_t unit_fen) {
  return pma::test::basket_line(sku, 1, unit_fen);
}

pma::v1::Delta spend_delta(std::uint64_t seq, std::int64_t at_ms, std::int64_t fen) {
  pma::v1::Delta d;
  d.set_seq(seq);
  d.set_txn_id(fmt::format("txn-{}", seq));
  d.set_occurred_at_ms(at_ms);
  if (fen >= 0) {
    d.mutable_checkout()->set_member_id("M1");
    d.mutable_checkout()->set_gross_fen(fen);
    d.mutable_checkout()->set_paid_fen(fen);
  } else {
    d.mutable_refund()->set_member_id("M1");
    d.mutable_refund()->set_original_txn_id("txn-1");  // HQ refunds only the till's own sales
    d.mutable_refund()->set_refunded_fen(-fen);
  }
  return d;
}

// A refund of fen, with the refunded purchase's time (0: an older till that does not say).
pma::v1::Delta refund_delta(std::uint64_t seq, std::int64_t at_ms, std::int64_t fen,
                            std::int64_t purchase_at_ms) {
  pma::v1::Delta d = spend_delta(seq, at_ms, -fen);
  d.mutable_refund()->set_original_occurred_at_ms(purchase_at_ms);
  return d;
}

pma::v1::MemberDelta page_member(SyncWorld& world, std::int64_t now_ms) {
  auto page = world.sink->member_page({"X", "T1"}, 0, 100, 0, now_ms);
  REQUIRE(page);
  for (const auto& m : page->members()) {
    if (m.member_id() == "M1") return m;
  }
  FAIL("M1 is not in the page");
  return {};
}

// The page's spend months of M1 as (month index, fen).
std::vector<std::pair<std::int64_t, std::int64_t>> page_months(SyncWorld& world,
                                                               std::int64_t now_ms) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  const pma::v1::MemberDelta member = page_member(world, now_ms);
  for (const auto& b : member.spend_months()) {
    out.emplace_back(b.month(), b.fen());
  }
  return out;
}

std::int64_t month_of(int y, unsigned m) { return pma::utc_month_index(utc_ms(y, m, 1)); }

std::int64_t page_spend(SyncWorld& world, std::int64_t now_ms) {
  auto page = world.sink->member_page({"X", "T1"}, 0, 100, 0, now_ms);
  REQUIRE(page);
  for (const auto& m : page->members()) {
    if (m.member_id() == "M1") return m.spend_12m_fen();
  }
  FAIL("M1 is not in the page");
  return -1;
}

// The tier progress a quote at this till shows for the basket.
std::int64_t quoted_spend(pma::checkout::CheckoutService& service, std::int64_t basket_fen,
                          std::int64_t* payable = nullptr) {
  pma::v1::QuoteRequest request;
  request.set_member_id("M1");
  *request.add_lines() = line("bread", basket_fen);
  auto quote = service.quote(request);
  REQUIRE(quote);
  if (payable) *payable = quote->quote().payable_fen();
  return quote->quote().tier().spend_12m_fen();
}

}  // namespace

TEST_CASE("HQ's rolling spend sums the last 12 months of checkouts minus refunds",
          "[sync][hq][spend]") {
  SyncWorld world;
  world.import_members(1, 0);
  pma::v1::Batch batch;
  *batch.add_deltas() = spend_delta(1, utc_ms(2026, 5, 2), 1000);   // this month
  *batch.add_deltas() = spend_delta(2, utc_ms(2025, 6, 30), 2000);  // 11 months back
  *batch.add_deltas() = spend_delta(3, utc_ms(2025, 5, 31), 4000);  // 12 months back: out
  *batch.add_deltas() = spend_delta(4, utc_ms(2026, 5, 3), -500);   // a refund
  auto applied = world.sink->apply_batch({"S", "T1"}, batch, utc_ms(2026, 5, 28));
  REQUIRE(applied);
  REQUIRE(applied->applied == 4);
  CHECK(page_spend(world, utc_ms(2026, 5, 28)) == 2500);
  CHECK(page_spend(world, utc_ms(2026, 6, 1)) == 500);  // June 2025 has left the window
  CHECK(page_spend(world, utc_ms(2027, 6, 1)) == 0);    // everything has, never negative
  // Redelivery counts nothing twice.
  applied = world.sink->apply_batch({"S", "T1"}, batch, utc_ms(2026, 5, 28));
  REQUIRE(applied);
  CHECK(applied->duplicates == 4);
  CHECK(page_spend(world, utc_ms(2026, 5, 28)) == 2500);
  // A new month starts a new bucket; May's stays counted until it leaves the window.
  pma::v1::Batch june;
  *june.add_deltas() = spend_delta(5, utc_ms(2026, 6, 10), 300);
  *june.add_deltas() = spend_delta(6, utc_ms(2026, 6, 11), 40);
  *june.add_deltas() = spend_delta(7, utc_ms(2026, 5, 30), 7);  // a late one from an offline till
  REQUIRE(world.sink->apply_batch({"S", "T1"}, june, utc_ms(2026, 6, 12)));
  CHECK(page_spend(world, utc_ms(2026, 6, 12)) == 500 + 340 + 7);
  CHECK(page_spend(world, utc_ms(2027, 4, 30)) == 500 + 340 + 7);
  CHECK(page_spend(world, utc_ms(2027, 5, 1)) == 340);
  CHECK(page_spend(world, utc_ms(2027, 7, 1)) == 0);
  CHECK(world.hq_balance("M1") == 0);  // spend only: no points moved
}

TEST_CASE("Spend earned at store A shows in store B's tier progress and counts once at A",
          "[sync][hq][spend][e2e]") {
  const std::int64_t now = utc_ms(2026, 5, 28) + 2 * 3600 * 1000;
  SyncWorld world;
  world.hq_now_ms = now;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));
  pma::PhoneHasher hasher("chain-key");
  pma::ManualClock clock(now);
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService at_a(*a.db, hasher, {"A", "T1"}, store_clock);
  pma::checkout::CheckoutService at_b(*b.db, hasher, {"B", "T1"}, store_clock);
  std::int64_t next_payable = 0;
  REQUIRE(quoted_spend(at_b, 10'000, &next_payable) == next_payable);  // nothing spent yet

  pma::v1::CommitRequest commit;
  commit.set_txn_id("A-T1-0001");
  commit.set_member_id("M1");
  *commit.add_lines() = line("cake", 30'000);
  auto committed = at_a.commit(commit);
  REQUIRE(committed);
  const std::int64_t spent = committed->message.quote().payable_fen();
  REQUIRE(spent > 0);
  // Before any sync, A counts its own checkout locally and B knows nothing of it.
  CHECK(quoted_spend(at_a, 10'000) == spent + next_payable);
  CHECK(quoted_spend(at_b, 10'000) == next_payable);

  REQUIRE(world.sync(a));
  // After the sync HQ's figure carries the checkout and A's ledger row no longer counts.
  CHECK(world.count(a, "SELECT spend_12m_fen FROM members WHERE member_id = 'M1'") == spent);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE hq_reflected = 0") == 0);
  CHECK(quoted_spend(at_a, 10'000) == spent + next_payable);

  REQUIRE(world.sync(b));
  CHECK(world.count(b, "SELECT spend_12m_fen FROM members WHERE member_id = 'M1'") == spent);
  CHECK(quoted_spend(at_b, 10'000) == spent + next_payable);

  // A second round at A changes nothing: still once.
  REQUIRE(world.sync(a));
  CHECK(quoted_spend(at_a, 10'000) == spent + next_payable);
}

TEST_CASE("An HQ database from before the spend columns gains them when opened",
          "[sync][hq][spend]") {
  pma::test::TempDir dir;
  const std::string path = dir.file("old-hq.db");
  {
    auto old = pma::sqlite::Database::open(path);
    REQUIRE(old);
    // Release 2's own schema: the last before the spend columns.
    REQUIRE((*old)->exec(pma::test::hq_schemas::release(2)));
    REQUIRE((*old)->exec("INSERT INTO members(member_id, points, version) VALUES('M1', 5, 1)"));
  }
  auto sink = pma::hq::SqliteSink::open(path);
  REQUIRE(sink);
  pma::v1::Batch batch;
  *batch.add_deltas() = spend_delta(1, utc_ms(2026, 5, 2), 1200);
  REQUIRE((*sink)->apply_batch({"S", "T1"}, batch, utc_ms(2026, 5, 2)));
  auto page = (*sink)->member_page({"S", "T1"}, 0, 10, 0, utc_ms(2026, 5, 28));
  REQUIRE(page);
  REQUIRE(page->members_size() == 1);
  CHECK(page->members(0).spend_12m_fen() == 1200);
  CHECK(page->members(0).points() == 5);
  // Opening again finds the columns there and changes nothing.
  sink->reset();
  auto again = pma::hq::SqliteSink::open(path);
  REQUIRE(again);
  page = (*again)->member_page({"S", "T1"}, 0, 10, 0, utc_ms(2026, 5, 28));
  REQUIRE(page);
  CHECK(page->members(0).spend_12m_fen() == 1200);
}

TEST_CASE("A tier upgrade earned at store A stays at A after the sync and reaches store B",
          "[sync][hq][spend][e2e]") {
  const std::int64_t now = utc_ms(2026, 5, 28) + 2 * 3600 * 1000;
  SyncWorld world;
  world.hq_now_ms = now;
  world.import_members(1, 0);
  // HQ publishes the rules the tills use: silver from 1,000 yuan of 12-month spend.
  pma::v1::RuleSet rules;
  rules.set_version(7);
  for (auto [tier, permille, from_fen] :
       {std::tuple{pma::v1::TIER_NORMAL, 1000, 0L}, std::tuple{pma::v1::TIER_SILVER, 950, 100'000L},
        std::tuple{pma::v1::TIER_GOLD, 900, 500'000L}}) {
    auto* t = rules.add_tiers();
    t->set_tier(tier);
    t->set_price_permille(permille);
    t->set_upgrade_spend_fen(from_fen);
    t->set_points_multiplier_percent(100);
  }
  rules.mutable_redemption()->set_points_per_unit(100);
  rules.mutable_redemption()->set_unit_value_fen(100);
  REQUIRE(world.sink->put_rule_set(7, rules.SerializeAsString()));
  Till& a = world.add_till("A", "T1");
  Till& b = world.add_till("B", "T1");
  REQUIRE(world.sync(a));
  REQUIRE(world.sync(b));
  pma::PhoneHasher hasher("chain-key");
  pma::ManualClock clock(now);
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService at_a(*a.db, hasher, {"A", "T1"}, store_clock);
  REQUIRE(at_a.set_rules(rules));

  pma::v1::CommitRequest commit;
  commit.set_txn_id("A-T1-0001");
  commit.set_member_id("M1");
  *commit.add_lines() = line("cake", 120'000);
  auto committed = at_a.commit(commit);
  REQUIRE(committed);
  REQUIRE(committed->message.quote().tier().upgrade_to() == pma::v1::TIER_SILVER);
  auto tier_at = [&](Till& till) {
    return world.count(till, "SELECT tier FROM members WHERE member_id = 'M1'");
  };
  CHECK(tier_at(a) == pma::v1::TIER_SILVER);  // effective from the next checkout at A

  // HQ reflects the checkout: the page it sends back must not take the upgrade away.
  REQUIRE(world.sync(a));
  CHECK(tier_at(a) == pma::v1::TIER_SILVER);
  REQUIRE(world.sync(b));
  CHECK(tier_at(b) == pma::v1::TIER_SILVER);
  auto page = world.sink->member_page({"X", "T1"}, 0, 100, 0, now);
  REQUIRE(page);
  REQUIRE(page->members_size() == 1);
  CHECK(page->members(0).tier() == pma::v1::TIER_SILVER);
}

TEST_CASE("Without a rule set at HQ a till keeps the tier it upgraded a member to",
          "[sync][hq][spend][e2e]") {
  const std::int64_t now = utc_ms(2026, 5, 28) + 2 * 3600 * 1000;
  SyncWorld world;
  world.hq_now_ms = now;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  pma::PhoneHasher hasher("chain-key");
  pma::ManualClock clock(now);
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService at_a(*a.db, hasher, {"A", "T1"}, store_clock);  // default rules
  pma::v1::CommitRequest commit;
  commit.set_txn_id("A-T1-0001");
  commit.set_member_id("M1");
  *commit.add_lines() = line("cake", 120'000);
  auto committed = at_a.commit(commit);
  REQUIRE(committed);
  REQUIRE(committed->message.quote().tier().upgrade_to() == pma::v1::TIER_SILVER);
  REQUIRE(world.sync(a));  // HQ's page says TIER_NORMAL: it knows no thresholds
  CHECK(world.count(a, "SELECT tier FROM members WHERE member_id = 'M1'") == pma::v1::TIER_SILVER);
}

TEST_CASE("A refund takes the spend back from the purchase's month, which ages out whole",
          "[sync][hq][spend]") {
  using Months = std::vector<std::pair<std::int64_t, std::int64_t>>;
  SyncWorld world;
  world.import_members(1, 0);
  const std::int64_t bought = utc_ms(2025, 11, 10);
  pma::v1::Batch batch;
  *batch.add_deltas() = spend_delta(1, bought, 1000);  // November
  SECTION("refunded in December, while HQ's member row still holds November's bucket") {
    *batch.add_deltas() = refund_delta(2, utc_ms(2025, 12, 20), 1000, bought);
    *batch.add_deltas() = spend_delta(3, utc_ms(2025, 12, 21), 300);
    REQUIRE(world.sink->apply_batch({"S", "T1"}, batch, utc_ms(2025, 12, 21)));
    CHECK(page_spend(world, utc_ms(2025, 12, 28)) == 300);
    CHECK(page_months(world, utc_ms(2025, 12, 28)) == Months{{month_of(2025, 12), 300}});
    // November 2026: November 2025 has left the window and takes nothing of December's along.
    CHECK(page_spend(world, utc_ms(2026, 11, 15)) == 300);
    CHECK(page_spend(world, utc_ms(2026, 12, 1)) == 0);
    CHECK(page_months(world, utc_ms(2026, 12, 1)).empty());
  }
  SECTION("refunded in January, when November's bucket has moved out of the member row") {
    *batch.add_deltas() = spend_delta(2, utc_ms(2025, 12, 5), 300);
    *batch.add_deltas() = spend_delta(3, utc_ms(2026, 1, 3), 50);
    *batch.add_deltas() = refund_delta(4, utc_ms(2026, 1, 4), 1000, bought);
    REQUIRE(world.sink->apply_batch({"S", "T1"}, batch, utc_ms(2026, 1, 4)));
    CHECK(page_months(world, utc_ms(2026, 1, 28)) ==
          Months{{month_of(2025, 12), 300}, {month_of(2026, 1), 50}});
    CHECK(page_spend(world, utc_ms(2026, 11, 15)) == 350);
    CHECK(page_spend(world, utc_ms(2026, 12, 15)) == 50);
  }
  SECTION("an older till's refund, without the purchase's time, stays in its own month") {
    *batch.add_deltas() = spend_delta(2, utc_ms(2025, 12, 5), 300);
    *batch.add_deltas() = refund_delta(3, utc_ms(2025, 12, 20), 1000, 0);
    REQUIRE(world.sink->apply_batch({"S", "T1"}, batch, utc_ms(2025, 12, 20)));
    CHECK(page_spend(world, utc_ms(2025, 12, 28)) == 300);
    CHECK(page_months(world, utc_ms(2025, 12, 28)) ==
          Months{{month_of(2025, 11), 1000}, {month_of(2025, 12), -700}});
    CHECK(page_spend(world, utc_ms(2026, 11, 15)) == 0);  // never negative
  }
}

TEST_CASE("A till ages HQ's spend months without a new page", "[sync][hq][spend][e2e]") {
  const std::int64_t now = utc_ms(2026, 5, 28) + 2 * 3600 * 1000;
  SyncWorld world;
  world.hq_now_ms = now;
  world.import_members(1, 0);
  pma::v1::Batch batch;  // another store's checkouts
  *batch.add_deltas() = spend_delta(1, utc_ms(2025, 6, 15), 20'000);
  *batch.add_deltas() = spend_delta(2, utc_ms(2026, 5, 2), 10'000);
  REQUIRE(world.sink->apply_batch({"B", "T1"}, batch, now));
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));
  CHECK(world.count(a,
                    "SELECT COUNT(*) FROM members WHERE member_id = 'M1' AND "
                    "spend_months IS NOT NULL") == 1);
  pma::PhoneHasher hasher("chain-key");
  pma::ManualClock clock(now);
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService at_a(*a.db, hasher, {"A", "T1"}, store_clock);
  std::int64_t payable = 0;
  const std::int64_t first = quoted_spend(at_a, 5'000, &payable);  // payable is set here
  CHECK(first == 30'000 + payable);
  // 2026-06-01 04:00 in Shanghai is still May 31 in UTC: HQ's months are UTC months, so June
  // 2025 is still in the window, as at HQ; it leaves at midnight UTC.
  clock.set(utc_ms(2026, 5, 31) + 20 * 3600 * 1000);
  CHECK(quoted_spend(at_a, 5'000) == 30'000 + payable);
  clock.set(utc_ms(2026, 6, 1) + 1000);
  CHECK(quoted_spend(at_a, 5'000) == 10'000 + payable);
  clock.set(utc_ms(2026, 5, 31) + 15 * 3600 * 1000);  // 23:00 on May 31 in Shanghai
  CHECK(quoted_spend(at_a, 5'000) == 30'000 + payable);
  clock.set(utc_ms(2027, 6, 1));
  CHECK(quoted_spend(at_a, 5'000) == payable);
  // A page without months (an older HQ) leaves the till HQ's figure as sent.
  pma::v1::MemberPage old_page;
  auto* m = old_page.add_members();
  m->set_member_id("M1");
  m->set_version(1'000);
  m->set_tier(1);
  m->set_spend_12m_fen(7'000);
  old_page.set_next_cursor(1'000);
  REQUIRE(a.sync_store->apply_member_page(old_page, now));
  CHECK(world.count(a, "SELECT COUNT(*) FROM members WHERE spend_months IS NOT NULL") == 0);
  CHECK(quoted_spend(at_a, 5'000) == 7'000 + payable);
}
