#include "agent/store/sync_store_sqlite.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "agent/store/member_rows.h"
#include "pma/v1/delta.pb.h"

namespace pma::store {

Result<std::vector<sync::OutboxEntry>> SqliteSyncStore::outbox_from(std::uint64_t from_seq,
                                                                    std::size_t max_count,
                                                                    std::size_t max_bytes) {
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("SELECT seq, payload FROM outbox WHERE seq >= ?1 ORDER BY seq LIMIT ?2"));
  stmt.bind(1, static_cast<std::int64_t>(from_seq)).bind(2, static_cast<std::int64_t>(max_count));
  std::vector<sync::OutboxEntry> out;
  std::size_t bytes = 0;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    auto payload = stmt.column_blob(1);
    if (!out.empty() && bytes + payload.size() > max_bytes) break;
    bytes += payload.size();
    out.push_back({static_cast<std::uint64_t>(stmt.column_int64(0)), std::move(payload)});
  }
  return out;
}

Result<sync::OutboxStats> SqliteSyncStore::outbox_stats() {
  // outbox.created_at is the delta's occurred_at in UTC milliseconds (agent/store/outbox.cpp);
  // OutboxStats wants seconds.
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT COUNT(*), MIN(created_at) / 1000 FROM outbox"));
  PMA_TRY(stmt.step());
  sync::OutboxStats stats{static_cast<std::uint64_t>(stmt.column_int64(0)), std::nullopt};
  if (!stmt.column_is_null(1)) stats.oldest_created_at = stmt.column_int64(1);
  return stats;
}

Status SqliteSyncStore::raise_seq_floor(std::uint64_t floor) {
  return run(db_,
             "INSERT INTO sync_state(key, value) VALUES('seq_floor', ?1) ON CONFLICT(key) DO "
             "UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
             static_cast<std::int64_t>(floor));
}

Result<std::vector<std::string>> SqliteSyncStore::unmapped_ids(std::size_t limit) {
  // Registration makes "P-<store>-<terminal>-<n>"; map_member renames the row when HQ answers.
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare("SELECT member_id FROM members WHERE member_id >= 'P-' AND member_id < 'P.' "
                  "ORDER BY member_id LIMIT ?1"));
  stmt.bind(1, static_cast<std::int64_t>(limit));
  std::vector<std::string> ids;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    ids.push_back(stmt.column_text(0));
  }
  return ids;
}

Status SqliteSyncStore::check_pairing() {
  PMA_TRY_ASSIGN(auto met, get_state("hq_met"));
  PMA_TRY_ASSIGN(auto confirmed, get_state("members_at_hq"));
  if (met || confirmed) return {};
  PMA_TRY_ASSIGN(
      auto stmt,
      db_.prepare(
          "SELECT COUNT(*) FROM members WHERE hq_version = 0 AND NOT (member_id >= 'P-' AND "
          "member_id < 'P.')"));
  PMA_TRY(stmt.step());
  const std::int64_t local = stmt.column_int64(0);
  PMA_TRY(stmt.run());
  if (local == 0) return {};
  return fail("pairing_refused",
              fmt::format("this till holds {} members imported here (memberctl import) that HQ "
                          "has never sent; HQ would replace their cards, phones, names and "
                          "balances at the first sync. Import the same file at HQ (memberhq "
                          "import FILE), then pair with: memberctl sync --members-at-hq",
                          local));
}

Status SqliteSyncStore::on_handshake(std::uint64_t hq_highest_seq,
                                     const std::vector<pma::v1::IdMapping>& id_mappings) {
  PMA_TRY_ASSIGN(auto tx, Transaction::begin(db_));
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT MIN(seq), MAX(seq) FROM outbox"));
  PMA_TRY(stmt.step());
  bool empty = stmt.column_is_null(0);
  auto min_seq = static_cast<std::uint64_t>(stmt.column_int64(0));
  auto max_seq = static_cast<std::uint64_t>(stmt.column_int64(1));
  PMA_TRY(stmt.run());
  if (!empty && min_seq <= hq_highest_seq) {
    // Rows at or below HQ's watermark were never acknowledged to this database (acknowledge()
    // prunes those that were). They are either sent and applied with the ack lost, or new
    // deltas reusing seqs HQ holds for other deltas: a reinstall, a restored backup, commits
    // made after a restore before this handshake. Nothing here tells them apart, so none is
    // dropped: all move past the watermark (order kept) and are sent again; HQ counts a delta
    // it already applied as a duplicate by its identity (terminal, txn id, kind).
    PMA_TRY(renumber_outbox(hq_highest_seq + 1));
    max_seq = hq_highest_seq + 1 + (max_seq - min_seq);
  }
  PMA_TRY(raise_seq_floor(std::max(hq_highest_seq, empty ? 0 : max_seq) + 1));
  PMA_TRY(set_state("hq_met", "1"));
  for (const auto& mapping : id_mappings) {
    PMA_TRY(map_member(mapping.provisional_id(), mapping.member_id()));
  }
  return tx.commit();
}

Status SqliteSyncStore::renumber_outbox(std::uint64_t first_seq) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT seq, payload FROM outbox ORDER BY seq"));
  std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>> rows;
  for (;;) {
    PMA_TRY_ASSIGN(auto row, stmt.step());
    if (!row) break;
    rows.emplace_back(stmt.column_int64(0), stmt.column_blob(1));
  }
  // Negative seqs first, so the renumbering never collides with an existing key, nor a ledger
  // row already moved with one not yet moved (new seqs may overlap old ones).
  PMA_TRY(run(db_,
              "UPDATE ledger SET outbox_seq = -outbox_seq WHERE outbox_seq IN (SELECT seq FROM "
              "outbox)"));
  PMA_TRY(run(db_, "UPDATE outbox SET seq = -seq"));
  auto next = static_cast<std::int64_t>(first_seq);
  for (auto& [old_seq, payload] : rows) {
    pma::v1::Delta delta;
    if (!delta.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      return fail("outbox_garbled", fmt::format("outbox seq {} is not a Delta", old_seq));
    }
    delta.set_seq(static_cast<std::uint64_t>(next));
    std::string bytes = delta.SerializeAsString();
    PMA_TRY_ASSIGN(auto update,
                   db_.prepare("UPDATE outbox SET seq = ?1, payload = ?2 WHERE seq = ?3"));
    update.bind(1, next).bind_blob(2, bytes_of(bytes)).bind(3, -old_seq);
    PMA_TRY(update.run());
    PMA_TRY(run(db_, "UPDATE ledger SET outbox_seq = ?1 WHERE outbox_seq = ?2", next, -old_seq));
    ++next;
  }
  // No sqlite_sequence to raise since migration 9: the caller raises seq_floor past the rows.
  return {};
}

Status SqliteSyncStore::acknowledge(std::uint64_t seq,
                                    const std::vector<pma::v1::IdMapping>& id_mappings) {
  PMA_TRY_ASSIGN(auto tx, Transaction::begin(db_));
  PMA_TRY(run(db_, "DELETE FROM outbox WHERE seq <= ?1", static_cast<std::int64_t>(seq)));
  PMA_TRY(raise_seq_floor(seq + 1));
  for (const auto& mapping : id_mappings) {
    PMA_TRY(map_member(mapping.provisional_id(), mapping.member_id()));
  }
  PMA_TRY(tx.commit());
  // The erased member's deltas have left the outbox: their WAL frames go too.
  auto pending = get_state("wal_scrub");
  return pending && *pending ? scrub_wal() : Status{};
}

Status SqliteSyncStore::scrub_wal() {
  // An erased member's rows live on in WAL frames written before the erasure until they are
  // overwritten: copy the WAL into the database file (secure_delete zeroes what was deleted
  // there) and empty it. A reader on an older snapshot makes it busy: tried again after the
  // next acknowledgement, as long as the outbox still holds deltas sent before the erasure.
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)"));
  PMA_TRY_ASSIGN(auto row, stmt.step());
  const bool busy = row && stmt.column_int64(0) != 0;
  PMA_TRY(stmt.run());
  if (busy) return set_state("wal_scrub", "1");
  PMA_TRY_ASSIGN(auto stats, outbox_stats());
  return stats.depth == 0 ? run(db_, "DELETE FROM sync_state WHERE key = 'wal_scrub'")
                          : set_state("wal_scrub", "1");
}

Status SqliteSyncStore::map_member(const std::string& provisional_id,
                                   const std::string& member_id) {
  if (provisional_id == member_id || provisional_id.empty()) return {};
  PMA_TRY_ASSIGN(auto exists, db_.prepare("SELECT 1 FROM members WHERE member_id = ?1"));
  exists.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, exists.step());
  bool canonical_known = row;
  PMA_TRY(exists.run());
  if (canonical_known) {
    // HQ matched the registration to a member this cache already holds: merge into it. HQ
    // moves the provisional id's spend to the canonical member and sends it again.
    PMA_TRY(run(db_, "DELETE FROM members WHERE member_id = ?1", provisional_id));
  } else {
    // The row keeps its spend months (a page may have carried the provisional id when HQ saw
    // its spend before its registration).
    PMA_TRY(run(db_, "UPDATE members SET member_id = ?2 WHERE member_id = ?1", provisional_id,
                member_id));
  }
  // The provisional id stays an alias of the member (a POS may still name it), and aliases of
  // an id that is itself renamed follow it.
  PMA_TRY(run(db_, "UPDATE member_aliases SET member_id = ?2 WHERE member_id = ?1", provisional_id,
              member_id));
  PMA_TRY(run(db_, "INSERT OR REPLACE INTO member_aliases(alias, member_id) VALUES(?1, ?2)",
              provisional_id, member_id));
  return rename_member_rows(db_, provisional_id, member_id);
}

namespace {

// PRAGMA synchronous=NORMAL for the life of the guard when the connection runs FULL (or EXTRA),
// then back. Set outside any transaction (SQLite applies it per transaction).
class RelaxedSync {
 public:
  explicit RelaxedSync(Database& db) : db_(db) {
    {
      auto stmt = db_.prepare("PRAGMA synchronous");
      if (!stmt || !stmt->step().value_or(false)) return;
      previous_ = stmt->column_int64(0);
    }
    if (previous_ <= 1 || !db_.exec("PRAGMA synchronous=NORMAL")) previous_ = -1;
  }
  ~RelaxedSync() {
    if (previous_ > 1) (void)db_.exec(fmt::format("PRAGMA synchronous={}", previous_));
  }
  RelaxedSync(const RelaxedSync&) = delete;
  RelaxedSync& operator=(const RelaxedSync&) = delete;

 private:
  Database& db_;
  std::int64_t previous_ = -1;
};

}  // namespace

Status SqliteSyncStore::apply_member_page(const pma::v1::MemberPage& page, std::int64_t now) {
  // A page commits with synchronous=NORMAL (no fsync of the WAL per page; ~2x the apply rate
  // on a slow disk). Durability of this transaction is not at stake, consistency is kept:
  // - WAL with NORMAL never corrupts the database; a power loss can only lose the last few
  //   committed transactions, whole, in commit order.
  // - The member rows, the invariant-2 watermark (hq_points together with the ledger rows it
  //   marks reflected), the rule set and the cursor commit in this one transaction, so a lost
  //   page loses its cursor advance too: the cursor never gets ahead of the applied rows, and
  //   the next pull fetches the page again from HQ.
  // - Everything else on this connection (checkouts, outbox, acknowledgements) still commits
  //   FULL, and a FULL commit's WAL fsync also covers every page committed before it.
  RelaxedSync relaxed(db_);
  // One page, one transaction: pages are bounded (a few thousand rows) so a writer never holds
  // the write lock long (readers in WAL mode never wait for it).
  PMA_TRY_ASSIGN(auto tx, Transaction::begin(db_));
  // Each member's watermark update below seeks the ledger by member (its primary key's
  // prefix): a member this till never served costs one B-tree descent. No check of the whole
  // ledger first: since migration 9 no index holds the unreflected rows, and such a check
  // scanned every row of every year when all were reflected (tests/store/ledger_scan_test.cpp).
  PageState state{.reflected_seq = page.reflected_seq(), .now = now};
  bool erasure = false;
  for (const auto& member : page.members()) {
    PMA_TRY(apply_member(member, state));
    erasure = erasure || member.erased();
  }
  PMA_TRY(set_state("member_cursor", std::to_string(page.next_cursor())));
  if (page.has_rule_set()) {
    PMA_TRY(set_state("rule_set_version", std::to_string(page.rule_set().version())));
    PMA_TRY_ASSIGN(
        auto stmt,
        db_.prepare("INSERT OR REPLACE INTO sync_state(key, value) VALUES('rule_set', ?1)"));
    stmt.bind_blob(1, bytes_of(page.rule_set().rule_set()));
    PMA_TRY(stmt.run());
  }
  PMA_TRY(tx.commit());
  return erasure ? scrub_wal() : Status{};
}

namespace {

// HQ's months (sparse, within its 12-month window) as the till keeps them; "" when HQ sent
// none. Months more than kMaxWindowMonths before the newest are dropped (a page is input).
std::string spend_window(const pma::v1::MemberDelta& m) {
  constexpr std::int64_t kMaxWindowMonths = 36;
  if (m.spend_months_size() == 0) return {};
  std::int64_t last = m.spend_months(0).month();
  for (const auto& month : m.spend_months()) last = std::max<std::int64_t>(last, month.month());
  std::int64_t first = last;
  for (const auto& month : m.spend_months()) {
    if (last - month.month() < kMaxWindowMonths)
      first = std::min<std::int64_t>(first, month.month());
  }
  pma::v1::SpendWindow window;
  window.set_first_month(static_cast<std::int32_t>(first));
  window.mutable_fen()->Resize(static_cast<int>(last - first + 1), 0);
  for (const auto& month : m.spend_months()) {
    if (month.month() < first) continue;
    const int i = static_cast<int>(month.month() - first);
    window.set_fen(i, window.fen(i) + month.fen());  // a month twice (a page is input) adds up
  }
  return window.SerializeAsString();
}

}  // namespace

Status SqliteSyncStore::apply_member(const pma::v1::MemberDelta& m, PageState& page) {
  const std::int64_t now = page.now;
  if (m.erased()) {
    PMA_TRY(run(db_, "DELETE FROM member_aliases WHERE member_id = ?1", m.member_id()));
    return erase_member_rows(db_, m.member_id());
  }
  constexpr std::string_view kUpsert =
      "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, tier, "
      "hq_points, hq_version, updated_at, spend_12m_fen, spend_months) VALUES(?1, NULLIF(?2, ''), "
      "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(member_id) DO UPDATE SET "
      "card_no = excluded.card_no, "
      "phone_hash = excluded.phone_hash, phone_masked = excluded.phone_masked, "
      "name = excluded.name, birthday = excluded.birthday, tier = MAX(tier, excluded.tier), "
      "hq_points = excluded.hq_points, hq_version = excluded.hq_version, "
      "updated_at = excluded.updated_at, spend_12m_fen = excluded.spend_12m_fen, "
      "spend_months = excluded.spend_months";
  // A member HQ only knows by its points (imported or seeded here before the till was
  // paired): HQ has no card, phone, name or birthday to send, so the till's stay.
  constexpr std::string_view kUpsertKeepingProfile =
      "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, tier, "
      "hq_points, hq_version, updated_at, spend_12m_fen, spend_months) VALUES(?1, NULLIF(?2, ''), "
      "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT(member_id) DO UPDATE SET "
      "card_no = COALESCE(excluded.card_no, card_no), "
      "phone_hash = COALESCE(excluded.phone_hash, phone_hash), "
      "phone_masked = IIF(excluded.phone_masked = '', phone_masked, excluded.phone_masked), "
      "name = IIF(excluded.name = '', name, excluded.name), "
      "birthday = IIF(excluded.birthday = '', birthday, excluded.birthday), "
      "tier = MAX(tier, excluded.tier), "
      "hq_points = excluded.hq_points, hq_version = excluded.hq_version, "
      "updated_at = excluded.updated_at, spend_12m_fen = excluded.spend_12m_fen, "
      "spend_months = excluded.spend_months";
  // HQ's spend months, which Ledger::spend_12m ages as months pass (NULL: an older HQ).
  const std::string months = spend_window(m);
  for (int attempt = 0;; ++attempt) {
    PMA_TRY_ASSIGN(auto stmt, db_.prepare(m.profile_unknown() ? kUpsertKeepingProfile : kUpsert));
    stmt.bind(1, m.member_id()).bind(2, m.card_no());
    if (m.phone_hash().empty()) {
      stmt.bind(3, nullptr);
    } else {
      stmt.bind_blob(3, bytes_of(m.phone_hash()));
    }
    stmt.bind(4, m.phone_masked()).bind(5, m.name()).bind(6, m.birthday());
    stmt.bind(7, static_cast<std::int64_t>(m.tier() == 0 ? 1 : m.tier()));
    stmt.bind(8, m.points()).bind(9, static_cast<std::int64_t>(m.version())).bind(10, now);
    // HQ's rolling spend; like hq_points it reflects this terminal's deltas up to
    // reflected_seq, whose ledger rows stop counting locally just below.
    stmt.bind(11, m.spend_12m_fen());
    if (months.empty()) {
      stmt.bind(12, nullptr);
    } else {
      stmt.bind_blob(12, bytes_of(months));
    }
    auto ok = stmt.run();
    if (ok) break;
    if (ok.error().code != "sqlite_constraint" || attempt > 0) return ok;
    // HQ is the authority on who holds a card or phone: take it from the stale local row.
    PMA_TRY(run(db_, "UPDATE members SET card_no = NULL WHERE card_no = ?1 AND member_id <> ?2",
                m.card_no(), m.member_id()));
    PMA_TRY_ASSIGN(
        auto clear,
        db_.prepare(
            "UPDATE members SET phone_hash = NULL WHERE phone_hash = ?1 AND member_id <> ?2"));
    clear.bind_blob(1, bytes_of(m.phone_hash())).bind(2, m.member_id());
    PMA_TRY(clear.run());
  }
  // Invariant 2: hq_points (and the spend) now include this terminal's deltas up to
  // reflected_seq, so the matching ledger rows stop counting on top of them, in the same
  // transaction.
  PMA_TRY(run(db_,
              "UPDATE ledger SET hq_reflected = 1 WHERE member_id = ?1 AND hq_reflected = 0 "
              "AND outbox_seq IS NOT NULL AND outbox_seq <= ?2",
              m.member_id(), static_cast<std::int64_t>(page.reflected_seq)));
  for (const auto& c : m.coupons()) {
    const char* state = c.state() == pma::v1::COUPON_REDEEMED  ? "redeemed"
                        : c.state() == pma::v1::COUPON_REVOKED ? "revoked"
                                                               : "issued";
    // A local redemption HQ has not seen yet stays redeemed.
    PMA_TRY(run(db_,
                "INSERT INTO coupons(code, member_id, template_id, title, valid_from, "
                "valid_until, state, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
                "ON CONFLICT(code) DO UPDATE SET member_id = excluded.member_id, "
                "template_id = excluded.template_id, title = excluded.title, "
                "valid_from = excluded.valid_from, valid_until = excluded.valid_until, "
                "state = CASE WHEN state = 'redeemed' AND excluded.state = 'issued' "
                "THEN state ELSE excluded.state END, updated_at = excluded.updated_at",
                c.code(), m.member_id(), c.template_id(), c.title(), c.valid_from(),
                c.valid_until(), state, now));
  }
  return {};
}

Result<sync::DownstreamCursor> SqliteSyncStore::downstream_cursor() {
  sync::DownstreamCursor cursor;
  PMA_TRY_ASSIGN(auto member, get_state("member_cursor"));
  if (member) cursor.member_cursor = std::stoull(*member);
  PMA_TRY_ASSIGN(auto rules, get_state("rule_set_version"));
  if (rules) cursor.rule_set_version = std::stoll(*rules);
  return cursor;
}

Status SqliteSyncStore::reset_member_cursor() { return set_state("member_cursor", "0"); }

Result<std::optional<std::string>> SqliteSyncStore::get_state(const std::string& key) {
  PMA_TRY_ASSIGN(auto stmt, db_.prepare("SELECT value FROM sync_state WHERE key = ?1"));
  stmt.bind(1, key);
  PMA_TRY_ASSIGN(auto row, stmt.step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.column_text(0));
}

Status SqliteSyncStore::set_state(const std::string& key, const std::string& value) {
  return run(db_, "INSERT OR REPLACE INTO sync_state(key, value) VALUES(?1, ?2)", key, value);
}

}  // namespace pma::store
