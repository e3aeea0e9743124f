// The receipt printers memberd drives ([[printer]] entries): one durable PrintQueue per
// printer on the io_context, with their states for /v1/health, /metrics and the event stream.
// A device-file printer's path is watched (printer::DevicePresence), so an unplugged USB printer
// shows `absent` (device_absent) before a job finds it missing, and its queue prints as soon as
// the device node is back. Lives on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/config/config.h"
#include "agent/printing/print_queue.h"
#include "drivers/printer/device_presence.h"
#include "pma/v1/api.pb.h"

namespace pma::daemon {

class PrinterFleet {
 public:
  PrinterFleet(boost::asio::io_context& io, store::Database& db) : io_(io), db_(db) {}

  // Called on the io_context thread once per change of a printer's state or reason code: its
  // device appears or vanishes, or its queue learns it is out of paper, its cover is open, it
  // is unreachable (or any other reason), or ready again. A fault that persists while the queue
  // retries is not reported again, and an absent printer is absent once, whatever it is absent
  // for (a failed write, then its device file gone). Set before start().
  void on_state_change(std::function<void(const pma::v1::DeviceState&)> callback) {
    on_state_change_ = std::move(callback);
  }

  // Creates and starts a queue per printer; jobs left by a previous run are picked up.
  Status start(const std::vector<config::PrinterConfig>& printers);
  // Stops the workers and the device watches; run the io_context until stopped() before
  // destroying the fleet.
  void stop();
  bool stopped() const;

  // The queue named `name` (empty: the first printer), or nullptr.
  printing::PrintQueue* queue(const std::string& name);
  // The configured paper of `name` (80 mm when unknown).
  printer::Paper paper(const std::string& name) const;

  // "ready", "absent" or "error" per printer; the reason is "<code>: <message>" when not ready,
  // e.g. "device_absent: /dev/usb/lp0 does not exist: is the printer unplugged or switched off?".
  std::vector<pma::v1::DeviceState> states() const;
  // Jobs accepted but not yet printed, per printer name.
  std::vector<std::pair<std::string, std::int64_t>> queue_depths();

 private:
  struct Printer {
    config::PrinterConfig config;
    std::unique_ptr<printer::DevicePresence> presence;  // device transports only
    std::unique_ptr<printing::PrintQueue> queue;        // destroyed before the presence it uses
    std::string last_reported;                          // state + reason code last sent out
  };
  const Printer* find(const std::string& name) const;
  pma::v1::DeviceState state_of(const Printer& p) const;
  void report(std::size_t index);

  boost::asio::io_context& io_;
  store::Database& db_;
  std::vector<Printer> printers_;
  std::function<void(const pma::v1::DeviceState&)> on_state_change_;
};

}  // namespace pma::daemon
