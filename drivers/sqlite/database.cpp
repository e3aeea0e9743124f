// The connection, statements, transactions and checkpoints of the one SQLite wrapper.
#include "drivers/sqlite/database.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "pma/error.h"

namespace pma::sqlite {

namespace {

std::string sql_for_message(std::string_view sql) {
  constexpr std::size_t kMax = 160;
  std::string text(sql.substr(0, kMax));
  if (sql.size() > kMax) text += "...";
  return text;
}

// A database file (and its -wal and -shm) holds the member cache and the ledger: 0600 whatever
// the umask. A missing file is created empty with 0600 (SQLite then gives its -wal and -shm the
// database file's mode); an existing one with a wider mode (an older memberd under umask 022)
// is narrowed. Not for in-memory or URI names.
Status tighten_file_modes(const std::string& path) {
  if (path.empty() || path.starts_with(':') || path.starts_with("file:")) return {};
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    int rc = ::fchmod(fd, 0600);
    int error = errno;
    ::close(fd);
    if (rc != 0) {
      return fail("sqlite_open",
                  fmt::format("cannot set mode 0600 on '{}': {}", path, std::strerror(error)));
    }
    return {};
  }
  for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 0077) == 0) {
      continue;
    }
    if (::chmod(file.c_str(), 0600) != 0) {
      return fail("sqlite_open",
                  fmt::format("'{}' has mode {:04o} (readable by others) and cannot be set to "
                              "0600: {}",
                              file, st.st_mode & 07777, std::strerror(errno)));
    }
  }
  return {};
}

}  // namespace

// Every `interval` a PASSIVE checkpoint on a second connection: copies committed WAL frames into
// the database without blocking the writer, which then restarts the WAL from its start.
class Database::Checkpointer {
 public:
  Checkpointer(const std::string& path, std::chrono::milliseconds interval) : interval_(interval) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(db_);
      db_ = nullptr;  // the committing connection's auto-checkpoint still runs
      return;
    }
    sqlite3_busy_timeout(db_, 1000);
    thread_ = std::thread([this] { run(); });
  }
  ~Checkpointer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (db_ != nullptr) sqlite3_close_v2(db_);
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }
  std::chrono::milliseconds interval_;
  sqlite3* db_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, std::int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc, bind_error_index_ = index;
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc, bind_error_index_ = index;
  return *this;
}

Statement& Statement::bind(int index, std::nullptr_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc, bind_error_index_ = index;
  return *this;
}

Statement& Statement::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t kEmpty = 0;
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_ == 0) bind_error_ = rc, bind_error_index_ = index;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_error_ != 0) {
    return fail("sqlite_bind",
                fmt::format("binding parameter {} failed: {} in: {}", bind_error_index_,
                            sqlite3_errstr(bind_error_), sql_for_message(sql())));
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string code = "sqlite_error";
  if ((rc & 0xff) == SQLITE_CONSTRAINT) code = "sqlite_constraint";
  if ((rc & 0xff) == SQLITE_BUSY) code = "sqlite_busy";
  if ((rc & 0xff) == SQLITE_FULL) code = "sqlite_full";
  return std::unexpected(db_->error(code, sql()));
}

Status Statement::run() {
  for (;;) {
    PMA_TRY_ASSIGN(auto row, step());
    if (!row) return {};
  }
}

std::int64_t Statement::column_int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::string Statement::column_text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::vector<std::uint8_t> Statement::column_blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::vector<std::uint8_t>(data, data + size);
}

bool Statement::column_is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

std::string_view Statement::sql() const {
  const char* text = sqlite3_sql(stmt_);
  return text ? std::string_view(text) : std::string_view();
}

Result<std::unique_ptr<Database>> Database::open(const std::string& path,
                                                 const OpenOptions& options) {
  if (options.synchronous != "FULL" && options.synchronous != "NORMAL" &&
      options.synchronous != "OFF") {
    return fail("sqlite_open", fmt::format("synchronous must be FULL, NORMAL or OFF, not '{}'",
                                           options.synchronous));
  }
  if (!options.read_only) {
    PMA_TRY(tighten_file_modes(path));
  }
  sqlite3* handle = nullptr;
  int flags =
      options.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = fmt::format("cannot open database '{}': {}", path,
                                      handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_close_v2(handle);
    return fail("sqlite_open", message);
  }
  sqlite3_extended_result_codes(handle, 1);
  std::unique_ptr<Database> db(new Database(handle, path));
  sqlite3_busy_timeout(handle, options.busy_timeout_ms);
  // Replaces SQLite's default auto-checkpoint hook by one that does the same (when
  // wal_autocheckpoint > 0) and also records the WAL's size for checkpoint_if_needed().
  db->wal_autocheckpoint_ = options.wal_autocheckpoint;
  sqlite3_wal_hook(handle, &Database::on_wal_commit, db.get());
  // secure_delete: deleted rows (an erased member's, acknowledged outbox deltas with a
  // registration's name and phone) are overwritten, not left in free pages. Debian's SQLite
  // defaults to it; set here so no build depends on that.
  std::string pragmas = fmt::format(
      "PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON; PRAGMA synchronous={}; "
      "PRAGMA cache_size=-{};",
      options.synchronous, options.cache_size_kib);
  if (!options.read_only) pragmas = "PRAGMA journal_mode=WAL; " + pragmas;
  if (auto ok = db->exec(pragmas); !ok) {
    return fail("sqlite_open",
                fmt::format("cannot set up database '{}': {}", path, ok.error().message));
  }
  if (!options.read_only && options.background_checkpoint.count() > 0) {
    db->checkpointer_ = std::make_unique<Checkpointer>(path, options.background_checkpoint);
  }
  return db;
}

Database::Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

int Database::on_wal_commit(void* self, sqlite3* handle, const char* db_name, int frames) {
  auto* db = static_cast<Database*>(self);
  db->wal_frames_ = frames;
  if (db->wal_autocheckpoint_ > 0 && frames >= db->wal_autocheckpoint_) {
    // What sqlite3_wal_autocheckpoint() does; a busy checkpoint is retried on a later commit.
    (void)sqlite3_wal_checkpoint_v2(handle, db_name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

Database::~Database() {
  checkpointer_.reset();
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status Database::exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return fail("sqlite_error", fmt::format("{} in: {}", what, sql_for_message(sql)));
  }
  return {};
}

Result<Statement> Database::prepare(std::string_view sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return Statement(*this, it->second);
  }
  std::string key(sql);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return std::unexpected(error("sqlite_prepare", sql));
  if (stmt == nullptr) {
    return fail("sqlite_prepare", fmt::format("empty statement: '{}'", sql_for_message(sql)));
  }
  statements_.emplace(std::move(key), stmt);
  return Statement(*this, stmt);
}

std::int64_t Database::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Database::changes() const { return sqlite3_changes(db_); }

bool Database::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

bool Database::last_error_was_lock() const {
  int rc = sqlite3_extended_errcode(db_) & 0xff;
  return rc == SQLITE_BUSY || rc == SQLITE_LOCKED;
}

void Database::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

int Database::user_version() {
  auto stmt = prepare("PRAGMA user_version");
  if (!stmt || !stmt->step().value_or(false)) return -1;
  return static_cast<int>(stmt->column_int64(0));
}

Error Database::error(std::string code, std::string_view sql) const {
  std::string message = sqlite3_errmsg(db_);
  if (!sql.empty()) message += fmt::format(" in: {}", sql_for_message(sql));
  return Error{std::move(code), std::move(message)};
}

Result<Transaction> Transaction::begin(Database& db) {
  PMA_TRY(db.exec("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Result<Transaction> Transaction::begin_read(Database& db) {
  PMA_TRY(db.exec("BEGIN"));
  return Transaction(db);
}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  if (db_ == nullptr) return fail("sqlite_error", "transaction already finished");
  auto ok = db_->exec("COMMIT");
  if (ok) db_ = nullptr;
  return ok;
}

Result<WalCheckpoint> checkpoint_if_needed(Database& db, int min_frames) {
  WalCheckpoint out{.wal_frames = db.wal_frames()};
  sqlite3* handle = db.native_handle();
  if (out.wal_frames < std::max(min_frames, 1) || sqlite3_get_autocommit(handle) == 0) return out;
  out.ran = true;
  int log = 0, done = 0;
  int rc = sqlite3_wal_checkpoint_v2(handle, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
  if (rc != SQLITE_OK) {
    return std::unexpected(db.error((rc & 0xff) == SQLITE_BUSY ? "sqlite_busy" : "sqlite_error",
                                    "PRAGMA wal_checkpoint(PASSIVE)"));
  }
  out.wal_frames = log;
  out.checkpointed = done;
  if (log <= 0 || done < log) return out;  // a reader still needs the WAL: rewind next time
  // Every frame is in the database: the next write transaction starts the WAL over, writing and
  // (synchronous=FULL) syncing a new WAL header. Do that write here, idle, by rewriting one
  // header field with its own value; it touches no table.
  PMA_TRY_ASSIGN(auto tx, Transaction::begin(db));
  std::int64_t application_id = 0;
  {
    PMA_TRY_ASSIGN(auto id, db.prepare("PRAGMA application_id"));
    PMA_TRY_ASSIGN(auto row, id.step());
    if (row) application_id = id.column_int64(0);
  }  // the statement is reset before the write
  PMA_TRY(db.exec(fmt::format("PRAGMA application_id = {}", application_id)));
  PMA_TRY(tx.commit());
  out.restarted = db.wal_frames() < log;
  return out;
}

}  // namespace pma::sqlite
