// PrintJobs: the print_queue table (migration 3): durable print jobs keyed by an idempotency
// key. Thread-compatible: used on the thread that owns the Database (the io_context thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/sqlite.h"
#include "pma/error.h"

namespace pma::printing {

enum class JobState { queued, printing, printed, failed };
std::string_view to_string(JobState state);

struct PrintJob {
  std::int64_t id = 0;
  std::string idem_key;
  std::string printer;
  // queued: waiting; printing: bytes may have reached the printer (picked again, it is
  // reprinted under a REPRINT banner); printed; failed (cancelled by an operator).
  JobState state = JobState::queued;
  int attempts = 0;
  std::int64_t bytes_sent = 0;  // of the last attempt
  std::string last_error;       // why the job waits ("" when none)
  std::int64_t created_at = 0;  // unix seconds
  std::optional<std::int64_t> printed_at;
  // ESC/POS bytes (filled by next() and find(), not by list()); emptied once printed (a
  // receipt shows personal data, and nothing prints a printed job again) and by a member's
  // erasure (store/member_rows.h).
  std::string payload;
};

struct Accepted {
  std::int64_t job_id = 0;
  bool duplicate = false;  // the idem key was known: nothing new was queued
  JobState state = JobState::queued;
};

// Borrows `db` (which must outlive it and be migrated to schema 3 or later).
class PrintJobs {
 public:
  explicit PrintJobs(store::Database& db) : db_(db) {}

  // Inserts a queued job, committed before returning; a known idem_key returns the existing
  // job with duplicate = true and changes nothing. Errors: "invalid_print_job", "sqlite_*".
  Result<Accepted> add(std::string_view idem_key, std::string_view printer,
                       std::string_view payload, std::int64_t now);
  // The oldest queued or printing job of `printer`, with its payload.
  Result<std::optional<PrintJob>> next(std::string_view printer);
  Result<std::optional<PrintJob>> find(std::int64_t id);
  Result<std::optional<PrintJob>> find(std::string_view idem_key);
  // Jobs of `printer` in id order, without payloads.
  Result<std::vector<PrintJob>> list(std::string_view printer);
  Result<std::int64_t> pending_count(std::string_view printer);

  // state = printing, attempts + 1, bytes_sent = 0: committed before the first byte is sent.
  // "print_job_cancelled" when the job is no longer queued or printing (cancelled, or failed by
  // a member's erasure, while the worker held it): nothing may be sent then.
  Status mark_printing(std::int64_t id);
  Status set_bytes_sent(std::int64_t id, std::int64_t bytes);
  // Records why the job waits; `requeue` puts a job none of whose bytes went out back to queued.
  Status note_error(std::int64_t id, std::string_view error, bool requeue);
  // Puts a job in 'printing' none of whose bytes went out back to queued (its error unchanged).
  Status requeue_unsent(std::int64_t id);
  // state = printed; the payload is dropped. Whatever the state (a job cancelled or erased
  // while its bytes were going out did print: the record says so).
  Status mark_printed(std::int64_t id, std::int64_t now);
  // An operator gives up on a job: failed (never printed by the worker again).
  Status cancel(std::int64_t id);

 private:
  Result<std::optional<PrintJob>> one(std::string_view sql, std::string_view key, std::int64_t id);
  store::Database& db_;
};

}  // namespace pma::printing
