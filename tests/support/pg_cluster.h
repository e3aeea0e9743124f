// A throwaway PostgreSQL 15 cluster for tests: initdb in a temporary folder, the postmaster a
// child of the test process on a free 127.0.0.1 port with its unix socket inside that folder,
// fsync off, stopped and removed on destruction (also when a test fails and unwinds). When
// the test runs as root (CI does) the cluster runs as `nobody`: postgres refuses root. The
// postmaster gets SIGQUIT if the test process dies, so a crashed test leaves no server behind.
// Nothing here assumes a system cluster. Not thread-safe: one thread starts and stops it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

namespace pma::test {

class PgCluster {
 public:
  // The binaries of Debian's postgresql-15.
  static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

  // initdb and start; throws std::runtime_error naming the step and its log on failure.
  PgCluster();
  ~PgCluster();
  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  // Whether PostgreSQL 15's binaries are installed (a test prints "SKIPPED: ..." otherwise).
  static bool available();
  // One cluster for the whole test process, started on first use and stopped at exit.
  static PgCluster& shared();

  // A new, empty database; returns its postgresql:// URI.
  std::string create_database(const std::string& name);
  // The URI of a database (TCP on 127.0.0.1, user kUser, no password: trust inside the box).
  std::string uri(const std::string& database) const;
  int port() const { return port_; }
  const std::filesystem::path& folder() const { return folder_; }

  static constexpr const char* kUser = "pma";

 private:
  bool start();  // false: the postmaster exited before it was ready (a port taken meanwhile)
  void stop();
  std::filesystem::path folder_;
  int port_ = 0;
  pid_t postmaster_ = -1;
  bool as_nobody_ = false;
};

}  // namespace pma::test
