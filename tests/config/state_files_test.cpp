#include "agent/config/state_files.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

using namespace pma::config;

TEST_CASE("A secret is created once with its mode and then read back", "[config][state]") {
  pma::test::TempDir dir;
  std::string path = dir.file("api-token");
  auto first = read_or_create_secret(path, 0640);
  REQUIRE(first);
  CHECK(first->size() == 64);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  auto second = read_or_create_secret(path, 0640);
  REQUIRE(second);
  CHECK(*second == *first);
}

TEST_CASE("An empty secret file is an error, never replaced", "[config][state]") {
  pma::test::TempDir dir;
  std::string path = dir.file("phone-hash.key");
  std::ofstream(path) << "\n";
  auto secret = read_or_create_secret(path, 0600);
  REQUIRE_FALSE(secret);
  CHECK(secret.error().code == "secret_file");
  CHECK_THAT(secret.error().message, Catch::Contains(path));
}

TEST_CASE("The state folder override resolves the default paths", "[config][state]") {
  pma::test::TempDir dir;
  auto config = load_effective_config("", dir.file("state"));
  REQUIRE(config);
  CHECK(config->database_path() == dir.file("state") + "/agent.db");
  CHECK(config->token_path() == dir.file("state") + "/api-token");
  REQUIRE(ensure_state_dir(config->state.dir));
  struct stat st {};
  REQUIRE(::stat(config->state.dir.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}
