#include "tests/api/raw_http.h"

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <functional>
#include <stdexcept>

namespace pma::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;

RawHttpConnection::RawHttpConnection(std::uint16_t port) : stream_(io_) {
  stream_.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
}

Status RawHttpConnection::send(std::string_view bytes) {
  boost::system::error_code ec;
  asio::write(stream_.socket(), asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return fail("raw_write", ec.message());
  return {};
}

Result<RawHttpConnection::Reply> RawHttpConnection::read_reply(std::chrono::milliseconds deadline) {
  Reply reply;
  boost::system::error_code result;
  stream_.expires_after(deadline);
  http::async_read(stream_, buffer_, reply,
                   [&](boost::system::error_code ec, std::size_t) { result = ec; });
  io_.restart();
  io_.run();
  if (result) return fail("raw_read", "no HTTP response: " + result.message());
  return reply;
}

bool RawHttpConnection::closed_by_server(std::chrono::milliseconds deadline) {
  buffer_.clear();
  std::array<char, 4096> sink;
  boost::system::error_code result;
  stream_.expires_after(deadline);
  std::function<void()> read_more = [&] {
    stream_.async_read_some(asio::buffer(sink), [&](boost::system::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        return;
      }
      read_more();
    });
  };
  read_more();
  io_.restart();
  io_.run();
  return result != boost::beast::error::timeout;
}

}  // namespace pma::test
