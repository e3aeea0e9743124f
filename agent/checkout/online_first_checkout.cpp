#include "agent/checkout/online_first_checkout.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <variant>

#include "pma/error_codes.h"

namespace pma::checkout {

Error refusal_error(const v1::ReserveReply& reply) {
  std::string message = "HQ refused: ";
  for (int i = 0; i < reply.refusals_size(); ++i) {
    if (i > 0) message += "; ";
    message += reply.refusals(i).message();
  }
  return Error{reply.refusals_size() > 0 ? reply.refusals(0).code() : err::hq_refused,
               std::move(message)};
}

OnlineFirstCheckout::OnlineFirstCheckout(CheckoutService& service, sync::Reservations* reservations,
                                         std::shared_ptr<spdlog::logger> logger)
    : service_(service), reservations_(reservations), log_(std::move(logger)) {}

boost::asio::awaitable<Result<Reply<v1::CommitResponse>>> OnlineFirstCheckout::commit(
    v1::CommitRequest request, Connectivity hq) {
  HqCheck hq_check = HqCheck::unset;
  // A hold to drop if the local commit fails: granted (its id), or perhaps made by an HQ that
  // answered too late (id 0: whatever hold there is for this txn).
  std::optional<std::uint64_t> release_id;
  if (reservations_ != nullptr) {
    hq_check = HqCheck::not_needed;
    auto plan = service_.reservation_for(request);
    // A plan that cannot be made fails the commit below with the same error.
    if (plan && *plan) {
      auto outcome = co_await reservations_->reserve(std::move(**plan));
      if (auto* granted = std::get_if<sync::ReserveGranted>(&outcome)) {
        hq = Connectivity::online;
        hq_check = HqCheck::reserved;
        release_id = granted->reply.hold_id();
      } else if (auto* refused = std::get_if<sync::ReserveRefused>(&outcome)) {
        Error error = refusal_error(refused->reply);
        log_->info("checkout {} refused by HQ: {}", request.txn_id(), error.code);
        co_return std::unexpected(std::move(error));
      } else {
        const auto& unanswered = std::get<sync::ReserveUnanswered>(outcome);
        hq = Connectivity::offline;
        hq_check = HqCheck::offline;
        if (unanswered.may_hold) release_id = 0;
        log_->info("checkout {}: HQ did not decide ({}); offline rules apply", request.txn_id(),
                   unanswered.cause.code);
      }
    }
  }
  // From here on no suspension: the local transaction runs to its end on this thread.
  auto reply = service_.commit(request, hq, hq_check);
  if (!reply) {
    if (release_id) reservations_->release(request.txn_id(), *release_id);
    log_->info("checkout {} refused: {}", request.txn_id(), reply.error().code);
    co_return reply;
  }
  log_->info("checkout {} {}: payable {} fen, new balance {}{}", request.txn_id(),
             reply->replayed ? "replayed" : "committed", reply->message.quote().payable_fen(),
             reply->message.new_balance(),
             hq_check == HqCheck::reserved ? " (held at HQ first)" : "");
  if (!reply->replayed && on_committed_) on_committed_(reply->message);
  co_return reply;
}

}  // namespace pma::checkout
