// Several memberhq nodes on one PostgreSQL: member versions never become visible out of order
// (a page cannot skip a change committed late by another node), and two nodes applying one
// terminal's batch at once apply each delta exactly once.
#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>
#include <thread>

#include "drivers/postgres/connection.h"
#include "sync/hq/pg_sink.h"
#include "tests/support/pg_cluster.h"

namespace {

const pma::hq::TerminalIdentity kTill{"S1", "T1"};
constexpr std::int64_t kNow = 1'790'000'000'000;

std::string fresh_database() {
  static std::atomic<int> n{0};
  return pma::test::PgCluster::shared().create_database("nodes_" + std::to_string(++n));
}

std::unique_ptr<pma::hq::PgSink> node(const std::string& uri) {
  auto sink = pma::hq::PgSink::open(uri);
  if (!sink) FAIL(sink.error().code << ": " << sink.error().message);
  return std::move(*sink);
}

pma::v1::Delta checkout(std::uint64_t seq, const std::string& member, std::int64_t earned) {
  pma::v1::Delta delta;
  delta.set_seq(seq);
  delta.set_txn_id("TX-" + std::to_string(seq));
  delta.set_occurred_at_ms(kNow);
  auto* c = delta.mutable_checkout();
  c->set_member_id(member);
  c->set_gross_fen(100);
  c->set_paid_fen(100);
  c->set_points_earned(earned);
  return delta;
}

// Waits until some session waits for an advisory lock (the event the test needs), reading
// pg_locks; gives up after a generous bound so a broken build fails instead of hanging.
bool await_advisory_waiter(pma::pg::Connection& observer) {
  for (int i = 0; i < 20'000; ++i) {
    auto rows =
        observer.query("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
    if (rows && *rows->int64(0, 0) > 0) return true;
    std::this_thread::yield();
  }
  return false;
}

}  // namespace

TEST_CASE("A page never serves a version while an earlier one can still commit", "[pg][nodes]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  const std::string uri = fresh_database();
  auto reader = node(uri);
  std::vector<pma::hq::ImportedMember> members{{"M1", "", {}, "", "One", "", 1, 0},
                                               {"M2", "", {}, "", "Two", "", 1, 0}};
  REQUIRE(reader->import_members(members));
  auto first = reader->member_page(kTill, 0, 10, 0, kNow);
  REQUIRE(first);
  REQUIRE(first->members_size() == 2);
  const std::uint64_t cursor = first->next_cursor();

  // Node A is committing: it holds the version lock and has taken the next version for M1.
  auto a = pma::pg::Connection::open(uri);
  REQUIRE(a);
  REQUIRE((*a)->exec("BEGIN"));
  REQUIRE(pma::pg::run(**a, "SELECT pg_advisory_xact_lock($1)", pma::hq::PgCore::kVersionLock));
  auto taken = (*a)->query("SELECT nextval('member_versions')");
  REQUIRE(taken);
  const std::int64_t a_version = *taken->int64(0, 0);
  // Node B applies a checkout for M2 meanwhile; it must not commit a later version first.
  auto b = node(uri);
  std::atomic<bool> b_done{false};
  std::jthread writer([&] {
    pma::v1::Batch batch;
    *batch.add_deltas() = checkout(1, "M2", 5);
    auto applied = b->apply_batch(kTill, batch, kNow);
    CHECK(applied);
    b_done = true;
  });
  auto observer = pma::pg::Connection::open(uri);
  REQUIRE(observer);
  REQUIRE(await_advisory_waiter(**observer));
  auto during = reader->member_page(kTill, cursor, 10, 0, kNow);
  REQUIRE(during);
  CHECK(during->members_size() == 0);  // B's change waits behind A's version
  CHECK_FALSE(b_done);
  REQUIRE(pma::pg::run(**a, "UPDATE members SET points = 7, version = $1 WHERE member_id = 'M1'",
                       a_version));
  REQUIRE((*a)->exec("COMMIT"));
  writer.join();
  auto after = reader->member_page(kTill, cursor, 10, 0, kNow);
  REQUIRE(after);
  REQUIRE(after->members_size() == 2);
  CHECK(after->members(0).member_id() == "M1");
  CHECK(after->members(0).version() == static_cast<std::uint64_t>(a_version));
  CHECK(after->members(1).member_id() == "M2");
  CHECK(after->members(1).version() > after->members(0).version());
  CHECK(after->members(1).points() == 5);
}

TEST_CASE("Two nodes applying one terminal's batches at once apply each delta exactly once",
          "[pg][nodes]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  const std::string uri = fresh_database();
  auto one = node(uri);
  auto two = node(uri);
  std::vector<pma::hq::ImportedMember> members;
  for (int i = 0; i < 10; ++i) {
    members.push_back({"M" + std::to_string(i), "", {}, "", "", "", 1, 0});
  }
  REQUIRE(one->import_members(members));
  // The till resends every batch to both nodes (a reconnect mid-batch, at the worst moment).
  constexpr int kBatches = 40, kPerBatch = 25;
  auto run_node = [&](pma::hq::PgSink& sink, std::uint32_t& applied, std::uint32_t& dups) {
    for (int b = 0; b < kBatches; ++b) {
      pma::v1::Batch batch;
      for (int i = 0; i < kPerBatch; ++i) {
        const std::uint64_t seq = static_cast<std::uint64_t>(b * kPerBatch + i + 1);
        *batch.add_deltas() = checkout(seq, "M" + std::to_string(seq % 10), 3);
      }
      auto outcome = sink.apply_batch(kTill, batch, kNow);
      if (!outcome) FAIL_CHECK(outcome.error().code << ": " << outcome.error().message);
      if (!outcome) return;
      applied += outcome->applied;
      dups += outcome->duplicates;
    }
  };
  std::uint32_t applied_one = 0, dups_one = 0, applied_two = 0, dups_two = 0;
  std::thread t1([&] { run_node(*one, applied_one, dups_one); });
  std::thread t2([&] { run_node(*two, applied_two, dups_two); });
  t1.join();
  t2.join();
  const std::uint32_t total = kBatches * kPerBatch;
  CHECK(applied_one + applied_two == total);
  CHECK(dups_one + dups_two == total);
  CHECK(*one->applied_count(kTill) == total);
  CHECK(*one->highest_applied(kTill) == total);
  std::int64_t sum = 0;
  for (int i = 0; i < 10; ++i) {
    auto m = one->member("M" + std::to_string(i));
    REQUIRE(m);
    REQUIRE(*m);
    CHECK((*m)->points == 3 * (total / 10));
    sum += (*m)->points;
  }
  CHECK(sum == 3 * total);
}
