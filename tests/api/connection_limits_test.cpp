// Item 10 of issue 11: connections are capped (api.max_connections), and running out of file
// descriptors makes memberd back off and free idle connections instead of spinning on accept.
#include <sys/resource.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/api/api_fixture.h"
#include "tests/api/raw_http.h"
#include "tests/support/memberd_process.h"

using pma::test::ApiFixture;
using pma::test::RawHttpConnection;

namespace {

std::string upgrade_to_events() {
  return std::string(
             "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer ") +
         ApiFixture::kToken + "\r\n\r\n";
}

std::size_t lines_containing(const std::string& text, std::string_view needle) {
  std::istringstream in(text);
  std::size_t count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("At api.max_connections the longest-idle connection makes room for a new client",
          "[api][limits]") {
  ApiFixture f({.max_connections = 8});
  std::vector<std::unique_ptr<RawHttpConnection>> idle;
  for (int i = 0; i < 20; ++i) idle.push_back(std::make_unique<RawHttpConnection>(f.port()));
  auto client = f.client();
  auto reply = client.request("GET", "/v1/health");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  // The first idle connections were closed to make room; the log says so, a few times at most.
  CHECK(idle.front()->closed_by_server());
  std::string logs = f.logs();
  INFO(logs);
  CHECK(lines_containing(logs, "api.max_connections (8) reached") >= 1);
  CHECK(lines_containing(logs, "api.max_connections (8) reached") <= 6);
}

TEST_CASE("Beyond api.max_connections with none idle, a new connection is answered 503",
          "[api][limits]") {
  ApiFixture f({.max_connections = 2});
  std::vector<std::unique_ptr<RawHttpConnection>> streams;
  for (int i = 0; i < 2; ++i) {
    streams.push_back(std::make_unique<RawHttpConnection>(f.port()));
    REQUIRE(streams.back()->send(upgrade_to_events()));
    auto upgraded = streams.back()->read_reply();
    REQUIRE(upgraded);
    REQUIRE(upgraded->result_int() == 101);
  }
  auto client = f.client();
  auto reply = client.request("GET", "/v1/health");
  REQUIRE(reply);
  CHECK(reply->status == 503);
  CHECK_THAT(reply->body, Catch::Contains("\"code\":\"too_many_connections\""));
  // Once an event stream leaves, the next client is served.
  streams.pop_back();
  pma::api::HttpClient later = f.client();
  for (int attempt = 0; attempt < 100; ++attempt) {  // the server notices the close soon
    reply = later.request("GET", "/v1/health");
    REQUIRE(reply);
    if (reply->status == 200) break;
  }
  CHECK(reply->status == 200);
}

TEST_CASE("Out of file descriptors, memberd frees idle connections instead of spinning on accept",
          "[api][limits][e2e]") {
  pma::test::MemberdProcess memberd(pma::test::MemberdOptions{.demo_members = 5});
  REQUIRE(memberd.wait_ready());
  // Leave memberd a few descriptors more than it has open now, as a low LimitNOFILE would.
  std::size_t open = 0;
  for ([[maybe_unused]] const auto& fd :
       std::filesystem::directory_iterator("/proc/" + std::to_string(memberd.pid()) + "/fd")) {
    ++open;
  }
  rlimit limit{open + 24, open + 24};
  REQUIRE(prlimit(memberd.pid(), RLIMIT_NOFILE, &limit, nullptr) == 0);

  std::vector<std::unique_ptr<RawHttpConnection>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawHttpConnection>(static_cast<std::uint16_t>(memberd.port())));
  }
  // A legitimate client behind 200 idle connections is still served (before: its connection
  // waited in the backlog while accept failed in a loop).
  // (A raw connection: it reads with a deadline, so a server that never answers fails the test.)
  RawHttpConnection client(static_cast<std::uint16_t>(memberd.port()));
  REQUIRE(client.send("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                      memberd.token() + "\r\n\r\n"));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->result_int() == 200);
  idle.clear();
  std::string log = memberd.log();
  CHECK(lines_containing(log, "accept failed") >= 1);   // it did run out of descriptors
  CHECK(lines_containing(log, "accept failed") <= 10);  // and said so a few times, not a million
  CHECK(memberd.stop() == 0);
  // The whole life of memberd (start-up, 5 demo members, 200 connections) costs little CPU;
  // spinning on accept burns a core for as long as the clients wait.
  rusage usage{};
  REQUIRE(getrusage(RUSAGE_CHILDREN, &usage) == 0);
  double cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                       static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  CHECK(cpu_seconds < 3.0);
}
