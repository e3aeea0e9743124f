// MemberQuality: HQ's member data quality and consent (issue 14): marketing consent (PIPL) and
// whether a member may be marketed to, merges of duplicate members (points, spend, coupons and
// history added exactly; the old id stays an alias), and the quality report. Used by the
// memberhq commands and, later, campaigns, from one thread; not thread-safe. Implemented over
// SQLite by SqliteMemberQuality (sqlite_member_quality.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pma/error.h"

namespace pma::hq {

// Where a consent decision came from (consent_log.source).
inline constexpr std::string_view kConsentByOperator = "operator";

// What `memberhq consent grant|withdraw` did.
struct ConsentChange {
  std::string member_id;  // the canonical member (an alias or provisional id resolved)
  bool granted = false;   // the consent now
  bool changed = false;   // false: it already was so (still logged with its time)
  std::int64_t at_ms = 0;
  std::uint64_t version = 0;  // the version that carries it to the tills (changed only)
};

// What a merge moved from the duplicate (from_id) to the survivor (into_id). Every figure is
// the exact amount added to the survivor and taken from the duplicate.
struct MergeReport {
  std::string from_id;
  std::string into_id;
  std::int64_t points = 0;                 // the duplicate's balance (may be negative: a debt)
  std::int64_t spend_fen = 0;              // its spend, all months
  std::uint32_t spend_months = 0;          // months of spend moved
  std::uint32_t coupons = 0;               // coupons (any state) now the survivor's
  std::uint32_t holds = 0;                 // online-first holds now the survivor's
  std::uint32_t sales = 0;                 // sales (refundable history) now the survivor's
  std::uint32_t provisional_ids = 0;       // tills' provisional ids now mapped to the survivor
  std::uint32_t aliases = 0;               // older aliases of the duplicate, now the survivor's
  std::vector<std::string> fields_filled;  // survivor's empty fields taken from the duplicate
  bool consent_taken = false;  // the duplicate's consent decision was newer and now holds
  std::uint64_t version = 0;   // the survivor's new version (the tombstone's is one lower)
};

// `memberhq report quality`: active members (neither erased nor merged away).
struct QualityReport {
  std::int64_t members = 0;
  std::int64_t phone_missing = 0;
  // A stored phone HQ cannot use: a hash without its masked form, a masked form without a
  // hash, or a masked form that is not a mainland mobile's ("1dd****dddd").
  std::int64_t phone_invalid = 0;
  // Duplicates found and merged: registrations of a phone HQ already held (their provisional
  // id now names that member), and manual merges.
  std::int64_t merged_at_registration = 0;
  std::int64_t merged_manually = 0;
  // Suspected duplicates not merged: active members sharing a non-empty name and birthday
  // with another (each such member counts).
  std::int64_t suspected_duplicates = 0;
  // Field completeness: members with the field filled.
  std::int64_t with_card = 0;
  std::int64_t with_phone = 0;  // a valid phone
  std::int64_t with_name = 0;
  std::int64_t with_birthday = 0;
  std::int64_t without_consent = 0;
};

// filled out of total in percent, rounded to one decimal (0 when total is 0).
double percent(std::int64_t filled, std::int64_t total);
// Overall completeness: the four fields over members x 4, in percent.
double completeness(const QualityReport& report);
// The reports as memberhq prints them.
std::string format_quality_report(const QualityReport& report);
std::string format_merge_report(const MergeReport& report);

class MemberQuality {
 public:
  virtual ~MemberQuality() = default;

  // Records the member's consent decision at at_ms (from source), one transaction, a new
  // version when it changes so the tills' caches follow. member_id may be an alias or a
  // provisional id. Errors: "member_not_found", "member_erased" (granting only: an erased
  // member cannot consent; withdrawing is a no-op).
  virtual Result<ConsentChange> set_consent(const std::string& member_id, bool granted,
                                            std::int64_t at_ms, std::string_view source) = 0;
  // Whether campaigns may reach the member: it exists, is not erased, and its latest consent
  // decision was to consent. An alias resolves to its survivor. Errors: "member_not_found".
  virtual Result<bool> may_market(const std::string& member_id) = 0;

  // Merges the duplicate from_id into into_id in one transaction: the survivor gets the
  // duplicate's points, spend (every month), coupons, holds and sales, and its empty fields
  // (card, phone, name, birthday) from the duplicate; the newer consent decision holds. The
  // duplicate's row stays as a tombstone (merged_into) that member pages carry to the tills;
  // its id, and ids that were aliases of it, resolve to the survivor from then on. Errors:
  // "member_not_found", "member_erased", "merge_refused" (the same member, or one already
  // merged away).
  virtual Result<MergeReport> merge(const std::string& from_id, const std::string& into_id,
                                    std::int64_t now_ms) = 0;

  virtual Result<QualityReport> quality_report() = 0;
};

}  // namespace pma::hq
