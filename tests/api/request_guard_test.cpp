// Items 11, 12 (token) and 15 of issue 11: the header is judged before the body is read, Host
// and Origin are checked (DNS rebinding, cross-origin pages), ?access_token= is taken on
// /v1/events only and never logged.
#include "agent/api/request_guard.h"

#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "pma/v1/api.pb.h"
#include "tests/api/api_fixture.h"
#include "tests/api/raw_http.h"

using pma::test::ApiFixture;
using pma::test::RawHttpConnection;

namespace {

std::string code_of(const RawHttpConnection::Reply& reply) {
  pma::v1::ApiError error;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body(), &error).ok());
  CHECK_FALSE(error.message().empty());
  return error.code();
}

RawHttpConnection::Reply exchange(std::uint16_t port, const std::string& request) {
  RawHttpConnection connection(port);
  REQUIRE(connection.send(request));
  auto reply = connection.read_reply();
  INFO(request);
  REQUIRE(reply);
  return *reply;
}

std::string get(std::string_view target, std::string_view host, std::string_view extra = {}) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: " + std::string(host) +
         "\r\nAuthorization: Bearer " + ApiFixture::kToken + "\r\n" + std::string(extra) + "\r\n";
}

std::string upgrade(std::string_view target, std::string_view extra = {}) {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         std::string(extra) + "\r\n";
}

}  // namespace

TEST_CASE("A wrong token is answered 401 before a 256 KiB body is sent", "[api][limits]") {
  ApiFixture f({.max_body_bytes = 1 << 20});
  auto token = GENERATE(std::string("Authorization: Bearer not-the-token\r\n"), std::string());
  INFO(token);
  RawHttpConnection connection(f.port());
  // The header announces 256 KiB; not one byte of it is sent. A server that reads the body
  // before the token never answers.
  REQUIRE(connection.send("POST /v1/members/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\n" + token +
                          "Content-Type: application/json\r\nContent-Length: 262144\r\n\r\n"));
  auto reply = connection.read_reply();
  REQUIRE(reply);
  CHECK(reply->result_int() == 401);
  CHECK(code_of(*reply) == (token.empty() ? "missing_token" : "wrong_token"));
  CHECK_FALSE(reply->keep_alive());
  CHECK(connection.closed_by_server());  // the unread body is not waited for either
}

TEST_CASE("With the right token the body is read and the request served", "[api][limits]") {
  ApiFixture f({.max_body_bytes = 1 << 20});
  REQUIRE(f.members->upsert({.member_id = "M1", .card_no = "8860000000000001"}, 1));
  std::string body = R"({"cardNo":"8860000000000001"})";
  SECTION("Content-Length") {
    auto reply = exchange(f.port(),
                          "POST /v1/members/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: Bearer " +
                              std::string(ApiFixture::kToken) + "\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(reply.result_int() == 200);
  }
  SECTION("Expect: 100-continue gets 100 Continue, then the answer") {
    RawHttpConnection connection(f.port());
    REQUIRE(
        connection.send("POST /v1/members/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Authorization: Bearer " +
                        std::string(ApiFixture::kToken) + "\r\nExpect: 100-continue\r\n" +
                        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
    auto go_on = connection.read_reply();
    REQUIRE(go_on);
    CHECK(go_on->result_int() == 100);
    REQUIRE(connection.send(body));
    auto reply = connection.read_reply();
    REQUIRE(reply);
    CHECK(reply->result_int() == 200);
  }
}

TEST_CASE("A body larger than api.max_body_bytes is refused from its Content-Length",
          "[api][limits]") {
  ApiFixture f;  // 4096 bytes
  RawHttpConnection connection(f.port());
  REQUIRE(
      connection.send("POST /v1/members/lookup HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer " +
                      std::string(ApiFixture::kToken) + "\r\nContent-Length: 5000\r\n\r\n"));
  auto reply = connection.read_reply();
  REQUIRE(reply);
  CHECK(reply->result_int() == 413);
  CHECK(code_of(*reply) == "body_too_large");
}

TEST_CASE("An oversized header is answered 431 header_too_large", "[api][limits]") {
  ApiFixture f;
  auto reply =
      exchange(f.port(), get("/v1/health", "127.0.0.1",
                             "X-Padding: " + std::string(pma::api::kMaxHeaderBytes, 'a') + "\r\n"));
  CHECK(reply.result_int() == 431);
  CHECK(code_of(reply) == "header_too_large");
  // A header just under the limit is served.
  auto fine = exchange(
      f.port(), get("/v1/health", "127.0.0.1", "X-Padding: " + std::string(8000, 'a') + "\r\n"));
  CHECK(fine.result_int() == 200);
}

TEST_CASE("A Host other than this agent's loopback address is refused 421", "[api][host]") {
  ApiFixture f;
  std::string port = std::to_string(f.port());
  // (A loop, not GENERATE: the port changes with every run of the test case.)
  for (const std::string& host :
       {std::string("evil.example"), "evil.example:" + port, "127.0.0.1.evil.example:" + port,
        "localhost.:" + port, std::string("127.0.0.1:1"), "[::2]:" + port,
        std::string("0.0.0.0")}) {
    INFO("refused: " << host);
    auto reply = exchange(f.port(), get("/v1/health", host));  // with the right token
    CHECK(reply.result_int() == 421);
    CHECK(code_of(reply) == "host_not_allowed");
  }
  for (const std::string& host :
       {std::string("127.0.0.1"), "127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port,
        "[::1]:" + port, std::string("localhost")}) {
    INFO("served: " << host);
    auto reply = exchange(f.port(), get("/v1/health", host));
    CHECK(reply.result_int() == 200);
  }
}

TEST_CASE("A request from a browser origin not in api.allowed_origins is refused 403",
          "[api][origin]") {
  ApiFixture f({.allowed_origins = {"https://pos.example:8443"}});
  std::string events = "/v1/events?access_token=" + std::string(ApiFixture::kToken);
  SECTION("a cross-origin WebSocket upgrade with ?access_token gets 403, not 101") {
    auto reply = exchange(f.port(), upgrade(events, "Origin: https://evil.example\r\n"));
    CHECK(reply.result_int() == 403);
    CHECK(code_of(reply) == "origin_not_allowed");
  }
  SECTION("'null' (a sandboxed or file: page) is refused too") {
    auto reply = exchange(f.port(), upgrade(events, "Origin: null\r\n"));
    CHECK(reply.result_int() == 403);
  }
  SECTION("a plain request carrying a foreign Origin is refused") {
    auto reply =
        exchange(f.port(), get("/v1/health", "127.0.0.1", "Origin: http://evil.example\r\n"));
    CHECK(reply.result_int() == 403);
    CHECK(code_of(reply) == "origin_not_allowed");
  }
  SECTION("a listed origin upgrades") {
    auto reply = exchange(f.port(), upgrade(events, "Origin: https://POS.example:8443\r\n"));
    CHECK(reply.result_int() == 101);
  }
  SECTION("no Origin (not a browser) upgrades") {
    auto reply = exchange(f.port(), upgrade(events));
    CHECK(reply.result_int() == 101);
  }
}

TEST_CASE("?access_token= is accepted on /v1/events only", "[api][token]") {
  ApiFixture f;
  std::string token = ApiFixture::kToken;
  SECTION("an upgrade to another path with ?access_token is 401") {
    auto reply = exchange(f.port(), upgrade("/v1/health?access_token=" + token));
    CHECK(reply.result_int() == 401);
    CHECK(code_of(reply) == "missing_token");
  }
  SECTION("a plain GET with ?access_token is 401") {
    RawHttpConnection connection(f.port());
    REQUIRE(connection.send("GET /v1/health?access_token=" + token +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
    auto reply = connection.read_reply();
    REQUIRE(reply);
    CHECK(reply->result_int() == 401);
  }
  SECTION("a wrong ?access_token on /v1/events is 401 wrong_token") {
    auto reply = exchange(f.port(), upgrade("/v1/events?access_token=nope"));
    CHECK(reply.result_int() == 401);
    CHECK(code_of(reply) == "wrong_token");
  }
  SECTION("the event stream takes it") {
    auto reply = exchange(f.port(), upgrade("/v1/events?since=0&access_token=" + token));
    CHECK(reply.result_int() == 101);
  }
}

TEST_CASE("A token in a query string never reaches the log", "[api][log][token]") {
  ApiFixture f;  // logs at debug: every request line is logged
  std::string token = ApiFixture::kToken;
  auto client = f.client();
  REQUIRE(client.request("GET", "/v1/health?access_token=" + token));
  REQUIRE(client.request("GET", "/v1/health?since=1&access_token=" + token + "&x=1"));
  (void)exchange(f.port(), upgrade("/v1/events?access_token=" + token));
  (void)exchange(f.port(), upgrade("/v1/events?access_token=secret-but-wrong-4242"));
  std::string logs = f.logs();
  INFO(logs);
  CHECK_THAT(logs, Catch::Contains("/v1/health?access_token=***"));  // still logged, redacted
  CHECK_THAT(logs, Catch::Contains("since=1&access_token=***&x=1"));
  CHECK(logs.find(token) == std::string::npos);
  CHECK(logs.find("secret-but-wrong-4242") == std::string::npos);
}

TEST_CASE("redact_target masks every access_token value and nothing else", "[api][log]") {
  using pma::api::redact_target;
  CHECK(redact_target("/v1/events?access_token=abc") == "/v1/events?access_token=***");
  CHECK(redact_target("/v1/events?since=3&access_token=abc&access_token=def") ==
        "/v1/events?since=3&access_token=***&access_token=***");
  CHECK(redact_target("/v1/events?ACCESS_TOKEN=abc") == "/v1/events?ACCESS_TOKEN=***");
  CHECK(redact_target("/v1/health") == "/v1/health");
  CHECK(redact_target("/v1/x?a=1&b") == "/v1/x?a=1&b");
}

TEST_CASE("The Authorization scheme is case-insensitive and may be followed by several spaces",
          "[api][token]") {
  ApiFixture f;
  for (std::string scheme : {"bearer ", "BEARER ", "Bearer  ", "bEaReR "}) {
    INFO(scheme);
    auto reply = exchange(f.port(),
                          "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          "Authorization: " +
                              scheme + ApiFixture::kToken + "\r\n\r\n");
    CHECK(reply.result_int() == 200);
  }
  auto basic = exchange(f.port(),
                        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        "Authorization: Basic dXNlcjpwYXNz\r\n\r\n");
  CHECK(basic.result_int() == 401);
  CHECK(code_of(basic) == "missing_token");
}
