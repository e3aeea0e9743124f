// SqliteAdministration: rule sets, imports, audit reads, member erasure, terminal revocation
// and last-seen times.
#include "sync/hq/sqlite_administration.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace pma::hq {

Status SqliteAdministration::put_rule_set(std::int64_t version, const std::string& rule_set) {
  PMA_TRY_ASSIGN(auto q,
                 db_.prepare("INSERT OR REPLACE INTO rule_sets(version, rule_set) VALUES(?1, ?2)"));
  q.bind(1, version).bind_blob(2, sqlite::bytes_of(rule_set));
  return q.run();
}

Result<std::size_t> SqliteAdministration::import_members(std::span<const ImportedMember> members) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  std::uint64_t version_before = core_.version();
  auto rollback = [&](Error error) -> Result<std::size_t> {
    core_.restore_version(version_before);  // the transaction rolls back as it goes out of scope
    return std::unexpected(std::move(error));
  };
  if (auto ok = core_.refresh_version(); !ok) return rollback(ok.error());
  std::size_t written = 0;
  for (const auto& m : members) {
    auto q = db_.prepare(
        "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, tier, "
        "points, version, profile) VALUES(?1, NULLIF(?2, ''), ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1) "
        "ON CONFLICT(member_id) DO UPDATE SET profile = 1, card_no = excluded.card_no, "
        "phone_hash = excluded.phone_hash, phone_masked = excluded.phone_masked, "
        "name = excluded.name, birthday = excluded.birthday, tier = excluded.tier, "
        "points = excluded.points, version = excluded.version WHERE erased = 0");
    if (!q) return rollback(q.error());
    q->bind(1, m.member_id).bind(2, m.card_no);
    if (m.phone_hash.empty()) {
      q->bind(3, nullptr);
    } else {
      q->bind_blob(3, m.phone_hash);
    }
    q->bind(4, m.phone_masked).bind(5, m.name).bind(6, m.birthday).bind(7, m.tier);
    q->bind(8, m.points).bind(9, static_cast<std::int64_t>(core_.next_version()));
    if (auto ok = q->run(); !ok) {
      return rollback(
          Error{ok.error().code, fmt::format("member {}: {}", m.member_id, ok.error().message)});
    }
    // An erased member stays erased: an old export imported again does not bring it back.
    if (db_.changes() > 0) ++written;
  }
  if (auto ok = tx.commit(); !ok) return rollback(ok.error());
  core_.note_imported(written);
  return written;
}

Result<std::vector<Conflict>> SqliteAdministration::conflicts() {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT id, kind, member_id, coupon_code, store_id, terminal_id, seq, detail, at_ms "
          "FROM conflicts ORDER BY id"));
  std::vector<Conflict> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) break;
    out.push_back({q.column_int64(0), q.column_text(1), q.column_text(2), q.column_text(3),
                   q.column_text(4), q.column_text(5),
                   static_cast<std::uint64_t>(q.column_int64(6)), q.column_text(7),
                   q.column_int64(8)});
  }
  return out;
}

Result<std::optional<MemberSnapshot>> SqliteAdministration::member(const std::string& member_id) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT points, tier, version, erased FROM members WHERE member_id = ?1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return std::optional<MemberSnapshot>();
  return std::optional<MemberSnapshot>(
      MemberSnapshot{member_id, q.column_int64(0), static_cast<int>(q.column_int64(1)),
                     static_cast<std::uint64_t>(q.column_int64(2)), q.column_int64(3) != 0});
}

Result<std::uint64_t> SqliteAdministration::applied_count(const TerminalIdentity& terminal) {
  PMA_TRY_ASSIGN(
      auto q, db_.prepare("SELECT COUNT(*) FROM deltas WHERE store_id = ?1 AND terminal_id = ?2"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY(q.step());
  return static_cast<std::uint64_t>(q.column_int64(0));
}

Result<ErasureReport> SqliteAdministration::erase_member(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  std::uint64_t version_before = core_.version();
  auto failed = [&](Error error) -> Result<ErasureReport> {
    core_.restore_version(version_before);
    return std::unexpected(std::move(error));
  };
  if (auto ok = core_.refresh_version(); !ok) return failed(ok.error());
  version_before = core_.version();
  // A provisional id a till registered under names the same member.
  auto canonical = core_.resolve(member_id);
  if (!canonical) return failed(canonical.error());
  ErasureReport report{.member_id = *canonical};
  auto q = db_.prepare("SELECT erased, version FROM members WHERE member_id = ?1");
  if (!q) return failed(q.error());
  q->bind(1, *canonical);
  auto row = q->step();
  if (!row) return failed(row.error());
  if (!*row) return failed({"member_not_found", fmt::format("no member {} at HQ", member_id)});
  report.already_erased = q->column_int64(0) != 0;
  report.version = static_cast<std::uint64_t>(q->column_int64(1));
  PMA_TRY(q->run());
  if (report.already_erased) return report;

  report.version = core_.next_version();
  // The provisional-id mapping stays: late deltas under it must still find the erased row.
  auto wipe = db_.prepare(
      "UPDATE members SET erased = 1, card_no = NULL, phone_hash = NULL, phone_masked = '', "
      "name = '', birthday = '', spend_month_fen = 0, version = ?2 WHERE member_id = ?1");
  if (!wipe) return failed(wipe.error());
  wipe->bind(1, *canonical).bind(2, static_cast<std::int64_t>(report.version));
  if (auto ok = wipe->run(); !ok) return failed(ok.error());
  auto revoke = db_.prepare("UPDATE coupons SET state = ?2 WHERE member_id = ?1 AND state = ?3");
  if (!revoke) return failed(revoke.error());
  revoke->bind(1, *canonical).bind(2, std::int64_t{pma::v1::COUPON_REVOKED});
  revoke->bind(3, std::int64_t{pma::v1::COUPON_ISSUED});
  if (auto ok = revoke->run(); !ok) return failed(ok.error());
  report.coupons_revoked = static_cast<std::uint32_t>(db_.changes());
  // Purchase history by month goes too; the points balance stays on the tombstone row.
  auto spend = db_.prepare("DELETE FROM member_spend WHERE member_id = ?1");
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
    auto release = db_.prepare(sql);
    if (!release) return failed(release.error());
    release->bind(1, *canonical);
    if (auto ok = release->run(); !ok) return failed(ok.error());
    *count = static_cast<std::uint32_t>(db_.changes());
  }
  if (auto ok = tx.commit(); !ok) return failed(ok.error());
  return report;
}

Result<bool> SqliteAdministration::set_terminal_revoked(const TerminalIdentity& terminal,
                                                        bool revoked, std::int64_t now_ms) {
  PMA_TRY_ASSIGN(auto tx, sqlite::Transaction::begin(db_));
  PMA_TRY_ASSIGN(
      auto known,
      db_.prepare(
          "SELECT EXISTS(SELECT 1 FROM terminals WHERE store_id = ?1 AND terminal_id = ?2) OR "
          "EXISTS(SELECT 1 FROM terminal_access WHERE store_id = ?1 AND terminal_id = ?2)"));
  known.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY(known.step());
  bool seen = known.column_int64(0) != 0;
  PMA_TRY(known.run());
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("INSERT INTO terminal_access(store_id, terminal_id, revoked, changed_at_ms) "
                  "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
                  "revoked = excluded.revoked, changed_at_ms = excluded.changed_at_ms"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q.bind(3, std::int64_t{revoked ? 1 : 0}).bind(4, now_ms);
  PMA_TRY(q.run());
  PMA_TRY(tx.commit());
  return seen;
}

Result<bool> SqliteAdministration::check_terminal(const TerminalIdentity& terminal,
                                                  std::int64_t now_ms) {
  // A read only: a write here would wait behind any memberhq command holding the write lock,
  // and every store's session would be refused meanwhile. last_seen_ms waits in seen_.
  auto q =
      db_.prepare("SELECT revoked FROM terminal_access WHERE store_id = ?1 AND terminal_id = ?2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, q->step());
  bool revoked = row && q->column_int64(0) != 0;
  PMA_TRY(q->run());
  auto& seen = seen_[{terminal.store_id, terminal.terminal_id}];
  seen = std::max(seen, now_ms);
  return revoked;
}

Status SqliteAdministration::flush_terminal_activity() {
  if (seen_.empty()) return {};
  // Not waiting for the lock: the caller is the thread that serves every session.
  db_.set_busy_timeout(std::chrono::milliseconds(0));
  auto tx = sqlite::Transaction::begin(db_);
  db_.set_busy_timeout(SqliteCore::kBusyTimeout);
  if (!tx) {
    return fail("sqlite_busy_deferred",
                fmt::format("{} terminal(s)' last-seen times wait for the next flush: {}",
                            seen_.size(), tx.error().message));
  }
  for (const auto& [terminal, at_ms] : seen_) {
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare(
            "INSERT INTO terminal_access(store_id, terminal_id, last_seen_ms) VALUES(?1, ?2, ?3) "
            "ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
            "last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)"));
    q.bind(1, terminal.first).bind(2, terminal.second).bind(3, at_ms);
    PMA_TRY(q.run());
  }
  PMA_TRY(tx->commit());
  seen_.clear();
  return {};
}

Result<std::vector<TerminalInfo>> SqliteAdministration::terminals() {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT store_id, terminal_id, MAX(highest_seq), MAX(last_seen_ms), MAX(revoked), "
          "MAX(changed_at_ms) FROM (SELECT store_id, terminal_id, highest_seq, 0 AS last_seen_ms, "
          "0 AS revoked, 0 AS changed_at_ms FROM terminals UNION ALL SELECT store_id, terminal_id, "
          "0, last_seen_ms, revoked, changed_at_ms FROM terminal_access) "
          "GROUP BY store_id, terminal_id ORDER BY store_id, terminal_id"));
  std::vector<TerminalInfo> out;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, q.step());
    if (!row) break;
    out.push_back({q.column_text(0), q.column_text(1),
                   static_cast<std::uint64_t>(q.column_int64(2)), q.column_int64(3),
                   q.column_int64(4) != 0, q.column_int64(5)});
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
