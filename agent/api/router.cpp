#include "agent/api/router.h"

#include <chrono>

#include "agent/api/json.h"
#include "agent/api/metrics.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

bool match(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const std::string& p = pattern[i];
    if (is_param(p)) {
      found[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

// Which pattern is more specific: the first segment where they differ, a literal beats a
// parameter. Patterns that match one path have equal lengths.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    if (is_param(a[i]) != is_param(b[i])) return !is_param(a[i]);
  }
  return false;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  std::string name = method + " " + pattern;
  routes_.push_back(Route{std::move(method),
                          split_path(pattern),
                          std::move(handler),
                          {},
                          std::move(name),
                          std::move(pattern)});
}

void Router::add_async(std::string method, std::string pattern, AsyncHandler handler) {
  std::string name = method + " " + pattern;
  routes_.push_back(Route{std::move(method),
                          split_path(pattern),
                          {},
                          std::move(handler),
                          std::move(name),
                          std::move(pattern)});
}

std::vector<Router::RouteName> Router::routes() const {
  std::vector<RouteName> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.push_back({route.method, route.pattern});
  return out;
}

boost::asio::awaitable<ApiResponse> Router::dispatch(ApiRequest& request) const {
  auto parts = split_path(request.path);
  // The most specific pattern that matches the path decides; its methods are the path's.
  const std::vector<std::string>* best = nullptr;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> params;
    if (!match(route.segments, parts, params)) continue;
    if (best == nullptr || more_specific(route.segments, *best)) best = &route.segments;
  }
  const bool path_known = best != nullptr;
  for (const Route& route : routes_) {
    if (best == nullptr || route.segments != *best) continue;
    std::map<std::string, std::string> params;
    match(route.segments, parts, params);
    if (route.method != request.method) continue;
    request.params = std::move(params);
    auto started = std::chrono::steady_clock::now();
    ApiResponse response;
    // (Not a conditional expression: GCC 12 destroys a co_await inside ?: twice.)
    if (route.handler) {
      response = route.handler(request);
    } else {
      response = co_await route.async_handler(request);
    }
    if (metrics_ != nullptr) {
      metrics_->observe_request(
          route.name, response.status,
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    co_return response;
  }
  if (path_known) {
    co_return error_response(err::method_not_allowed,
                             request.method + " is not allowed on " + request.path);
  }
  co_return error_response(err::not_found, "no such endpoint: " + request.path);
}

}  // namespace pma::api
