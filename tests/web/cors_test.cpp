// Issue 15, "A web till can use it": CORS for api.allowed_origins only (preflights without the
// token, Access-Control-Allow-Origin + Vary on answers to a listed Origin, never "*"), the event
// stream's upgrade checked against the same list, and the status page at GET /, against a real
// memberd. Also how api.allowed_origins entries are validated.
#include <google/protobuf/util/json_util.h>

#include <catch2/catch.hpp>
#include <string>

#include "agent/config/config.h"
#include "pma/v1/api.pb.h"
#include "tests/api/raw_http.h"
#include "tests/support/memberd_process.h"

using pma::test::MemberdOptions;
using pma::test::MemberdProcess;
using pma::test::RawHttpConnection;

namespace {

constexpr const char* kPos = "https://pos.example.com";

std::unique_ptr<MemberdProcess> memberd_for(const std::string& origins) {
  MemberdOptions options;
  options.api_toml = "allowed_origins = " + origins + "\n";
  options.demo_members = 5;
  options.log_level = "info";
  auto memberd = std::make_unique<MemberdProcess>(options);
  REQUIRE(memberd->wait_ready());
  return memberd;
}

RawHttpConnection::Reply exchange(int port, const std::string& request) {
  RawHttpConnection connection(static_cast<std::uint16_t>(port));
  REQUIRE(connection.send(request));
  auto reply = connection.read_reply();
  INFO(request);
  REQUIRE(reply);
  return *reply;
}

std::string code_of(const RawHttpConnection::Reply& reply) {
  pma::v1::ApiError error;
  INFO(reply.body());
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply.body(), &error).ok());
  return error.code();
}

std::string field(const RawHttpConnection::Reply& reply, const char* name) {
  auto it = reply.find(name);
  return it == reply.end() ? std::string("(absent)") : std::string(it->value());
}

std::string preflight(const std::string& origin, const std::string& extra = {}) {
  return "OPTIONS /v1/checkout/commit HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + origin +
         "\r\nAccess-Control-Request-Method: POST\r\n"
         "Access-Control-Request-Headers: authorization,content-type\r\n" +
         extra + "\r\n";
}

std::string upgrade(const std::string& query, const std::string& extra) {
  return "GET /v1/events" + query +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
         extra + "\r\n";
}

}  // namespace

TEST_CASE("A preflight from a listed origin is answered 204 without the token", "[web][cors]") {
  auto memberd = memberd_for("[\"https://POS.example.com\"]");  // listed in another case
  auto reply = exchange(memberd->port(), preflight(kPos));
  CHECK(reply.result_int() == 204);
  CHECK(field(reply, "Access-Control-Allow-Origin") == kPos);  // echoed, never "*"
  CHECK(field(reply, "Vary") == "Origin");
  CHECK_THAT(field(reply, "Access-Control-Allow-Headers"),
             Catch::Contains("Authorization") && Catch::Contains("Content-Type"));
  CHECK_THAT(field(reply, "Access-Control-Allow-Methods"), Catch::Contains("POST"));
  CHECK(field(reply, "Access-Control-Max-Age") == "600");
  CHECK(field(reply, "Access-Control-Allow-Private-Network") == "(absent)");

  SECTION("Chrome's private network preflight (a public page calling 127.0.0.1) is allowed") {
    auto pna = exchange(memberd->port(),
                        preflight(kPos, "Access-Control-Request-Private-Network: true\r\n"));
    CHECK(pna.result_int() == 204);
    CHECK(field(pna, "Access-Control-Allow-Private-Network") == "true");
  }
}

TEST_CASE("A preflight from any other origin is refused 403 with no Access-Control fields",
          "[web][cors]") {
  auto memberd = memberd_for(std::string("[\"") + kPos + "\"]");
  for (const char* origin :
       {"https://evil.example", "http://pos.example.com", "null", "https://pos.example.com:8443"}) {
    INFO(origin);
    auto reply = exchange(memberd->port(), preflight(origin));
    CHECK(reply.result_int() == 403);
    CHECK(code_of(reply) == "origin_not_allowed");
    CHECK(field(reply, "Access-Control-Allow-Origin") == "(absent)");
  }
  // A rebinding page's preflight is refused on its Host first.
  auto rebound = exchange(
      memberd->port(),
      "OPTIONS /v1/health HTTP/1.1\r\nHost: evil.example:" + std::to_string(memberd->port()) +
          "\r\nOrigin: " + kPos + "\r\nAccess-Control-Request-Method: GET\r\n\r\n");
  CHECK(rebound.result_int() == 421);
  CHECK(code_of(rebound) == "host_not_allowed");
}

TEST_CASE("Answers to a listed Origin carry Allow-Origin and Vary, errors included",
          "[web][cors]") {
  auto memberd = memberd_for(std::string("[\"") + kPos + "\"]");
  std::string auth = "Authorization: Bearer " + memberd->token() + "\r\n";
  auto ok = exchange(memberd->port(), "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " +
                                          std::string(kPos) + "\r\n" + auth + "\r\n");
  CHECK(ok.result_int() == 200);
  CHECK(field(ok, "Access-Control-Allow-Origin") == kPos);
  CHECK(field(ok, "Vary") == "Origin");
  // A page must be able to read why it was refused.
  auto refused = exchange(
      memberd->port(),
      "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + std::string(kPos) + "\r\n\r\n");
  CHECK(refused.result_int() == 401);
  CHECK(code_of(refused) == "missing_token");
  CHECK(field(refused, "Access-Control-Allow-Origin") == kPos);
  // Without an Origin (the POS app, curl): no CORS fields at all.
  auto plain =
      exchange(memberd->port(), "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth + "\r\n");
  CHECK(plain.result_int() == 200);
  CHECK(field(plain, "Access-Control-Allow-Origin") == "(absent)");
}

TEST_CASE("With no allowed_origins every foreign Origin is refused, the agent's own is not",
          "[web][cors]") {
  auto memberd = memberd_for("[]");
  std::string auth = "Authorization: Bearer " + memberd->token() + "\r\n";
  auto foreign =
      exchange(memberd->port(), "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " +
                                    std::string(kPos) + "\r\n" + auth + "\r\n");
  CHECK(foreign.result_int() == 403);
  CHECK(code_of(foreign) == "origin_not_allowed");
  // The status page at http://127.0.0.1:<port>/ opens the event stream with its own origin.
  std::string self = "http://127.0.0.1:" + std::to_string(memberd->port());
  auto own = exchange(memberd->port(),
                      upgrade("?access_token=" + memberd->token(), "Origin: " + self + "\r\n"));
  CHECK(own.result_int() == 101);
  // Another port on the same host is another origin.
  auto other = exchange(memberd->port(), upgrade("?access_token=" + memberd->token(),
                                                 "Origin: http://127.0.0.1:1\r\n"));
  CHECK(other.result_int() == 403);
}

TEST_CASE("GET / is the status page: served without the token, it holds no data", "[web][status]") {
  auto memberd = memberd_for("[]");
  auto page = exchange(memberd->port(), "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(page.result_int() == 200);
  CHECK_THAT(field(page, "Content-Type"), Catch::StartsWith("text/html"));
  CHECK(field(page, "Cache-Control") == "no-store");
  CHECK_THAT(field(page, "Content-Security-Policy"), Catch::Contains("frame-ancestors 'none'"));
  CHECK_THAT(page.body(), Catch::Contains("/v1/health") && Catch::Contains("/v1/events"));
  CHECK_THAT(page.body(), !Catch::Contains("S001"));  // the store id comes only with the token
  auto data = exchange(memberd->port(), "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  CHECK(data.result_int() == 401);
  auto rebound = exchange(memberd->port(), "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  CHECK(rebound.result_int() == 421);
  auto post =
      exchange(memberd->port(), "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n");
  CHECK(post.result_int() == 401);  // only GET / is open
}

TEST_CASE("api.allowed_origins takes exact origins and names what is wrong with others",
          "[web][config]") {
  auto parse = [](const std::string& origin) {
    return pma::config::parse_config("[api]\nallowed_origins = [\"" + origin + "\"]\n",
                                     "memberd.toml");
  };
  for (const char* good : {"https://pos.example.com", "http://127.0.0.1:8080", "https://[::1]:8443",
                           "https://POS.example.com:443"}) {
    INFO(good);
    auto config = parse(good);
    INFO((config ? "" : config.error().message));
    CHECK(config);
  }
  struct Bad {
    const char* origin;
    const char* says;
  };
  for (Bad bad : {Bad{"*", "wildcards are not allowed"}, Bad{"https://*.example.com", "wildcards"},
                  Bad{"null", "is not an origin: expected http://host or https://host[:port]"},
                  Bad{"ftp://pos.example.com", "expected http://host or https://host[:port]"},
                  Bad{"https://pos.example.com/", "no path, query or trailing slash"},
                  Bad{"https://pos.example.com/till", "no path"},
                  Bad{"https://user@pos.example.com", "no path"},
                  Bad{"https://pos.example.com:99999", "the port after ':' must be 1..65535"},
                  Bad{"https://pos.example.com:0", "the port after ':' must be 1..65535"},
                  Bad{"https://pos.example.com:", "the port after ':' must be 1..65535"},
                  Bad{"https://:8443", "no host name"}, Bad{"https://", "is not an origin"}}) {
    INFO(bad.origin);
    auto config = parse(bad.origin);
    REQUIRE_FALSE(config);
    CHECK(config.error().code == "config_bad_value");
    CHECK_THAT(config.error().message, Catch::StartsWith("memberd.toml") &&
                                           Catch::Contains("api.allowed_origins") &&
                                           Catch::Contains(bad.says));
  }
}
