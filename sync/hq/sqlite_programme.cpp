// SqliteProgramme's coupons and manual tags: HQ coupons issued from the newest rule set's
// templates once per (issue key, member), revoked, listed and counted.
#include "sync/hq/sqlite_programme.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "drivers/codes/classify.h"
#include "pma/calendar.h"
#include "pma/limits.h"
#include "pma/tier.h"
#include "pma/v1/sync.pb.h"
#include "sync/hq/segments.h"

namespace pma::hq {
namespace {

constexpr std::size_t kMaxListMembers = 1'000'000;
constexpr std::int64_t kMaxCouponNumber = 999'999'999'999'999'999;  // 18 digits
constexpr std::int64_t kMaxValidityDays = 3650;
constexpr std::int64_t kDayS = 86'400;

const char* state_name(std::int64_t state) {
  return state == pma::v1::COUPON_REDEEMED  ? "redeemed"
         : state == pma::v1::COUPON_REVOKED ? "revoked"
                                            : "issued";
}

Status check_key(std::string_view key) {
  const bool printable =
      std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (key.empty() || key.size() > 64 || !printable) {
    return fail("issue_key_invalid", "an issue key is 1-64 printable ASCII characters, no spaces");
  }
  return {};
}

// The template's terms, range-checked: [valid_from, valid_until) in unix seconds.
Result<std::pair<std::int64_t, std::int64_t>> validity(const pma::v1::CouponTemplate& t,
                                                       const Limits& limits, std::int64_t now_s) {
  auto invalid = [&](std::string why) {
    return fail("coupon_template_invalid", fmt::format("template {}: {}", t.id(), why));
  };
  if (t.kind() == pma::v1::CouponTemplate::KIND_FIXED) {
    if (t.amount_fen() <= 0 || t.amount_fen() > limits.max_basket_total_fen) {
      return invalid(fmt::format("amount_fen {} is not within 1..{}", t.amount_fen(),
                                 limits.max_basket_total_fen));
    }
  } else if (t.kind() == pma::v1::CouponTemplate::KIND_PERCENT) {
    if (t.percent_off() <= 0 || t.percent_off() > 100) {
      return invalid(fmt::format("percent_off {} is not within 1..100", t.percent_off()));
    }
  } else {
    return invalid("kind is neither KIND_FIXED nor KIND_PERCENT");
  }
  if (t.min_spend_fen() < 0 || t.min_spend_fen() > limits.max_basket_total_fen) {
    return invalid(fmt::format("min_spend_fen {} is not within 0..{}", t.min_spend_fen(),
                               limits.max_basket_total_fen));
  }
  if (t.valid_until() != 0) {
    if (t.valid_until() <= now_s || t.valid_until() > now_s + kMaxValidityDays * kDayS) {
      return invalid(fmt::format("valid_until {} is not within the next {} days", t.valid_until(),
                                 kMaxValidityDays));
    }
    return std::pair{now_s, t.valid_until()};
  }
  if (t.validity_days() <= 0 || t.validity_days() > kMaxValidityDays) {
    return invalid(fmt::format("validity_days {} is not within 1..{} (and valid_until is unset)",
                               t.validity_days(), kMaxValidityDays));
  }
  return std::pair{now_s, now_s + std::int64_t{t.validity_days()} * kDayS};
}

}  // namespace

Result<bool> SqliteProgramme::member_exists(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto q, db_.prepare("SELECT erased FROM members WHERE member_id = ?1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  const bool found = row && q.column_int64(0) == 0;
  if (row) PMA_TRY(q.run());
  return found;
}

Status SqliteProgramme::touch(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto q, db_.prepare("UPDATE members SET version = ?2 WHERE member_id = ?1"));
  q.bind(1, member_id).bind(2, static_cast<std::int64_t>(core_.next_version()));
  return q.run();
}

Result<std::int64_t> SqliteProgramme::next_coupon_number() {
  PMA_TRY_ASSIGN(auto q,
                 db_.prepare("SELECT value FROM programme_counters WHERE name = 'hq_coupon'"));
  PMA_TRY_ASSIGN(auto row, q.step());
  const std::int64_t last = row ? q.column_int64(0) : 0;
  if (row) PMA_TRY(q.run());
  if (last >= kMaxCouponNumber) {
    return fail("coupon_numbers_exhausted",
                fmt::format("HQ coupon numbers end at {}", kMaxCouponNumber));
  }
  PMA_TRY_ASSIGN(auto w,
                 db_.prepare("INSERT INTO programme_counters(name, value) VALUES('hq_coupon', ?1) "
                             "ON CONFLICT(name) DO UPDATE SET value = excluded.value"));
  w.bind(1, last + 1);
  PMA_TRY(w.run());
  return last + 1;
}

Result<std::vector<std::string>> SqliteProgramme::target_members(
    const CouponTarget& target, std::int64_t now_ms, std::vector<std::string>& skipped) {
  using Kind = CouponTarget::Kind;
  std::vector<std::string> out;
  auto collect = [&](std::string_view sql, auto&&... args) -> Status {
    PMA_TRY_ASSIGN(auto q, db_.prepare(sql));
    q.bind_all(args...);
    for (;;) {
      PMA_TRY_ASSIGN(auto row, q.step());
      if (!row) return {};
      out.push_back(q.column_text(0));
    }
  };
  if (target.kind != Kind::members && target.value.empty()) {
    return fail("coupon_target_invalid", "the target's value is empty");
  }
  switch (target.kind) {
    case Kind::member: {
      PMA_TRY_ASSIGN(auto id, core_.resolve(target.value));
      PMA_TRY_ASSIGN(auto known, member_exists(id));
      if (!known) {
        return fail("member_not_found",
                    fmt::format("no member {} at HQ (or erased)", target.value));
      }
      out.push_back(id);
      return out;
    }
    case Kind::members: {
      if (target.members.size() > kMaxListMembers) {
        return fail("coupon_target_invalid", fmt::format("{} members listed; at most {} per issue",
                                                         target.members.size(), kMaxListMembers));
      }
      std::set<std::string> seen;
      for (const std::string& given : target.members) {
        PMA_TRY_ASSIGN(auto id, core_.resolve(given));
        PMA_TRY_ASSIGN(auto known, member_exists(id));
        if (!known) {
          skipped.push_back(given);
        } else if (seen.insert(id).second) {
          out.push_back(id);
        }
      }
      std::sort(out.begin(), out.end());
      return out;
    }
    case Kind::tier: {
      const int tier = target.value.size() == 1 ? target.value[0] - '0' : 0;
      if (tier < pma::v1::TIER_NORMAL || tier > pma::v1::TIER_GOLD) {
        return fail("coupon_target_invalid", "a tier is 1 (normal), 2 (silver) or 3 (gold)");
      }
      // The tier a member page shows: the stored tier raised by the rolling 12-month spend.
      PMA_TRY_ASSIGN(
          auto q,
          db_.prepare(
              "SELECT m.member_id, m.tier, IIF(m.spend_month >= ?1, m.spend_month_fen, 0) + "
              "COALESCE((SELECT SUM(s.spend_fen) FROM member_spend s WHERE s.member_id = "
              "m.member_id "
              "AND s.month >= ?1), 0) FROM members m WHERE m.erased = 0 ORDER BY m.member_id"));
      q.bind(1, first_window_month(now_ms));
      const pma::v1::RuleSet* rules = core_.newest_rules();
      for (;;) {
        PMA_TRY_ASSIGN(auto row, q.step());
        if (!row) break;
        auto stored = static_cast<pma::v1::Tier>(q.column_int64(1));
        const std::int64_t spend = std::max<std::int64_t>(0, q.column_int64(2));
        const auto effective = rules ? pma::tier_for_spend(*rules, stored, spend) : stored;
        if (effective == tier) out.push_back(q.column_text(0));
      }
      return out;
    }
    case Kind::store:
      PMA_TRY(collect(
          "SELECT DISTINCT v.member_id FROM visits v JOIN members m ON m.member_id = v.member_id "
          "AND m.erased = 0 WHERE v.store_id = ?1 ORDER BY v.member_id",
          target.value));
      return out;
    case Kind::segment:
      if (target.value != kSegmentHighValue && target.value != kSegmentActive &&
          target.value != kSegmentPotential && target.value != kSegmentDormant &&
          target.value != kSegmentRegular && target.value != kSegmentNone) {
        return fail("coupon_target_invalid",
                    "a segment is high_value, active, potential, dormant, regular or none");
      }
      PMA_TRY(collect(
          "SELECT s.member_id FROM member_segments s JOIN members m ON m.member_id = s.member_id "
          "AND m.erased = 0 WHERE s.segment = ?1 ORDER BY s.member_id",
          target.value));
      return out;
    case Kind::tag:
      PMA_TRY(
          collect("SELECT DISTINCT t.member_id FROM member_tags t JOIN members m ON m.member_id = "
                  "t.member_id AND m.erased = 0 WHERE t.tag = ?1 ORDER BY t.member_id",
                  target.value));
      return out;
  }
  return out;
}

Result<CouponIssueReport> SqliteProgramme::issue_coupons(const CouponIssueRequest& request) {
  PMA_TRY(check_key(request.key));
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.refresh_version());
  PMA_TRY(core_.refresh_rules());
  const pma::v1::RuleSet* rules = core_.newest_rules();
  const pma::v1::CouponTemplate* tmpl = nullptr;
  if (rules != nullptr) {
    for (const auto& t : rules->coupon_templates()) {
      if (t.id() == request.template_id) tmpl = &t;
    }
  }
  if (tmpl == nullptr) {
    return fail("coupon_template_unknown",
                fmt::format("template '{}' is not in the newest published rule set ({})",
                            request.template_id,
                            rules ? fmt::format("version {}", rules->version()) : "none"));
  }
  PMA_TRY_ASSIGN(auto terms, validity(*tmpl, core_.limits(), request.now_ms / 1000));
  CouponIssueReport report;
  PMA_TRY_ASSIGN(auto members, target_members(request.target, request.now_ms, report.skipped));
  const std::uint64_t version_before = core_.version();
  auto issue_one = [&](const std::string& member_id) -> Status {
    PMA_TRY_ASSIGN(
        auto seen,
        db_.prepare("SELECT 1 FROM coupon_issues WHERE issue_key = ?1 AND member_id = ?2"));
    seen.bind(1, request.key).bind(2, member_id);
    PMA_TRY_ASSIGN(auto row, seen.step());
    if (row) {
      PMA_TRY(seen.run());
      ++report.already_issued;
      return {};
    }
    PMA_TRY_ASSIGN(auto number, next_coupon_number());
    const std::string code = fmt::format("{}{:010}", codes::kHqCouponPrefix, number);
    PMA_TRY_ASSIGN(
        auto c,
        db_.prepare(
            "INSERT INTO coupons(code, member_id, template_id, title, valid_from, valid_until, "
            "state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    c.bind_all(code, member_id, tmpl->id(), tmpl->title(), terms.first, terms.second,
               static_cast<std::int64_t>(pma::v1::COUPON_ISSUED));
    PMA_TRY(c.run());
    PMA_TRY_ASSIGN(
        auto i, db_.prepare("INSERT INTO coupon_issues(issue_key, member_id, code, issued_at_ms) "
                            "VALUES(?1, ?2, ?3, ?4)"));
    i.bind_all(request.key, member_id, code, request.now_ms);
    PMA_TRY(i.run());
    ++report.issued;
    return touch(member_id);
  };
  for (const std::string& member_id : members) {
    if (auto ok = issue_one(member_id); !ok) {
      core_.restore_version(version_before);
      return std::unexpected(ok.error());
    }
  }
  if (auto ok = tx.commit(); !ok) {
    core_.restore_version(version_before);
    return std::unexpected(ok.error());
  }
  return report;
}

Result<RevokeReport> SqliteProgramme::revoke_coupon(const std::string& code) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.refresh_version());
  PMA_TRY_ASSIGN(auto q,
                 db_.prepare("SELECT COALESCE(member_id, ''), state FROM coupons WHERE code = ?1"));
  q.bind(1, code);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return fail("coupon_not_found", fmt::format("HQ has no coupon {}", code));
  RevokeReport report{code, q.column_text(0)};
  const std::int64_t state = q.column_int64(1);
  PMA_TRY(q.run());
  if (state == pma::v1::COUPON_REDEEMED) {
    return fail("coupon_already_redeemed",
                fmt::format("coupon {} was redeemed already; it cannot be revoked", code));
  }
  if (state == pma::v1::COUPON_REVOKED) {
    report.already_revoked = true;
    return report;
  }
  const std::uint64_t version_before = core_.version();
  auto apply = [&]() -> Status {
    PMA_TRY_ASSIGN(auto u, db_.prepare("UPDATE coupons SET state = ?2 WHERE code = ?1"));
    u.bind(1, code).bind(2, static_cast<std::int64_t>(pma::v1::COUPON_REVOKED));
    PMA_TRY(u.run());
    // A till that holds it for a commit gets nothing from the hold any more.
    PMA_TRY_ASSIGN(auto h, db_.prepare("DELETE FROM held_coupons WHERE code = ?1"));
    h.bind(1, code);
    PMA_TRY(h.run());
    if (!report.member_id.empty()) PMA_TRY(touch(report.member_id));
    return tx.commit();
  };
  if (auto ok = apply(); !ok) {
    core_.restore_version(version_before);
    return std::unexpected(ok.error());
  }
  return report;
}

Result<std::vector<HqCoupon>> SqliteProgramme::member_coupons(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto id, core_.resolve(member_id));
  PMA_TRY_ASSIGN(auto m, db_.prepare("SELECT 1 FROM members WHERE member_id = ?1"));
  m.bind(1, id);
  PMA_TRY_ASSIGN(auto found, m.step());
  if (!found) return fail("member_not_found", fmt::format("no member {} at HQ", member_id));
  PMA_TRY(m.run());
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT code, template_id, title, valid_from, valid_until, state, "
                  "COALESCE(redeemed_store, '') FROM coupons WHERE member_id = ?1 ORDER BY code"));
  q.bind(1, id);
  std::vector<HqCoupon> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) return out;
    out.push_back({q.column_text(0), id, q.column_text(1), q.column_text(2), q.column_int64(3),
                   q.column_int64(4), state_name(q.column_int64(5)), q.column_text(6)});
  }
}

Result<std::vector<TemplateCounts>> SqliteProgramme::coupon_counts() {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT template_id, COUNT(*), SUM(state = ?1), SUM(state = ?2) FROM coupons "
                  "GROUP BY template_id ORDER BY template_id"));
  q.bind(1, static_cast<std::int64_t>(pma::v1::COUPON_REDEEMED));
  q.bind(2, static_cast<std::int64_t>(pma::v1::COUPON_REVOKED));
  std::vector<TemplateCounts> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) return out;
    out.push_back({q.column_text(0), static_cast<std::uint64_t>(q.column_int64(1)),
                   static_cast<std::uint64_t>(q.column_int64(2)),
                   static_cast<std::uint64_t>(q.column_int64(3))});
  }
}

Result<bool> SqliteProgramme::add_tag(const std::string& member_id, const std::string& tag) {
  PMA_TRY(check_tag(tag));
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.refresh_version());
  PMA_TRY_ASSIGN(auto id, core_.resolve(member_id));
  PMA_TRY_ASSIGN(auto known, member_exists(id));
  if (!known) return fail("member_not_found", fmt::format("no member {} at HQ", member_id));
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT OR IGNORE INTO member_tags(member_id, tag, source) VALUES(?1, ?2, 'manual')"));
  q.bind(1, id).bind(2, tag);
  PMA_TRY(q.run());
  if (db_.changes() == 0) return false;
  const std::uint64_t version_before = core_.version();
  if (auto ok = touch(id); !ok || !(ok = tx.commit())) {
    core_.restore_version(version_before);
    return std::unexpected(ok.error());
  }
  return true;
}

Result<bool> SqliteProgramme::remove_tag(const std::string& member_id, const std::string& tag) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY(core_.refresh_version());
  PMA_TRY_ASSIGN(auto id, core_.resolve(member_id));
  PMA_TRY_ASSIGN(auto known, member_exists(id));
  if (!known) return fail("member_not_found", fmt::format("no member {} at HQ", member_id));
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "DELETE FROM member_tags WHERE member_id = ?1 AND tag = ?2 AND source = 'manual'"));
  q.bind(1, id).bind(2, tag);
  PMA_TRY(q.run());
  if (db_.changes() == 0) return false;
  const std::uint64_t version_before = core_.version();
  if (auto ok = touch(id); !ok || !(ok = tx.commit())) {
    core_.restore_version(version_before);
    return std::unexpected(ok.error());
  }
  return true;
}

}  // namespace pma::hq
