#include "tests/e2e/memberhq_process.h"

#include <google/protobuf/util/json_util.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/support/memberd_process.h"

namespace pma::test {

namespace {

int run(const std::string& command) { return WEXITSTATUS(std::system(command.c_str())); }

}  // namespace

MemberhqProcess::MemberhqProcess() : port(free_port()) {
  std::string quiet = " > " + dir.file("setup.log") + " 2>&1";
  REQUIRE(run("cd " + dir.path().string() + " && " + PMA_MEMBERHQ + " ca init ca" + quiet) == 0);
  issue("S001", "T01");
  pid_ = fork();
  if (pid_ == 0) {
    if (chdir(dir.path().c_str()) != 0) _exit(126);
    if (std::freopen("hq.log", "w", stdout) == nullptr) _exit(126);
    dup2(STDOUT_FILENO, STDERR_FILENO);
    close_range(3, ~0U, 0);  // the test's sockets must not live on in memberhq
    std::string p = std::to_string(port);
    execl(PMA_MEMBERHQ, "memberhq", "serve", "--db", "hq.db", "--ca-dir", "ca", "--listen",
          "127.0.0.1", "--port", p.c_str(), "--admin-port", "0", nullptr);
    _exit(127);
  }
  // Serving only once it says so (a till started earlier would see "connection refused").
  bool listening = false;
  for (int i = 0; i < 600 && !listening; ++i) {
    std::ifstream in(dir.file("hq.log"));
    std::stringstream text;
    text << in.rdbuf();
    listening = text.str().find("listening") != std::string::npos;
    if (!listening) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(listening);
}

MemberhqProcess::~MemberhqProcess() {
  if (pid_ <= 0) return;
  if (frozen_) kill(pid_, SIGCONT);
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
}

void MemberhqProcess::issue(const std::string& store, const std::string& terminal) {
  std::string name = store + "-" + terminal;
  if (std::filesystem::exists(dir.file("t/" + name + ".crt"))) return;
  REQUIRE(run("cd " + dir.path().string() + " && " + PMA_MEMBERHQ + " ca issue " + store + " " +
              terminal + " --dir ca --out t >> " + dir.file("setup.log") + " 2>&1") == 0);
}

std::string MemberhqProcess::sync_config(const std::string& store, const std::string& terminal) {
  issue(store, terminal);
  std::string name = store + "-" + terminal;
  return "[sync]\nhq_host = \"127.0.0.1\"\nhq_port = " + std::to_string(port) + "\nca = \"" +
         dir.file("ca/ca.crt") + "\"\ncert = \"" + dir.file("t/" + name + ".crt") + "\"\nkey = \"" +
         dir.file("t/" + name + ".key") +
         "\"\ntrickle_interval_ms = 600000\nbackoff_initial_ms = 200\n";
}

int MemberhqProcess::command(const std::string& args, std::string* output) {
  std::string out_file = dir.file("command.out");
  int code = run("cd " + dir.path().string() + " && " + PMA_MEMBERHQ + " " + args +
                 " --db hq.db > " + out_file + " 2>&1");
  if (output != nullptr) {
    std::ifstream in(out_file);
    std::stringstream text;
    text << in.rdbuf();
    *output = text.str();
  }
  return code;
}

void MemberhqProcess::freeze() {
  kill(pid_, SIGSTOP);
  frozen_ = true;
}

void MemberhqProcess::thaw() {
  kill(pid_, SIGCONT);
  frozen_ = false;
}

pma::v1::SyncState sync_state(api::HttpClient& client) {
  auto reply = client.request("GET", "/v1/sync");
  REQUIRE(reply);
  pma::v1::SyncState state;
  REQUIRE(google::protobuf::util::JsonStringToMessage(reply->body, &state).ok());
  return state;
}

pma::v1::SyncState sync_now(api::HttpClient& client) {
  auto started = client.request("POST", "/v1/sync");
  REQUIRE(started);
  REQUIRE(started->status == 202);
  for (int i = 0; i < 600; ++i) {
    auto state = sync_state(client);
    if (!state.running() && !state.last_run().empty()) return state;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  FAIL("sync did not finish");
  return {};
}

}  // namespace pma::test
