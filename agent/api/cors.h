// Cross-origin access for browser tills (CORS): which origins a page may call the local API
// from (api.allowed_origins, plus the agent's own http://127.0.0.1:<port> so that its status
// page at GET / can open the event stream), the answer to a preflight (OPTIONS, answered
// without the token), and the Access-Control-* fields on answers to a listed Origin. Never
// "*": a listed origin is echoed back, with "Vary: Origin". The Origin admission itself (403
// origin_not_allowed) stays in RequestGuard. Stateless functions; thread-safe.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/api/router.h"

namespace pma::api::cors {

// Request headers a page may send: the bearer token and a JSON body's type.
inline constexpr std::string_view kAllowedHeaders = "Authorization, Content-Type";
inline constexpr std::string_view kAllowedMethods = "GET, POST, DELETE, OPTIONS";
// How long a browser may cache a preflight answer, in seconds.
inline constexpr int kMaxAgeSeconds = 600;

// api.allowed_origins (lower case) plus the agent's own origins: http://127.0.0.1:<port>,
// http://localhost:<port>, http://[::1]:<port> and http://<listen>:<port>.
std::vector<std::string> effective_origins(const std::vector<std::string>& configured,
                                           std::string_view listen, std::uint16_t port);

// Whether `origin` is in `origins` (compared case-insensitively).
bool listed(const std::vector<std::string>& origins, std::string_view origin);

// A CORS preflight: OPTIONS carrying Origin and Access-Control-Request-Method.
bool is_preflight(const boost::beast::http::request_header<>& header);

// The answer to a preflight from an admitted origin: 204 with Access-Control-Allow-Origin,
// -Methods, -Headers, -Max-Age, Vary, and Access-Control-Allow-Private-Network when asked
// (Chrome's Private Network Access, a public https page calling 127.0.0.1).
ApiResponse preflight_answer(const boost::beast::http::request_header<>& header);

// Adds Access-Control-Allow-Origin (the request's origin) and Vary: Origin to `response`.
void allow_origin(ApiResponse& response, std::string_view origin);

}  // namespace pma::api::cors
