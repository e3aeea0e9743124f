// OnlineFirstCheckout: one checkout commit end to end. What the till cannot decide safely on its
// own (coupons, a points burn) it first asks HQ to hold through Reservations; HQ's typed answer
// decides: granted commits under the online rules, refused is the commit's refusal, unanswered
// commits under the offline rules. A commit that fails after a hold releases it.
// Borrows the CheckoutService and the Reservations, which must outlive it. Lives on the
// io_context thread that owns the service's database; commit() suspends only while HQ is asked,
// never inside the local transaction.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>

#include "agent/checkout/checkout_service.h"
#include "pma/error.h"
#include "pma/v1/checkout.pb.h"
#include "sync/client/reservations.h"

namespace spdlog {
class logger;
}

namespace pma::checkout {

class OnlineFirstCheckout {
 public:
  // reservations may be null: no online-first holds (sync off, or [sync] reserve_timeout_ms =
  // 0); every commit then follows `hq` alone and records no hq_check.
  OnlineFirstCheckout(CheckoutService& service, sync::Reservations* reservations,
                      std::shared_ptr<spdlog::logger> logger);

  // Runs after each first-time commit (not after replays): the daemon queues the member
  // receipt there when the store prints through the agent.
  void on_committed(std::function<void(const v1::CommitResponse&)> observer) {
    on_committed_ = std::move(observer);
  }

  // Commits `request` (CheckoutService::commit's contract). `hq` is the sync link's view of HQ
  // now; a reservation's outcome overrides it for this commit. Errors: CheckoutService::commit's,
  // and HQ's refusal (its first reason's code, e.g. "coupon_reserved_elsewhere",
  // "points_insufficient_at_hq", or "hq_refused" when HQ named none; the message lists every
  // reason).
  boost::asio::awaitable<Result<Reply<v1::CommitResponse>>> commit(v1::CommitRequest request,
                                                                   Connectivity hq);

 private:
  CheckoutService& service_;
  sync::Reservations* reservations_;
  std::shared_ptr<spdlog::logger> log_;
  std::function<void(const v1::CommitResponse&)> on_committed_;
};

// HQ's refusal as the error the POS sees: the first refusal's code ("hq_refused" when there is
// none), every refusal's message.
Error refusal_error(const v1::ReserveReply& reply);

}  // namespace pma::checkout
