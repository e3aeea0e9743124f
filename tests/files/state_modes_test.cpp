// Items 13 and 14 at the function level: secrets written atomically with exactly their mode,
// empty leftovers of an older memberd, and 0700/0600 on the state folder and database files
// whatever the umask.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/config/state_files.h"
#include "agent/store/member_store.h"
#include "agent/store/sqlite.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Sets the process umask for a scope (tests run one at a time in this binary).
struct Umask {
  explicit Umask(mode_t mask) : old(::umask(mask)) {}
  ~Umask() { ::umask(old); }
  mode_t old;
};

std::vector<std::string> names_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("A new secret has exactly its mode under any umask and leaves no temp file",
          "[files][secrets]") {
  for (mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    Umask umask(mask);
    test::TempDir dir;
    auto token = config::read_or_create_secret(dir.file("api-token"), 0640);
    REQUIRE(token);
    CHECK(mode_of(dir.file("api-token")) == 0640);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"api-token"});
  }
}

TEST_CASE("A temp file left by a start killed before the rename is removed and ignored",
          "[files][secrets]") {
  test::TempDir dir;
  std::ofstream(dir.file("phone-hash.key.tmp.Ab12Cd")) << "";  // killed before its write
  auto key = config::read_or_create_secret(dir.file("phone-hash.key"), 0600);
  REQUIRE(key);
  CHECK(names_in(dir.path()) == std::vector<std::string>{"phone-hash.key"});
  CHECK(*config::read_secret(dir.file("phone-hash.key")) == *key);
}

TEST_CASE("An existing 0755 state folder is tightened to 0700", "[files][modes]") {
  Umask umask(022);
  test::TempDir dir;
  std::string state = dir.file("state");
  REQUIRE(::mkdir(state.c_str(), 0755) == 0);
  REQUIRE(mode_of(state) == 0755);
  REQUIRE(config::ensure_state_dir(state));
  CHECK(mode_of(state) == 0700);
  std::string fresh = dir.file("fresh/state");
  REQUIRE(config::ensure_state_dir(fresh));
  CHECK(mode_of(fresh) == 0700);
}

TEST_CASE("Database files are 0600 under umask 022, also when an older build left them 0644",
          "[files][modes]") {
  Umask umask(022);
  test::TempDir dir;
  std::string path = dir.file("agent.db");
  {
    auto db = store::open_store(path);
    REQUIRE(db);
    REQUIRE((*db)->exec("CREATE TABLE t(x); INSERT INTO t VALUES (1);"));
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(path + "-wal") == 0600);
    CHECK(mode_of(path + "-shm") == 0600);
  }
  // What an older memberd left under umask 022.
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    if (std::filesystem::exists(file)) REQUIRE(::chmod(file.c_str(), 0644) == 0);
  }
  auto db = store::open_store(path);
  REQUIRE(db);
  REQUIRE((*db)->exec("INSERT INTO t VALUES (2);"));
  CHECK(mode_of(path) == 0600);
  CHECK(mode_of(path + "-wal") == 0600);
  CHECK(mode_of(path + "-shm") == 0600);
}
