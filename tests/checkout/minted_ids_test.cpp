// Ids the till mints (provisional member ids, welcome coupon codes) across reinstalls and
// restores, and provisional ids as aliases once HQ has mapped them (issue 11, items 4 and 5).
#include <catch2/catch.hpp>
#include <set>

#include "agent/store/backup.h"
#include "agent/store/ledger.h"
#include "agent/store/sync_store_sqlite.h"
#include "tests/checkout/till.h"

using namespace pma;
using pma::test::basket_line;
using pma::test::Till;

namespace {

struct Minted {
  std::string member_id;
  std::string coupon_code;
};

Minted register_phone(Till& till, const std::string& phone) {
  v1::RegisterMemberRequest req;
  req.set_phone(phone);
  auto reg = till.service->register_member(req);
  REQUIRE(reg);
  REQUIRE(reg->created());
  REQUIRE(reg->welcome_coupons_size() == 1);
  return {reg->member().member_id(), reg->welcome_coupons(0).code()};
}

v1::CommitRequest commit_of(const std::string& txn, const std::string& member) {
  v1::CommitRequest r;
  r.set_txn_id(txn);
  r.set_member_id(member);
  *r.add_lines() = basket_line("cake", 1, 3000);
  return r;
}

}  // namespace

TEST_CASE("Provisional ids and welcome codes never repeat across a reinstall or a restore",
          "[checkout][members][restore]") {
  pma::test::TempDir folder;
  const std::string path = folder.file("agent.db");
  const std::string backup = folder.file("backup.db");
  std::vector<Minted> minted;
  {
    Till till(path);
    minted.push_back(register_phone(till, "13800000001"));
    REQUIRE(store::backup_database(*till.db, backup, {"S1", "T1"}));
    minted.push_back(register_phone(till, "13800000002"));  // after the backup
  }
  // Reinstalled: a fresh database, the same store and terminal, offline (seq 1 again).
  {
    Till reinstalled;
    minted.push_back(register_phone(reinstalled, "13800000003"));
    CHECK(reinstalled.scalar("SELECT MAX(seq) FROM outbox") == 1);
  }
  // Restored: the backup holds seq 1 only, so the next registration takes seq 2 again.
  REQUIRE(store::restore_database(backup, path, "S1", false));
  {
    Till restored(path);
    minted.push_back(register_phone(restored, "13800000004"));
    CHECK(restored.scalar("SELECT MAX(seq) FROM outbox") == 2);
  }
  std::set<std::string> ids, codes;
  for (const auto& m : minted) {
    INFO(m.member_id << " " << m.coupon_code);
    // The prefixes HQ checks against the terminal's certificate stay as they were.
    CHECK(m.member_id.starts_with("P-S1-T1-"));
    CHECK(m.coupon_code.starts_with("W-S1-T1-"));
    ids.insert(m.member_id);
    codes.insert(m.coupon_code);
  }
  CHECK(ids.size() == minted.size());
  CHECK(codes.size() == minted.size());
}

TEST_CASE("A provisional id keeps naming its member after HQ mapped it to its canonical id",
          "[checkout][members]") {
  Till till;
  Minted m = register_phone(till, "13800000009");
  // HQ's acknowledgement renames the member between the POS's lookup and its commit.
  store::SqliteSyncStore sync_store(*till.db);
  v1::IdMapping mapping;
  mapping.set_provisional_id(m.member_id);
  mapping.set_member_id("H000000042");
  REQUIRE(sync_store.acknowledge(1, {mapping}));
  CHECK(till.scalar("SELECT COUNT(*) FROM members WHERE member_id = 'H000000042'") == 1);

  store::MemberStore members(*till.db, till.hasher);
  auto found = members.find_by_id(m.member_id, pma::test::kT0 / 1000);
  REQUIRE(found);
  REQUIRE(found->has_value());
  CHECK((*found)->member_id == "H000000042");

  auto commit = till.service->commit(commit_of("AL-1", m.member_id));
  REQUIRE(commit);
  // Booked under the canonical id, where HQ and every balance look.
  CHECK(commit->message.quote().member_id() == "H000000042");
  CHECK(till.scalar("SELECT COUNT(*) FROM ledger WHERE member_id = 'H000000042'") == 1);
  CHECK(till.scalar("SELECT COUNT(*) FROM ledger WHERE member_id LIKE 'P-%'") == 0);
  CHECK(till.balance("H000000042") == commit->message.new_balance());

  // A second mapping (HQ merged the member into another) carries the alias along.
  mapping.set_provisional_id("H000000042");
  mapping.set_member_id("H000000007");
  REQUIRE(sync_store.acknowledge(2, {mapping}));
  auto merged = members.find_by_id(m.member_id, pma::test::kT0 / 1000);
  REQUIRE(merged);
  REQUIRE(merged->has_value());
  CHECK((*merged)->member_id == "H000000007");
}
