// A print queue on a real SQLite file printing over loopback TCP to the virtual printer.
#pragma once

#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include "agent/printing/print_queue.h"
#include "agent/store/migrations.h"
#include "agent/store/sqlite.h"
#include "drivers/printer/escpos.h"
#include "tests/support/temp_dir.h"
#include "tests/support/virtual_printer.h"

namespace pma::test {

inline std::unique_ptr<store::Database> open_agent_db(const std::string& path) {
  auto db = store::Database::open(path);
  REQUIRE(db.has_value());
  REQUIRE(store::migrate(**db).has_value());
  return std::move(*db);
}

// A small receipt whose text names its number, e.g. "订单 3".
inline std::string numbered_job(int n) {
  auto e = printer::EscPosEncoder::create(48);
  REQUIRE(e.has_value());
  e->initialize().align(printer::Align::center).bold(true).line(fmt::format("订单 {}", n));
  e->bold(false).align(printer::Align::left);
  for (int i = 0; i < 6; ++i) e->row(fmt::format("商品 {}", i), fmt::format("{}.00", i + n));
  e->line(fmt::format("end of 订单 {}", n)).cut();
  return e->bytes();
}

struct QueueFixture {
  TempDir dir;
  boost::asio::io_context io;
  std::unique_ptr<store::Database> db = open_agent_db(dir.file("agent.db"));
  VirtualPrinter printer{io};
  std::uint16_t port = printer.listen_tcp();
  std::unique_ptr<printing::PrintQueue> queue = make_queue();

  std::unique_ptr<printing::PrintQueue> make_queue() {
    auto transport = printer::make_tcp_transport(
        io.get_executor(), printer::TcpOptions{.host = "127.0.0.1", .port = port});
    return std::make_unique<printing::PrintQueue>(
        io, *db, std::move(transport),
        printing::PrintQueueOptions{.retry_interval = std::chrono::milliseconds(20),
                                    .status_timeout = std::chrono::seconds(5)});
  }

  printing::PrintJob job(std::int64_t id) {
    auto found = queue->jobs().find(id);
    REQUIRE(found.has_value());
    REQUIRE(found->has_value());
    return **found;
  }

  bool all_printed() {
    auto pending = queue->jobs().pending_count(queue->printer_name());
    REQUIRE(pending.has_value());
    return *pending == 0;
  }

  bool wait(const std::function<bool()>& done) { return run_until(io, done); }

  ~QueueFixture() {
    if (!queue) return;
    queue->stop();
    run_until(io, [&] { return !queue->running(); });
  }
};

}  // namespace pma::test
