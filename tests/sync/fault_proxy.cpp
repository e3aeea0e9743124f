#include "tests/sync/fault_proxy.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace pma::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

struct Link {
  tcp::socket client;
  tcp::socket server;
  Fault fault = Fault::none;
  bool fault_upstream = true;  // client -> server direction
  std::size_t trigger = 0;
  std::chrono::milliseconds delay{0};
  bool done = false;

  void close_both(bool reset) {
    boost::system::error_code ec;
    for (tcp::socket* s : {&client, &server}) {
      if (reset && s->is_open()) s->set_option(asio::socket_base::linger(true, 0), ec);
      s->close(ec);
    }
    done = true;
  }
};

asio::awaitable<void> pump(std::shared_ptr<Link> link, bool upstream) {
  tcp::socket& from = upstream ? link->client : link->server;
  tcp::socket& to = upstream ? link->server : link->client;
  bool faulty = link->fault != Fault::none && link->fault_upstream == upstream;
  std::size_t passed = 0;
  std::array<std::uint8_t, 4096> buffer;
  for (;;) {
    auto [ec, n] =
        co_await from.async_read_some(asio::buffer(buffer), asio::as_tuple(asio::use_awaitable));
    if (ec || link->done) {
      boost::system::error_code ignored;
      to.shutdown(tcp::socket::shutdown_send, ignored);
      if (ec != asio::error::eof) link->close_both(false);
      co_return;
    }
    std::size_t send = n;
    bool hit = faulty && passed <= link->trigger && link->trigger < passed + n;
    if (hit) {
      std::size_t head = link->trigger - passed;
      switch (link->fault) {
        case Fault::drop:
        case Fault::reset:
        case Fault::truncate:
          send = head;
          break;
        default:
          break;
      }
    }
    if (hit && link->fault == Fault::delay) {
      asio::steady_timer timer(co_await asio::this_coro::executor, link->delay);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto [wec, w] = co_await asio::async_write(to, asio::buffer(buffer.data(), send),
                                               asio::as_tuple(asio::use_awaitable));
    if (wec) {
      link->close_both(false);
      co_return;
    }
    if (hit && link->fault == Fault::duplicate) {
      co_await asio::async_write(to, asio::buffer(buffer.data(), send),
                                 asio::as_tuple(asio::use_awaitable));
    }
    passed += n;
    if (hit) {
      if (link->fault == Fault::drop) link->close_both(false);
      if (link->fault == Fault::reset) link->close_both(true);
      if (link->fault == Fault::truncate) {
        // The receiver sees the stream end mid-record; the other direction stays up.
        boost::system::error_code ignored;
        to.shutdown(tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (link->done) co_return;
    }
  }
}

asio::awaitable<void> connect_and_pump(std::shared_ptr<Link> link, std::uint16_t upstream_port) {
  auto [ec] = co_await link->server.async_connect(
      {asio::ip::make_address("127.0.0.1"), upstream_port}, asio::as_tuple(asio::use_awaitable));
  if (ec) {
    link->close_both(false);
    co_return;
  }
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, pump(link, true), asio::detached);
  asio::co_spawn(executor, pump(link, false), asio::detached);
}

}  // namespace

FaultProxy::FaultProxy(asio::io_context& io, std::uint16_t upstream_port, std::uint64_t seed)
    : io_(io),
      acceptor_(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
      upstream_port_(upstream_port),
      random_(seed) {
  port_ = acceptor_.local_endpoint().port();
  accept();
}

FaultProxy::~FaultProxy() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

void FaultProxy::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec) return;
    ++connections_;
    auto link = std::make_shared<Link>(Link{std::move(socket), tcp::socket(io_)});
    if (enabled_) {
      link->fault = static_cast<Fault>(random_() % 6);
      link->fault_upstream = random_() % 2 == 0;
      link->trigger = random_() % 3000;
      link->delay = std::chrono::milliseconds(20 + random_() % 300);
    }
    ++counts_[static_cast<std::size_t>(link->fault)];
    asio::co_spawn(io_, connect_and_pump(link, upstream_port_), asio::detached);
    accept();
  });
}

}  // namespace pma::test
