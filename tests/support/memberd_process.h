// A real memberd child process for end-to-end tests and benchmarks: its own state folder and
// config, a port of its own, stdout+stderr captured to a file, SIGTERM on destruction.
// Not thread-safe: one test (or benchmark) owns it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>

#include "agent/api/http_client.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

struct MemberdOptions {
  // Appended to the generated config ([state], [api] and [log] are set here).
  std::string extra_toml;
  // Lines of the [api] table after its port (e.g. allowed_origins = [...]).
  std::string api_toml;
  // memberd --demo N: demo members seeded into an empty cache; negative: no --demo flag.
  int demo_members = 50;
  // [state] dir; empty: <dir>/state. A benchmark may point it at a cache it seeded itself.
  std::string state_dir;
  std::string log_level = "debug";  // [log] level
};

class MemberdProcess {
 public:
  // Starts memberd at once.
  explicit MemberdProcess(MemberdOptions options);
  explicit MemberdProcess(const std::string& extra_toml, int demo_members = 50)
      : MemberdProcess(MemberdOptions{.extra_toml = extra_toml, .demo_members = demo_members}) {}
  ~MemberdProcess();
  MemberdProcess(const MemberdProcess&) = delete;
  MemberdProcess& operator=(const MemberdProcess&) = delete;

  // Waits until the API answers GET /v1/health with 200, for at most `deadline` (generous by
  // default: seeding demo members comes first); false if it never did or memberd exited.
  bool wait_ready(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  api::HttpClient client() const;
  // Sends SIGTERM and returns the exit status (or -1).
  int stop();
  // What memberd wrote to stdout and stderr so far.
  std::string log() const;

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  const std::string& state_dir() const { return state_dir_; }
  // The child's process id (e.g. for /proc/<pid>/status), -1 once stopped.
  pid_t pid() const { return pid_; }
  TempDir dir;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string state_dir_;
  std::string token_;
};

// A free loopback TCP port (bound and released; good enough for tests on one machine).
int free_port();

}  // namespace pma::test
