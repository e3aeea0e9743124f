// Administration over SQLite (administration.h): rule sets, member imports, erasure, terminal
// revocation and last-seen times, audit reads. Over a SqliteCore it does not own.
// Single-threaded (the server's io_context thread, or one memberhq command).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "sync/hq/administration.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteAdministration final : public Administration {
 public:
  explicit SqliteAdministration(SqliteCore& core) : core_(core), db_(core.db()) {}

  Status put_rule_set(std::int64_t version, const std::string& rule_set) override;
  Result<std::size_t> import_members(std::span<const ImportedMember> members) override;
  Result<std::vector<Conflict>> conflicts() override;
  Result<std::optional<MemberSnapshot>> member(const std::string& member_id) override;
  Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) override;
  Result<ErasureReport> erase_member(const std::string& member_id) override;
  Result<bool> set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                    std::int64_t now_ms) override;
  Result<bool> check_terminal(const TerminalIdentity& terminal, std::int64_t now_ms) override;
  Status flush_terminal_activity() override;
  Result<std::vector<TerminalInfo>> terminals() override;

 private:
  SqliteCore& core_;
  sqlite::Database& db_;
  // Session attempts (store, terminal) -> last seen UTC ms, noted by check_terminal and not
  // yet written by flush_terminal_activity.
  std::map<std::pair<std::string, std::string>, std::int64_t> seen_;
};

}  // namespace pma::hq
