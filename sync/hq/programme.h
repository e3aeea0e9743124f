// The member programme at HQ: coupons HQ issues from the rule set's templates (idempotent per
// issue key and member), their revocation and counts, RFM segments, manual and rule tags, and
// the segment report. memberhq's `coupon`, `tag`, `segments` and `report segments` commands use
// it (programme_commands.cpp); the rows it writes reach the tills in member pages. Used from
// one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "pma/error.h"

namespace pma::hq {

// HQ's coupon codes are codes::kHqCouponPrefix ("H-") and 10 to 18 digits (a counter,
// zero-padded to 10): the form the till's scanner classifier recognises (codes/classify.h).

// Who gets a coupon. Exactly one kind; `value` is the member id, tier number, store id,
// segment or tag, `members` the list for kind members.
struct CouponTarget {
  enum class Kind { member, members, tier, store, segment, tag };
  Kind kind = Kind::member;
  std::string value;
  std::vector<std::string> members;
};

struct CouponIssueRequest {
  std::string template_id;
  // Operator or campaign key: (key, member) is issued at most once, whatever is re-run.
  std::string key;
  CouponTarget target;
  std::int64_t now_ms = 0;
};

struct CouponIssueReport {
  std::uint64_t issued = 0;
  std::uint64_t already_issued = 0;  // (key, member) issued by an earlier run
  // List members HQ does not know or has erased (kind members; kind member fails instead).
  std::vector<std::string> skipped;
};

struct HqCoupon {
  std::string code;
  std::string member_id;
  std::string template_id;
  std::string title;
  std::int64_t valid_from = 0;   // UTC unix seconds
  std::int64_t valid_until = 0;  // UTC unix seconds
  std::string state;             // "issued", "redeemed", "revoked"
  std::string redeemed_store;    // when redeemed
};

struct TemplateCounts {
  std::string template_id;
  std::uint64_t issued = 0;  // every coupon of the template, whatever its state now
  std::uint64_t redeemed = 0;
  std::uint64_t revoked = 0;
};

struct RevokeReport {
  std::string code;
  std::string member_id;
  bool already_revoked = false;  // nothing changed
};

// One class's row of the segment report: members in it, and their net spend over the
// report's window.
struct SegmentShare {
  std::string segment;
  std::uint64_t members = 0;
  std::int64_t spend_fen = 0;
};

struct SegmentRunReport {
  std::uint64_t members = 0;
  std::uint64_t changed = 0;  // members whose segment or rule tags changed (new versions)
  std::int64_t window_days = 0;
};

// Progress of a segments run: members done of total.
using ProgressFn = std::function<void(std::uint64_t done, std::uint64_t total)>;

class Programme {
 public:
  virtual ~Programme() = default;

  // Issues one coupon of the template to each target member not issued one under the key
  // before, in one transaction; each such member takes a new version (its next page carries
  // the coupon). Errors: "coupon_template_unknown" (not in the newest published rule set),
  // "coupon_template_invalid" (an amount, percent or validity out of range), "issue_key_invalid",
  // "member_not_found" (kind member), "coupon_target_invalid" (a tier outside 1-3, an empty
  // value, a list over 1,000,000 members).
  virtual Result<CouponIssueReport> issue_coupons(const CouponIssueRequest& request) = 0;
  // issued -> revoked, with a new member version. Errors: "coupon_not_found",
  // "coupon_already_redeemed". Drops an online-first hold on it.
  virtual Result<RevokeReport> revoke_coupon(const std::string& code) = 0;
  // Every coupon HQ holds for the member, by code. Errors: "member_not_found".
  virtual Result<std::vector<HqCoupon>> member_coupons(const std::string& member_id) = 0;
  virtual Result<std::vector<TemplateCounts>> coupon_counts() = 0;

  // Manual tags (a rule tag of the same name is kept apart: removing the manual one leaves
  // the rule's). Each change takes a new member version. Errors: "member_not_found",
  // "tag_invalid". Returns false when nothing changed (already there / not there).
  virtual Result<bool> add_tag(const std::string& member_id, const std::string& tag) = 0;
  virtual Result<bool> remove_tag(const std::string& member_id, const std::string& tag) = 0;

  // Recomputes every member's segment and rule tags at now_ms from the applied checkouts.
  virtual Result<SegmentRunReport> run_segments(std::int64_t now_ms, ProgressFn progress) = 0;
  // Distribution of the last run's classes ("unclassified": members since), each with its
  // members' net spend over the window_days days ending at now_ms (0: SegmentRules.window_days).
  virtual Result<std::vector<SegmentShare>> segment_report(std::int64_t now_ms,
                                                           std::int32_t window_days) = 0;
};

}  // namespace pma::hq
