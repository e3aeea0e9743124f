// Request bodies a POS gets wrong, sent through a real memberd: each answer names the field by
// its JSON name and what it takes, never protobuf's internals ("for type TYPE_INT64",
// "type.googleapis.com/pma.v1.Tier").
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "pma/v1/api.pb.h"
#include "tests/support/memberd_process.h"

namespace {

struct BadBody {
  const char* path;
  const char* body;
  int status;
  const char* code;
  const char* message_part;  // what the message must say
};

}  // namespace

TEST_CASE("Body errors name the JSON field and what it takes, not the parser's types",
          "[api][errors][e2e]") {
  pma::test::MemberdProcess memberd(pma::test::MemberdOptions{.demo_members = 2});
  REQUIRE(memberd.wait_ready());
  auto client = memberd.client();
  const BadBody cases[] = {
      {"/v1/checkout/quote", R"({"lines":[{"sku":"A","qty":"abc","unitPriceFen":100}]})", 400,
       "bad_json", "field lines[0].qty: expected a whole number from -9223372036854775808"},
      {"/v1/checkout/quote", R"({"lines":[{"sku":"A","qty":1.5,"unitPriceFen":100}]})", 400,
       "bad_json", "got 1.5"},
      {"/v1/checkout/commit", R"({"txnId":"T-1","pointsToBurn":true})", 400, "bad_json",
       "field pointsToBurn: expected a whole number"},
      {"/v1/checkout/commit", R"({"txnId":5})", 400, "bad_json",
       "field txnId: expected a string, got 5"},
      {"/v1/checkout/quote", R"({"lines":[5]})", 400, "bad_json",
       "field lines[0]: expected an object, got 5"},
      {"/v1/receipts/render", R"({"receipt":{"tier":"PLATINUM"}})", 400, "bad_json",
       R"(field receipt.tier: expected one of "TIER_UNSPECIFIED")"},
      {"/v1/receipts/render", R"({"receipt":{"tier":"PLATINUM"}})", 400, "bad_json",
       R"("TIER_GOLD")"},
      {"/v1/receipts/render", R"({"receipt":"x"})", 400, "bad_json",
       "field receipt: expected an object"},
      {"/v1/members", R"({"phone":["13800000000"]})", 400, "bad_json",
       "field phone: expected a string, got an array"},
      {"/v1/checkout/quote", R"({"lines":[{"sku":"A","nope":1}]})", 400, "unknown_field",
       R"(unknown field "nope" in lines[0])"},
      {"/v1/members/lookup", R"({"card":"1"})", 400, "unknown_field", R"(unknown field "card")"},
      {"/v1/members/lookup", R"({"cardNo":)", 400, "bad_json", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto reply = client.request("POST", c.path, c.body);
    REQUIRE(reply);
    INFO(c.path << " " << c.body << " -> " << reply->status << " " << reply->body);
    CHECK(reply->status == c.status);
    pma::v1::ApiError error;
    REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &error).ok());
    CHECK(error.code() == c.code);
    CHECK_THAT(error.message(), Catch::Contains(c.message_part));
    CHECK_THAT(error.message(), !Catch::Contains("TYPE_"));
    CHECK_THAT(error.message(), !Catch::Contains("googleapis"));
    CHECK_THAT(error.message(), !Catch::Contains("\n"));  // no echo of the body under a caret
  }
}
