// memberd's link to HQ: owns the SyncClient over the agent's SQLite store and the Reserver,
// exposes their state for /v1/health and the sync endpoints (POST /v1/sync starts a sync now;
// GET /v1/sync shows its progress), and puts HQ's rule sets in force in checkout: the stored
// one at start (a till restarting offline keeps HQ's rules), each new one as the sync client
// reports it (no polling). Lives on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "agent/api/router.h"
#include "agent/checkout/checkout_service.h"
#include "agent/checkout/clock.h"
#include "agent/checkout/hq_rule_sets.h"
#include "agent/config/config.h"
#include "agent/store/sync_store_sqlite.h"
#include "pma/v1/api.pb.h"
#include "sync/client/reserver.h"
#include "sync/client/sync_client.h"

namespace spdlog {
class logger;
}

namespace pma::daemon {

class SyncLink {
 public:
  SyncLink(boost::asio::io_context& io, store::Database& db, const config::Config& config,
           checkout::CheckoutService& checkout, const checkout::StoreClock& clock,
           std::shared_ptr<spdlog::logger> logger);

  // Puts the stored rule set in force, then starts the schedule when [sync] hq_host is set.
  // Errors: the client's ("tls_config", ...).
  Status start();
  void stop();

  // Whether HQ answers now, for pricing (offline limits); no I/O.
  checkout::Connectivity connectivity() const;
  // Online-first reservations through HQ (the Reserver); null when sync is off or
  // reserve_timeout_ms is 0. Valid after start(), until this SyncLink is destroyed.
  sync::Reservations* reservations() { return reserver_.get(); }
  pma::v1::SyncState state();
  void add_routes(api::Router& router);

  // Runs one sync now; when the schedule's own session is under way, waits for it and then
  // runs (a sync asked for by store IT must include what was committed up to the request).
  void run_requested(int attempts_left);

 private:
  boost::asio::io_context& io_;
  store::Database& db_;
  const config::Config& config_;
  const checkout::StoreClock& clock_;
  std::shared_ptr<spdlog::logger> log_;
  store::SqliteSyncStore sync_store_;
  std::unique_ptr<sync::SyncClient> client_;
  std::unique_ptr<sync::Reserver> reserver_;
  bool running_ = false;
  std::unique_ptr<boost::asio::steady_timer> retry_;
  std::string last_run_;
  checkout::HqRuleSets rule_sets_;
};

}  // namespace pma::daemon
