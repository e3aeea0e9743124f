// The durable print queue against the virtual printer: order, idempotency, paper-out, dropped
// connections, a pulled cable and crash recovery, on a real SQLite file.
#include <catch2/catch.hpp>

#include "agent/printing/print_jobs.h"
#include "tests/printer/queue_fixture.h"

using namespace pma;
using pma::printing::JobState;
using pma::test::PrinterState;
using pma::test::QueueFixture;

namespace {

std::string order(int n) { return fmt::format("订单 {}", n); }

}  // namespace

TEST_CASE("Queued jobs print in order, each exactly once", "[printer][queue]") {
  QueueFixture f;
  for (int n = 1; n <= 5; ++n) {
    auto accepted = f.queue->enqueue(fmt::format("txn-{}", n), test::numbered_job(n));
    REQUIRE(accepted.has_value());
    CHECK_FALSE(accepted->duplicate);
  }
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  const auto& receipts = f.printer.receipts();
  REQUIRE(receipts.size() == 5);
  for (int n = 1; n <= 5; ++n) {
    CHECK(receipts[n - 1].lines.at(0).text == order(n));
    CHECK(receipts[n - 1].cut);
    CHECK(f.printer.parser().cut_receipts_containing(order(n)) == 1);
  }
  auto jobs = f.queue->jobs().list("receipt");
  REQUIRE(jobs.has_value());
  for (const auto& job : *jobs) {
    CHECK(job.state == JobState::printed);
    CHECK(job.attempts == 1);
    CHECK(job.printed_at.has_value());
  }
}

TEST_CASE("A job accepted is on disk before the printer sees it", "[printer][queue]") {
  QueueFixture f;
  auto accepted = f.queue->enqueue("txn-disk", test::numbered_job(7));
  REQUIRE(accepted.has_value());
  f.queue.reset();  // the agent stops before printing
  f.db.reset();
  f.db = test::open_agent_db(f.dir.file("agent.db"));
  f.queue = f.make_queue();
  CHECK(f.job(accepted->job_id).state == JobState::queued);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.printer.parser().cut_receipts_containing(order(7)) == 1);
}

TEST_CASE("Resubmitting an idem key never prints a copy", "[printer][queue]") {
  QueueFixture f;
  auto first = f.queue->enqueue("txn-A", test::numbered_job(1));
  REQUIRE(first.has_value());
  SECTION("while the first is still queued") {
    auto again = f.queue->enqueue("txn-A", test::numbered_job(1));
    REQUIRE(again.has_value());
    CHECK(again->duplicate);
    CHECK(again->job_id == first->job_id);
    f.queue->start();
  }
  SECTION("after the first has printed") {
    f.queue->start();
    REQUIRE(f.wait([&] { return f.all_printed(); }));
    auto again = f.queue->enqueue("txn-A", test::numbered_job(1));
    REQUIRE(again.has_value());
    CHECK(again->duplicate);
    CHECK(again->state == JobState::printed);
  }
  // A later job printing proves the worker went past any copy it might have made.
  REQUIRE(f.queue->enqueue("txn-B", test::numbered_job(2)).has_value());
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.printer.parser().cut_receipts_containing(order(1)) == 1);
  CHECK(f.printer.parser().cut_receipts_containing(order(2)) == 1);
  CHECK(f.printer.receipts().size() == 2);
}

TEST_CASE("Paper out mid-queue and back: nothing lost, nothing doubled", "[printer][queue]") {
  QueueFixture f;
  std::vector<std::string> jobs;
  for (int n = 1; n <= 5; ++n) jobs.push_back(test::numbered_job(n));
  for (int n = 1; n <= 5; ++n) {
    REQUIRE(f.queue->enqueue(fmt::format("txn-{}", n), jobs[n - 1]).has_value());
  }
  SECTION("the paper runs out in the middle of job 3") {
    f.printer.run_out_of_paper_after(jobs[0].size() + jobs[1].size() + jobs[2].size() / 2);
    f.queue->start();
    REQUIRE(f.wait([&] { return f.queue->health().reason == "paper_out"; }));
    CHECK(f.queue->health().activity == "waiting");
    CHECK(f.job(3).state == JobState::printing);
    CHECK(f.job(3).last_error.starts_with("paper_out"));
    CHECK(f.job(4).state == JobState::queued);
    CHECK(f.printer.receipts().size() == 2);
    CHECK(f.printer.held_bytes() > 0);
  }
  SECTION("the paper is out before job 3 starts") {
    f.queue->on_printed([&](const printing::PrintJob& job) {
      if (job.id == 2) f.printer.set_state(PrinterState::paper_out);
    });
    f.queue->start();
    REQUIRE(f.wait([&] { return f.job(3).last_error.starts_with("paper_out"); }));
    CHECK(f.job(3).state == JobState::queued);
    CHECK(f.job(3).bytes_sent == 0);
    CHECK(f.printer.receipts().size() == 2);
  }
  // Waiting longer changes nothing while the paper is out.
  int queries = f.printer.status_queries();
  REQUIRE(f.wait([&] { return f.printer.status_queries() > queries + 8; }));
  CHECK(f.printer.receipts().size() == 2);

  f.printer.set_state(PrinterState::online);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  REQUIRE(f.printer.receipts().size() == 5);
  for (int n = 1; n <= 5; ++n) {
    CHECK(f.printer.receipts()[n - 1].lines.at(0).text == order(n));
    CHECK(f.printer.parser().cut_receipts_containing(order(n)) == 1);
    CHECK_FALSE(f.printer.receipts()[n - 1].contains("REPRINT"));
  }
  CHECK(f.queue->health().reason.empty());
}

TEST_CASE("A connection dropped mid-job reprints the job under a REPRINT banner",
          "[printer][queue]") {
  QueueFixture f;
  std::string job1 = test::numbered_job(1);
  REQUIRE(f.queue->enqueue("txn-1", job1).has_value());
  REQUIRE(f.queue->enqueue("txn-2", test::numbered_job(2)).has_value());
  f.printer.drop_connection_after(job1.size() / 2);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.printer.connections_dropped() == 1);
  CHECK(f.printer.connections_accepted() == 2);
  // The torn first attempt, then job 1 again (marked), then job 2: one cut copy of each.
  const auto& receipts = f.printer.receipts();
  REQUIRE(receipts.size() == 3);
  CHECK_FALSE(receipts[0].cut);
  CHECK(receipts[0].lines.at(0).text == order(1));
  CHECK(receipts[1].cut);
  CHECK(receipts[1].lines.at(0).text == "*** REPRINT 重印 ***");
  CHECK(receipts[1].contains("end of " + order(1)));
  CHECK(f.printer.parser().cut_receipts_containing(order(1)) == 1);
  CHECK(f.printer.parser().cut_receipts_containing(order(2)) == 1);
  CHECK_FALSE(receipts[2].contains("REPRINT"));
  CHECK(f.job(1).attempts == 2);
  CHECK(f.job(2).attempts == 1);
}

TEST_CASE("A pulled cable keeps jobs waiting until the printer is back", "[printer][queue]") {
  QueueFixture f;
  f.printer.stop_listening();
  REQUIRE(f.queue->enqueue("txn-1", test::numbered_job(1)).has_value());
  f.queue->start();
  REQUIRE(f.wait([&] { return f.queue->health().reason == "printer_unreachable"; }));
  CHECK(f.job(1).state == JobState::queued);
  CHECK(f.job(1).last_error.starts_with("printer_unreachable"));
  REQUIRE(f.queue->enqueue("txn-2", test::numbered_job(2)).has_value());

  f.printer.listen_tcp(f.port);
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  REQUIRE(f.printer.receipts().size() == 2);
  CHECK(f.printer.receipts()[0].lines.at(0).text == order(1));
  CHECK(f.printer.receipts()[1].lines.at(0).text == order(2));
  CHECK(f.job(1).attempts == 1);
}

TEST_CASE("A job found mid-print after a crash is reprinted once under REPRINT",
          "[printer][queue]") {
  QueueFixture f;
  f.queue.reset();
  {
    // The previous run: job 1 was being sent when the process died; job 2 was waiting.
    printing::PrintJobs jobs(*f.db);
    auto crashed = jobs.add("txn-crash", "receipt", test::numbered_job(1), 1764000000);
    REQUIRE(crashed.has_value());
    REQUIRE(jobs.add("txn-next", "receipt", test::numbered_job(2), 1764000001).has_value());
    REQUIRE(jobs.mark_printing(crashed->job_id).has_value());
    REQUIRE(jobs.set_bytes_sent(crashed->job_id, 120).has_value());
  }
  f.db.reset();
  f.db = test::open_agent_db(f.dir.file("agent.db"));  // the restart
  f.queue = f.make_queue();
  CHECK(f.job(1).state == JobState::printing);
  CHECK(f.job(1).bytes_sent == 120);
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  const auto& receipts = f.printer.receipts();
  REQUIRE(receipts.size() == 2);
  CHECK(receipts[0].lines.at(0).text == "*** REPRINT 重印 ***");
  CHECK(receipts[0].contains(order(1)));
  CHECK(receipts[0].cut);
  CHECK(receipts[1].lines.at(0).text == order(2));
  CHECK_FALSE(receipts[1].contains("REPRINT"));
  CHECK(f.job(1).attempts == 2);
  CHECK(f.job(1).state == JobState::printed);
}

TEST_CASE("Print jobs without a key or payload are refused", "[printer][queue]") {
  QueueFixture f;
  CHECK(f.queue->enqueue("", "x").error().code == "invalid_print_job");
  CHECK(f.queue->enqueue("k", "").error().code == "invalid_print_job");
}

TEST_CASE("A printed job keeps no payload, and a job failed while held is never marked printing",
          "[printer][queue]") {
  QueueFixture f;
  REQUIRE(f.queue->enqueue("txn-1", test::numbered_job(1)).has_value());
  f.queue->start();
  REQUIRE(f.wait([&] { return f.all_printed(); }));
  CHECK(f.job(1).state == JobState::printed);
  CHECK(f.job(1).payload.empty());
  REQUIRE(f.printer.receipts().size() == 1);

  // What the worker does with a job it picked before an operator (or a member's erasure)
  // failed it: mark_printing refuses, so not a byte is sent.
  printing::PrintJobs& jobs = f.queue->jobs();
  auto held = jobs.add("txn-2", "elsewhere", test::numbered_job(2), 1764000000);
  REQUIRE(held.has_value());
  REQUIRE(jobs.cancel(held->job_id).has_value());
  auto marked = jobs.mark_printing(held->job_id);
  REQUIRE_FALSE(marked.has_value());
  CHECK(marked.error().code == "print_job_cancelled");
  CHECK(f.job(held->job_id).state == JobState::failed);
  CHECK(f.job(held->job_id).attempts == 0);
}
