// MemberPages over SQLite (member_pages.h): members changed since a cursor, with their spend
// window, tier and coupons, from one read snapshot. Over a SqliteCore it does not own.
// Single-threaded (the server's io_context thread).
#pragma once

#include "sync/hq/member_pages.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteMemberPages final : public MemberPages {
 public:
  explicit SqliteMemberPages(SqliteCore& core) : core_(core), db_(core.db()) {}

  Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal, std::uint64_t cursor,
                                          std::uint32_t max_members, std::int64_t rule_set_version,
                                          std::int64_t now_ms) override;

 private:
  SqliteCore& core_;
  sqlite::Database& db_;
};

}  // namespace pma::hq
