#include "agent/api/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "agent/api/cors.h"
#include "agent/api/json.h"
#include "agent/api/request_guard.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kFirstAcceptDelay{5};
constexpr std::chrono::milliseconds kMaxAcceptDelay{1000};

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpServerOptions options,
                       std::shared_ptr<spdlog::logger> logger)
    : io_(io),
      options_(std::move(options)),
      log_(std::move(logger)),
      shared_{.router = router, .options = options_, .log = *log_},
      acceptor_(io),
      accept_timer_(io) {
  shared_.log_limited = [this](int level, std::string_view key, std::string message) {
    log_limited(level, key, std::move(message));
  };
  shared_.ended = [this](HttpSession* session) { session_ended(session); };
}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  boost::system::error_code ec;
  auto address =
      asio::ip::make_address(options_.listen == "localhost" ? "127.0.0.1" : options_.listen, ec);
  if (ec)
    return fail(err::api_bind, "bad listen address '" + options_.listen + "': " + ec.message());
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail(err::api_bind, "cannot listen on " + options_.listen + ":" +
                                   std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  // The agent's own origin too: its status page (GET /) opens the event stream from there.
  shared_.origins = cors::effective_origins(options_.allowed_origins, options_.listen, port_);
  shared_.guard =
      std::make_unique<RequestGuard>(RequestGuardOptions{.listen = options_.listen,
                                                         .port = port_,
                                                         .token = options_.token,
                                                         .allowed_origins = shared_.origins,
                                                         .pos_tokens = options_.pos_tokens});
  accept();
  return {};
}

void HttpServer::log_limited(int level, std::string_view key, std::string message) {
  auto decision = limiter_.admit(key, options_.now());
  if (!decision.log) return;
  if (decision.suppressed > 0) {
    message += fmt::format(" ({} similar lines suppressed)", decision.suppressed);
  }
  log_->log(static_cast<spdlog::level::level_enum>(level), "{}", message);
}

void HttpServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (shared_.stopping || ec == asio::error::operation_aborted) return;
    if (ec) {
      accept_failed(ec);
      return;
    }
    if (episode_failures_ > 0) {
      auto lasted =
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.now() - episode_start_);
      log_limited(spdlog::level::info, "accept_resumed",
                  fmt::format("api: accepting connections again after {} failed accepts in {} ms",
                              episode_failures_, lasted.count()));
      episode_failures_ = 0;
    }
    accept_delay_ = std::chrono::milliseconds(0);
    admit_connection(std::move(socket));
    accept();
  });
}

// A failing accept is never retried at once: out of descriptors, the pending connection stays
// in the backlog and an immediate retry fails again, forever, at 100% CPU. The longest-idle
// connection is closed to free a descriptor (then the retry may be immediate: each retry costs
// a connection, so this ends); with none to close, accepts pause with a growing back-off.
void HttpServer::accept_failed(const boost::system::error_code& ec) {
  ++accept_failures_;
  if (episode_failures_++ == 0) {
    episode_start_ = options_.now();
    log_limited(spdlog::level::warn, "accept_failed",
                fmt::format("api: accept failed: {} ({} API connections open); closing idle "
                            "connections and retrying with back-off up to {} ms",
                            ec.message(), open_connections(), kMaxAcceptDelay.count()));
  }
  if (out_of_descriptors(ec) && evict_idle_connection()) {
    asio::post(io_, [this] {
      if (!shared_.stopping) accept();
    });
    return;
  }
  accept_delay_ =
      accept_delay_.count() == 0 ? kFirstAcceptDelay : std::min(accept_delay_ * 2, kMaxAcceptDelay);
  accept_timer_.expires_after(accept_delay_);
  accept_timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (wait_ec || shared_.stopping) return;
    accept();
  });
}

void HttpServer::admit_connection(tcp::socket socket) {
  if (open_connections() >= options_.max_connections) {
    if (evict_idle_connection()) {
      log_limited(spdlog::level::warn, "connection_cap",
                  fmt::format("api: api.max_connections ({}) reached: closed the longest-idle "
                              "connection to serve a new one",
                              options_.max_connections));
    } else {
      log_limited(spdlog::level::warn, "connection_refused",
                  fmt::format("api: api.max_connections ({}) reached and none idle: a new "
                              "connection was answered 503",
                              options_.max_connections));
      refuse_connection(std::move(socket));
      return;
    }
  }
  auto session = std::make_shared<HttpSession>(std::move(socket), shared_);
  sessions_.insert(session.get());
  session->start();
}

// Closes the connection that has waited longest for a request (never one being answered or an
// event stream); its descriptor is free when this returns. False if none is idle.
bool HttpServer::evict_idle_connection() {
  HttpSession* oldest = nullptr;
  for (HttpSession* session : sessions_) {
    if (!session->idle()) continue;
    if (oldest == nullptr || session->idle_since() < oldest->idle_since()) oldest = session;
  }
  if (oldest == nullptr) return false;
  oldest->evict();
  ++evicted_;
  return true;
}

// Answers 503 on a connection beyond the cap, then closes it, lingering (as for any refusal)
// so the client reads the answer rather than a reset; a few at a time, beyond that it just
// closes. Owns its socket and counter, so it may outlive the server.
void HttpServer::refuse_connection(tcp::socket socket) {
  constexpr std::size_t kMaxLingering = 16;
  if (*refusing_ >= kMaxLingering) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  auto busy =
      error_response(err::too_many_connections, "the local API has api.max_connections (" +
                                                    std::to_string(options_.max_connections) +
                                                    ") connections open, none idle; retry shortly");
  ++*refusing_;
  asio::co_spawn(
      io_,
      [stream = beast::tcp_stream(std::move(socket)), res = to_http(std::move(busy), 11, false),
       refusing = refusing_]() mutable -> asio::awaitable<void> {
        stream.expires_after(std::chrono::seconds(1));
        auto [ec, n] = co_await http::async_write(stream, res, kAwait);
        (void)n;
        if (!ec) co_await linger_and_close(stream, 65536);
        boost::system::error_code ignored;
        stream.socket().close(ignored);
        --*refusing;
      },
      asio::detached);
}

void HttpServer::session_ended(HttpSession* session) {
  if (session->evicted()) --evicted_;
  sessions_.erase(session);
  if (shared_.stopping && sessions_.empty() && on_stopped_) {
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    asio::post(io_, std::move(done));
  }
}

void HttpServer::stop(std::function<void()> on_stopped) {
  shared_.stopping = true;
  on_stopped_ = std::move(on_stopped);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  // Idle keep-alive connections are waiting for a request that may never come: close them.
  // A connection answering a request finishes its response and then closes itself.
  for (HttpSession* session : sessions_) session->stop();
  if (sessions_.empty() && on_stopped_) {
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    asio::post(io_, std::move(done));
  }
}

}  // namespace pma::api
