#include "tests/web/static_server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <sstream>

namespace pma::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

std::string content_type(const std::string& path) {
  if (path.ends_with(".html")) return "text/html; charset=utf-8";
  if (path.ends_with(".js")) return "text/javascript; charset=utf-8";
  if (path.ends_with(".css")) return "text/css; charset=utf-8";
  return "application/octet-stream";
}

asio::awaitable<void> serve(tcp::socket socket, std::string root) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  try {
    for (;;) {
      stream.expires_after(std::chrono::seconds(30));
      http::request<http::string_body> req;
      co_await http::async_read(stream, buffer, req, asio::use_awaitable);
      std::string target(req.target());
      target = target.substr(0, target.find('?'));
      http::response<http::string_body> res{http::status::ok, req.version()};
      std::ifstream file(root + target, std::ios::binary);
      if (req.method() != http::verb::get || target.find("..") != std::string::npos || !file ||
          target.back() == '/') {
        res.result(http::status::not_found);
        res.set(http::field::content_type, "text/plain");
        res.body() = "not found\n";
      } else {
        std::stringstream body;
        body << file.rdbuf();
        res.set(http::field::content_type, content_type(target));
        res.body() = body.str();
      }
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::use_awaitable);
      if (!req.keep_alive()) break;
    }
  } catch (const std::exception&) {
    // closed, timed out or garbage: this connection is done
  }
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, std::string root) {
  for (;;) {
    tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
    asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), root), asio::detached);
  }
}

}  // namespace

StaticServer::StaticServer(std::string root)
    : root_(std::move(root)), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
  port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(
      io_,
      [this]() -> asio::awaitable<void> {
        try {
          co_await accept_loop(acceptor_, root_);
        } catch (const std::exception&) {
          // the acceptor was closed
        }
      },
      asio::detached);
  thread_ = std::thread([this] { io_.run(); });
}

StaticServer::~StaticServer() {
  io_.stop();
  thread_.join();
}

}  // namespace pma::test
