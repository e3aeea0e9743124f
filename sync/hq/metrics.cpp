#include "sync/hq/metrics.h"

#include <fmt/format.h>

#include "sync/hq/server.h"

namespace pma::hq {

void HqMetrics::seed_terminal(const TerminalKey& terminal, std::uint64_t highest_seq) {
  auto& lag = terminals_[terminal];
  lag.highest_seq = std::max(lag.highest_seq, highest_seq);
}

void HqMetrics::batch_applied(const TerminalKey& terminal, std::uint64_t highest_seq,
                              std::uint32_t applied, std::int64_t now_ms) {
  auto& lag = terminals_[terminal];
  lag.highest_seq = highest_seq;
  lag.last_batch_ms = now_ms;
  const std::int64_t second = now_ms / 1000;
  if (!per_second_.empty() && per_second_.back().first == second) {
    per_second_.back().second += applied;
  } else {
    per_second_.emplace_back(second, applied);
  }
  while (!per_second_.empty() && per_second_.front().first <= second - kRateWindowMs / 1000) {
    per_second_.pop_front();
  }
}

void HqMetrics::page_served(std::uint32_t members) {
  ++pages_served_;
  members_served_ += members;
}

double HqMetrics::ingest_rate(std::int64_t now_ms) const {
  const std::int64_t oldest = now_ms / 1000 - kRateWindowMs / 1000;
  std::uint64_t total = 0;
  for (const auto& [second, count] : per_second_) {
    if (second > oldest) total += count;
  }
  return static_cast<double>(total) / (static_cast<double>(kRateWindowMs) / 1000.0);
}

namespace {

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <typename T>
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            T value) {
  family(out, name, type, help);
  out += fmt::format("{} {}\n", name, value);
}

// A label value as the exposition format wants it: backslash, quote and newline escaped.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

std::string render_prometheus(const ServerStats& stats, const HqMetrics& metrics,
                              const DatabaseGauges& database, std::int64_t now_ms) {
  std::string out;
  metric(out, "memberhq_sessions_open", "gauge", "Terminal sessions admitted and not yet ended.",
         stats.sessions_active);
  metric(out, "memberhq_sessions_total", "counter", "Terminal sessions admitted.",
         stats.sessions_total);
  family(out, "memberhq_sessions_refused_total", "counter",
         "Connections refused, by reason (busy includes store_busy).");
  for (auto [reason, count] :
       {std::pair<std::string_view, std::uint64_t>{"busy", stats.refused_busy},
        {"store_busy", stats.refused_store_busy},
        {"handshakes", stats.refused_handshakes},
        {"tls", stats.refused_tls},
        {"revoked", stats.refused_revoked}}) {
    out += fmt::format("memberhq_sessions_refused_total{{reason=\"{}\"}} {}\n", reason, count);
  }
  metric(out, "memberhq_sessions_replaced_total", "counter",
         "Sessions closed for a newer one of the same terminal.", stats.replaced);
  metric(out, "memberhq_protocol_errors_total", "counter",
         "Sessions ended by a bad frame or a storage error.", stats.protocol_errors);
  metric(out, "memberhq_batches_total", "counter", "Batches applied.", stats.batches);
  metric(out, "memberhq_deltas_applied_total", "counter",
         "Deltas applied (each exactly once; duplicates not counted).", stats.deltas_applied);
  metric(out, "memberhq_ingest_deltas_per_second", "gauge",
         "Deltas applied per second over the last minute.",
         fmt::format("{:.3f}", metrics.ingest_rate(now_ms)));
  metric(out, "memberhq_pages_served_total", "counter", "Member pages sent to tills.",
         metrics.pages_served());
  metric(out, "memberhq_page_members_served_total", "counter",
         "Member rows sent to tills in member pages.", metrics.members_served());
  family(out, "memberhq_reservations_total", "counter", "Online-first reservations answered.");
  out += fmt::format("memberhq_reservations_total{{outcome=\"granted\"}} {}\n",
                     stats.reservations_granted);
  out += fmt::format("memberhq_reservations_total{{outcome=\"refused\"}} {}\n",
                     stats.reservations_refused);
  if (database.holds_in_force) {
    metric(out, "memberhq_holds_in_force", "gauge",
           "Online-first holds (coupons, points burns) not yet consumed, released or expired.",
           *database.holds_in_force);
  }
  if (database.conflicts) {
    metric(out, "memberhq_conflicts", "gauge", "Conflicts recorded in the HQ database.",
           *database.conflicts);
  }
  metric(out, "memberhq_database_up", "gauge", "1 when the scrape's database reads succeeded.",
         database.holds_in_force && database.conflicts ? 1 : 0);
  family(out, "memberhq_terminal_highest_seq", "gauge",
         "Highest contiguous seq applied for the terminal.");
  for (const auto& [key, lag] : metrics.terminals()) {
    out += fmt::format("memberhq_terminal_highest_seq{{store=\"{}\",terminal=\"{}\"}} {}\n",
                       label(key.first), label(key.second), lag.highest_seq);
  }
  family(out, "memberhq_terminal_last_batch_age_seconds", "gauge",
         "Seconds since this process applied the terminal's last batch (terminals with a batch "
         "since memberhq started).");
  for (const auto& [key, lag] : metrics.terminals()) {
    if (lag.last_batch_ms == 0) continue;
    out += fmt::format(
        "memberhq_terminal_last_batch_age_seconds{{store=\"{}\",terminal=\"{}\"}} {:.3f}\n",
        label(key.first), label(key.second),
        static_cast<double>(std::max<std::int64_t>(0, now_ms - lag.last_batch_ms)) / 1000.0);
  }
  return out;
}

}  // namespace pma::hq
