// Timed reads and writes shared by the stream-based transports (TCP socket, stream
// descriptor). Internal to pma_printer. Not thread-safe (one io_context thread).
#pragma once

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <variant>

#include "drivers/printer/transport.h"

namespace pma::printer::detail {

inline Error io_error(std::string_view what, const std::string& where,
                      const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  bool gone = ec == error::eof || ec == error::connection_reset || ec == error::broken_pipe ||
              ec == error::connection_aborted || ec.value() == EIO || ec.value() == ENXIO ||
              ec.value() == ENODEV;
  return Error{gone ? "printer_disconnected" : fmt::format("printer_{}_failed", what),
               fmt::format("{} {}: {}", what, where, ec.message())};
}

template <typename Stream>
boost::asio::awaitable<WriteResult> timed_write(Stream& stream, std::string_view bytes,
                                                std::chrono::milliseconds timeout,
                                                const std::string& where) {
  using namespace boost::asio::experimental::awaitable_operators;
  namespace asio = boost::asio;
  WriteResult result;
  asio::steady_timer timer(stream.get_executor());
  while (result.written < bytes.size()) {
    timer.expires_after(timeout);
    auto chunk = asio::buffer(bytes.data() + result.written, bytes.size() - result.written);
    auto outcome = co_await (stream.async_write_some(chunk, asio::as_tuple(asio::use_awaitable)) ||
                             timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (outcome.index() == 1) {
      result.status = fail(
          "printer_timeout",
          fmt::format("write {}: the printer took no bytes for {} ms", where, timeout.count()));
      co_return result;
    }
    auto [ec, n] = std::get<0>(outcome);
    result.written += n;
    if (ec) {
      result.status = std::unexpected(io_error("write", where, ec));
      co_return result;
    }
  }
  co_return result;
}

template <typename Stream>
boost::asio::awaitable<Result<std::string>> timed_read(Stream& stream, std::size_t count,
                                                       std::chrono::milliseconds timeout,
                                                       const std::string& where) {
  using namespace boost::asio::experimental::awaitable_operators;
  namespace asio = boost::asio;
  std::string data(count, '\0');
  std::size_t got = 0;
  asio::steady_timer timer(stream.get_executor(), timeout);  // one deadline for all bytes
  while (got < count) {
    auto chunk = asio::buffer(data.data() + got, count - got);
    auto outcome = co_await (stream.async_read_some(chunk, asio::as_tuple(asio::use_awaitable)) ||
                             timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (outcome.index() == 1) {
      co_return fail("printer_timeout", fmt::format("read {}: {} of {} bytes within {} ms", where,
                                                    got, count, timeout.count()));
    }
    auto [ec, n] = std::get<0>(outcome);
    got += n;
    if (ec) co_return std::unexpected(io_error("read", where, ec));
  }
  co_return data;
}

// Reads and drops whatever is already buffered, without blocking.
template <typename Stream>
void discard_buffered(Stream& stream) {
  boost::system::error_code ec;
  stream.non_blocking(true, ec);
  char sink[256];
  while (!ec) {
    std::size_t n = stream.read_some(boost::asio::buffer(sink), ec);
    if (n == 0) break;
  }
  stream.non_blocking(false, ec);
}

}  // namespace pma::printer::detail
