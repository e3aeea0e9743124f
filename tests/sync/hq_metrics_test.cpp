// memberhq's admin listener over real HTTP: /metrics and /health as memberhq serves them
// (admin_endpoints over a real Server and SQLite HQ), scraped while and after a real till syncs
// over TLS.
#include <atomic>
#include <catch2/catch.hpp>
#include <optional>
#include <string>
#include <thread>

#include "agent/api/http_client.h"
#include "sync/hq/admin_endpoints.h"
#include "sync/hq/admin_server.h"
#include "sync/hq/sqlite_operations_reads.h"
#include "sync/hq/stores_report.h"
#include "tests/sync/reservation_support.h"
#include "tests/sync/sync_world.h"

using pma::test::SyncWorld;

namespace {

// GETs target from a helper thread (the client blocks) while this thread runs the world's
// io_context, which serves the request; until the reply is in and `also_done` holds.
pma::Result<pma::api::HttpReply> get(SyncWorld& world, std::uint16_t port,
                                     const std::string& target,
                                     const std::function<bool()>& also_done = nullptr) {
  std::optional<pma::Result<pma::api::HttpReply>> reply;
  std::atomic<bool> done{false};
  std::thread client([&] {
    pma::api::HttpClient http("127.0.0.1", port, "");
    reply = http.request("GET", target);
    done = true;
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while ((!done || (also_done && !also_done())) && std::chrono::steady_clock::now() < deadline) {
    world.io.restart();
    world.io.run_for(std::chrono::milliseconds(10));
  }
  client.join();
  REQUIRE(reply.has_value());
  return *reply;
}

// The value of the sample whose name and labels are exactly `series`, from Prometheus text.
std::optional<std::string> sample(const std::string& text, const std::string& series) {
  std::size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') {
      std::size_t start = at + series.size() + 1;
      return text.substr(start, text.find('\n', start) - start);
    }
    at += series.size();
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("The admin listener's /metrics counts a real till's sessions, deltas, pages and lag",
          "[sync][hq][metrics]") {
  SyncWorld world;
  world.import_members(2, 100);
  auto& till = world.add_till("S1", "T1");
  pma::hq::SqliteOperationsReads reads(world.sink->database());
  pma::hq::AdminServer admin(
      world.io, "127.0.0.1", 0,
      pma::hq::admin_endpoints(*world.server, *world.sink, reads, world.hq_clock));
  auto port = admin.start();
  REQUIRE(port);

  auto before = get(world, *port, "/metrics");
  REQUIRE(before);
  CHECK(before->status == 200);
  CHECK(sample(before->body, "memberhq_deltas_applied_total") == "0");
  CHECK(sample(before->body, "memberhq_sessions_total") == "0");

  for (int i = 0; i < 3; ++i) world.checkout(till, "M1", 10);
  // Scraped while the till's session runs on the same io_context.
  std::optional<pma::Result<pma::sync::SyncReport>> synced;
  till.client->sync_now(nullptr, [&](pma::Result<pma::sync::SyncReport> r) { synced = r; });
  auto during = get(world, *port, "/metrics", [&] { return synced.has_value(); });
  REQUIRE(during);
  CHECK(during->status == 200);
  CHECK(sample(during->body, "memberhq_sessions_open").has_value());
  REQUIRE(synced.has_value());
  REQUIRE(*synced);
  CHECK((*synced)->deltas_acked == 3);

  // A hold in force: an online-first reservation of M1's points.
  auto hold = world.sink->reserve(pma::test::terminal(till), pma::test::ask("S1-T1-9", "M1", 5),
                                  world.hq_clock.now_ms(), world.hq_clock.now_ms() + 600000);
  REQUIRE(hold);
  REQUIRE(hold->granted());

  auto after = get(world, *port, "/metrics");
  REQUIRE(after);
  CHECK(after->status == 200);
  const std::string& text = after->body;
  CHECK(sample(text, "memberhq_sessions_open") == "0");
  CHECK(sample(text, "memberhq_sessions_total") == "1");
  CHECK(sample(text, "memberhq_deltas_applied_total") == "3");
  CHECK(sample(text, "memberhq_batches_total") == "1");
  CHECK(sample(text, "memberhq_terminal_highest_seq{store=\"S1\",terminal=\"T1\"}") == "3");
  CHECK(sample(text, "memberhq_terminal_last_batch_age_seconds{store=\"S1\",terminal=\"T1\"}")
            .has_value());
  CHECK(sample(text, "memberhq_pages_served_total") == "1");
  CHECK(sample(text, "memberhq_page_members_served_total") == "2");
  CHECK(sample(text, "memberhq_holds_in_force") == "1");
  CHECK(sample(text, "memberhq_conflicts") == "0");
  CHECK(sample(text, "memberhq_database_up") == "1");
  // Three deltas within the last minute: 3 / 60 per second.
  CHECK(sample(text, "memberhq_ingest_deltas_per_second") == "0.050");
  CHECK(text.find("# TYPE memberhq_deltas_applied_total counter\n") != std::string::npos);
}

TEST_CASE("The admin listener answers /health, and 404 for any other path", "[sync][hq][metrics]") {
  SyncWorld world;
  pma::hq::SqliteOperationsReads reads(world.sink->database());
  pma::hq::AdminServer admin(
      world.io, "127.0.0.1", 0,
      pma::hq::admin_endpoints(*world.server, *world.sink, reads, world.hq_clock));
  auto port = admin.start();
  REQUIRE(port);
  auto health = get(world, *port, "/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "{\"status\":\"ok\",\"sessions_open\":0}\n");
  auto other = get(world, *port, "/v1/members");
  REQUIRE(other);
  CHECK(other->status == 404);
}

TEST_CASE("A terminal the HQ database knows is in the metrics before it sends a batch",
          "[sync][hq][metrics]") {
  SyncWorld world;
  world.import_members(1, 100);
  auto& till = world.add_till("S2", "T1");
  world.checkout(till, "M1", 10);
  world.checkout(till, "M1", 10);
  REQUIRE(world.sync(till));
  // A restarted memberhq: a new Server over the same database seeds the terminal's watermark.
  world.server->stop();
  pma::hq::ServerConfig config;
  config.listen_address = "127.0.0.1";
  config.port = 0;
  config.tls = {world.ca_dir + "/ca.crt", world.ca_dir + "/server.crt",
                world.ca_dir + "/server.key"};
  pma::hq::Server restarted(world.io, *world.sink, config, world.hq_clock);
  REQUIRE(restarted.start());
  world.io.restart();
  world.io.poll();  // the server's first turn: it reads the terminals the database knows
  const auto& lag = restarted.metrics().terminals();
  REQUIRE(lag.count({"S2", "T1"}) == 1);
  CHECK(lag.at({"S2", "T1"}).highest_seq == 2);
  CHECK(lag.at({"S2", "T1"}).last_batch_ms == 0);
  restarted.stop();
}

TEST_CASE("memberhq stores lists each terminal's lag, last seen and state, sorted",
          "[sync][hq][metrics]") {
  SyncWorld world;
  world.import_members(1, 100);
  auto& b = world.add_till("S2", "T1");
  auto& a = world.add_till("S1", "T1");
  world.checkout(a, "M1", 10);
  world.checkout(a, "M1", 10);
  REQUIRE(world.sync(a));
  world.checkout(b, "M1", 10);
  REQUIRE(world.sync(b));
  REQUIRE(world.sink->set_terminal_revoked({"S2", "T1"}, true, world.hq_clock.now_ms()));
  REQUIRE(world.sink->set_terminal_revoked({"S3", "T9"}, false, world.hq_clock.now_ms()));
  REQUIRE(world.sink->flush_terminal_activity());
  pma::hq::SqliteOperationsReads reads(world.sink->database());
  auto terminals = world.sink->terminals();
  REQUIRE(terminals);
  auto batches = reads.last_batches();
  REQUIRE(batches);
  const std::int64_t now = world.hq_clock.now_ms();
  auto rows = pma::hq::stores_report(*terminals, *batches, now, 3600 * 1000);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0].store_id == "S1");
  CHECK(rows[0].highest_seq == 2);
  CHECK(rows[0].last_batch_ms > 0);
  CHECK(rows[0].last_seen_ms > 0);
  CHECK(rows[0].state == pma::hq::TerminalState::active);
  CHECK(rows[1].store_id == "S2");
  CHECK(rows[1].highest_seq == 1);
  CHECK(rows[1].state == pma::hq::TerminalState::revoked);
  CHECK(rows[2].store_id == "S3");  // known to HQ (reinstated) but never seen
  CHECK(rows[2].last_batch_ms == 0);
  CHECK(rows[2].state == pma::hq::TerminalState::silent);
  // An hour and a bit later S1 is silent too.
  auto later = pma::hq::stores_report(*terminals, *batches, now + 3601 * 1000, 3600 * 1000);
  CHECK(later[0].state == pma::hq::TerminalState::silent);

  const std::string json = pma::hq::format_stores_json(rows, now);
  CHECK(json.find("{\"store_id\":\"S1\",\"terminal_id\":\"T1\",\"highest_seq\":2,") !=
        std::string::npos);
  CHECK(json.find("\"state\":\"revoked\"") != std::string::npos);
  CHECK(json.find("\"last_batch_ms\":null,\"last_batch_age_s\":null") != std::string::npos);
  const std::string table = pma::hq::format_stores_table(rows, now);
  CHECK(table.find("3 terminal(s): 1 active, 1 revoked, 1 silent") != std::string::npos);
}
