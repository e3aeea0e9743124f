// memberd's link to HQ: owns the SyncClient over the agent's SQLite store, exposes its state
// for /v1/health and the sync endpoints (POST /v1/sync starts a sync now; GET /v1/sync shows
// its progress), and reloads HQ's rule set into checkout after a sync brings a new one.
// Lives on the io_context thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>

#include "api/checkout_api.h"
#include "api/router.h"
#include "checkout/checkout_service.h"
#include "client/reserver.h"
#include "client/sync_client.h"
#include "config/config.h"
#include "pma/v1/api.pb.h"
#include "store/sync_store_sqlite.h"

namespace spdlog {
class logger;
}

namespace pma::daemon {

class SyncLink {
 public:
  SyncLink(boost::asio::io_context& io, store::Database& db, const config::Config& config,
           checkout::CheckoutService& checkout, std::shared_ptr<spdlog::logger> logger);

  // Starts the schedule when [sync] hq_host is set. Errors: the client's ("tls_config", ...).
  Status start();
  void stop();

  bool hq_online() const;
  // Online-first reservations through HQ; empty when sync is off or reserve_timeout_ms is 0.
  api::HqReservations reservations();
  pma::v1::SyncState state();
  void add_routes(api::Router& router);

  // Runs one sync now; when the schedule's own session is under way, waits for it and then
  // runs (a sync asked for by store IT must include what was committed up to the request).
  void run_requested(int attempts_left);

  // Loads the rule set HQ last sent (sync_state 'rule_set') into checkout when its version is
  // new; cheap when it is not (one primary-key read), so memberd calls it every second.
  void load_rules();

 private:
  boost::asio::io_context& io_;
  store::Database& db_;
  const config::Config& config_;
  checkout::CheckoutService& checkout_;
  std::shared_ptr<spdlog::logger> log_;
  store::SqliteSyncStore sync_store_;
  std::unique_ptr<sync::SyncClient> client_;
  std::unique_ptr<sync::Reserver> reserver_;
  bool running_ = false;
  std::unique_ptr<boost::asio::steady_timer> retry_;
  std::string last_run_;
  std::int64_t rule_set_version_ = 0;
};

}  // namespace pma::daemon
