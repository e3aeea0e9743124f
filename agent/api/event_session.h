// The event session: one WebSocket subscriber of GET /v1/events, handed the connection by its
// HttpSession. Accepts the upgrade, replays and forwards the hub's events in order through a
// write queue, and disconnects a subscriber that falls far behind. Lives on the io_context
// thread; not thread-safe.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "agent/api/event_hub.h"

namespace spdlog {
class logger;
}

namespace pma::api {

class EventSession : public std::enable_shared_from_this<EventSession> {
 public:
  static constexpr std::size_t kMaxQueued = 10000;
  explicit EventSession(boost::beast::tcp_stream stream) : ws_(std::move(stream)) {}

  // Completes the handshake of `upgrade` (an authorised GET /v1/events), subscribes to `hub`
  // from `since` and serves until the POS leaves or close() is called; then unsubscribes and
  // closes the socket. `hub` and `log` must outlive the returned awaitable.
  boost::asio::awaitable<void> serve(
      const boost::beast::http::request<boost::beast::http::string_body>& upgrade, EventHub& hub,
      std::uint64_t since, spdlog::logger& log);

  // Closes the socket (shutdown, or a subscriber that cannot keep up).
  void close();

 private:
  void send(const std::string& json);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  std::deque<std::string> queue_;
  bool writing_ = false;
};

}  // namespace pma::api
