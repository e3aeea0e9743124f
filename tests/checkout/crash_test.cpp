// Kills a committing child process with SIGKILL at random points, then checks from the database
// file that every acknowledged commit is there exactly once and the invariants hold.
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "agent/store/idempotency.h"
#include "agent/store/member_store.h"
#include "agent/store/outbox.h"
#include "pma/v1/checkout.pb.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

struct Child {
  pid_t pid = -1;
  int fd = -1;
};

enum class Mode { plain, idle_checkpoint, hq_acks };

Child spawn(const std::string& db, int run, std::uint64_t seed, Mode mode) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string fd = std::to_string(fds[1]), r = std::to_string(run), s = std::to_string(seed);
    ::execl(PMA_CRASH_CHILD, PMA_CRASH_CHILD, db.c_str(), fd.c_str(), r.c_str(), s.c_str(),
            mode == Mode::idle_checkpoint ? "idle-checkpoint"
            : mode == Mode::hq_acks       ? "hq-acks"
                                          : static_cast<char*>(nullptr),
            static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(fds[1]);
  return Child{pid, fds[0]};
}

// Reads whole lines until want acks arrived, the child died, or the deadline passed.
void read_acks(int fd, std::string& buffer, std::vector<std::string>& lines, std::size_t want,
               std::chrono::steady_clock::time_point deadline) {
  while (lines.size() < want && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) return;  // EOF: the child is gone
    buffer.append(chunk, static_cast<std::size_t>(n));
    for (std::size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
      lines.push_back(buffer.substr(0, nl));
      buffer.erase(0, nl + 1);
    }
  }
}

std::int64_t scalar(store::Database& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  REQUIRE(stmt);
  REQUIRE(stmt->step().value_or(false));
  return stmt->column_int64(0);
}

// HQ acknowledged some deltas: each checkout's replay record is whole on exactly one side of
// the acknowledgement (in its outbox row, or moved into its own row), and no seq was reused.
void check_acknowledged(store::Database& d, const std::set<std::string>& acked) {
  for (const auto& txn : acked) {
    INFO("acknowledged txn " << txn);
    CHECK(scalar(d, fmt::format("SELECT COUNT(*) FROM outbox WHERE txn_id = '{}'", txn)) <= 1);
    CHECK(scalar(d, fmt::format("SELECT COUNT(*) FROM idempotency WHERE key = 'checkout:{}' AND "
                                "length(request_hash) > 0",
                                txn)) +
              scalar(d, fmt::format("SELECT COUNT(*) FROM outbox WHERE txn_id = '{}' AND "
                                    "length(request) > 0",
                                    txn)) ==
          1);
  }
  // A record still in the outbox names its own row; one moved out is complete; none is lost.
  CHECK(scalar(d,
               "SELECT COUNT(*) FROM idempotency i LEFT JOIN outbox o ON o.seq = i.outbox_seq "
               "WHERE CASE WHEN i.outbox_seq IS NULL THEN length(i.request_hash) = 0 OR "
               "length(i.response) = 0 OR EXISTS (SELECT 1 FROM outbox x WHERE 'checkout:' || "
               "x.txn_id = i.key) ELSE o.seq IS NULL OR 'checkout:' || o.txn_id != i.key OR "
               "o.response IS NULL OR length(i.response) > 0 END") == 0);
  CHECK(scalar(d,
               "SELECT COUNT(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM idempotency i "
               "WHERE i.key = 'checkout:' || o.txn_id AND i.outbox_seq = o.seq)") == 0);
  // Every ledger row's seq is one delta's, and the floor is past every seq handed out.
  CHECK(scalar(d,
               "SELECT COUNT(*) FROM (SELECT outbox_seq FROM ledger GROUP BY outbox_seq "
               "HAVING COUNT(DISTINCT txn_id) > 1)") == 0);
  CHECK(scalar(d, "SELECT COALESCE(MAX(outbox_seq), 0) FROM ledger") <
        static_cast<std::int64_t>(store::Outbox(d).next_seq().value()));
}

void check_invariants(const std::string& path, const std::set<std::string>& acked, Mode mode) {
  auto db = store::open_store(path);
  REQUIRE(db);
  store::Database& d = **db;
  if (mode == Mode::hq_acks) check_acknowledged(d, acked);
  for (const auto& txn : mode == Mode::hq_acks ? std::set<std::string>() : acked) {
    INFO("acknowledged txn " << txn);
    CHECK(scalar(d, fmt::format("SELECT COUNT(*) FROM outbox WHERE txn_id = '{}'", txn)) == 1);
    CHECK(scalar(d, fmt::format("SELECT COUNT(*) FROM idempotency WHERE key = 'checkout:{}'",
                                txn)) == 1);
  }
  // Every committed checkout (acknowledged or not) is whole: one delta, one record (which is
  // also its refund record).
  if (mode != Mode::hq_acks) {
    CHECK(scalar(d, "SELECT COUNT(*) FROM outbox") ==
          scalar(d, "SELECT COUNT(*) FROM idempotency"));
    CHECK(scalar(d,
                 "SELECT COUNT(*) FROM idempotency i WHERE i.key NOT LIKE 'checkout:%' OR "
                 "(SELECT COUNT(*) FROM outbox o WHERE 'checkout:' || o.txn_id = i.key) != 1") ==
          0);
    CHECK(scalar(d,
                 "SELECT COUNT(*) FROM ledger l WHERE NOT EXISTS (SELECT 1 FROM outbox o "
                 "WHERE o.seq = l.outbox_seq AND o.txn_id = l.txn_id)") == 0);
  }
  // Balances: HQ's points plus exactly what the committed checkouts earned and burned.
  std::map<std::string, std::int64_t> expected;
  auto stmt = d.prepare("SELECT substr(key, 10) FROM idempotency");
  REQUIRE(stmt);
  store::IdempotencyStore records(d);
  while (stmt->step().value_or(false)) {
    auto found = records.find_checkout(stmt->column_text(0));
    REQUIRE(found);
    REQUIRE(*found);
    const v1::Quote& q = (*found)->quote;
    expected[q.member_id()] += q.points_to_earn() - q.points_burned();
  }
  pma::PhoneHasher hasher("crash-test-key");
  store::MemberStore members(d, hasher);
  for (const auto& [id, delta] : expected) {
    auto m = members.find_by_id(id, 0);
    REQUIRE(m);
    REQUIRE(*m);
    CHECK((*m)->points == 1'000'000 + delta);
  }
}

void kill_and_check(int kills, Mode mode) {
  pma::test::TempDir dir;
  const std::string path = dir.file("agent.db");
  std::uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("PMA_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "crash test seed: " << seed << "\n";
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  std::set<std::string> acked;
  for (int run = 0; run < kills; ++run) {
    INFO("run " << run);
    Child child = spawn(path, run, rng(), mode);
    std::string buffer;
    std::vector<std::string> lines;
    // Let it acknowledge a random number of commits, then kill it at a random moment: often
    // in the middle of the next transaction.
    std::size_t want = std::uniform_int_distribution<std::size_t>(0, 12)(rng);
    read_acks(child.fd, buffer, lines, want,
              std::chrono::steady_clock::now() + std::chrono::seconds(30));
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(0, 4000)(rng)));
    REQUIRE(::kill(child.pid, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
    CHECK(WIFSIGNALED(status));
    // Whatever the child wrote before it died was acknowledged.
    read_acks(child.fd, buffer, lines, SIZE_MAX,
              std::chrono::steady_clock::now() + std::chrono::seconds(5));
    ::close(child.fd);
    for (const auto& line : lines) {
      CHECK_FALSE(line.starts_with("BAD"));
      CHECK_FALSE(line.starts_with("ERR"));
      if (line.starts_with("K")) acked.insert(line);
    }
    check_invariants(path, acked, mode);
  }
  std::cout << "crash test"
            << (mode == Mode::idle_checkpoint ? " (idle checkpoints)"
                : mode == Mode::hq_acks       ? " (HQ acknowledgements)"
                                              : "")
            << ": " << kills << " kills, " << acked.size() << " acknowledged commits verified\n";
}

}  // namespace

TEST_CASE("Commits acknowledged before a SIGKILL survive it exactly once", "[checkout][crash]") {
  kill_and_check(60, Mode::plain);
}

TEST_CASE("With idle checkpoints, commits acknowledged before a SIGKILL survive it exactly once",
          "[checkout][crash][wal]") {
  // The child checkpoints and rewinds the WAL every ~2 commits: kills also hit those.
  kill_and_check(30, Mode::idle_checkpoint);
}

TEST_CASE(
    "Kills during HQ's acknowledgements never lose or split a replay record, and replays on "
    "either side of it return the first reply",
    "[checkout][crash][sync]") {
  // The delete of acknowledged rows and the triggers moving their replay records into the
  // idempotency rows are one statement of one transaction: a kill keeps both or neither.
  kill_and_check(40, Mode::hq_acks);
}
