#include "sync/hq/admin_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <list>

namespace pma::hq {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct AdminServer::State {
  AdminHandlers handlers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::list<std::weak_ptr<beast::tcp_stream>> connections;
  bool stopped = false;
};

namespace {

constexpr std::chrono::seconds kRequestTimeout{10};
constexpr std::uint64_t kMaxRequestBytes = 8192;  // a scrape is a bare GET

AdminReply answer(const AdminServer::State& state, const http::request<http::string_body>& req) {
  const std::string_view target(req.target().data(), req.target().size());
  const std::string_view path = target.substr(0, target.find('?'));
  const std::function<AdminReply()>* handler = nullptr;
  if (path == "/metrics") handler = &state.handlers.metrics;
  if (path == "/health") handler = &state.handlers.health;
  if (handler == nullptr || !*handler) return {404, "text/plain; charset=utf-8", "not found\n"};
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return {405, "text/plain; charset=utf-8", "only GET\n"};
  }
  return (*handler)();
}

asio::awaitable<void> connection(std::shared_ptr<beast::tcp_stream> stream,
                                 std::shared_ptr<AdminServer::State> state) {
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.header_limit(kMaxRequestBytes);
  parser.body_limit(kMaxRequestBytes);
  stream->expires_after(kRequestTimeout);
  auto [read_ec, read_bytes] =
      co_await http::async_read(*stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
  (void)read_bytes;
  if (read_ec || state->stopped) co_return;
  const auto& req = parser.get();
  AdminReply reply = answer(*state, req);
  http::response<http::string_body> res{static_cast<http::status>(reply.status), req.version()};
  res.set(http::field::server, "memberhq");
  res.set(http::field::content_type, reply.content_type);
  res.set(http::field::cache_control, "no-store");
  res.keep_alive(false);
  if (req.method() != http::verb::head) res.body() = std::move(reply.body);
  res.prepare_payload();
  stream->expires_after(kRequestTimeout);
  (void)co_await http::async_write(*stream, res, asio::as_tuple(asio::use_awaitable));
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<AdminServer::State> state) {
  for (;;) {
    auto [ec, socket] = co_await state->acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (state->stopped || ec == asio::error::operation_aborted) co_return;
    if (ec) {
      spdlog::warn("hq admin: accept failed: {}", ec.message());
      continue;
    }
    auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
    state->connections.remove_if([](const auto& w) { return w.expired(); });
    state->connections.push_back(stream);
    asio::co_spawn(state->acceptor->get_executor(), connection(stream, state), asio::detached);
  }
}

}  // namespace

AdminServer::AdminServer(asio::io_context& io, std::string listen, std::uint16_t port,
                         AdminHandlers handlers)
    : io_(io), listen_(std::move(listen)), port_(port), state_(std::make_shared<State>()) {
  state_->handlers = std::move(handlers);
}

AdminServer::~AdminServer() { stop(); }

Result<std::uint16_t> AdminServer::start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(listen_, ec);
  if (ec) return fail("listen", fmt::format("bad admin listen address '{}'", listen_));
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  tcp::endpoint endpoint(address, port_);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return fail("listen",
                fmt::format("cannot listen on {}:{} (admin): {}", listen_, port_, ec.message()));
  }
  const std::uint16_t port = acceptor->local_endpoint().port();
  state_->acceptor = std::move(acceptor);
  asio::co_spawn(io_, accept_loop(state_), asio::detached);
  return port;
}

void AdminServer::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  boost::system::error_code ec;
  if (state_->acceptor) state_->acceptor->close(ec);
  for (auto& weak : state_->connections) {
    if (auto s = weak.lock()) s->socket().close(ec);
  }
}

}  // namespace pma::hq
