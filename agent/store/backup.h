// Online backup and restore of the agent's SQLite database (SQLite's backup API), stamped with
// the store and terminal it came from. Not thread-safe: each call uses its Database on the caller's
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/store/sqlite.h"
#include "pma/error.h"

namespace pma::store {

// Who a backup belongs to; written into the backup's sync_state table as the rows
// 'store_id', 'terminal_id' and 'backup_created_at' (unix seconds, UTC).
struct BackupIdentity {
  std::string store_id;
  std::string terminal_id;
};

struct BackupProgress {
  std::int64_t pages_done = 0;
  std::int64_t pages_total = 0;
};

// Called after every step, on the caller's thread.
using BackupProgressFn = std::function<void(const BackupProgress&)>;

struct BackupOptions {
  // Pages copied per step; between steps the source's write lock is never held, and other
  // connections (memberd's API, checkouts) keep committing.
  int pages_per_step = 256;
  // Replace an existing file at the destination instead of refusing ("backup_exists").
  bool overwrite = false;
};

struct BackupReport {
  std::int64_t pages = 0;
  std::int64_t bytes = 0;
  int schema_version = 0;
};

// Copies `source` into `file` in steps of options.pages_per_step pages. The copy is one
// consistent snapshot: every transaction committed (by any connection) before the call
// started is in it; later ones may or may not be. The result is a single self-contained file
// (rollback journal, not WAL), written as <file>.partial, checked (quick_check), fsynced and
// renamed into place, so `file` is either complete or absent.
// Errors: "backup_exists" (file exists and !overwrite), "backup_failed" (SQLite's message),
// "backup_io" (rename or fsync failed). `source` must not be inside a write transaction.
Result<BackupReport> backup_database(Database& source, const std::string& file,
                                     const BackupIdentity& identity,
                                     const BackupProgressFn& progress = {},
                                     const BackupOptions& options = {});

// What a backup file says about itself, after checking it.
struct BackupInfo {
  std::string store_id;     // empty when the file carries no identity
  std::string terminal_id;  // empty when the file carries no identity
  std::int64_t created_at = 0;
  int schema_version = 0;
  std::int64_t members = 0;
  std::int64_t ledger_rows = 0;
};

// Opens `backup` read-only and validates it: a SQLite database, PRAGMA integrity_check "ok",
// schema version between 1 and this build's latest. Errors: "backup_invalid" (missing, or not a
// SQLite file at all), "backup_corrupt" (a SQLite file that cannot be opened or read, or fails
// integrity_check; the message quotes it), "backup_schema" (no agent schema, or newer than
// this build).
Result<BackupInfo> inspect_backup(const std::string& backup);

struct RestoreReport {
  BackupInfo info;
  bool forced = false;            // true when the store check was overridden
  std::string previous_database;  // where the replaced database was moved ("" if none)
};

// Replaces the database at `target` with the contents of `backup`, after inspect_backup().
// Refuses a backup whose store_id differs from expected_store_id (or that has none) with
// "backup_wrong_store", unless `force`. The new database is built next to target as
// <target>.restoring, fsynced, then renamed over target; an existing target (and its -wal) is
// first moved to <target>.pre-restore (and <target>.pre-restore-wal) so nothing is lost.
// The caller must make sure no process has `target` open (memberd stopped); a target that is
// still locked by another connection is refused with "database_in_use".
// Errors: those of inspect_backup, "backup_wrong_store", "database_in_use", "restore_failed".
Result<RestoreReport> restore_database(const std::string& backup, const std::string& target,
                                       const std::string& expected_store_id, bool force);

}  // namespace pma::store
