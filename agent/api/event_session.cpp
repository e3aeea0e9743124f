#include "agent/api/event_session.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/websocket.hpp>

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
}

asio::awaitable<void> EventSession::serve(
    const beast::http::request<beast::http::string_body>& upgrade, EventHub& hub,
    std::uint64_t since, spdlog::logger& log) {
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  auto [aec] = co_await ws_.async_accept(upgrade, kAwait);
  if (!aec) {
    ws_.text(true);
    auto id = hub.subscribe(
        since, [self = shared_from_this()](const std::string& json) { self->send(json); });
    log.info("events: POS subscribed (since {})", since);
    beast::flat_buffer incoming;
    for (;;) {  // the POS has nothing to say; reading handles pings and close
      auto [rec, n] = co_await ws_.async_read(incoming, kAwait);
      (void)n;
      if (rec) break;
      incoming.clear();
    }
    hub.unsubscribe(id);
    log.info("events: POS unsubscribed");
  }
  close();
}

void EventSession::close() {
  boost::system::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void EventSession::send(const std::string& json) {
  if (queue_.size() >= kMaxQueued) {
    close();
    return;
  }
  queue_.push_back(json);
  if (writing_) return;
  writing_ = true;
  asio::co_spawn(
      ws_.get_executor(),
      [self = shared_from_this()]() -> asio::awaitable<void> {
        while (!self->queue_.empty()) {
          auto [ec, n] = co_await self->ws_.async_write(asio::buffer(self->queue_.front()), kAwait);
          (void)n;
          if (ec) {
            self->queue_.clear();
            break;
          }
          self->queue_.pop_front();
        }
        self->writing_ = false;
      },
      asio::detached);
}

}  // namespace pma::api
