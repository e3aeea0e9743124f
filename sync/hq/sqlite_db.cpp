// The only file in sync/ that includes sqlite3.h.
#include "hq/sqlite_db.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace pma::hq {

// Every 100 ms a PASSIVE checkpoint on a second connection: copies committed WAL frames into
// the database without blocking the writer, which then restarts the WAL from its start.
class SqliteDb::Checkpointer {
 public:
  explicit Checkpointer(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      sqlite3_close_v2(db_);
      db_ = nullptr;  // the safety valve still checkpoints
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
    while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; })) {
      lock.unlock();
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }
  sqlite3* db_ = nullptr;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
};

Query::~Query() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Query& Query::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Query& Query::bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Query& Query::bind_blob(int index, std::span<const std::uint8_t> bytes) {
  static const std::uint8_t kEmpty = 0;
  sqlite3_bind_blob64(stmt_, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(),
                      SQLITE_TRANSIENT);
  return *this;
}

Query& Query::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Query::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  const char* sql = sqlite3_sql(stmt_);
  return std::unexpected(db_->error(
      (rc & 0xff) == SQLITE_CONSTRAINT ? "sqlite_constraint" : "sqlite_error", sql ? sql : ""));
}

Status Query::run() {
  for (;;) {
    auto row = step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return {};
  }
}

std::int64_t Query::int64(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Query::text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

std::vector<std::uint8_t> Query::blob(int column) const {
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, column));
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::vector<std::uint8_t>(data, data + size);
}

bool Query::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path,
                                                 const std::string& synchronous) {
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    return fail("sqlite_open",
                fmt::format("synchronous must be FULL or NORMAL, not '{}'", synchronous));
  }
  sqlite3* handle = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &handle,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = fmt::format("cannot open '{}': {}", path,
                                      handle ? sqlite3_errmsg(handle) : sqlite3_errstr(rc));
    sqlite3_close_v2(handle);
    return fail("sqlite_open", message);
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(handle));
  sqlite3_busy_timeout(handle, static_cast<int>(kBusyTimeout.count()));
  // The committing connection checkpoints only as a safety valve (a WAL of 64 MiB); the
  // Checkpointer keeps it far smaller.
  if (auto ok = db->exec(fmt::format("PRAGMA journal_mode=WAL; PRAGMA synchronous={}; "
                                     "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384;",
                                     synchronous));
      !ok) {
    return fail("sqlite_open", fmt::format("cannot set up '{}': {}", path, ok.error().message));
  }
  db->checkpointer_ = std::make_unique<Checkpointer>(path);
  return db;
}

SqliteDb::SqliteDb(sqlite3* db) : db_(db) {}

SqliteDb::~SqliteDb() {
  checkpointer_.reset();
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Status SqliteDb::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string what = message ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    return fail("sqlite_error", fmt::format("{} in: {}", what, text.substr(0, 160)));
  }
  return {};
}

Result<Query> SqliteDb::prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &stmt, nullptr) != SQLITE_OK) {
      return std::unexpected(error("sqlite_prepare", sql));
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Query(*this, it->second);
}

int SqliteDb::changes() const { return sqlite3_changes(db_); }

void SqliteDb::set_busy_timeout(std::chrono::milliseconds timeout) {
  sqlite3_busy_timeout(db_, static_cast<int>(timeout.count()));
}

Error SqliteDb::error(std::string code, std::string_view sql) const {
  return Error{std::move(code), fmt::format("{} in: {}", sqlite3_errmsg(db_), sql.substr(0, 160))};
}

}  // namespace pma::hq
