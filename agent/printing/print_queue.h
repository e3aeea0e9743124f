// PrintQueue: the durable print queue of one printer. Jobs are committed to SQLite before
// enqueue() returns; a worker coroutine on the io_context prints them in order, waits (state
// visible) while the printer is out of paper, offline or unplugged, and never prints an idem
// key twice. A job found mid-print (after a crash or a dropped connection) is printed again
// under a REPRINT banner, never silently duplicated. Each change of the printer's health as the
// queue learns it (opening, writing, reading status) is reported once through on_health_change.
// Not thread-safe: every call on the io_context thread that also owns the Database.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agent/printing/print_jobs.h"
#include "drivers/printer/status.h"
#include "drivers/printer/transport.h"

namespace pma::printing {

struct PrintQueueOptions {
  std::string printer = "receipt";  // printer.name: the print_queue.printer column
  std::size_t columns = 48;         // printer.paper: 32 (58 mm) or 48 (80 mm), for banners
  // printer.retry_ms: how often a waiting job re-checks the printer (reconnect, paper back).
  std::chrono::milliseconds retry_interval{1000};
  // printer.status_timeout_ms: a DLE EOT answer later than this means "status unknown".
  std::chrono::milliseconds status_timeout{2000};
  // Unix seconds for created_at / printed_at; the system clock when empty.
  std::function<std::int64_t()> clock;
  Status validate() const;
};

// What the worker is doing, for /v1/health and `memberctl status`.
struct QueueHealth {
  std::string activity = "stopped";  // "stopped", "idle", "printing" or "waiting"
  std::string reason;                // while waiting: "paper_out", "printer_unreachable", ...
  std::string message;               // the error message behind reason
  printer::PrinterStatus last_status;

  // What on_health_change reports a change of: "ready" while idle or printing, the reason
  // while waiting ("paper_out", "cover_open", "printer_unreachable", ...), or "stopped".
  std::string_view condition() const;
};

class PrintQueue {
 public:
  // Borrows `io` and `db` (both must outlive the queue); owns `transport`.
  PrintQueue(boost::asio::io_context& io, store::Database& db,
             std::unique_ptr<printer::Transport> transport, PrintQueueOptions options);
  ~PrintQueue();
  PrintQueue(const PrintQueue&) = delete;
  PrintQueue& operator=(const PrintQueue&) = delete;

  // Durably accepts ESC/POS `payload` under `idem_key` (see PrintJobs::add) and wakes the
  // worker. A known key returns the existing job (duplicate = true); nothing is printed again.
  Result<Accepted> enqueue(std::string_view idem_key, std::string_view payload);

  // Starts the worker on the io_context. Jobs left queued or printing by a previous run are
  // picked up in order. Exceptions escaping the worker are rethrown from io_context::run().
  void start();
  // Asks the worker to finish: closes the transport and cancels waits. The worker exits once
  // the io_context runs again; running() turns false then.
  void stop();
  bool running() const { return running_; }

  PrintJobs& jobs() { return jobs_; }
  const QueueHealth& health() const { return health_; }
  const std::string& printer_name() const { return options_.printer; }
  // Called on the io_context thread after a job is printed.
  void on_printed(std::function<void(const PrintJob&)> callback) {
    on_printed_ = std::move(callback);
  }
  // Called on the io_context thread each time health().condition() changes: the printer turns
  // not ready for a reason, another reason, or ready again. Once per change: a fault that
  // persists while the worker retries is not reported again, and neither is a new message for
  // the same reason. The queue assumes "ready" when it starts (nothing learned yet); stop()
  // and what a stopping worker sees are not reported. The callback may read health() and
  // enqueue(), but must not destroy the queue.
  void on_health_change(std::function<void(const QueueHealth&)> callback) {
    on_health_change_ = std::move(callback);
  }

 private:
  boost::asio::awaitable<void> work();
  boost::asio::awaitable<Status> print_one(PrintJob job);
  boost::asio::awaitable<void> pause(std::chrono::milliseconds delay);
  Status wait_because(const PrintJob& job, const Error& error, bool requeue);
  // Sets health_ (keeping last_status) and reports a change of its condition.
  void set_health(std::string activity, std::string reason = {}, std::string message = {});
  std::int64_t now() const;

  boost::asio::io_context& io_;
  PrintJobs jobs_;
  std::unique_ptr<printer::Transport> transport_;
  PrintQueueOptions options_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer retry_;
  QueueHealth health_;
  std::function<void(const PrintJob&)> on_printed_;
  std::function<void(const QueueHealth&)> on_health_change_;
  std::string reported_condition_ = "ready";  // the condition last reported (or assumed)
  bool running_ = false;
  bool stopping_ = false;
};

}  // namespace pma::printing
