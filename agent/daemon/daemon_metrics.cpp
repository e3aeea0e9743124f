#include "agent/daemon/daemon_metrics.h"

#include <fmt/format.h>

namespace pma::daemon {

namespace {

// One gauge per device and state value, 1 for the current state, so alerts can match on it.
void device_states(std::string& out, const std::string& name,
                   const std::vector<pma::v1::DeviceState>& devices) {
  for (const auto& d : devices) {
    for (const char* state : {"ready", "absent", "error"}) {
      api::sample(out, name,
                  fmt::format("device=\"{}\",kind=\"{}\",state=\"{}\"", api::label_value(d.name()),
                              api::label_value(d.kind()), state),
                  d.state() == state ? 1 : 0);
    }
  }
}

}  // namespace

void add_daemon_metrics(api::Metrics& metrics, const scan::ScanService& scans, SyncLink& sync,
                        PrinterFleet& printers, const ScannerFleet& scanners) {
  metrics.add_collector([&scans](std::string& out) {
    api::family(out, "pma_scans_total", "counter", "Scans pushed to the POS, by result.");
    api::sample(out, "pma_scans_total", "result=\"accepted\"",
                static_cast<double>(scans.counters().accepted));
    api::sample(out, "pma_scans_total", "result=\"rejected\"",
                static_cast<double>(scans.counters().rejected));
  });
  metrics.add_collector([&sync](std::string& out) {
    auto state = sync.state();
    api::family(out, "pma_outbox_depth", "gauge", "Deltas not yet acknowledged by HQ.");
    api::sample(out, "pma_outbox_depth", "", static_cast<double>(state.outbox_depth()));
    api::family(out, "pma_outbox_oldest_unsent_age_seconds", "gauge",
                "Age of the oldest delta HQ has not acknowledged (0 when empty).");
    api::sample(out, "pma_outbox_oldest_unsent_age_seconds", "",
                static_cast<double>(state.oldest_unsent_age_seconds()));
    api::family(out, "pma_sync_enabled", "gauge", "1 when a [sync] hq or hq_host is configured.");
    api::sample(out, "pma_sync_enabled", "", state.enabled() ? 1 : 0);
    api::family(out, "pma_sync_hq_reachable", "gauge", "1 when the last sync reached HQ.");
    api::sample(out, "pma_sync_hq_reachable", "", state.hq_reachable() ? 1 : 0);
    api::family(out, "pma_sync_consecutive_failures", "gauge",
                "Sync attempts that failed since the last success.");
    api::sample(out, "pma_sync_consecutive_failures", "", state.consecutive_failures());
    api::family(out, "pma_sync_last_success_info", "gauge",
                "The time of the last successful sync (UTC) as a label; 1 when there was one.");
    api::sample(out, "pma_sync_last_success_info",
                fmt::format("at=\"{}\"", api::label_value(state.last_success())),
                state.last_success().empty() ? 0 : 1);
    api::family(out, "pma_reservations_total", "counter",
                "Online-first reservations at HQ by outcome (unanswered: offline rules applied).");
    api::sample(out, "pma_reservations_total", "outcome=\"granted\"",
                static_cast<double>(state.reservations_granted()));
    api::sample(out, "pma_reservations_total", "outcome=\"refused\"",
                static_cast<double>(state.reservations_refused()));
    api::sample(out, "pma_reservations_total", "outcome=\"unanswered\"",
                static_cast<double>(state.reservations_unanswered()));
  });
  metrics.add_collector([&printers](std::string& out) {
    api::family(out, "pma_printer_state", "gauge", "Printer state (1 for the current one).");
    device_states(out, "pma_printer_state", printers.states());
    api::family(out, "pma_print_queue_depth", "gauge", "Print jobs accepted but not printed.");
    for (const auto& [name, depth] : printers.queue_depths()) {
      api::sample(out, "pma_print_queue_depth",
                  fmt::format("printer=\"{}\"", api::label_value(name)),
                  static_cast<double>(depth));
    }
  });
  metrics.add_collector([&scanners](std::string& out) {
    api::family(out, "pma_scanner_state", "gauge", "Scanner state (1 for the current one).");
    device_states(out, "pma_scanner_state", scanners.states());
  });
}

}  // namespace pma::daemon
