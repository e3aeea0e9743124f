// HqMetrics: what memberhq's admin listener reports beyond ServerStats: per-terminal lag
// (highest seq applied, time of the last batch), the ingest rate over the last minute and the
// member pages served. The Server updates it from its io_context thread; thread-compatible
// (const methods may run concurrently, anything else needs the owner's thread).
// render_prometheus formats it, the ServerStats and the database gauges as the Prometheus text
// exposition format (version 0.0.4).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

namespace pma::hq {

struct ServerStats;  // hq/server.h

class HqMetrics {
 public:
  struct Lag {
    std::uint64_t highest_seq = 0;   // highest contiguous seq applied
    std::int64_t last_batch_ms = 0;  // UTC ms of the last batch this process applied; 0: none
  };
  using TerminalKey = std::pair<std::string, std::string>;  // store id, terminal id

  // The ingest rate is averaged over this window.
  static constexpr std::int64_t kRateWindowMs = 60000;

  // A terminal known from the database at start (no batch from it in this process yet).
  void seed_terminal(const TerminalKey& terminal, std::uint64_t highest_seq);
  // A batch applied at now_ms: `applied` new deltas, the terminal's watermark after it.
  void batch_applied(const TerminalKey& terminal, std::uint64_t highest_seq, std::uint32_t applied,
                     std::int64_t now_ms);
  // A member page sent to a till, with `members` rows.
  void page_served(std::uint32_t members);

  const std::map<TerminalKey, Lag>& terminals() const { return terminals_; }
  std::uint64_t pages_served() const { return pages_served_; }
  std::uint64_t members_served() const { return members_served_; }
  // Deltas applied per second over the kRateWindowMs before now_ms.
  double ingest_rate(std::int64_t now_ms) const;

 private:
  std::map<TerminalKey, Lag> terminals_;
  std::uint64_t pages_served_ = 0;
  std::uint64_t members_served_ = 0;
  // Deltas applied per second (UTC second -> count), the last kRateWindowMs of them.
  std::deque<std::pair<std::int64_t, std::uint64_t>> per_second_;
};

// Read from the database at scrape time; absent when the read failed (then the metric is left
// out and memberhq_database_up is 0).
struct DatabaseGauges {
  std::optional<std::uint64_t> holds_in_force;
  std::optional<std::uint64_t> conflicts;
};

// The /metrics body.
std::string render_prometheus(const ServerStats& stats, const HqMetrics& metrics,
                              const DatabaseGauges& database, std::int64_t now_ms);

}  // namespace pma::hq
