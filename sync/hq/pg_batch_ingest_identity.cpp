// PgBatchIngest: each delta's identity (terminal, txn id, kind), so a delta a till sends
// again under a new seq (after a lost ack, a restore or a reinstall renumbered its outbox) is
// counted as a duplicate instead of being applied twice; and provisional ids a till reuses for
// another person (an agent before install ids, after an offline reinstall), which HQ refuses.
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "pma/calendar.h"
#include "sync/hq/pg_batch_ingest.h"

namespace pma::hq {

namespace {

// What kind of delta it is, as stored (-1: a newer agent's; 0 is only ever carried over from
// before kinds were kept).
std::int64_t kind_of(const pma::v1::Delta& delta) {
  return delta.body_case() == pma::v1::Delta::BODY_NOT_SET ? -1
                                                           : static_cast<int>(delta.body_case());
}

std::string_view kind_name(const pma::v1::Delta& delta) {
  switch (delta.body_case()) {
    case pma::v1::Delta::kCheckout:
      return "checkout";
    case pma::v1::Delta::kRefund:
      return "refund";
    case pma::v1::Delta::kMemberRegistered:
      return "member_registered";
    case pma::v1::Delta::kCouponRedeemed:
      return "coupon_redeemed";
    case pma::v1::Delta::kPointsAdjusted:
      return "points_adjusted";
    case pma::v1::Delta::BODY_NOT_SET:
      break;
  }
  return "unknown";
}

// FNV-1a over the delta's deterministic encoding without its seq: the same delta sent again
// under another seq has the same digest; another delta under the same txn id has not. Not a
// defence against a till forging collisions: a terminal only ever harms its own deltas.
std::int64_t content_digest(const pma::v1::Delta& delta) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream raw(&bytes);
    google::protobuf::io::CodedOutputStream out(&raw);
    out.SetSerializationDeterministic(true);
    delta.SerializeToCodedStream(&out);
  }
  // Deterministic encoding writes fields in number order, so seq (field 1, a varint) comes
  // first when set: skipping its bytes gives the encoding of the delta without it, the same
  // digest as stored so far, without copying the delta.
  std::string_view body = bytes;
  if (delta.seq() != 0) {
    body.remove_prefix(1 + google::protobuf::io::CodedOutputStream::VarintSize64(delta.seq()));
  }
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(h);
}

}  // namespace

Result<PgBatchIngest::Claim> PgBatchIngest::claim_identity(Context& context,
                                                           const pma::v1::Delta& delta) {
  const std::int64_t kind = kind_of(delta);
  applying_ = {context.terminal.store_id, context.terminal.terminal_id, delta.seq(), kind, 0};
  // Nothing to recognise it by: its row is keyed by its seq, which the watermark makes new.
  if (delta.txn_id().empty()) return insert_row(context, delta, false);
  applying_.digest = content_digest(delta);
  // Always looked up first (unlike the SQLite sink, whose insert is the lookup): the ledger is
  // partitioned by the delta's month, so its key catches the same delta sent again but not a
  // txn id reused with other contents in another month; the lookup spans every partition.
  // The delta's own kind first, then 0 (a txn applied before identities were kept) if the
  // database holds any; for a delta of unknown kind (-1) 0 comes first.
  struct Stored {
    std::int64_t kind;
    bool unknown;
    std::int64_t digest;
    std::int64_t first_seq;
  };
  std::optional<Stored> stored;
  for (const std::int64_t k : {std::max<std::int64_t>(kind, 0), std::min<std::int64_t>(kind, 0)}) {
    if (k == 0 && !core_.kind0_identities()) continue;
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare("SELECT digest, seq FROM deltas WHERE store_id = $1 AND terminal_id = $2 AND "
                    "txn_id = $3 AND kind = $4 AND unkeyed_seq = 0"));
    q.bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
    q.bind(3, delta.txn_id()).bind(4, k);
    PMA_TRY_ASSIGN(auto row, q.step());
    if (row) {
      const bool unknown = q.column_is_null(0);
      stored = Stored{k, unknown, unknown ? 0 : q.column_int64(0), q.column_int64(1)};
    }
    PMA_TRY(q.run());
    if (stored) break;
  }
  if (stored) {
    const std::int64_t stored_kind = stored->kind;
    const bool unknown = stored->unknown;
    const std::int64_t stored_digest = stored->digest;
    const std::int64_t first_seq = stored->first_seq;
    if (stored_kind != 0 && !unknown && stored_digest == applying_.digest) {
      return Claim::duplicate;
    }
    if (stored_kind == 0 && !delta.has_member_registered()) return Claim::duplicate;
    if (stored_kind != 0) {
      // The terminal's txn id names something else now: a reinstalled or restored till that
      // minted it again. Nothing changes; the operator sees both.
      const bool registration = delta.has_member_registered();
      PMA_TRY(record_conflict(
          context, delta, registration ? "provisional_id_reused" : "txn_id_reused",
          registration ? delta.txn_id() : std::string(), "",
          fmt::format("{} {} was applied at seq {} with other contents; seq {} changed nothing",
                      kind_name(delta), delta.txn_id(), first_seq, delta.seq())));
      if (registration) PMA_TRY(dispute(context, delta.txn_id(), delta.seq()));
      return Claim::refused;
    }
    // A registration applied before identities were kept: register_member compares it with
    // the member the provisional id maps to (its own row joins the kind 0 one).
  }
  return insert_row(context, delta, false);
}

Result<PgBatchIngest::Claim> PgBatchIngest::insert_row(Context& context,
                                                       const pma::v1::Delta& delta, bool if_new) {
  // The key is exactly-once's last line of defence: unless if_new (then a row already holding
  // the identity leaves it alone, and the caller reads that row), a second row for one
  // identity fails the batch.
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare(
          if_new
              ? std::string_view(
                    "INSERT INTO deltas(store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, "
                    "digest, applied_at, member_id, paid_fen, points_earned, points_burned, month) "
                    "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT "
                    "DO NOTHING")
              : std::string_view(
                    "INSERT INTO deltas(store_id, terminal_id, txn_id, kind, unkeyed_seq, seq, "
                    "digest, applied_at, member_id, paid_fen, points_earned, points_burned, month) "
                    "VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")));
  const bool keyed = !delta.txn_id().empty();
  const auto seq = static_cast<std::int64_t>(delta.seq());
  q.bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
  q.bind(3, delta.txn_id()).bind(4, applying_.kind).bind(5, keyed ? 0 : seq).bind(6, seq);
  if (keyed) {
    q.bind(7, applying_.digest);
  } else {
    q.bind(7, nullptr);
  }
  q.bind(8, context.now_ms);
  if (delta.has_checkout()) {  // what a refund may take back (note_applied: 0 if refused)
    const auto& c = delta.checkout();
    q.bind(9, c.member_id()).bind(10, c.paid_fen());
    q.bind(11, c.points_earned()).bind(12, c.points_burned());
  }  // other kinds: NULL figures (unbound parameters are NULL)
  // The partition: the month of the delta's own time, a function of its contents.
  q.bind(13, utc_month_index(delta.occurred_at_ms()));
  PMA_TRY(q.run());
  return if_new && db_.changes() == 0 ? Claim::duplicate : Claim::fresh;
}

Status PgBatchIngest::note_applied(Context& context, const pma::v1::Delta& delta, bool refused) {
  if (refused) {
    if (!delta.has_checkout()) return {};
    // A refused checkout changed nothing: a refund of it can take nothing back.
    PMA_TRY_ASSIGN(
        auto q,
        db_.prepare("UPDATE deltas SET paid_fen = 0, points_earned = 0, points_burned = 0 WHERE "
                    "store_id = $1 AND terminal_id = $2 AND txn_id = $3 AND kind = $4 AND "
                    "unkeyed_seq = $5"));
    q.bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
    q.bind(3, delta.txn_id()).bind(4, applying_.kind);
    q.bind(5, delta.txn_id().empty() ? static_cast<std::int64_t>(delta.seq()) : 0);
    return q.run();
  }
  if (!delta.has_refund() || delta.refund().member_id().empty()) return {};
  const auto& r = delta.refund();
  PMA_TRY_ASSIGN(auto sale, find_sale(context.terminal, r.original_txn_id()));
  if (!sale || !sale->figures_known) return {};  // a sale from before HQ kept sales
  // Bounded by check_refund (each sum stays within the sale's own, capped, numbers).
  PMA_TRY_ASSIGN(
      auto u,
      db_.prepare(
          "UPDATE deltas SET refunded_fen = refunded_fen + $5, points_reversed = points_reversed + "
          "$6, points_restored = points_restored + $7 WHERE store_id = $1 AND terminal_id = $2 AND "
          "txn_id = $3 AND kind = $4 AND unkeyed_seq = 0"));
  u.bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
  u.bind(3, r.original_txn_id()).bind(4, sale->kind);
  u.bind(5, r.refunded_fen()).bind(6, r.points_reversed()).bind(7, r.points_restored());
  return u.run();
}

Status PgBatchIngest::dispute(Context& context, const std::string& provisional_id,
                              std::uint64_t from_seq) {
  PMA_TRY_ASSIGN(
      auto q,
      db_.prepare("INSERT INTO disputed_ids(provisional_id, store_id, terminal_id, from_seq) "
                  "VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING"));
  q.bind(1, provisional_id).bind(2, context.terminal.store_id);
  q.bind(3, context.terminal.terminal_id).bind(4, static_cast<std::int64_t>(from_seq));
  return q.run();
}

}  // namespace pma::hq
