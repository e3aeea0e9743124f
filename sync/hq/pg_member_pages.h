// MemberPages over PostgreSQL (member_pages.h): members changed since a cursor, with their spend
// window, tier and coupons, from one read snapshot. Over a PgCore it does not own.
// Single-threaded (the server's io_context thread).
#pragma once

#include "sync/hq/member_pages.h"
#include "sync/hq/pg_core.h"

namespace pma::hq {

class PgMemberPages final : public MemberPages {
 public:
  explicit PgMemberPages(PgCore& core) : core_(core), db_(core.db()) {}

  Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal, std::uint64_t cursor,
                                          std::uint32_t max_members, std::int64_t rule_set_version,
                                          std::int64_t now_ms) override;

 private:
  PgCore& core_;
  pg::Connection& db_;
};

}  // namespace pma::hq
