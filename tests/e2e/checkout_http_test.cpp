#include <catch2/catch.hpp>

#include "tests/support/memberd_process.h"

using pma::test::MemberdProcess;

namespace {

const char* kBasket =
    R"("lines":[{"sku":"BREAD-1","qty":2,"unitPriceFen":1500,"category":"bread","discountable":true}])";

std::string commit_body(const std::string& txn, const std::string& member, int burn = 0) {
  return "{\"txnId\":\"" + txn + "\",\"memberId\":\"" + member + "\"," + kBasket +
         ",\"pointsToBurn\":" + std::to_string(burn) + "}";
}

}  // namespace

TEST_CASE("Checkout over HTTP: commit, byte-identical replay, conflict, refund, registration",
          "[e2e][checkout]") {
  MemberdProcess memberd("");
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();

  auto first = client.request("POST", "/v1/checkout/commit", commit_body("POS-1", "M00000001"));
  REQUIRE(first);
  INFO(first->body);
  REQUIRE(first->status == 200);
  CHECK_THAT(first->body, Catch::Contains("\"newBalance\""));

  auto replay = client.request("POST", "/v1/checkout/commit", commit_body("POS-1", "M00000001"));
  REQUIRE(replay);
  CHECK(replay->status == 200);
  CHECK(replay->body == first->body);

  auto conflict = client.request("POST", "/v1/checkout/commit", commit_body("POS-1", "M00000002"));
  REQUIRE(conflict);
  CHECK(conflict->status == 409);
  CHECK_THAT(conflict->body, Catch::Contains("idempotency_conflict"));

  auto too_many =
      client.request("POST", "/v1/checkout/commit", commit_body("POS-2", "M00000001", 100000000));
  REQUIRE(too_many);
  CHECK(too_many->status == 409);

  auto refund =
      client.request("POST", "/v1/refunds", R"({"refundId":"R-1","originalTxnId":"POS-1"})");
  REQUIRE(refund);
  INFO(refund->body);
  CHECK(refund->status == 200);

  auto unknown =
      client.request("POST", "/v1/refunds", R"({"refundId":"R-2","originalTxnId":"NOPE"})");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);

  auto registered =
      client.request("POST", "/v1/members", R"({"phone":"+86 139 0000 2222","name":"新会员"})");
  REQUIRE(registered);
  INFO(registered->body);
  CHECK(registered->status == 200);
  CHECK_THAT(registered->body, Catch::Contains("\"created\":true"));
  CHECK_THAT(registered->body, Catch::Contains("139****2222"));
  CHECK_THAT(registered->body, Catch::Contains("welcomeCoupons"));
  auto again = client.request("POST", "/v1/members", R"({"phone":"13900002222"})");
  REQUIRE(again);
  CHECK_THAT(again->body, Catch::Contains("\"created\":false"));

  auto bad_phone = client.request("POST", "/v1/members", R"({"phone":"12345"})");
  REQUIRE(bad_phone);
  CHECK(bad_phone->status == 400);
  CHECK_THAT(bad_phone->body, Catch::Contains("invalid_phone"));

  CHECK(memberd.stop() == 0);
  CHECK(memberd.log().find("13900002222") == std::string::npos);
}
