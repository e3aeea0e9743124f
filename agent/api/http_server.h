// The local HTTP/1.1 API server (Boost.Beast): loopback only, keep-alive, bearer token on every
// request, bodies capped, graceful stop. Lives on one io_context thread; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "api/event_hub.h"
#include "api/router.h"
#include "pma/error.h"

namespace spdlog {
class logger;
}

namespace pma::api {

struct HttpServerOptions {
  std::string listen = "127.0.0.1";
  std::uint16_t port = 8765;  // 0: pick a free port (tests)
  std::string token;          // the bearer token every request must carry
  std::size_t max_body_bytes = 262144;
  std::chrono::milliseconds idle_timeout{30000};
};

class HttpServer {
 public:
  // The router and logger must outlive the server.
  HttpServer(boost::asio::io_context& io, const Router& router, HttpServerOptions options,
             std::shared_ptr<spdlog::logger> logger);
  ~HttpServer();

  // Binds and starts accepting. Errors: "api_bind" naming the address and the OS error.
  Status start();
  // The bound port (useful with port 0).
  std::uint16_t port() const { return port_; }

  // Stops accepting, closes idle keep-alive connections, lets a request being answered finish,
  // then calls on_stopped (once no connection is left).
  void stop(std::function<void()> on_stopped);

  std::size_t open_connections() const { return sessions_.size(); }

  // Serves GET /v1/events as a WebSocket stream from `hub` (which must outlive the server).
  // The POS may pass the token as "Authorization: Bearer" or, since browsers cannot set
  // headers on a WebSocket, as ?access_token=...; ?since=<seq> replays what it missed.
  void set_event_hub(EventHub* hub) { hub_ = hub; }

  // Counters for /metrics and status.
  std::uint64_t requests_served() const { return requests_; }

 private:
  struct Session;
  void accept();
  void run_session(std::shared_ptr<Session> session);
  void session_ended(Session* session);
  struct EventStream;

  EventHub* hub_ = nullptr;

  boost::asio::io_context& io_;
  const Router& router_;
  HttpServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  bool stopping_ = false;
  std::function<void()> on_stopped_;
  std::set<Session*> sessions_;
  std::uint64_t requests_ = 0;
};

}  // namespace pma::api
