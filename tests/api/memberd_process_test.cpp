#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>

#include "api/http_client.h"
#include "config/state_files.h"
#include "support/temp_dir.h"

namespace {

// Starts memberd as a real child process with stdout+stderr to `log`.
pid_t spawn_memberd(const std::string& config, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(STDOUT_FILENO, STDERR_FILENO);
    execl(PMA_MEMBERD, "memberd", "--config", config.c_str(), "--demo", "50", nullptr);
    _exit(127);
  }
  return pid;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE("memberd serves lookups and exits cleanly on SIGTERM", "[memberd]") {
  pma::test::TempDir dir;
  // A fixed port from the dynamic range keyed on the pid keeps parallel test runs apart.
  int port = 20000 + (getpid() % 20000);
  std::string config = dir.file("memberd.toml");
  std::ofstream(config) << "[state]\ndir = \"" << dir.file("state") << "\"\n[api]\nport = " << port
                        << "\n[log]\nlevel = \"debug\"\n";
  std::string log = dir.file("memberd.log");
  pid_t pid = spawn_memberd(config, log);
  REQUIRE(pid > 0);

  // Wait (generously) for the token file and the API to come up.
  std::optional<pma::api::HttpClient> client;
  for (int i = 0; i < 200 && !client; ++i) {
    if (auto token = pma::config::read_secret(dir.file("state") + "/api-token")) {
      pma::api::HttpClient c("127.0.0.1", static_cast<std::uint16_t>(port), *token);
      if (c.request("GET", "/v1/health")) client.emplace(std::move(c));
    }
    if (!client) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(client);
  auto reply = client->request("POST", "/v1/members/lookup", R"({"code":"M00000001"})");
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK_THAT(reply->body, Catch::Contains("\"memberId\":\"M00000001\""));
  // A phone lookup must not leak into the log.
  REQUIRE(client->request("POST", "/v1/members/lookup", R"({"phone":"13912345678"})"));

  REQUIRE(kill(pid, SIGTERM) == 0);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  std::string text = read_file(log);
  INFO(text);
  CHECK_THAT(text, Catch::Contains("stopped cleanly"));
  CHECK(text.find("13912345678") == std::string::npos);
}
