// The daemon-wide families of GET /metrics: scans by result, outbox and sync, printers and
// scanners. Collectors read the parts at scrape time; io_context thread only.
#pragma once

#include "agent/api/metrics.h"
#include "agent/daemon/printer_fleet.h"
#include "agent/daemon/scanner_fleet.h"
#include "agent/daemon/sync_link.h"
#include "agent/scan/scan_service.h"

namespace pma::daemon {

// The parts must outlive `metrics`.
void add_daemon_metrics(api::Metrics& metrics, const scan::ScanService& scans, SyncLink& sync,
                        PrinterFleet& printers, const ScannerFleet& scanners);

}  // namespace pma::daemon
