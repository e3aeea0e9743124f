// Administration: rule sets, member imports, erasure, terminal revocation and the checks the
// server makes of it (check_terminal, flush_terminal_activity), and audit reads. Used by the
// server and the memberhq commands, from one thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/net/tls.h"

namespace pma::hq {

using net::TerminalIdentity;

struct Conflict {
  std::int64_t id = 0;
  // "coupon_redeemed_twice", "coupon_revoked_redeemed", "points_overdrawn",
  // "erased_member_activity"; ids a till reused: "provisional_id_reused", "coupon_code_reused",
  // "txn_id_reused"; and a delta the terminal may not send, of which nothing was
  // applied (delta_checks.h, sqlite_batch_ingest_checks.cpp): "foreign_id" (a registration or
  // welcome coupon outside the terminal's own P-/W-<store>-<terminal>- prefix),
  // "delta_out_of_range" (a number beyond the rule set's TransactionLimits, or a balance HQ cannot
  // add it to), "points_earned_exceeds_rules", "points_adjustment_refused", "coupon_not_owner"
  // (another member's coupon, or another terminal's unknown welcome code), "refund_not_own_sale"
  // (not a sale this terminal sent, or for another member), "refund_exceeds_sale"; and reservations
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

class Administration {
 public:
  virtual ~Administration() = default;

  virtual Status put_rule_set(std::int64_t version, const std::string& rule_set) = 0;
  // Inserts or replaces members (one transaction per call). Returns how many were written.
  virtual Result<std::size_t> import_members(std::span<const ImportedMember> members) = 0;
  virtual Result<std::vector<Conflict>> conflicts() = 0;
  virtual Result<std::optional<MemberSnapshot>> member(const std::string& member_id) = 0;
  // How many deltas were applied for the terminal in total (for audits and tests).
  virtual Result<std::uint64_t> applied_count(const TerminalIdentity& terminal) = 0;

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
