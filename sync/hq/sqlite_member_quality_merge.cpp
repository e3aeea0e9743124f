// SqliteMemberQuality::merge: a duplicate member merged into its survivor in one transaction.
// Points are money: every figure moved is added to the survivor exactly as it is taken from
// the duplicate, in the same transaction, so no point is minted or dropped.
#include <fmt/format.h>

#include <algorithm>

#include "sync/hq/sqlite_member_quality.h"

namespace pma::hq {

Result<std::optional<SqliteMemberQuality::Row>> SqliteMemberQuality::read_row(
    const std::string& member_id) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT erased, merged_into IS NOT NULL, COALESCE(card_no, ''), phone_hash, "
          "phone_masked, "
          "name, birthday, tier, points, spend_month, spend_month_fen, profile, marketing_consent, "
          "consent_at_ms FROM members WHERE member_id = ?1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto found, q.step());
  if (!found) return std::optional<Row>();
  Row r{.member_id = member_id,
        .erased = q.column_int64(0) != 0,
        .merged = q.column_int64(1) != 0,
        .card_no = q.column_text(2),
        .phone_hash = q.column_blob(3),
        .phone_masked = q.column_text(4),
        .name = q.column_text(5),
        .birthday = q.column_text(6),
        .tier = q.column_int64(7),
        .points = q.column_int64(8),
        .spend_month = q.column_int64(9),
        .spend_month_fen = q.column_int64(10),
        .profile = q.column_int64(11),
        .consent = q.column_int64(12) != 0,
        .consent_at_ms = q.column_int64(13)};
  PMA_TRY(q.run());
  return std::optional<Row>(std::move(r));
}

Result<MergeReport> SqliteMemberQuality::merge(const std::string& from_id,
                                               const std::string& into_id, std::int64_t now_ms) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  std::uint64_t version_before = core_.version();
  auto failed = [&](Error error) -> Result<MergeReport> {
    core_.restore_version(version_before);  // the transaction rolls back as it goes out of scope
    return std::unexpected(std::move(error));
  };
  if (auto ok = core_.refresh_version(); !ok) return failed(ok.error());
  version_before = core_.version();
  // A till's provisional id names its member; an alias is a member merged away already.
  Row rows[2];
  const std::string* ids[2] = {&from_id, &into_id};
  for (int i = 0; i < 2; ++i) {
    auto canonical = core_.resolve(*ids[i]);
    if (!canonical) return failed(canonical.error());
    if (!ids[i]->starts_with("P-") && *canonical != *ids[i]) {
      return failed({"merge_refused",
                     fmt::format("member {} was merged into {} already", *ids[i], *canonical)});
    }
    auto row = read_row(*canonical);
    if (!row) return failed(row.error());
    if (!*row) return failed({"member_not_found", fmt::format("no member {} at HQ", *ids[i])});
    if ((*row)->erased) {
      return failed({"member_erased", fmt::format("member {} was erased", *canonical)});
    }
    if ((*row)->merged) {  // a tombstone without alias: never written, but never merge one
      return failed({"merge_refused", fmt::format("member {} was merged already", *canonical)});
    }
    rows[i] = std::move(**row);
  }
  if (rows[0].member_id == rows[1].member_id) {
    return failed({"merge_refused", fmt::format("{} and {} are the same member {}", from_id,
                                                into_id, rows[0].member_id)});
  }
  auto report = merge_rows(rows[0], rows[1], now_ms);
  if (!report) return failed(report.error());
  if (auto ok = tx.commit(); !ok) return failed(ok.error());
  return report;
}

Status SqliteMemberQuality::move_spend(const Row& from, const std::string& into_id,
                                       MergeReport& report) {
  // The same filing as SqliteBatchIngest's for a provisional id's spend: each fen is stored in
  // exactly one place (the row's bucket or member_spend), so moved months simply add up.
  PMA_TRY_ASSIGN(
      auto total,
      db_.prepare(
          "SELECT COUNT(*), COALESCE(SUM(spend_fen), 0) FROM member_spend WHERE member_id = ?1"));
  total.bind(1, from.member_id);
  PMA_TRY(total.step());
  report.spend_months = static_cast<std::uint32_t>(total.column_int64(0));
  report.spend_fen = total.column_int64(1);
  PMA_TRY(total.run());
  constexpr std::string_view kAdd =
      "INSERT INTO member_spend(member_id, month, spend_fen) VALUES(?1, ?2, ?3) ON "
      "CONFLICT(member_id, month) DO UPDATE SET spend_fen = spend_fen + excluded.spend_fen";
  if (from.spend_month_fen != 0) {
    PMA_TRY(sqlite::run(db_, kAdd, into_id, from.spend_month, from.spend_month_fen));
    report.spend_fen += from.spend_month_fen;
    ++report.spend_months;
  }
  PMA_TRY(sqlite::run(db_,
                      "INSERT INTO member_spend(member_id, month, spend_fen) SELECT ?2, month, "
                      "spend_fen FROM member_spend WHERE member_id = ?1 ON CONFLICT(member_id, "
                      "month) DO UPDATE SET spend_fen = spend_fen + excluded.spend_fen",
                      from.member_id, into_id));
  return sqlite::run(db_, "DELETE FROM member_spend WHERE member_id = ?1", from.member_id);
}

Result<MergeReport> SqliteMemberQuality::merge_rows(const Row& from, const Row& into,
                                                    std::int64_t now_ms) {
  MergeReport report{.from_id = from.member_id, .into_id = into.member_id, .points = from.points};
  std::int64_t points = 0;
  if (__builtin_add_overflow(into.points, from.points, &points)) {
    return fail("merge_refused",
                fmt::format("{} + {} points do not fit in 64 bits", into.points, from.points));
  }
  PMA_TRY(move_spend(from, into.member_id, report));
  // Rows that name the duplicate now name the survivor; each count goes into the report.
  const std::pair<std::string_view, std::uint32_t*> moves[] = {
      {"UPDATE coupons SET member_id = ?2 WHERE member_id = ?1", &report.coupons},
      {"UPDATE holds SET member_id = ?2 WHERE member_id = ?1", &report.holds},
      // Sales a refund may take back, and the purchase history segments read.
      {"UPDATE deltas SET member_id = ?2 WHERE member_id = ?1", &report.sales},
      {"UPDATE provisional_ids SET member_id = ?2 WHERE member_id = ?1", &report.provisional_ids},
      {"UPDATE member_aliases SET member_id = ?2 WHERE member_id = ?1", &report.aliases},
  };
  for (const auto& [sql, count] : moves) {
    PMA_TRY(sqlite::run(db_, sql, from.member_id, into.member_id));
    *count = static_cast<std::uint32_t>(db_.changes());
  }
  PMA_TRY(sqlite::run(db_, "INSERT INTO member_aliases(alias, member_id) VALUES(?1, ?2)",
                      from.member_id, into.member_id));
  // The survivor keeps what it has and takes what it lacks; the newer consent decision holds.
  Row merged = into;
  merged.points = points;
  merged.tier = std::max(into.tier, from.tier);
  merged.profile = std::max(into.profile, from.profile);
  if (merged.card_no.empty() && !from.card_no.empty()) {
    merged.card_no = from.card_no;
    report.fields_filled.push_back("card_no");
  }
  if (merged.phone_hash.empty() && !from.phone_hash.empty()) {
    merged.phone_hash = from.phone_hash;
    merged.phone_masked = from.phone_masked;
    report.fields_filled.push_back("phone");
  }
  if (merged.name.empty() && !from.name.empty()) {
    merged.name = from.name;
    report.fields_filled.push_back("name");
  }
  if (merged.birthday.empty() && !from.birthday.empty()) {
    merged.birthday = from.birthday;
    report.fields_filled.push_back("birthday");
  }
  if (from.consent_at_ms > into.consent_at_ms) {
    merged.consent = from.consent;
    merged.consent_at_ms = from.consent_at_ms;
    report.consent_taken = true;
  }
  // The tombstone first (its card and phone free the unique keys), with the lower version, so
  // a page carries it before the survivor's new row.
  const auto tombstone_version = static_cast<std::int64_t>(core_.next_version());
  PMA_TRY(sqlite::run(db_,
                      "UPDATE members SET merged_into = ?2, points = 0, card_no = NULL, "
                      "phone_hash = NULL, phone_masked = '', name = '', birthday = '', "
                      "spend_month_fen = 0, marketing_consent = 0, version = ?3 WHERE "
                      "member_id = ?1",
                      from.member_id, into.member_id, tombstone_version));
  report.version = core_.next_version();
  PMA_TRY_ASSIGN(
      auto u,
      db_.prepare(
          "UPDATE members SET points = ?2, tier = ?3, profile = ?4, card_no = NULLIF(?5, ''), "
          "phone_hash = ?6, phone_masked = ?7, name = ?8, birthday = ?9, marketing_consent = ?10, "
          "consent_at_ms = ?11, version = ?12 WHERE member_id = ?1"));
  u.bind(1, into.member_id).bind(2, merged.points).bind(3, merged.tier).bind(4, merged.profile);
  u.bind(5, merged.card_no);
  if (merged.phone_hash.empty()) {
    u.bind(6, nullptr);
  } else {
    u.bind_blob(6, merged.phone_hash);
  }
  u.bind(7, merged.phone_masked).bind(8, merged.name).bind(9, merged.birthday);
  u.bind(10, std::int64_t{merged.consent ? 1 : 0}).bind(11, merged.consent_at_ms);
  u.bind(12, static_cast<std::int64_t>(report.version));
  PMA_TRY(u.run());
  if (report.consent_taken) {
    PMA_TRY(sqlite::run(db_,
                        "INSERT INTO consent_log(member_id, granted, at_ms, source) "
                        "VALUES(?1, ?2, ?3, 'merge')",
                        into.member_id, std::int64_t{merged.consent ? 1 : 0}, now_ms));
  }
  PMA_TRY(sqlite::run(db_,
                      "INSERT INTO member_merges(kind, from_id, into_id, points, spend_fen, "
                      "coupons, at_ms) VALUES('manual', ?1, ?2, ?3, ?4, ?5, ?6)",
                      from.member_id, into.member_id, report.points, report.spend_fen,
                      std::int64_t{report.coupons}, now_ms));
  return report;
}

}  // namespace pma::hq
