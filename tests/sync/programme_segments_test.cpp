// RFM segments and rule tags over a generated chain: thousands of members, several stores,
// four months of checkouts and refunds from a seeded generator, applied by the real memberhq
// sink; every member's class and tag checked against a calculation written here from
// README's definition (not sync/hq/segments.cpp). Manual tags, coupon targets by segment and
// tag, member pages and the segment report too.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "agent/loyalty/rules.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::SyncWorld;
namespace v1 = pma::v1;

constexpr std::int64_t kDay = 86'400'000;
// 2026-06-01 00:00 UTC.
constexpr std::int64_t kNow = 1'780'272'000'000;
constexpr int kMembers = 3000;
constexpr int kStores = 4;

struct Sale {
  std::int64_t at_ms = 0;
  std::int64_t paid = 0;
  std::int64_t refunded = 0;
  std::int64_t low_sugar = 0;  // paid on lines of category "lowsugar"
};

// The expected class, from README's definition.
std::string expected_segment(const std::vector<Sale>& sales) {
  if (sales.empty()) return "none";
  std::int64_t last = 0, visits = 0, spend = 0;
  for (const Sale& s : sales) {
    if (s.at_ms > kNow) continue;
    last = std::max(last, s.at_ms);
    if (s.at_ms > kNow - 30 * kDay) {
      ++visits;
      spend += s.paid - s.refunded;
    }
  }
  if (last == 0) return "none";
  auto recent = [&](int days) { return last > kNow - days * kDay; };
  if (recent(7) && visits >= 5 && spend >= 5'000) return "high_value";
  if (recent(15) && visits >= 3 && spend >= 3'000) return "active";
  if (recent(30) && visits >= 1 && visits <= 2 && spend >= 2'000) return "potential";
  if (!recent(30)) return "dormant";
  return "regular";
}

// "low-sugar buyer": at least half of the last 90 days' paid amount on "lowsugar" lines.
bool expected_low_sugar(const std::vector<Sale>& sales) {
  std::int64_t all = 0, low = 0;
  for (const Sale& s : sales) {
    if (s.at_ms <= kNow - 90 * kDay || s.at_ms > kNow) continue;
    all += s.paid;
    low += s.low_sugar;
  }
  return all > 0 && low > 0 && low * 2 >= all;
}

v1::RuleSet tag_rules() {
  v1::RuleSet rules = pma::loyalty::default_rule_set();
  rules.set_version(2);
  auto* t = rules.add_tag_rules();
  t->set_tag("low-sugar buyer");
  t->set_category("lowsugar");
  auto* c = rules.add_coupon_templates();
  c->set_id("WINBACK50");
  c->set_title("50 yuan, we miss you");
  c->set_kind(v1::CouponTemplate::KIND_FIXED);
  c->set_amount_fen(5'000);
  c->set_validity_days(14);
  return rules;
}

// The generated chain: members M1..kMembers, each with 0-14 checkouts over the 120 days before
// kNow (some within the last week, a few after kNow, which no class counts), a tenth refunded
// in part, spread over kStores stores; applied through the sink in batches per terminal.
struct GeneratedChain {
  GeneratedChain() {
    world.import_members(kMembers, 0);
    REQUIRE(world.sink->put_rule_set(2, tag_rules().SerializeAsString()));
    std::mt19937_64 rng(20261203);
    std::map<int, v1::Batch> batches;
    std::map<int, std::uint64_t> seqs;
    auto next = [&](int store) -> v1::Delta& {
      v1::Delta& d = *batches[store].add_deltas();
      d.set_seq(++seqs[store]);
      d.set_txn_id(fmt::format("S{}-{}", store, seqs[store]));
      return d;
    };
    for (int i = 1; i <= kMembers; ++i) {
      const std::string id = fmt::format("M{}", i);
      auto& mine = sales[id];
      const int count = static_cast<int>(rng() % 15);
      // Most members keep to a recent stretch, so every class is well represented.
      const std::int64_t span = (rng() % 4 == 0 ? 120 : 1 + rng() % 40) * kDay;
      for (int k = 0; k < count; ++k) {
        const int store = static_cast<int>(rng() % kStores);
        Sale s;
        s.at_ms = kNow - static_cast<std::int64_t>(rng() % span) + (rng() % 50 == 0 ? kDay : 0);
        v1::Delta& d = next(store);
        d.set_occurred_at_ms(s.at_ms);
        auto* c = d.mutable_checkout();
        c->set_member_id(id);
        const int lines = 1 + static_cast<int>(rng() % 3);
        for (int l = 0; l < lines; ++l) {
          auto* line = c->add_lines();
          const std::int64_t fen = 300 + static_cast<std::int64_t>(rng() % 2'500);
          line->set_sku(fmt::format("SKU{}", l));
          line->set_qty(1);
          line->set_unit_price_fen(fen);
          line->set_paid_fen(fen);
          const bool low = rng() % (i % 3 == 0 ? 2 : 6) == 0;
          line->set_category(low ? "lowsugar" : "bakery");
          if (low) s.low_sugar += fen;
          s.paid += fen;
        }
        c->set_gross_fen(s.paid);
        c->set_paid_fen(s.paid);
        if (rng() % 10 == 0) {
          s.refunded = s.paid / 2;
          const std::string original = d.txn_id();
          v1::Delta& r = next(store);
          r.set_occurred_at_ms(s.at_ms + 1000);
          auto* refund = r.mutable_refund();
          refund->set_member_id(id);
          refund->set_original_txn_id(original);
          refund->set_refunded_fen(s.refunded);
          refund->set_original_occurred_at_ms(s.at_ms);
        }
        mine.push_back(s);
      }
    }
    for (auto& [store, batch] : batches) {
      pma::hq::TerminalIdentity terminal{fmt::format("S{}", store), "T1"};
      // Batches of at most 500 deltas, as a till sends them.
      for (int from = 0; from < batch.deltas_size(); from += 500) {
        v1::Batch part;
        for (int k = from; k < std::min(from + 500, batch.deltas_size()); ++k) {
          *part.add_deltas() = batch.deltas(k);
        }
        auto applied = world.sink->apply_batch(terminal, part, kNow);
        REQUIRE(applied);
        REQUIRE(applied->applied == static_cast<std::uint32_t>(part.deltas_size()));
      }
    }
    auto conflicts = world.sink->conflicts();
    REQUIRE(conflicts);
    REQUIRE(conflicts->empty());
  }
  pma::hq::SqliteProgramme& programme() { return world.sink->programme(); }
  SyncWorld world;
  std::map<std::string, std::vector<Sale>> sales;
};

}  // namespace

TEST_CASE_METHOD(GeneratedChain,
                 "Every member's RFM class and rule tag match an independent calculation",
                 "[sync][programme][segments]") {
  std::uint64_t progress_calls = 0, last_done = 0;
  auto run = programme().run_segments(kNow, [&](std::uint64_t done, std::uint64_t total) {
    ++progress_calls;
    CHECK(done > last_done);
    CHECK(total == kMembers);
    last_done = done;
  });
  INFO((run ? "" : run.error().message));
  REQUIRE(run);
  CHECK(run->members == kMembers);
  CHECK(run->changed == kMembers);  // every member's first class
  CHECK(last_done == kMembers);
  CHECK(progress_calls >= 1);

  // Every member through member pages (what tills receive).
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> seen;
  std::uint64_t cursor = 0;
  for (bool more = true; more;) {
    auto page = world.sink->member_page({"S0", "T1"}, cursor, 1000, 0, kNow);
    REQUIRE(page);
    for (const auto& m : page->members()) {
      seen[m.member_id()] = {m.segment(), {m.tags().begin(), m.tags().end()}};
    }
    cursor = page->next_cursor();
    more = page->more();
  }
  REQUIRE(seen.size() == kMembers);
  std::map<std::string, int> classes;
  int tagged = 0;
  for (int i = 1; i <= kMembers; ++i) {
    const std::string id = fmt::format("M{}", i);
    const auto& [segment, tags] = seen[id];
    INFO(id);
    CHECK(segment == expected_segment(sales[id]));
    const bool low = expected_low_sugar(sales[id]);
    CHECK((tags == std::vector<std::string>{"low-sugar buyer"}) == low);
    CHECK(tags.size() == (low ? 1u : 0u));
    ++classes[segment];
    tagged += low;
  }
  // The generator reaches every class, so each rule was exercised.
  for (const char* c : {"high_value", "active", "potential", "dormant", "regular", "none"}) {
    INFO(c);
    CHECK(classes[c] > 20);
  }
  CHECK(tagged > 100);

  SECTION("a second run at the same instant changes nothing and issues no new versions") {
    auto again = programme().run_segments(kNow, nullptr);
    REQUIRE(again);
    CHECK(again->changed == 0);
  }
  SECTION("a month later the recent members have gone dormant") {
    auto later = programme().run_segments(kNow + 60 * kDay, nullptr);
    REQUIRE(later);
    CHECK(later->changed > 0);
    auto report = programme().segment_report(kNow + 60 * kDay, 0);
    REQUIRE(report);
    for (const auto& row : *report) {
      CHECK((row.segment == "dormant" || row.segment == "none"));
      CHECK(row.spend_fen == 0);
    }
  }
  SECTION("the report's members and revenue add up to the chain's") {
    auto report = programme().segment_report(kNow, 0);
    REQUIRE(report);
    std::map<std::string, std::pair<std::uint64_t, std::int64_t>> expected;
    for (const auto& [id, list] : sales) {
      auto& row = expected[expected_segment(list)];
      ++row.first;
      for (const Sale& s : list) {
        if (s.at_ms > kNow - 30 * kDay && s.at_ms <= kNow) row.second += s.paid - s.refunded;
      }
    }
    REQUIRE(report->size() == expected.size());
    CHECK((*report)[0].segment == "high_value");  // classes in test order
    for (const auto& row : *report) {
      INFO(row.segment);
      CHECK(row.members == expected[row.segment].first);
      CHECK(row.spend_fen == expected[row.segment].second);
    }
  }
  SECTION("a coupon to a segment or a tag reaches exactly its members, once") {
    auto dormant = programme().issue_coupons({"WINBACK50",
                                              "winback-2026-06",
                                              {pma::hq::CouponTarget::Kind::segment, "dormant", {}},
                                              kNow});
    REQUIRE(dormant);
    CHECK(dormant->issued == static_cast<std::uint64_t>(classes["dormant"]));
    auto rerun = programme().issue_coupons({"WINBACK50",
                                            "winback-2026-06",
                                            {pma::hq::CouponTarget::Kind::segment, "dormant", {}},
                                            kNow});
    REQUIRE(rerun);
    CHECK(rerun->issued == 0);
    CHECK(rerun->already_issued == dormant->issued);
    auto by_tag =
        programme().issue_coupons({"WINBACK50",
                                   "low-sugar-1",
                                   {pma::hq::CouponTarget::Kind::tag, "low-sugar buyer", {}},
                                   kNow});
    REQUIRE(by_tag);
    CHECK(by_tag->issued == static_cast<std::uint64_t>(tagged));
    auto by_store = programme().issue_coupons(
        {"WINBACK50", "store-1", {pma::hq::CouponTarget::Kind::store, "S1", {}}, kNow});
    REQUIRE(by_store);
    CHECK(by_store->issued > 0);
    CHECK(by_store->issued < static_cast<std::uint64_t>(kMembers));
  }
}

TEST_CASE_METHOD(GeneratedChain, "Manual tags reach member pages beside rule tags and survive runs",
                 "[sync][programme][tags]") {
  REQUIRE(programme().run_segments(kNow, nullptr));
  auto added = programme().add_tag("M1", "holiday buyer");
  REQUIRE(added);
  CHECK(*added);
  CHECK_FALSE(*programme().add_tag("M1", "holiday buyer"));
  auto bad = programme().add_tag("M1", "a,b");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "tag_invalid");
  auto nobody = programme().add_tag("M999999", "x");
  REQUIRE_FALSE(nobody);
  CHECK(nobody.error().code == "member_not_found");
  REQUIRE(programme().run_segments(kNow + 1, nullptr));
  auto tags_of = [&](const std::string& id) {
    auto page = world.sink->member_page({"S0", "T1"}, 0, kMembers + 1, 0, kNow);
    REQUIRE(page);
    for (const auto& m : page->members()) {
      if (m.member_id() == id) return std::vector<std::string>(m.tags().begin(), m.tags().end());
    }
    FAIL("no member " << id);
    return std::vector<std::string>();
  };
  std::vector<std::string> expected{"holiday buyer"};
  if (expected_low_sugar(sales["M1"])) expected.insert(expected.end(), "low-sugar buyer");
  CHECK(tags_of("M1") == expected);
  REQUIRE(*programme().remove_tag("M1", "holiday buyer"));
  CHECK_FALSE(*programme().remove_tag("M1", "holiday buyer"));
  expected.erase(expected.begin());
  CHECK(tags_of("M1") == expected);
}
