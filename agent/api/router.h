// Routes local API requests ("POST /v1/members/lookup", "GET /v1/members/{id}") to handlers.
// Built once at start-up, then read-only; handlers run on the io_context thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pma::api {

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;   // after '?', undecoded
  std::string body;
  std::map<std::string, std::string> params;  // "{id}" segments of the matched route
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Further header fields (CORS, the status page's security headers).
  std::vector<std::pair<std::string, std::string>> headers;
};

using Handler = std::function<ApiResponse(const ApiRequest&)>;
// For handlers that wait on the network (e.g. a reservation at HQ) without blocking others.
using AsyncHandler = std::function<boost::asio::awaitable<ApiResponse>(const ApiRequest&)>;

class Metrics;

class Router {
 public:
  // Times every dispatched request into `metrics` (which must outlive the router).
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }

  // pattern: "/v1/members/{id}"; a "{name}" segment matches one path segment.
  void add(std::string method, std::string pattern, Handler handler);
  void add_async(std::string method, std::string pattern, AsyncHandler handler);

  // Dispatches: 404 "not_found" for an unknown path, 405 "method_not_allowed" when the path
  // exists with other methods. A literal segment wins over a "{name}" one: with
  // "POST /v1/members/lookup" and "GET /v1/members/{id}", GET /v1/members/lookup is 405, not
  // a lookup of member "lookup". The request must outlive the returned awaitable.
  boost::asio::awaitable<ApiResponse> dispatch(ApiRequest& request) const;

  // The route table, in the order the routes were added (memberd --list-routes; the OpenAPI
  // document's test compares it with the documented operations).
  struct RouteName {
    std::string method;   // "POST"
    std::string pattern;  // "/v1/members/{id}"
    bool operator==(const RouteName&) const = default;
  };
  std::vector<RouteName> routes() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;  // one of handler and async_handler is set
    AsyncHandler async_handler;
    std::string name;  // "POST /v1/members/lookup"
    std::string pattern;
  };
  std::vector<Route> routes_;
  Metrics* metrics_ = nullptr;
};

}  // namespace pma::api
