// QrReplayStore: the member-QR verifier's replay cache kept in the till's database (table
// qr_replay, schema 8), so a code accepted before a restart is refused as replayed after it.
// Only the accepted time steps (now +/- 1, 30 s each) matter: older rows are deleted as codes
// are accepted, so the table holds at most the credentials of the last ~90 seconds.
// Thread-compatible: use it on the Database's thread (memberd's io thread).
#pragma once

#include "agent/store/sqlite.h"
#include "drivers/codes/member_qr_verifier.h"

namespace pma::store {

class QrReplayStore final : public codes::ReplayStore {
 public:
  explicit QrReplayStore(Database& db) : db_(db) {}

  // Errors: "sqlite_*" from the database.
  Result<std::optional<std::uint64_t>> last_step(std::string_view credential_id,
                                                 std::uint64_t min_step) override;
  // One transaction: upsert (keeping the higher step), then prune.
  Status record(std::string_view credential_id, std::uint64_t step,
                std::uint64_t forget_before) override;

  // Rows in the table (tests, metrics).
  Result<std::int64_t> size();

 private:
  Database& db_;
};

}  // namespace pma::store
