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

#include "pma/v1/api.pb.h"
#include "tests/e2e/memberhq_process.h"
#include "tests/support/memberd_process.h"

using pma::test::MemberdProcess;

using Hq = pma::test::MemberhqProcess;
using pma::test::sync_now;
using pma::test::sync_state;

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
int memberhq(Hq& hq, const std::string& args, std::string& out) { return hq.command(args, &out); }

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("memberhq revokes and reinstates a terminal and erases a member while it serves",
          "[e2e][sync][hq]") {
  Hq hq;
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
  // HQ answers but will not serve this till: not reachable, with the refusal as the reason.
  CHECK_FALSE(refused.hq_reachable());
  CHECK_THAT(refused.last_error(), Catch::StartsWith("terminal_revoked"));
  CHECK_THAT(read_all(hq.dir.file("hq.log")), Catch::Contains("S001/T01"));
  // A burn is committed under the offline rules without asking HQ for a hold (the points come
  // from a large sale first, which needs no hold).
  auto earn = client.request(
      "POST", "/v1/checkout/commit",
      R"({"txnId":"ADM-2","memberId":"M00000001","lines":[{"sku":"A","qty":1,"unitPriceFen":500000,"category":"bread","discountable":true}]})");
  REQUIRE(earn);
  REQUIRE(earn->status == 200);
  auto burn = client.request(
      "POST", "/v1/checkout/commit",
      R"({"txnId":"ADM-3","memberId":"M00000001","lines":[{"sku":"A","qty":1,"unitPriceFen":40000,"category":"bread","discountable":true}],"pointsToBurn":1000})");
  REQUIRE(burn);
  INFO(burn->body);
  CHECK(burn->status == 200);
  CHECK_THAT(burn->body, Catch::Contains("\"hqCheck\":\"offline\""));
  CHECK(sync_state(client).reservations_unanswered() == 1);
  REQUIRE(memberhq(hq, "terminal list", out) == 0);
  CHECK_THAT(out, Catch::Contains("S001\tT01\t1\t"));
  CHECK_THAT(out, Catch::Contains("revoked since"));
  REQUIRE(memberhq(hq, "terminal reinstate S001 T01", out) == 0);
  auto served = sync_now(client);
  CHECK_THAT(served.last_run(), Catch::StartsWith("ok"));
  CHECK(served.hq_reachable());
  CHECK(served.last_error().empty());
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
