// The checkout endpoints of the local API: POST /v1/checkout/quote, /v1/checkout/commit,
// /v1/refunds and /v1/members (registration). Runs on the io_context thread; borrows the
// CheckoutService, which must outlive it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>

#include "api/router.h"
#include "checkout/checkout_service.h"
#include "pma/v1/sync.pb.h"

namespace spdlog {
class logger;
}

namespace pma::api {

// Online-first: how a commit asks HQ to hold its coupons and points burn (the daemon wires
// these to sync::Reserver). reserve answers within its own budget; an error means "HQ did not
// decide" and the commit falls back to the offline rules.
struct HqReservations {
  std::function<boost::asio::awaitable<Result<v1::ReserveReply>>(v1::ReserveRequest)> reserve;
  // hold_id from the grant; 0 after an unanswered reservation.
  std::function<void(std::string txn_id, std::uint64_t hold_id)> release;
};

class CheckoutApi {
 public:
  // on_committed (optional) runs after each first-time commit (not after replays): the
  // daemon queues the member receipt there when the store prints through the agent.
  CheckoutApi(checkout::CheckoutService& checkout, std::shared_ptr<spdlog::logger> logger,
              std::function<void(const v1::CommitResponse&)> on_committed = {})
      : checkout_(checkout), log_(std::move(logger)), on_committed_(std::move(on_committed)) {}

  void add_routes(Router& router);

  // Whether HQ answers now (offline limits apply while it does not); asked before each quote,
  // commit and refund. Unset: always offline.
  void set_hq_online_source(std::function<bool()> source) { hq_online_ = std::move(source); }
  // Turns on online-first commits (unset: every commit follows the reachability flag alone).
  void set_reservations(HqReservations reservations) { reservations_ = std::move(reservations); }

 private:
  checkout::CheckoutService& checkout_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void(const v1::CommitResponse&)> on_committed_;
  std::function<bool()> hq_online_;
  HqReservations reservations_;

  boost::asio::awaitable<ApiResponse> commit(const ApiRequest& request);
};

}  // namespace pma::api
