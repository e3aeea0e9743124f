// A till with several HQ addresses ([sync] hq) fails over: a dead first node is skipped at
// connect, and after a node drops the session mid-sync the next session goes to the next node;
// two memberhq servers on one SQLite HQ apply each delta once (HQ's unique key). Also the
// memberd side of the key: sync.hq parsed and refused by line.
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>
#include <memory>

#include "agent/config/config.h"
#include "tests/sync/sync_world.h"

using pma::sync::SyncClient;
using pma::sync::SyncProgress;
using pma::test::SyncWorld;

namespace {

// A loopback port nothing listens on (bound, then closed again).
std::uint16_t dead_port(boost::asio::io_context& io) {
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t port = probe.local_endpoint().port();
  probe.close();
  return port;
}

// A second memberhq server over the world's HQ database (another node on the same file).
struct Node {
  std::unique_ptr<pma::hq::Server> server;
  std::uint16_t port = 0;
};

Node second_node(SyncWorld& world) {
  pma::hq::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.tls = {world.ca_dir + "/ca.crt", world.ca_dir + "/server.crt",
                world.ca_dir + "/server.key"};
  Node node{std::make_unique<pma::hq::Server>(world.io, *world.sink, config, world.hq_clock)};
  auto port = node.server->start();
  REQUIRE(port);
  node.port = *port;
  return node;
}

}  // namespace

TEST_CASE("A till whose first HQ address is down syncs through the second", "[sync][failover]") {
  SyncWorld world;
  world.import_members(1, 100);
  auto& till = world.add_till("S1", "T1");
  auto config = world.client_config(till);
  config.hq = {{"127.0.0.1", dead_port(world.io)}, {"127.0.0.1", world.port}};
  till.client = std::make_unique<SyncClient>(world.io, *till.sync_store, config, world.till_clock);
  CHECK(till.client->current_hq() == 0);
  world.checkout(till, "M1", 10);
  world.checkout(till, "M1", 10);

  auto report = world.sync(till);
  REQUIRE(report);
  CHECK(report->deltas_acked == 2);
  CHECK(till.client->current_hq() == 1);
  CHECK(world.server->stats().deltas_applied == 2);
  auto applied = world.sink->applied_count({"S1", "T1"});
  REQUIRE(applied);
  CHECK(*applied == 2);
  CHECK(world.hq_balance("M1") == 120);
}

TEST_CASE("With every HQ address down the session fails with connect and the till stays offline",
          "[sync][failover]") {
  SyncWorld world;
  auto& till = world.add_till("S1", "T1");
  auto config = world.client_config(till);
  config.hq = {{"127.0.0.1", dead_port(world.io)}, {"127.0.0.1", dead_port(world.io)}};
  till.client = std::make_unique<SyncClient>(world.io, *till.sync_store, config, world.till_clock);
  auto report = world.sync(till);
  REQUIRE_FALSE(report);
  CHECK(report.error().code == "connect");
  CHECK_FALSE(till.client->reachable());
}

TEST_CASE("A till whose HQ node drops the session mid-sync goes on at the next node, once each",
          "[sync][failover]") {
  SyncWorld world;
  world.import_members(1, 100);
  Node node_b = second_node(world);
  auto& till = world.add_till("S1", "T1");
  auto config = world.client_config(till);
  config.max_batch_deltas = 2;  // 5 deltas: three batches
  config.hq = {{"127.0.0.1", world.port}, {"127.0.0.1", node_b.port}};
  till.client = std::make_unique<SyncClient>(world.io, *till.sync_store, config, world.till_clock);
  for (int i = 0; i < 5; ++i) world.checkout(till, "M1", 10);

  // Node A goes away once it acknowledged the first batch: its sessions are closed mid-sync.
  auto first = world.sync(till, [&](const SyncProgress& p) {
    if (p.phase == SyncProgress::Phase::upstream && p.acked_seq == 2) world.server->stop();
  });
  REQUIRE_FALSE(first);
  CHECK(world.server->stats().deltas_applied == 2);
  CHECK(till.client->current_hq() == 1);

  auto second = world.sync(till);
  REQUIRE(second);
  CHECK(second->deltas_acked == 3);
  CHECK(node_b.server->stats().deltas_applied == 3);
  CHECK(node_b.server->stats().sessions_total == 1);
  auto applied = world.sink->applied_count({"S1", "T1"});
  REQUIRE(applied);
  CHECK(*applied == 5);
  CHECK(world.hq_balance("M1") == 150);
  node_b.server->stop();
}

TEST_CASE("memberd's sync.hq lists HQ nodes; a bad entry is refused by line", "[sync][failover]") {
  const std::string tls = "ca = \"a\"\ncert = \"b\"\nkey = \"c\"\n";
  auto parsed = pma::config::parse_config(
      "[sync]\nhq = [\"hq1.example:7443\", \"hq2.example\", \"[::1]:8443\"]\n" + tls, "m.toml");
  REQUIRE(parsed);
  REQUIRE(parsed->sync.hq.size() == 3);
  CHECK(parsed->sync.enabled());
  CHECK(parsed->sync.hq[0].host == "hq1.example");
  CHECK(parsed->sync.hq[0].port == 7443);
  CHECK(parsed->sync.hq[1].host == "hq2.example");
  CHECK(parsed->sync.hq[1].port == 7443);
  CHECK(parsed->sync.hq[2].host == "::1");
  CHECK(parsed->sync.hq[2].port == 8443);

  auto single = pma::config::parse_config("[sync]\nhq_host = \"hq\"\nhq_port = 7000\n" + tls, "m");
  REQUIRE(single);
  REQUIRE(single->sync.hq_nodes().size() == 1);
  CHECK(single->sync.hq_nodes()[0].host == "hq");
  CHECK(single->sync.hq_nodes()[0].port == 7000);

  auto bad = pma::config::parse_config("[sync]\n" + tls + "hq = [\"hq1:7443\", \"hq2:99999\"]\n",
                                       "m.toml");
  REQUIRE_FALSE(bad);
  CHECK(bad.error().code == "config_bad_value");
  CHECK(bad.error().message.starts_with("m.toml:5: sync.hq: 'hq2:99999': the port"));
  auto both =
      pma::config::parse_config("[sync]\nhq_host = \"hq\"\nhq = [\"hq1:7443\"]\n" + tls, "m.toml");
  REQUIRE_FALSE(both);
  CHECK(both.error().message.find("not both") != std::string::npos);
}
