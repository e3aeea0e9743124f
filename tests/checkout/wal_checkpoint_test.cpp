// checkpoint_if_needed: WAL checkpoints off the commit path, with the WAL kept bounded.
#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "agent/store/sqlite.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::Till;

namespace {

constexpr int kMinFrames = 100;
constexpr std::uintmax_t kFrameBytes = 4096 + 24;  // page + WAL frame header

std::uintmax_t wal_bytes(const Till& till) {
  std::error_code ec;
  auto size = std::filesystem::file_size(till.path + "-wal", ec);
  return ec ? 0 : size;
}

void commit_one(Till& till, int i) {
  v1::CommitRequest r;
  r.set_txn_id(fmt::format("W-{}", i));
  r.set_member_id(fmt::format("M{}", i % 20));
  *r.add_lines() = basket_line(fmt::format("sku{}", i % 7), 1 + i % 3, 1999 + i);
  *r.add_lines() = basket_line("bag", 1, 50, false, "misc");
  REQUIRE(till.service->commit(r));
}

Till manual_checkpoint_till() {
  return Till({}, store::OpenOptions{.synchronous = "OFF", .wal_autocheckpoint = 0});
}

void add_members(Till& till) {
  for (int m = 0; m < 20; ++m) till.add_member(fmt::format("M{}", m), 1, 100'000);
}

}  // namespace

TEST_CASE(
    "checkpoint_if_needed keeps the WAL bounded while checkouts commit without "
    "auto-checkpoints",
    "[checkout][wal]") {
  // Bound: the threshold, plus the largest commit (a few dozen pages at most), plus the one-page
  // rewind transaction, plus the WAL header.
  const std::uintmax_t bound = (kMinFrames + 64 + 1) * kFrameBytes + 32;
  constexpr int kCommits = 400;

  SECTION("called after every commit, the WAL never exceeds the bound and is rewound") {
    Till till = manual_checkpoint_till();
    add_members(till);
    int ran = 0, restarted = 0;
    std::uintmax_t largest = 0;
    for (int i = 0; i < kCommits; ++i) {
      commit_one(till, i);
      auto done = store::checkpoint_if_needed(*till.db, kMinFrames);
      REQUIRE(done);
      ran += done->ran ? 1 : 0;
      restarted += done->restarted ? 1 : 0;
      if (done->ran) CHECK(done->checkpointed == done->wal_frames);
      largest = std::max(largest, wal_bytes(till));
      REQUIRE(till.db->wal_frames() < kMinFrames + 64);
    }
    CHECK(largest <= bound);
    CHECK(ran >= 3);
    CHECK(restarted == ran);
    CHECK(till.scalar("SELECT COUNT(*) FROM idempotency") == kCommits);
    CHECK(till.outbox_rows() == kCommits);
  }

  SECTION("never called, the same commits grow the WAL past the bound") {
    Till till = manual_checkpoint_till();
    add_members(till);
    for (int i = 0; i < kCommits; ++i) commit_one(till, i);
    CHECK(till.db->wal_frames() > kMinFrames + 64);
    CHECK(wal_bytes(till) > bound);
  }
}

TEST_CASE("checkpoint_if_needed does nothing below min_frames or inside a transaction",
          "[checkout][wal]") {
  Till till = manual_checkpoint_till();
  add_members(till);
  commit_one(till, 0);
  const int frames = till.db->wal_frames();
  REQUIRE(frames > 0);

  auto below = store::checkpoint_if_needed(*till.db, frames + 1);
  REQUIRE(below);
  CHECK_FALSE(below->ran);
  CHECK(till.db->wal_frames() == frames);

  {
    auto tx = store::Transaction::begin(*till.db);
    REQUIRE(tx);
    auto inside = store::checkpoint_if_needed(*till.db, 1);
    REQUIRE(inside);
    CHECK_FALSE(inside->ran);
  }

  auto done = store::checkpoint_if_needed(*till.db, frames);
  REQUIRE(done);
  CHECK(done->ran);
  CHECK(done->restarted);
  CHECK(till.db->wal_frames() == 1);  // the one-page rewind transaction
  // The rewind rewrote a header field with its own value: nothing else changed.
  CHECK(till.scalar("PRAGMA application_id") == 0);
  CHECK(till.scalar("SELECT COUNT(*) FROM idempotency") == 1);
}

TEST_CASE("A reader's snapshot delays the WAL rewind until a later call", "[checkout][wal]") {
  Till till = manual_checkpoint_till();
  add_members(till);
  for (int i = 0; i < 20; ++i) commit_one(till, i);

  auto reader = store::Database::open(till.path, {.read_only = true});
  REQUIRE(reader);
  REQUIRE((*reader)->exec("BEGIN"));
  {
    auto count = (*reader)->prepare("SELECT COUNT(*) FROM idempotency");
    REQUIRE(count);
    REQUIRE(count->step().value());
    CHECK(count->column_int64(0) == 20);
  }
  auto held = store::checkpoint_if_needed(*till.db, 1);
  REQUIRE(held);
  CHECK(held->ran);
  CHECK_FALSE(held->restarted);
  const int frames = till.db->wal_frames();
  CHECK(frames > held->wal_frames);  // the rewind transaction had to append instead

  REQUIRE((*reader)->exec("COMMIT"));
  auto later = store::checkpoint_if_needed(*till.db, 1);
  REQUIRE(later);
  CHECK(later->ran);
  CHECK(later->restarted);
  CHECK(till.db->wal_frames() == 1);
}

TEST_CASE("The default auto-checkpoint still checkpoints inside commits", "[checkout][wal]") {
  Till till({}, store::OpenOptions{.synchronous = "OFF", .wal_autocheckpoint = kMinFrames});
  add_members(till);
  int most = 0;
  for (int i = 0; i < 200; ++i) {
    commit_one(till, i);
    most = std::max(most, till.db->wal_frames());
  }
  // A commit that reaches the threshold checkpoints; the next one rewinds the WAL.
  CHECK(most >= kMinFrames);
  CHECK(most < kMinFrames + 64);
}
