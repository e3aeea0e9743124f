// A minimal SQLite connection for memberhq's embedded sink (sync/ may not use agent/store).
// sqlite_db.cpp is the only file in sync/ that includes sqlite3.h. Thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "pma/error.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pma::hq {

class SqliteDb;

// A cached prepared statement, reset when the Query goes out of scope.
class Query {
 public:
  Query(SqliteDb& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Query(Query&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  Query& bind(int index, std::int64_t value);
  Query& bind(int index, std::string_view text);
  Query& bind_blob(int index, std::span<const std::uint8_t> bytes);
  Query& bind_null(int index);
  // true: a row; false: done. Errors: "sqlite_constraint", "sqlite_error" naming the statement.
  Result<bool> step();
  Status run();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  std::vector<std::uint8_t> blob(int column) const;
  bool is_null(int column) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // How long a statement waits for another connection's lock before it fails, from open on.
  static constexpr std::chrono::milliseconds kBusyTimeout{5000};
  // synchronous: "FULL" or "NORMAL". WAL checkpoints run on a thread of their own (with its own
  // connection), so the thread that commits does not stop for them. Errors: "sqlite_open".
  static Result<std::unique_ptr<SqliteDb>> open(const std::string& path,
                                                const std::string& synchronous = "FULL");
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  Status exec(std::string_view sql);
  Result<Query> prepare(std::string_view sql);
  int changes() const;
  // Replaces kBusyTimeout for this connection; 0 fails at once.
  void set_busy_timeout(std::chrono::milliseconds timeout);
  Error error(std::string code, std::string_view sql) const;

 private:
  explicit SqliteDb(sqlite3* db);
  class Checkpointer;
  sqlite3* db_;
  std::unique_ptr<Checkpointer> checkpointer_;
  // Looked up by string_view without building a std::string per prepare.
  struct SqlHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view sql) const noexcept {
      return std::hash<std::string_view>{}(sql);
    }
  };
  std::unordered_map<std::string, sqlite3_stmt*, SqlHash, std::equal_to<>> cache_;
};

}  // namespace pma::hq
