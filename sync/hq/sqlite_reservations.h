// Reservations over SQLite (reservations.h): holds on coupons and points burns for a
// terminal's checkout, taken before the till commits; SqliteBatchIngest consumes them when the
// checkout's Delta is applied. Over a SqliteCore it does not own. Single-threaded (the server's
// io_context thread).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "sync/hq/reservations.h"
#include "sync/hq/sqlite_core.h"

namespace pma::hq {

class SqliteReservations final : public Reservations {
 public:
  explicit SqliteReservations(SqliteCore& core) : core_(core), db_(core.db()) {}

  Result<pma::v1::ReserveReply> reserve(const TerminalIdentity& terminal,
                                        const pma::v1::ReserveRequest& request, std::int64_t now_ms,
                                        std::int64_t hold_until_ms) override;
  Status release(const TerminalIdentity& terminal, const std::string& txn_id,
                 std::uint64_t hold_id) override;
  Result<std::uint64_t> active_holds(std::int64_t now_ms) override;

 private:
  // Whether the terminal's delta for txn_id is among its last applied ones (a reservation that
  // arrives after its checkout must not leave a hold nobody consumes).
  Result<bool> recently_applied(const TerminalIdentity& terminal, const std::string& txn_id);
  // The coupons and points burns the terminal has held at now_ms (at most kMaxHoldsPerTerminal).
  Result<std::uint64_t> holds_of(const TerminalIdentity& terminal, std::int64_t now_ms);
  // Points the member may burn for this terminal's request (invariant 2), and the points held
  // for other checkouts. Errors: "reserve_invalid" when the request's entries overflow int64.
  Result<std::pair<std::int64_t, std::int64_t>> points_available(
      const TerminalIdentity& terminal, const std::string& member_id, std::int64_t hq_points,
      const pma::v1::ReserveRequest& request, std::int64_t now_ms);

  SqliteCore& core_;
  sqlite::Database& db_;
};

}  // namespace pma::hq
