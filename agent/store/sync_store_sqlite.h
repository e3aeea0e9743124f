// The agent's SyncStore: outbox, ledger watermark, member cache and cursors for sync/client,
// on the agent's SQLite database. Borrows the Database (which must outlive it); same thread.
#pragma once

#include "agent/store/sqlite.h"
#include "sync/client/sync_store.h"

namespace pma::store {

class SqliteSyncStore final : public sync::SyncStore {
 public:
  explicit SqliteSyncStore(Database& db) : db_(db) {}

  Result<std::vector<sync::OutboxEntry>> outbox_from(std::uint64_t from_seq, std::size_t max_count,
                                                     std::size_t max_bytes) override;
  Result<sync::OutboxStats> outbox_stats() override;
  Result<std::vector<std::string>> unmapped_ids(std::size_t limit) override;
  // Refuses a till that never met HQ while it holds members imported here (memberctl import:
  // hq_version 0, not provisional) unless sync_state 'members_at_hq' says they were imported
  // at HQ too (memberctl sync --members-at-hq).
  Status check_pairing() override;
  Status on_handshake(std::uint64_t hq_highest_seq,
                      const std::vector<pma::v1::IdMapping>& id_mappings) override;
  Status acknowledge(std::uint64_t seq,
                     const std::vector<pma::v1::IdMapping>& id_mappings) override;
  Status apply_member_page(const pma::v1::MemberPage& page, std::int64_t now) override;
  Result<sync::DownstreamCursor> downstream_cursor() override;
  Status reset_member_cursor() override;
  Result<std::optional<std::string>> get_state(const std::string& key) override;
  Status set_state(const std::string& key, const std::string& value) override;

 private:
  Status renumber_outbox(std::uint64_t first_seq);
  Status raise_seq_floor(std::uint64_t floor);
  Status map_member(const std::string& provisional_id, const std::string& member_id);
  // After an erasure: checkpoint the WAL into the database and truncate it, so pre-erasure
  // frames do not outlive it; pending ("wal_scrub") until the outbox has drained.
  Status scrub_wal();
  // What apply_member needs to know of the page being applied.
  struct PageState {
    std::uint64_t reflected_seq = 0;
    std::int64_t now = 0;
  };
  Status apply_member(const pma::v1::MemberDelta& member, PageState& page);

  Database& db_;
};

}  // namespace pma::store
