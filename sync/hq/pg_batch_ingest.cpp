// PgBatchIngest: the batch transaction, each delta's apply, points and conflicts, and the
// holds a batch's checkouts consume.
#include "sync/hq/pg_batch_ingest.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "pma/calendar.h"
#include "pma/limits.h"
#include "sync/wire/messages.h"

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

Result<std::uint64_t> PgBatchIngest::highest_applied(const TerminalIdentity& terminal) {
  return core_.highest_applied(terminal);
}

Result<std::vector<pma::v1::IdMapping>> PgBatchIngest::id_mappings(
    const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) {
  const std::string own = fmt::format("P-{}-{}-", terminal.store_id, terminal.terminal_id);
  std::vector<pma::v1::IdMapping> found;
  for (const std::string& id :
       provisional_ids.first(std::min(provisional_ids.size(), wire::kMaxUnmappedIds))) {
    if (!id.starts_with(own)) continue;  // another terminal's registration is not ours to tell
    // Reused by this terminal for another person: mapping it would merge the two.
    PMA_TRY_ASSIGN(auto reused, core_.disputed(id, terminal.store_id, terminal.terminal_id,
                                               std::numeric_limits<std::int64_t>::max()));
    if (reused) continue;
    PMA_TRY_ASSIGN(auto q,
                   db_.prepare("SELECT member_id FROM provisional_ids WHERE provisional_id = $1"));
    q.bind(1, id);
    PMA_TRY_ASSIGN(auto row, q.step());
    if (row) {
      pma::v1::IdMapping& m = found.emplace_back();
      m.set_provisional_id(id);
      m.set_member_id(q.column_text(0));
    }
  }
  return found;
}

Result<ApplyOutcome> PgBatchIngest::apply_batch(const TerminalIdentity& terminal,
                                                const pma::v1::Batch& batch, std::int64_t now_ms) {
  // Exactly-once across nodes: one node at a time applies a terminal's batches (a session-level
  // advisory lock, taken before the transaction so its snapshot is taken after the previous
  // holder committed), and the ledger's unique identity key behind it. A node that dies holding
  // it releases it with its connection.
  const std::string key = fmt::format("terminal:{}:{}/{}", terminal.store_id.size(),
                                      terminal.store_id, terminal.terminal_id);
  PMA_TRY(pg::run(db_, "SELECT pg_advisory_lock(hashtextextended($1, 0))", key));
  struct Unlock {
    pg::Connection& db;
    const std::string& key;
    ~Unlock() { (void)pg::run(db, "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); }
  } unlock{db_, key};
  return core_.with_retries([&] { return apply_once(terminal, batch, now_ms); });
}

Result<ApplyOutcome> PgBatchIngest::apply_once(const TerminalIdentity& terminal,
                                               const pma::v1::Batch& batch, std::int64_t now_ms) {
  PMA_TRY_ASSIGN(auto tx, core_.begin());
  PMA_TRY_ASSIGN(auto highest, highest_applied(terminal));
  ApplyOutcome outcome{.highest_applied = highest};
  Context context{terminal, now_ms, outcome};
  struct ClearApplying {
    Applying& applying;
    ~ClearApplying() { applying = {}; }
  } clear_applying{applying_};
  PMA_TRY(core_.refresh_rules());
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
    PMA_TRY_ASSIGN(auto claim, claim_identity(context, delta));
    if (claim != Claim::fresh) {
      outcome.highest_applied = delta.seq();
      ++(claim == Claim::duplicate ? outcome.duplicates : outcome.applied);
      continue;
    }
    // A delta the terminal may not send is recorded and skipped: applied (the watermark moves
    // on, so the honest rest of the outbox is not stuck) with nothing of it changed.
    auto refusal = authorise_delta(terminal, delta, *this);
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
      return fail(ok.error().code,
                  fmt::format("applying {}/{} seq {}: {}", terminal.store_id, terminal.terminal_id,
                              delta.seq(), ok.error().message));
    }
    outcome.highest_applied = delta.seq();
    ++outcome.applied;
  }
  PMA_TRY(consume_holds(terminal, batch, highest + 1, outcome.highest_applied));
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT INTO terminals(store_id, terminal_id, highest_seq) VALUES($1, $2, $3) "
          "ON CONFLICT(store_id, terminal_id) DO UPDATE SET highest_seq = excluded.highest_seq"));
  q.bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  q.bind(3, static_cast<std::int64_t>(outcome.highest_applied));
  PMA_TRY(q.run());
  PMA_TRY(core_.commit(tx));
  return outcome;
}

Status PgBatchIngest::apply_delta(Context& context, const pma::v1::Delta& delta) {
  using pma::v1::Delta;
  switch (delta.body_case()) {
    case Delta::kCheckout: {
      const auto& c = delta.checkout();
      if (c.member_id().empty()) return {};
      PMA_TRY_ASSIGN(auto member, resolve(c.member_id()));
      for (const auto& code : c.coupon_codes()) PMA_TRY(redeem(context, delta, member, code));
      return add_points(context, delta, member, c.points_earned() - c.points_burned(),
                        c.points_burned() > 0, c.paid_fen());
    }
    case Delta::kRefund: {
      const auto& r = delta.refund();
      if (r.member_id().empty()) return {};
      PMA_TRY_ASSIGN(auto member, resolve(r.member_id()));
      for (const auto& code : r.coupons_restored()) {
        PMA_TRY(restore_coupon(context, code, r.original_txn_id()));
      }
      return add_points(context, delta, member, r.points_restored() - r.points_reversed(),
                        r.points_reversed() > 0, -r.refunded_fen());
    }
    case Delta::kMemberRegistered:
      return register_member(context, delta);
    case Delta::kCouponRedeemed: {
      PMA_TRY_ASSIGN(auto member, resolve(delta.coupon_redeemed().member_id()));
      return redeem(context, delta, member, delta.coupon_redeemed().code());
    }
    case Delta::kPointsAdjusted: {
      const auto& p = delta.points_adjusted();
      PMA_TRY_ASSIGN(auto member, resolve(p.member_id()));
      return add_points(context, delta, member, p.points(), p.points() < 0);
    }
    case Delta::BODY_NOT_SET:
      return {};  // a newer agent's delta kind: recorded as applied, nothing to do here
  }
  return {};
}

Result<std::string> PgBatchIngest::resolve(const std::string& member_id) {
  if (!member_id.starts_with("P-")) return member_id;  // canonical: no lookup, no copies
  // From a provisional id's reuse on (disputed), its deltas are that other person's, never
  // the first holder's: the applying delta's position decides.
  return core_.resolve(member_id, {applying_.store_id, applying_.terminal_id, applying_.seq});
}

Status PgBatchIngest::add_points(Context& context, const pma::v1::Delta& delta,
                                 const std::string& member_id, std::int64_t points, bool spends,
                                 std::int64_t spend_fen) {
  // Only a spend needs the balance, so only a spend reads it back. The spend goes to the row's
  // bucket in the same statement (an empty bucket takes the delta's month); when that is not
  // possible (a bucket of another month) or the member is erased, nothing changes and
  // roll_spend_month takes over.
  const std::int64_t version = core_.pending(member_id);
  const std::int64_t month = utc_month_index(spend_time_ms(delta));
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT INTO members(member_id, points, version, spend_month, spend_month_fen) "
          "VALUES($1, $2, $3, $4, $5) ON CONFLICT(member_id) DO UPDATE SET "
          "points = members.points + excluded.points, version = excluded.version, "
          "spend_month = CASE WHEN members.spend_month_fen = 0 THEN excluded.spend_month ELSE "
          "members.spend_month END, "
          "spend_month_fen = members.spend_month_fen + excluded.spend_month_fen WHERE "
          "members.erased = 0 AND (excluded.spend_month_fen = 0 OR members.spend_month = "
          "excluded.spend_month OR members.spend_month_fen = 0) AND "
          "abs(members.points::numeric + excluded.points) <= $6"));
  q.bind(1, member_id).bind(2, points).bind(3, version).bind(4, month).bind(5, spend_fen);
  q.bind(6, kMaxBalancePoints);
  PMA_TRY(q.run());
  if (db_.changes() == 0) {
    // Each delta's points are capped, but an imported balance is not: a sum past
    // kMaxBalancePoints changes nothing and is recorded.
    PMA_TRY_ASSIGN(auto read, db_.prepare("SELECT points FROM members WHERE member_id = $1"));
    read.bind(1, member_id);
    PMA_TRY(read.step());
    auto sum = checked_add(read.column_int64(0), points);
    PMA_TRY(read.run());
    if (!sum || *sum > kMaxBalancePoints || *sum < -kMaxBalancePoints) {
      return record_conflict(context, delta, "delta_out_of_range", member_id, "",
                             fmt::format("txn {}: {} points would take the balance past {}",
                                         delta.txn_id(), points, kMaxBalancePoints));
    }
    PMA_TRY_ASSIGN(auto applied, roll_spend_month(member_id, points, version, month, spend_fen));
    if (!applied) {
      return record_conflict(context, delta, "erased_member_activity", member_id, "",
                             fmt::format("txn {} for an erased member ignored ({} points, {} fen)",
                                         delta.txn_id(), points, spend_fen));
    }
  }
  if (!spends) return {};
  PMA_TRY_ASSIGN(auto read, db_.prepare("SELECT points FROM members WHERE member_id = $1"));
  read.bind(1, member_id);
  PMA_TRY_ASSIGN(auto row, read.step());
  std::int64_t balance = row ? read.column_int64(0) : 0;
  PMA_TRY(read.run());
  if (balance < 0) {
    return record_conflict(context, delta, "points_overdrawn", member_id, "",
                           fmt::format("balance {} after txn {}", balance, delta.txn_id()));
  }
  return {};
}

Status PgBatchIngest::touch(const std::string& member_id) {
  PMA_TRY_ASSIGN(auto q, db_.prepare("UPDATE members SET version = $2 WHERE member_id = $1"));
  q.bind(1, member_id).bind(2, core_.pending(member_id));
  return q.run();
}

Status PgBatchIngest::record_conflict(Context& context, const pma::v1::Delta& delta,
                                      std::string kind, const std::string& member_id,
                                      const std::string& code, std::string detail) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          "INSERT INTO conflicts(kind, member_id, coupon_code, store_id, terminal_id, seq, detail, "
          "at_ms) VALUES($1, $2, $3, $4, $5, $6, $7, $8)"));
  q.bind(1, kind).bind(2, member_id).bind(3, code).bind(4, context.terminal.store_id);
  q.bind(5, context.terminal.terminal_id).bind(6, static_cast<std::int64_t>(delta.seq()));
  q.bind(7, detail).bind(8, context.now_ms);
  return q.run();
}

Status PgBatchIngest::consume_holds(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                                    std::uint64_t from_seq, std::uint64_t through_seq) {
  if (through_seq < from_seq) return {};
  // One probe per batch keeps ingest cheap when the terminal holds nothing (the usual case).
  auto any =
      db_.prepare("SELECT EXISTS(SELECT 1 FROM holds WHERE store_id = $1 AND terminal_id = $2)");
  if (!any) return std::unexpected(any.error());
  any->bind(1, terminal.store_id).bind(2, terminal.terminal_id);
  PMA_TRY_ASSIGN(auto row, any->step());
  bool holding = row && any->column_int64(0) != 0;
  PMA_TRY(any->run());
  if (!holding) return {};
  for (const auto& delta : batch.deltas()) {
    if (delta.seq() < from_seq || delta.seq() > through_seq) continue;
    if (delta.body_case() != pma::v1::Delta::kCheckout) continue;
    PMA_TRY(core_.drop_hold(terminal, delta.txn_id()));
  }
  return {};
}

}  // namespace pma::hq
