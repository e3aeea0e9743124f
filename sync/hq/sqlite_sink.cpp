#include "hq/sqlite_sink.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>

#include "hq/sqlite_sink_migrations.h"
#include "pma/calendar.h"
#include "wire/messages.h"

namespace pma::hq {

namespace {

// The instant whose month a delta's spend belongs to: a refund takes back spend of the
// purchase's month (filed under its own month it would leave the purchase's bucket too high
// and age out a year late), unless an older till did not say when the purchase was.
std::int64_t spend_time_ms(const pma::v1::Delta& delta) {
  if (delta.has_refund() && delta.refund().original_occurred_at_ms() != 0) {
    return delta.refund().original_occurred_at_ms();
  }
  return delta.occurred_at_ms();
}

}  // namespace

Result<std::unique_ptr<SqliteSink>> SqliteSink::open(const std::string& path,
                                                     const std::string& synchronous) {
  if (synchronous != "FULL" && synchronous != "NORMAL") {
    return fail("sqlite_open",
                fmt::format("synchronous must be FULL or NORMAL, not '{}'", synchronous));
  }
  // The committing connection checkpoints only as a safety valve (a WAL of 64 MiB); a thread
  // of the wrapper's checkpoints every 100 ms and keeps it far smaller.
  auto db = sqlite::Database::open(path, {.synchronous = synchronous,
                                          .busy_timeout_ms = static_cast<int>(kBusyTimeout.count()),
                                          .cache_size_kib = 65536,
                                          .wal_autocheckpoint = 16384,
                                          .background_checkpoint = std::chrono::milliseconds(100)});
  if (!db) return std::unexpected(db.error());
  PMA_TRY(migrate_sink(**db));
  std::unique_ptr<SqliteSink> sink(new SqliteSink(std::move(*db)));
  PMA_TRY(sink->find_kind0_identities());
  auto q = sink->db_->prepare(
      "SELECT (SELECT COALESCE(MAX(version), 0) FROM members), (SELECT COUNT(*) FROM members)");
  if (!q) return std::unexpected(q.error());
  PMA_TRY(q->step());
  sink->version_ = static_cast<std::uint64_t>(q->column_int64(0));
  sink->next_member_number_ = q->column_int64(1) + 1;
  PMA_TRY(q->run());
  PMA_TRY(sink->seed_member_numbering());
  // Hold ids keep increasing across restarts: past the table's and past the clock (in us), so
  // a release still in flight from before a restart cannot name a new hold.
  auto holds = sink->db_->prepare("SELECT COALESCE(MAX(hold_id), 0) FROM holds");
  if (!holds) return std::unexpected(holds.error());
  PMA_TRY(holds->step());
  auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  sink->hold_counter_ =
      static_cast<std::uint64_t>(std::max<std::int64_t>(holds->column_int64(0), now_us));
  return sink;
}

Result<std::uint64_t> SqliteSink::highest_applied(const TerminalIdentity& terminal) {
  auto q =
      db_->prepare("SELECT highest_seq FROM terminals WHERE store_id = ?1 AND terminal_id = ?2");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  return *row ? static_cast<std::uint64_t>(q->column_int64(0)) : 0;
}

Result<std::vector<pma::v1::IdMapping>> SqliteSink::id_mappings(
    const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) {
  const std::string own = fmt::format("P-{}-{}-", terminal.store_id, terminal.terminal_id);
  std::vector<pma::v1::IdMapping> found;
  for (const std::string& id :
       provisional_ids.first(std::min(provisional_ids.size(), wire::kMaxUnmappedIds))) {
    if (!id.starts_with(own)) continue;  // another terminal's registration is not ours to tell
    // Reused by this terminal for another person: mapping it would merge the two.
    auto reused = disputed(id, terminal.store_id, terminal.terminal_id,
                           std::numeric_limits<std::int64_t>::max());
    if (!reused) return std::unexpected(reused.error());
    if (*reused) continue;
    auto q = db_->prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = ?1");
    if (!q) return std::unexpected(q.error());
    q->bind(1, id);
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      pma::v1::IdMapping& m = found.emplace_back();
      m.set_provisional_id(id);
      m.set_member_id(q->column_text(0));
    }
  }
  return found;
}

Result<ApplyOutcome> SqliteSink::apply_batch(const TerminalIdentity& terminal,
                                             const pma::v1::Batch& batch, std::int64_t now_ms) {
  auto tx = sqlite::Transaction::begin(*db_);
  if (!tx) return std::unexpected(tx.error());
  PMA_TRY(refresh_version());
  auto highest = highest_applied(terminal);
  if (!highest) return std::unexpected(highest.error());
  ApplyOutcome outcome{.highest_applied = *highest};
  Context context{terminal, now_ms, outcome};
  struct ClearApplying {
    Applying& applying;
    ~ClearApplying() { applying = {}; }
  } clear_applying{applying_};
  std::uint64_t version_before = version_;
  PMA_TRY(refresh_rules());
  for (const auto& delta : batch.deltas()) {
    if (delta.seq() <= outcome.highest_applied) {
      ++outcome.duplicates;
      continue;
    }
    if (delta.seq() != outcome.highest_applied + 1) {
      outcome.gap_from = outcome.highest_applied + 1;
      break;
    }
    // Sent before under another seq (a lost ack, a restored or reinstalled till), or a txn id
    // reused for something else: the seq is taken, nothing is applied again.
    auto claim = claim_identity(context, delta);
    if (!claim) return std::unexpected(claim.error());
    if (*claim != Claim::fresh) {
      outcome.highest_applied = delta.seq();
      ++(*claim == Claim::duplicate ? outcome.duplicates : outcome.applied);
      continue;
    }
    // A delta the terminal may not send is recorded and skipped: applied (the watermark moves
    // on, so the honest rest of the outbox is not stuck) with nothing of it changed.
    auto refusal = authorise(terminal, delta);
    auto ok = refusal ? Status{} : Status(std::unexpected(refusal.error()));
    const bool refused = ok && refusal->has_value();
    if (refused) {
      ok = record_conflict(context, delta, (*refusal)->kind, (*refusal)->member_id,
                           (*refusal)->coupon_code, std::move((*refusal)->detail));
    } else if (ok) {
      ok = apply_delta(context, delta);
    }
    if (ok) ok = note_applied(context, delta, refused);
    if (!ok) {
      version_ = version_before;
      return fail(ok.error().code,
                  fmt::format("applying {}/{} seq {}: {}", terminal.store_id, terminal.terminal_id,
                              delta.seq(), ok.error().message));
    }
    outcome.highest_applied = delta.seq();
    ++outcome.applied;
  }
  PMA_TRY(consume_holds(terminal, batch, *highest + 1, outcome.highest_applied));
  auto q = db_->prepare(
      "INSERT INTO terminals(store_id, terminal_id, highest_seq) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(store_id, terminal_id) DO UPDATE SET highest_seq = excluded.highest_seq");
  if (!q) return std::unexpected(q.error());
  q->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q->bind(3, static_cast<std::int64_t>(outcome.highest_applied));
  PMA_TRY(q->run());
  if (auto ok = tx->commit(); !ok) {
    version_ = version_before;
    return std::unexpected(ok.error());
  }
  return outcome;
}

Status SqliteSink::apply_delta(Context& context, const pma::v1::Delta& delta) {
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout: {
      const auto& c = delta.checkout();
      if (c.member_id().empty()) return {};
      auto member = resolve(c.member_id());
      if (!member) return std::unexpected(member.error());
      for (const auto& code : c.coupon_codes()) PMA_TRY(redeem(context, delta, *member, code));
      return add_points(context, delta, *member, c.points_earned() - c.points_burned(),
                        c.points_burned() > 0, c.paid_fen());
    }
    case Delta::kRefund: {
      const auto& r = delta.refund();
      if (r.member_id().empty()) return {};
      auto member = resolve(r.member_id());
      if (!member) return std::unexpected(member.error());
      for (const auto& code : r.coupons_restored()) {
        PMA_TRY(restore_coupon(context, code, r.original_txn_id()));
      }
      return add_points(context, delta, *member, r.points_restored() - r.points_reversed(),
                        r.points_reversed() > 0, -r.refunded_fen());
    }
    case Delta::kMemberRegistered:
      return register_member(context, delta);
    case Delta::kCouponRedeemed: {
      auto member = resolve(delta.coupon_redeemed().member_id());
      if (!member) return std::unexpected(member.error());
      return redeem(context, delta, *member, delta.coupon_redeemed().code());
    }
    case Delta::kPointsAdjusted: {
      const auto& p = delta.points_adjusted();
      auto member = resolve(p.member_id());
      if (!member) return std::unexpected(member.error());
      return add_points(context, delta, *member, p.points(), p.points() < 0);
    }
    case Delta::BODY_NOT_SET:
      return {};  // a newer agent's delta kind: recorded as applied, nothing to do here
  }
  return {};
}

Result<std::string> SqliteSink::resolve(const std::string& member_id) {
  // Tills name members they registered "P-<store>-<terminal>-<n>" until HQ maps them; any
  // other id is canonical already (this skips a lookup for nearly every delta).
  if (!member_id.starts_with("P-")) return member_id;
  if (applying_.seq != 0) {
    // A provisional id this terminal reused for another person: from the reuse on, its deltas
    // are that other person's, never the first holder's (they stay under the provisional id).
    auto reused = disputed(member_id, applying_.store_id, applying_.terminal_id, applying_.seq);
    if (!reused) return std::unexpected(reused.error());
    if (*reused) return member_id;
  }
  auto q = db_->prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  return *row ? q->column_text(0) : member_id;
}

Status SqliteSink::add_points(Context& context, const pma::v1::Delta& delta,
                              const std::string& member_id, std::int64_t points, bool spends,
                              std::int64_t spend_fen) {
  // No RETURNING here: SQLite runs a RETURNING statement through an ephemeral table (a
  // temporary b-tree opened and closed per execution), which made this upsert ~3x costlier.
  // Only a spend needs the balance, so only a spend reads it back. The spend goes to the row's
  // bucket in the same statement (an empty bucket takes the delta's month); when that is not
  // possible (a bucket of another month) or the member is erased, nothing changes and
  // roll_spend_month takes over.
  const std::int64_t version = static_cast<std::int64_t>(next_version());
  const std::int64_t month = utc_month_index(spend_time_ms(delta));
  auto q = db_->prepare(
      "INSERT INTO members(member_id, points, version, spend_month, spend_month_fen) "
      "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(member_id) DO UPDATE SET "
      "points = points + excluded.points, version = excluded.version, "
      "spend_month = IIF(spend_month_fen = 0, excluded.spend_month, spend_month), "
      "spend_month_fen = spend_month_fen + excluded.spend_month_fen WHERE erased = 0 AND "
      "(excluded.spend_month_fen = 0 OR spend_month = excluded.spend_month OR "
      "spend_month_fen = 0) AND abs(points + excluded.points) <= ?6");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id).bind(2, points).bind(3, version).bind(4, month).bind(5, spend_fen);
  q->bind(6, kMaxBalancePoints);
  PMA_TRY(q->run());
  if (db_->changes() == 0) {
    // Each delta's points are capped, but an imported balance is not: a sum SQLite would
    // turn into a float (or past kMaxBalancePoints) changes nothing and is recorded.
    auto read = db_->prepare("SELECT points FROM members WHERE member_id = ?1");
    if (!read) return std::unexpected(read.error());
    read->bind(1, member_id);
    PMA_TRY(read->step());
    auto sum = checked_add(read->column_int64(0), points);
    PMA_TRY(read->run());
    if (!sum || *sum > kMaxBalancePoints || *sum < -kMaxBalancePoints) {
      return record_conflict(context, delta, "delta_out_of_range", member_id, "",
                             fmt::format("txn {}: {} points would take the balance past {}",
                                         delta.txn_id(), points, kMaxBalancePoints));
    }
    auto applied = roll_spend_month(member_id, points, version, month, spend_fen);
    if (!applied) return std::unexpected(applied.error());
    if (!*applied) {
      return record_conflict(context, delta, "erased_member_activity", member_id, "",
                             fmt::format("txn {} for an erased member ignored ({} points, {} fen)",
                                         delta.txn_id(), points, spend_fen));
    }
  }
  if (!spends) return {};
  auto read = db_->prepare("SELECT points FROM members WHERE member_id = ?1");
  if (!read) return std::unexpected(read.error());
  read->bind(1, member_id);
  auto row = read->step();
  if (!row) return std::unexpected(row.error());
  std::int64_t balance = *row ? read->column_int64(0) : 0;
  PMA_TRY(read->run());
  if (balance < 0) {
    return record_conflict(context, delta, "points_overdrawn", member_id, "",
                           fmt::format("balance {} after txn {}", balance, delta.txn_id()));
  }
  return {};
}

Status SqliteSink::touch(const std::string& member_id) {
  auto q = db_->prepare("UPDATE members SET version = ?2 WHERE member_id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, member_id).bind(2, static_cast<std::int64_t>(next_version()));
  return q->run();
}

Status SqliteSink::redeem(Context& context, const pma::v1::Delta& delta,
                          const std::string& member_id, const std::string& code) {
  auto q = db_->prepare(
      "SELECT state, COALESCE(redeemed_store, ''), COALESCE(redeemed_terminal, ''), "
      "COALESCE(redeemed_txn, '') FROM coupons WHERE code = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, code);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    auto state = static_cast<pma::v1::CouponStateKind>(q->column_int64(0));
    std::string store = q->column_text(1), terminal = q->column_text(2), txn = q->column_text(3);
    PMA_TRY(q->run());
    if (state == pma::v1::COUPON_REDEEMED) {
      if (txn == delta.txn_id() && store == context.terminal.store_id) return {};
      return record_conflict(context, delta, "coupon_redeemed_twice", member_id, code,
                             fmt::format("already redeemed at {}/{} in txn {}; again in txn {}",
                                         store, terminal, txn, delta.txn_id()));
    }
    if (state == pma::v1::COUPON_REVOKED) {
      return record_conflict(context, delta, "coupon_revoked_redeemed", member_id, code,
                             fmt::format("revoked coupon redeemed in txn {}", delta.txn_id()));
    }
  }
  auto u = db_->prepare(
      "INSERT INTO coupons(code, member_id, state, redeemed_store, redeemed_terminal, "
      "redeemed_txn) VALUES(?1, ?2, 2, ?3, ?4, ?5) ON CONFLICT(code) DO UPDATE SET state = 2, "
      "redeemed_store = ?3, redeemed_terminal = ?4, redeemed_txn = ?5");
  if (!u) return std::unexpected(u.error());
  u->bind(1, code).bind(2, member_id).bind(3, context.terminal.store_id);
  u->bind(4, context.terminal.terminal_id).bind(5, delta.txn_id());
  PMA_TRY(u->run());
  return touch(member_id);
}

Status SqliteSink::restore_coupon(Context& context, const std::string& code,
                                  const std::string& txn) {
  // A refund gives the coupon back to its member, unless the member was erased since: erasure
  // revoked its issued coupons, and one redeemed then comes back revoked too. Only a coupon
  // this terminal redeemed in that txn: txn ids are the POS's, and another store's may match.
  auto q = db_->prepare(
      "UPDATE coupons SET state = IIF(EXISTS(SELECT 1 FROM members m WHERE m.member_id = "
      "coupons.member_id AND m.erased = 1), 3, 1), redeemed_store = NULL, "
      "redeemed_terminal = NULL, redeemed_txn = NULL WHERE code = ?1 AND state = 2 AND "
      "redeemed_txn = ?2 AND redeemed_store = ?3 AND redeemed_terminal = ?4 "
      "RETURNING member_id, state");
  if (!q) return std::unexpected(q.error());
  q->bind(1, code).bind(2, txn).bind(3, context.terminal.store_id);
  q->bind(4, context.terminal.terminal_id);
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (!*row) return {};
  std::string member_id = q->column_text(0);
  const bool revoked = q->column_int64(1) == pma::v1::COUPON_REVOKED;
  PMA_TRY(q->run());
  if (revoked) return {};  // the erased member's tombstone has nothing new to carry
  return touch(member_id);
}

Status SqliteSink::register_member(Context& context, const pma::v1::Delta& delta) {
  const auto& r = delta.member_registered();
  // A provisional id or welcome code HQ already holds: the same registration again (mapped
  // as before), or another person under a reused id, refused whole (never merged).
  auto held = held_for_other(context, delta);
  if (!held) return std::unexpected(held.error());
  if (*held) return {};
  std::string canonical;
  if (!r.phone_hash().empty()) {
    auto q = db_->prepare("SELECT member_id FROM members WHERE phone_hash = ?1");
    if (!q) return std::unexpected(q.error());
    q->bind_blob(1, std::span(reinterpret_cast<const std::uint8_t*>(r.phone_hash().data()),
                              r.phone_hash().size()));
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (*row) canonical = q->column_text(0);
  }
  if (canonical.empty()) {
    auto id = next_member_id();
    if (!id) return std::unexpected(id.error());
    canonical = std::move(*id);
    auto q = db_->prepare(
        "INSERT INTO members(member_id, card_no, phone_hash, phone_masked, name, birthday, "
        "version, profile) VALUES(?1, NULLIF(?2, ''), ?3, ?4, ?5, ?6, ?7, 1)");
    if (!q) return std::unexpected(q.error());
    q->bind(1, canonical).bind(2, r.card_no());
    if (r.phone_hash().empty()) {
      q->bind(3, nullptr);
    } else {
      q->bind_blob(3, std::span(reinterpret_cast<const std::uint8_t*>(r.phone_hash().data()),
                                r.phone_hash().size()));
    }
    q->bind(4, r.phone_masked()).bind(5, r.name()).bind(6, r.birthday());
    q->bind(7, static_cast<std::int64_t>(next_version()));
    PMA_TRY(q->run());
  }
  auto q = db_->prepare(
      "INSERT OR IGNORE INTO provisional_ids(provisional_id, member_id) VALUES(?1, ?2)");
  if (!q) return std::unexpected(q.error());
  q->bind(1, r.provisional_id()).bind(2, canonical);
  PMA_TRY(q->run());
  // Points and coupons recorded under the provisional id before HQ knew it move across.
  auto moved = db_->prepare("SELECT points FROM members WHERE member_id = ?1 AND member_id <> ?2");
  if (!moved) return std::unexpected(moved.error());
  moved->bind(1, r.provisional_id()).bind(2, canonical);
  auto row = moved->step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    std::int64_t points = moved->column_int64(0);
    PMA_TRY(moved->run());
    PMA_TRY(add_points(context, delta, canonical, points, false));
    PMA_TRY(move_spend(r.provisional_id(), canonical));
    auto del = db_->prepare("DELETE FROM members WHERE member_id = ?1");
    if (!del) return std::unexpected(del.error());
    del->bind(1, r.provisional_id());
    PMA_TRY(del->run());
  }
  for (const auto& t : r.welcome_coupon_terms()) {
    auto c = db_->prepare(
        "INSERT OR IGNORE INTO coupons(code, member_id, template_id, title, valid_from, "
        "valid_until, state) VALUES(?1, ?2, ?3, ?4, ?5, ?6, 1)");
    if (!c) return std::unexpected(c.error());
    c->bind(1, t.code()).bind(2, canonical).bind(3, t.template_id()).bind(4, t.title());
    c->bind(5, t.valid_from()).bind(6, t.valid_until());
    PMA_TRY(c->run());
  }
  for (const auto& code : r.welcome_coupons()) {  // an older agent's codes without terms
    auto c = db_->prepare(
        "INSERT OR IGNORE INTO coupons(code, member_id, template_id, state) "
        "VALUES(?1, ?2, 'welcome', 1)");
    if (!c) return std::unexpected(c.error());
    c->bind(1, code).bind(2, canonical);
    PMA_TRY(c->run());
  }
  pma::v1::IdMapping mapping;
  mapping.set_provisional_id(r.provisional_id());
  mapping.set_member_id(canonical);
  context.outcome.id_mappings.push_back(std::move(mapping));
  return touch(canonical);
}

Status SqliteSink::record_conflict(Context& context, const pma::v1::Delta& delta, std::string kind,
                                   const std::string& member_id, const std::string& code,
                                   std::string detail) {
  auto q = db_->prepare(
      "INSERT INTO conflicts(kind, member_id, coupon_code, store_id, terminal_id, seq, detail, "
      "at_ms) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  if (!q) return std::unexpected(q.error());
  q->bind(1, kind).bind(2, member_id).bind(3, code).bind(4, context.terminal.store_id);
  q->bind(5, context.terminal.terminal_id).bind(6, static_cast<std::int64_t>(delta.seq()));
  q->bind(7, detail).bind(8, context.now_ms);
  return q->run();
}

}  // namespace pma::hq
