// Idempotency records: the first response to a request key, kept so that a replay returns it
// byte for byte. A checkout's record (key "checkout:<txn id>") is also the record a refund
// reverses: its quote is the response's, stored once (migration 9), so records are never
// pruned. While the checkout's delta waits for HQ, the record's request and response are in
// that outbox row (appended with it: a commit writes one page for both, where keyed rows of
// these bytes cost two and a half pages); triggers move them here, byte for byte, when the
// delta is acknowledged, and follow a renumbered delta. Borrows the Database; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/store/sqlite.h"
#include "pma/v1/checkout.pb.h"

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
  // The same for a record whose request and response the caller has just appended to outbox
  // row outbox_seq (Outbox::append with a replay), inside the same transaction.
  Status put_in_outbox(std::string_view key, std::uint64_t outbox_seq, std::int64_t created_at_ms);

  // The quote checkout txn_id committed with and when (UTC ms): the quote column where erasure
  // or an id mapping rewrote it, else the stored CommitResponse's. nullopt: no such checkout.
  // Errors: "checkout_record_corrupt" when neither decodes.
  struct Checkout {
    v1::Quote quote;
    std::int64_t committed_at_ms = 0;
  };
  Result<std::optional<Checkout>> find_checkout(std::string_view txn_id);

  // Empties the request and response of checkout txn_id, wherever they are (a member's
  // erasure: a replay is then refused with "member_erased"); the key and quote column stay.
  Status forget_checkout(std::string_view txn_id);

  // Replaces what find_checkout returns for txn_id (the response, kept for replays, is left as
  // it is), inside the caller's transaction.
  Status set_checkout_quote(std::string_view txn_id, const v1::Quote& quote);

 private:
  Database& db_;
};

}  // namespace pma::store
