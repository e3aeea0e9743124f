// Admission checks on a request's header, made before any body byte is read: the Host (a
// DNS-rebinding page reaches 127.0.0.1 under its own name), the Origin (a cross-origin page),
// and the bearer token ("Authorization: Bearer", or ?access_token= on /v1/events only, since
// browsers cannot set headers on a WebSocket). Also the request target as it may be logged.
// Immutable after construction; thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pma/error.h"

namespace pma::api {

class PosTokens;

struct RequestGuardOptions {
  std::string listen = "127.0.0.1";  // api.listen: its address is an allowed Host too
  std::uint16_t port = 0;            // the bound port: an allowed Host has no port or this one
  std::string token;                 // the bearer token
  // api.allowed_origins: exact "scheme://host[:port]" values; compared case-insensitively.
  std::vector<std::string> allowed_origins;
  // Origin-bound tokens (memberctl pos-token), asked about a bearer token that is not `token`;
  // null: none. Must outlive the guard.
  const PosTokens* pos_tokens = nullptr;
};

class RequestGuard {
 public:
  explicit RequestGuard(RequestGuardOptions options);

  // Checks, in this order: the Host (absent, or 127.0.0.1, localhost, [::1] or api.listen, with
  // no port or the bound one), the Origin (absent, or listed in api.allowed_origins) and the
  // token. Errors: "host_not_allowed" (421), "origin_not_allowed" (403), "missing_token" and
  // "wrong_token" (401), each naming what was refused and why.
  Status admit(const boost::beast::http::request_header<>& header) const;

 private:
  Status check_host(std::string_view host) const;
  Status check_origin(std::string_view origin) const;
  Status check_token(const boost::beast::http::request_header<>& header) const;

  RequestGuardOptions options_;
  std::vector<std::string> hosts_;  // allowed host names, lower case, IPv6 in brackets
};

// `target` with the value of every access_token query parameter replaced by "***", for logs.
std::string redact_target(std::string_view target);

// The value of the first parameter named exactly `name` in a query string
// ("since=5&access_token=ab"), percent-decoded ("a%2Fb" is "a/b"); empty if absent or if the
// query is not RFC 3986 query syntax (HttpSession answers such a target 400 bad_target).
std::string query_value(std::string_view query, std::string_view name);

}  // namespace pma::api
