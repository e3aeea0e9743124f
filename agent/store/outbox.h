// The outbox: every committed change as one pma.v1.Delta, in seq order, waiting for the sync
// client. Borrows the Database (which must outlive it); thread-compatible, like the Database.
#pragma once

#include <cstdint>
#include <string_view>

#include "agent/store/sqlite.h"
#include "pma/v1/delta.pb.h"

namespace pma::store {

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(db) {}

  // The seq the next append will use: max(highest seq in the outbox + 1, sync_state
  // 'seq_floor'). The floor survives pruning: deleting an outbox row raises it past that row
  // (a trigger, migration 9: what AUTOINCREMENT did, without its sqlite_sequence row costing
  // each delta a page), and the handshake raises it past HQ's watermark after a reinstall or a
  // restore, so a seq is never reused (invariant 3). Call inside the transaction that appends.
  Result<std::uint64_t> next_seq();

  // Appends delta inside the caller's transaction (which must be open: the seq is only
  // reserved by the commit). Sets delta.seq, stores the serialised Delta with kind (e.g.
  // "checkout") and created_at = delta.occurred_at_ms. Returns the seq.
  Result<std::uint64_t> append(v1::Delta& delta, std::string_view kind);
  // The same, with a checkout's idempotency request and response kept in the row until HQ
  // acknowledges the delta (IdempotencyStore::put_in_outbox names the row).
  Result<std::uint64_t> append(v1::Delta& delta, std::string_view kind,
                               std::string_view replay_request, std::string_view replay_response);

  // Number of rows for a txn id (tests and diagnostics).
  Result<std::int64_t> count_for_txn(std::string_view txn_id);

 private:
  Database& db_;
};

}  // namespace pma::store
