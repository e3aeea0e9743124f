// BatchIngest over SQLite (batch_ingest.h): each delta's identity, its authorisation (issue 11)
// and its apply, in one transaction per batch; a checkout consumes its online-first hold. Over a
// SqliteCore it does not own. Single-threaded (the server's io_context thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sync/hq/batch_ingest.h"
#include "sync/hq/delta_authorisation.h"
#include "sync/hq/delta_checks.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteBatchIngest final : public BatchIngest, private DeltaFacts {
 public:
  explicit SqliteBatchIngest(SqliteCore& core) : core_(core), db_(core.db()) {}

  Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) override;
  Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) override;
  Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                                   std::int64_t now_ms) override;

 private:
  // The batch being applied (sqlite_batch_ingest.cpp and the files beside it).
  struct Context {
    const TerminalIdentity& terminal;
    std::int64_t now_ms;
    ApplyOutcome& outcome;
  };
  Status apply_delta(Context& context, const pma::v1::Delta& delta);
  // SqliteCore::resolve at the applying delta's position (a disputed provisional id stays).
  Result<std::string> resolve(const std::string& member_id) override;
  // spend_fen (checkouts +, refunds -) goes to the member's bucket of the delta's month (a
  // refund's: the refunded purchase's month when the till says so). Nothing changes for
  // an erased member: an "erased_member_activity" conflict is recorded instead.
  Status add_points(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                    std::int64_t points, bool spends, std::int64_t spend_fen = 0);
  Status touch(const std::string& member_id);
  Status record_conflict(Context& context, const pma::v1::Delta& delta, std::string kind,
                         const std::string& member_id, const std::string& code, std::string detail);
  // Drops the holds of the batch's checkouts.
  Status consume_holds(const TerminalIdentity& terminal, const pma::v1::Batch& batch,
                       std::uint64_t from_seq, std::uint64_t through_seq);

  // Members and coupons (sqlite_batch_ingest_members.cpp).
  Status redeem(Context& context, const pma::v1::Delta& delta, const std::string& member_id,
                const std::string& code);
  Status restore_coupon(Context& context, const std::string& code, const std::string& txn);
  Status register_member(Context& context, const pma::v1::Delta& delta);
  // True when the registration must not be applied: its provisional id is mapped already
  // (the same person: the mapping is answered again; another: "provisional_id_reused"), or a
  // welcome code belongs to another member ("coupon_code_reused"). Changes nothing else.
  Result<bool> held_for_other(Context& context, const pma::v1::Delta& delta);
  // Spend: the member row holds one month's bucket (spend_month, spend_month_fen; normally the
  // newest), so a checkout costs no extra write; other months live in member_spend. Each fen
  // is stored in exactly one place, so the window's sum counts both.
  // add_points' slow path: false when the member is erased (nothing changed); otherwise applies
  // the points and files the spend under another month than the row's bucket.
  Result<bool> roll_spend_month(const std::string& member_id, std::int64_t points,
                                std::int64_t version, std::int64_t month, std::int64_t spend_fen);
  Status add_spend(const std::string& member_id, std::int64_t month, std::int64_t spend_fen);
  Status move_spend(const std::string& from_member_id, const std::string& to_member_id);

  // Delta identity (sqlite_batch_ingest_identity.cpp). fresh: its row in `deltas` is written
  // (its identity; a checkout's figures), apply it, then note_applied; duplicate: the terminal
  // sent this delta before under another seq (applied then); refused: the terminal's txn id (or
  // provisional id) names other contents now, a conflict is recorded and nothing changes.
  enum class Claim { fresh, duplicate, refused };
  Result<Claim> claim_identity(Context& context, const pma::v1::Delta& delta);
  // The delta's row; if_new: nothing when its identity has a row (then: duplicate).
  Result<Claim> insert_row(Context& context, const pma::v1::Delta& delta, bool if_new);
  // After the checks and the apply: a refused checkout's figures become zero; an applied
  // refund's figures are added to its sale's.
  Status note_applied(Context& context, const pma::v1::Delta& delta, bool refused);
  // A provisional id the terminal reused for another person from from_seq on: its deltas from
  // then on never resolve to the id's first holder, and HQ no longer maps it for the terminal.
  Status dispute(Context& context, const std::string& provisional_id, std::uint64_t from_seq);

  // The facts authorise_delta (delta_authorisation.h) asks for (sqlite_batch_ingest_checks.cpp).
  Result<std::optional<std::string>> coupon_owner(const std::string& code) override;
  Result<std::optional<Sale>> find_sale(const TerminalIdentity& terminal,
                                        const std::string& txn_id) override;
  Result<const pma::v1::RuleSet*> rules_at(std::int64_t version) override {
    return core_.rules_at(version);
  }
  const Limits& limits() const override { return core_.limits(); }

  // The delta apply_batch is applying (set by claim_identity), for resolve() and note_applied.
  struct Applying {
    std::string store_id;
    std::string terminal_id;
    std::uint64_t seq = 0;
    std::int64_t kind = 0;
    std::int64_t digest = 0;
  };
  Applying applying_;
  SqliteCore& core_;
  sqlite::Database& db_;
};

}  // namespace pma::hq
