// SqliteMemberQuality: consent decisions (and whether a member may be marketed to) and the
// quality report. Merges: sqlite_member_quality_merge.cpp.
#include "sync/hq/sqlite_member_quality.h"

#include <fmt/format.h>

namespace pma::hq {

namespace {

// Neither erased nor merged away: the members campaigns, reports and tills see.
constexpr std::string_view kActive = "erased = 0 AND merged_into IS NULL";

// A masked mainland mobile as pma::mask_phone writes it ("138****5678").
constexpr std::string_view kValidMask = "'1[3-9][0-9][*][*][*][*][0-9][0-9][0-9][0-9]'";

Result<std::int64_t> scalar(sqlite::Database& db, const std::string& sql) {
  PMA_TRY_ASSIGN(auto q, db.prepare(sql));
  PMA_TRY_ASSIGN(auto row, q.step());
  const std::int64_t value = row ? q.column_int64(0) : 0;
  PMA_TRY(q.run());
  return value;
}

}  // namespace

Result<ConsentChange> SqliteMemberQuality::set_consent(const std::string& member_id, bool granted,
                                                       std::int64_t at_ms,
                                                       std::string_view source) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  std::uint64_t version_before = core_.version();
  auto failed = [&](Error error) -> Result<ConsentChange> {
    core_.restore_version(version_before);  // the transaction rolls back as it goes out of scope
    return std::unexpected(std::move(error));
  };
  if (auto ok = core_.refresh_version(); !ok) return failed(ok.error());
  version_before = core_.version();
  auto canonical = core_.resolve(member_id);
  if (!canonical) return failed(canonical.error());
  auto q = db_.prepare("SELECT erased, marketing_consent FROM members WHERE member_id = ?1");
  if (!q) return failed(q.error());
  q->bind(1, *canonical);
  auto row = q->step();
  if (!row) return failed(row.error());
  if (!*row) return failed({"member_not_found", fmt::format("no member {} at HQ", member_id)});
  const bool erased = q->column_int64(0) != 0;
  const bool had = q->column_int64(1) != 0;
  if (auto ok = q->run(); !ok) return failed(ok.error());
  ConsentChange change{.member_id = *canonical, .granted = granted, .at_ms = at_ms};
  if (erased) {
    if (granted) {
      return failed({"member_erased",
                     fmt::format("member {} was erased: it cannot consent again", *canonical)});
    }
    return change;  // an erasure withdrew it already
  }
  change.changed = had != granted;
  if (change.changed) change.version = core_.next_version();
  // The decision's time is kept even when it confirms the last one: the newest decision is
  // the one that counts when duplicates are merged.
  auto u = db_.prepare(
      "UPDATE members SET marketing_consent = ?2, consent_at_ms = ?3, version = IIF(?4 = 0, "
      "version, ?4) WHERE member_id = ?1");
  if (!u) return failed(u.error());
  u->bind(1, *canonical).bind(2, std::int64_t{granted ? 1 : 0}).bind(3, at_ms);
  u->bind(4, static_cast<std::int64_t>(change.version));
  if (auto ok = u->run(); !ok) return failed(ok.error());
  if (auto ok = sqlite::run(db_,
                            "INSERT INTO consent_log(member_id, granted, at_ms, source) "
                            "VALUES(?1, ?2, ?3, ?4)",
                            *canonical, std::int64_t{granted ? 1 : 0}, at_ms, source);
      !ok) {
    return failed(ok.error());
  }
  if (auto ok = tx.commit(); !ok) return failed(ok.error());
  return change;
}

Result<bool> SqliteMemberQuality::may_market(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto canonical, core_.resolve(member_id));
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT erased = 0 AND merged_into IS NULL AND marketing_consent = 1 FROM members WHERE "
          "member_id = ?1"));
  q.bind(1, canonical);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return fail("member_not_found", fmt::format("no member {} at HQ", member_id));
  const bool may = q.column_int64(0) != 0;
  PMA_TRY(q.run());
  return may;
}

Result<QualityReport> SqliteMemberQuality::quality_report() {
  auto snapshot = sqlite::Transaction::begin_read(db_);  // every figure from one snapshot
  if (!snapshot) return std::unexpected(snapshot.error());
  QualityReport r;
  const std::string invalid_phone = fmt::format(
      "((phone_hash IS NULL) <> (phone_masked = '') OR (phone_masked <> '' AND NOT "
      "phone_masked GLOB {}))",
      kValidMask);
  const std::pair<std::int64_t*, std::string> figures[] = {
      {&r.members, fmt::format("SELECT COUNT(*) FROM members WHERE {}", kActive)},
      {&r.phone_missing, fmt::format("SELECT COUNT(*) FROM members WHERE {} AND phone_hash IS "
                                     "NULL AND phone_masked = ''",
                                     kActive)},
      {&r.phone_invalid,
       fmt::format("SELECT COUNT(*) FROM members WHERE {} AND {}", kActive, invalid_phone)},
      {&r.merged_at_registration, "SELECT COUNT(*) FROM member_merges WHERE kind = 'registration'"},
      {&r.merged_manually, "SELECT COUNT(*) FROM member_merges WHERE kind = 'manual'"},
      {&r.suspected_duplicates,
       fmt::format("SELECT COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM members WHERE {} "
                   "AND name <> '' AND birthday <> '' GROUP BY name, birthday HAVING n > 1)",
                   kActive)},
      {&r.with_card, fmt::format("SELECT COUNT(*) FROM members WHERE {} AND COALESCE(card_no, "
                                 "'') <> ''",
                                 kActive)},
      {&r.with_name, fmt::format("SELECT COUNT(*) FROM members WHERE {} AND name <> ''", kActive)},
      {&r.with_birthday,
       fmt::format("SELECT COUNT(*) FROM members WHERE {} AND birthday <> ''", kActive)},
      {&r.without_consent,
       fmt::format("SELECT COUNT(*) FROM members WHERE {} AND marketing_consent = 0", kActive)},
  };
  for (const auto& [figure, sql] : figures) {
    PMA_TRY_ASSIGN(auto value, scalar(db_, sql));
    *figure = value;
  }
  r.with_phone = r.members - r.phone_missing - r.phone_invalid;
  return r;
}

}  // namespace pma::hq
