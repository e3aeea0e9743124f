// Items 13 and 14 with the real memberd: killed (SIGKILL, by ptrace at the system call's entry)
// while it writes or fchmods a secret on its first start, it starts again afterwards; an empty
// phone-hash key next to an existing database is refused with a clear message; the state
// folder and database files end up 0700/0600 under umask 022.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/config/state_files.h"
#include "tests/support/memberd_process.h"
#include "tests/support/syscall_killer.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A config for a first start in `dir`/state.
std::string write_config(const test::TempDir& dir) {
  std::string path = dir.file("memberd.toml");
  std::ofstream(path) << "[state]\ndir = \"" << dir.file("state")
                      << "\"\n[api]\nport = " << test::free_port() << "\n";
  return path;
}

// Runs memberd on `state` as a till would after a restart; its log on failure.
bool starts_on(const std::string& state, std::string* log) {
  test::MemberdProcess memberd(test::MemberdOptions{.demo_members = -1, .state_dir = state});
  bool ready = memberd.wait_ready();
  *log = memberd.log();
  return ready;
}

}  // namespace

TEST_CASE("memberd killed while creating a secret on first start starts again",
          "[files][secrets][crash]") {
  struct Point {
    const char* file;
    long syscall;
    const char* name;
  };
  for (const Point& point :
       {Point{"api-token", SYS_write, "write"}, Point{"api-token", SYS_fchmod, "fchmod"},
        Point{"phone-hash.key", SYS_write, "write"},
        Point{"phone-hash.key", SYS_fchmod, "fchmod"}}) {
    DYNAMIC_SECTION("killed at the " << point.name << " of " << point.file) {
      test::TempDir dir;
      std::string config = write_config(dir);
      std::string file = point.file;
      test::SyscallKiller first({PMA_MEMBERD, "--config", config}, dir.file("first.log"),
                                [&](const test::Syscall& call) {
                                  if (call.number != point.syscall) return false;
                                  auto path = call.fd_path(static_cast<int>(call.args[0]));
                                  return path.find("/" + file) != std::string::npos;
                                });
      REQUIRE(first.wait());

      std::string log;
      bool ready = starts_on(dir.file("state"), &log);
      INFO(log);
      CHECK(ready);
      auto secret = config::read_secret(dir.file("state/" + file));
      CHECK(secret);
      for (const auto& entry : std::filesystem::directory_iterator(dir.file("state"))) {
        CHECK_THAT(entry.path().filename().string(), !Catch::Contains(".tmp."));
      }
    }
  }
}

TEST_CASE("An empty API token or first-start phone-hash key from an older memberd is replaced",
          "[files][secrets]") {
  test::TempDir dir;
  std::string state = dir.file("state");
  REQUIRE(config::ensure_state_dir(state));
  std::ofstream(state + "/api-token") << "";
  std::ofstream(state + "/phone-hash.key") << "";  // and no database yet
  std::string log;
  bool ready = starts_on(state, &log);
  INFO(log);
  CHECK(ready);
  CHECK(config::read_secret(state + "/api-token"));
  CHECK(config::read_secret(state + "/phone-hash.key"));
}

TEST_CASE("An empty phone-hash key next to an existing database stops memberd with the reason",
          "[files][secrets]") {
  test::TempDir dir;
  std::string state = dir.file("state");
  std::string log;
  REQUIRE(starts_on(state, &log));  // creates the key and the database
  std::ofstream(state + "/phone-hash.key", std::ios::trunc) << "";
  test::MemberdProcess memberd(test::MemberdOptions{.demo_members = -1, .state_dir = state});
  CHECK_FALSE(memberd.wait_ready());
  CHECK_THAT(memberd.log(), Catch::Contains("phone-hash key: '" + state +
                                            "/phone-hash.key' is "
                                            "empty") &&
                                Catch::Contains("put the chain's key back"));
  CHECK(std::filesystem::file_size(state + "/phone-hash.key") == 0);  // never replaced
}

TEST_CASE("Under umask 022 memberd keeps its folder 0700 and its database files 0600",
          "[files][modes]") {
  test::TempDir dir;
  std::string state = dir.file("state");
  REQUIRE(::mkdir(state.c_str(), 0755) == 0);
  mode_t old = ::umask(022);  // inherited by memberd
  test::MemberdProcess memberd(test::MemberdOptions{.demo_members = 5, .state_dir = state});
  ::umask(old);
  REQUIRE(memberd.wait_ready());
  CHECK(mode_of(state) == 0700);
  CHECK(mode_of(state + "/agent.db") == 0600);
  CHECK(mode_of(state + "/agent.db-wal") == 0600);
  CHECK(mode_of(state + "/agent.db-shm") == 0600);
  CHECK(mode_of(state + "/api-token") == 0640);
  CHECK(mode_of(state + "/phone-hash.key") == 0600);
}
