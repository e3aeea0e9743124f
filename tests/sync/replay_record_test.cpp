// A checkout's replay record (migration 9: in its outbox row until HQ acknowledges the delta,
// then in its idempotency row) attacked from every side a till sees: replays before and after
// the ack, after memberctl restore of an older backup and the handshake's renumbering, id
// mappings before and after the ack, refunds of sales whose record has moved, an erasure. The
// real CheckoutService on real SQLite files; the real memberhq on loopback where HQ answers.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <string>

#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/store/backup.h"
#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"
#include "tests/support/basket.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

// 2026-05-28 02:00 UTC, 10:00 in Shanghai.
constexpr std::int64_t kNow = 1'779'933'600'000;

struct Counter {
  Counter(Till& till, std::int64_t now_ms)
      : clock(now_ms), service(*till.db, hasher, {till.store_id, till.terminal_id}, store_clock) {}
  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock;
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService service;

  static pma::v1::CommitRequest request(const std::string& txn, const std::string& member_id,
                                        std::int64_t qty) {
    pma::v1::CommitRequest r;
    r.set_txn_id(txn);
    r.set_member_id(member_id);
    *r.add_lines() = pma::test::basket_line("bun", qty, 1500);
    return r;
  }
  pma::checkout::Reply<pma::v1::CommitResponse> commit(const std::string& txn,
                                                       const std::string& member_id,
                                                       std::int64_t qty) {
    auto done = service.commit(request(txn, member_id, qty));
    INFO(txn << ": " << (done ? std::string() : done.error().code + " " + done.error().message));
    REQUIRE(done);
    clock.advance(1000);
    return std::move(*done);
  }
  // The same request again: must be a replay of `first`, byte for byte.
  void replay(const std::string& txn, const std::string& member_id, std::int64_t qty,
              const pma::checkout::Reply<pma::v1::CommitResponse>& first) {
    auto again = service.commit(request(txn, member_id, qty));
    INFO(txn << ": " << (again ? std::string() : again.error().code + " " + again.error().message));
    REQUIRE(again);
    CHECK(again->replayed);
    CHECK(again->bytes == first.bytes);
  }
  pma::Result<pma::checkout::Reply<pma::v1::RefundResponse>> refund(const std::string& id,
                                                                    const std::string& txn,
                                                                    std::int64_t qty) {
    pma::v1::RefundRequest r;
    r.set_refund_id(id);
    r.set_original_txn_id(txn);
    auto* line = r.add_lines();
    line->set_line_index(0);
    line->set_qty(qty);
    auto done = service.refund(r);
    clock.advance(1000);
    return done;
  }
};

void close_till(Till& till) {
  till.client.reset();
  till.sync_store.reset();
  till.db.reset();
}

}  // namespace

TEST_CASE(
    "A checkout replayed before HQ's ack, after it, after a restore and after the renumbering "
    "returns its first reply, and its refunds book once",
    "[sync][restore][replay]") {
  SyncWorld world;
  world.import_members(1, 0);
  Till& a = world.add_till("A", "T1");
  REQUIRE(world.sync(a));  // M1 reaches the cache
  std::int64_t earned = 0;
  {
    Counter counter(a, kNow);
    auto c1 = counter.commit("C1", "M1", 2);
    earned += c1.message.quote().points_to_earn();
    REQUIRE(earned > 0);
    counter.replay("C1", "M1", 2, c1);  // its record in its outbox row
    const std::string backup = world.dir.file("backup.db");
    REQUIRE(pma::store::backup_database(*a.db, backup, {"A", "T1"}));
    REQUIRE(world.sync(a));
    REQUIRE(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
    counter.replay("C1", "M1", 2, c1);  // moved into its idempotency row
    auto c2 = counter.commit("C2", "M1", 3);
    earned += c2.message.quote().points_to_earn();
    REQUIRE(world.sync(a));
    REQUIRE(world.hq_balance("M1") == earned);

    // The README procedure: stop memberd, memberctl restore, start memberd. The backup holds C1
    // unacknowledged, its record in its outbox row, at a seq HQ holds.
    close_till(a);
    REQUIRE(pma::store::restore_database(backup, a.db_path, "A", false));
    world.restart(a);
    Counter restored(a, kNow + 60'000);
    restored.replay("C1", "M1", 2, c1);
    // A sale after the restore takes a seq HQ holds for C2.
    auto c3 = restored.commit("C3", "M1", 4);
    earned += c3.message.quote().points_to_earn();
    CHECK(c3.message.outbox_seq() <= *world.sink->highest_applied({"A", "T1"}));
    restored.replay("C3", "M1", 4, c3);
    // The handshake moves C1 and C3 past HQ's watermark; their records follow; the ack moves
    // them into their own rows.
    REQUIRE(world.sync(a));
    CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
    CHECK(world.count(a, "SELECT COUNT(*) FROM idempotency WHERE outbox_seq IS NOT NULL") == 0);
    restored.replay("C1", "M1", 2, c1);
    restored.replay("C3", "M1", 4, c3);
    CHECK(world.hq_balance("M1") == earned);  // C1 sent again, counted once

    // Refunds of sales whose records moved (C1 twice: restored, renumbered, acknowledged; C3
    // renumbered and acknowledged) reverse exactly what each earned.
    auto r1 = restored.refund("R1", "C1", 2);
    INFO((r1 ? std::string() : r1.error().code + ": " + r1.error().message));
    REQUIRE(r1);
    CHECK(r1->message.points_reversed() == c1.message.quote().points_to_earn());
    auto r3 = restored.refund("R3", "C3", 1);
    REQUIRE(r3);
    CHECK(r3->message.member_id() == "M1");
    earned -= r1->message.points_reversed() + r3->message.points_reversed();
    // More than is left of C1 is refused.
    auto again = restored.refund("R1b", "C1", 1);
    REQUIRE_FALSE(again);
    CHECK(again.error().code == "refund_exceeds_purchase");
    REQUIRE(world.sync(a));
    CHECK(world.hq_balance("M1") == earned);
    CHECK(world.till_balance(a, "M1") == earned);
    // Seqs keep increasing past everything HQ holds.
    auto c4 = restored.commit("C4", "M1", 1);
    CHECK(c4.message.outbox_seq() > *world.sink->highest_applied({"A", "T1"}));
  }
}

TEST_CASE(
    "An id mapping before and after a checkout's ack leaves replays byte for byte and books "
    "refunds under the canonical id; an erasure then empties both copies",
    "[sync][replay][erase]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Counter counter(a, kNow);
  pma::v1::RegisterMemberRequest reg;
  reg.set_phone("13812345678");
  reg.set_name("Wang Fang");
  auto registered = counter.service.register_member(reg);
  REQUIRE(registered);
  const std::string p = registered->member().member_id();
  auto c1 = counter.commit("C1", p, 2);
  auto c2 = counter.commit("C2", p, 3);
  REQUIRE(c2.message.outbox_seq() == c1.message.outbox_seq() + 1);

  // HQ acknowledges the registration and C1 with the mapping; C2 is still in the outbox.
  pma::v1::IdMapping mapping;
  mapping.set_provisional_id(p);
  mapping.set_member_id("H1");
  REQUIRE(a.sync_store->acknowledge(c1.message.outbox_seq(), {mapping}));
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox WHERE response IS NOT NULL") == 1);
  counter.replay("C1", p, 2, c1);
  counter.replay("C2", p, 3, c2);
  // A sale under the provisional id (an alias now) books under H1.
  auto c3 = counter.commit("C3", p, 1);
  CHECK(c3.message.quote().member_id() == "H1");

  auto r1 = counter.refund("R1", "C1", 1);
  REQUIRE(r1);
  CHECK(r1->message.member_id() == "H1");
  auto r2 = counter.refund("R2", "C2", 1);
  REQUIRE(r2);
  CHECK(r2->message.member_id() == "H1");
  CHECK(world.count(a, fmt::format("SELECT COUNT(*) FROM ledger WHERE member_id = '{}'", p)) == 0);

  // The rest acknowledged: every record leaves the outbox; replays and refunds unchanged.
  REQUIRE(a.sync_store->acknowledge(c3.message.outbox_seq() + 10, {}));
  CHECK(world.count(a, "SELECT COUNT(*) FROM outbox") == 0);
  counter.replay("C2", p, 3, c2);
  counter.replay("C3", p, 1, c3);
  auto r2b = counter.refund("R2b", "C2", 1);
  REQUIRE(r2b);
  CHECK(r2b->message.member_id() == "H1");
  CHECK(pma::store::Ledger(*a.db).balance("H1").value() ==
        c1.message.quote().points_to_earn() + c2.message.quote().points_to_earn() +
            c3.message.quote().points_to_earn() - r1->message.points_reversed() -
            r2->message.points_reversed() - r2b->message.points_reversed());

  // One more sale unacknowledged, then HQ erases H1: both copies of every record are emptied.
  auto c4 = counter.commit("C4", p, 1);
  pma::v1::MemberPage page;
  auto* erased = page.add_members();
  erased->set_member_id("H1");
  erased->set_erased(true);
  REQUIRE(a.sync_store->apply_member_page(page, kNow / 1000));
  CHECK(world.count(a,
                    "SELECT COUNT(*) FROM outbox WHERE request IS NOT NULL OR response IS NOT "
                    "NULL") == 0);
  CHECK(world.count(a,
                    "SELECT COUNT(*) FROM idempotency WHERE key LIKE 'checkout:%' AND "
                    "(length(request_hash) > 0 OR length(response) > 0)") == 0);
  for (const auto& [txn, qty] : {std::pair{"C1", 2}, {"C2", 3}, {"C3", 1}, {"C4", 1}}) {
    auto replayed = counter.service.commit(Counter::request(txn, p, qty));
    REQUIRE_FALSE(replayed);
    CHECK(replayed.error().code == "member_erased");
  }
  // The money of a sale is still refundable, without a member.
  auto r4 = counter.refund("R4", "C4", 1);
  REQUIRE(r4);
  CHECK(r4->message.member_id().empty());
  REQUIRE(a.sync_store->acknowledge(c4.message.outbox_seq() + 10, {}));
  CHECK(world.count(a,
                    "SELECT COUNT(*) FROM idempotency WHERE key LIKE 'checkout:%' AND "
                    "(length(request_hash) > 0 OR length(response) > 0)") == 0);
}
