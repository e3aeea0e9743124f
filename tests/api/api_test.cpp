#include <google/protobuf/util/json_util.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "agent/api/router.h"
#include "pma/v1/api.pb.h"
#include "tests/api/api_fixture.h"
#include "tests/support/member_fixtures.h"

using pma::test::ApiFixture;

namespace {

void seed(ApiFixture& f) {
  REQUIRE(f.members->upsert(pma::test::sample_member(2), 1));
  REQUIRE(f.db->exec(
      "INSERT INTO coupons(code, member_id, template_id, title, valid_from, valid_until) "
      "VALUES ('CPN-WELCOME1', 'M1', 'welcome', '新会员礼', 0, 1890000000)"));
}

pma::v1::ApiError error_of(const pma::api::HttpReply& reply) {
  pma::v1::ApiError error;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &error).ok());
  return error;
}

pma::v1::LookupResponse lookup_of(const pma::api::HttpReply& reply) {
  INFO(reply.body);
  REQUIRE(reply.status == 200);
  pma::v1::LookupResponse response;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body, &response).ok());
  return response;
}

}  // namespace

TEST_CASE("Health answers with the store and cache size", "[api]") {
  ApiFixture f;
  seed(f);
  auto client = f.client();
  auto reply = client.request("GET", "/v1/health");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  pma::v1::HealthResponse health;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &health).ok());
  CHECK(health.status() == "ok");
  CHECK(health.store_id() == "S001");
  CHECK(health.members() == 1);
}

TEST_CASE("Lookup finds a member by card, phone, raw code and id", "[api]") {
  ApiFixture f;
  seed(f);
  auto client = f.client();
  SECTION("card number") {
    auto r = lookup_of(
        *client.request("POST", "/v1/members/lookup", R"({"cardNo":"8860000000000001"})"));
    CHECK(r.matched_by() == "card_no");
    CHECK(r.member().member_id() == "M1");
    CHECK(r.member().name() == "王小明");
    CHECK(r.member().tier() == pma::v1::TIER_GOLD);
    CHECK(r.member().points() == 1200);
    CHECK(r.member().phone_masked() == "138****5678");
    REQUIRE(r.member().coupons_size() == 1);
    CHECK(r.member().coupons(0).code() == "CPN-WELCOME1");
  }
  SECTION("phone in any accepted form") {
    auto r = lookup_of(
        *client.request("POST", "/v1/members/lookup", R"({"phone":"+86 138-1234-5678"})"));
    CHECK(r.matched_by() == "phone");
    CHECK(r.member().member_id() == "M1");
  }
  SECTION("raw scanned code that is a card number") {
    auto r = lookup_of(
        *client.request("POST", "/v1/members/lookup", R"({"code":" 8860000000000001\r\n"})"));
    CHECK(r.matched_by() == "card_no");
  }
  SECTION("raw code that is a phone number") {
    auto r = lookup_of(*client.request("POST", "/v1/members/lookup", R"({"code":"13812345678"})"));
    CHECK(r.matched_by() == "phone");
  }
  SECTION("snake_case field names are accepted too") {
    auto r = lookup_of(
        *client.request("POST", "/v1/members/lookup", R"({"card_no":"8860000000000001"})"));
    CHECK(r.member().member_id() == "M1");
  }
  SECTION("member by id") {
    auto reply = client.request("GET", "/v1/members/M1");
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK_THAT(reply->body, Catch::Contains("\"memberId\":\"M1\""));
  }
}

TEST_CASE("Every API error has a stable code, a status and a message", "[api]") {
  ApiFixture f;
  seed(f);
  struct Case {
    const char* token;
    const char* method;
    const char* target;
    const char* body;
    int status;
    const char* code;
  };
  auto c = GENERATE(values<Case>({
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"cardNo\":", 400, "bad_json"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "[1,2]", 400, "bad_json"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "", 400, "bad_json"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"cardNo\":5}", 400, "bad_json"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"card\":\"1\"}", 400, "unknown_field"},
      {"", "POST", "/v1/members/lookup", "{\"cardNo\":\"8860000000000001\"}", 401, "missing_token"},
      {"not-the-token", "POST", "/v1/members/lookup", "{\"cardNo\":\"8860000000000001\"}", 401,
       "wrong_token"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"cardNo\":\"0000\"}", 404,
       "unknown_member"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"phone\":\"13912345678\"}", 404,
       "unknown_member"},
      {ApiFixture::kToken, "GET", "/v1/members/NOPE", "", 404, "unknown_member"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"phone\":\"1381234567\"}", 400,
       "invalid_phone"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{\"phone\":\"+1 415 555 0100\"}", 400,
       "invalid_phone"},
      {ApiFixture::kToken, "POST", "/v1/members/lookup", "{}", 400, "invalid_request"},
      {ApiFixture::kToken, "GET", "/v1/nothing-here", "", 404, "not_found"},
      {ApiFixture::kToken, "POST", "/v1/health", "{}", 405, "method_not_allowed"},
      {ApiFixture::kToken, "DELETE", "/v1/members/M1", "", 405, "method_not_allowed"},
      // A fixed path wins over a "{id}" pattern: lookup is POST only, not member "lookup".
      {ApiFixture::kToken, "GET", "/v1/members/lookup", "", 405, "method_not_allowed"},
  }));
  INFO(c.method << " " << c.target << " " << c.body);
  auto client = f.client(c.token);
  auto reply = client.request(c.method, c.target, c.body);
  REQUIRE(reply);
  CHECK(reply->status == c.status);
  auto error = error_of(*reply);
  CHECK(error.code() == c.code);
  CHECK_FALSE(error.message().empty());
}

TEST_CASE("An oversized body is refused with body_too_large", "[api]") {
  ApiFixture f;
  auto client = f.client();
  std::string body = "{\"code\":\"" + std::string(8000, '1') + "\"}";
  auto reply = client.request("POST", "/v1/members/lookup", body);
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(error_of(*reply).code() == "body_too_large");
}

TEST_CASE("One keep-alive connection serves many requests and survives errors", "[api]") {
  ApiFixture f;
  seed(f);
  auto client = f.client();
  for (int i = 0; i < 50; ++i) {
    auto ok = client.request("POST", "/v1/members/lookup", R"({"cardNo":"8860000000000001"})");
    REQUIRE(ok);
    CHECK(ok->status == 200);
    CHECK(ok->keep_alive);
    auto bad = client.request("POST", "/v1/members/lookup", "{oops");
    REQUIRE(bad);
    CHECK(bad->status == 400);
  }
}

TEST_CASE("Garbage on the wire closes that connection and the server keeps serving", "[api]") {
  ApiFixture f;
  seed(f);
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), f.port()});
    std::string garbage = "\x16\x03\x01 NOT HTTP AT ALL\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(garbage));
    char buffer[256];
    boost::system::error_code ec;
    std::size_t total = 0;
    for (;;) {
      std::size_t n = socket.read_some(boost::asio::buffer(buffer), ec);
      if (ec) break;
      total += n;
    }
    CHECK(ec == boost::asio::error::eof);  // closed by the server, not hung
    CHECK(total == 0);
  }
  auto client = f.client();
  auto reply = client.request("GET", "/v1/health");
  REQUIRE(reply);
  CHECK(reply->status == 200);
}

TEST_CASE("The router lists the routes it knows in the order they were added", "[api][router]") {
  pma::api::Router router;
  auto ok = [](const pma::api::ApiRequest&) { return pma::api::ApiResponse{}; };
  router.add("GET", "/v1/members/{id}", ok);
  router.add("POST", "/v1/members/lookup", ok);
  router.add_async(
      "POST", "/v1/checkout/commit",
      [](const pma::api::ApiRequest&) -> boost::asio::awaitable<pma::api::ApiResponse> {
        co_return pma::api::ApiResponse{};
      });
  using R = pma::api::Router::RouteName;
  CHECK(router.routes() == std::vector<R>{{"GET", "/v1/members/{id}"},
                                          {"POST", "/v1/members/lookup"},
                                          {"POST", "/v1/checkout/commit"}});
}
