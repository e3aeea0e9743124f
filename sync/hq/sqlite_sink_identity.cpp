// SqliteSink: each delta's identity (terminal, txn id, kind), so a delta a till sends again
// under a new seq (after a lost ack, a restore or a reinstall renumbered its outbox) is counted
// as a duplicate instead of being applied twice; and provisional ids a till reuses for another
// person (an agent before install ids, after an offline reinstall), which HQ refuses.
#include <fmt/format.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <algorithm>
#include <optional>
#include <string_view>

#include "hq/sqlite_sink.h"

namespace pma::hq {

namespace {

// What kind of delta it is, as stored (0: unknown, rows carried over from before this table).
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

Status SqliteSink::open_identity_schema() {
  // members.profile: 1 once HQ has the member's card, phone, name and birthday (an import, a
  // registration); 0 for a row that exists only because a till booked points for the id. A
  // database from before the column: rows with any of those fields count as known.
  auto column = db_->prepare(
      "SELECT COUNT(*) FROM pragma_table_info('members') WHERE name = "
      "'profile'");
  if (!column) return std::unexpected(column.error());
  PMA_TRY(column->step());
  const bool has_profile = column->int64(0) != 0;
  PMA_TRY(column->run());
  if (!has_profile) {
    PMA_TRY(db_->exec(
        "BEGIN IMMEDIATE; ALTER TABLE members ADD COLUMN profile INTEGER NOT NULL DEFAULT 0; "
        "UPDATE members SET profile = 1 WHERE card_no IS NOT NULL OR phone_hash IS NOT NULL OR "
        "phone_masked <> '' OR name <> '' OR birthday <> ''; COMMIT"));
  }
  auto exists = db_->prepare("SELECT COUNT(*) FROM sqlite_schema WHERE name = 'applied_txns'");
  if (!exists) return std::unexpected(exists.error());
  PMA_TRY(exists->step());
  const bool present = exists->int64(0) != 0;
  PMA_TRY(exists->run());
  if (present) return {};
  // One transaction: the table, and the txn ids applied before it existed (kind 0, digest
  // NULL: their kind and content were not kept, so a delta naming one is taken as sent again).
  PMA_TRY(db_->exec("BEGIN IMMEDIATE"));
  auto created = db_->exec(
      "CREATE TABLE IF NOT EXISTS applied_txns("
      "store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, txn_id TEXT NOT NULL, "
      "kind INTEGER NOT NULL, digest INTEGER, seq INTEGER NOT NULL, "
      "PRIMARY KEY(store_id, terminal_id, txn_id, kind)) WITHOUT ROWID;"
      "INSERT OR IGNORE INTO applied_txns(store_id, terminal_id, txn_id, kind, digest, seq) "
      "SELECT store_id, terminal_id, txn_id, 0, NULL, MIN(seq) FROM applied WHERE txn_id <> '' "
      "GROUP BY store_id, terminal_id, txn_id;"
      "CREATE TABLE IF NOT EXISTS disputed_ids("
      "provisional_id TEXT NOT NULL, store_id TEXT NOT NULL, terminal_id TEXT NOT NULL, "
      "from_seq INTEGER NOT NULL, PRIMARY KEY(provisional_id, store_id, terminal_id)) "
      "WITHOUT ROWID;");
  if (!created) {
    (void)db_->exec("ROLLBACK");
    return created;
  }
  return db_->exec("COMMIT");
}

Result<SqliteSink::Claim> SqliteSink::claim_identity(Context& context,
                                                     const pma::v1::Delta& delta) {
  applying_ = {context.terminal.store_id, context.terminal.terminal_id, delta.seq()};
  if (delta.txn_id().empty()) return Claim::fresh;  // nothing to recognise it by
  const std::int64_t kind = kind_of(delta);
  const std::int64_t digest = content_digest(delta);
  // The delta's own kind first, then 0 (a txn applied before identities were kept); for a
  // delta of unknown kind (-1) 0 comes first. Two point lookups: "kind IN (?4, 0)" made SQLite
  // build an ephemeral table for the list on every delta (a fifth of HQ's ingest CPU).
  struct Stored {
    std::int64_t kind;
    bool unknown;
    std::int64_t digest;
    std::int64_t first_seq;
  };
  std::optional<Stored> stored;
  for (const std::int64_t k : {std::max<std::int64_t>(kind, 0), std::min<std::int64_t>(kind, 0)}) {
    auto q = db_->prepare(
        "SELECT digest, seq FROM applied_txns WHERE store_id = ?1 AND terminal_id = ?2 AND "
        "txn_id = ?3 AND kind = ?4");
    if (!q) return std::unexpected(q.error());
    q->bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
    q->bind(3, delta.txn_id()).bind(4, k);
    auto row = q->step();
    if (!row) return std::unexpected(row.error());
    if (*row) {
      const bool unknown = q->is_null(0);
      stored = Stored{k, unknown, unknown ? 0 : q->int64(0), q->int64(1)};
    }
    PMA_TRY(q->run());
    if (stored || kind == 0) break;
  }
  if (stored) {
    const std::int64_t stored_kind = stored->kind;
    const bool unknown = stored->unknown;
    const std::int64_t stored_digest = stored->digest;
    const std::int64_t first_seq = stored->first_seq;
    if (stored_kind != 0 && !unknown && stored_digest == digest) return Claim::duplicate;
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
    // the member the provisional id maps to.
  }
  auto insert = db_->prepare(
      "INSERT OR REPLACE INTO applied_txns(store_id, terminal_id, txn_id, kind, digest, seq) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  if (!insert) return std::unexpected(insert.error());
  insert->bind(1, context.terminal.store_id).bind(2, context.terminal.terminal_id);
  insert->bind(3, delta.txn_id()).bind(4, kind).bind(5, digest);
  insert->bind(6, static_cast<std::int64_t>(delta.seq()));
  PMA_TRY(insert->run());
  return Claim::fresh;
}

Status SqliteSink::dispute(Context& context, const std::string& provisional_id,
                           std::uint64_t from_seq) {
  auto q = db_->prepare(
      "INSERT OR IGNORE INTO disputed_ids(provisional_id, store_id, terminal_id, from_seq) "
      "VALUES(?1, ?2, ?3, ?4)");
  if (!q) return std::unexpected(q.error());
  q->bind(1, provisional_id).bind(2, context.terminal.store_id);
  q->bind(3, context.terminal.terminal_id).bind(4, static_cast<std::int64_t>(from_seq));
  return q->run();
}

Result<bool> SqliteSink::disputed(const std::string& provisional_id, const std::string& store_id,
                                  const std::string& terminal_id, std::uint64_t seq) {
  auto q = db_->prepare(
      "SELECT 1 FROM disputed_ids WHERE provisional_id = ?1 AND store_id = ?2 AND "
      "terminal_id = ?3 AND from_seq <= ?4");
  if (!q) return std::unexpected(q.error());
  q->bind(1, provisional_id).bind(2, store_id).bind(3, terminal_id);
  q->bind(4, static_cast<std::int64_t>(seq));
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  return *row;
}

}  // namespace pma::hq

namespace pma::hq {

Result<bool> SqliteSink::held_for_other(Context& context, const pma::v1::Delta& delta) {
  const auto& r = delta.member_registered();
  auto q = db_->prepare(
      "SELECT p.member_id, m.phone_hash FROM provisional_ids p LEFT JOIN members m ON "
      "m.member_id = p.member_id WHERE p.provisional_id = ?1");
  if (!q) return std::unexpected(q.error());
  q->bind(1, r.provisional_id());
  auto row = q->step();
  if (!row) return std::unexpected(row.error());
  if (*row) {
    const std::string canonical = q->text(0);
    const auto hash = q->blob(1);
    PMA_TRY(q->run());
    const bool same_person =
        !r.phone_hash().empty() && std::string(hash.begin(), hash.end()) == r.phone_hash();
    if (same_person) {
      pma::v1::IdMapping& mapping = context.outcome.id_mappings.emplace_back();
      mapping.set_provisional_id(r.provisional_id());
      mapping.set_member_id(canonical);
      return true;
    }
    PMA_TRY(record_conflict(context, delta, "provisional_id_reused", r.provisional_id(), "",
                            fmt::format("{} already names member {}; the registration at seq {} "
                                        "(another phone) changed nothing",
                                        r.provisional_id(), canonical, delta.seq())));
    PMA_TRY(dispute(context, r.provisional_id(), delta.seq()));
    return true;
  }
  PMA_TRY(q->run());
  std::vector<std::string> codes(r.welcome_coupons().begin(), r.welcome_coupons().end());
  for (const auto& t : r.welcome_coupon_terms()) codes.push_back(t.code());
  for (const auto& code : codes) {
    auto c = db_->prepare("SELECT COALESCE(member_id, '') FROM coupons WHERE code = ?1");
    if (!c) return std::unexpected(c.error());
    c->bind(1, code);
    auto found = c->step();
    if (!found) return std::unexpected(found.error());
    if (!*found) continue;
    const std::string holder = c->text(0);
    PMA_TRY(c->run());
    if (holder == r.provisional_id()) continue;
    PMA_TRY(record_conflict(context, delta, "coupon_code_reused", r.provisional_id(), code,
                            fmt::format("welcome code {} already belongs to member {}; the "
                                        "registration of {} changed nothing",
                                        code, holder, r.provisional_id())));
    return true;
  }
  return false;
}

}  // namespace pma::hq
