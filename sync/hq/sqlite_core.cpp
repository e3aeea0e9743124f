// SqliteCore: opening (migrations, then the counters seeded from the file), member versions,
// the cached rule sets, and the reads the four SQLite parts share.
#include "sync/hq/sqlite_core.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "sync/hq/sqlite_sink_migrations.h"

namespace pma::hq {

Result<std::unique_ptr<SqliteCore>> SqliteCore::open(const std::string& path,
                                                     const std::string& synchronous) {
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    return fail("sqlite_open",
                fmt::format("synchronous must be FULL or NORMAL, not '{}'", synchronous));
  }
  // The committing connection checkpoints only as a safety valve (a WAL of 64 MiB); a thread
  // of the wrapper's checkpoints every 100 ms and keeps it far smaller.
  PMA_TRY_ASSIGN(auto db, sqlite::Database::open(
                              path, {.synchronous = synchronous,
                                     .busy_timeout_ms = static_cast<int>(kBusyTimeout.count()),
                                     .cache_size_kib = 65536,
                                     .wal_autocheckpoint = 16384,
                                     .background_checkpoint = std::chrono::milliseconds(100)}));
  PMA_TRY(migrate_sink(*db));
  std::unique_ptr<SqliteCore> core(new SqliteCore(std::move(db)));
  PMA_TRY(core->find_kind0_identities());
  PMA_TRY_ASSIGN(auto q, core->db_->prepare("SELECT (SELECT COALESCE(MAX(version), 0) FROM "
                                            "members), (SELECT COUNT(*) FROM members)"));
  PMA_TRY(q.step());
  core->version_ = static_cast<std::uint64_t>(q.column_int64(0));
  core->next_member_number_ = q.column_int64(1) + 1;
  PMA_TRY(q.run());
  PMA_TRY(core->seed_member_numbering());
  // Hold ids keep increasing across restarts: past the table's and past the clock (in us), so
  // a release still in flight from before a restart cannot name a new hold.
  PMA_TRY_ASSIGN(auto holds, core->db_->prepare("SELECT COALESCE(MAX(hold_id), 0) FROM holds"));
  PMA_TRY(holds.step());
  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  core->hold_counter_ =
      static_cast<std::uint64_t>(std::max<std::int64_t>(holds.column_int64(0), now_us));
  return core;
}

Result<std::uint64_t> SqliteCore::highest_applied(const TerminalIdentity& terminal) {
  auto q =
      db_->prepare("SELECT highest_seq FROM terminals WHERE store_id = ?1 AND terminal_id = ?2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, q->step());
  return row ? static_cast<std::uint64_t>(q->column_int64(0)) : 0;
}

Status SqliteCore::find_kind0_identities() {
  // Through the partial index deltas_kind0: no scan, however many deltas HQ holds.
  auto kind0 =
      db_->prepare("SELECT EXISTS(SELECT 1 FROM deltas WHERE kind = 0 AND unkeyed_seq = 0)");
  if (!kind0) return std::unexpected(kind0.error());
  PMA_TRY(kind0->step());
  kind0_identities_ = kind0->column_int64(0) != 0;
  return kind0->run();
}

Status SqliteCore::refresh_version() {
  PMA_TRY_ASSIGN(auto q, db_->prepare("SELECT COALESCE(MAX(version), 0) FROM members"));
  PMA_TRY(q.step());
  version_ = std::max(version_, static_cast<std::uint64_t>(q.column_int64(0)));
  return q.run();
}

Status SqliteCore::seed_member_numbering() {
  // Past every H<digits> id HQ holds (imported ones included), not COUNT(*) + 1: next_member_id
  // still checks each number, for ids imported by another process since.
  PMA_TRY_ASSIGN(
      auto q,
      db_->prepare("SELECT COALESCE(MAX(CAST(substr(member_id, 2) AS INTEGER)), 0) FROM members "
                   "WHERE member_id GLOB 'H[0-9]*' AND substr(member_id, 2) NOT GLOB '*[^0-9]*' "
                   "AND length(member_id) <= 19"));
  PMA_TRY(q.step());
  next_member_number_ = std::max(next_member_number_, q.column_int64(0) + 1);
  return q.run();
}

Result<std::string> SqliteCore::next_member_id() {
  for (;;) {
    std::string id = fmt::format("H{:09}", next_member_number_++);
    PMA_TRY_ASSIGN(auto q,
                   db_->prepare("SELECT EXISTS(SELECT 1 FROM members WHERE member_id = ?1) OR "
                                "EXISTS(SELECT 1 FROM provisional_ids WHERE provisional_id = ?1)"));
    q.bind(1, id);
    PMA_TRY(q.step());
    const bool taken = q.column_int64(0) != 0;
    PMA_TRY(q.run());
    if (!taken) return id;
  }
}

Status SqliteCore::refresh_rules() {
  PMA_TRY_ASSIGN(
      auto q,
      db_->prepare("SELECT version, rule_set FROM rule_sets ORDER BY version DESC LIMIT 1"));
  PMA_TRY_ASSIGN(auto row, q.step());
  const std::int64_t version = row ? q.column_int64(0) : 0;
  older_rules_.clear();
  if (version == rules_version_ && rules_loaded_) return q.run();
  rules_.reset();
  if (row) {
    auto bytes = q.column_blob(1);
    pma::v1::RuleSet rules;
    // `memberhq rules` checks what it stores; a garbled one leaves the defaults in force.
    if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) rules_ = rules;
  }
  PMA_TRY(q.run());
  rules_version_ = version;
  rules_loaded_ = true;
  limits_ = rules_ ? effective_limits(*rules_) : Limits{};
  return {};
}

Result<const pma::v1::RuleSet*> SqliteCore::rules_at(std::int64_t version) {
  const pma::v1::RuleSet* newest = rules_ ? &*rules_ : nullptr;
  if (version == rules_version_) return newest;
  // Each older version is read and parsed once per batch (refresh_rules empties the map), not
  // once per checkout naming it; between batches another process may publish or replace one.
  auto [it, inserted] = older_rules_.try_emplace(version);
  if (inserted) {
    PMA_TRY_ASSIGN(auto q, db_->prepare("SELECT rule_set FROM rule_sets WHERE version = ?1"));
    q.bind(1, version);
    auto row = q.step();
    if (!row) {
      older_rules_.erase(it);
      return std::unexpected(row.error());
    }
    if (*row) {
      auto bytes = q.column_blob(0);
      pma::v1::RuleSet rules;
      if (rules.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        it->second = std::move(rules);
      }
    }
    if (auto done = q.run(); !done) {
      older_rules_.erase(it);
      return std::unexpected(done.error());
    }
  }
  // A version HQ never published, or a garbled one: judge by the newest.
  return it->second ? &*it->second : newest;
}

Result<std::string> SqliteCore::resolve(const std::string& member_id, const DeltaAt& at) {
  // Tills name members they registered "P-<store>-<terminal>-<n>" until HQ maps them; any
  // other id is canonical already (this skips a lookup for nearly every delta).
  if (!member_id.starts_with("P-")) return member_id;
  if (at.seq != 0) {
    // A provisional id this terminal reused for another person: from the reuse on, its deltas
    // are that other person's, never the first holder's (they stay under the provisional id).
    PMA_TRY_ASSIGN(auto reused, disputed(member_id, at.store_id, at.terminal_id, at.seq));
    if (reused) return member_id;
  }
  PMA_TRY_ASSIGN(auto q,
                 db_->prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = ?1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  return row ? q.column_text(0) : member_id;
}

Result<bool> SqliteCore::disputed(const std::string& provisional_id, const std::string& store_id,
                                  const std::string& terminal_id, std::uint64_t seq) {
  PMA_TRY_ASSIGN(
      auto q,
      db_->prepare("SELECT 1 FROM disputed_ids WHERE provisional_id = ?1 AND store_id = ?2 AND "
                   "terminal_id = ?3 AND from_seq <= ?4"));
  q.bind(1, provisional_id).bind(2, store_id).bind(3, terminal_id);
  q.bind(4, static_cast<std::int64_t>(seq));
  PMA_TRY_ASSIGN(auto row, q.step());
  return row;
}

Status SqliteCore::drop_hold(const TerminalIdentity& terminal, const std::string& txn_id,
                             std::uint64_t hold_id) {
  if (hold_id != 0) {
    PMA_TRY_ASSIGN(
        auto q,
        db_->prepare(
            "SELECT 1 FROM holds WHERE store_id = ?1 AND terminal_id = ?2 AND txn_id = ?3 AND "
            "hold_id = ?4"));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id);
    q.bind(4, static_cast<std::int64_t>(hold_id));
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) return {};  // a newer hold for this txn (or none): not this release's to drop
    PMA_TRY(q.run());
  }
  for (std::string_view sql :
       {"DELETE FROM holds WHERE store_id = ?1 AND terminal_id = ?2 AND txn_id = ?3",
        "DELETE FROM held_coupons WHERE store_id = ?1 AND terminal_id = ?2 AND txn_id = ?3"}) {
    PMA_TRY_ASSIGN(auto q, db_->prepare(sql));
    q.bind(1, terminal.store_id).bind(2, terminal.terminal_id).bind(3, txn_id);
    PMA_TRY(q.run());
  }
  return {};
}

}  // namespace pma::hq
