// The receipt printers memberd drives ([[printer]] entries): one durable PrintQueue per
// printer on the io_context, with their states for /v1/health. Lives on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "pma/v1/api.pb.h"
#include "printing/print_queue.h"

namespace pma::daemon {

class PrinterFleet {
 public:
  PrinterFleet(boost::asio::io_context& io, store::Database& db) : io_(io), db_(db) {}

  // Creates and starts a queue per printer; jobs left by a previous run are picked up.
  Status start(const std::vector<config::PrinterConfig>& printers);
  // Stops the workers; run the io_context until stopped() before destroying the fleet.
  void stop();
  bool stopped() const;

  // The queue named `name` (empty: the first printer), or nullptr.
  printing::PrintQueue* queue(const std::string& name);
  // The configured paper of `name` (80 mm when unknown).
  printer::Paper paper(const std::string& name) const;

  std::vector<pma::v1::DeviceState> states() const;
  // Jobs accepted but not yet printed, per printer name.
  std::vector<std::pair<std::string, std::int64_t>> queue_depths();

 private:
  struct Printer {
    config::PrinterConfig config;
    std::unique_ptr<printing::PrintQueue> queue;
  };
  const Printer* find(const std::string& name) const;

  boost::asio::io_context& io_;
  store::Database& db_;
  std::vector<Printer> printers_;
};

}  // namespace pma::daemon
