// A real memberd child process for end-to-end tests: its own state folder and config, a port
// of its own, stdout+stderr captured to a file, SIGTERM on destruction.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "api/http_client.h"
#include "support/temp_dir.h"

namespace pma::test {

class MemberdProcess {
 public:
  // extra_toml is appended to the generated config ([state], [api] and [log] are set here).
  explicit MemberdProcess(const std::string& extra_toml, int demo_members = 50);
  ~MemberdProcess();

  // Waits (generously) until the API answers; false if it never did.
  bool wait_ready();
  api::HttpClient client() const;
  // Sends SIGTERM and returns the exit status (or -1).
  int stop();
  std::string log() const;

  int port() const { return port_; }
  const std::string& token() const { return token_; }
  TempDir dir;

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string token_;
};

// A free loopback TCP port (bound and released; good enough for tests on one machine).
int free_port();

}  // namespace pma::test
