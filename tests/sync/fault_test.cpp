#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <random>

#include "tests/sync/fault_proxy.h"
#include "tests/sync/sync_world.h"

using pma::test::Fault;
using pma::test::FaultProxy;
using pma::test::SyncWorld;
using pma::test::Till;

TEST_CASE(
    "Through a proxy that drops, resets, delays, truncates and duplicates, nothing is "
    "lost or counted twice",
    "[sync][faults]") {
  SyncWorld world;
  world.import_members(3, 0);
  FaultProxy proxy(world.io, world.port, 20261125);
  Till& till = world.add_till("F", "T1");
  auto config = world.client_config(till, proxy.port());
  config.io_timeout = std::chrono::milliseconds(1500);
  config.max_batch_deltas = 15;
  config.max_page_members = 1;
  till.client =
      std::make_unique<pma::sync::SyncClient>(world.io, *till.sync_store, config, world.till_clock);
  std::map<std::string, std::int64_t> expected;
  std::mt19937 random(7);
  int failures = 0;
  int total = 0;
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 20; ++i, ++total) {
      std::string member = fmt::format("M{}", 1 + random() % 3);
      std::int64_t points = 1 + static_cast<std::int64_t>(random() % 20);
      world.checkout(till, member, points);
      expected[member] += points;
    }
    if (!world.sync(till)) ++failures;
  }
  proxy.enable(false);
  auto last = world.sync(till);
  REQUIRE(last);
  INFO("connections " << proxy.connections() << ", failed sessions " << failures);
  CHECK(failures > 0);
  for (Fault f : {Fault::drop, Fault::reset, Fault::delay, Fault::truncate, Fault::duplicate}) {
    CHECK(proxy.counts()[static_cast<std::size_t>(f)] > 0);
  }
  CHECK(*world.sink->applied_count({"F", "T1"}) == static_cast<std::uint64_t>(total));
  // A batch HQ applied whose Ack was lost is sent again under new seqs (counted once, as
  // duplicates), so HQ's seq may run ahead of the count; the till never reuses one.
  CHECK(*world.sink->highest_applied({"F", "T1"}) >= static_cast<std::uint64_t>(total));
  // The highest seq the till ever assigned (the outbox is empty: every row was acknowledged).
  CHECK(world.count(till,
                    "SELECT CAST(value AS INTEGER) - 1 FROM sync_state WHERE key = "
                    "'seq_floor'") ==
        static_cast<std::int64_t>(*world.sink->highest_applied({"F", "T1"})));
  CHECK(world.count(till, "SELECT COUNT(*) FROM outbox") == 0);
  for (auto& [member, points] : expected) {
    CHECK(world.hq_balance(member) == points);
    CHECK(world.till_balance(till, member) == points);
  }
}

namespace {

// Forwards to the real sink; around one apply_batch it SIGKILLs the client process, so the
// client dies between sending a batch and reading its ack.
class KillingSink final : public pma::hq::Sink {
 public:
  pma::hq::Sink* inner = nullptr;
  pid_t victim = 0;
  bool apply_before_kill = true;

  pma::Result<std::uint64_t> highest_applied(const pma::hq::TerminalIdentity& t) override {
    return inner->highest_applied(t);
  }
  pma::Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const pma::hq::TerminalIdentity& t, std::span<const std::string> ids) override {
    return inner->id_mappings(t, ids);
  }
  pma::Result<pma::hq::ApplyOutcome> apply_batch(const pma::hq::TerminalIdentity& t,
                                                 const pma::v1::Batch& b,
                                                 std::int64_t now) override {
    if (victim == 0) return inner->apply_batch(t, b, now);
    pma::Result<pma::hq::ApplyOutcome> result = pma::fail("killed", "client killed first");
    if (apply_before_kill) result = inner->apply_batch(t, b, now);
    ::kill(victim, SIGKILL);
    ::waitpid(victim, nullptr, 0);
    victim = 0;
    return result;
  }
  pma::Result<pma::v1::MemberPage> member_page(const pma::hq::TerminalIdentity& t, std::uint64_t c,
                                               std::uint32_t m, std::int64_t r,
                                               std::int64_t now) override {
    return inner->member_page(t, c, m, r, now);
  }
  pma::Status put_rule_set(std::int64_t v, const std::string& r) override {
    return inner->put_rule_set(v, r);
  }
  pma::Result<std::size_t> import_members(std::span<const pma::hq::ImportedMember> m) override {
    return inner->import_members(m);
  }
  pma::Result<std::vector<pma::hq::Conflict>> conflicts() override { return inner->conflicts(); }
  pma::Result<std::optional<pma::hq::MemberSnapshot>> member(const std::string& id) override {
    return inner->member(id);
  }
  pma::Result<std::uint64_t> applied_count(const pma::hq::TerminalIdentity& t) override {
    return inner->applied_count(t);
  }
  pma::Result<pma::v1::ReserveReply> reserve(const pma::hq::TerminalIdentity& t,
                                             const pma::v1::ReserveRequest& r, std::int64_t now,
                                             std::int64_t until) override {
    return inner->reserve(t, r, now, until);
  }
  pma::Status release(const pma::hq::TerminalIdentity& t, const std::string& txn,
                      std::uint64_t id) override {
    return inner->release(t, txn, id);
  }
  pma::Result<std::uint64_t> active_holds(std::int64_t now) override {
    return inner->active_holds(now);
  }
  pma::Result<pma::hq::ErasureReport> erase_member(const std::string& id) override {
    return inner->erase_member(id);
  }
  pma::Result<bool> set_terminal_revoked(const pma::hq::TerminalIdentity& t, bool revoked,
                                         std::int64_t now) override {
    return inner->set_terminal_revoked(t, revoked, now);
  }
  pma::Result<bool> check_terminal(const pma::hq::TerminalIdentity& t, std::int64_t now) override {
    return inner->check_terminal(t, now);
  }
  pma::Status flush_terminal_activity() override { return inner->flush_terminal_activity(); }
  pma::Result<std::vector<pma::hq::TerminalInfo>> terminals() override {
    return inner->terminals();
  }
};

}  // namespace

TEST_CASE(
    "A client killed between sending a batch and reading its ack loses and repeats "
    "nothing",
    "[sync][faults]") {
  KillingSink killer;
  SyncWorld world({}, &killer);
  killer.inner = world.sink.get();
  world.import_members(1, 0);
  Till& till = world.add_till("K", "T1");
  for (int i = 0; i < 30; ++i) world.checkout(till, "M1", 2);
  const bool applied_first = GENERATE(true, false);
  killer.apply_before_kill = applied_first;
  // The client runs in a child process with its own connection to the database.
  till.client.reset();
  till.sync_store.reset();
  till.db.reset();
  pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    boost::asio::io_context io;
    auto db = pma::store::open_store(till.db_path);
    if (!db) ::_exit(3);
    pma::store::SqliteSyncStore store(**db);
    pma::sync::SyncClient client(io, store, world.client_config(till), world.till_clock);
    client.sync_now(nullptr, [](auto) { ::_exit(2); });
    io.run();
    ::_exit(4);
  }
  killer.victim = child;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (killer.victim != 0 && std::chrono::steady_clock::now() < deadline) {
    world.io.run_for(std::chrono::milliseconds(10));
  }
  REQUIRE(killer.victim == 0);
  world.restart(till);
  CHECK(world.count(till, "SELECT COUNT(*) FROM outbox") == 30);  // nothing was acknowledged
  auto result = world.sync(till);
  REQUIRE(result);
  CHECK(*world.sink->applied_count({"K", "T1"}) == 30);
  CHECK(world.hq_balance("M1") == 60);
  CHECK(world.till_balance(till, "M1") == 60);
  CHECK(world.count(till, "SELECT COUNT(*) FROM outbox") == 0);
}
