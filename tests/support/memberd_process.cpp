#include "tests/support/memberd_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "agent/config/state_files.h"
#include "tests/support/answer_recorder.h"

namespace pma::test {

int free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

MemberdProcess::MemberdProcess(MemberdOptions options) {
  port_ = free_port();
  state_dir_ = options.state_dir.empty() ? dir.file("state") : options.state_dir;
  std::string config = dir.file("memberd.toml");
  std::ofstream(config) << "[state]\ndir = \"" << state_dir_ << "\"\n[api]\nport = " << port_
                        << "\n"
                        << options.api_toml << "\n[log]\nlevel = \"" << options.log_level << "\"\n"
                        << options.extra_toml << "\n";
  std::string log_path = dir.file("memberd.log");
  std::string demo = std::to_string(options.demo_members);
  pid_ = fork();
  if (pid_ == 0) {
    if (std::freopen(log_path.c_str(), "w", stdout) == nullptr) _exit(126);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    // The test's own sockets (a virtual printer's listener, ...) must not live on in memberd.
    close_range(3, ~0U, 0);
    if (options.demo_members >= 0) {
      execl(PMA_MEMBERD, "memberd", "--config", config.c_str(), "--demo", demo.c_str(), nullptr);
    } else {
      execl(PMA_MEMBERD, "memberd", "--config", config.c_str(), nullptr);
    }
    _exit(127);
  }
}

MemberdProcess::~MemberdProcess() { stop(); }

bool MemberdProcess::wait_ready(std::chrono::milliseconds deadline) {
  auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (auto token = config::read_secret(state_dir_ + "/api-token")) {
      api::HttpClient c("127.0.0.1", static_cast<std::uint16_t>(port_), *token);
      if (auto reply = c.request("GET", "/v1/health"); reply && reply->status == 200) {
        token_ = *token;
        return true;
      }
    }
    int status = 0;
    if (pid_ <= 0 || waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

api::HttpClient MemberdProcess::client() const {
  api::HttpClient client("127.0.0.1", static_cast<std::uint16_t>(port_), token_);
  record_answers(client);
  return client;
}

int MemberdProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string MemberdProcess::log() const {
  std::ifstream in(dir.file("memberd.log"));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace pma::test
