// Issue 15: a browser till's token without reading the 0640 api-token file. `memberctl
// pos-token --origin O` makes a token that memberd accepts only with "Origin: O"; it is kept
// durably (digests only), listed and revocable; it cannot manage tokens itself.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/api/raw_http.h"
#include "tests/support/temp_dir.h"
#include "tests/web/web_world.h"

using pma::test::RawHttpConnection;
using pma::test::WebWorld;

namespace {

constexpr const char* kPos = "https://pos.example.com";

int status_of(int port, const std::string& token, const std::string& origin,
              const std::string& target = "/v1/health", std::string* body = nullptr) {
  RawHttpConnection connection(static_cast<std::uint16_t>(port));
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                        token + "\r\n" + (origin.empty() ? "" : "Origin: " + origin + "\r\n") +
                        "\r\n";
  REQUIRE(connection.send(request));
  auto reply = connection.read_reply();
  REQUIRE(reply);
  if (body != nullptr) *body = reply->body();
  return reply->result_int();
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace

TEST_CASE("An origin-bound token works only with its Origin, survives a restart, and is revoked",
          "[web][pos_token]") {
  WebWorld world(std::string("[\"") + kPos + "\", \"https://other.example\"]");
  REQUIRE(world.memberd->wait_ready());
  int status = -1;
  std::string token = trimmed(world.memberctl(std::string("pos-token --origin ") + kPos, &status));
  REQUIRE(status == 0);
  REQUIRE(token.size() == 64);
  int port = world.memberd->port();
  std::string body;

  CHECK(status_of(port, token, kPos) == 200);
  CHECK(status_of(port, token, "", "/v1/health", &body) == 401);  // no Origin: not a page
  CHECK_THAT(body, Catch::Contains("token_origin_mismatch") && Catch::Contains(kPos));
  CHECK(status_of(port, token, "https://other.example", "/v1/health", &body) == 401);
  CHECK_THAT(body, Catch::Contains("token_origin_mismatch"));
  // The event stream takes it as ?access_token= with its Origin, like the browser sends it.
  {
    RawHttpConnection connection(static_cast<std::uint16_t>(port));
    REQUIRE(connection.send("GET /v1/events?access_token=" + token +
                            " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + kPos +
                            "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n"));
    auto reply = connection.read_reply();
    REQUIRE(reply);
    CHECK(reply->result_int() == 101);
  }
  // It cannot make, list or revoke tokens.
  CHECK(status_of(port, token, kPos, "/v1/pos-tokens", &body) == 403);
  CHECK_THAT(body, Catch::Contains("pos_token_forbidden"));

  std::string list = world.memberctl("pos-token --list", &status);
  CHECK(status == 0);
  CHECK_THAT(list, Catch::Contains(kPos) && Catch::Contains("pt-"));
  CHECK_THAT(list, !Catch::Contains(token));  // the secret is shown once, at creation

  // Kept as a digest, mode 0600, in the state folder: a restart keeps it.
  std::string file = world.memberd->state_dir() + "/pos-tokens";
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::stringstream stored;
  stored << std::ifstream(file).rdbuf();
  CHECK_THAT(stored.str(), Catch::Contains(kPos) && !Catch::Contains(token));

  REQUIRE(world.memberd->stop() == 0);
  // A new memberd on the same state folder and config.
  pma::test::MemberdOptions again;
  again.state_dir = world.memberd->state_dir();
  again.api_toml = std::string("allowed_origins = [\"") + kPos + "\"]\n";
  again.demo_members = -1;
  pma::test::MemberdProcess restarted(again);
  REQUIRE(restarted.wait_ready());
  CHECK(status_of(restarted.port(), token, kPos) == 200);

  // Revoked (by the id the list shows), it is refused at once.
  std::string id = list.substr(list.find("pt-"), 11);
  auto revoked = restarted.client().request("DELETE", "/v1/pos-tokens/" + id);
  REQUIRE(revoked);
  CHECK(revoked->body == R"({"revoked":1})");
  CHECK(status_of(restarted.port(), token, kPos, "/v1/health", &body) == 401);
  CHECK_THAT(body, Catch::Contains("wrong_token"));
  CHECK(restarted.stop() == 0);
}

TEST_CASE("A token is made only for a well-formed origin listed in api.allowed_origins",
          "[web][pos_token]") {
  WebWorld world(std::string("[\"") + kPos + "\"]");
  REQUIRE(world.memberd->wait_ready());
  int status = -1;
  std::string out = world.memberctl("pos-token --origin https://evil.example 2>&1", &status);
  CHECK(status != 0);
  CHECK_THAT(
      out, Catch::Contains("origin_not_allowed") && Catch::Contains("not in api.allowed_origins"));
  out = world.memberctl("pos-token --origin 'https://pos.example.com/till' 2>&1", &status);
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("invalid_origin") && Catch::Contains("no path"));
  out = world.memberctl("pos-token --revoke pt-00000000 2>&1", &status);
  CHECK(status != 0);
  CHECK_THAT(out, Catch::Contains("unknown_pos_token"));
  std::string token = trimmed(world.memberctl(std::string("pos-token --origin ") + kPos, &status));
  std::string list = world.memberctl("pos-token --list", &status);
  std::string id = list.substr(list.find("pt-"), 11);
  out = world.memberctl("pos-token --revoke " + id, &status);
  CHECK(status == 0);
  CHECK(out == "revoked 1 token\n");
  CHECK(status_of(world.memberd->port(), token, kPos) == 401);
  // Revoking by origin revokes each token of it.
  world.memberctl(std::string("pos-token --origin ") + kPos, &status);
  world.memberctl(std::string("pos-token --origin ") + kPos, &status);
  out = world.memberctl(std::string("pos-token --revoke ") + kPos, &status);
  CHECK(status == 0);
  CHECK_THAT(out, Catch::Contains("revoked 2 tokens"));
  CHECK_THAT(world.memberctl("pos-token", &status), Catch::Contains("no origin-bound tokens"));
  CHECK(world.memberd->stop() == 0);
}

TEST_CASE("A damaged pos-tokens file stops memberd naming the file and line", "[web][pos_token]") {
  pma::test::TempDir state;
  {
    std::ofstream file(state.file("pos-tokens"));
    file << "# comment\npt-0123abcd https://pos.example.com 1796300000 not-a-digest\n";
  }
  pma::test::MemberdOptions options;
  options.state_dir = state.path().string();
  options.demo_members = -1;
  pma::test::MemberdProcess memberd(options);
  CHECK_FALSE(memberd.wait_ready(std::chrono::seconds(10)));
  CHECK_THAT(memberd.log(), Catch::Contains("pos-tokens' line 2: expected '<id> <origin> "
                                            "<created unix seconds> <sha-256 hex>'"));
}
