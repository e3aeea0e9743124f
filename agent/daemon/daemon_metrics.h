// The daemon-wide families of GET /metrics: scans by result, outbox and sync, printers and
// scanners. Collectors read the parts at scrape time; io_context thread only.
#pragma once

#include "api/metrics.h"
#include "printer_fleet.h"
#include "scan/scan_service.h"
#include "scanner_fleet.h"
#include "sync_link.h"

namespace pma::daemon {

// The parts must outlive `metrics`.
void add_daemon_metrics(api::Metrics& metrics, const scan::ScanService& scans, SyncLink& sync,
                        PrinterFleet& printers, const ScannerFleet& scanners);

}  // namespace pma::daemon
