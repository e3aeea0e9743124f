// The embedded Sink: one SQLite file holding the whole chain. A thin owner of the shared core
// (sqlite_core.h: the connection, member versions, cached rule sets, migrations at open) and
// of one object per interface the server uses, over that core: SqliteBatchIngest,
// SqliteMemberPages, SqliteReservations, SqliteAdministration. Each part can be handed on
// alone (ServerSinks) or the whole as a Sink. Single-threaded (the server's io_context thread);
// owns its connection.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "sync/hq/sink.h"
#include "sync/hq/sqlite_administration.h"
#include "sync/hq/sqlite_batch_ingest.h"
#include "sync/hq/sqlite_core.h"
#include "sync/hq/sqlite_member_pages.h"
#include "sync/hq/sqlite_programme.h"
#include "sync/hq/sqlite_reservations.h"

namespace pma::hq {

class SqliteSink final : public Sink {
 public:
  static constexpr std::chrono::milliseconds kBusyTimeout = SqliteCore::kBusyTimeout;

  // SqliteCore::open, and the four parts over it. Errors: as SqliteCore::open ("sqlite_open",
  // "schema_too_new", "schema_migration", "schema_unrecognised").
  static Result<std::unique_ptr<SqliteSink>> open(const std::string& path,
                                                  const std::string& synchronous = "FULL");

  SqliteBatchIngest& batch_ingest() { return ingest_; }
  SqliteMemberPages& member_pages() { return pages_; }
  SqliteReservations& reservations() { return reservations_; }
  SqliteAdministration& administration() { return administration_; }
  // The shared core, for parts outside the four interfaces (sqlite_member_quality.h).
  SqliteCore& core() { return *core_; }
  // The member programme (memberhq coupon, tag, segments); not part of Sink.
  SqliteProgramme& programme() { return programme_; }
  // The connection the parts share, for reads of operations (SqliteOperationsReads).
  sqlite::Database& database() { return core_->db(); }

  // BatchIngest
  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) override {
    return ingest_.highest_applied(terminal);
  }
  Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) override {
    return ingest_.id_mappings(terminal, provisional_ids);
  }
  Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                                   std::int64_t now_ms) override {
    return ingest_.apply_batch(terminal, batch, now_ms);
  }
  // MemberPages
  Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal, std::uint64_t cursor,
                                          std::uint32_t max_members, std::int64_t rule_set_version,
                                          std::int64_t now_ms) override {
    return pages_.member_page(terminal, cursor, max_members, rule_set_version, now_ms);
  }
  // Reservations
  Result<pma::v1::ReserveReply> reserve(const TerminalIdentity& terminal,
                                        const pma::v1::ReserveRequest& request, std::int64_t now_ms,
                                        std::int64_t hold_until_ms) override {
    return reservations_.reserve(terminal, request, now_ms, hold_until_ms);
  }
  Status release(const TerminalIdentity& terminal, const std::string& txn_id,
                 std::uint64_t hold_id) override {
    return reservations_.release(terminal, txn_id, hold_id);
  }
  Result<std::uint64_t> active_holds(std::int64_t now_ms) override {
    return reservations_.active_holds(now_ms);
  }
  // Administration
  Status put_rule_set(std::int64_t version, const std::string& rule_set) override {
    return administration_.put_rule_set(version, rule_set);
  }
  Result<std::size_t> import_members(std::span<const ImportedMember> members) override {
    return administration_.import_members(members);
  }
  Result<std::vector<Conflict>> conflicts() override { return administration_.conflicts(); }
  Result<std::optional<MemberSnapshot>> member(const std::string& member_id) override {
    return administration_.member(member_id);
  }
  Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) override {
    return administration_.applied_count(terminal);
  }
  Result<ErasureReport> erase_member(const std::string& member_id) override {
    return administration_.erase_member(member_id);
  }
  Result<bool> set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                    std::int64_t now_ms) override {
    return administration_.set_terminal_revoked(terminal, revoked, now_ms);
  }
  Result<bool> check_terminal(const TerminalIdentity& terminal, std::int64_t now_ms) override {
    return administration_.check_terminal(terminal, now_ms);
  }
  Status flush_terminal_activity() override { return administration_.flush_terminal_activity(); }
  Result<std::vector<TerminalInfo>> terminals() override { return administration_.terminals(); }

 private:
  explicit SqliteSink(std::unique_ptr<SqliteCore> core)
      : core_(std::move(core)),
        ingest_(*core_),
        pages_(*core_),
        reservations_(*core_),
        administration_(*core_),
        programme_(*core_) {}

  std::unique_ptr<SqliteCore> core_;  // declared first: the parts refer to it
  SqliteBatchIngest ingest_;
  SqliteMemberPages pages_;
  SqliteReservations reservations_;
  SqliteAdministration administration_;
  SqliteProgramme programme_;
};

}  // namespace pma::hq
