// One HTTP/1.1 connection of the local API (as Beast's http_session): reads each request's
// header, has it admitted (Host, Origin, token, body size) before any body byte is read, reads
// the body, dispatches it to the router and writes the answer, keep-alive until the client,
// an idle timeout or the server ends it. An authorised WebSocket upgrade of GET /v1/events
// hands the connection to an EventSession. Lives on the io_context thread; not thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/event_hub.h"
#include "agent/api/request_guard.h"
#include "agent/api/router.h"

namespace spdlog {
class logger;
}

namespace pma::api {

class EventSession;
class HttpSession;
struct HttpServerOptions;

// What the server shares with its sessions (Beast's chat-multi calls it shared_state). Owned
// by the server, which outlives every session's use of it (stop() waits for them).
struct SessionShared {
  const Router& router;
  const HttpServerOptions& options;
  spdlog::logger& log;
  std::unique_ptr<RequestGuard> guard;  // made once the port is bound
  EventHub* hub = nullptr;              // null: /v1/events is not served
  // Origins a page may call from (cors::effective_origins), lower case; set with the guard.
  std::vector<std::string> origins;
  bool stopping = false;
  std::uint64_t requests = 0;
  // Logs at most a few lines of `key` per window (spdlog level, key, line).
  std::function<void(int, std::string_view, std::string)> log_limited;
  // Called once when a session's connection is closed for good.
  std::function<void(HttpSession*)> ended;
};

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, SessionShared& shared);

  // Serves the connection until it closes, then calls shared.ended.
  void start();

  // Waiting for a request on a keep-alive connection (not answering one, not an event stream,
  // not evicted): the connection the server may close to make room.
  bool idle() const { return !answering_ && !events_ && !evicted_; }
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  bool evicted() const { return evicted_; }
  // Closes the connection at once to free its descriptor for a new one (only when idle()).
  void evict();
  // For the server's stop: an idle connection closes now, an event stream is closed, and a
  // request being answered finishes its response first.
  void stop();

 private:
  enum class Next { another_request, close, upgraded };
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  boost::asio::awaitable<void> run(std::shared_ptr<HttpSession> self);
  // Answers one request whose header has been read (refused, upgraded or dispatched).
  boost::asio::awaitable<Next> serve(
      boost::beast::http::request_parser<boost::beast::http::string_body>& parser);
  // Hands the connection to an EventSession and serves it until the subscriber leaves.
  boost::asio::awaitable<void> serve_events(const Request& upgrade, std::string_view query);
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  SessionShared& shared_;
  bool answering_ = false;  // between a complete request header and the end of its response
  bool evicted_ = false;    // closed to make room for a new connection
  std::chrono::steady_clock::time_point idle_since_{};  // when it began waiting for a request
  std::shared_ptr<EventSession> events_;                // set once upgraded to the event stream
};

// An ApiResponse as a Beast response (Server, Content-Type, keep-alive, length).
boost::beast::http::response<boost::beast::http::string_body> to_http(ApiResponse response,
                                                                      unsigned version,
                                                                      bool keep_alive);

// After refusing a request whose body was not read: stop sending, then discard what the client
// still sends for a moment (up to max_bytes, never stored) so that closing does not reset the
// connection before the client has read the answer. Closes the socket.
boost::asio::awaitable<void> linger_and_close(boost::beast::tcp_stream& stream,
                                              std::size_t max_bytes);

}  // namespace pma::api
