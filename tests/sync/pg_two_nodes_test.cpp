// Two real memberhq processes (`memberhq serve --db postgresql://...`) on one throwaway
// PostgreSQL, three tills syncing to them over mutual TLS; node 1 is killed (SIGKILL) in the
// middle of a till's upload, the tills go on with node 2: 0 deltas lost, 0 applied twice,
// every balance exact.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <iostream>

#include "drivers/postgres/connection.h"
#include "sync/hq/pg_sink.h"
#include "tests/support/pg_cluster.h"
#include "tests/sync/sync_world.h"

namespace {

using pma::test::SyncWorld;
using pma::test::Till;

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

// A memberhq serve child; killed (SIGKILL) and reaped on destruction if still running.
struct Node {
  pid_t pid = -1;
  std::uint16_t port = 0;
  Node(const std::string& uri, const std::string& ca_dir, const std::string& log) {
    port = free_port();
    const std::string binary = std::string(PMA_BINARY_DIR) + "/sync/hq/memberhq";
    const std::string port_text = std::to_string(port);
    pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      FILE* out = freopen(log.c_str(), "w", stderr);
      (void)out;
      execl(binary.c_str(), binary.c_str(), "serve", "--db", uri.c_str(), "--ca-dir",
            ca_dir.c_str(), "--listen", "127.0.0.1", "--port", port_text.c_str(),
            // Each node's admin listener on a free port (both would take 9444).
            "--admin-port", "0", nullptr);
      _exit(127);
    }
  }
  void kill_now() {
    if (pid <= 0) return;
    ::kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
  }
  ~Node() { kill_now(); }
};

// Until the node accepts TCP on its port (it has migrated and listens), or it exited.
bool await_listening(const Node& node) {
  for (int i = 0; i < 2000; ++i) {
    int status = 0;
    if (waitpid(node.pid, &status, WNOHANG) == node.pid) return false;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(node.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (up) return true;
    usleep(10'000);  // the child's start-up is not an event this process can await otherwise
  }
  return false;
}

// The till's client re-pointed at another node (what a till's HQ address list does).
void point_at(SyncWorld& world, Till& till, std::uint16_t port) {
  till.client = std::make_unique<pma::sync::SyncClient>(
      world.io, *till.sync_store, world.client_config(till, port), world.till_clock);
}

}  // namespace

TEST_CASE("Two memberhq nodes on one PostgreSQL, one killed mid-upload: nothing lost or doubled",
          "[pg][nodes][e2e]") {
  if (!pma::test::PgCluster::available()) {
    std::cout << "SKIPPED: PostgreSQL 15 is not installed\n";
    return;
  }
  static std::atomic<int> n{0};
  const std::string uri =
      pma::test::PgCluster::shared().create_database("two_nodes_" + std::to_string(++n));
  SyncWorld world;  // the tills, the CA; its own SQLite HQ stays idle
  {
    auto admin = pma::hq::PgSink::open(uri);  // migrated before the nodes start
    REQUIRE(admin);
    std::vector<pma::hq::ImportedMember> members;
    for (int i = 1; i <= 5; ++i) {
      members.push_back({"M" + std::to_string(i), "", {}, "", "", "", 1, 10'000});
    }
    REQUIRE((*admin)->import_members(members));
  }
  Node one(uri, world.ca_dir, world.dir.file("node1.log"));
  Node two(uri, world.ca_dir, world.dir.file("node2.log"));
  REQUIRE(await_listening(one));
  REQUIRE(await_listening(two));

  Till& a = world.add_till("A", "T1", one.port);
  Till& b = world.add_till("B", "T1", two.port);
  Till& c = world.add_till("C", "T1", one.port);
  constexpr int kPerTill = 2500;  // several batches per till (1000 deltas a batch)
  std::map<std::string, std::int64_t> expected;
  for (int i = 1; i <= 5; ++i) expected["M" + std::to_string(i)] = 10'000;
  for (Till* till : {&a, &b, &c}) {
    for (int i = 0; i < kPerTill; ++i) {
      const std::string member = "M" + std::to_string(i % 5 + 1);
      world.checkout(*till, member, 3, i % 7 == 0 ? 1 : 0);
      expected[member] += 3 - (i % 7 == 0 ? 1 : 0);
    }
  }
  // Node 1 dies once A's first batch is acknowledged, in the middle of A's upload.
  bool killed = false;
  auto cut = world.sync(a, [&](const pma::sync::SyncProgress& p) {
    if (!killed && p.acked_seq > 0) {
      one.kill_now();
      killed = true;
    }
  });
  CHECK(killed);
  CHECK_FALSE(cut);  // the session broke with the node
  REQUIRE(world.sync(b));
  // A and C fail over to node 2 and send everything again from their own outbox.
  point_at(world, a, two.port);
  point_at(world, c, two.port);
  for (Till* till : {&a, &c, &b}) {
    auto done = world.sync(*till);
    if (!done) FAIL(done.error().code << ": " << done.error().message);
  }

  auto check = pma::hq::PgSink::open(uri);
  REQUIRE(check);
  for (const char* store : {"A", "B", "C"}) {
    INFO("store " << store);
    CHECK(*(*check)->applied_count({store, "T1"}) == kPerTill);  // 0 lost, 0 doubled
    CHECK(*(*check)->highest_applied({store, "T1"}) == kPerTill);
  }
  for (const auto& [member, points] : expected) {
    INFO(member);
    auto m = (*check)->member(member);
    REQUIRE(m);
    REQUIRE(*m);
    CHECK((*m)->points == points);
    CHECK(world.till_balance(b, member) == points);  // B pulled every store's changes
  }
  CHECK((*check)->conflicts()->empty());
}
