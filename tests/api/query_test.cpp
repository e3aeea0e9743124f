// The request target through Boost.URL: query values are percent-decoded, a target that is not
// a path and query (RFC 3986 origin-form) is answered 400 bad_target before any handler.
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "agent/api/request_guard.h"
#include "pma/v1/api.pb.h"
#include "tests/api/api_fixture.h"
#include "tests/api/raw_http.h"

using pma::api::query_value;
using pma::test::ApiFixture;
using pma::test::RawHttpConnection;

namespace {

RawHttpConnection::Reply exchange(std::uint16_t port, const std::string& request) {
  RawHttpConnection connection(port);
  REQUIRE(connection.send(request));
  auto reply = connection.read_reply();
  INFO(request);
  REQUIRE(reply);
  return *reply;
}

std::string code_of(const RawHttpConnection::Reply& reply) {
  pma::v1::ApiError error;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body(), &error).ok());
  return error.code();
}

}  // namespace

TEST_CASE("Query values are percent-decoded; the first of a repeated name counts", "[api][query]") {
  CHECK(query_value("since=%35&x=1", "since") == "5");
  CHECK(query_value("x=1&since=12", "since") == "12");
  CHECK(query_value("access_token=test-token-0123456789abcdef", "access_token") ==
        "test-token-0123456789abcdef");
  CHECK(query_value("a=1&a=2", "a") == "1");
  CHECK(query_value("q=%E7%8E%8B%20%E8%8A%B3", "q") == "\xe7\x8e\x8b \xe8\x8a\xb3");
  CHECK(query_value("q=a+b", "q") == "a+b");  // '+' is a space only in form bodies
  CHECK(query_value("flag&x=1", "flag").empty());
  CHECK(query_value("x=1", "since").empty());
  CHECK(query_value("", "since").empty());
  // Names are matched as sent, as redact_target masks them: an escaped name is another name.
  CHECK(query_value("access%5Ftoken=abc", "access_token").empty());
  CHECK(query_value("since=%zz", "since").empty());  // not query syntax: HttpSession refuses it
}

TEST_CASE("A percent-encoded access_token opens the event stream", "[api][query][token]") {
  ApiFixture f;
  std::string token = ApiFixture::kToken;
  std::string escaped = "%" + std::string("74") + token.substr(1);  // 't' as %74
  REQUIRE(token[0] == 't');
  auto reply = exchange(
      f.port(), "GET /v1/events?since=0&access_token=" + escaped +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                    "\r\n");
  CHECK(reply.result_int() == 101);
}

TEST_CASE("A target with a broken percent-escape is answered 400 bad_target", "[api][query]") {
  ApiFixture f;
  for (const char* target : {"/v1/health?since=%zz", "/v1/health?q=%4", "/v1/he%xxlth"}) {
    INFO(target);
    auto reply = exchange(f.port(), std::string("GET ") + target +
                                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                        ApiFixture::kToken + "\r\n\r\n");
    CHECK(reply.result_int() == 400);
    CHECK(code_of(reply) == "bad_target");
  }
  // A well-formed one still reaches its handler.
  auto reply = exchange(f.port(), std::string("GET /v1/health?x=%41 HTTP/1.1\r\nHost: "
                                              "127.0.0.1\r\nAuthorization: Bearer ") +
                                      ApiFixture::kToken + "\r\n\r\n");
  CHECK(reply.result_int() == 200);
}
