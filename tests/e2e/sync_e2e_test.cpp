#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <thread>

#include "memberd_process.h"
#include "pma/v1/api.pb.h"

using pma::test::MemberdProcess;

namespace {

int run(const std::string& command) { return WEXITSTATUS(std::system(command.c_str())); }

// memberhq serving on a free port from a CA made here; killed on destruction.
struct Hq {
  pma::test::TempDir dir;
  int port = pma::test::free_port();
  pid_t pid = -1;

  Hq() {
    std::string hq = PMA_MEMBERHQ;
    std::string quiet = " > " + dir.file("setup.log") + " 2>&1";
    REQUIRE(run("cd " + dir.path().string() + " && " + hq + " ca init ca" + quiet) == 0);
    REQUIRE(run("cd " + dir.path().string() + " && " + hq + " ca issue S001 T01 --dir ca --out t1" +
                quiet) == 0);
    pid = fork();
    if (pid == 0) {
      if (chdir(dir.path().c_str()) != 0) _exit(126);
      if (std::freopen("hq.log", "w", stdout) == nullptr) _exit(126);
      dup2(STDOUT_FILENO, STDERR_FILENO);
      std::string p = std::to_string(port);
      execl(PMA_MEMBERHQ, "memberhq", "serve", "--db", "hq.db", "--ca-dir", "ca", "--listen",
            "127.0.0.1", "--port", p.c_str(), nullptr);
      _exit(127);
    }
  }
  ~Hq() {
    if (pid > 0) kill(pid, SIGTERM), waitpid(pid, nullptr, 0);
  }
  std::string sync_config() const {
    return "[sync]\nhq_host = \"127.0.0.1\"\nhq_port = " + std::to_string(port) + "\nca = \"" +
           dir.file("ca/ca.crt") + "\"\ncert = \"" + dir.file("t1/S001-T01.crt") + "\"\nkey = \"" +
           dir.file("t1/S001-T01.key") +
           "\"\ntrickle_interval_ms = 600000\nbackoff_initial_ms = 200\n";
  }
};

pma::v1::SyncState sync_state(pma::api::HttpClient& client) {
  auto reply = client.request("GET", "/v1/sync");
  REQUIRE(reply);
  pma::v1::SyncState state;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &state).ok());
  return state;
}

// Asks memberd to sync now and waits (generously) for the run to end.
pma::v1::SyncState sync_now(pma::api::HttpClient& client) {
  auto started = client.request("POST", "/v1/sync");
  REQUIRE(started);
  REQUIRE(started->status == 202);
  for (int i = 0; i < 300; ++i) {
    auto state = sync_state(client);
    if (!state.running() && !state.last_run().empty()) return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("sync did not finish");
  return {};
}

}  // namespace

TEST_CASE("memberd ships its checkouts to memberhq and the outbox drains", "[e2e][sync]") {
  Hq hq;
  MemberdProcess memberd(hq.sync_config());
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();

  for (int i = 0; i < 3; ++i) {
    auto commit =
        client.request("POST", "/v1/checkout/commit",
                       "{\"txnId\":\"POS-" + std::to_string(i) +
                           "\",\"memberId\":\"M00000001\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1,"
                           "\"unitPriceFen\":2000,\"category\":\"tea\",\"discountable\":true}]}");
    REQUIRE(commit);
    REQUIRE(commit->status == 200);
  }
  // (The schedule's first sync at start-up may already have shipped some of them.)
  CHECK(sync_state(client).outbox_depth() <= 3);

  auto state = sync_now(client);
  INFO(state.DebugString());
  INFO(memberd.log());
  CHECK_THAT(state.last_run(), Catch::StartsWith("ok"));
  CHECK(state.outbox_depth() == 0);
  CHECK(state.hq_reachable());
  CHECK_FALSE(state.last_success().empty());

  // The health endpoint and memberctl status tell the same story.
  auto health = client.request("GET", "/v1/health");
  REQUIRE(health);
  CHECK_THAT(health->body, Catch::Contains("\"hqReachable\":true"));
}

TEST_CASE("With HQ down, checkouts keep committing and wait in the outbox", "[e2e][sync]") {
  pma::test::TempDir nothing;
  int dead_port = pma::test::free_port();  // nobody listens here
  Hq hq;                                   // only for its certificates
  std::string config = hq.sync_config();
  config.replace(config.find(std::to_string(hq.port)), std::to_string(hq.port).size(),
                 std::to_string(dead_port));
  MemberdProcess memberd(config);
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  auto commit = client.request(
      "POST", "/v1/checkout/commit",
      R"({"txnId":"OFF-1","memberId":"M00000002","lines":[{"sku":"A","qty":1,"unitPriceFen":990,"category":"bread","discountable":true}]})");
  REQUIRE(commit);
  CHECK(commit->status == 200);
  auto state = sync_now(client);
  CHECK_THAT(state.last_run(), Catch::StartsWith("failed"));
  CHECK(state.outbox_depth() == 1);
  CHECK_FALSE(state.hq_reachable());
  // The age of the waiting delta is seconds, not milliseconds, and not in the future.
  CHECK(state.oldest_unsent_age_seconds() >= 0);
  CHECK(state.oldest_unsent_age_seconds() < 600);
}

namespace {

// Runs memberhq in the HQ's folder (next to the serving process); output in out.
int memberhq(const Hq& hq, const std::string& args, std::string& out) {
  std::string file = hq.dir.file("admin.out");
  int status = run("cd " + hq.dir.path().string() + " && " + PMA_MEMBERHQ + " " + args +
                   " --db hq.db > " + file + " 2>&1");
  std::ifstream in(file);
  out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return status;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Waits (generously) until the serving memberhq says it listens.
bool wait_listening(const Hq& hq) {
  for (int i = 0; i < 600; ++i) {
    if (read_all(hq.dir.file("hq.log")).find("listening") != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("memberhq revokes and reinstates a terminal and erases a member while it serves",
          "[e2e][sync][hq]") {
  Hq hq;
  REQUIRE(wait_listening(hq));
  MemberdProcess memberd(hq.sync_config());
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  auto commit = client.request(
      "POST", "/v1/checkout/commit",
      R"({"txnId":"ADM-1","memberId":"M00000001","lines":[{"sku":"A","qty":1,"unitPriceFen":990,"category":"bread","discountable":true}]})");
  REQUIRE(commit);
  REQUIRE(commit->status == 200);
  REQUIRE_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));

  std::string out;
  REQUIRE(memberhq(hq, "terminal revoke S001 T01", out) == 0);
  CHECK_THAT(out, Catch::Contains("S001/T01 revoked"));
  auto refused = sync_now(client);
  CHECK_THAT(refused.last_run(), Catch::StartsWith("failed"));
  CHECK_THAT(refused.last_run(), Catch::Contains("revoked"));
  CHECK_THAT(read_all(hq.dir.file("hq.log")), Catch::Contains("S001/T01"));
  REQUIRE(memberhq(hq, "terminal list", out) == 0);
  CHECK_THAT(out, Catch::Contains("S001\tT01\t1\t"));
  CHECK_THAT(out, Catch::Contains("revoked since"));
  REQUIRE(memberhq(hq, "terminal reinstate S001 T01", out) == 0);
  CHECK_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));
  REQUIRE(memberhq(hq, "terminal list", out) == 0);
  CHECK_THAT(out, Catch::Contains("active"));

  CHECK(memberhq(hq, "erase NOPE", out) == 2);
  CHECK_THAT(out, Catch::Contains("member_not_found"));
  REQUIRE(client.request("GET", "/v1/members/M00000001")->status == 200);
  REQUIRE(memberhq(hq, "erase M00000001", out) == 0);
  CHECK_THAT(out, Catch::Contains("erased member M00000001"));
  // The serving memberhq hands out versions after the erasure's, so the till sees it.
  CHECK_THAT(sync_now(client).last_run(), Catch::StartsWith("ok"));
  CHECK(client.request("GET", "/v1/members/M00000001")->status == 404);
}
