// Idempotency records: the first response to a request key, kept so that a replay returns it
// byte for byte. Borrows the Database; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/sqlite.h"

namespace pma::store {

struct IdempotencyRecord {
  // The request's canonical bytes (deterministic Protobuf serialisation). Requests are small,
  // so the bytes themselves are kept in the request_hash column and compared exactly: no hash
  // collision can pass a different body off as a replay.
  std::string request;
  std::string response;
  std::int64_t created_at_ms = 0;
};

class IdempotencyStore {
 public:
  explicit IdempotencyStore(Database& db) : db_(db) {}

  Result<std::optional<IdempotencyRecord>> find(std::string_view key);

  // Inserts inside the caller's transaction; "idempotency_conflict" if the key exists.
  Status put(std::string_view key, const IdempotencyRecord& record);

 private:
  Database& db_;
};

}  // namespace pma::store
