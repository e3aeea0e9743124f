// MemberQuality over SQLite (member_quality.h): consent, merges and the quality report, over a
// SqliteCore it does not own (members, member_spend, coupons, holds, deltas, provisional_ids,
// member_aliases, member_merges, consent_log; HQ migration 8). Single-threaded (one memberhq
// command, or the server's io_context thread); another process may write the file meanwhile
// (each write transaction catches up with its member versions first).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sync/hq/member_quality.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteMemberQuality final : public MemberQuality {
 public:
  explicit SqliteMemberQuality(SqliteCore& core) : core_(core), db_(core.db()) {}

  Result<ConsentChange> set_consent(const std::string& member_id, bool granted, std::int64_t at_ms,
                                    std::string_view source) override;
  Result<bool> may_market(const std::string& member_id) override;
  Result<MergeReport> merge(const std::string& from_id, const std::string& into_id,
                            std::int64_t now_ms) override;
  Result<QualityReport> quality_report() override;

 private:
  // The member row a merge reads and writes (sqlite_member_quality_merge.cpp).
  struct Row {
    std::string member_id;
    bool erased = false;
    bool merged = false;
    std::string card_no;  // '' when none
    std::vector<std::uint8_t> phone_hash;
    std::string phone_masked, name, birthday;
    std::int64_t tier = 1, points = 0, spend_month = 0, spend_month_fen = 0, profile = 0;
    bool consent = false;
    std::int64_t consent_at_ms = 0;
  };
  Result<std::optional<Row>> read_row(const std::string& member_id);
  Result<MergeReport> merge_rows(const Row& from, const Row& into, std::int64_t now_ms);
  // The duplicate's spend (its row's bucket and member_spend) filed under the survivor.
  Status move_spend(const Row& from, const std::string& into_id, MergeReport& report);

  SqliteCore& core_;
  sqlite::Database& db_;
};

}  // namespace pma::hq
