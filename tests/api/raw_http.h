// A raw loopback HTTP connection for tests that must choose every byte sent (a header without
// its body, a huge header, WebSocket upgrade headers) and read the answer with a deadline, so a
// server that never answers fails the test instead of hanging it. Not thread-safe; one owner.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::test {

class RawHttpConnection {
 public:
  using Reply = boost::beast::http::response<boost::beast::http::string_body>;

  // Connects to 127.0.0.1:port (throws if it cannot).
  explicit RawHttpConnection(std::uint16_t port);

  // Writes all of `bytes`. Errors: "raw_write" with the OS error.
  Status send(std::string_view bytes);
  // Reads one response. Errors: "raw_read" (timeout, closed, not HTTP).
  Result<Reply> read_reply(std::chrono::milliseconds deadline = std::chrono::seconds(5));
  // True once the server has closed the connection (EOF or reset) within `deadline`; bytes that
  // still arrive are discarded.
  bool closed_by_server(std::chrono::milliseconds deadline = std::chrono::seconds(5));

 private:
  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace pma::test
