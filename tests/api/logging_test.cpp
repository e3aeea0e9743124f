#include "agent/log/logging.h"

#include <catch2/catch.hpp>

#include "tests/api/api_fixture.h"

using pma::log::redact_phones;
using pma::test::ApiFixture;

TEST_CASE("Redaction masks mobile numbers in any form", "[log]") {
  CHECK(redact_phones("lookup 13812345678 ok") == "lookup 138****5678 ok");
  CHECK(redact_phones("+8613812345678") == "+86138****5678");
  CHECK(redact_phones("a19912345678b") == "a199****5678b");
  CHECK(redact_phones("order 12345 card 8860000000000001") == "order 12345 card 886*********0001");
  CHECK(redact_phones("no digits here") == "no digits here");
  CHECK(redact_phones("12812345678") == "128****5678");  // long runs are masked too
}

TEST_CASE("No log line contains a phone number or the token", "[log][api]") {
  ApiFixture f;
  REQUIRE(f.members->upsert({.member_id = "M1", .card_no = "C1", .phone = "13812345678"}, 1));
  auto client = f.client();
  for (const char* body :
       {R"({"phone":"13812345678"})", R"({"phone":"+86 139 8765 4321"})",
        R"({"code":"13812345678"})", R"({"code":"15011112222"})", R"({"phone":"1381234567"})",
        R"({"phone":"13812345678", "x":1})", R"({"phone":13812345678})"}) {
    REQUIRE(client.request("POST", "/v1/members/lookup", body));
  }
  auto wrong = f.client("wrong-token-13812345678");
  REQUIRE(wrong.request("POST", "/v1/members/lookup", R"({"phone":"13812345678"})"));

  std::string logs = f.logs();
  INFO(logs);
  CHECK_FALSE(logs.empty());  // the requests were logged at all
  for (const char* secret :
       {"13812345678", "13987654321", "15011112222", "1381234567", ApiFixture::kToken}) {
    CHECK(logs.find(secret) == std::string::npos);
  }
}
