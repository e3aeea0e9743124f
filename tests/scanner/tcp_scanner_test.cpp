#include "drivers/scanner/tcp_scanner.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <catch2/catch.hpp>

#include "tests/scanner/scanner_test_util.h"

namespace {

using boost::asio::ip::tcp;
using pma::scanner::ScanEvent;
using pma::scanner::ScannerConfig;
using pma::scanner::ScannerState;
using pma::scanner::TcpScanner;
using pma::scanner::test::run_until;

ScannerConfig tcp_config() {
  ScannerConfig config;
  config.name = "forwarder";
  config.kind = pma::scanner::ScannerKind::tcp;
  config.bind_address = "127.0.0.1";
  config.port = 0;
  config.allow_ephemeral_port = true;
  config.terminator = pma::scanner::Terminator::lf;
  return config;
}

// A client on its own io_context; connect and write complete in the kernel (loopback), so the
// scanner's loop need not run meanwhile.
struct Client {
  boost::asio::io_context io;
  tcp::socket socket{io};
  explicit Client(std::uint16_t port) {
    socket.connect(tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }
  void send(std::string_view bytes) { boost::asio::write(socket, boost::asio::buffer(bytes)); }
};

}  // namespace

TEST_CASE("TCP scanner delivers one code per line from each connection", "[scanner][tcp]") {
  boost::asio::io_context io;
  std::vector<ScanEvent> scans;
  auto scanner =
      TcpScanner::create(io, tcp_config(), [&](const ScanEvent& event) { scans.push_back(event); });
  REQUIRE(scanner.has_value());
  REQUIRE((*scanner)->start().has_value());
  REQUIRE((*scanner)->state() == ScannerState::ready);
  REQUIRE((*scanner)->local_port() != 0);

  Client a((*scanner)->local_port());
  Client b((*scanner)->local_port());
  a.send("CODE-A1\nCODE-A");
  b.send("CODE-B1\n");
  REQUIRE(run_until(io, [&] { return scans.size() == 2; }));
  a.send("2\n");  // the rest of a line split across writes
  REQUIRE(run_until(io, [&] { return scans.size() == 3; }));
  std::vector<std::string> codes;
  for (const auto& scan : scans) codes.push_back(scan.code);
  std::sort(codes.begin(), codes.end());
  CHECK(codes == std::vector<std::string>{"CODE-A1", "CODE-A2", "CODE-B1"});
  CHECK(scans[0].device == "forwarder");
  CHECK((*scanner)->connection_count() == 2);

  SECTION("a closed connection is forgotten; garbage is counted; the listener keeps going") {
    a.send(std::string("\xff\xfe\n", 3));
    a.send(std::string(1000, 'x') + "\n");
    a.socket.close();
    REQUIRE(run_until(io, [&] { return (*scanner)->connection_count() == 1; }));
    auto stats = (*scanner)->status().stats;
    CHECK(stats.noise_frames == 1);
    CHECK(stats.oversize == 1);
    Client c((*scanner)->local_port());
    c.send("AFTER\n");
    REQUIRE(run_until(io, [&] { return scans.size() == 4; }));
    CHECK(scans[3].code == "AFTER");
  }
}

TEST_CASE("TCP scanner without terminator ends a code at connection close", "[scanner][tcp]") {
  boost::asio::io_context io;
  std::vector<ScanEvent> scans;
  auto config = tcp_config();
  config.terminator = pma::scanner::Terminator::none;
  config.intercharacter_timeout_ms = 5000;  // so only the close can end the code
  auto scanner =
      TcpScanner::create(io, config, [&](const ScanEvent& event) { scans.push_back(event); });
  REQUIRE(scanner.has_value());
  REQUIRE((*scanner)->start().has_value());
  {
    Client client((*scanner)->local_port());
    client.send("ONESHOT");
  }
  REQUIRE(run_until(io, [&] { return scans.size() == 1; }));
  CHECK(scans[0].code == "ONESHOT");
}

TEST_CASE("TCP scanner reports a port it cannot bind as error with the reason", "[scanner][tcp]") {
  boost::asio::io_context io;
  auto first = TcpScanner::create(io, tcp_config(), {});
  REQUIRE(first.has_value());
  REQUIRE((*first)->start().has_value());
  auto config = tcp_config();
  config.port = (*first)->local_port();
  config.allow_ephemeral_port = false;
  auto second = TcpScanner::create(io, config, {});
  REQUIRE(second.has_value());
  auto started = (*second)->start();
  REQUIRE_FALSE(started.has_value());
  CHECK(started.error().code == "tcp_listen_failed");
  CHECK((*second)->state() == ScannerState::error);
  CHECK((*second)->status().reason.find(std::to_string(config.port)) != std::string::npos);
}
