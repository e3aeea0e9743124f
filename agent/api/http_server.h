// The local HTTP/1.1 API server (Boost.Beast): loopback only, keep-alive, Host, Origin and bearer
// token checked on every request's header before its body is read, headers and bodies capped,
// connections capped, accept failures (out of descriptors) backed off, graceful stop. This is
// the listener (as in Beast's examples): each connection is an HttpSession (http_session.h),
// which hands a WebSocket upgrade of /v1/events to an EventSession (event_session.h).
// Lives on one io_context thread; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/api/event_hub.h"
#include "agent/api/http_session.h"
#include "agent/api/pos_tokens.h"
#include "agent/api/request_guard.h"
#include "agent/api/router.h"
#include "agent/log/repeat_limiter.h"
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
  // Open connections (HTTP and event streams) at most; at the cap a new connection closes the
  // longest-idle one, or is answered 503 "too_many_connections" when none is idle.
  std::size_t max_connections = 256;
  // Origins a browser page may call from (WebSocket upgrades included); empty: none.
  std::vector<std::string> allowed_origins;
  // Origin-bound tokens of browser tills (null: none); must outlive the server.
  const PosTokens* pos_tokens = nullptr;
  // The clock for rate-limited log lines (tests may pass their own).
  std::function<std::chrono::steady_clock::time_point()> now = std::chrono::steady_clock::now;
};

// Largest request line plus header fields; beyond it the answer is 431 "header_too_large".
inline constexpr std::size_t kMaxHeaderBytes = 16384;

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

  std::size_t open_connections() const { return sessions_.size() - evicted_; }

  // Serves GET /v1/events as a WebSocket stream from `hub` (which must outlive the server).
  // The POS may pass the token as "Authorization: Bearer" or, since browsers cannot set
  // headers on a WebSocket, as ?access_token=...; ?since=<seq> replays what it missed.
  void set_event_hub(EventHub* hub) { shared_.hub = hub; }

  // Counters for /metrics and status.
  std::uint64_t requests_served() const { return shared_.requests; }
  std::uint64_t accept_failures() const { return accept_failures_; }

 private:
  void accept();
  void accept_failed(const boost::system::error_code& ec);
  void admit_connection(boost::asio::ip::tcp::socket socket);
  bool evict_idle_connection();
  void refuse_connection(boost::asio::ip::tcp::socket socket);
  void session_ended(HttpSession* session);
  // Logs through the repeat limiter: at most a few lines of `key` per window.
  void log_limited(int level, std::string_view key, std::string message);

  boost::asio::io_context& io_;
  HttpServerOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  SessionShared shared_;  // the router, guard, hub and counters every session uses
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::function<void()> on_stopped_;
  std::set<HttpSession*> sessions_;
  std::size_t evicted_ = 0;  // sessions closed to make room whose coroutine has not ended yet
  // Connections being answered 503 and closed; shared, as they may outlive the server.
  std::shared_ptr<std::size_t> refusing_ = std::make_shared<std::size_t>(0);
  // Accept failures: the current episode (first failure to next success) and its back-off.
  boost::asio::steady_timer accept_timer_;
  std::chrono::milliseconds accept_delay_{0};
  std::uint64_t episode_failures_ = 0;
  std::chrono::steady_clock::time_point episode_start_{};
  std::uint64_t accept_failures_ = 0;
  log::RepeatLimiter limiter_;
};

}  // namespace pma::api
