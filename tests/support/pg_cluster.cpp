#include "tests/support/pg_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

namespace pma::test {

namespace {

constexpr uid_t kNobody = 65534;

std::string bin(const char* name) { return std::string(PgCluster::kBinDir) + "/" + name; }

// argv run as the cluster's owner: through setpriv when we are root (postgres refuses root),
// with the parent-death signal set after the switch (a uid change clears an earlier one).
std::vector<std::string> as_owner(bool as_nobody, std::vector<std::string> argv) {
  if (!as_nobody) return argv;
  std::vector<std::string> wrapped = {"/usr/bin/setpriv", "--reuid=65534",       "--regid=65534",
                                      "--clear-groups",   "--pdeathsig=SIGQUIT", "--"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

// Forks and execs argv with stdout and stderr to log (appended); returns the child's pid.
pid_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("pg_cluster: fork failed");
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0666);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    // The cluster's owner reads the folder it runs in; it cannot read root's cwd.
    if (chdir("/") != 0) _exit(126);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void run(const char* step, const std::vector<std::string>& argv, const std::filesystem::path& log) {
  const pid_t pid = spawn(argv, log);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(std::string("pg_cluster: ") + step + " failed:\n" + read_file(log));
  }
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("pg_cluster: no free port on 127.0.0.1");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

bool PgCluster::available() { return access(bin("postgres").c_str(), X_OK) == 0; }

PgCluster& PgCluster::shared() {
  static PgCluster cluster;
  return cluster;
}

PgCluster::PgCluster() {
  std::string pattern = (std::filesystem::temp_directory_path() / "pma-pg-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("pg_cluster: mkdtemp failed");
  folder_ = pattern;
  as_nobody_ = geteuid() == 0;
  try {
    if (as_nobody_ && chown(folder_.c_str(), kNobody, kNobody) != 0) {
      throw std::runtime_error("pg_cluster: cannot chown " + folder_.string() + " to nobody");
    }
    // initdb refuses a data folder that exists and is not empty; it creates "data" itself.
    run("initdb",
        as_owner(as_nobody_, {bin("initdb"), "-D", (folder_ / "data").string(), "-U", kUser, "-A",
                              "trust", "-E", "UTF8", "--locale=C", "--no-sync"}),
        folder_ / "initdb.log");
    for (int attempt = 0;; ++attempt) {
      if (start()) break;
      if (attempt == 4) {
        throw std::runtime_error("pg_cluster: postgres did not start:\n" +
                                 read_file(folder_ / "postgres.log"));
      }
    }
  } catch (...) {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
    throw;
  }
}

bool PgCluster::start() {
  port_ = free_port();
  const std::filesystem::path data = folder_ / "data";
  postmaster_ =
      spawn(as_owner(as_nobody_, {bin("postgres"), "-D", data.string(), "-p", std::to_string(port_),
                                  "-k", folder_.string(), "-c", "listen_addresses=127.0.0.1", "-c",
                                  "fsync=off", "-c", "synchronous_commit=off", "-c",
                                  "full_page_writes=off", "-c", "max_connections=100"}),
            folder_ / "postgres.log");
  // Ready when postmaster.pid's status line (the 8th) says so: what pg_ctl -w waits for.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(postmaster_, &status, WNOHANG) == postmaster_) {
      postmaster_ = -1;
      return false;
    }
    std::istringstream lines(read_file(data / "postmaster.pid"));
    std::string line;
    for (int i = 0; i < 8 && std::getline(lines, line); ++i) {
    }
    if (line.starts_with("ready")) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop();
  return false;
}

void PgCluster::stop() {
  if (postmaster_ <= 0) return;
  // Fast shutdown: sessions are ended, nothing is kept (the folder goes next).
  kill(postmaster_, SIGINT);
  int status = 0;
  while (waitpid(postmaster_, &status, 0) < 0 && errno == EINTR) {
  }
  postmaster_ = -1;
}

PgCluster::~PgCluster() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

std::string PgCluster::uri(const std::string& database) const {
  return "postgresql://" + std::string(kUser) + "@127.0.0.1:" + std::to_string(port_) + "/" +
         database;
}

std::string PgCluster::create_database(const std::string& name) {
  run("createdb",
      as_owner(as_nobody_, {bin("createdb"), "-h", folder_.string(), "-p", std::to_string(port_),
                            "-U", kUser, name}),
      folder_ / "createdb.log");
  return uri(name);
}

}  // namespace pma::test
