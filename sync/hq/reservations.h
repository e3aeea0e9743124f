// Online-first reservations: holds of coupons and points burns for a checkout about to commit
// (the server's reserve and release frames). Used from one thread; not thread-safe.
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

// The holds (each coupon, each points burn) one terminal may have in force at once: one
// certificate cannot keep the chain's coupons and points from their owners. An honest till
// has its last few seconds' checkouts in force (their deltas consume the holds).
inline constexpr std::uint64_t kMaxHoldsPerTerminal = 256;

class Reservations {
 public:
  virtual ~Reservations() = default;

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
};

}  // namespace pma::hq
