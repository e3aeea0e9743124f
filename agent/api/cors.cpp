#include "agent/api/cors.h"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <cctype>

namespace pma::api::cors {

namespace http = boost::beast::http;

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view field(const http::request_header<>& header, std::string_view name) {
  auto it = header.find(name);
  if (it == header.end()) return {};
  return {it->value().data(), it->value().size()};
}

}  // namespace

std::vector<std::string> effective_origins(const std::vector<std::string>& configured,
                                           std::string_view listen, std::uint16_t port) {
  std::vector<std::string> out;
  for (const auto& origin : configured) out.push_back(lower(origin));
  std::string host = lower(listen);
  if (host.find(':') != std::string::npos) host = "[" + host + "]";  // IPv6
  for (const std::string& self :
       {std::string("127.0.0.1"), std::string("localhost"), std::string("[::1]"), host}) {
    std::string origin = "http://" + self + ":" + std::to_string(port);
    if (!listed(out, origin)) out.push_back(origin);
  }
  return out;
}

bool listed(const std::vector<std::string>& origins, std::string_view origin) {
  std::string value = lower(origin);
  return std::find(origins.begin(), origins.end(), value) != origins.end();
}

bool is_preflight(const http::request_header<>& header) {
  return header.method() == http::verb::options &&
         header.find(http::field::origin) != header.end() &&
         header.find(http::field::access_control_request_method) != header.end();
}

ApiResponse preflight_answer(const http::request_header<>& header) {
  ApiResponse response{204, "", "text/plain"};
  allow_origin(response, field(header, "Origin"));
  response.headers.emplace_back("Access-Control-Allow-Methods", std::string(kAllowedMethods));
  response.headers.emplace_back("Access-Control-Allow-Headers", std::string(kAllowedHeaders));
  response.headers.emplace_back("Access-Control-Max-Age", std::to_string(kMaxAgeSeconds));
  if (boost::beast::iequals(field(header, "Access-Control-Request-Private-Network"), "true")) {
    response.headers.emplace_back("Access-Control-Allow-Private-Network", "true");
  }
  return response;
}

void allow_origin(ApiResponse& response, std::string_view origin) {
  response.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
  response.headers.emplace_back("Vary", "Origin");
}

}  // namespace pma::api::cors
