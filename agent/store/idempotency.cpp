#include "agent/store/idempotency.h"

#include <fmt/format.h>

namespace pma::store {

namespace {

std::span<const std::uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

Result<std::optional<IdempotencyRecord>> IdempotencyStore::find(std::string_view key) {
  // A record still in its outbox row (outbox_seq) or, once acknowledged, in its own. The row
  // must be this checkout's: a pointer gone astray (a bug, a hand-edited file) reads as an empty
  // record, refused, never as another customer's reply.
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("SELECT COALESCE(o.request, i.request_hash), COALESCE(o.response, i.response), "
                  "i.created_at FROM idempotency i LEFT JOIN outbox o ON o.seq = i.outbox_seq AND "
                  "'checkout:' || o.txn_id = i.key WHERE i.key = ?1"));
  stmt.bind(1, key);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<IdempotencyRecord>();
  auto request = stmt.column_blob(0);
  auto response = stmt.column_blob(1);
  return std::optional<IdempotencyRecord>(
      IdempotencyRecord{std::string(request.begin(), request.end()),
                        std::string(response.begin(), response.end()), stmt.column_int64(2)});
}

Status IdempotencyStore::put(std::string_view key, const IdempotencyRecord& record) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("INSERT INTO idempotency(key, request_hash, response, "
                                        "created_at) VALUES (?1, ?2, ?3, ?4)"));
  stmt.bind(1, key).bind_blob(2, bytes(record.request)).bind_blob(3, bytes(record.response));
  stmt.bind(4, record.created_at_ms);
  auto ok = stmt.run();
  if (!ok && ok.error().code == "sqlite_constraint") {
    return fail("idempotency_conflict", fmt::format("request key {} is already recorded", key));
  }
  return ok;
}

Status IdempotencyStore::put_in_outbox(std::string_view key, std::uint64_t outbox_seq,
                                       std::int64_t created_at_ms) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("INSERT INTO idempotency(key, request_hash, response, created_at, outbox_seq) "
                  "VALUES (?1, X'', X'', ?2, ?3)"));
  stmt.bind(1, key).bind(2, created_at_ms).bind(3, static_cast<std::int64_t>(outbox_seq));
  auto ok = stmt.run();
  if (!ok && ok.error().code == "sqlite_constraint") {
    return fail("idempotency_conflict", fmt::format("request key {} is already recorded", key));
  }
  return ok;
}

Result<std::optional<IdempotencyStore::Checkout>> IdempotencyStore::find_checkout(
    std::string_view txn_id) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "SELECT i.quote, COALESCE(o.response, i.response), i.created_at FROM idempotency i "
          "LEFT JOIN outbox o ON o.seq = i.outbox_seq AND o.txn_id = ?1 "
          "WHERE i.key = 'checkout:' || ?1"));
  stmt.bind(1, txn_id);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<Checkout>();
  Checkout found{.committed_at_ms = stmt.column_int64(2)};
  bool ok = false;
  if (!stmt.column_is_null(0)) {
    auto blob = stmt.column_blob(0);
    ok = found.quote.ParseFromArray(blob.data(), static_cast<int>(blob.size()));
  } else {
    auto blob = stmt.column_blob(1);
    v1::CommitResponse response;
    ok = !blob.empty() && response.ParseFromArray(blob.data(), static_cast<int>(blob.size()));
    if (ok) found.quote = std::move(*response.mutable_quote());
  }
  if (!ok) {
    return fail("checkout_record_corrupt",
                fmt::format("stored checkout {} cannot be decoded", txn_id));
  }
  return std::optional<Checkout>(std::move(found));
}

Status IdempotencyStore::forget_checkout(std::string_view txn_id) {
  PMA_TRY_ASSIGN(auto outbox,
                 db_.prepare("UPDATE outbox SET request = NULL, response = NULL WHERE seq = "
                             "(SELECT outbox_seq FROM idempotency WHERE key = 'checkout:' || ?1)"));
  outbox.bind(1, txn_id);
  if (auto ok = outbox.run(); !ok) return ok;
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("UPDATE idempotency SET request_hash = X'', response = X'', outbox_seq = NULL "
                  "WHERE key = 'checkout:' || ?1"));
  stmt.bind(1, txn_id);
  return stmt.run();
}

Status IdempotencyStore::set_checkout_quote(std::string_view txn_id, const v1::Quote& quote) {
  std::string encoded;
  quote.SerializeToString(&encoded);
  PMA_TRY_ASSIGN(auto stmt,
                 db_.prepare("UPDATE idempotency SET quote = ?2 WHERE key = 'checkout:' || ?1"));
  stmt.bind(1, txn_id).bind_blob(2, bytes(encoded));
  return stmt.run();
}

}  // namespace pma::store
