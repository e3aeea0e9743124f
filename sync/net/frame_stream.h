// Reading and writing whole frames on an Asio stream (TLS or plain) with coroutines.
// Each call must be awaited before the next on the same stream; single-threaded use.
#pragma once

#include <fmt/format.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <span>
#include <vector>

#include "pma/error.h"
#include "sync/net/tls.h"
#include "sync/wire/frame.h"

namespace pma::net {

namespace asio = boost::asio;

// Errors: "io_closed" (the peer closed between frames), "io_error" (the socket failed, or the
// stream ended inside a frame: "frame_truncated"), and the header errors of wire::parse_header
// (checked before the payload is allocated).
template <typename Stream>
asio::awaitable<Result<wire::Frame>> read_frame(Stream& stream, std::uint32_t max_payload) {
  std::array<std::uint8_t, wire::kHeaderSize> header_bytes{};
  auto [ec, n] = co_await asio::async_read(stream, asio::buffer(header_bytes),
                                           asio::as_tuple(asio::use_awaitable));
  if (ec) {
    // A peer that closes TCP without a TLS close_notify between frames has left, not failed.
    // Other TLS errors (a bad record, an alert) are failures and reported as such.
    if (n == 0 && (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
                   ec == asio::error::connection_reset)) {
      co_return fail("io_closed", fmt::format("connection closed: {}", ec.message()));
    }
    if (n > 0) {
      co_return fail("frame_truncated",
                     fmt::format("stream ended after {} header bytes: {}", n, ec.message()));
    }
    if (is_certificate_refusal(ec)) {
      co_return fail("tls_refused",
                     fmt::format("the peer refused the certificate: {}", ec.message()));
    }
    co_return fail("io_error", fmt::format("reading a frame header: {}", ec.message()));
  }
  auto header = wire::parse_header(header_bytes, max_payload);
  if (!header) co_return std::unexpected(header.error());
  wire::Frame frame{header->type, std::vector<std::uint8_t>(header->payload_size)};
  if (header->payload_size > 0) {
    auto [ec2, m] = co_await asio::async_read(stream, asio::buffer(frame.payload),
                                              asio::as_tuple(asio::use_awaitable));
    if (ec2) {
      co_return fail(
          "frame_truncated",
          fmt::format("{} frame announced {} bytes, stream ended after {}: {}",
                      wire::frame_type_name(header->type), header->payload_size, m, ec2.message()));
    }
  }
  co_return frame;
}

template <typename Stream>
asio::awaitable<Status> write_frame(Stream& stream, std::span<const std::uint8_t> bytes) {
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()),
                                            asio::as_tuple(asio::use_awaitable));
  if (ec) co_return fail("io_error", fmt::format("writing a frame: {}", ec.message()));
  co_return Status{};
}

}  // namespace pma::net
