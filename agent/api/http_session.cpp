#include "agent/api/http_session.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/url/parse.hpp>
#include <optional>

#include "agent/api/cors.h"
#include "agent/api/event_session.h"
#include "agent/api/http_server.h"
#include "agent/api/json.h"
#include "agent/api/status_page.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
}  // namespace

http::response<http::string_body> to_http(ApiResponse response, unsigned version, bool keep_alive) {
  http::response<http::string_body> res{static_cast<http::status>(response.status), version};
  res.set(http::field::server, "memberd");
  res.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) res.insert(name, value);
  res.keep_alive(keep_alive);
  res.body() = std::move(response.body);
  res.prepare_payload();
  return res;
}

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

HttpSession::HttpSession(tcp::socket socket, SessionShared& shared)
    : stream_(std::move(socket)), shared_(shared), idle_since_(shared.options.now()) {}

void HttpSession::start() {
  asio::co_spawn(stream_.get_executor(), run(shared_from_this()), asio::detached);
}

void HttpSession::evict() {
  evicted_ = true;
  boost::system::error_code ignored;
  stream_.socket().close(ignored);
}

void HttpSession::stop() {
  boost::system::error_code ignored;
  if (events_) {
    events_->close();
  } else if (!answering_) {
    stream_.socket().cancel(ignored);
  }
}

void HttpSession::close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

// `self` keeps the session alive for as long as the coroutine runs.
asio::awaitable<void> HttpSession::run([[maybe_unused]] std::shared_ptr<HttpSession> self) {
  const HttpServerOptions& options = shared_.options;
  for (;;) {
    stream_.expires_after(options.idle_timeout);
    idle_since_ = options.now();
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(boost::none);  // checked against the header, after the token
    auto [ec, bytes] = co_await http::async_read_header(stream_, buffer_, parser, kAwait);
    (void)bytes;
    if (ec == http::error::header_limit) {
      auto res = to_http(
          error_response(err::header_too_large, "the request line and header fields exceed " +
                                                    std::to_string(kMaxHeaderBytes) + " bytes"),
          11, false);
      co_await http::async_write(stream_, res, kAwait);
      co_await linger_and_close(stream_, options.max_body_bytes);
      break;
    }
    if (ec || evicted_) break;  // closed, idle timeout, evicted or garbage
    Next next = co_await serve(parser);
    if (next == Next::upgraded) {  // the event session has closed the connection
      shared_.ended(this);
      co_return;
    }
    if (next == Next::close) break;
  }
  close();
  shared_.ended(this);
}

asio::awaitable<HttpSession::Next> HttpSession::serve(
    http::request_parser<http::string_body>& parser) {
  const HttpServerOptions& options = shared_.options;
  answering_ = true;
  auto& req = parser.get();
  ++shared_.requests;
  std::string logged_target = redact_target({req.target().data(), req.target().size()});
  std::string_view target(req.target().data(), req.target().size());
  // Origin-form ("/v1/events?since=3") through Boost.URL: the path stays as sent (routes match
  // it byte for byte), the query is decoded parameter by parameter (query_value).
  auto parsed =
      boost::urls::parse_origin_form(boost::urls::string_view(target.data(), target.size()));
  std::string path(parsed ? std::string_view(parsed->encoded_path())
                          : target.substr(0, target.find('?')));
  std::string query(parsed ? std::string_view(parsed->encoded_query()) : std::string_view());

  std::optional<ApiResponse> response;  // set once the request is refused or answered
  bool body_read = parser.is_done();
  auto admitted = shared_.guard->admit(req);
  // The guard checks Host and Origin before the token: a refused token leaves both admitted.
  bool only_token_refused = !admitted && (admitted.error().code == err::missing_token ||
                                          admitted.error().code == err::wrong_token ||
                                          admitted.error().code == err::token_origin_mismatch);
  if (!parsed) {
    // Bad percent-encoding or characters RFC 3986 does not allow: no handler would read the
    // query the client meant.
    response = error_response(err::bad_target,
                              fmt::format("request target '{}' is not a path and query (RFC 3986 "
                                          "origin-form): {}",
                                          logged_target, parsed.error().message()));
  } else if (cors::is_preflight(req) && (admitted || only_token_refused)) {
    response = cors::preflight_answer(req);  // a preflight never carries the token
  } else if (req.method() == http::verb::get && path == "/" && (admitted || only_token_refused)) {
    response = status_page_response();  // no data in it: the page asks for the token
  } else if (!admitted) {
    // Refused on the header alone: the body (up to api.max_body_bytes per connection) is never
    // read, let alone buffered.
    const Error& error = admitted.error();
    response = error_response(error);
    if (error.code == err::host_not_allowed || error.code == err::origin_not_allowed) {
      shared_.log_limited(spdlog::level::warn, error.code,
                          fmt::format("api: refused {} {}: {}", std::string(req.method_string()),
                                      logged_target, error.message));
    }
  } else if (parser.content_length() && *parser.content_length() > options.max_body_bytes) {
    response =
        error_response(err::body_too_large, "request body exceeds api.max_body_bytes (" +
                                                std::to_string(options.max_body_bytes) + ")");
  } else if (!body_read) {
    if (beast::iequals(req[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(stream_, asio::buffer(kContinue), kAwait);
    }
    parser.body_limit(options.max_body_bytes);  // a chunked body has no length up front
    auto [ec, bytes] = co_await http::async_read(stream_, buffer_, parser, kAwait);
    (void)bytes;
    if (ec == http::error::body_limit) {
      response =
          error_response(err::body_too_large, "request body exceeds api.max_body_bytes (" +
                                                  std::to_string(options.max_body_bytes) + ")");
    } else if (ec) {
      co_return Next::close;
    } else {
      body_read = true;
    }
  }

  if (body_read && !response && websocket::is_upgrade(req) && shared_.hub != nullptr &&
      path == "/v1/events") {
    if (auto since = parse_since(query_value(query, "since")); !since) {
      response = error_response(since.error());  // a 400 instead of the upgrade
    }
  }
  if (body_read && !response && websocket::is_upgrade(req) && shared_.hub != nullptr &&
      path == "/v1/events") {
    shared_.log.debug("api: {} {} -> 101", std::string(req.method_string()), logged_target);
    co_await serve_events(req, query);
    co_return Next::upgraded;
  }

  if (body_read && !response) {
    ApiRequest request;
    request.method = std::string(req.method_string());
    request.path = path;
    request.query = query;
    request.body = std::move(req.body());
    try {
      response = co_await shared_.router.dispatch(request);
    } catch (const std::exception& e) {
      shared_.log.error("api: {} {} failed: {}", request.method, request.path, e.what());
      response = error_response(err::internal, "internal error; see the agent's log");
    }
  }
  shared_.log.debug("api: {} {} -> {}", std::string(req.method_string()), logged_target,
                    response->status);
  // A listed Origin may read the answer, errors included (a refused Origin is not listed).
  if (auto origin = req.find(http::field::origin); origin != req.end() &&
                                                   cors::listed(shared_.origins, origin->value()) &&
                                                   !cors::is_preflight(req)) {
    cors::allow_origin(*response, origin->value());
  }
  // A connection whose body was left unread cannot carry another request.
  bool keep = body_read && req.keep_alive() && !shared_.stopping && !evicted_;
  auto res = to_http(std::move(*response), req.version(), keep);
  stream_.expires_after(options.idle_timeout);
  auto [ec, written] = co_await http::async_write(stream_, res, kAwait);
  (void)written;
  answering_ = false;
  if (!ec && !body_read) co_await linger_and_close(stream_, options.max_body_bytes);
  if (ec || !keep || shared_.stopping) co_return Next::close;
  co_return Next::another_request;
}

asio::awaitable<void> HttpSession::serve_events(const Request& upgrade, std::string_view query) {
  EventHub& hub = *shared_.hub;
  // Checked before the upgrade; without since=, only new events.
  auto since_value = parse_since(query_value(query, "since"));
  const std::uint64_t since = since_value && *since_value ? **since_value : hub.last_seq();
  events_ = std::make_shared<EventSession>(std::move(stream_));
  answering_ = false;
  co_await events_->serve(upgrade, hub, since, shared_.log);
}

}  // namespace pma::api
