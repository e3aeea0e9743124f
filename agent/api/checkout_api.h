// The checkout endpoints of the local API: POST /v1/checkout/quote, /v1/checkout/commit,
// /v1/refunds and /v1/members (registration): parse, call agent/checkout, answer. Runs on the
// io_context thread; borrows the CheckoutService and the OnlineFirstCheckout, which must
// outlive it.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>

#include "agent/api/router.h"
#include "agent/checkout/checkout_service.h"
#include "agent/checkout/online_first_checkout.h"

namespace spdlog {
class logger;
}

namespace pma::api {

class CheckoutApi {
 public:
  // hq: whether HQ answers now (the sync link's view), asked once per quote, commit and refund;
  // unset: always offline.
  CheckoutApi(checkout::CheckoutService& checkout, checkout::OnlineFirstCheckout& commits,
              std::function<checkout::Connectivity()> hq, std::shared_ptr<spdlog::logger> logger);

  void add_routes(Router& router);

 private:
  checkout::Connectivity connectivity() const;
  boost::asio::awaitable<ApiResponse> commit(const ApiRequest& request);

  checkout::CheckoutService& checkout_;
  checkout::OnlineFirstCheckout& commits_;
  std::function<checkout::Connectivity()> hq_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace pma::api
