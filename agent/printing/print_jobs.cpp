// The print_queue table's SQL lives here.
#include "agent/printing/print_jobs.h"

#include <fmt/format.h>

namespace pma::printing {

namespace {

constexpr std::string_view kColumns =
    "id, idem_key, printer, state, attempts, bytes_sent, last_error, created_at, printed_at";

JobState parse_state(std::string_view text) {
  if (text == "printing") return JobState::printing;
  if (text == "printed") return JobState::printed;
  if (text == "failed") return JobState::failed;
  return JobState::queued;
}

PrintJob read_job(const store::Statement& stmt, bool with_payload) {
  PrintJob job;
  job.id = stmt.column_int64(0);
  job.idem_key = stmt.column_text(1);
  job.printer = stmt.column_text(2);
  job.state = parse_state(stmt.column_text(3));
  job.attempts = static_cast<int>(stmt.column_int64(4));
  job.bytes_sent = stmt.column_int64(5);
  job.last_error = stmt.column_text(6);
  job.created_at = stmt.column_int64(7);
  if (!stmt.column_is_null(8)) job.printed_at = stmt.column_int64(8);
  if (with_payload) {
    std::vector<std::uint8_t> blob = stmt.column_blob(9);
    job.payload.assign(blob.begin(), blob.end());
  }
  return job;
}

}  // namespace

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::queued:
      return "queued";
    case JobState::printing:
      return "printing";
    case JobState::printed:
      return "printed";
    case JobState::failed:
      return "failed";
  }
  return "queued";
}

Result<Accepted> PrintJobs::add(std::string_view idem_key, std::string_view printer,
                                std::string_view payload, std::int64_t now) {
  if (idem_key.empty() || idem_key.size() > 200) {
    return fail("invalid_print_job", "idem_key must be 1..200 characters");
  }
  if (payload.empty()) return fail("invalid_print_job", "print job payload is empty");
  {
    PMA_TRY_ASSIGN(
        auto stmt,
        db_.prepare(
            "INSERT INTO print_queue(idem_key, printer, payload, created_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(idem_key) DO NOTHING"));
    stmt.bind(1, idem_key).bind(2, printer);
    stmt.bind_blob(
        3, std::span(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()));
    stmt.bind(4, now);
    PMA_TRY(stmt.run());
  }
  bool inserted = db_.changes() > 0;
  PMA_TRY_ASSIGN(auto existing, find(idem_key));
  if (!existing) return fail("sqlite_error", "print job vanished after insert");
  return Accepted{existing->id, !inserted, existing->state};
}

Result<std::optional<PrintJob>> PrintJobs::one(std::string_view sql, std::string_view key,
                                               std::int64_t id) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare(sql));
  if (key.empty()) {
    stmt.bind(1, id);
  } else {
    stmt.bind(1, key);
  }
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<PrintJob>{};
  return std::optional<PrintJob>(read_job(stmt, true));
}

Result<std::optional<PrintJob>> PrintJobs::next(std::string_view printer) {
  static const std::string sql = fmt::format(
      "SELECT {}, payload FROM print_queue WHERE printer = ? AND state IN "
      "('queued', 'printing') ORDER BY id LIMIT 1",
      kColumns);
  return one(sql, printer, 0);
}

Result<std::optional<PrintJob>> PrintJobs::find(std::int64_t id) {
  static const std::string sql =
      fmt::format("SELECT {}, payload FROM print_queue WHERE id = ?", kColumns);
  return one(sql, {}, id);
}

Result<std::optional<PrintJob>> PrintJobs::find(std::string_view idem_key) {
  static const std::string sql =
      fmt::format("SELECT {}, payload FROM print_queue WHERE idem_key = ?", kColumns);
  return one(sql, idem_key, 0);
}

Result<std::vector<PrintJob>> PrintJobs::list(std::string_view printer) {
  static const std::string sql =
      fmt::format("SELECT {} FROM print_queue WHERE printer = ? ORDER BY id", kColumns);
  PMA_TRY_ASSIGN(auto stmt, db_.prepare(sql));
  stmt.bind(1, printer);
  std::vector<PrintJob> jobs;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) return jobs;
    jobs.push_back(read_job(stmt, false));
  }
}

Result<std::int64_t> PrintJobs::pending_count(std::string_view printer) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT count(*) FROM print_queue WHERE printer = ? AND "
                                        "state IN ('queued', 'printing')"));
  stmt.bind(1, printer);
  PMA_TRY(stmt.step());
  return stmt.column_int64(0);
}

Status PrintJobs::mark_printing(std::int64_t id) {
  auto marked = run(db_,
                    "UPDATE print_queue SET state = 'printing', attempts = attempts + 1, "
                    "bytes_sent = 0 WHERE id = ? AND state IN ('queued', 'printing')",
                    id);
  if (!marked) return marked;
  if (db_.changes() == 0) {
    return fail("print_job_cancelled",
                fmt::format("print job {} was cancelled (or erased) while it waited", id));
  }
  return {};
}

Status PrintJobs::set_bytes_sent(std::int64_t id, std::int64_t bytes) {
  return run(db_, "UPDATE print_queue SET bytes_sent = ? WHERE id = ?", bytes, id);
}

Status PrintJobs::requeue_unsent(std::int64_t id) {
  return run(db_,
             "UPDATE print_queue SET state = 'queued' WHERE id = ? AND state = 'printing' AND "
             "bytes_sent = 0",
             id);
}

Status PrintJobs::note_error(std::int64_t id, std::string_view error, bool requeue) {
  if (requeue) {
    if (auto requeued = requeue_unsent(id); !requeued) return requeued;
  }
  return run(db_, "UPDATE print_queue SET last_error = ? WHERE id = ?", std::string(error), id);
}

Status PrintJobs::mark_printed(std::int64_t id, std::int64_t now) {
  return run(db_,
             "UPDATE print_queue SET state = 'printed', printed_at = ?, last_error = '', "
             "payload = X'' WHERE id = ?",
             now, id);
}

Status PrintJobs::cancel(std::int64_t id) {
  return run(db_,
             "UPDATE print_queue SET state = 'failed', last_error = 'cancelled' WHERE id = ? "
             "AND state IN ('queued', 'printing')",
             id);
}

}  // namespace pma::printing
