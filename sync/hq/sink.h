// Where memberhq keeps the chain's state: applied deltas, members, coupons, conflicts, rule
// sets. A small interface so PostgreSQL can replace the embedded SQLite sink later.
// Implementations are used from one thread (the server's io_context); not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/tls.h"
#include "pma/error.h"
#include "pma/v1/sync.pb.h"

namespace pma::hq {

using net::TerminalIdentity;

struct ApplyOutcome {
  // Highest contiguous seq applied for the terminal after this batch.
  std::uint64_t highest_applied = 0;
  std::uint32_t applied = 0;
  std::uint32_t duplicates = 0;
  // Set when the batch skipped ahead: the client must resend from this seq.
  std::optional<std::uint64_t> gap_from;
  std::vector<pma::v1::IdMapping> id_mappings;
};

struct Conflict {
  std::int64_t id = 0;
  // "coupon_redeemed_twice", "coupon_revoked_redeemed", "points_overdrawn",
  // "erased_member_activity"; ids a till reused: "provisional_id_reused", "coupon_code_reused",
  // "txn_id_reused"; and a delta the terminal may not send, of which nothing was
  // applied (delta_checks.h, sqlite_sink_checks.cpp): "foreign_id" (a registration or welcome
  // coupon outside the terminal's own P-/W-<store>-<terminal>- prefix), "delta_out_of_range"
  // (a number beyond the rule set's TransactionLimits, or a balance HQ cannot add it to),
  // "points_earned_exceeds_rules", "points_adjustment_refused", "coupon_not_owner" (another
  // member's coupon, or another terminal's unknown welcome code), "refund_not_own_sale" (not
  // a sale this terminal sent, or for another member), "refund_exceeds_sale"; and reservations
  // refused as "coupon_not_owner" or "points_out_of_range" (seq 0)
  std::string kind;
  std::string member_id;
  std::string coupon_code;
  std::string store_id;
  std::string terminal_id;
  std::uint64_t seq = 0;
  std::string detail;
  std::int64_t at_ms = 0;
};

// One row of a member-base import (phone already hashed with the chain's key and masked).
struct ImportedMember {
  std::string member_id;
  std::string card_no;
  std::vector<std::uint8_t> phone_hash;
  std::string phone_masked;
  std::string name;
  std::string birthday;
  int tier = 1;
  std::int64_t points = 0;
};

struct MemberSnapshot {
  std::string member_id;
  std::int64_t points = 0;
  int tier = 1;
  std::uint64_t version = 0;
  bool erased = false;
};

// What `memberhq erase` did.
struct ErasureReport {
  std::string member_id;
  std::uint64_t version = 0;  // the version that carries the erasure downstream
  std::uint32_t coupons_revoked = 0;
  // Online-first holds released: checkouts reserved for the member (points and coupons), and
  // holds on its coupons (a till that reserved before the erasure gets nothing from them).
  std::uint32_t holds_released = 0;
  std::uint32_t coupon_holds_released = 0;
  bool already_erased = false;  // nothing changed
};

// One terminal HQ has seen or an operator has revoked.
struct TerminalInfo {
  std::string store_id;
  std::string terminal_id;
  std::uint64_t highest_seq = 0;
  // Last session attempt (admitted or refused), 0: never. The server notes it in memory and
  // writes it every ServerConfig::last_seen_flush, so another process sees it that late.
  std::int64_t last_seen_ms = 0;
  bool revoked = false;
  std::int64_t changed_at_ms = 0;  // last revoke or reinstate, 0: never
};

// The holds (each coupon, each points burn) one terminal may have in force at once: one
// certificate cannot keep the chain's coupons and points from their owners. An honest till
// has its last few seconds' checkouts in force (their deltas consume the holds).
inline constexpr std::uint64_t kMaxHoldsPerTerminal = 256;

class Sink {
 public:
  virtual ~Sink() = default;

  // Highest contiguous seq applied for the terminal (0 when none).
  virtual Result<std::uint64_t> highest_applied(const TerminalIdentity& terminal) = 0;

  // HQ's ids for those of `provisional_ids` the terminal itself registered (its own
  // "P-<store>-<terminal>-" prefix) and HQ has applied; others are left out.
  virtual Result<std::vector<pma::v1::IdMapping>> id_mappings(
      const TerminalIdentity& terminal, std::span<const std::string> provisional_ids) = 0;

  // Applies the batch in one transaction, each delta at most once (unique (store, terminal,
  // seq)): seqs at or below the watermark are counted as duplicates; a seq beyond
  // watermark + 1 stops the batch and sets gap_from. now_ms stamps conflicts.
  virtual Result<ApplyOutcome> apply_batch(const TerminalIdentity& terminal,
                                           const pma::v1::Batch& batch, std::int64_t now_ms) = 0;

  // Up to max_members members changed after cursor, in version order, with the terminal's
  // watermark, and the newest rule set when newer than rule_set_version. now_ms (UTC) places
  // the rolling 12-month spend window.
  virtual Result<pma::v1::MemberPage> member_page(const TerminalIdentity& terminal,
                                                  std::uint64_t cursor, std::uint32_t max_members,
                                                  std::int64_t rule_set_version,
                                                  std::int64_t now_ms) = 0;

  virtual Status put_rule_set(std::int64_t version, const std::string& rule_set) = 0;
  // Inserts or replaces members (one transaction per call). Returns how many were written.
  virtual Result<std::size_t> import_members(std::span<const ImportedMember> members) = 0;
  virtual Result<std::vector<Conflict>> conflicts() = 0;
  virtual Result<std::optional<MemberSnapshot>> member(const std::string& member_id) = 0;
  // How many deltas were applied for the terminal in total (for audits and tests).
  virtual Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) = 0;

  // Online-first reservation: holds the request's coupons and points burn for the terminal's
  // checkout txn_id until hold_until_ms, all or nothing (see ReserveReply in sync.proto); the
  // checkout's Delta consumes the hold when apply_batch applies it. Holds past their time are
  // ignored and purged. A terminal acts only for itself here too: refused (ReserveRefusal) are
  // a coupon HQ holds for another member than the request's ("coupon_not_owner", also for an
  // unknown welcome code under another terminal's W- prefix), points beyond the rule set's
  // max_points_per_transaction ("points_out_of_range"), both recorded as conflicts (seq 0), and
  // holds beyond kMaxHoldsPerTerminal ("hold_limit_reached").
  virtual Result<pma::v1::ReserveReply> reserve(const TerminalIdentity& terminal,
                                                const pma::v1::ReserveRequest& request,
                                                std::int64_t now_ms,
                                                std::int64_t hold_until_ms) = 0;
  // Drops the terminal's hold for txn_id if its id is hold_id (0: whatever its id); nothing when
  // there is none.
  virtual Status release(const TerminalIdentity& terminal, const std::string& txn_id,
                         std::uint64_t hold_id) = 0;
  // Holds still in force at now_ms (for audits and tests).
  virtual Result<std::uint64_t> active_holds(std::int64_t now_ms) = 0;

  // Administration (memberhq erase / terminal). Erases a member in one transaction: PII wiped,
  // issued coupons revoked, the member's online-first holds released, a new version so the
  // next page carries the erasure. Later deltas for the member change nothing and are recorded
  // as "erased_member_activity" conflicts; a late refund leaves the member's coupons revoked.
  // Errors: "member_not_found".
  virtual Result<ErasureReport> erase_member(const std::string& member_id) = 0;
  // Revokes (or reinstates) a terminal: its sessions are refused after the TLS handshake.
  // Returns whether HQ had heard of the terminal before (applied deltas or a session).
  virtual Result<bool> set_terminal_revoked(const TerminalIdentity& terminal, bool revoked,
                                            std::int64_t now_ms) = 0;
  // True when the terminal is revoked. A read only, so it never waits for another process's
  // write lock; the attempt at now_ms is noted in memory for flush_terminal_activity.
  virtual Result<bool> check_terminal(const TerminalIdentity& terminal, std::int64_t now_ms) = 0;
  // Writes the attempts noted since the last flush (last_seen_ms) in one transaction. Does not
  // wait for a lock another process holds: it fails ("sqlite_busy_deferred") and the attempts
  // stay noted for the next flush.
  virtual Status flush_terminal_activity() = 0;
  virtual Result<std::vector<TerminalInfo>> terminals() = 0;
};

}  // namespace pma::hq
