#include "agent/api/metrics.h"

#include <fmt/format.h>

namespace pma::api {

void Histogram::observe(double seconds) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++counts_[i];
  }
  ++count_;
  sum_ += seconds;
}

void Histogram::render(const std::string& name, const std::string& labels, std::string& out) const {
  std::string sep = labels.empty() ? "" : ",";
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    out +=
        fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBuckets[i], counts_[i]);
  }
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, count_);
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n{}_count{} {}\n", name, braces, sum_, name, braces, count_);
}

std::string label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

void family(std::string& out, const std::string& name, const std::string& type,
            const std::string& help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void sample(std::string& out, const std::string& name, const std::string& labels, double value) {
  out += labels.empty() ? fmt::format("{} {}\n", name, value)
                        : fmt::format("{}{{{}}} {}\n", name, labels, value);
}

void Metrics::observe_request(const std::string& route, int status, double seconds) {
  routes_[route].observe(seconds);
  ++responses_[{route, status}];
}

std::string Metrics::render() const {
  std::string out;
  family(out, "pma_api_request_duration_seconds", "histogram",
         "Time to answer a local API request, by route (lookups, commits, ...).");
  for (const auto& [route, histogram] : routes_) {
    histogram.render("pma_api_request_duration_seconds",
                     fmt::format("route=\"{}\"", label_value(route)), out);
  }
  family(out, "pma_api_responses_total", "counter", "Local API responses by route and status.");
  for (const auto& [key, count] : responses_) {
    sample(out, "pma_api_responses_total",
           fmt::format("route=\"{}\",status=\"{}\"", label_value(key.first), key.second),
           static_cast<double>(count));
  }
  for (const auto& collect : collectors_) collect(out);
  return out;
}

}  // namespace pma::api
