// The till's side of an erasure and of an id mapping, with the real CheckoutService, print jobs
// and memberhq: an erased member leaves no row behind in any table (scanned generically, so a
// table added later is covered), and a mapped provisional id leaves no row that books under it.
#include <fmt/format.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <vector>

#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/printing/print_jobs.h"
#include "agent/printing/receipt_block.h"
#include "agent/store/idempotency.h"
#include "agent/store/ledger.h"
#include "pma/phone.h"
#include "tests/support/basket.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;
using pma::test::Till;

namespace {

// 2026-05-28 02:00 UTC, 10:00 in Shanghai.
constexpr std::int64_t kNow = 1'779'933'600'000;
constexpr const char* kPhone = "13812345678";
constexpr const char* kName = "Wang Fang";
constexpr const char* kCard = "886099990001";

// A CheckoutService on a SyncWorld till's database, as memberd wires it.
struct Counter {
  explicit Counter(Till& till)
      : service(*till.db, hasher, {till.store_id, till.terminal_id}, store_clock) {}
  pma::PhoneHasher hasher{"chain-key"};
  pma::ManualClock clock{kNow};
  pma::checkout::StoreClock store_clock{clock, *pma::StoreZone::named("Asia/Shanghai")};
  pma::checkout::CheckoutService service;

  std::string register_member() {
    pma::v1::RegisterMemberRequest r;
    r.set_phone(kPhone);
    r.set_name(kName);
    r.set_card_no(kCard);
    r.set_birthday("04-01");
    auto done = service.register_member(r);
    REQUIRE(done);
    REQUIRE(done->created());
    return done->member().member_id();
  }
  pma::v1::CommitResponse commit(const std::string& txn, const std::string& member_id,
                                 std::int64_t qty = 2) {
    pma::v1::CommitRequest r;
    r.set_txn_id(txn);
    r.set_member_id(member_id);
    *r.add_lines() = pma::test::basket_line("bun", qty, 1500);
    auto done = service.commit(r);
    REQUIRE(done);
    clock.advance(1000);
    return done->message;
  }
  pma::Result<pma::checkout::Reply<pma::v1::RefundResponse>> refund(const std::string& id,
                                                                    const std::string& txn) {
    pma::v1::RefundRequest r;
    r.set_refund_id(id);
    r.set_original_txn_id(txn);
    auto done = service.refund(r);
    clock.advance(1000);
    return done;
  }
};

// The member block as memberd's print path renders it, with the name a POS may add.
std::string receipt_bytes(const pma::v1::CommitResponse& commit, const std::string& name) {
  pma::v1::MemberReceipt receipt;
  receipt.set_store_name("Store A");
  receipt.set_phone_masked(commit.receipt().phone_masked());
  receipt.set_member_name(name);
  receipt.set_points_balance(commit.receipt().points_balance());
  receipt.set_transaction_id(commit.txn_id());
  auto bytes = pma::printing::render_receipt_escpos(receipt, pma::printer::Paper::mm80);
  REQUIRE(bytes);
  return *bytes;
}

// The id the till's cache knows the member by (the canonical one once HQ mapped it).
std::string member_named(Till& till, const std::string& name) {
  auto stmt = till.db->prepare("SELECT member_id FROM members WHERE name = ?1");
  REQUIRE(stmt);
  stmt->bind(1, name);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  return stmt->column_text(0);
}

// Every "table.column" of every table (sqlite_master, so tables added later are included)
// whose value, as bytes, contains one of the needles; `skip` names tables left out.
std::vector<std::string> mentions(Till& till, const std::vector<std::string>& needles,
                                  const std::string& skip = {}) {
  std::vector<std::pair<std::string, std::string>> columns;
  {
    auto tables = till.db->prepare(
        "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p "
        "WHERE m.type = 'table' ORDER BY m.name, p.cid");
    REQUIRE(tables);
    for (;;) {
      auto row = tables->step();
      REQUIRE(row);
      if (!*row) break;
      columns.emplace_back(tables->column_text(0), tables->column_text(1));
    }
  }
  REQUIRE(columns.size() > 20);
  std::vector<std::string> found;
  for (const auto& [table, column] : columns) {
    if (table == skip) continue;
    for (const auto& needle : needles) {
      auto q = till.db->prepare(fmt::format(
          "SELECT COUNT(*) FROM \"{}\" WHERE instr(CAST(\"{}\" AS BLOB), ?1) > 0", table, column));
      REQUIRE(q);
      q->bind_blob(1,
                   std::span(reinterpret_cast<const std::uint8_t*>(needle.data()), needle.size()));
      auto row = q->step();
      REQUIRE(row);
      if (q->column_int64(0) > 0) found.push_back(fmt::format("{}.{}", table, column));
    }
  }
  return found;
}

std::vector<std::int64_t> outbox_seqs(Till& till) {
  auto stmt = till.db->prepare("SELECT seq FROM outbox ORDER BY seq");
  REQUIRE(stmt);
  std::vector<std::int64_t> seqs;
  for (;;) {
    auto row = stmt->step();
    REQUIRE(row);
    if (!*row) return seqs;
    seqs.push_back(stmt->column_int64(0));
  }
}

pma::v1::Delta outbox_delta(Till& till, const std::string& txn_id) {
  auto stmt = till.db->prepare("SELECT payload FROM outbox WHERE txn_id = ?1");
  REQUIRE(stmt);
  stmt->bind(1, txn_id);
  auto row = stmt->step();
  REQUIRE(row);
  REQUIRE(*row);
  auto blob = stmt->column_blob(0);
  pma::v1::Delta delta;
  REQUIRE(delta.ParseFromArray(blob.data(), static_cast<int>(blob.size())));
  return delta;
}

}  // namespace

TEST_CASE(
    "An erasure page leaves no row naming the member in any table, and the unsent deltas "
    "still reach HQ",
    "[sync][erase]") {
  SyncWorld world;
  world.import_members(1, 100);
  Till& a = world.add_till("A", "T1");
  Counter counter(a);
  pma::printing::PrintJobs jobs(*a.db);

  // Registered offline, a checkout under the provisional id, its receipt printed; then HQ maps
  // the id.
  const std::string provisional = counter.register_member();
  auto first = counter.commit("C1", provisional);
  REQUIRE(jobs.add("receipt:C1", "receipt", receipt_bytes(first, kName), kNow / 1000));
  REQUIRE(jobs.mark_printed(jobs.find("receipt:C1").value()->id, kNow / 1000));
  REQUIRE(world.sync(a));
  const std::string member = member_named(a, kName);
  REQUIRE_FALSE(member.empty());
  REQUIRE(member != provisional);
  // M1 also shops here: nothing of it may change.
  REQUIRE(world.count(a, "SELECT COUNT(*) FROM members WHERE member_id = 'M1'") == 1);
  auto other = counter.commit("O1", "M1");
  REQUIRE(jobs.add("receipt:O1", "receipt", receipt_bytes(other, "Member 1"), kNow / 1000));
  // The POS numbers sales and returns apart: M1's sale "R1" shares its id with the erased
  // member's refund below, and must not be touched by the erasure.
  auto clash = counter.commit("R1", "M1");
  REQUIRE(jobs.add("receipt:R1", "receipt", receipt_bytes(clash, "Member 1"), kNow / 1000));

  // After that sync: a checkout, a refund of the first checkout, a pending receipt, and one the
  // POS queued under a key of its own. None of it has reached HQ.
  auto second = counter.commit("C2", member, 3);
  REQUIRE(counter.refund("R1", "C1"));
  REQUIRE(jobs.add("receipt:C2", "receipt", receipt_bytes(second, kName), kNow / 1000));
  REQUIRE(jobs.add("pos-7781", "receipt", receipt_bytes(second, ""), kNow / 1000));
  REQUIRE(world.count(a, fmt::format("SELECT COUNT(*) FROM ledger WHERE member_id = '{}' AND "
                                     "hq_reflected = 0",
                                     member)) >= 2);
  REQUIRE(world.count(a, "SELECT COUNT(*) FROM idempotency") == 5);
  const auto unsent = outbox_seqs(a);
  REQUIRE(unsent.size() == 4);  // O1, sale R1, C2, refund R1

  const std::string masked = pma::mask_phone(kPhone);
  auto hash = counter.hasher.hash(kPhone);
  const std::vector<std::string> needles = {
      member, provisional, kName, masked, kPhone, kCard, std::string(hash.begin(), hash.end())};
  const auto before = mentions(a, needles, "outbox");
  for (const char* where :
       {"members.name", "members.phone_hash", "ledger.member_id", "idempotency.request_hash",
        "idempotency.response", "print_queue.payload"}) {
    CHECK(std::find(before.begin(), before.end(), where) != before.end());
  }

  // HQ erases the member; its next page reaches the till before the till sends anything.
  REQUIRE(world.sink->erase_member(member));
  auto cursor = a.sync_store->downstream_cursor();
  REQUIRE(cursor);
  auto page = world.sink->member_page({"A", "T1"}, cursor->member_cursor, 100,
                                      cursor->rule_set_version, kNow);
  REQUIRE(page);
  REQUIRE(page->members_size() == 1);
  REQUIRE(page->members(0).erased());
  REQUIRE(a.sync_store->apply_member_page(*page, kNow / 1000));

  CHECK(mentions(a, needles, "outbox") == std::vector<std::string>{});
  CHECK(outbox_seqs(a) == unsent);
  CHECK(outbox_delta(a, "C2").checkout().member_id() == member);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE hq_reflected = 0") == 2);  // O1, R1
  // The receipts of the member that were still to print are failed, without their bytes.
  for (const char* key : {"receipt:C2", "pos-7781"}) {
    auto job = jobs.find(std::string(key));
    REQUIRE(job);
    REQUIRE(*job);
    CHECK((*job)->state == pma::printing::JobState::failed);
    CHECK((*job)->last_error == "member_erased");
    CHECK((*job)->payload.empty());
  }
  auto kept = jobs.find(std::string("receipt:O1"));
  REQUIRE(kept);
  CHECK((*kept)->state == pma::printing::JobState::queued);
  CHECK((*kept)->payload == receipt_bytes(other, "Member 1"));
  auto clash_job = jobs.find(std::string("receipt:R1"));
  REQUIRE(clash_job);
  REQUIRE(*clash_job);
  CHECK((*clash_job)->state == pma::printing::JobState::queued);
  CHECK((*clash_job)->payload == receipt_bytes(clash, "Member 1"));
  CHECK_FALSE(pma::store::IdempotencyStore(*a.db).find("checkout:R1").value()->response.empty());
  CHECK(a.sync_store->get_state("member_cursor").value() == std::to_string(page->next_cursor()));
  CHECK(pma::store::Ledger(*a.db).balance("M1").value() ==
        100 + other.quote().points_to_earn() + clash.quote().points_to_earn());

  // A replay of the member's checkout commits nothing again; its money can still be refunded,
  // as a refund without member.
  pma::v1::CommitRequest replay;
  replay.set_txn_id("C2");
  auto replayed = counter.service.commit(replay);
  REQUIRE_FALSE(replayed);
  CHECK(replayed.error().code == "member_erased");
  auto refunded = counter.refund("R2", "C2");
  REQUIRE(refunded);
  CHECK(refunded->message.member_id().empty());
  CHECK(refunded->message.refunded_fen() == second.quote().payable_fen());
  CHECK(refunded->message.points_reversed() == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE txn_id = 'R2'") == 0);
  CHECK(mentions(a, needles, "outbox") == std::vector<std::string>{});

  // The deltas go to HQ as they were: it counts them once and records the erased member's
  // activity as a conflict instead of bringing the member back.
  auto report = world.sync(a);
  REQUIRE(report);
  CHECK(outbox_seqs(a).empty());
  CHECK(world.sink->applied_count({"A", "T1"}).value() == 7);  // registration .. R2
  auto conflicts = world.sink->conflicts();
  REQUIRE(conflicts);
  CHECK(conflicts->size() == 2);  // C2 and R1
  for (const auto& c : *conflicts) CHECK(c.kind == "erased_member_activity");
  auto at_hq = world.sink->member(member);
  REQUIRE(at_hq);
  REQUIRE(*at_hq);
  CHECK((*at_hq)->erased);
  CHECK(mentions(a, needles) == std::vector<std::string>{});
  // Nor in the file's free space (secure_delete), nor in WAL frames written before the
  // erasure: the till emptied its WAL once the erased member's deltas had left.
  CHECK(a.sync_store->get_state("wal_scrub").value() == std::nullopt);
  for (const std::string& path : {a.db_path, a.db_path + "-wal"}) {
    std::ifstream in(path, std::ios::binary);
    const std::string file{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (path == a.db_path) REQUIRE(file.size() > 4096);
    for (const auto& needle : needles) {
      INFO(path << ": " << needle.size() << "-byte needle "
                << (needle.size() < 20 ? needle : "(phone hash)"));
      CHECK(file.find(needle) == std::string::npos);
    }
  }
}

TEST_CASE("A refund after HQ mapped the provisional id books under the canonical id",
          "[sync][erase]") {
  SyncWorld world;
  Till& a = world.add_till("A", "T1");
  Counter counter(a);
  const std::string provisional = counter.register_member();
  auto sale = counter.commit("C1", provisional);
  const std::int64_t earned = sale.quote().points_to_earn();
  REQUIRE(earned > 0);
  REQUIRE(world.sync(a));
  const std::string member = member_named(a, kName);
  REQUIRE(member != provisional);
  // The refund's record of the sale names the canonical id; the replay response keeps the
  // provisional one the POS saw.
  auto record = pma::store::IdempotencyStore(*a.db).find_checkout("C1");
  REQUIRE(record);
  REQUIRE(*record);
  CHECK((*record)->quote.member_id() == member);

  auto refunded = counter.refund("R1", "C1");
  INFO((refunded ? std::string() : refunded.error().code + ": " + refunded.error().message));
  REQUIRE(refunded);
  CHECK(refunded->message.member_id() == member);
  CHECK(refunded->message.points_reversed() == earned);
  auto rows = pma::store::Ledger(*a.db).entries_for_txn("R1");
  REQUIRE(rows);
  REQUIRE(rows->size() == 1);
  CHECK((*rows)[0].member_id == member);
  CHECK((*rows)[0].points == -earned);
  CHECK(outbox_delta(a, "R1").refund().member_id() == member);
  // The till's balance counts the reversal: the member's points are back to 0, here and at HQ.
  CHECK(pma::store::Ledger(*a.db).balance(member).value() == 0);
  CHECK(world.count(a, fmt::format("SELECT COUNT(*) FROM ledger WHERE member_id = '{}'",
                                   provisional)) == 0);
  REQUIRE(world.sync(a));
  CHECK(world.hq_balance(member) == 0);
  CHECK(pma::store::Ledger(*a.db).balance(member).value() == 0);
  CHECK(world.count(a, "SELECT COUNT(*) FROM ledger WHERE hq_reflected = 0") == 0);
}
