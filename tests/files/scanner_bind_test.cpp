// Item 17: a TCP scanner listens on loopback only, unless its [[scanner]] says allow_remote =
// true; otherwise the config is refused naming the file, line and key, and a TcpScanner built
// directly does not listen either.
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>

#include "agent/config/config.h"
#include "drivers/scanner/tcp_scanner.h"
#include "tests/support/memberd_process.h"
#include "tests/support/temp_dir.h"

using namespace pma;

namespace {

std::string tcp_scanner_toml(const std::string& bind, const std::string& extra = "") {
  return "[store]\nid = \"S1\"\n\n[[scanner]]\nname = \"network\"\nkind = \"tcp\"\n"
         "port = 9101\nbind_address = \"" +
         bind + "\"\n" + extra;
}

scanner::ScannerConfig tcp_config(const std::string& bind) {
  scanner::ScannerConfig config;
  config.name = "network";
  config.kind = scanner::ScannerKind::tcp;
  config.bind_address = bind;
  config.port = 0;
  config.allow_ephemeral_port = true;
  return config;
}

}  // namespace

TEST_CASE("A TCP scanner on a non-loopback address is refused naming file, line and key",
          "[files][scanner]") {
  for (const char* bind : {"0.0.0.0", "192.168.1.20", "::", "fe80::1"}) {
    INFO(bind);
    auto config = config::parse_config(tcp_scanner_toml(bind), "memberd.toml");
    REQUIRE_FALSE(config);
    CHECK(config.error().code == "config_bad_value");
    CHECK_THAT(config.error().message,
               Catch::StartsWith("memberd.toml:8: scanner.bind_address: scanner 'network': "
                                 "bind_address '" +
                                 std::string(bind) + "' is not a loopback address") &&
                   Catch::Contains("allow_remote = true"));
  }
  auto name = config::parse_config(tcp_scanner_toml("scanner.local"), "memberd.toml");
  REQUIRE_FALSE(name);
  CHECK_THAT(name.error().message, Catch::Contains("is not an IP address"));
}

TEST_CASE("Loopback addresses, or allow_remote = true, are accepted", "[files][scanner]") {
  for (const char* bind : {"127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"}) {
    INFO(bind);
    auto config = config::parse_config(tcp_scanner_toml(bind), "memberd.toml");
    REQUIRE(config);
  }
  auto remote =
      config::parse_config(tcp_scanner_toml("0.0.0.0", "allow_remote = true\n"), "memberd.toml");
  INFO((remote ? std::string() : remote.error().message));
  REQUIRE(remote);
  CHECK(remote->scanners.at(0).bind_address == "0.0.0.0");
}

TEST_CASE("A TcpScanner does not listen on 0.0.0.0 unless allowed", "[files][scanner]") {
  boost::asio::io_context io;
  auto refused = scanner::TcpScanner::create(io, tcp_config("0.0.0.0"), [](auto&&) {});
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == "invalid_scanner_config");

  scanner::TcpScanner direct(io, tcp_config("0.0.0.0"), [](auto&&) {}, {});
  auto started = direct.start();
  CHECK_FALSE(started);
  CHECK(direct.local_port() == 0);
  CHECK(direct.state() == scanner::ScannerState::error);

  // Allowed in the config: it listens on every address.
  int port = test::free_port();
  auto remote = config::parse_config(
      "[[scanner]]\nname = \"network\"\nkind = \"tcp\"\nbind_address = \"0.0.0.0\"\n"
      "allow_remote = true\nport = " +
          std::to_string(port) + "\n",
      "memberd.toml");
  REQUIRE(remote);
  auto allowed = scanner::TcpScanner::create(io, remote->scanners.at(0), [](auto&&) {});
  REQUIRE(allowed);
  REQUIRE((*allowed)->start());
  CHECK((*allowed)->local_port() == port);
}

TEST_CASE("memberd --check-config refuses a TCP scanner on 0.0.0.0", "[files][scanner]") {
  test::TempDir dir;
  std::string path = dir.file("memberd.toml");
  std::ofstream(path) << tcp_scanner_toml("0.0.0.0");
  std::string command = std::string(PMA_MEMBERD) + " --check-config --config " + path + " 2>&1";
  FILE* out = ::popen(command.c_str(), "r");
  REQUIRE(out != nullptr);
  std::string text;
  char chunk[512];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, out)) text.append(chunk, n);
  int status = ::pclose(out);
  INFO(text);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 2);
  CHECK_THAT(text, Catch::Contains(path + ":8: scanner.bind_address: scanner 'network': "
                                          "bind_address '0.0.0.0' is not a loopback address"));
}
