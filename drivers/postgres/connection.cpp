#include "drivers/postgres/connection.h"

#include <endian.h>
#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace pma::pg {

namespace {

constexpr Oid kInt8Oid = 20;
constexpr Oid kByteaOid = 17;

// The code of a failure, from its SQLSTATE (class 08: the connection; 23505; other class 23;
// 40001 serialization and 40P01 deadlock: the transaction may simply run again).
std::string code_of(const char* sqlstate, bool connection_bad) {
  if (connection_bad) return "pg_connection_lost";
  if (sqlstate == nullptr) return "pg_query";
  const std::string_view s(sqlstate);
  if (s == "23505") return "pg_unique_violation";
  if (s.starts_with("23")) return "pg_constraint";
  if (s == "40001" || s == "40P01") return "pg_serialization";
  if (s.starts_with("08") || s.starts_with("57P")) return "pg_connection_lost";
  return "pg_query";
}

// Parameters as libpq takes them: int8 big-endian binary, bytea binary, text as text.
struct Wire {
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  std::vector<std::uint64_t> ints;

  explicit Wire(std::span<const Param> params) {
    const std::size_t n = params.size();
    types.resize(n);
    values.resize(n);
    lengths.resize(n);
    formats.resize(n);
    ints.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Param& p = params[i];
      if (const auto* v = std::get_if<std::int64_t>(&p)) {
        ints[i] = htobe64(static_cast<std::uint64_t>(*v));
        types[i] = kInt8Oid;
        values[i] = reinterpret_cast<const char*>(&ints[i]);
        lengths[i] = 8;
        formats[i] = 1;
      } else if (const auto* t = std::get_if<std::string>(&p)) {
        values[i] = t->c_str();
      } else if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&p)) {
        types[i] = kByteaOid;
        // A zero-length bytea still needs a non-null pointer (null means SQL NULL).
        values[i] = b->empty() ? "" : reinterpret_cast<const char*>(b->data());
        lengths[i] = static_cast<int>(b->size());
        formats[i] = 1;
      }
    }
  }
};

// The URI with any password replaced, for messages.
std::string redacted(const std::string& uri) {
  const auto scheme = uri.find("://");
  const auto at = uri.find('@');
  if (scheme == std::string::npos || at == std::string::npos) return uri;
  const auto colon = uri.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return uri;
  return uri.substr(0, colon + 1) + "***" + uri.substr(at);
}

}  // namespace

Rows::Rows(pg_result* result) : result_(result) {}
Rows::Rows(Rows&& other) noexcept : result_(other.result_) { other.result_ = nullptr; }
Rows& Rows::operator=(Rows&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = other.result_;
    other.result_ = nullptr;
  }
  return *this;
}
Rows::~Rows() {
  if (result_ != nullptr) PQclear(result_);
}

int Rows::size() const { return result_ == nullptr ? 0 : PQntuples(result_); }
int Rows::columns() const { return result_ == nullptr ? 0 : PQnfields(result_); }
std::int64_t Rows::affected() const {
  if (result_ == nullptr) return 0;
  const char* n = PQcmdTuples(result_);
  std::int64_t value = 0;
  if (n != nullptr && *n != '\0') std::from_chars(n, n + std::strlen(n), value);
  return value;
}
bool Rows::is_null(int row, int column) const {
  return result_ == nullptr || row < 0 || row >= size() || PQgetisnull(result_, row, column) != 0;
}

Result<std::int64_t> Rows::int64(int row, int column) const {
  if (is_null(row, column)) return 0;
  const char* v = PQgetvalue(result_, row, column);
  const std::size_t len = static_cast<std::size_t>(PQgetlength(result_, row, column));
  if (len == 1 && (v[0] == 't' || v[0] == 'f')) return v[0] == 't' ? 1 : 0;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(v, v + len, value);
  if (ec != std::errc{} || end != v + len) {
    return fail("pg_result", fmt::format("column {} ('{}') is not an integer: '{}'", column,
                                         PQfname(result_, column), std::string_view(v, len)));
  }
  return value;
}

std::string Rows::text(int row, int column) const {
  if (is_null(row, column)) return {};
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<std::size_t>(PQgetlength(result_, row, column)));
}

std::vector<std::uint8_t> Rows::bytes(int row, int column) const {
  if (is_null(row, column)) return {};
  std::size_t length = 0;
  unsigned char* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(result_, row, column)), &length);
  if (raw == nullptr) return {};
  std::vector<std::uint8_t> out(raw, raw + length);
  PQfreemem(raw);
  return out;
}

Statement& Statement::set(int index, Param value) {
  if (index < 1) return *this;
  if (params_.size() < static_cast<std::size_t>(index)) params_.resize(index);
  params_[index - 1] = std::move(value);
  return *this;
}

Status Statement::execute() {
  if (executed_) return {};
  executed_ = true;
  // Parameters never bound are NULL (as in SQLite): as many as the highest $N names.
  std::size_t highest = 0;
  for (std::size_t i = 0; i < sql_.size(); ++i) {
    if (sql_[i] != '$') continue;
    std::size_t n = 0, j = i + 1;
    while (j < sql_.size() && sql_[j] >= '0' && sql_[j] <= '9') n = n * 10 + (sql_[j++] - '0');
    highest = std::max(highest, n);
  }
  if (params_.size() < highest) params_.resize(highest);
  PMA_TRY_ASSIGN(auto rows, connection_->query(sql_, params_));
  rows_ = std::move(rows);
  return {};
}

Result<bool> Statement::step() {
  PMA_TRY(execute());
  ++row_;
  return row_ < rows_.size();
}

Status Statement::run() { return execute(); }

std::int64_t Statement::column_int64(int column) const {
  // As SQLite's column_int64: a value that is no integer reads as 0 (the schema has none).
  auto v = rows_.int64(row_, column);
  return v ? *v : 0;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::string& uri) {
  if (!uri.starts_with("postgresql://") && !uri.starts_with("postgres://")) {
    return fail("pg_uri", fmt::format("'{}' is not a postgresql:// URI", redacted(uri)));
  }
  pg_conn* conn = PQconnectdb(uri.c_str());
  if (conn == nullptr) return fail("pg_connect", "libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    return fail("pg_connect", fmt::format("{}: {}", redacted(uri), message));
  }
  auto connection = std::unique_ptr<Connection>(new Connection(conn));
  // Quiet NOTICEs (CREATE ... IF NOT EXISTS) instead of libpq printing them to stderr.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return connection;
}

Connection::~Connection() { PQfinish(conn_); }

Error Connection::error(const pg_result* result, std::string_view sql) const {
  const bool bad = PQstatus(conn_) != CONNECTION_OK;
  const char* sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = result ? PQresultErrorMessage(result) : PQerrorMessage(conn_);
  if (message.empty()) message = PQerrorMessage(conn_);
  while (!message.empty() && message.back() == '\n') message.pop_back();
  if (!sql.empty()) message = fmt::format("{} (in: {})", message, sql);
  return Error{code_of(sqlstate, bad), std::move(message)};
}

Status Connection::exec(std::string_view sql) {
  const std::string text(sql);
  pg_result* r = PQexec(conn_, text.c_str());
  Rows rows(r);
  const auto status = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error(r, sql));
  }
  changes_ = rows.affected();
  return {};
}

Result<std::string> Connection::prepared(std::string_view sql, std::span<const Param> params) {
  Wire wire(params);
  std::string key(sql);
  key += '\0';
  for (Oid t : wire.types) key += std::to_string(t) + ",";
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  std::string name = fmt::format("pma{}", prepared_.size() + 1);
  const std::string text(sql);
  Rows r(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()),
                   wire.types.data()));
  // The statement name is kept only once the server has it.
  if (PQresultStatus(r.result_ptr()) != PGRES_COMMAND_OK) {
    return std::unexpected(error(r.result_ptr(), sql));
  }
  prepared_.emplace(std::move(key), name);
  return name;
}

Result<Rows> Connection::query(std::string_view sql, std::span<const Param> params) {
  PMA_TRY_ASSIGN(auto name, prepared(sql, params));
  Wire wire(params);
  Rows rows(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), wire.values.data(),
                           wire.lengths.data(), wire.formats.data(), 0));
  const auto status = rows.result_ptr() ? PQresultStatus(rows.result_ptr()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return std::unexpected(error(rows.result_ptr(), sql));
  }
  changes_ = rows.affected();
  return rows;
}

Result<std::vector<Rows>> Connection::pipeline(std::span<const Query> queries) {
  // Prepared first (outside the pipeline: one round trip per new statement, once per session).
  std::vector<std::string> names;
  for (const Query& q : queries) {
    PMA_TRY_ASSIGN(auto name, prepared(q.sql, q.params));
    names.push_back(std::move(name));
  }
  if (PQenterPipelineMode(conn_) != 1) return std::unexpected(error(nullptr, "pipeline"));
  std::vector<Rows> out;
  std::optional<Error> failed;
  for (std::size_t i = 0; i < queries.size(); ++i) {
    Wire wire(queries[i].params);
    if (PQsendQueryPrepared(conn_, names[i].c_str(), static_cast<int>(queries[i].params.size()),
                            wire.values.data(), wire.lengths.data(), wire.formats.data(), 0) != 1) {
      failed = error(nullptr, queries[i].sql);
      break;
    }
  }
  if (PQpipelineSync(conn_) != 1 && !failed) failed = error(nullptr, "pipeline sync");
  // Each query's results end with a null; the sync's result ends the pipeline.
  for (std::size_t i = 0;;) {
    pg_result* r = PQgetResult(conn_);
    if (r == nullptr) {
      ++i;
      if (PQstatus(conn_) != CONNECTION_OK) break;
      continue;
    }
    Rows rows(r);
    const auto status = PQresultStatus(r);
    if (status == PGRES_PIPELINE_SYNC) break;
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      out.push_back(std::move(rows));
    } else if (status != PGRES_PIPELINE_ABORTED && !failed) {
      failed = error(r, i < queries.size() ? std::string_view(queries[i].sql) : "pipeline");
    }
  }
  PQexitPipelineMode(conn_);
  if (failed) return std::unexpected(*failed);
  if (!out.empty()) changes_ = out.back().affected();
  return out;
}

bool Connection::in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

int Connection::backend_pid() const { return PQbackendPID(conn_); }

Result<Transaction> Transaction::begin(Connection& connection, Isolation isolation) {
  const char* sql = isolation == Isolation::serializable ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                    : isolation == Isolation::repeatable_read
                        ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
                        : "BEGIN";
  PMA_TRY(connection.exec(sql));
  return Transaction(connection);
}

Transaction::~Transaction() {
  if (connection_ != nullptr && connection_->in_transaction()) (void)connection_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Rows r(PQexec(connection_->conn_, "COMMIT"));
  const auto status = r.result_ptr() ? PQresultStatus(r.result_ptr()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK) {
    // A failed COMMIT (a serialization failure found at commit) ended the transaction.
    Error e = connection_->error(r.result_ptr(), "COMMIT");
    connection_ = nullptr;
    return std::unexpected(std::move(e));
  }
  // COMMIT of a transaction a failed statement aborted answers ROLLBACK without an error.
  const bool rolled_back = std::string_view(PQcmdStatus(r.result_ptr())) == "ROLLBACK";
  connection_ = nullptr;
  if (rolled_back) return fail("pg_query", "COMMIT of a failed transaction: rolled back");
  return {};
}

}  // namespace pma::pg
