// RFM segments and rule tags: the pure decisions HQ makes from a member's purchase history
// (sync/hq/sqlite_programme.cpp feeds them). No I/O, no clock: `now` comes in. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"
#include "pma/v1/rules.pb.h"

namespace pma::hq {

inline constexpr std::int64_t kDayMs = 86'400'000;

// The class names, in the order they are tested (then "regular", then "none").
inline constexpr std::string_view kSegmentHighValue = "high_value";
inline constexpr std::string_view kSegmentActive = "active";
inline constexpr std::string_view kSegmentPotential = "potential";
inline constexpr std::string_view kSegmentDormant = "dormant";
inline constexpr std::string_view kSegmentRegular = "regular";
inline constexpr std::string_view kSegmentNone = "none";

// The rule set's SegmentRules with every unset (0) field at its default (DOMAIN.md):
// window 30 days; high_value 7 days, 5+ visits, 5,000 fen; active 15 days, 3+, 3,000 fen;
// potential 30 days, 1-2 visits, 2,000 fen; dormant after 30 days. Values beyond
// 1..3650 days, 0..1,000,000 visits or 0..10^13 fen are clamped into those ranges.
pma::v1::SegmentRules effective_segment_rules(const pma::v1::RuleSet* rules);

// A TagRule with defaults (min_share_percent 50, window_days 90) and ranges (1..100 percent,
// 1..3650 days) applied.
pma::v1::TagRule effective_tag_rule(const pma::v1::TagRule& rule);

// A member's activity as counted at `now`: the last checkout ever, and the checkouts and their
// net spend (paid minus refunded) with occurred_at in (now - window_days, now].
struct MemberActivity {
  bool visited = false;  // any checkout ever
  std::int64_t last_visit_ms = 0;
  std::int64_t visits = 0;
  std::int64_t spend_fen = 0;
};

// The member's class under `rules` (from effective_segment_rules).
std::string_view classify_segment(const pma::v1::SegmentRules& rules,
                                  const MemberActivity& activity, std::int64_t now_ms);

// A tag a person or rule may give: 1-32 bytes, no control characters, no comma (the till keeps
// a member's tags comma-joined), no leading or trailing space. Error "tag_invalid".
Status check_tag(std::string_view tag);

}  // namespace pma::hq
