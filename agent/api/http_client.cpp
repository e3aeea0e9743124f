#include "agent/api/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>

#include "pma/error_codes.h"

namespace pma::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct HttpClient::Impl {
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(std::string host, std::uint16_t port, std::string token,
                       std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()),
      host_(std::move(host)),
      port_(port),
      token_(std::move(token)),
      timeout_(timeout) {}

HttpClient::~HttpClient() = default;
HttpClient::HttpClient(HttpClient&&) noexcept = default;
HttpClient& HttpClient::operator=(HttpClient&&) noexcept = default;

Result<HttpReply> HttpClient::request(std::string_view method, std::string_view target,
                                      std::string_view body) {
  auto address = [&] { return host_ + ":" + std::to_string(port_); };
  for (int attempt = 0; attempt < 2; ++attempt) {
    beast::error_code ec;
    bool fresh = false;
    if (!impl_->stream) {
      impl_->stream.emplace(impl_->io);
      impl_->buffer.clear();
      asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host_, ec), port_);
      if (ec) return fail(err::api_unreachable, "bad address " + host_ + ": " + ec.message());
      impl_->stream->socket().connect(endpoint, ec);
      if (ec) {
        impl_->stream.reset();
        return fail(err::api_unreachable,
                    "cannot connect to memberd at " + address() + ": " + ec.message());
      }
      impl_->stream->socket().set_option(asio::ip::tcp::no_delay(true));
      fresh = true;
    }
    http::request<http::string_body> req{http::string_to_verb(method), std::string(target), 11};
    req.set(http::field::host, host_);
    req.set(http::field::user_agent, "memberctl");
    if (!token_.empty()) req.set(http::field::authorization, "Bearer " + token_);
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
    req.keep_alive(true);
    req.prepare_payload();

    impl_->stream->expires_after(timeout_);
    http::write(*impl_->stream, req, ec);
    http::response<http::string_body> res;
    if (!ec) http::read(*impl_->stream, impl_->buffer, res, ec);
    if (ec) {
      impl_->stream.reset();
      // A kept-alive connection the server closed meanwhile: retry once on a fresh one.
      if (!fresh) continue;
      return fail(err::api_unreachable,
                  "request to memberd at " + address() + " failed: " + ec.message());
    }
    HttpReply reply{static_cast<int>(res.result_int()), std::move(res.body()), res.keep_alive()};
    if (!reply.keep_alive) impl_->stream.reset();
    if (observer_) observer_(method, target, reply);
    return reply;
  }
  return fail(err::api_unreachable, "memberd at " + address() + " keeps closing the connection");
}

}  // namespace pma::api
