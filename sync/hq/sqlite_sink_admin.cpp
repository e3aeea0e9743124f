// SqliteSink's administration side: member erasure, terminal revocation, and the rolling
// 12-month spend buckets that apply_batch feeds.
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "hq/sqlite_sink.h"
#include "pma/calendar.h"

namespace pma::hq {

Status SqliteSink::refresh_version() {
  auto q = db_->prepare("SELECT COALESCE(MAX(version), 0) FROM members");
  if (!q) return std::unexpected(q.error());
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  version_ = std::max(version_, static_cast<std::uint64_t>(q->column_int64(0)));
  return q->run();
}

Result<bool> SqliteSink::roll_spend_month(const std::string& member_id, std::int64_t points,
                                          std::int64_t version, std::int64_t month,
                                          std::int64_t spend_fen) {
  auto q =
      db_->prepare("SELECT erased, spend_month, spend_month_fen FROM members WHERE member_id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return fail("sqlite_error", fmt::format("member {} vanished mid-batch", member_id));
  const bool erased = q->column_int64(0) != 0;
  const std::int64_t row_month = q->column_int64(1), row_fen = q->column_int64(2);
  PMA_TRY(q->run());
  if (erased) return false;
  if (month > row_month) {
    // A new month: the row's bucket moves to member_spend and the row starts the new one.
    if (row_fen != 0) PMA_TRY(add_spend(member_id, row_month, row_fen));
    auto u = db_->prepare(
        "UPDATE members SET points = points + ?2, version = ?3, spend_month = ?4, "
        "spend_month_fen = ?5 WHERE member_id = ?1");
    if (!u) return std::unexpected(u.error());
    u->bind(1, member_id).bind(2, points).bind(3, version).bind(4, month).bind(5, spend_fen);
    PMA_TRY(u->run());
    return true;
  }
  // A late delta (an offline till, a refund) for an older month.
  PMA_TRY(add_spend(member_id, month, spend_fen));
  auto u =
      db_->prepare("UPDATE members SET points = points + ?2, version = ?3 WHERE member_id = ?1");
  if (!u) return std::unexpected(u.error());
  u->bind(1, member_id).bind(2, points).bind(3, version);
  PMA_TRY(u->run());
  return true;
}

Status SqliteSink::add_spend(const std::string& member_id, std::int64_t month,
                             std::int64_t spend_fen) {
  auto q = db_->prepare(
      "INSERT INTO member_spend(member_id, month, spend_fen) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(member_id, month) DO UPDATE SET spend_fen = spend_fen + excluded.spend_fen");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id).bind(2, month).bind(3, spend_fen);
  return q->run();
}

Status SqliteSink::move_spend(const std::string& from_member_id, const std::string& to_member_id) {
  // The source row's own bucket first (each fen is stored in exactly one place, so buckets of
  // the same month in the row and in member_spend simply add up).
  auto bucket = db_->prepare(
      "SELECT spend_month, spend_month_fen FROM members WHERE member_id = ?1 AND "
      "spend_month_fen <> 0");
  if (!bucket) return std::unexpected(bucket.error());
  bucket->bind(1, from_member_id);
  auto has = bucket->step();
  if (!has) return std::unexpected(has.error());
  if (*has) {
    std::int64_t month = bucket->column_int64(0), fen = bucket->column_int64(1);
    PMA_TRY(bucket->run());
    PMA_TRY(add_spend(to_member_id, month, fen));
  }
  auto q = db_->prepare(
      "INSERT INTO member_spend(member_id, month, spend_fen) SELECT ?2, month, spend_fen "
      "FROM member_spend WHERE member_id = ?1 ON CONFLICT(member_id, month) DO UPDATE SET "
      "spend_fen = spend_fen + excluded.spend_fen");
  if (!q) return std::unexpected(q.error());
  q->bind(1, from_member_id).bind(2, to_member_id);
  PMA_TRY(q->run());
  auto del = db_->prepare("DELETE FROM member_spend WHERE member_id = ?1");
  if (!del) return std::unexpected(del.error());
  del->bind(1, from_member_id);
  return del->run();
}

Result<ErasureReport> SqliteSink::erase_member(const std::string& member_id) {
  auto tx = sqlite::Transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  std::uint64_t version_before = version_;
  auto failed = [&](Error error) -> Result<ErasureReport> {
    version_ = version_before;
    return std::unexpected(std::move(error));
  };
  if (auto ok = refresh_version(); !ok) return failed(ok.error());
  version_before = version_;
  // A provisional id a till registered under names the same member.
  auto canonical = resolve(member_id);
  if (!canonical) return failed(canonical.error());
  ErasureReport report{.member_id = *canonical};
  auto q = db_->prepare("SELECT erased, version FROM members WHERE member_id = ?1");
  if (!q) return failed(q.error());
  q->bind(1, *canonical);
  auto row = q->step();
  if (!row) return failed(row.error());
  if (!*row) return failed({"member_not_found", fmt::format("no member {} at HQ", member_id)});
  report.already_erased = q->column_int64(0) != 0;
  report.version = static_cast<std::uint64_t>(q->column_int64(1));
  PMA_TRY(q->run());
  if (report.already_erased) return report;

  report.version = next_version();
  // The provisional-id mapping stays: late deltas under it must still find the erased row.
  auto wipe = db_->prepare(
      "UPDATE members SET erased = 1, card_no = NULL, phone_hash = NULL, phone_masked = '', "
      "name = '', birthday = '', spend_month_fen = 0, version = ?2 WHERE member_id = ?1");
  if (!wipe) return failed(wipe.error());
  wipe->bind(1, *canonical).bind(2, static_cast<std::int64_t>(report.version));
  if (auto ok = wipe->run(); !ok) return failed(ok.error());
  auto revoke = db_->prepare("UPDATE coupons SET state = ?2 WHERE member_id = ?1 AND state = ?3");
  if (!revoke) return failed(revoke.error());
  revoke->bind(1, *canonical).bind(2, std::int64_t{pma::v1::COUPON_REVOKED});
  revoke->bind(3, std::int64_t{pma::v1::COUPON_ISSUED});
  if (auto ok = revoke->run(); !ok) return failed(ok.error());
  report.coupons_revoked = static_cast<std::uint32_t>(db_->changes());
  // Purchase history by month goes too; the points balance stays on the tombstone row.
  auto spend = db_->prepare("DELETE FROM member_spend WHERE member_id = ?1");
  if (!spend) return failed(spend.error());
  spend->bind(1, *canonical);
  if (auto ok = spend->run(); !ok) return failed(ok.error());
  // Online-first holds go now rather than when they lapse: a checkout a till reserved for the
  // member (held under its HQ id or a provisional one), and any hold on its coupons.
  const std::pair<std::string_view, std::uint32_t*> releases[] = {
      {"DELETE FROM held_coupons WHERE code IN (SELECT code FROM coupons WHERE member_id = ?1) "
       "OR (store_id, terminal_id, txn_id) IN (SELECT store_id, terminal_id, txn_id FROM holds "
       "WHERE member_id = ?1 OR member_id IN (SELECT provisional_id FROM provisional_ids WHERE "
       "member_id = ?1))",
       &report.coupon_holds_released},
      {"DELETE FROM holds WHERE member_id = ?1 OR member_id IN (SELECT provisional_id FROM "
       "provisional_ids WHERE member_id = ?1)",
       &report.holds_released}};
  for (const auto& [sql, count] : releases) {
    auto release = db_->prepare(sql);
    if (!release) return failed(release.error());
    release->bind(1, *canonical);
    if (auto ok = release->run(); !ok) return failed(ok.error());
    *count = static_cast<std::uint32_t>(db_->changes());
  }
  if (auto ok = tx->commit(); !ok) return failed(ok.error());
  return report;
}

Result<bool> SqliteSink::set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                              std::int64_t now_ms) {
  auto tx = sqlite::Transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  auto known = db_->prepare(
      "SELECT EXISTS(SELECT 1 FROM terminals WHERE store_id = ?1 AND terminal_id = ?2) OR "
      "EXISTS(SELECT 1 FROM terminal_access WHERE store_id = ?1 AND terminal_id = ?2)");
  if (!known) return std::unexpected(known.error());
  known->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  auto row = known->step();
  if (!row) return std::unexpected(row.error());
  bool seen = known->column_int64(0) != 0;
  PMA_TRY(known->run());
  auto q = db_->prepare(
      "INSERT INTO terminal_access(store_id, terminal_id, revoked, changed_at_ms) "
      "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
      "revoked = excluded.revoked, changed_at_ms = excluded.changed_at_ms");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q->bind(3, std::int64_t{revoked ? 1 : 0}).bind(4, now_ms);
  PMA_TRY(q->run());
  PMA_TRY(tx->commit());
  return seen;
}

Result<bool> SqliteSink::check_terminal(const TerminalIdentity& terminal, std::int64_t now_ms) {
  // A read only: a write here would wait behind any memberhq command holding the write lock,
  // and every store's session would be refused meanwhile. last_seen_ms waits in seen_.
  auto q =
      db_->prepare("SELECT revoked FROM terminal_access WHERE store_id = ?1 AND terminal_id = ?2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  bool revoked = *row && q->column_int64(0) != 0;
  PMA_TRY(q->run());
  auto& seen = seen_[{terminal.store_id, terminal.terminal_id}];
  seen = std::max(seen, now_ms);
  return revoked;
}

Status SqliteSink::flush_terminal_activity() {
  if (seen_.empty()) return {};
  // Not waiting for the lock: the caller is the thread that serves every session.
  db_->set_busy_timeout(std::chrono::milliseconds(0));
  auto tx = sqlite::Transaction::begin(*db_);
  db_->set_busy_timeout(kBusyTimeout);
  if (!tx) {
    return fail("sqlite_busy_deferred",
                fmt::format("{} terminal(s)' last-seen times wait for the next flush: {}",
                            seen_.size(), tx.error().message));
  }
  for (const auto& [terminal, at_ms] : seen_) {
    auto q = db_->prepare(
        "INSERT INTO terminal_access(store_id, terminal_id, last_seen_ms) VALUES(?1, ?2, ?3) "
        "ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
        "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)");
    if (!q) return std::unexpected(q.error());
    q->bind(1, terminal.first).bind(2, terminal.second).bind(3, at_ms);
    PMA_TRY(q->run());
  }
  PMA_TRY(tx->commit());
  seen_.clear();
  return {};
}

Result<std::vector<TerminalInfo>> SqliteSink::terminals() {
  auto q = db_->prepare(
      "SELECT store_id, terminal_id, MAX(highest_seq), MAX(last_seen_ms), MAX(revoked), "
      "MAX(changed_at_ms) FROM (SELECT store_id, terminal_id, highest_seq, 0 AS last_seen_ms, "
      "0 AS revoked, 0 AS changed_at_ms FROM terminals UNION ALL SELECT store_id, terminal_id, "
      "0, last_seen_ms, revoked, changed_at_ms FROM terminal_access) "
      "GROUP BY store_id, terminal_id ORDER BY store_id, terminal_id");
  if (!q) return std::unexpected(q.error());
  std::vector<TerminalInfo> out;
  for (;;) {
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    out.push_back({q->column_text(0), q->column_text(1),
                   static_cast<std::uint64_t>(q->column_int64(2)), q->column_int64(3),
                   q->column_int64(4) != 0, q->column_int64(5)});
  }
  // Attempts this process noted and has not written yet (the serving process's own view).
  bool added = false;
  for (const auto& [terminal, at_ms] : seen_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const TerminalInfo& t) {
      return t.store_id == terminal.first && t.terminal_id == terminal.second;
    });
    if (it != out.end()) {
      it->last_seen_ms = std::max(it->last_seen_ms, at_ms);
    } else {
      out.push_back({terminal.first, terminal.second, 0, at_ms, false, 0});
      added = true;
    }
  }
  if (added) {
    std::sort(out.begin(), out.end(), [](const TerminalInfo& a, const TerminalInfo& b) {
      return std::tie(a.store_id, a.terminal_id) < std::tie(b.store_id, b.terminal_id);
    });
  }
  return out;
}

}  // namespace pma::hq
