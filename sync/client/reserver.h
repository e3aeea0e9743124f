// Online-first reservations: asks memberhq, within a short budget (300 ms by default), to hold
// a checkout's coupons and points burn before the till commits it. Keeps one idle TLS
// connection for reuse (closed after idle_close, long before HQ's own idle timeout). When HQ does
// not answer in time the caller falls back to the offline rules; after such a failure the Reserver
// does not try again for retry_pause, so a till with HQ down does not wait on every checkout;
// nor while the SyncClient it is linked to says HQ refuses this terminal (terminal_revoked).
// Implements Reservations (client/reservations.h) for agent/checkout.
// Lives on one io_context thread, which must outlive it (and so must the linked SyncClient).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "pma/error.h"
#include "pma/v1/sync.pb.h"
#include "sync/client/reservations.h"
#include "sync/client/sync_client.h"

namespace pma::sync {

struct ReserverConfig {
  std::chrono::milliseconds budget{300};  // [sync] reserve_timeout_ms
  // Kept short: an open connection takes one of memberhq's max_sessions slots.
  std::chrono::milliseconds idle_close{2000};
  std::chrono::milliseconds retry_pause{10000};  // no attempt for this long after a failure
};

struct ReserverStats {
  std::uint64_t granted = 0;
  std::uint64_t refused = 0;
  std::uint64_t unanswered = 0;  // timeouts, connection failures, busy HQ
  std::uint64_t skipped = 0;     // not tried: within retry_pause after a failure
  std::uint64_t connections = 0;
};

class Reserver final : public Reservations {
 public:
  // Errors of start(): "config_invalid", "tls_config". link (may be null): the terminal's
  // SyncClient, whose hq_refusal() stops reservations while HQ refuses the terminal and whose
  // current_hq() names the HQ address to reserve at.
  Reserver(boost::asio::io_context& io, ClientConfig client, ReserverConfig config = {},
           const SyncClient* link = nullptr);
  ~Reserver() override;
  Reserver(const Reserver&) = delete;
  Reserver& operator=(const Reserver&) = delete;

  Status start();
  // Closes the idle connection; later calls answer unanswered ("hq_skipped").
  void stop();

  // HQ's answer (granted or refused) within the budget, or unanswered with its cause:
  // "hq_timeout", "connect", "tls_handshake", "tls_refused", "hq_busy", "hq_skipped" (not
  // tried: a recent attempt failed, or HQ refuses this terminal), "io_*" / "frame_*" /
  // "protocol*" and HQ's own error codes ("terminal_revoked", ...). may_hold is set once a
  // reserve frame was written on any attempt (HQ may have read it), and never for a busy answer.
  boost::asio::awaitable<ReserveOutcome> reserve(pma::v1::ReserveRequest request) override;

  // Drops a hold whose checkout was not committed (hold_id from the grant; 0 after an
  // unanswered reservation that may hold). Best effort, in the background: a hold HQ never
  // hears about lapses after memberhq's reservation_hold_ms.
  void release(std::string txn_id, std::uint64_t hold_id) override;

  const ReserverStats& stats() const;
  // True within retry_pause after an unanswered reservation (the next ones are skipped).
  bool paused() const;

  struct State;  // internal

 private:
  // The HQ address reservations go to: link's current_hq() (the node that served the last sync
  // session), the first address without a link.
  HqAddress hq_address() const;
  boost::asio::io_context& io_;
  ClientConfig client_;
  ReserverConfig config_;
  const SyncClient* link_;
  std::shared_ptr<State> state_;
};

}  // namespace pma::sync
