// SqliteMemberPages: a page of members changed since a cursor, their 12-month spend window and
// tier, their coupons, and the newest rule set.
#include "sync/hq/sqlite_member_pages.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "pma/calendar.h"
#include "pma/tier.h"

namespace pma::hq {

Result<pma::v1::MemberPage> SqliteMemberPages::member_page(const TerminalIdentity& terminal,
                                                           std::uint64_t cursor,
                                                           std::uint32_t max_members,
                                                           std::int64_t rule_set_version,
                                                           std::int64_t now_ms) {
  // One read transaction: the watermark and the member rows come from the same snapshot.
  auto snapshot = sqlite::Transaction::begin_read(db_);  // ended on return: it wrote nothing
  if (!snapshot) return std::unexpected(snapshot.error());
  pma::v1::MemberPage page;
  PMA_TRY(core_.refresh_rules());  // the newest rule set: tier for spend below
  PMA_TRY_ASSIGN(auto highest, core_.highest_applied(terminal));
  page.set_reflected_seq(highest);
  page.set_next_cursor(cursor);
  const std::int64_t first_month = first_window_month(now_ms);
  // The row's own bucket (spend_month, spend_month_fen) of each member, in page order; the
  // other months are read per member below.
  std::vector<std::pair<std::int64_t, std::int64_t>> row_buckets;
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT member_id, version, erased, COALESCE(card_no, ''), phone_hash, phone_masked, "
          "name, "
          "birthday, tier, points, spend_month, spend_month_fen, profile FROM members WHERE "
          "version > ?1 "
          "ORDER BY version LIMIT ?2"));
  q.bind(1, static_cast<std::int64_t>(cursor)).bind(2, std::int64_t{max_members} + 1);
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) break;
    if (page.members_size() == static_cast<int>(max_members)) {
      page.set_more(true);
      break;
    }
    auto* m = page.add_members();
    m->set_member_id(q.column_text(0));
    m->set_version(static_cast<std::uint64_t>(q.column_int64(1)));
    m->set_erased(q.column_int64(2) != 0);
    if (!m->erased()) {
      m->set_card_no(q.column_text(3));
      auto hash = q.column_blob(4);
      m->set_phone_hash(std::string(hash.begin(), hash.end()));
      m->set_phone_masked(q.column_text(5));
      m->set_name(q.column_text(6));
      m->set_birthday(q.column_text(7));
      m->set_tier(static_cast<std::int32_t>(q.column_int64(8)));  // raised by spend below
      m->set_points(q.column_int64(9));
      // Never a blank over what a till holds: HQ only knows this member's points.
      m->set_profile_unknown(q.column_int64(12) == 0);
    }
    row_buckets.emplace_back(q.column_int64(10), q.column_int64(11));
    page.set_next_cursor(m->version());
  }
  (void)q.run();
  std::vector<std::pair<std::int64_t, std::int64_t>> months;
  for (int i = 0; i < page.members_size(); ++i) {
    auto& m = *page.mutable_members(i);
    if (m.erased()) continue;
    // The window's buckets: member_spend's months plus the row's, which may share a month
    // with one of them (each fen is stored once, so they add up).
    months.clear();
    if (const auto& [month, fen] = row_buckets[static_cast<std::size_t>(i)];
        month >= first_month && fen != 0) {
      months.emplace_back(month, fen);
    }
    PMA_TRY_ASSIGN(
        auto s,
        db_.prepare(
            "SELECT month, spend_fen FROM member_spend WHERE member_id = ?1 AND month >= ?2 "
            "AND spend_fen <> 0"));
    s.bind(1, m.member_id()).bind(2, first_month);
    for (;;) {
      PMA_TRY_ASSIGN(auto row, s.step());
      if (!row) break;
      months.emplace_back(s.column_int64(0), s.column_int64(1));
    }
    std::sort(months.begin(), months.end());
    std::int64_t total = 0, month_fen = 0;
    for (std::size_t k = 0; k < months.size(); ++k) {
      month_fen += months[k].second;
      if (k + 1 < months.size() && months[k + 1].first == months[k].first) continue;
      if (month_fen != 0) {
        auto* bucket = m.add_spend_months();
        bucket->set_month(static_cast<std::int32_t>(months[k].first));
        bucket->set_fen(month_fen);
        total += month_fen;
      }
      month_fen = 0;
    }
    m.set_spend_12m_fen(std::max<std::int64_t>(0, total));
    // Tiers go up with the chain-wide spend (the store that saw the threshold crossed
    // upgraded its own cache already); the stored tier (e.g. imported) is the floor.
    if (const pma::v1::RuleSet* rules = core_.newest_rules()) {
      m.set_tier(
          pma::tier_for_spend(*rules, static_cast<pma::v1::Tier>(m.tier()), m.spend_12m_fen()));
    }
    PMA_TRY_ASSIGN(
        auto c,
        db_.prepare("SELECT code, template_id, title, valid_from, valid_until, state FROM coupons "
                    "WHERE member_id = ?1 ORDER BY code"));
    c.bind(1, m.member_id());
    for (;;) {
      PMA_TRY_ASSIGN(auto row, c.step());
      if (!row) break;
      auto* coupon = m.add_coupons();
      coupon->set_code(c.column_text(0));
      coupon->set_template_id(c.column_text(1));
      coupon->set_title(c.column_text(2));
      coupon->set_valid_from(c.column_int64(3));
      coupon->set_valid_until(c.column_int64(4));
      coupon->set_state(static_cast<pma::v1::CouponStateKind>(c.column_int64(5)));
    }
  }
  PMA_TRY_ASSIGN(auto r, db_.prepare("SELECT version, rule_set FROM rule_sets WHERE version > ?1 "
                                     "ORDER BY version DESC LIMIT 1"));
  r.bind(1, rule_set_version);
  PMA_TRY_ASSIGN(auto row, r.step());
  if (row) {
    page.mutable_rule_set()->set_version(r.column_int64(0));
    auto bytes = r.column_blob(1);
    page.mutable_rule_set()->set_rule_set(std::string(bytes.begin(), bytes.end()));
  }
  return page;
}

}  // namespace pma::hq
