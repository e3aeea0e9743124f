// PgAdministration: rule sets, imports, audit reads, member erasure, terminal revocation
// and last-seen times.
#include "sync/hq/pg_administration.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace pma::hq {

Status PgAdministration::put_rule_set(std::int64_t version, const std::string& rule_set) {
  PMA_TRY_ASSIGN(auto q, db_.prepare("INSERT INTO rule_sets(version, rule_set) VALUES($1, $2) ON "
                                     "CONFLICT(version) DO UPDATE SET "
                                     "rule_set = excluded.rule_set"));
  q.bind(1, version).bind_blob(2, pg_bytes_of(rule_set));
  return q.run();
}

Result<std::size_t> PgAdministration::import_members(std::span<const ImportedMember> members) {
  return core_.with_retries([&]() -> Result<std::size_t> {
    PMA_TRY_ASSIGN(auto tx, core_.begin());
    std::size_t written = 0;
    // Pipelined, a chunk per round trip: an import is thousands of independent upserts.
    constexpr std::size_t kChunk = 500;
    std::vector<pg::Query> queries;
    for (std::size_t from = 0; from < members.size(); from += kChunk) {
      queries.clear();
      const auto chunk = members.subspan(from, std::min(kChunk, members.size() - from));
      for (const auto& m : chunk) {
        queries.push_back(
            {"INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, "
             "tier, points, version, profile) VALUES($1, NULLIF($2, ''), $3, $4, $5, $6, $7, $8, "
             "$9, 1) ON CONFLICT(member_id) DO UPDATE SET profile = 1, card_no = "
             "excluded.card_no, phone_hash = excluded.phone_hash, phone_masked = "
             "excluded.phone_masked, name = excluded.name, birthday = excluded.birthday, tier = "
             "excluded.tier, points = excluded.points, version = excluded.version WHERE "
             "members.erased = 0",
             {m.member_id, m.card_no,
              m.phone_hash.empty() ? pg::Param(nullptr) : pg::Param(m.phone_hash), m.phone_masked,
              m.name, m.birthday, std::int64_t{m.tier}, m.points, core_.pending(m.member_id)}});
      }
      PMA_TRY_ASSIGN(auto done, db_.pipeline(queries));
      // An erased member stays erased: an old export imported again does not bring it back.
      for (const auto& rows : done) {
        if (rows.affected() > 0) ++written;
      }
    }
    PMA_TRY(core_.commit(tx));
    return written;
  });
}

Result<std::vector<Conflict>> PgAdministration::conflicts() {
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

Result<std::optional<MemberSnapshot>> PgAdministration::member(const std::string& member_id) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("SELECT points, tier, version, erased FROM members WHERE member_id = $1"));
  q.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, q.step());
  if (!row) return std::optional<MemberSnapshot>();
  return std::optional<MemberSnapshot>(
      MemberSnapshot{member_id, q.column_int64(0), static_cast<int>(q.column_int64(1)),
                     static_cast<std::uint64_t>(q.column_int64(2)), q.column_int64(3) != 0});
}

Result<std::uint64_t> PgAdministration::applied_count(const TerminalIdentity& terminal) {
  PMA_TRY_ASSIGN(
      auto q, db_.prepare("SELECT COUNT(*) FROM deltas WHERE store_id = $1 AND terminal_id = $2"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY(q.step());
  return static_cast<std::uint64_t>(q.column_int64(0));
}

Result<ErasureReport> PgAdministration::erase_member(const std::string& member_id) {
  return core_.with_retries([&] { return erase_once(member_id); });
}

Result<ErasureReport> PgAdministration::erase_once(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto tx, core_.begin());
  auto failed = [&](Error error) -> Result<ErasureReport> {
    return std::unexpected(std::move(error));
  };
  // A provisional id a till registered under names the same member.
  auto canonical = core_.resolve(member_id);
  if (!canonical) return failed(canonical.error());
  ErasureReport report{.member_id = *canonical};
  auto q = db_.prepare("SELECT erased, version FROM members WHERE member_id = $1");
  if (!q) return failed(q.error());
  q->bind(1, *canonical);
  auto row = q->step();
  if (!row) return failed(row.error());
  if (!*row) return failed({"member_not_found", fmt::format("no member {} at HQ", member_id)});
  report.already_erased = q->column_int64(0) != 0;
  report.version = static_cast<std::uint64_t>(q->column_int64(1));
  PMA_TRY(q->run());
  if (report.already_erased) return report;

  core_.pending(*canonical);
  // The provisional-id mapping stays: late deltas under it must still find the erased row.
  auto wipe = db_.prepare(
      "UPDATE members SET erased = 1, card_no = NULL, phone_hash = NULL, phone_masked = '', "
      "name = '', birthday = '', spend_month_fen = 0, version = $2 WHERE member_id = $1");
  if (!wipe) return failed(wipe.error());
  wipe->bind(1, *canonical).bind(2, std::int64_t{0});
  if (auto ok = wipe->run(); !ok) return failed(ok.error());
  auto revoke = db_.prepare("UPDATE coupons SET state = $2 WHERE member_id = $1 AND state = $3");
  if (!revoke) return failed(revoke.error());
  revoke->bind(1, *canonical).bind(2, std::int64_t{pma::v1::COUPON_REVOKED});
  revoke->bind(3, std::int64_t{pma::v1::COUPON_ISSUED});
  if (auto ok = revoke->run(); !ok) return failed(ok.error());
  report.coupons_revoked = static_cast<std::uint32_t>(db_.changes());
  // Purchase history by month goes too; the points balance stays on the tombstone row.
  auto spend = db_.prepare("DELETE FROM member_spend WHERE member_id = $1");
  if (!spend) return failed(spend.error());
  spend->bind(1, *canonical);
  if (auto ok = spend->run(); !ok) return failed(ok.error());
  // Online-first holds go now rather than when they lapse: a checkout a till reserved for the
  // member (held under its HQ id or a provisional one), and any hold on its coupons.
  const std::pair<std::string_view, std::uint32_t*> releases[] = {
      {"DELETE FROM held_coupons WHERE code IN (SELECT code FROM coupons WHERE member_id = $1) "
       "OR (store_id, terminal_id, txn_id) IN (SELECT store_id, terminal_id, txn_id FROM holds "
       "WHERE member_id = $1 OR member_id IN (SELECT provisional_id FROM provisional_ids WHERE "
       "member_id = $1))",
       &report.coupon_holds_released},
      {"DELETE FROM holds WHERE member_id = $1 OR member_id IN (SELECT provisional_id FROM "
       "provisional_ids WHERE member_id = $1)",
       &report.holds_released}};
  for (const auto& [sql, count] : releases) {
    auto release = db_.prepare(sql);
    if (!release) return failed(release.error());
    release->bind(1, *canonical);
    if (auto ok = release->run(); !ok) return failed(ok.error());
    *count = static_cast<std::uint32_t>(db_.changes());
  }
  if (auto ok = core_.commit(tx); !ok) return failed(ok.error());
  report.version = core_.stamped().at(*canonical);
  return report;
}

Result<bool> PgAdministration::set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                                    std::int64_t now_ms) {
  return core_.with_retries([&] { return set_revoked_once(terminal, revoked, now_ms); });
}

Result<bool> PgAdministration::set_revoked_once(const TerminalIdentity& terminal, bool revoked,
                                                std::int64_t now_ms) {
  PMA_TRY_ASSIGN(auto tx, core_.begin());
  PMA_TRY_ASSIGN(
      auto known,
      db_.prepare(
          "SELECT EXISTS(SELECT 1 FROM terminals WHERE store_id = $1 AND terminal_id = $2) OR "
          "EXISTS(SELECT 1 FROM terminal_access WHERE store_id = $1 AND terminal_id = $2)"));
  known.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY(known.step());
  bool seen = known.column_int64(0) != 0;
  PMA_TRY(known.run());
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("INSERT INTO terminal_access(store_id, terminal_id, revoked, changed_at_ms) "
                  "VALUES($1, $2, $3, $4) ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
                  "revoked = excluded.revoked, changed_at_ms = excluded.changed_at_ms"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q.bind(3, std::int64_t{revoked ? 1 : 0}).bind(4, now_ms);
  PMA_TRY(q.run());
  PMA_TRY(tx.commit());
  return seen;
}

Result<bool> PgAdministration::check_terminal(const TerminalIdentity& terminal,
                                              std::int64_t now_ms) {
  // A read only: a write here would wait behind any memberhq command holding the write lock,
  // and every store's session would be refused meanwhile. last_seen_ms waits in seen_.
  auto q =
      db_.prepare("SELECT revoked FROM terminal_access WHERE store_id = $1 AND terminal_id = $2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, q->step());
  bool revoked = row && q->column_int64(0) != 0;
  PMA_TRY(q->run());
  auto& seen = seen_[{terminal.store_id, terminal.terminal_id}];
  seen = std::max(seen, now_ms);
  return revoked;
}

Status PgAdministration::flush_terminal_activity() {
  if (seen_.empty()) return {};
  // Not waiting long for a row lock: the caller is the thread that serves every session. On
  // any failure the attempts stay noted for the next flush.
  PMA_TRY_ASSIGN(auto tx, pg::Transaction::begin(db_, pg::Transaction::Isolation::read_committed));
  PMA_TRY(db_.exec("SET LOCAL lock_timeout = '100ms'"));
  for (const auto& [terminal, at_ms] : seen_) {
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare(
            "INSERT INTO terminal_access(store_id, terminal_id, last_seen_ms) VALUES($1, $2, $3) "
            "ON CONFLICT(store_id, terminal_id) DO UPDATE SET "
            "last_seen_ms = GREATEST(terminal_access.last_seen_ms, excluded.last_seen_ms)"));
    q.bind(1, terminal.first).bind(2, terminal.second).bind(3, at_ms);
    PMA_TRY(q.run());
  }
  PMA_TRY(tx.commit());
  seen_.clear();
  return {};
}

Result<std::vector<TerminalInfo>> PgAdministration::terminals() {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "SELECT store_id, terminal_id, MAX(highest_seq), MAX(last_seen_ms), MAX(revoked), "
          "MAX(changed_at_ms) FROM (SELECT store_id, terminal_id, highest_seq, 0 AS last_seen_ms, "
          "0 AS revoked, 0 AS changed_at_ms FROM terminals UNION ALL SELECT store_id, terminal_id, "
          "0, last_seen_ms, revoked, changed_at_ms FROM terminal_access) AS t "
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
