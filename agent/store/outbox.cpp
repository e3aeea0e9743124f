#include "agent/store/outbox.h"

#include <fmt/format.h>

namespace pma::store {

Result<std::uint64_t> Outbox::next_seq() {
  // Both sources: MAX(seq) (the rowid B-tree's last key, no scan) and the floor, past every
  // row ever deleted (trigger outbox_deleted_raises_seq_floor) and HQ's watermark.
  PMA_TRY_ASSIGN(auto last, db_.prepare("SELECT MAX(COALESCE((SELECT MAX(seq) FROM outbox), 0), "
                                        "COALESCE((SELECT CAST(value AS INTEGER) - 1 FROM "
                                        "sync_state WHERE key = 'seq_floor'), 0))"));
  PMA_TRY(last.step());
  return static_cast<std::uint64_t>(last.column_int64(0)) + 1;
}

Result<std::uint64_t> Outbox::append(v1::Delta& delta, std::string_view kind) {
  return append(delta, kind, {}, {});
}

Result<std::uint64_t> Outbox::append(v1::Delta& delta, std::string_view kind,
                                     std::string_view replay_request,
                                     std::string_view replay_response) {
  auto seq = next_seq();
  if (!seq) return seq;
  delta.set_seq(*seq);
  std::string payload;
  if (!delta.SerializeToString(&payload)) {
    return fail("outbox_encode", fmt::format("cannot serialise delta for txn {}", delta.txn_id()));
  }
  PMA_TRY_ASSIGN(
      auto insert,
      db_.prepare("INSERT INTO outbox(seq, txn_id, kind, payload, created_at, request, response) "
                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  insert.bind(1, static_cast<std::int64_t>(*seq)).bind(2, delta.txn_id()).bind(3, kind);
  insert.bind_blob(4, bytes_of(payload));
  insert.bind(5, delta.occurred_at_ms());
  if (replay_response.empty()) {
    insert.bind(6, nullptr).bind(7, nullptr);
  } else {
    insert.bind_blob(6, bytes_of(replay_request)).bind_blob(7, bytes_of(replay_response));
  }
  PMA_TRY(insert.run());
  return *seq;
}

Result<std::int64_t> Outbox::count_for_txn(std::string_view txn_id) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT COUNT(*) FROM outbox WHERE txn_id = ?1"));
  stmt.bind(1, txn_id);
  PMA_TRY(stmt.step());
  return stmt.column_int64(0);
}

}  // namespace pma::store
