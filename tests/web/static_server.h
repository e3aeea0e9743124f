// A loopback HTTP server for the browser tests that serves the files of one folder (GET only),
// as a POS vendor's web server would serve the till page from its own origin. Runs its own
// io_context on a thread of its own until destroyed; the folder must not change meanwhile.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <thread>

namespace pma::test {

class StaticServer {
 public:
  explicit StaticServer(std::string root);
  ~StaticServer();
  StaticServer(const StaticServer&) = delete;
  StaticServer& operator=(const StaticServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>": the origin its pages have.
  std::string origin() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string root_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace pma::test
