// Online backup and restore, over the wrapper's online backup (drivers/sqlite/backup.h).
#include "agent/store/backup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/store/migrations.h"
#include "drivers/files/durable.h"
#include "drivers/sqlite/backup.h"

namespace pma::store {

namespace fs = std::filesystem;

namespace {

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

using files::sync_path;

void remove_quietly(const std::string& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// Copies every page of src into dst (drivers/sqlite/backup.h), reporting progress.
Status copy_pages(Database& src, Database& dst, int pages_per_step,
                  const BackupProgressFn& progress, const char* code) {
  sqlite::CopyProgressFn report;
  if (progress) {
    report = [&progress](std::int64_t done, std::int64_t total) {
      progress(BackupProgress{.pages_done = done, .pages_total = total});
    };
  }
  return sqlite::copy_pages(src, dst, pages_per_step, report, code);
}

// A fresh database file at `path` in rollback-journal mode, mode 0600 (it holds member data).
Result<std::unique_ptr<Database>> create_destination(const std::string& path, const char* code) {
  remove_quietly(path);
  remove_quietly(path + "-journal");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail(code, fmt::format("cannot create '{}': {}", path, std::strerror(errno)));
  }
  ::fchmod(fd, 0600);
  ::close(fd);
  auto db = Database::open(path);
  if (!db) return fail(code, db.error().message);
  if (auto ok = (*db)->exec("PRAGMA journal_mode=DELETE"); !ok) {
    return fail(code, ok.error().message);
  }
  return db;
}

Result<std::string> read_state(Database& db, std::string_view key) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare("SELECT value FROM sync_state WHERE key = ?1"));
  stmt.bind(1, key);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  return row ? stmt.column_text(0) : std::string();
}

Result<std::int64_t> count_rows(Database& db, std::string_view table) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare(fmt::format("SELECT count(*) FROM {}", table)));
  PMA_TRY(stmt.step());
  return stmt.column_int64(0);
}

Status write_identity(Database& db, const BackupIdentity& identity) {
  PMA_TRY_ASSIGN(auto txn, Transaction::begin(db));
  const std::pair<const char*, std::string> rows[] = {
      {"store_id", identity.store_id},
      {"terminal_id", identity.terminal_id},
      {"backup_created_at", std::to_string(unix_now())},
  };
  for (const auto& [key, value] : rows) {
    PMA_TRY_ASSIGN(auto stmt,
                   db.prepare("INSERT OR REPLACE INTO sync_state(key, value) VALUES(?1, ?2)"));
    if (auto ok = stmt.bind_all(key, value).run(); !ok) return ok;
  }
  return txn.commit();
}

// Runs a check pragma and returns "ok" or the first few problems it reports.
Result<std::string> check(Database& db, std::string_view pragma) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare(pragma));
  std::string report;
  int lines = 0;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    if (++lines > 5) continue;
    if (!report.empty()) report += "; ";
    report += stmt.column_text(0);
  }
  return report;
}

// Whether another connection has `path` open: memberd keeps a WAL database open, which holds a
// shared lock on the file; an exclusive-mode connection cannot get its lock while it does.
// On success, also folds the old WAL into the file so it can be moved as one file.
Status settle_existing_target(const std::string& path) {
  OpenOptions options;
  options.busy_timeout_ms = 0;
  auto db = Database::open(path, options);
  if (!db) return {};  // not a database we can open: it is moved aside as it is
  if (!(*db)->exec("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT")) {
    if ((*db)->last_error_was_lock()) {
      return fail("database_in_use",
                  fmt::format("'{}' is open in another process; stop memberd before restoring "
                              "(systemctl stop memberd)",
                              path));
    }
    return {};
  }
  (void)(*db)->exec("PRAGMA journal_mode=DELETE");
  return {};
}

// A restored database is a new lineage of the terminal: HQ has moved on since the backup.
// - A new install id, so the ids it mints (provisional members, welcome coupons, which carry
//   the outbox seq) differ from those the original database minted after the backup with the
//   same seqs.
// - The member cursor starts over: the next sync is a full reconcile, which brings every
//   member's balance at HQ and marks the restored ledger rows HQ reflects.
// The outbox needs no mark: the first handshake moves every row at or below HQ's watermark
// past it (SqliteSyncStore::on_handshake), also those committed between the restore and it.
Status mark_restored(Database& db) {
  PMA_TRY_ASSIGN(auto txn, Transaction::begin(db));
  PMA_TRY(
      db.exec("INSERT OR REPLACE INTO sync_state(key, value) VALUES('install_id', "
              "lower(hex(randomblob(4))));"
              "INSERT OR REPLACE INTO sync_state(key, value) VALUES('member_cursor', '0');"));
  PMA_TRY_ASSIGN(
      auto stmt,
      db.prepare("INSERT OR REPLACE INTO sync_state(key, value) VALUES('restored_at', ?1)"));
  PMA_TRY(stmt.bind_all(std::to_string(unix_now())).run());
  return txn.commit();
}

}  // namespace

Result<BackupReport> backup_database(Database& source, const std::string& file,
                                     const BackupIdentity& identity,
                                     const BackupProgressFn& progress,
                                     const BackupOptions& options) {
  std::error_code ec;
  if (!options.overwrite && fs::exists(file, ec)) {
    return fail("backup_exists", fmt::format("'{}' already exists; choose another file", file));
  }
  const std::string partial = file + ".partial";
  PMA_TRY_ASSIGN(auto dest, create_destination(partial, "backup_failed"));

  // One read snapshot for the whole copy: pages come from a single consistent state while
  // other connections keep committing to the WAL. Without it, every commit by another
  // connection would restart the copy from page 1 and a busy till might never finish.
  const bool own_snapshot = !source.in_transaction();
  if (own_snapshot) {
    if (auto ok = source.exec("BEGIN; SELECT count(*) FROM sqlite_schema;"); !ok) {
      (void)source.exec("ROLLBACK");
      dest.reset();
      remove_quietly(partial);
      return fail("backup_failed", ok.error().message);
    }
  }
  const int schema_version = source.user_version();
  Status copied =
      copy_pages(source, *dest, std::max(1, options.pages_per_step), progress, "backup_failed");
  if (own_snapshot) (void)source.exec("COMMIT");

  auto give_up = [&](const Error& error) -> Result<BackupReport> {
    dest.reset();
    remove_quietly(partial);
    remove_quietly(partial + "-journal");
    return fail(error.code == "backup_failed" ? error.code : "backup_failed", error.message);
  };
  if (!copied) return give_up(copied.error());
  // The copied header says WAL (like the source); a backup must be one self-contained file.
  if (auto ok = dest->exec("PRAGMA journal_mode=DELETE"); !ok) return give_up(ok.error());
  if (auto ok = write_identity(*dest, identity); !ok) return give_up(ok.error());
  auto quick = check(*dest, "PRAGMA quick_check");
  if (!quick) return give_up(quick.error());
  if (*quick != "ok") {
    return give_up(
        Error::make("backup_failed",
                    fmt::format("the new backup '{}' fails quick_check: {}", partial, *quick)));
  }
  BackupReport report;
  report.schema_version = schema_version;
  if (auto pages = dest->prepare("PRAGMA page_count"); pages && pages->step().value_or(false)) {
    report.pages = pages->column_int64(0);
  }
  dest.reset();

  if (!sync_path(partial)) {
    remove_quietly(partial);
    return fail("backup_io", fmt::format("cannot fsync '{}': {}", partial, std::strerror(errno)));
  }
  fs::rename(partial, file, ec);
  if (ec) {
    remove_quietly(partial);
    return fail("backup_io",
                fmt::format("cannot rename '{}' to '{}': {}", partial, file, ec.message()));
  }
  sync_path(files::parent_folder(file));
  report.bytes = static_cast<std::int64_t>(fs::file_size(file, ec));
  return report;
}

Result<BackupInfo> inspect_backup(const std::string& backup) {
  std::error_code ec;
  if (!fs::is_regular_file(backup, ec)) {
    return fail("backup_invalid", fmt::format("'{}' is not a file", backup));
  }
  // Not "SQLite format 3": not a database at all. After that, every failure means damage.
  char magic[16] = {};
  std::ifstream(backup, std::ios::binary).read(magic, sizeof magic);
  if (std::memcmp(magic, "SQLite format 3", 16) != 0) {
    return fail("backup_invalid", fmt::format("'{}' is not a SQLite database", backup));
  }
  OpenOptions options;
  options.read_only = true;
  auto db = Database::open(backup, options);
  if (!db) {
    return fail("backup_corrupt",
                fmt::format("'{}' cannot be opened: {}", backup, db.error().message));
  }

  auto integrity = check(**db, "PRAGMA integrity_check");
  if (!integrity) {
    return fail("backup_corrupt",
                fmt::format("'{}' cannot be checked: {}", backup, integrity.error().message));
  }
  if (*integrity != "ok") {
    return fail("backup_corrupt",
                fmt::format("'{}' fails integrity_check: {}", backup, *integrity));
  }

  BackupInfo info;
  info.schema_version = (*db)->user_version();
  if (info.schema_version <= 0) {
    return fail("backup_schema", fmt::format("'{}' is not a member agent database (schema "
                                             "version {})",
                                             backup, info.schema_version));
  }
  if (info.schema_version > latest_schema_version()) {
    return fail("backup_schema",
                fmt::format("'{}' has schema version {}, this build knows up to {}; restore it "
                            "with a newer memberctl",
                            backup, info.schema_version, latest_schema_version()));
  }
  auto store_id = read_state(**db, "store_id");
  auto terminal_id = read_state(**db, "terminal_id");
  auto created_at = read_state(**db, "backup_created_at");
  auto members = count_rows(**db, "members");
  if (!store_id || !terminal_id || !created_at || !members) {
    return fail("backup_invalid", fmt::format("'{}' lacks the agent's tables", backup));
  }
  info.store_id = *store_id;
  info.terminal_id = *terminal_id;
  info.created_at = std::atoll(created_at->c_str());
  info.members = *members;
  if (info.schema_version >= 2) info.ledger_rows = count_rows(**db, "ledger").value_or(0);
  return info;
}

Result<RestoreReport> restore_database(const std::string& backup, const std::string& target,
                                       const std::string& expected_store_id, bool force) {
  PMA_TRY_ASSIGN(auto info, inspect_backup(backup));
  RestoreReport report{.info = info};
  if (info.store_id != expected_store_id) {
    if (!force) {
      std::string whose = info.store_id.empty() ? std::string("carries no store id")
                                                : fmt::format("is from store '{}'", info.store_id);
      return fail("backup_wrong_store",
                  fmt::format("'{}' {}, this till is store '{}'; use --force to restore it anyway",
                              backup, whose, expected_store_id));
    }
    report.forced = true;
  }

  std::error_code ec;
  const std::string folder = files::parent_folder(target);
  fs::create_directories(folder, ec);
  const bool had_target = fs::exists(target, ec);
  if (had_target) {
    PMA_TRY(settle_existing_target(target));
  }

  // Build the new database beside the target so the final rename stays on one file system.
  const std::string restoring = target + ".restoring";
  {
    OpenOptions options;
    options.read_only = true;
    auto src = Database::open(backup, options);
    if (!src) return fail("restore_failed", src.error().message);
    PMA_TRY_ASSIGN(auto dest, create_destination(restoring, "restore_failed"));
    if (auto ok = copy_pages(**src, *dest, -1, {}, "restore_failed"); !ok) {
      dest.reset();
      remove_quietly(restoring);
      return std::unexpected(ok.error());
    }
    if (auto ok = mark_restored(*dest); !ok) {
      dest.reset();
      remove_quietly(restoring);
      return fail("restore_failed", ok.error().message);
    }
  }
  // Run as root (memberctl restore under sudo), hand the file to the state folder's owner so
  // memberd (User=memberd) can open it.
  struct stat folder_stat {};
  if (::geteuid() == 0 && ::stat(folder.c_str(), &folder_stat) == 0) {
    if (::chown(restoring.c_str(), folder_stat.st_uid, folder_stat.st_gid) != 0) {
      remove_quietly(restoring);
      return fail("restore_failed",
                  fmt::format("cannot chown '{}': {}", restoring, std::strerror(errno)));
    }
  }
  if (!sync_path(restoring)) {
    remove_quietly(restoring);
    return fail("restore_failed", fmt::format("cannot fsync '{}'", restoring));
  }

  if (had_target) {
    report.previous_database = target + ".pre-restore";
    remove_quietly(report.previous_database + "-wal");
    fs::rename(target, report.previous_database, ec);
    if (!ec && fs::exists(target + "-wal")) {
      fs::rename(target + "-wal", report.previous_database + "-wal", ec);
    }
    if (ec) {
      remove_quietly(restoring);
      return fail("restore_failed",
                  fmt::format("cannot move '{}' aside: {}", target, ec.message()));
    }
  }
  // A stale -shm or -journal of the old file must not be applied to the new one.
  remove_quietly(target + "-shm");
  remove_quietly(target + "-wal");
  remove_quietly(target + "-journal");
  fs::rename(restoring, target, ec);
  if (ec) {
    return fail("restore_failed",
                fmt::format("cannot rename '{}' to '{}': {}", restoring, target, ec.message()));
  }
  sync_path(folder);
  return report;
}

}  // namespace pma::store
