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

asio::awaitable<Status> connect_tls(TlsStream& stream, const ClientConfig& config) {
  tcp::resolver resolver(stream.get_executor());
  auto [rec, endpoints] = co_await resolver.async_resolve(
      config.hq_host, std::to_string(config.hq_port), asio::as_tuple(asio::use_awaitable));
  if (rec) {
    co_return fail("connect", fmt::format("cannot resolve {}: {}", config.hq_host, rec.message()));
  }
  auto [cec, endpoint] = co_await asio::async_connect(stream.lowest_layer(), endpoints,
                                                      asio::as_tuple(asio::use_awaitable));
  (void)endpoint;
  if (cec) {
    co_return fail("connect", fmt::format("cannot connect to {}:{}: {}", config.hq_host,
                                          config.hq_port, cec.message()));
  }
  boost::system::error_code ignored;
  stream.lowest_layer().set_option(tcp::no_delay(true), ignored);
  SSL_set_tlsext_host_name(stream.native_handle(), config.hq_host.c_str());
  stream.set_verify_callback(ssl::host_name_verification(config.hq_host));
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::client,
                                               asio::as_tuple(asio::use_awaitable));
  if (hec && net::is_certificate_refusal(hec)) {
    co_return fail("tls_refused", fmt::format("TLS with {}:{}: a certificate was refused: {}",
                                              config.hq_host, config.hq_port, hec.message()));
  }
  if (hec) {
    co_return fail("tls_handshake", fmt::format("TLS with {}:{} failed: {}", config.hq_host,
                                                config.hq_port, hec.message()));
  }
  co_return Status{};
}

}  // namespace pma::sync
