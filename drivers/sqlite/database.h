// The one SQLite wrapper of the tree (the till's store and HQ's sink both use it): a connection
// that caches its prepared statements, scoped statement use, RAII transactions, `run`, and the
// WAL checkpoint policy. database.cpp and backup.cpp in this folder are the only files outside
// tests that include SQLite's own header.
// Thread-compatible: one Database belongs to one thread (the io_context thread in memberd and
// memberhq); a background checkpointer, when asked for, runs on a connection of its own.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pma/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pma::sqlite {

struct OpenOptions {
  // PRAGMA synchronous: "FULL" (default, survives power loss), "NORMAL" or "OFF".
  std::string synchronous = "FULL";
  int busy_timeout_ms = 5000;
  // Page cache per connection, KiB (PRAGMA cache_size = -N).
  int cache_size_kib = 8192;
  bool read_only = false;
  // Checkpoint policy, one of three (or a mix):
  // - wal_autocheckpoint > 0: a commit that leaves at least this many frames in the WAL
  //   checkpoints it first (SQLite's own auto-checkpoint; 1000 is SQLite's default). Also the
  //   safety valve of the other two.
  // - wal_autocheckpoint = 0: never on the commit path; the owner calls checkpoint_if_needed()
  //   when idle (memberd does), or the WAL grows without bound.
  // - background_checkpoint > 0: a thread with its own connection runs a PASSIVE checkpoint
  //   this often, so the committing thread never stops for one (memberhq: 100 ms).
  int wal_autocheckpoint = 1000;
  std::chrono::milliseconds background_checkpoint{0};
};

class Database;

// The bytes of a string, for bind_blob.
inline std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A prepared statement borrowed from the Database's cache for one use. Bind, step, read
// columns; the destructor resets it and clears its bindings so the next user starts clean.
// Binding indexes are 1-based, column indexes 0-based (as in SQLite).
class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) {
    return bind(index, std::string_view(text));
  }
  Statement& bind(int index, std::nullptr_t);
  Statement& bind(int index, std::span<const std::uint8_t> bytes) {
    return bind_blob(index, bytes);
  }
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes);
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }

  // Binds all arguments in order from index 1.
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }

  // Advances: true when a row is available, false when done. Errors name the statement:
  // "sqlite_bind" (a bind failed), "sqlite_constraint", "sqlite_busy", "sqlite_full",
  // "sqlite_error".
  Result<bool> step();
  // Steps to completion, for statements that return no rows.
  Status run();

  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const;
  std::vector<std::uint8_t> column_blob(int column) const;
  bool column_is_null(int column) const;

  std::string_view sql() const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
  int bind_error_ = 0;  // the first bind error, if any: reported by step()
  int bind_error_index_ = 0;
};

// One SQLite connection. Owns its prepared-statement cache; statements live as long as it.
class Database {
 public:
  // Opens (creating if needed, unless read_only) a database file in WAL mode with the given
  // options. Unless read_only, the file, its -wal and its -shm are mode 0600 whatever the
  // umask (created so, or narrowed if an older build left them wider). Errors: "sqlite_open"
  // with the path and SQLite's message (or the file whose mode cannot be narrowed).
  static Result<std::unique_ptr<Database>> open(const std::string& path,
                                                const OpenOptions& options = {});
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results (schema, pragmas).
  Status exec(std::string_view sql);

  // Borrows the cached prepared statement for sql, preparing it on first use.
  // Errors: "sqlite_prepare" with SQLite's message and the statement.
  Result<Statement> prepare(std::string_view sql);

  std::int64_t last_insert_rowid() const;
  int changes() const;
  int user_version();
  const std::string& path() const { return path_; }
  // Whether a transaction is open on this connection.
  bool in_transaction() const;
  // Whether the last failure was another connection's lock (SQLITE_BUSY or SQLITE_LOCKED).
  bool last_error_was_lock() const;
  // Replaces OpenOptions::busy_timeout_ms for this connection; 0 fails at once.
  void set_busy_timeout(std::chrono::milliseconds timeout);

  // Frames in the WAL as of this connection's last commit (SQLite's WAL hook; 0 before the
  // first). A restarted WAL counts from 1 again. Do not run PRAGMA wal_autocheckpoint on this
  // connection: it replaces the hook (use OpenOptions::wal_autocheckpoint).
  int wal_frames() const { return wal_frames_; }

  // Builds an Error of the given code naming SQLite's message (and the statement, if any).
  Error error(std::string code, std::string_view sql = {}) const;

  // For the wrappers of SQLite features in this folder (online backup, checkpoints) and for
  // tests that observe SQLite itself. Nothing else may use it.
  sqlite3* native_handle() { return db_; }

 private:
  class Checkpointer;
  Database(sqlite3* db, std::string path);
  static int on_wal_commit(void* self, sqlite3* handle, const char* db_name, int frames);

  sqlite3* db_;
  std::string path_;
  int wal_autocheckpoint_ = 1000;
  int wal_frames_ = 0;
  std::unique_ptr<Checkpointer> checkpointer_;
  // Looked up by string_view without building a std::string per prepare.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept {
      return std::hash<std::string_view>{}(sql);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> statements_;
};

// Prepares sql, binds args from index 1 and steps it to completion: for one-line writes.
template <typename... Args>
Status run(Database& db, std::string_view sql, const Args&... args) {
  PMA_TRY_ASSIGN(auto stmt, db.prepare(sql));
  stmt.bind_all(args...);
  return stmt.run();
}

// A transaction, rolled back on destruction unless commit() succeeded.
// begin(): BEGIN IMMEDIATE, a write transaction that takes the write lock at once (so it never
// fails later on a lock upgrade). begin_read(): BEGIN (deferred), one read snapshot.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  static Result<Transaction> begin_read(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Errors: "sqlite_error" (then the transaction is still open, and rolled back on destruction).
  Status commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
};

// What checkpoint_if_needed() did.
struct WalCheckpoint {
  bool ran = false;        // false: fewer than min_frames frames, or a transaction was open
  int wal_frames = 0;      // frames in the WAL before
  int checkpointed = 0;    // of which now copied into the database file
  bool restarted = false;  // the WAL was rewound, so the next commit does not pay for it
};

// Moves WAL checkpointing off the commit path; call it when idle (memberd: a timer on the io
// thread) on a connection opened with wal_autocheckpoint = 0 or a high backstop. Below
// min_frames frames it does nothing. Otherwise it copies the WAL into the database (PASSIVE:
// never waits for readers) and, when every frame was copied, commits one tiny transaction that
// rewinds the WAL to its start, so that the WAL header write and its fsync (synchronous=FULL)
// happen now rather than in the next checkout. Durability is unchanged: every commit still
// syncs the WAL. Errors: "sqlite_busy" (another checkpoint runs), "sqlite_error".
Result<WalCheckpoint> checkpoint_if_needed(Database& db, int min_frames);

}  // namespace pma::sqlite
