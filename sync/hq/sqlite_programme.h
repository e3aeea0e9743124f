// Programme over SQLite (programme.h), over a SqliteCore it does not own; and the visit rows
// batch ingest writes as it applies checkouts and refunds (record_visit, record_visit_refund),
// which segments and rule tags are computed from. Single-threaded (as the core).
#pragma once

#include <string>

#include "pma/v1/delta.pb.h"
#include "sync/hq/programme.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteProgramme final : public Programme {
 public:
  explicit SqliteProgramme(SqliteCore& core) : core_(core), db_(core.db()) {}

  Result<CouponIssueReport> issue_coupons(const CouponIssueRequest& request) override;
  Result<RevokeReport> revoke_coupon(const std::string& code) override;
  Result<std::vector<HqCoupon>> member_coupons(const std::string& member_id) override;
  Result<std::vector<TemplateCounts>> coupon_counts() override;
  Result<bool> add_tag(const std::string& member_id, const std::string& tag) override;
  Result<bool> remove_tag(const std::string& member_id, const std::string& tag) override;
  Result<SegmentRunReport> run_segments(std::int64_t now_ms, ProgressFn progress) override;
  Result<std::vector<SegmentShare>> segment_report(std::int64_t now_ms,
                                                   std::int32_t window_days) override;

 private:
  // The target's members (non-erased, known to HQ), in id order.
  Result<std::vector<std::string>> target_members(const CouponTarget& target, std::int64_t now_ms,
                                                  std::vector<std::string>& skipped);
  Result<bool> member_exists(const std::string& member_id);  // and not erased
  Status touch(const std::string& member_id);                // a new version
  Result<std::int64_t> next_coupon_number();

  SqliteCore& core_;
  sqlite::Database& db_;
};

// Inside the batch transaction: the applied checkout of `member_id` (HQ's id) as a visit, with
// its lines' paid amounts per category (lines without a category are under "").
Status record_visit(sqlite::Database& db, const std::string& store_id,
                    const std::string& terminal_id, const pma::v1::Delta& checkout,
                    const std::string& member_id);
// A refund applied for the terminal's sale original_txn_id lowers that visit's net spend.
Status record_visit_refund(sqlite::Database& db, const std::string& store_id,
                           const std::string& terminal_id, const pma::v1::RefundRecorded& refund);

}  // namespace pma::hq
