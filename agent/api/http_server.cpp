#include "api/http_server.h"

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "api/json.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Session {
  explicit Session(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;
  bool answering = false;  // between a complete request and the end of its response
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
    return error_response(401, "missing_token", "the Authorization header must be 'Bearer <token>'");
  }
  value.remove_prefix(kBearer.size());
  if (value.size() != token.size() || CRYPTO_memcmp(value.data(), token.data(), token.size()) != 0) {
    return error_response(401, "wrong_token", "the bearer token is not this agent's token");
  }
  return std::nullopt;
}

}  // namespace

HttpServer::HttpServer(asio::io_context& io, const Router& router, HttpServerOptions options,
                       std::shared_ptr<spdlog::logger> logger)
    : io_(io), router_(router), options_(std::move(options)), log_(std::move(logger)),
      acceptor_(io) {}

HttpServer::~HttpServer() = default;

Status HttpServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.listen == "localhost" ? "127.0.0.1"
                                                                        : options_.listen,
                                        ec);
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
            auto too_large = error_response(
                413, "body_too_large",
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
              response = router_.dispatch(request);
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
    if (!session->answering) session->stream.socket().cancel(ignored);
  }
  if (sessions_.empty() && on_stopped_) {
    auto done = std::move(on_stopped_);
    on_stopped_ = nullptr;
    asio::post(io_, std::move(done));
  }
}

}  // namespace pma::api
