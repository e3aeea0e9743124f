#include "printer_fleet.h"

namespace pma::daemon {

Status PrinterFleet::start(const std::vector<config::PrinterConfig>& printers) {
  for (const auto& config : printers) {
    std::unique_ptr<printer::Transport> transport;
    if (config.transport == "tcp") {
      transport = printer::make_tcp_transport(io_.get_executor(), config.tcp);
    } else if (config.transport == "device") {
      transport = printer::make_device_file_transport(io_.get_executor(), config.device);
    } else {
      transport = printer::make_serial_transport(io_.get_executor(), config.serial);
    }
    printing::PrintQueueOptions options;
    options.printer = config.name;
    options.columns = printer::columns_for(config.paper);
    options.retry_interval = std::chrono::milliseconds(config.retry_ms);
    if (auto ok = options.validate(); !ok) return ok;
    auto queue = std::make_unique<printing::PrintQueue>(io_, db_, std::move(transport), options);
    queue->start();
    printers_.push_back(Printer{config, std::move(queue)});
  }
  return {};
}

void PrinterFleet::stop() {
  for (auto& p : printers_) p.queue->stop();
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

std::vector<pma::v1::DeviceState> PrinterFleet::states() const {
  std::vector<pma::v1::DeviceState> out;
  for (const auto& p : printers_) {
    const auto& health = p.queue->health();
    pma::v1::DeviceState state;
    state.set_name(p.config.name);
    state.set_kind("printer/" + p.config.transport);
    if (health.activity == "idle" || health.activity == "printing") {
      state.set_state("ready");
      if (health.activity == "printing") state.set_reason("printing");
    } else if (health.activity == "waiting") {
      bool gone = health.reason == "printer_unreachable" || health.reason == "device_absent" ||
                  health.reason == "printer_disconnected";
      state.set_state(gone ? "absent" : "error");
      state.set_reason(health.message.empty() ? health.reason : health.message);
    } else {
      state.set_state("absent");
      state.set_reason(health.activity);
    }
    out.push_back(std::move(state));
  }
  return out;
}

}  // namespace pma::daemon
