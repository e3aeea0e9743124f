// Online backup through sqlite3_backup_*.
#include "drivers/sqlite/backup.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

namespace pma::sqlite {

Status copy_pages(Database& src, Database& dst, int pages_per_step, const CopyProgressFn& progress,
                  const std::string& code) {
  sqlite3_backup* backup =
      sqlite3_backup_init(dst.native_handle(), "main", src.native_handle(), "main");
  if (backup == nullptr) {
    return fail(code, fmt::format("cannot start copying '{}' to '{}': {}", src.path(), dst.path(),
                                  sqlite3_errmsg(dst.native_handle())));
  }
  const auto busy_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int rc = SQLITE_OK;
  for (;;) {
    rc = sqlite3_backup_step(backup, pages_per_step);
    if (progress && (rc == SQLITE_OK || rc == SQLITE_DONE)) {
      std::int64_t total = sqlite3_backup_pagecount(backup);
      progress(total - sqlite3_backup_remaining(backup), total);
    }
    if (rc == SQLITE_DONE) break;
    if (rc == SQLITE_OK) continue;
    if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) &&
        std::chrono::steady_clock::now() < busy_deadline) {
      // Another connection holds a lock SQLite offers no wait for here: retry shortly.
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    break;
  }
  int finish_rc = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE || finish_rc != SQLITE_OK) {
    int failed = rc != SQLITE_DONE ? rc : finish_rc;
    return fail(code, fmt::format("copying '{}' to '{}' failed: {}", src.path(), dst.path(),
                                  sqlite3_errstr(failed)));
  }
  return {};
}

}  // namespace pma::sqlite
