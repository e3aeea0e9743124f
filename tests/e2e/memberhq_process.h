// A real memberhq child process for end-to-end tests: a chain CA made in its own folder,
// terminal certificates on request, `memberhq serve` on a free loopback port, SIGTERM on
// destruction. Single-threaded test use.
#pragma once

#include <sys/types.h>

#include <string>

#include "agent/api/http_client.h"
#include "pma/v1/api.pb.h"
#include "tests/support/temp_dir.h"

namespace pma::test {

class MemberhqProcess {
 public:
  // Creates the CA and a certificate for S001/T01, then starts serving.
  MemberhqProcess();
  ~MemberhqProcess();
  MemberhqProcess(const MemberhqProcess&) = delete;
  MemberhqProcess& operator=(const MemberhqProcess&) = delete;

  // Issues a terminal certificate (once per store/terminal).
  void issue(const std::string& store, const std::string& terminal);
  // A memberd [sync] section for that terminal (certificate issued on first use). The schedule
  // is slowed down so tests decide when syncs happen (POST /v1/sync).
  std::string sync_config(const std::string& store = "S001", const std::string& terminal = "T01");
  // Runs `memberhq ARGS --db hq.db` in its folder; returns the exit code, output in `output`.
  int command(const std::string& args, std::string* output = nullptr);
  // SIGSTOP / SIGCONT: a hung HQ (the socket stays open, nothing answers).
  void freeze();
  void thaw();

  TempDir dir;
  int port;

 private:
  pid_t pid_ = -1;
  bool frozen_ = false;
};

// GET /v1/sync of a memberd, parsed.
pma::v1::SyncState sync_state(api::HttpClient& client);
// Asks memberd to sync now (POST /v1/sync) and waits (generously) for the run to end.
pma::v1::SyncState sync_now(api::HttpClient& client);

}  // namespace pma::test
