// The embedded Sink: one SQLite file holding the whole chain. Single-threaded (the server's
// io_context thread); owns its connection.
#pragma once

#include <memory>
#include <string>

#include "hq/sink.h"
#include "hq/sqlite_db.h"

namespace pma::hq {

class SqliteSink final : public Sink {
 public:
  // Opens or creates the file and its schema. synchronous: "FULL" (default) or "NORMAL".
  static Result<std::unique_ptr<SqliteSink>> open(const std::string& path,
                                                  const std::string& synchronous = "FULL");

  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) override;
  Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                                   std::int64_t now_ms) override;
  Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal, std::uint64_t cursor,
                                          std::uint32_t max_members,
                                          std::int64_t rule_set_version) override;
  Status put_rule_set(std::int64_t version, const std::string& rule_set) override;
  Result<std::size_t> import_members(std::span<const ImportedMember> members) override;
  Result<std::vector<Conflict>> conflicts() override;
  Result<std::optional<MemberSnapshot>> member(const std::string& member_id) override;
  Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) override;
  Result<pma::v1::ReserveReply> reserve(const TerminalIdentity& terminal,
                                        const pma::v1::ReserveRequest& request, std::int64_t now_ms,
                                        std::int64_t hold_until_ms) override;
  Status release(const TerminalIdentity& terminal, const std::string& txn_id) override;
  Result<std::uint64_t> active_holds(std::int64_t now_ms) override;

 private:
  struct Context;
  explicit SqliteSink(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Status apply_delta(Context& context, const pma::v1::Delta& delta);
  Result<std::string> resolve(const std::string& member_id);
  Status add_points(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                    std::int64_t points, bool spends);
  Status redeem(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                const std::string& code);
  Status restore_coupon(Context& context, const std::string& code, const std::string& txn);
  Status register_member(Context& context, const pma::v1::Delta& delta);
  Status record_conflict(Context& context, const pma::v1::Delta& delta, std::string kind,
                         const std::string& member_id, const std::string& code, std::string detail);
  Status touch(const std::string& member_id);
  // Drops the holds of the batch's checkouts (sqlite_sink_reservations.cpp).
  Status consume_holds(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                       std::uint64_t from_seq, std::uint64_t through_seq);
  Status drop_hold(const TerminalIdentity& terminal, const std::string& txn_id);
  std::uint64_t next_version() { return ++version_; }

  std::unique_ptr<SqliteDb> db_;
  std::uint64_t version_ = 0;
  std::int64_t next_member_number_ = 1;
};

}  // namespace pma::hq
