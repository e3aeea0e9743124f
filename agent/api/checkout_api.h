// The checkout endpoints of the local API: POST /v1/checkout/quote, /v1/checkout/commit,
// /v1/refunds and /v1/members (registration). Runs on the io_context thread; borrows the
// CheckoutService, which must outlive it.
#pragma once

#include <memory>

#include "api/router.h"
#include "checkout/checkout_service.h"

namespace spdlog {
class logger;
}

namespace pma::api {

class CheckoutApi {
 public:
  CheckoutApi(checkout::CheckoutService& checkout, std::shared_ptr<spdlog::logger> logger)
      : checkout_(checkout), log_(std::move(logger)) {}

  void add_routes(Router& router);

 private:
  checkout::CheckoutService& checkout_;
  std::shared_ptr<spdlog::logger> log_;
};

}  // namespace pma::api
