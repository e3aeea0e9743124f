// Item 13 at the function level: what read_or_create_secret does with an empty secret an
// older memberd left (OnEmpty), and with a short one.
#include <catch2/catch.hpp>
#include <fstream>

#include "agent/config/state_files.h"
#include "tests/support/temp_dir.h"

using namespace pma;

TEST_CASE("An empty secret from an older memberd is replaced only when that is safe",
          "[files][secrets]") {
  test::TempDir dir;
  std::ofstream(dir.file("api-token")) << "";
  auto token =
      config::read_or_create_secret(dir.file("api-token"), 0640, config::OnEmpty::regenerate);
  REQUIRE(token);
  CHECK(token->size() == 64);

  std::ofstream(dir.file("phone-hash.key")) << "\n";
  auto key = config::read_or_create_secret(dir.file("phone-hash.key"), 0600);
  REQUIRE_FALSE(key);
  CHECK(key.error().code == "secret_file");
  CHECK_THAT(key.error().message, Catch::Contains(dir.file("phone-hash.key")) &&
                                      Catch::Contains("is empty") &&
                                      Catch::Contains("chain's key"));
  // A short but non-empty secret is never taken for a leftover.
  std::ofstream(dir.file("short")) << "abc\n";
  auto short_one =
      config::read_or_create_secret(dir.file("short"), 0600, config::OnEmpty::regenerate);
  REQUIRE_FALSE(short_one);
  CHECK_THAT(short_one.error().message, Catch::Contains("holds 3 characters"));
}
