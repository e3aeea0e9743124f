// Prometheus text exposition for GET /metrics: request latency histograms per API route
// (lookups and commits among them), plus gauges and counters that the daemon's parts report
// through collectors at scrape time. io_context thread only.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pma::api {

// A cumulative histogram with fixed buckets in seconds (100 us .. 1 s).
class Histogram {
 public:
  static constexpr std::array<double, 11> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.1,    0.25,  1.0};
  void observe(double seconds);
  // Appends name_bucket{labels,le=...}, name_sum and name_count lines.
  void render(const std::string& name, const std::string& labels, std::string& out) const;
  std::uint64_t count() const { return count_; }

 private:
  std::array<std::uint64_t, kBuckets.size()> counts_{};
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

// Escapes a Prometheus label value.
std::string label_value(const std::string& value);

class Metrics {
 public:
  // Appends "# HELP/# TYPE" and samples for one family to `out`.
  using Collector = std::function<void(std::string& out)>;

  void observe_request(const std::string& route, int status, double seconds);
  void add_collector(Collector collector) { collectors_.push_back(std::move(collector)); }

  std::string render() const;

 private:
  std::map<std::string, Histogram> routes_;
  std::map<std::pair<std::string, int>, std::uint64_t> responses_;
  std::vector<Collector> collectors_;
};

// Helpers for collectors: one family header and one sample line.
void family(std::string& out, const std::string& name, const std::string& type,
            const std::string& help);
void sample(std::string& out, const std::string& name, const std::string& labels, double value);

}  // namespace pma::api
