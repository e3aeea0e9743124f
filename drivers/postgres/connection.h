// The one libpq wrapper of the tree (the PostgreSQL HQ sink uses it): a connection from a
// postgresql:// URI that prepares each statement once on the server, statements with typed
// parameters (integers and bytes sent binary, text as text, the server infers the column
// type) and text-format results read as typed values, RAII transactions, and pipeline mode
// for a run of statements sent in one round trip. connection.cpp is the only file outside
// tests that includes libpq-fe.h.
// The Statement surface mirrors drivers/sqlite's (bind from 1, step, run, column_* from 0),
// so HQ's two sinks read alike. Errors carry a precise code from the SQLSTATE: "pg_connect",
// "pg_uri", "pg_unique_violation", "pg_constraint", "pg_serialization" (retry the
// transaction), "pg_connection_lost", "pg_query", "pg_result".
// Thread-compatible: one Connection belongs to one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "pma/error.h"

struct pg_conn;
struct pg_result;

namespace pma::pg {

// A parameter: NULL, an int8 (sent binary), text (sent as text, type inferred), or bytea
// (sent binary).
using Param = std::variant<std::nullptr_t, std::int64_t, std::string, std::vector<std::uint8_t>>;

// A result: its rows as text-format values, typed on reading. Owns the PGresult.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  Rows(Rows&& other) noexcept;
  Rows& operator=(Rows&& other) noexcept;
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;
  ~Rows();

  int size() const;
  int columns() const;
  // Rows an INSERT, UPDATE or DELETE changed (0 for others).
  std::int64_t affected() const;
  bool is_null(int row, int column) const;
  // An integer or boolean column (NULL: 0); "pg_result" for text that is not one.
  Result<std::int64_t> int64(int row, int column) const;
  std::string text(int row, int column) const;
  // A bytea column (hex output), decoded.
  std::vector<std::uint8_t> bytes(int row, int column) const;
  pg_result* result_ptr() const { return result_; }

 private:
  pg_result* result_ = nullptr;
};

class Connection;

// One use of a prepared statement, as drivers/sqlite's Statement: bind (1-based), then step()
// through the rows (executed on the first step) or run(). Columns are 0-based.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql) : connection_(&connection), sql_(sql) {}

  Statement& bind(int index, std::int64_t value) { return set(index, Param(value)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, std::uint32_t value) {
    return bind(index, static_cast<std::int64_t>(value));
  }
  Statement& bind(int index, std::string_view text) { return set(index, Param(std::string(text))); }
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return set(index, Param(text)); }
  Statement& bind(int index, std::nullptr_t) { return set(index, Param(nullptr)); }
  Statement& bind(int index, std::span<const std::uint8_t> bytes) {
    return set(index, Param(std::vector<std::uint8_t>(bytes.begin(), bytes.end())));
  }
  Statement& bind(int index, const std::vector<std::uint8_t>& bytes) {
    return set(index, Param(bytes));
  }
  Statement& bind_blob(int index, std::span<const std::uint8_t> bytes) {
    return bind(index, bytes);
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, nullptr);
  }
  template <typename... Args>
  Statement& bind_all(const Args&... args) {
    int index = 1;
    (bind(index++, args), ...);
    return *this;
  }

  // Executes on the first call; true while a row is available.
  Result<bool> step();
  // Executes (unless step did) and discards the rows.
  Status run();
  // Rows the statement changed (after step or run).
  std::int64_t changes() const { return rows_.affected(); }

  std::int64_t column_int64(int column) const;
  std::string column_text(int column) const { return rows_.text(row_, column); }
  std::vector<std::uint8_t> column_blob(int column) const { return rows_.bytes(row_, column); }
  bool column_is_null(int column) const { return rows_.is_null(row_, column); }
  std::string_view sql() const { return sql_; }
  const std::vector<Param>& params() const { return params_; }

 private:
  Statement& set(int index, Param value);
  Status execute();
  Connection* connection_;
  std::string sql_;
  std::vector<Param> params_;
  Rows rows_;
  int row_ = -1;
  bool executed_ = false;
};

// One statement of a pipeline.
struct Query {
  std::string sql;
  std::vector<Param> params;
};

class Connection {
 public:
  // Connects to a postgresql:// (or postgres://) URI. Errors: "pg_uri" (not such a URI),
  // "pg_connect" (libpq's message, the password left out).
  static Result<std::unique_ptr<Connection>> open(const std::string& uri);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One or more statements without parameters (schema scripts), through the simple protocol.
  Status exec(std::string_view sql);
  // A statement with parameters, prepared on the server on first use (per parameter types).
  Result<Rows> query(std::string_view sql, std::span<const Param> params = {});
  // drivers/sqlite's shape: a statement to bind and step.
  Result<Statement> prepare(std::string_view sql) { return Statement(*this, sql); }
  // Rows the last statement changed.
  std::int64_t changes() const { return changes_; }
  // Sends the queries in pipeline mode (one round trip, one sync at the end) and returns each
  // one's rows. The first failing query's error is returned; the server skips the rest (the
  // caller's transaction, if any, is then aborted).
  Result<std::vector<Rows>> pipeline(std::span<const Query> queries);
  bool in_transaction() const;
  // The server's process id for this session (tests, logs).
  int backend_pid() const;

  // Builds an Error from a failed result, or from the connection when result is null.
  Error error(const pg_result* result, std::string_view sql) const;

 private:
  friend class Statement;
  friend class Transaction;
  explicit Connection(pg_conn* conn) : conn_(conn) {}
  // The server-side name of sql prepared for these parameter types, preparing it if needed.
  Result<std::string> prepared(std::string_view sql, std::span<const Param> params);
  pg_conn* conn_;
  std::int64_t changes_ = 0;
  std::unordered_map<std::string, std::string> prepared_;  // sql + types -> statement name
};

// A transaction, rolled back on destruction unless commit() succeeded. SERIALIZABLE by
// default: a concurrent writer makes commit (or any statement) fail "pg_serialization", and the
// caller runs the whole transaction again.
class Transaction {
 public:
  enum class Isolation { read_committed, repeatable_read, serializable };
  static Result<Transaction> begin(Connection& connection,
                                   Isolation isolation = Isolation::serializable);
  Transaction(Transaction&& other) noexcept : connection_(other.connection_) {
    other.connection_ = nullptr;
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Connection& connection) : connection_(&connection) {}
  Connection* connection_;
};

// Prepares sql, binds args from index 1 and runs it: for one-line writes.
template <typename... Args>
Status run(Connection& connection, std::string_view sql, const Args&... args) {
  PMA_TRY_ASSIGN(auto stmt, connection.prepare(sql));
  stmt.bind_all(args...);
  return stmt.run();
}

}  // namespace pma::pg
