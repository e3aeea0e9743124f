// PrintQueue::on_health_change against the virtual printer over loopback TCP: each change of
// the printer's health (paper out, cover open, unreachable, back to ready) is reported once,
// however often the queue retries meanwhile; jobs wait and then print once.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "agent/printing/print_jobs.h"
#include "tests/printer/queue_fixture.h"

using namespace pma;
using pma::printing::JobState;
using pma::test::PrinterState;
using pma::test::QueueFixture;
using Conditions = std::vector<std::string>;

namespace {

std::string order(int n) { return fmt::format("订单 {}", n); }

// A real TCP transport that counts connection attempts (to wait for retries, not for time).
class CountingTransport final : public printer::Transport {
 public:
  CountingTransport(std::unique_ptr<printer::Transport> inner, int& opens)
      : inner_(std::move(inner)), opens_(opens) {}
  std::string describe() const override { return inner_->describe(); }
  bool can_read() const override { return inner_->can_read(); }
  bool is_open() const override { return inner_->is_open(); }
  boost::asio::awaitable<Status> open() override {
    ++opens_;
    co_return co_await inner_->open();
  }
  boost::asio::awaitable<printer::WriteResult> write(std::string_view bytes) override {
    co_return co_await inner_->write(bytes);
  }
  boost::asio::awaitable<Result<std::string>> read(std::size_t count,
                                                   std::chrono::milliseconds timeout) override {
    co_return co_await inner_->read(count, timeout);
  }
  void discard_input() override { inner_->discard_input(); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<printer::Transport> inner_;
  int& opens_;
};

// The fixture's queue, recording every condition it reports.
struct HealthFixture : QueueFixture {
  Conditions reported;
  int opens = 0;

  HealthFixture() {
    queue.reset();
    auto transport = std::make_unique<CountingTransport>(
        printer::make_tcp_transport(io.get_executor(),
                                    printer::TcpOptions{.host = "127.0.0.1", .port = port}),
        opens);
    queue = std::make_unique<printing::PrintQueue>(
        io, *db, std::move(transport),
        printing::PrintQueueOptions{.retry_interval = std::chrono::milliseconds(20),
                                    .status_timeout = std::chrono::seconds(5)});
    queue->on_health_change(
        [this](const printing::QueueHealth& health) { reported.emplace_back(health.condition()); });
  }

  void enqueue(int n) {
    REQUIRE(queue->enqueue(fmt::format("txn-{}", n), test::numbered_job(n)).has_value());
  }

  // Every job 1..n printed once, in order, cut, with no REPRINT banner.
  void check_printed_once(int n) {
    REQUIRE(static_cast<int>(printer.receipts().size()) == n);
    for (int i = 1; i <= n; ++i) {
      CHECK(printer.receipts()[i - 1].lines.at(0).text == order(i));
      CHECK(printer.parser().cut_receipts_containing(order(i)) == 1);
      CHECK_FALSE(printer.receipts()[i - 1].contains("REPRINT"));
    }
  }
};

}  // namespace

TEST_CASE("Paper out is reported once while jobs wait, and ready once when the paper is back",
          "[printer][queue][health]") {
  HealthFixture f;
  for (int n = 1; n <= 5; ++n) f.enqueue(n);
  SECTION("the paper is out when job 3 is due") {
    f.queue->on_printed([&](const printing::PrintJob& job) {
      if (job.id == 2) f.printer.set_state(PrinterState::paper_out);
    });
    f.queue->start();
    REQUIRE(f.wait([&] { return !f.reported.empty(); }));
    CHECK(f.job(3).state == JobState::queued);
  }
  SECTION("the paper runs out in the middle of job 3") {
    std::size_t before = test::numbered_job(1).size() + test::numbered_job(2).size();
    f.printer.run_out_of_paper_after(before + test::numbered_job(3).size() / 2);
    f.queue->start();
    REQUIRE(f.wait([&] { return !f.reported.empty(); }));
    CHECK(f.job(3).state == JobState::printing);  // held by the printer, not sent again
  }
  CHECK(f.reported == Conditions{"paper_out"});
  CHECK(f.queue->health().condition() == "paper_out");
  CHECK(f.job(4).state == JobState::queued);
  CHECK(f.job(5).state == JobState::queued);

  // The queue keeps asking the printer; nothing new is reported while the paper stays out.
  int queries = f.printer.status_queries();
  REQUIRE(f.wait([&] { return f.printer.status_queries() > queries + 12; }));
  CHECK(f.reported == Conditions{"paper_out"});
  CHECK(f.printer.receipts().size() == 2);

  f.printer.set_state(PrinterState::online);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.reported == Conditions{"paper_out", "ready"});
  f.check_printed_once(5);
}

TEST_CASE("An open cover is reported once and its reason changes are reported in turn",
          "[printer][queue][health]") {
  HealthFixture f;
  f.printer.set_state(PrinterState::cover_open);
  f.enqueue(1);
  f.queue->start();
  REQUIRE(f.wait([&] { return !f.reported.empty(); }));
  CHECK(f.reported == Conditions{"cover_open"});

  // The cover is closed but the paper is out: another reason, one more report.
  f.printer.set_state(PrinterState::paper_out);
  REQUIRE(f.wait([&] { return f.reported.size() == 2; }));
  CHECK(f.reported == Conditions{"cover_open", "paper_out"});
  CHECK(f.printer.receipts().empty());

  f.printer.set_state(PrinterState::online);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.reported == Conditions{"cover_open", "paper_out", "ready"});
  f.check_printed_once(1);
}

TEST_CASE("A TCP printer that stops accepting connections is unreachable once, then ready",
          "[printer][queue][health]") {
  HealthFixture f;
  f.enqueue(1);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.reported.empty());  // printing is what the queue assumed: no change

  // The cable is pulled while the queue is idle with its connection open; the next job finds
  // out. The stale connection alone is not reported: what reconnecting finds is.
  f.printer.stop_listening();
  f.enqueue(2);
  REQUIRE(f.wait([&] { return !f.reported.empty(); }));
  CHECK(f.reported == Conditions{"printer_unreachable"});
  CHECK(f.job(2).state == JobState::queued);
  CHECK_THAT(f.job(2).last_error, Catch::StartsWith("printer_unreachable"));

  int opens = f.opens;
  REQUIRE(f.wait([&] { return f.opens > opens + 8; }));  // the queue keeps trying
  f.enqueue(3);
  REQUIRE(f.wait([&] { return f.opens > opens + 10; }));
  CHECK(f.reported == Conditions{"printer_unreachable"});

  f.printer.listen_tcp(f.port);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.reported == Conditions{"printer_unreachable", "ready"});
  f.check_printed_once(3);
}

TEST_CASE("A printer that closed an idle connection is no change: the next job just prints",
          "[printer][queue][health]") {
  HealthFixture f;
  f.enqueue(1);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  int accepted = f.printer.connections_accepted();

  f.printer.stop_listening();  // drops the idle connection, as a printer's idle timeout does
  f.printer.listen_tcp(f.port);
  f.enqueue(2);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.printer.connections_accepted() == accepted + 1);
  CHECK(f.reported.empty());
  f.check_printed_once(2);
}

TEST_CASE("A connection dropped mid-job is reported, and ready once the reprint is out",
          "[printer][queue][health]") {
  HealthFixture f;
  std::string job1 = test::numbered_job(1);
  f.enqueue(1);
  f.printer.drop_connection_after(job1.size() / 2);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.reported == Conditions{"printer_disconnected", "ready"});
  CHECK(f.printer.parser().cut_receipts_containing(order(1)) == 1);
}

TEST_CASE("Stopping the queue reports nothing", "[printer][queue][health]") {
  HealthFixture f;
  f.printer.set_state(PrinterState::silent);  // a status query stays in flight until stop()
  f.enqueue(1);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.printer.status_queries() > 0; }));
  f.queue->stop();
  REQUIRE(f.wait([&] { return !f.queue->running(); }));
  CHECK(f.reported.empty());
  CHECK(f.queue->health().condition() == "stopped");
  CHECK(f.job(1).state == JobState::queued);
  CHECK(f.job(1).last_error.empty());  // the queue's own close() is not the printer's fault
}
