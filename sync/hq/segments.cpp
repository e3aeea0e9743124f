#include "sync/hq/segments.h"

#include <fmt/format.h>

#include <algorithm>

namespace pma::hq {
namespace {

constexpr std::int32_t kMaxDays = 3650;
constexpr std::int32_t kMaxVisits = 1'000'000;
constexpr std::int64_t kMaxSpendFen = 10'000'000'000'000;

std::int32_t days_or(std::int32_t value, std::int32_t fallback) {
  return value == 0 ? fallback : std::clamp(value, 1, kMaxDays);
}

pma::v1::SegmentClass class_or(const pma::v1::SegmentClass& given, std::int32_t days,
                               std::int32_t min_visits, std::int32_t max_visits,
                               std::int64_t min_spend_fen) {
  pma::v1::SegmentClass out;
  out.set_recency_days(days_or(given.recency_days(), days));
  out.set_min_visits(given.min_visits() == 0 ? min_visits
                                             : std::clamp(given.min_visits(), 0, kMaxVisits));
  out.set_max_visits(given.max_visits() == 0 && given.min_visits() == 0
                         ? max_visits
                         : std::clamp(given.max_visits(), 0, kMaxVisits));
  out.set_min_spend_fen(given.min_spend_fen() == 0
                            ? min_spend_fen
                            : std::clamp<std::int64_t>(given.min_spend_fen(), 0, kMaxSpendFen));
  return out;
}

bool within(std::int64_t at_ms, std::int64_t now_ms, std::int32_t days) {
  return at_ms > now_ms - std::int64_t{days} * kDayMs;
}

bool matches(const pma::v1::SegmentClass& c, const MemberActivity& a, std::int64_t now_ms) {
  return within(a.last_visit_ms, now_ms, c.recency_days()) && a.visits >= c.min_visits() &&
         (c.max_visits() == 0 || a.visits <= c.max_visits()) && a.spend_fen >= c.min_spend_fen();
}

}  // namespace

pma::v1::SegmentRules effective_segment_rules(const pma::v1::RuleSet* rules) {
  const pma::v1::SegmentRules given =
      rules != nullptr ? rules->segments() : pma::v1::SegmentRules();
  pma::v1::SegmentRules out;
  out.set_window_days(days_or(given.window_days(), 30));
  *out.mutable_high_value() = class_or(given.high_value(), 7, 5, 0, 5'000);
  *out.mutable_active() = class_or(given.active(), 15, 3, 0, 3'000);
  *out.mutable_potential() = class_or(given.potential(), 30, 1, 2, 2'000);
  out.set_dormant_after_days(days_or(given.dormant_after_days(), 30));
  return out;
}

pma::v1::TagRule effective_tag_rule(const pma::v1::TagRule& rule) {
  pma::v1::TagRule out = rule;
  out.set_min_share_percent(
      rule.min_share_percent() == 0 ? 50 : std::clamp(rule.min_share_percent(), 1, 100));
  out.set_window_days(days_or(rule.window_days(), 90));
  return out;
}

std::string_view classify_segment(const pma::v1::SegmentRules& rules,
                                  const MemberActivity& activity, std::int64_t now_ms) {
  if (!activity.visited) return kSegmentNone;
  if (matches(rules.high_value(), activity, now_ms)) return kSegmentHighValue;
  if (matches(rules.active(), activity, now_ms)) return kSegmentActive;
  if (matches(rules.potential(), activity, now_ms)) return kSegmentPotential;
  if (!within(activity.last_visit_ms, now_ms, rules.dormant_after_days())) return kSegmentDormant;
  return kSegmentRegular;
}

Status check_tag(std::string_view tag) {
  const bool bad_char = std::any_of(tag.begin(), tag.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == ',';
  });
  if (tag.empty() || tag.size() > 32 || bad_char || tag.front() == ' ' || tag.back() == ' ') {
    return fail("tag_invalid",
                "a tag is 1-32 bytes of UTF-8 without control characters or commas, and does not "
                "begin or end with a space");
  }
  return {};
}

}  // namespace pma::hq
