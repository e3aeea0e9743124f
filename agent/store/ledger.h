// The points ledger: every local points change (and the spend behind it) as one row, carried
// upstream by the outbox Delta whose seq it records. A member's balance is hq_points plus the
// rows HQ has not reflected yet (see member_store.h). Clustered by member and time (migration 9),
// so a commit writes one leaf of it. Borrows the Database; thread-compatible.
// Times are UTC milliseconds since the epoch.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/store/sqlite.h"

namespace pma::store {

struct LedgerEntry {
  std::string member_id;
  std::string txn_id;
  // "earn", "burn", "refund_reverse", "refund_restore", ...
  std::string kind;
  std::int64_t points = 0;      // signed: positive adds to the balance
  std::int64_t amount_fen = 0;  // signed spend that counts toward tiers (0 for burns)
  std::int64_t created_at_ms = 0;
  std::uint64_t outbox_seq = 0;
  bool offline = false;  // written while HQ was unreachable (offline burn limits)
};

class Ledger {
 public:
  explicit Ledger(Database& db) : db_(db) {}

  // Inserts inside the caller's transaction. A transaction writes at most one row of each kind
  // per member ("sqlite_constraint" otherwise).
  Status append(const LedgerEntry& entry);

  // hq_points + unreflected local rows; "unknown_member" if the cache has no such member.
  Result<std::int64_t> balance(std::string_view member_id);
  // The rolling 12-month spend: HQ's monthly buckets from first_month on (months since January
  // 1970, pma.v1.SpendMonth; the caller's window: this month and the 11 before it), so the
  // figure ages without a new page from HQ, or HQ's figure as sent when HQ sent no buckets
  // (an older HQ); plus unreflected local spend since since_ms (where first_month began).
  // "unknown_member" if the cache has no such member.
  Result<std::int64_t> spend_12m(std::string_view member_id, std::int64_t first_month,
                                 std::int64_t since_ms);
  // Points burned offline at this store by the member since since_ms (a positive number).
  Result<std::int64_t> offline_burned_since(std::string_view member_id, std::int64_t since_ms);

  // The member's rows HQ has not reflected yet, oldest first (what a reservation tells HQ).
  Result<std::vector<LedgerEntry>> unreflected(std::string_view member_id);

  // Every row of a txn id, oldest first (tests, diagnostics).
  Result<std::vector<LedgerEntry>> entries_for_txn(std::string_view txn_id);

 private:
  Result<std::int64_t> single_int(Statement& stmt);
  Result<std::vector<LedgerEntry>> rows(Statement& stmt);
  Database& db_;
};

}  // namespace pma::store
