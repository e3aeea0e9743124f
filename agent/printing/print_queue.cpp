#include "agent/printing/print_queue.h"

#include <fmt/format.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <utility>

#include "drivers/printer/escpos.h"

namespace pma::printing {

namespace asio = boost::asio;

Status PrintQueueOptions::validate() const {
  if (printer.empty()) return fail("invalid_printer_config", "printer.name is empty");
  if (columns != 32 && columns != 48) {
    return fail("invalid_printer_config",
                fmt::format("printer paper has {} columns, expected 32 or 48", columns));
  }
  if (retry_interval.count() <= 0 || status_timeout.count() <= 0) {
    return fail("invalid_printer_config", "printer retry and status timeouts must be positive");
  }
  return {};
}

std::string_view QueueHealth::condition() const {
  if (activity == "idle" || activity == "printing") return "ready";
  if (activity == "waiting") return reason;
  return activity;
}

PrintQueue::PrintQueue(asio::io_context& io, store::Database& db,
                       std::unique_ptr<printer::Transport> transport, PrintQueueOptions options)
    : io_(io),
      jobs_(db),
      transport_(std::move(transport)),
      options_(std::move(options)),
      wake_(io),
      retry_(io) {}

PrintQueue::~PrintQueue() { stop(); }

std::int64_t PrintQueue::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<Accepted> PrintQueue::enqueue(std::string_view idem_key, std::string_view payload) {
  auto accepted = jobs_.add(idem_key, options_.printer, payload, now());
  if (accepted && !accepted->duplicate) wake_.cancel();
  return accepted;
}

void PrintQueue::start() {
  if (running_) return;
  running_ = true;
  stopping_ = false;
  // Nothing is known about the printer yet: it counts as ready (as /v1/health shows an idle
  // queue) until opening, writing or a status reply says otherwise.
  health_ = QueueHealth{"idle", "", "", health_.last_status};
  reported_condition_ = "ready";
  asio::co_spawn(io_, work(), [this](std::exception_ptr error) {
    running_ = false;
    health_.activity = "stopped";
    if (error) std::rethrow_exception(error);
  });
}

void PrintQueue::stop() {
  stopping_ = true;
  wake_.cancel();
  retry_.cancel();
  if (transport_) transport_->close();
}

asio::awaitable<void> PrintQueue::pause(std::chrono::milliseconds delay) {
  retry_.expires_after(delay);
  co_await retry_.async_wait(asio::as_tuple(asio::use_awaitable));
}

void PrintQueue::set_health(std::string activity, std::string reason, std::string message) {
  health_.activity = std::move(activity);
  health_.reason = std::move(reason);
  health_.message = std::move(message);
  // A stopping worker sees its own close() (aborted reads, "printer_closed"): not the printer.
  if (stopping_) return;
  std::string_view condition = health_.condition();
  if (condition == "stopped" || condition == reported_condition_) return;
  reported_condition_ = std::string(condition);
  if (on_health_change_) on_health_change_(health_);
}

Status PrintQueue::wait_because(const PrintJob& job, const Error& error, bool requeue) {
  // What a stopping worker sees is its own close(), not the printer: the job keeps the error
  // it had (a job that sent nothing still goes back to the queue for the next start).
  if (stopping_) return requeue ? jobs_.requeue_unsent(job.id) : Status{};
  set_health("waiting", error.code, error.message);
  return jobs_.note_error(job.id, fmt::format("{}: {}", error.code, error.message), requeue);
}

asio::awaitable<void> PrintQueue::work() {
  while (!stopping_) {
    auto next = jobs_.next(options_.printer);
    if (!next) {  // the database is unhappy (disk full, locked): try again later
      set_health("waiting", next.error().code, next.error().message);
      co_await pause(options_.retry_interval);
      continue;
    }
    if (!*next) {
      set_health("idle");
      wake_.expires_at(asio::steady_timer::time_point::max());
      co_await wake_.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    auto printed = co_await print_one(std::move(**next));
    if (!printed && !stopping_) co_await pause(options_.retry_interval);
  }
}

asio::awaitable<Status> PrintQueue::print_one(PrintJob job) {
  printer::Transport& transport = *transport_;
  // A connection kept open since the last job may have been closed by the printer meanwhile
  // (an idle timeout, a reboot, a pulled cable): that alone says nothing about the printer now,
  // so the first failed status query on it reconnects at once, and health is what that finds.
  bool reused = transport.is_open();
  for (;;) {
    if (!transport.is_open()) {
      if (auto opened = co_await transport.open(); !opened) {
        (void)wait_because(job, opened.error(), false);
        co_return std::unexpected(opened.error());
      }
    }
    if (!transport.can_read()) break;
    auto status = co_await printer::query_status(transport, options_.status_timeout);
    if (!status) {
      transport.close();
      if (std::exchange(reused, false) && !stopping_) continue;
      (void)wait_because(job, status.error(), false);
      co_return std::unexpected(status.error());
    }
    health_.last_status = *status;
    if (status->known && !status->ready()) {
      Error error{status->reason(), "printer " + transport.describe() + " is not ready"};
      (void)wait_because(job, error, false);
      co_return std::unexpected(error);
    }
    break;
  }

  // A job already in 'printing' may have reached the paper in part: say so on top.
  const bool reprint = job.state == JobState::printing;
  std::string bytes = job.payload;
  if (reprint) {
    auto marked = printer::with_reprint_banner(job.payload, options_.columns);
    if (!marked) co_return std::unexpected(marked.error());
    bytes = std::move(*marked);
  }
  // Committed before the first byte leaves, so a crash from here on is seen at start-up.
  if (auto marked = jobs_.mark_printing(job.id); !marked) {
    // Cancelled while this worker awaited the printer: skip it, the next job is due.
    if (marked.error().code == "print_job_cancelled") co_return Status{};
    co_return marked;
  }
  set_health("printing");

  printer::WriteResult sent = co_await transport.write(bytes);
  if (auto recorded = jobs_.set_bytes_sent(job.id, static_cast<std::int64_t>(sent.written));
      !recorded) {
    co_return recorded;
  }
  if (!sent.status) {
    transport.close();
    (void)wait_because(job, sent.status.error(), sent.written == 0 && !reprint);
    co_return sent.status;
  }

  // Paper can run out mid-job: the printer keeps the rest and prints it when reloaded, so
  // wait for it to be ready again rather than send the job twice.
  while (transport.can_read() && !stopping_) {
    auto status = co_await printer::query_status(transport, options_.status_timeout);
    if (!status) {
      transport.close();
      (void)wait_because(job, status.error(), false);
      co_return std::unexpected(status.error());
    }
    health_.last_status = *status;
    if (!status->known || status->ready()) break;
    (void)wait_because(job, Error{status->reason(), "job held by the printer until it is back"},
                       false);
    co_await pause(options_.retry_interval);
  }
  if (stopping_) co_return fail("print_queue_stopped", "stopped while the job was printing");

  if (auto done = jobs_.mark_printed(job.id, now()); !done) co_return done;
  set_health("printing");  // back from a paper-out held mid-job
  if (on_printed_) {
    if (auto printed = jobs_.find(job.id); printed && *printed) on_printed_(**printed);
  }
  co_return Status{};
}

}  // namespace pma::printing
