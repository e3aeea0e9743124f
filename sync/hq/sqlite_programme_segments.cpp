// SqliteProgramme's segments and rule tags (from the visits batch ingest records), the segment
// report, and the visit rows themselves.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "pma/limits.h"
#include "sync/hq/segments.h"
#include "sync/hq/sqlite_programme.h"

namespace pma::hq {
namespace {

// What a member's rows say now: its segment and its rule tags (sorted).
struct Classified {
  std::string segment;
  std::vector<std::string> rule_tags;
  MemberActivity activity;
};

constexpr std::uint64_t kProgressEvery = 10'000;

// part * 100 >= whole * percent, exact where the products fit (always, for real spend).
bool share_at_least(std::int64_t part, std::int64_t whole, std::int32_t percent) {
  auto left = checked_mul(part, 100);
  auto right = checked_mul(whole, percent);
  if (left && right) return *left >= *right;
  return static_cast<long double>(part) * 100 >= static_cast<long double>(whole) * percent;
}

}  // namespace

Status record_visit(sqlite::Database& db, const std::string& store_id,
                    const std::string& terminal_id, const pma::v1::Delta& delta,
                    const std::string& member_id) {
  const auto& c = delta.checkout();
  PMA_TRY_ASSIGN(
      auto q,
      db.prepare(
          "INSERT OR IGNORE INTO visits(store_id, terminal_id, txn_id, member_id, occurred_at_ms, "
          "paid_fen) VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
  q.bind_all(store_id, terminal_id, delta.txn_id(), member_id, delta.occurred_at_ms(),
             c.paid_fen());
  PMA_TRY(q.run());
  if (db.changes() == 0) return {};
  // Each line's paid amount is capped by the basket checks, so their sum fits.
  std::map<std::string, std::int64_t> by_category;
  for (const auto& line : c.lines()) by_category[line.category()] += line.paid_fen();
  for (const auto& [category, fen] : by_category) {
    PMA_TRY_ASSIGN(
        auto l,
        db.prepare(
            "INSERT INTO visit_categories(store_id, terminal_id, txn_id, category, paid_fen) "
            "VALUES(?1, ?2, ?3, ?4, ?5)"));
    l.bind_all(store_id, terminal_id, delta.txn_id(), category, fen);
    PMA_TRY(l.run());
  }
  return {};
}

Status record_visit_refund(sqlite::Database& db, const std::string& store_id,
                           const std::string& terminal_id, const pma::v1::RefundRecorded& refund) {
  PMA_TRY_ASSIGN(
      auto q,
      db.prepare("UPDATE visits SET refunded_fen = refunded_fen + ?4 WHERE store_id = ?1 AND "
                 "terminal_id = ?2 AND txn_id = ?3"));
  q.bind_all(store_id, terminal_id, refund.original_txn_id(), refund.refunded_fen());
  return q.run();
}

Result<SegmentRunReport> SqliteProgramme::run_segments(std::int64_t now_ms, ProgressFn progress) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.refresh_version());
  PMA_TRY(core_.refresh_rules());
  const pma::v1::RuleSet* rules = core_.newest_rules();
  const pma::v1::SegmentRules segment_rules = effective_segment_rules(rules);
  std::unordered_map<std::string, Classified> members;
  auto read = [&](std::string_view sql, auto&& on_row, auto&&... args) -> Status {
    PMA_TRY_ASSIGN(auto q, db_.prepare(sql));
    q.bind_all(args...);
    for (;;) {
      PMA_TRY_ASSIGN(auto row, q.step());
      if (!row) return {};
      on_row(q);
    }
  };
  PMA_TRY(read("SELECT member_id FROM members WHERE erased = 0",
               [&](sqlite::Statement& q) { members[q.column_text(0)]; }));
  const std::int64_t window_start = now_ms - std::int64_t{segment_rules.window_days()} * kDayMs;
  // Visits after now (a till's clock ahead of HQ's, or a run for a past date) do not count.
  PMA_TRY(read(
      "SELECT member_id, MAX(occurred_at_ms), SUM(occurred_at_ms > ?1), "
      "SUM(IIF(occurred_at_ms > ?1, paid_fen - refunded_fen, 0)) FROM visits "
      "WHERE occurred_at_ms <= ?2 GROUP BY member_id",
      [&](sqlite::Statement& q) {
        auto it = members.find(q.column_text(0));
        if (it == members.end()) return;  // erased, or not a member row
        it->second.activity = {true, q.column_int64(1), q.column_int64(2), q.column_int64(3)};
      },
      window_start, now_ms));
  for (const auto& given :
       rules ? rules->tag_rules() : google::protobuf::RepeatedPtrField<pma::v1::TagRule>()) {
    const pma::v1::TagRule rule = effective_tag_rule(given);
    if (!check_tag(rule.tag())) continue;  // a rule whose tag no till could keep
    const std::int64_t start = now_ms - std::int64_t{rule.window_days()} * kDayMs;
    std::unordered_map<std::string, std::int64_t> total;
    PMA_TRY(read(
        "SELECT member_id, SUM(paid_fen) FROM visits WHERE occurred_at_ms > ?1 AND "
        "occurred_at_ms <= ?2 GROUP BY member_id",
        [&](sqlite::Statement& q) { total[q.column_text(0)] = q.column_int64(1); }, start, now_ms));
    PMA_TRY(read(
        "SELECT v.member_id, SUM(c.paid_fen) FROM visits v JOIN visit_categories c ON "
        "c.store_id = v.store_id AND c.terminal_id = v.terminal_id AND c.txn_id = v.txn_id "
        "WHERE v.occurred_at_ms > ?1 AND v.occurred_at_ms <= ?2 AND c.category = ?3 "
        "GROUP BY v.member_id",
        [&](sqlite::Statement& q) {
          auto it = members.find(q.column_text(0));
          const std::int64_t all = total[q.column_text(0)];
          const std::int64_t in_category = q.column_int64(1);
          if (it != members.end() && all > 0 && in_category > 0 &&
              share_at_least(in_category, all, rule.min_share_percent())) {
            it->second.rule_tags.push_back(rule.tag());
          }
        },
        start, now_ms, rule.category()));
  }
  // What the last run left, to find what changed.
  std::unordered_map<std::string, std::string> old_segment;
  std::unordered_map<std::string, std::vector<std::string>> old_tags;
  PMA_TRY(read("SELECT member_id, segment FROM member_segments",
               [&](sqlite::Statement& q) { old_segment[q.column_text(0)] = q.column_text(1); }));
  PMA_TRY(
      read("SELECT member_id, tag FROM member_tags WHERE source = 'rule' ORDER BY tag",
           [&](sqlite::Statement& q) { old_tags[q.column_text(0)].push_back(q.column_text(1)); }));
  SegmentRunReport report{.members = members.size(), .window_days = segment_rules.window_days()};
  const std::uint64_t version_before = core_.version();
  auto write = [&]() -> Status {
    std::uint64_t done = 0;
    for (auto& [member_id, m] : members) {
      m.segment = std::string(classify_segment(segment_rules, m.activity, now_ms));
      std::sort(m.rule_tags.begin(), m.rule_tags.end());
      m.rule_tags.erase(std::unique(m.rule_tags.begin(), m.rule_tags.end()), m.rule_tags.end());
      const auto seg = old_segment.find(member_id);
      const auto tags = old_tags.find(member_id);
      const bool segment_changed = seg == old_segment.end() || seg->second != m.segment;
      const bool tags_changed =
          (tags == old_tags.end() ? std::vector<std::string>() : tags->second) != m.rule_tags;
      PMA_TRY_ASSIGN(
          auto s,
          db_.prepare(
              "INSERT INTO member_segments(member_id, segment, last_visit_ms, visits, spend_fen, "
              "computed_at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(member_id) DO UPDATE SET "
              "segment = excluded.segment, last_visit_ms = excluded.last_visit_ms, "
              "visits = excluded.visits, spend_fen = excluded.spend_fen, "
              "computed_at_ms = excluded.computed_at_ms"));
      s.bind_all(member_id, m.segment, m.activity.last_visit_ms, m.activity.visits,
                 m.activity.spend_fen, now_ms);
      PMA_TRY(s.run());
      if (tags_changed) {
        PMA_TRY_ASSIGN(
            auto d,
            db_.prepare("DELETE FROM member_tags WHERE member_id = ?1 AND source = 'rule'"));
        d.bind(1, member_id);
        PMA_TRY(d.run());
        for (const std::string& tag : m.rule_tags) {
          auto i =
              db_.prepare("INSERT INTO member_tags(member_id, tag, source) VALUES(?1, ?2, 'rule')");
          if (!i) return std::unexpected(i.error());
          i->bind(1, member_id).bind(2, tag);
          PMA_TRY(i->run());
        }
      }
      if (segment_changed || tags_changed) {
        ++report.changed;
        PMA_TRY(touch(member_id));
      }
      if (progress && (++done % kProgressEvery == 0 || done == members.size())) {
        progress(done, members.size());
      }
    }
    return tx.commit();
  };
  if (auto ok = write(); !ok) {
    core_.restore_version(version_before);
    return std::unexpected(ok.error());
  }
  return report;
}

Result<std::vector<SegmentShare>> SqliteProgramme::segment_report(std::int64_t now_ms,
                                                                  std::int32_t window_days) {
  PMA_TRY(core_.refresh_rules());
  if (window_days <= 0) window_days = effective_segment_rules(core_.newest_rules()).window_days();
  const std::int64_t start = now_ms - std::int64_t{window_days} * kDayMs;
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT COALESCE(s.segment, 'unclassified') AS seg, COUNT(*), COALESCE(SUM(a.spend), 0) "
          "FROM members m LEFT JOIN member_segments s ON s.member_id = m.member_id "
          "LEFT JOIN (SELECT member_id, SUM(paid_fen - refunded_fen) AS spend FROM visits WHERE "
          "occurred_at_ms > ?1 AND occurred_at_ms <= ?2 GROUP BY member_id) a "
          "ON a.member_id = m.member_id WHERE m.erased = 0 GROUP BY seg"));
  q.bind(1, start).bind(2, now_ms);
  std::vector<SegmentShare> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) break;
    out.push_back(
        {q.column_text(0), static_cast<std::uint64_t>(q.column_int64(1)), q.column_int64(2)});
  }
  // The classes in test order, then the rest.
  const std::string_view order[] = {kSegmentHighValue, kSegmentActive,  kSegmentPotential,
                                    kSegmentDormant,   kSegmentRegular, kSegmentNone};
  auto rank = [&](const std::string& s) {
    return static_cast<std::size_t>(std::find(std::begin(order), std::end(order), s) -
                                    std::begin(order));
  };
  std::sort(out.begin(), out.end(), [&](const SegmentShare& a, const SegmentShare& b) {
    return rank(a.segment) < rank(b.segment);
  });
  return out;
}

}  // namespace pma::hq
