#include "agent/daemon/printer_fleet.h"

namespace pma::daemon {

namespace {

// What counts as a state change for the event stream: ready, or not ready for a reason code.
// Another message for the same code (a retry's wording, printing vs idle) is no change.
// What makes a state worth an event. Absent is absent whatever the queue last saw: a pulled
// USB cable is first a failed write ("printer_disconnected"), then a vanished device file
// ("device_absent"), and when it is plugged back in the queue's failure stays on record until
// its next attempt; neither is news to the cashier.
std::string change_key(const pma::v1::DeviceState& state) {
  if (state.state() == "ready" || state.state() == "absent") return state.state();
  const std::string& reason = state.reason();
  return state.state() + "\n" + reason.substr(0, reason.find(':'));
}

}  // namespace

Status PrinterFleet::start(const std::vector<config::PrinterConfig>& printers) {
  for (const auto& config : printers) {
    const std::size_t index = printers_.size();
    std::unique_ptr<printer::DevicePresence> presence;
    std::unique_ptr<printer::Transport> transport;
    if (config.transport == "tcp") {
      transport = printer::make_tcp_transport(io_.get_executor(), config.tcp);
    } else if (config.transport == "device") {
      // A USB printer comes and goes with its device node: watch it, so the state says so
      // while the queue is idle, and a waiting job opens the device as soon as it is back.
      presence = std::make_unique<printer::DevicePresence>(io_.get_executor(), config.device.path);
      presence->subscribe([this, index](bool) { report(index); });
      presence->start();
      transport = printer::wait_for_presence(
          printer::make_device_file_transport(io_.get_executor(), config.device), *presence);
    } else {
      transport = printer::make_serial_transport(io_.get_executor(), config.serial);
    }
    printing::PrintQueueOptions options;
    options.printer = config.name;
    options.columns = printer::columns_for(config.paper);
    options.retry_interval = std::chrono::milliseconds(config.retry_ms);
    if (auto ok = options.validate(); !ok) return ok;
    auto queue = std::make_unique<printing::PrintQueue>(io_, db_, std::move(transport), options);
    // One path for every transport: the queue reports what it learns when it opens, writes
    // or reads status (paper out, cover open, unreachable, back to ready).
    queue->on_health_change([this, index](const printing::QueueHealth&) { report(index); });
    queue->start();
    printers_.push_back(Printer{config, std::move(presence), std::move(queue), ""});
    printers_.back().last_reported = change_key(state_of(printers_.back()));
  }
  return {};
}

void PrinterFleet::stop() {
  for (auto& p : printers_) {
    p.queue->stop();
    if (p.presence) p.presence->stop();
  }
}

bool PrinterFleet::stopped() const {
  for (const auto& p : printers_) {
    if (p.queue->running()) return false;
  }
  return true;
}

const PrinterFleet::Printer* PrinterFleet::find(const std::string& name) const {
  if (printers_.empty()) return nullptr;
  if (name.empty()) return &printers_.front();
  for (const auto& p : printers_) {
    if (p.config.name == name) return &p;
  }
  return nullptr;
}

printing::PrintQueue* PrinterFleet::queue(const std::string& name) {
  const Printer* p = find(name);
  return p ? p->queue.get() : nullptr;
}

printer::Paper PrinterFleet::paper(const std::string& name) const {
  const Printer* p = find(name);
  return p ? p->config.paper : printer::Paper::mm80;
}

std::vector<std::pair<std::string, std::int64_t>> PrinterFleet::queue_depths() {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (auto& p : printers_) {
    out.emplace_back(p.config.name, p.queue->jobs().pending_count(p.config.name).value_or(-1));
  }
  return out;
}

pma::v1::DeviceState PrinterFleet::state_of(const Printer& p) const {
  const auto& health = p.queue->health();
  pma::v1::DeviceState state;
  state.set_name(p.config.name);
  state.set_kind("printer/" + p.config.transport);
  if (p.presence) {
    // The watch knows first: an idle queue has not tried the device yet, and a waiting one is
    // parked in open() until the device is back.
    if (auto present = p.presence->status(); !present) {
      state.set_state("absent");
      state.set_reason(present.error().code + ": " + present.error().message);
      return state;
    }
  }
  if (health.activity == "idle" || health.activity == "printing") {
    state.set_state("ready");
    if (health.activity == "printing") state.set_reason("printing");
  } else if (health.activity == "waiting") {
    bool gone = health.reason == "printer_unreachable" || health.reason == "device_absent" ||
                health.reason == "printer_disconnected";
    state.set_state(gone ? "absent" : "error");
    state.set_reason(health.message.empty() ? health.reason
                                            : health.reason + ": " + health.message);
  } else {
    state.set_state("absent");
    state.set_reason(health.activity);
  }
  return state;
}

std::vector<pma::v1::DeviceState> PrinterFleet::states() const {
  std::vector<pma::v1::DeviceState> out;
  for (const auto& p : printers_) out.push_back(state_of(p));
  return out;
}

void PrinterFleet::report(std::size_t index) {
  if (index >= printers_.size()) return;  // start() has not finished adding this printer
  Printer& p = printers_[index];
  auto state = state_of(p);
  std::string key = change_key(state);
  if (key == p.last_reported) return;
  p.last_reported = std::move(key);
  if (on_state_change_) on_state_change_(state);
}

}  // namespace pma::daemon
