#include "sync/client/connect.h"

#include <fmt/format.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace pma::sync {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

asio::awaitable<std::expected<void, ConnectError>> connect_tls(TlsStream& stream,
                                                               const HqAddress& hq) {
  auto failure = [](ConnectFailure kind, std::string code, std::string message) {
    return std::unexpected(ConnectError{kind, Error{std::move(code), std::move(message)}});
  };
  tcp::resolver resolver(stream.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(hq.host, std::to_string(hq.port),
                                                          asio::as_tuple(asio::use_awaitable));
  if (rec) {
    co_return failure(ConnectFailure::unreachable, "connect",
                      fmt::format("cannot resolve {}: {}", hq.host, rec.message()));
  }
  auto [cec, endpoint] = co_await asio::async_connect(stream.lowest_layer(), endpoints,
                                                      asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (cec) {
    co_return failure(ConnectFailure::unreachable, "connect",
                      fmt::format("cannot connect to {}:{}: {}", hq.host, hq.port, cec.message()));
  }
  boost::system::error_code ignored;
  stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
  SSL_set_tlsext_host_name(stream.native_handle(), hq.host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(hq.host));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
  if (hec && net::is_certificate_refusal(hec)) {
    co_return failure(ConnectFailure::certificate_refused, "tls_refused",
                      fmt::format("TLS with {}:{}: a certificate was refused: {}", hq.host, hq.port,
                                  hec.message()));
  }
  if (hec) {
    co_return failure(ConnectFailure::handshake, "tls_handshake",
                      fmt::format("TLS with {}:{} failed: {}", hq.host, hq.port, hec.message()));
  }
  co_return std::expected<void, ConnectError>{};
}

}  // namespace pma::sync
