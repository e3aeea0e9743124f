// Reservations: how an online-first checkout asks HQ to hold its coupons and points burn before
// the till commits it, and the typed outcome it gets back (granted, refused with HQ's reasons,
// or unanswered). sync::Reserver implements it over TLS; agent/checkout uses it (agent -> sync),
// so control flow never compares error strings to tell the three apart.
// Implementations live on one io_context thread and are called from it only.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <variant>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"

namespace pma::sync {

// HQ holds everything asked for; the checkout's delta consumes the hold when it reaches HQ.
struct ReserveGranted {
  pma::v1::ReserveReply reply;  // reply.granted() is true; reply.hold_id() names the hold
};

// HQ refused (all or nothing: nothing is held). reply.refusals() holds HQ's reasons, usually
// at least one; the checkout is refused with them.
struct ReserveRefused {
  pma::v1::ReserveReply reply;
};

// HQ did not decide (timeout, connection or TLS failure, busy, not tried, an error frame): the
// checkout proceeds under the offline rules.
struct ReserveUnanswered {
  // Why, for logs and tests: "hq_timeout", "connect", "tls_handshake", "tls_refused",
  // "hq_busy", "hq_skipped", "io_*", "frame_*", "protocol*" or HQ's own error code.
  Error cause;
  // The request may have reached HQ (a frame was written), so HQ may hold something for this
  // txn: a commit that then fails releases it with hold id 0 ("whatever hold there is").
  bool may_hold = false;
};

using ReserveOutcome = std::variant<ReserveGranted, ReserveRefused, ReserveUnanswered>;

class Reservations {
 public:
  virtual ~Reservations() = default;

  // HQ's decision on `request` within the implementation's budget; never throws, never fails
  // otherwise (every failure is ReserveUnanswered).
  virtual boost::asio::awaitable<ReserveOutcome> reserve(pma::v1::ReserveRequest request) = 0;

  // Drops a hold whose checkout was not committed: hold_id from ReserveGranted, or 0 after a
  // ReserveUnanswered with may_hold. Best effort, in the background: a hold HQ never hears
  // about lapses at HQ.
  virtual void release(std::string txn_id, std::uint64_t hold_id) = 0;
};

}  // namespace pma::sync
