// The outbox: every committed change as one pma.v1.Delta, in seq order, waiting for the sync
// client. Borrows the Database (which must outlive it); thread-compatible, like the Database.
#pragma once

#include <cstdint>
#include <string_view>

#include "pma/v1/delta.pb.h"
#include "store/sqlite.h"

namespace pma::store {

class Outbox {
 public:
  explicit Outbox(Database& db) : db_(db) {}

  // The seq the next append will use: max(highest seq ever assigned + 1, sync_state
  // 'seq_floor'). "Ever" survives pruning of acknowledged rows (sqlite_sequence keeps it); the
  // floor, set by the sync client from HQ's handshake after a reinstall, makes seqs never
  // reused across installs (invariant 3). Call inside the transaction that appends.
  Result<std::uint64_t> next_seq();

  // Appends delta inside the caller's transaction (which must be open: the seq is only
  // reserved by the commit). Sets delta.seq, stores the serialised Delta with kind (e.g.
  // "checkout") and created_at = delta.occurred_at_ms. Returns the seq.
  Result<std::uint64_t> append(v1::Delta& delta, std::string_view kind);

  // Number of rows for a txn id (tests and diagnostics).
  Result<std::int64_t> count_for_txn(std::string_view txn_id);

 private:
  Database& db_;
};

}  // namespace pma::store
