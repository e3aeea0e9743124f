#include <catch2/catch.hpp>

#include "tests/support/memberd_process.h"

using pma::test::MemberdProcess;

TEST_CASE("memberd serves lookups and exits cleanly on SIGTERM", "[e2e][memberd]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  auto reply = client.request("POST", "/v1/members/lookup", R"({"code":"M00000001"})");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK_THAT(reply->body, Catch::Contains("\"memberId\":\"M00000001\""));
  // A phone lookup must not leak into the log.
  REQUIRE(client.request("POST", "/v1/members/lookup", R"({"phone":"13912345678"})"));

  CHECK(memberd.stop() == 0);
  std::string text = memberd.log();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("stopped cleanly"));
  CHECK(text.find("13912345678") == std::string::npos);
}
