// Item 18: a commit whose answer never reached the till app (memberd killed by SIGKILL after
// the COMMIT, at the entry of the send of its response) is on disk; the retry with the same
// txnId after the restart answers with that very response, byte for byte, and commits nothing
// twice.
#include <sys/syscall.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "agent/api/http_client.h"
#include "agent/config/state_files.h"
#include "tests/support/memberd_process.h"
#include "tests/support/syscall_killer.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

const std::string kCommit =
    R"({"txnId":"POS-LOST-1","memberId":"M00000001","lines":[{"sku":"BREAD-1","qty":2,)"
    R"("unitPriceFen":1500,"category":"bread","discountable":true}],"pointsToBurn":0})";

bool is_send(long number) {
  return number == SYS_write || number == SYS_writev || number == SYS_sendmsg ||
         number == SYS_sendto;
}

}  // namespace

TEST_CASE("A commit whose response was lost is answered byte for byte on retry", "[files][e2e]") {
  test::TempDir dir;
  std::string state = dir.file("state");
  int port = test::free_port();
  std::string config = dir.file("memberd.toml");
  std::ofstream(config) << "[state]\ndir = \"" << state << "\"\n[api]\nport = " << port << "\n";
  std::atomic<bool> armed = false;
  std::string response;  // what memberd was about to send; read after wait()
  test::SyscallKiller memberd(
      {PMA_MEMBERD, "--config", config, "--demo", "20"}, dir.file("first.log"),
      [&](const test::Syscall& call) {
        if (!armed || !is_send(call.number)) return false;
        if (!call.fd_path(static_cast<int>(call.args[0])).starts_with("socket:")) return false;
        response = call.written_bytes();
        return response.starts_with("HTTP/1.1 ");
      });

  // Ready: the health check answers (through the tracer, not killed yet).
  std::string token;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool ready = false;
  while (!ready && std::chrono::steady_clock::now() < deadline) {
    if (auto t = config::read_secret(state + "/api-token")) {
      token = *t;
      api::HttpClient health("127.0.0.1", static_cast<std::uint16_t>(port), token);
      auto reply = health.request("GET", "/v1/health");
      ready = reply && reply->status == 200;
    }
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(ready);

  armed = true;
  api::HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port), token);
  auto lost = client.request("POST", "/v1/checkout/commit", kCommit);
  CHECK_FALSE(lost);  // the connection dropped: outcome unknown
  REQUIRE(memberd.wait());
  INFO(response);
  REQUIRE(response.starts_with("HTTP/1.1 200"));
  std::size_t header_end = response.find("\r\n\r\n");
  REQUIRE(header_end != std::string::npos);
  std::string first_body = response.substr(header_end + 4);
  REQUIRE_THAT(first_body, Catch::Contains("\"newBalance\""));

  test::MemberdProcess restarted(test::MemberdOptions{.demo_members = -1, .state_dir = state});
  REQUIRE(restarted.wait_ready());
  auto retry = restarted.client().request("POST", "/v1/checkout/commit", kCommit);
  REQUIRE(retry);
  INFO(retry->body);
  CHECK(retry->status == 200);
  CHECK(retry->body == first_body);
  // Still the one commit: a third attempt is the same replay.
  auto again = restarted.client().request("POST", "/v1/checkout/commit", kCommit);
  REQUIRE(again);
  CHECK(again->body == first_body);
}
