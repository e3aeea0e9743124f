#include "api/http_server.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>

#include "api/json.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace websocket = beast::websocket;

// One WebSocket subscriber of /v1/events: a write queue so events published while a write is
// in flight go out in order; a subscriber that falls far behind is disconnected.
struct HttpServer::EventStream : std::enable_shared_from_this<EventStream> {
  static constexpr std::size_t kMaxQueued = 10000;
  explicit EventStream(beast::tcp_stream stream) : ws(std::move(stream)) {}

  void send(const std::string& json) {
    if (queue.size() >= kMaxQueued) {
      boost::system::error_code ignored;
      beast::get_lowest_layer(ws).socket().close(ignored);
      return;
    }
    queue.push_back(json);
    if (writing) return;
    writing = true;
    asio::co_spawn(
        ws.get_executor(),
        [self = shared_from_this()]() -> asio::awaitable<void> {
          while (!self->queue.empty()) {
            auto [ec, n] = co_await self->ws.async_write(asio::buffer(self->queue.front()),
                                                         asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (ec) {
              self->queue.clear();
              break;
            }
            self->queue.pop_front();
          }
          self->writing = false;
        },
        asio::detached);
  }

  websocket::stream<beast::tcp_stream> ws;
  std::deque<std::string> queue;
  bool writing = false;
};

struct HttpServer::Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool answering = false;               // between a complete request and the end of its response
  std::shared_ptr<EventStream> events;  // set once upgraded to the event stream
};

namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

// Checks "Authorization: Bearer <token>" in constant time.
std::optional<ApiResponse> check_token(const http::request<http::string_body>& req,
                                       const std::string& token) {
  auto header = req.find(http::field::authorization);
  if (header == req.end()) {
    return error_response(401, "missing_token",
                          "this API needs 'Authorization: Bearer <token>'; the token is in the "
                          "file named by api.token_file");
  }
  std::string_view value(header->value().data(), header->value().size());
  constexpr std::string_view kBearer = "Bearer ";
  if (!value.starts_with(kBearer)) {
    return error_response(401, "missing_token",
                          "the Authorization header must be 'Bearer <token>'");
  }
  value.remove_prefix(kBearer.size());
  if (value.size() != token.size() ||
      CRYPTO_memcmp(value.data(), token.data(), token.size()) != 0) {
    return error_response(401, "wrong_token", "the bearer token is not this agent's token");
  }
  return std::nullopt;
}

// The value of `name` in a query string ("since=5&access_token=ab"), undecoded.
std::string query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) {
      return eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpServerOptions options,
                       std::shared_ptr<spdlog::logger> logger)
    : io_(io),
      router_(router),
      options_(std::move(options)),
      log_(std::move(logger)),
      acceptor_(io) {}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  boost::system::error_code ec;
  auto address =
      asio::ip::make_address(options_.listen == "localhost" ? "127.0.0.1" : options_.listen, ec);
  if (ec) return fail("api_bind", "bad listen address '" + options_.listen + "': " + ec.message());
  tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("api_bind", "cannot listen on " + options_.listen + ":" +
                                std::to_string(options_.port) + ": " + ec.message());
  }
  port_ = acceptor_.local_endpoint().port();
  accept();
  return {};
}

void HttpServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec != asio::error::operation_aborted && !stopping_) {
        log_->warn("api: accept failed: {}", ec.message());
        accept();
      }
      return;
    }
    if (stopping_) return;
    auto session = std::make_shared<Session>(std::move(socket));
    sessions_.insert(session.get());
    run_session(std::move(session));
    accept();
  });
}

void HttpServer::run_session(std::shared_ptr<Session> session) {
  asio::co_spawn(
      io_,
      [this, session]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        for (;;) {
          session->stream.expires_after(options_.idle_timeout);
          http::request_parser<http::string_body> parser;
          parser.body_limit(options_.max_body_bytes);
          auto [ec, bytes] = co_await http::async_read(session->stream, buffer, parser, kAwait);
          (void)bytes;
          if (ec == http::error::body_limit) {
            auto too_large = error_response(413, "body_too_large",
                                            "request body exceeds api.max_body_bytes (" +
                                                std::to_string(options_.max_body_bytes) + ")");
            http::response<http::string_body> res{http::status::payload_too_large, 11};
            res.set(http::field::content_type, too_large.content_type);
            res.body() = too_large.body;
            res.keep_alive(false);
            res.prepare_payload();
            co_await http::async_write(session->stream, res, kAwait);
            break;
          }
          if (ec) break;  // closed, idle timeout, or garbage on the wire
          session->answering = true;
          auto& req = parser.get();
          ++requests_;

          if (websocket::is_upgrade(req) && hub_ != nullptr) {
            std::string_view target(req.target().data(), req.target().size());
            auto q = target.find('?');
            std::string path(target.substr(0, q));
            std::string query(q == std::string_view::npos ? "" : target.substr(q + 1));
            std::string query_token = query_value(query, "access_token");
            if (!query_token.empty() && req.find(http::field::authorization) == req.end()) {
              req.set(http::field::authorization, "Bearer " + query_token);
            }
            auto denied = check_token(req, options_.token);
            if (path == "/v1/events" && !denied) {
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
              auto events = session->events;
              beast::get_lowest_layer(events->ws).expires_never();
              events->ws.set_option(
                  websocket::stream_base::timeout::suggested(beast::role_type::server));
              auto [aec] = co_await events->ws.async_accept(req, kAwait);
              session->answering = false;
              if (!aec) {
                events->ws.text(true);
                auto id = hub_->subscribe(
                    since, [events](const std::string& json) { events->send(json); });
                log_->info("events: POS subscribed (since {})", since);
                beast::flat_buffer incoming;
                for (;;) {  // the POS has nothing to say; reading handles pings and close
                  auto [rec, n] = co_await events->ws.async_read(incoming, kAwait);
                  (void)n;
                  if (rec) break;
                  incoming.clear();
                }
                hub_->unsubscribe(id);
                log_->info("events: POS unsubscribed");
              }
              boost::system::error_code ignored;
              beast::get_lowest_layer(events->ws).socket().close(ignored);
              session_ended(session.get());
              co_return;
            }
            // Not the event stream, or no token: answer as plain HTTP below.
          }

          ApiResponse response;
          if (auto denied = check_token(req, options_.token)) {
            response = std::move(*denied);
          } else {
            ApiRequest request;
            request.method = std::string(req.method_string());
            std::string_view target(req.target().data(), req.target().size());
            auto q = target.find('?');
            request.path = std::string(target.substr(0, q));
            if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
            request.body = std::move(req.body());
            try {
              response = co_await router_.dispatch(request);
            } catch (const std::exception& e) {
              log_->error("api: {} {} failed: {}", request.method, request.path, e.what());
              response = error_response(500, "internal", "internal error; see the agent's log");
            }
          }
          log_->debug("api: {} {} -> {}", std::string(req.method_string()),
                      std::string(req.target()), response.status);
          http::response<http::string_body> res{static_cast<http::status>(response.status),
                                                req.version()};
          res.set(http::field::server, "memberd");
          res.set(http::field::content_type, response.content_type);
          res.keep_alive(req.keep_alive() && !stopping_);
          res.body() = std::move(response.body);
          res.prepare_payload();
          bool keep = res.keep_alive();
          auto [wec, written] = co_await http::async_write(session->stream, res, kAwait);
          (void)written;
          session->answering = false;
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
  // Idle keep-alive connections are waiting for a request that may never come: close them.
  // A connection answering a request finishes its response and then closes itself.
  for (Session* session : sessions_) {
    if (session->events) {
      beast::get_lowest_layer(session->events->ws).socket().close(ignored);
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
