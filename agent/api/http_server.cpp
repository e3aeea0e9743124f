#include "api/http_server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "api/event_stream.h"
#include "api/json.h"
#include "api/request_guard.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace websocket = beast::websocket;

struct HttpServer::Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool answering = false;  // between a complete request header and the end of its response
  bool evicted = false;    // closed to make room for a new connection
  std::chrono::steady_clock::time_point idle_since{};  // when it began waiting for a request
  std::shared_ptr<EventStream> events;                 // set once upgraded to the event stream
};

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::milliseconds kFirstAcceptDelay{5};
constexpr std::chrono::milliseconds kMaxAcceptDelay{1000};

bool out_of_descriptors(const boost::system::error_code& ec) {
  return ec == boost::system::errc::too_many_files_open ||
         ec == boost::system::errc::too_many_files_open_in_system ||
         ec == boost::system::errc::no_buffer_space || ec == boost::system::errc::not_enough_memory;
}

http::response<http::string_body> to_http(ApiResponse response, unsigned version, bool keep) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), version};
  res.set(http::field::server, "memberd");
  res.set(http::field::content_type, response.content_type);
  res.keep_alive(keep);
  res.body() = std::move(response.body);
  res.prepare_payload();
  return res;
}

// After refusing a request whose body was not read: stop sending, then discard what the client
// still sends for a moment (never stored) so that closing does not reset the connection before
// the client has read the answer.
asio::awaitable<void> linger_and_close(beast::tcp_stream& stream, std::size_t max_bytes) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.expires_after(std::chrono::seconds(1));
  std::array<char, 4096> sink;
  std::size_t discarded = 0;
  while (discarded <= max_bytes) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kAwait);
    if (ec) break;
    discarded += n;
  }
  stream.socket().close(ignored);
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpServerOptions options,
                       std::shared_ptr<spdlog::logger> logger)
    : io_(io),
      router_(router),
      options_(std::move(options)),
      log_(std::move(logger)),
      acceptor_(io),
      accept_timer_(io) {}

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
  guard_ = std::make_unique<RequestGuard>(
      RequestGuardOptions{.listen = options_.listen,
                          .port = port_,
                          .token = options_.token,
                          .allowed_origins = options_.allowed_origins});
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
    if (stopping_ || ec == asio::error::operation_aborted) return;
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
      if (!stopping_) accept();
    });
    return;
  }
  accept_delay_ =
      accept_delay_.count() == 0 ? kFirstAcceptDelay : std::min(accept_delay_ * 2, kMaxAcceptDelay);
  accept_timer_.expires_after(accept_delay_);
  accept_timer_.async_wait([this](boost::system::error_code wait_ec) {
    if (wait_ec || stopping_) return;
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
  auto session = std::make_shared<Session>(std::move(socket));
  session->idle_since = options_.now();
  sessions_.insert(session.get());
  run_session(std::move(session));
}

// Closes the connection that has waited longest for a request (never one being answered or an
// event stream); its descriptor is free when this returns. False if none is idle.
bool HttpServer::evict_idle_connection() {
  Session* oldest = nullptr;
  for (Session* session : sessions_) {
    if (session->answering || session->events || session->evicted) continue;
    if (oldest == nullptr || session->idle_since < oldest->idle_since) oldest = session;
  }
  if (oldest == nullptr) return false;
  oldest->evicted = true;
  ++evicted_;
  boost::system::error_code ignored;
  oldest->stream.socket().close(ignored);
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

void HttpServer::run_session(std::shared_ptr<Session> session) {
  asio::co_spawn(
      io_,
      [this, session]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        for (;;) {
          session->stream.expires_after(options_.idle_timeout);
          session->idle_since = options_.now();
          http::request_parser<http::string_body> parser;
          parser.header_limit(kMaxHeaderBytes);
          parser.body_limit(boost::none);  // checked against the header, after the token
          auto [ec, bytes] =
              co_await http::async_read_header(session->stream, buffer, parser, kAwait);
          (void)bytes;
          if (ec == http::error::header_limit) {
            auto res = to_http(error_response(err::header_too_large,
                                              "the request line and header fields exceed " +
                                                  std::to_string(kMaxHeaderBytes) + " bytes"),
                               11, false);
            co_await http::async_write(session->stream, res, kAwait);
            co_await linger_and_close(session->stream, options_.max_body_bytes);
            break;
          }
          if (ec || session->evicted) break;  // closed, idle timeout, evicted or garbage
          session->answering = true;
          auto& req = parser.get();
          ++requests_;
          std::string logged_target = redact_target({req.target().data(), req.target().size()});
          std::string_view target(req.target().data(), req.target().size());
          auto q = target.find('?');
          std::string path(target.substr(0, q));
          std::string query(q == std::string_view::npos ? "" : target.substr(q + 1));

          std::optional<ApiResponse> response;  // set once the request is refused or answered
          bool body_read = parser.is_done();
          if (auto admitted = guard_->admit(req); !admitted) {
            // Refused on the header alone: the body (up to api.max_body_bytes per connection)
            // is never read, let alone buffered.
            const Error& error = admitted.error();
            response = error_response(error);
            if (error.code == err::host_not_allowed || error.code == err::origin_not_allowed) {
              log_limited(spdlog::level::warn, error.code,
                          fmt::format("api: refused {} {}: {}", std::string(req.method_string()),
                                      logged_target, error.message));
            }
          } else if (parser.content_length() &&
                     *parser.content_length() > options_.max_body_bytes) {
            response = error_response(err::body_too_large,
                                      "request body exceeds api.max_body_bytes (" +
                                          std::to_string(options_.max_body_bytes) + ")");
          } else if (!body_read) {
            if (beast::iequals(req[http::field::expect], "100-continue")) {
              static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
              co_await asio::async_write(session->stream, asio::buffer(kContinue), kAwait);
            }
            parser.body_limit(options_.max_body_bytes);  // a chunked body has no length up front
            auto [bec, body_bytes] =
                co_await http::async_read(session->stream, buffer, parser, kAwait);
            (void)body_bytes;
            if (bec == http::error::body_limit) {
              response = error_response(err::body_too_large,
                                        "request body exceeds api.max_body_bytes (" +
                                            std::to_string(options_.max_body_bytes) + ")");
            } else if (bec) {
              break;
            } else {
              body_read = true;
            }
          }

          if (body_read && !response && websocket::is_upgrade(req) && hub_ != nullptr &&
              path == "/v1/events") {
            log_->debug("api: {} {} -> 101", std::string(req.method_string()), logged_target);
            std::string since_text = query_value(query, "since");
            std::uint64_t since = hub_->last_seq();
            if (!since_text.empty()) {
              try {
                since = std::stoull(since_text);
              } catch (const std::exception&) {
                since = hub_->last_seq();
              }
            }
            session->events = std::make_shared<EventStream>(std::move(session->stream));
            session->answering = false;
            co_await session->events->serve(req, *hub_, since, *log_);
            session_ended(session.get());
            co_return;
          }

          if (body_read && !response) {
            ApiRequest request;
            request.method = std::string(req.method_string());
            request.path = path;
            request.query = query;
            request.body = std::move(req.body());
            try {
              response = co_await router_.dispatch(request);
            } catch (const std::exception& e) {
              log_->error("api: {} {} failed: {}", request.method, request.path, e.what());
              response = error_response(err::internal, "internal error; see the agent's log");
            }
          }
          log_->debug("api: {} {} -> {}", std::string(req.method_string()), logged_target,
                      response->status);
          // A connection whose body was left unread cannot carry another request.
          bool keep = body_read && req.keep_alive() && !stopping_ && !session->evicted;
          auto res = to_http(std::move(*response), req.version(), keep);
          session->stream.expires_after(options_.idle_timeout);
          auto [wec, written] = co_await http::async_write(session->stream, res, kAwait);
          (void)written;
          session->answering = false;
          if (!wec && !body_read)
            co_await linger_and_close(session->stream, options_.max_body_bytes);
          if (wec || !keep || stopping_) break;
        }
        boost::system::error_code ignored;
        session->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        session->stream.socket().close(ignored);
        session_ended(session.get());
      },
      asio::detached);
}

void HttpServer::session_ended(Session* session) {
  if (session->evicted) --evicted_;
  sessions_.erase(session);
  if (stopping_ && sessions_.empty() && on_stopped_) {
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    asio::post(io_, std::move(done));
  }
}

void HttpServer::stop(std::function<void()> on_stopped) {
  stopping_ = true;
  on_stopped_ = std::move(on_stopped);
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  accept_timer_.cancel();
  // Idle keep-alive connections are waiting for a request that may never come: close them.
  // A connection answering a request finishes its response and then closes itself.
  for (Session* session : sessions_) {
    if (session->events) {
      session->events->close();
    } else if (!session->answering) {
      session->stream.socket().cancel(ignored);
    }
  }
  if (sessions_.empty() && on_stopped_) {
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    asio::post(io_, std::move(done));
  }
}

}  // namespace pma::api
