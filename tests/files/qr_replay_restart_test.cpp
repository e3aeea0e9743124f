// Item 16 with the real memberd: a dynamic member QR looked up once is refused as replayed
// after memberd restarts on the same state folder.
#include <catch2/catch.hpp>
#include <chrono>

#include "drivers/codes/crypto.h"
#include "drivers/codes/member_qr.h"
#include "tests/support/memberd_process.h"
#include "tests/support/temp_dir.h"

using namespace pma;

TEST_CASE("memberd refuses a member QR used before its restart", "[files][qr][e2e]") {
  test::TempDir keys;
  auto hq = codes::Ed25519PrivateKey::generate().value();
  REQUIRE(hq.public_key().write_pem_file(keys.file("hq-1.pub.pem")));
  const std::string toml = "[codes.hq_keys]\n\"1\" = \"" + keys.file("hq-1.pub.pem") + "\"\n";
  auto app = codes::Ed25519PrivateKey::generate().value();
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  auto credential =
      codes::issue_credential(hq, 1, "M00000003", app.public_key(), now + 3600).value();
  // Drawn for the current step; accepted within +/-1 step, so the restart has ~30 s or more.
  const std::string body =
      "{\"code\":\"" + codes::make_member_qr(credential, app, codes::time_step_at(now)).value() +
      "\"}";

  test::TempDir dir;
  std::string state = dir.file("state");
  {
    test::MemberdProcess memberd(
        test::MemberdOptions{.extra_toml = toml, .demo_members = 20, .state_dir = state});
    REQUIRE(memberd.wait_ready());
    auto first = memberd.client().request("POST", "/v1/members/lookup", body);
    REQUIRE(first);
    INFO(first->body);
    CHECK(first->status == 200);
    CHECK_THAT(first->body, Catch::Contains("M00000003"));
    CHECK(memberd.stop() == 0);
  }
  test::MemberdProcess restarted(
      test::MemberdOptions{.extra_toml = toml, .demo_members = -1, .state_dir = state});
  REQUIRE(restarted.wait_ready());
  auto again = restarted.client().request("POST", "/v1/members/lookup", body);
  REQUIRE(again);
  INFO(again->body);
  CHECK(again->status != 200);
  CHECK_THAT(again->body, Catch::Contains("qr_replayed"));
}
