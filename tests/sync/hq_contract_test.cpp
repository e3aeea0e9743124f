// HQ's contract, the same cases against both sinks (GENERATE over "sqlite" and "postgresql"):
// exactly-once by (store, terminal, seq) and by delta identity, the conflict kinds, refund
// limits, online-first holds, erasure, revocation, registration mappings and member pages in
// version order. The PostgreSQL sink runs on a throwaway cluster (tests/support/pg_cluster);
// its cases print "SKIPPED" where PostgreSQL 15 is not installed.
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>
#include <memory>

#include "sync/hq/pg_sink.h"
#include "sync/hq/sqlite_sink.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace {

using pma::hq::Sink;

const pma::hq::TerminalIdentity kTill{"S1", "T1"};
const pma::hq::TerminalIdentity kOther{"S2", "T1"};
constexpr std::int64_t kNow = 1'790'000'000'000;

// A fresh, empty HQ of the kind (nullptr: PostgreSQL not installed).
std::unique_ptr<Sink> open_sink(const std::string& kind, const pma::test::TempDir& dir) {
  if (kind == "sqlite") {
    auto sink = pma::hq::SqliteSink::open(dir.file("hq.db"), "NORMAL");
    REQUIRE(sink);
    return std::move(*sink);
  }
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return nullptr;
  }
  static std::atomic<int> n{0};
  auto sink = pma::hq::PgSink::open(
      pma::test::PgCluster::shared().create_database("contract_" + std::to_string(++n)));
  if (!sink) FAIL(sink.error().code << ": " << sink.error().message);
  return std::move(*sink);
}

pma::v1::Delta checkout(std::uint64_t seq, const std::string& txn, const std::string& member,
                        std::int64_t paid_fen, std::int64_t earned, std::int64_t burned = 0,
                        std::vector<std::string> coupons = {}) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id(txn);
  delta.set_occurred_at_ms(kNow);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->set_gross_fen(paid_fen);
  c->set_paid_fen(paid_fen);
  c->set_points_earned(earned);
  c->set_points_burned(burned);
  for (auto& code : coupons) c->add_coupon_codes(code);
  return delta;
}

pma::v1::Delta refund(std::uint64_t seq, const std::string& txn, const std::string& original,
                      const std::string& member, std::int64_t fen, std::int64_t reversed) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id(txn);
  delta.set_occurred_at_ms(kNow);
  auto* r = delta.mutable_refund();
  r->set_member_id(member);
  r->set_original_txn_id(original);
  r->set_refunded_fen(fen);
  r->set_points_reversed(reversed);
  return delta;
}

pma::v1::Delta registration(std::uint64_t seq, const std::string& provisional,
                            const std::string& phone_hash, const std::string& welcome = "") {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id(provisional);
  delta.set_occurred_at_ms(kNow);
  auto* r = delta.mutable_member_registered();
  r->set_provisional_id(provisional);
  r->set_phone_hash(phone_hash);
  r->set_phone_masked("139****0009");
  r->set_name("New");
  if (!welcome.empty()) {
    auto* t = r->add_welcome_coupon_terms();
    t->set_code(welcome);
    t->set_template_id("welcome");
  }
  return delta;
}

pma::hq::ApplyOutcome apply(Sink& sink, std::vector<pma::v1::Delta> deltas,
                            const pma::hq::TerminalIdentity& till = kTill) {
  pma::v1::Batch batch;
  for (auto& d : deltas) *batch.add_deltas() = std::move(d);
  auto outcome = sink.apply_batch(till, batch, kNow);
  if (!outcome) FAIL(outcome.error().code << ": " << outcome.error().message);
  return *outcome;
}

std::vector<std::string> conflict_kinds(Sink& sink) {
  auto all = sink.conflicts();
  REQUIRE(all);
  std::vector<std::string> kinds;
  for (const auto& c : *all) kinds.push_back(c.kind);
  return kinds;
}

std::int64_t balance(Sink& sink, const std::string& member_id) {
  auto m = sink.member(member_id);
  REQUIRE(m);
  return *m ? (*m)->points : 0;
}

void import(Sink& sink, std::vector<std::pair<std::string, std::int64_t>> members) {
  std::vector<pma::hq::ImportedMember> rows;
  for (const auto& [id, points] : members) {
    rows.push_back({id, "886" + id, {}, "", "Member " + id, "", 1, points});
  }
  auto written = sink.import_members(rows);
  REQUIRE(written);
  CHECK(*written == rows.size());
}

}  // namespace

TEST_CASE("Each seq applies once: resends are duplicates and a gap stops the batch",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  import(*sink, {{ "M1", 1000 }});
  auto first = apply(*sink, {checkout(1, "A", "M1", 100, 10), checkout(2, "B", "M1", 100, 10)});
  CHECK(first.applied == 2);
  CHECK(first.highest_applied == 2);
  auto again = apply(*sink, {checkout(1, "A", "M1", 100, 10), checkout(2, "B", "M1", 100, 10),
                             checkout(3, "C", "M1", 100, 10)});
  CHECK(again.duplicates == 2);
  CHECK(again.applied == 1);
  auto gap = apply(*sink, {checkout(5, "E", "M1", 100, 10)});
  REQUIRE(gap.gap_from);
  CHECK(*gap.gap_from == 4);
  CHECK(gap.applied == 0);
  // The same checkout sent again under a new seq (a lost ack, a restored till): a duplicate.
  auto renumbered = apply(*sink, {checkout(4, "B", "M1", 100, 10)});
  CHECK(renumbered.duplicates == 1);
  CHECK(renumbered.highest_applied == 4);
  // The same txn id with other contents: refused, nothing changes.
  auto reused = apply(*sink, {checkout(5, "A", "M1", 999, 99)});
  CHECK(reused.applied == 1);
  CHECK(balance(*sink, "M1") == 1030);
  CHECK(conflict_kinds(*sink) == std::vector<std::string>{"txn_id_reused"});
  CHECK(*sink->highest_applied(kTill) == 5);
  // Rows of the ledger: one per delta applied fresh (the resend and the refused reuse add none).
  CHECK(*sink->applied_count(kTill) == 3);
}

TEST_CASE("Conflicts: a coupon redeemed twice, points overdrawn, refunds beyond the sale",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  import(*sink, {{"M1", 1000}, { "M2", 50 }});
  apply(*sink,
        {checkout(1, "A", "M1", 10'000, 100, 0, {"C1"}), checkout(2, "B", "M1", 500, 5, 0, {"C1"}),
         checkout(3, "C", "M2", 100, 0, 80), refund(4, "A-R", "A", "M1", 20'000, 0),
         refund(5, "X-R", "NOPE", "M1", 10, 0), refund(6, "A-R2", "A", "M1", 4'000, 40)});
  const auto kinds = conflict_kinds(*sink);
  CHECK(kinds == std::vector<std::string>{"coupon_redeemed_twice", "points_overdrawn",
                                          "refund_exceeds_sale", "refund_not_own_sale"});
  CHECK(balance(*sink, "M1") == 1000 + 100 + 5 - 40);
  CHECK(balance(*sink, "M2") == -30);
  // Another terminal cannot refund S1/T1's sale.
  apply(*sink, {refund(1, "A-R3", "A", "M1", 100, 1)}, kOther);
  CHECK(conflict_kinds(*sink).back() == "refund_not_own_sale");
  CHECK(balance(*sink, "M1") == 1065);
}

TEST_CASE("Coupons: an HQ code HQ never issued and another terminal's welcome code are refused",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  import(*sink, {{ "M1", 100 }});
  const auto outcome = apply(*sink, {checkout(1, "A", "M1", 1'000, 10, 0, {"H-0000099999"}),
                                     checkout(2, "B", "M1", 1'000, 10, 0, {"W-S2-T1-1-1"}),
                                     checkout(3, "C", "M1", 1'000, 10, 0, {"W-S1-T1-1-1"})});
  CHECK(outcome.highest_applied == 3);
  CHECK(conflict_kinds(*sink) == std::vector<std::string>{"coupon_not_owner", "coupon_not_owner"});
  CHECK(balance(*sink, "M1") == 110);  // only the checkout with the till's own welcome code
}

TEST_CASE("Holds: points held against the chain-wide balance, released, consumed",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  import(*sink, {{ "M1", 500 }});
  apply(*sink, {checkout(1, "Z", "M1", 100, 0, 0, {"C9"})});  // C9 redeemed
  pma::v1::ReserveRequest a;
  a.set_txn_id("T-A");
  a.set_member_id("M1");
  a.set_points(300);
  auto granted = sink->reserve(kTill, a, kNow, kNow + 10'000);
  REQUIRE(granted);
  CHECK(granted->granted());
  CHECK(granted->hold_id() != 0);
  pma::v1::ReserveRequest b = a;
  b.set_txn_id("T-B");
  auto refused = sink->reserve(kOther, b, kNow, kNow + 10'000);
  REQUIRE(refused);
  CHECK_FALSE(refused->granted());
  REQUIRE(refused->refusals_size() == 1);
  CHECK(refused->refusals(0).code() == "points_insufficient_at_hq");
  pma::v1::ReserveRequest c;
  c.set_txn_id("T-C");
  c.add_coupon_codes("C9");
  auto redeemed = sink->reserve(kOther, c, kNow, kNow + 10'000);
  REQUIRE(redeemed);
  REQUIRE(redeemed->refusals_size() == 1);
  CHECK(redeemed->refusals(0).code() == "coupon_redeemed_elsewhere");
  CHECK(*sink->active_holds(kNow) == 1);
  CHECK(*sink->active_holds(kNow + 20'000) == 0);  // past its time
  // A release naming another hold id leaves it; the checkout's delta consumes it.
  REQUIRE(sink->release(kTill, "T-A", granted->hold_id() + 1));
  CHECK(*sink->active_holds(kNow) == 1);
  apply(*sink, {checkout(2, "T-A", "M1", 100, 0, 300)});
  CHECK(*sink->active_holds(kNow) == 0);
  CHECK(balance(*sink, "M1") == 200);
  auto b_again = sink->reserve(kOther, b, kNow, kNow + 10'000);
  REQUIRE(b_again);
  CHECK_FALSE(b_again->granted());
}

TEST_CASE("Erasure: PII and coupons go in one version, later activity is a conflict",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  apply(*sink, {registration(1, "P-S1-T1-1", "hash-1", "W-S1-T1-1")});
  auto mapped = sink->id_mappings(kTill, std::vector<std::string>{"P-S1-T1-1"});
  REQUIRE(mapped);
  REQUIRE(mapped->size() == 1);
  const std::string id = (*mapped)[0].member_id();
  CHECK(id.starts_with("H"));
  pma::v1::ReserveRequest hold;
  hold.set_txn_id("T-H");
  hold.add_coupon_codes("W-S1-T1-1");
  hold.set_member_id(id);
  auto held = sink->reserve(kTill, hold, kNow, kNow + 10'000);
  REQUIRE(held);
  REQUIRE(held->granted());
  const auto before = sink->member(id);
  REQUIRE(before);
  REQUIRE(*before);
  auto erased = sink->erase_member("P-S1-T1-1");  // a provisional id names the member too
  REQUIRE(erased);
  CHECK(erased->member_id == id);
  CHECK(erased->coupons_revoked == 1);
  CHECK(erased->coupon_holds_released == 1);
  CHECK(erased->version > (*before)->version);
  auto after = sink->member(id);
  REQUIRE(after);
  CHECK((*after)->erased);
  CHECK((*after)->version == erased->version);
  auto again = sink->erase_member(id);
  REQUIRE(again);
  CHECK(again->already_erased);
  auto unknown = sink->erase_member("NOBODY");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().code == "member_not_found");
  apply(*sink, {checkout(2, "LATE", id, 100, 10)});
  CHECK(conflict_kinds(*sink) == std::vector<std::string>{"erased_member_activity"});
  CHECK(balance(*sink, id) == 0);
  // The page carries the tombstone without PII.
  auto page = sink->member_page(kTill, 0, 10, 0, kNow);
  REQUIRE(page);
  REQUIRE(page->members_size() == 1);
  CHECK(page->members(0).erased());
  CHECK(page->members(0).name().empty());
}

TEST_CASE("Revocation: a revoked terminal is refused and listed; reinstated it is served",
          "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  auto unseen = sink->set_terminal_revoked(kOther, true, kNow);
  REQUIRE(unseen);
  CHECK_FALSE(*unseen);
  apply(*sink, {checkout(1, "A", "", 100, 0)});
  auto seen = sink->set_terminal_revoked(kTill, true, kNow + 1);
  REQUIRE(seen);
  CHECK(*seen);
  CHECK(*sink->check_terminal(kTill, kNow + 2));
  CHECK_FALSE(*sink->check_terminal({"S3", "T9"}, kNow + 3));
  REQUIRE(sink->flush_terminal_activity());
  auto listed = sink->terminals();
  REQUIRE(listed);
  REQUIRE(listed->size() == 3);
  CHECK((*listed)[0].store_id == "S1");
  CHECK((*listed)[0].revoked);
  CHECK((*listed)[0].highest_seq == 1);
  CHECK((*listed)[0].last_seen_ms == kNow + 2);
  CHECK((*listed)[2].store_id == "S3");
  CHECK((*listed)[2].last_seen_ms == kNow + 3);
  REQUIRE(sink->set_terminal_revoked(kTill, false, kNow + 4));
  CHECK_FALSE(*sink->check_terminal(kTill, kNow + 5));
}

TEST_CASE("Member pages come in version order with a cursor that skips nothing", "[hq][contract]") {
  const std::string kind = GENERATE(as<std::string>{}, "sqlite", "postgresql");
  INFO("sink: " << kind);
  pma::test::TempDir dir;
  auto sink = open_sink(kind, dir);
  if (!sink) return;
  import(*sink, {{"M1", 10}, {"M2", 20}, { "M3", 30 }});
  apply(*sink, {checkout(1, "A", "M1", 100, 1)});  // M1 moves to the newest version
  std::vector<std::string> order;
  std::uint64_t cursor = 0, last = 0;
  for (int i = 0; i < 5; ++i) {
    auto page = sink->member_page(kTill, cursor, 2, 0, kNow);
    REQUIRE(page);
    CHECK(page->reflected_seq() == 1);
    for (const auto& m : page->members()) {
      CHECK(m.version() > last);
      last = m.version();
      order.push_back(m.member_id());
    }
    cursor = page->next_cursor();
    if (!page->more()) break;
  }
  CHECK(order == std::vector<std::string>{"M2", "M3", "M1"});
  auto empty = sink->member_page(kTill, cursor, 2, 0, kNow);
  REQUIRE(empty);
  CHECK(empty->members_size() == 0);
  REQUIRE(sink->put_rule_set(7, "garbled-but-stored"));
  auto with_rules = sink->member_page(kTill, cursor, 2, 0, kNow);
  REQUIRE(with_rules);
  CHECK(with_rules->rule_set().version() == 7);
}
