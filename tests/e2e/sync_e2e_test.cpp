#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "memberhq_process.h"
#include "pma/v1/api.pb.h"
#include "support/memberd_process.h"

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
