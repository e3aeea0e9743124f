// memberhq's admin listener: plain HTTP/1.1 (Boost.Beast) on its own address and port, loopback
// by default, answering GET /metrics (Prometheus text format) and GET /health; anything else is
// 404 (405 for another method). One request per connection, bounded in size and time. Runs on
// the io_context thread that owns what the handlers read; the io_context must outlive it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pma/error.h"

namespace pma::hq {

struct AdminReply {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

struct AdminHandlers {
  std::function<AdminReply()> metrics;  // GET /metrics
  std::function<AdminReply()> health;   // GET /health
};

class AdminServer {
 public:
  AdminServer(boost::asio::io_context& io, std::string listen, std::uint16_t port,
              AdminHandlers handlers);
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts accepting; returns the bound port (port 0 picks one). Errors: "listen".
  Result<std::uint16_t> start();
  // Stops accepting and closes open connections.
  void stop();

  struct State;  // internal: the acceptor and the handlers, shared with connections

 private:
  boost::asio::io_context& io_;
  std::string listen_;
  std::uint16_t port_;
  std::shared_ptr<State> state_;
};

// The Prometheus text format's media type.
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace pma::hq
