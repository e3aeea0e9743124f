#include "api/checkout_api.h"

#include <spdlog/spdlog.h>

#include <optional>

#include "api/json.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace {

// Parses the body into Request, runs `call`, and answers with its message (a replay is the
// first response's message, parsed from its stored bytes, so its JSON is the same).
template <typename Request, typename Call>
ApiResponse handle(const ApiRequest& request, Call call) {
  Request body;
  if (auto ok = parse_json(request.body, body); !ok) return error_response(ok.error());
  auto result = call(body);
  if (!result) return error_response(result.error());
  if constexpr (requires { result->replayed; }) {
    return json_response(200, result->message);
  } else {
    return json_response(200, *result);
  }
}

// HQ's refusal as the error the POS sees: the first refusal's code, every refusal's message.
Error refusal_error(const v1::ReserveReply& reply) {
  std::string message = "HQ refused: ";
  for (int i = 0; i < reply.refusals_size(); ++i) {
    if (i > 0) message += "; ";
    message += reply.refusals(i).message();
  }
  return Error{reply.refusals_size() > 0 ? reply.refusals(0).code() : err::hq_refused,
               std::move(message)};
}

}  // namespace

boost::asio::awaitable<ApiResponse> CheckoutApi::commit(const ApiRequest& request) {
  v1::CommitRequest body;
  if (auto ok = parse_json(request.body, body); !ok) co_return error_response(ok.error());
  bool online = hq_online_ && hq_online_();
  std::string hq_check;
  bool held = false;
  // A hold to drop if the commit fails: granted (its id), or maybe made by an HQ that answered
  // too late (id 0: whatever hold there is for this txn).
  std::optional<std::uint64_t> release_id;
  if (reservations_.reserve) {
    hq_check = "not_needed";
    auto plan = checkout_.reservation_for(body);
    // A plan that cannot be made fails the commit below with the same error.
    if (plan && *plan) {
      auto reply = co_await reservations_.reserve(std::move(**plan));
      if (reply && reply->granted()) {
        online = true;
        held = true;
        release_id = reply->hold_id();
        hq_check = "reserved";
      } else if (reply) {
        auto refused = refusal_error(*reply);
        log_->info("checkout {} refused by HQ: {}", body.txn_id(), refused.code);
        co_return error_response(refused);
      } else {
        online = false;
        hq_check = "offline";
        const auto& code = reply.error().code;
        if (code != err::hq_skipped && code != err::connect && code != err::hq_busy &&
            code != err::tls_handshake && code != err::tls_refused) {
          release_id = 0;  // the request may have reached HQ
        }
        log_->info("checkout {}: HQ did not decide ({}); offline rules apply", body.txn_id(),
                   reply.error().code);
      }
    }
  }
  // No co_await from here on: the service's online flag belongs to this commit alone.
  checkout_.set_hq_online(online);
  auto reply = checkout_.commit(body, hq_check);
  if (!reply) {
    if (release_id && reservations_.release) reservations_.release(body.txn_id(), *release_id);
    log_->info("checkout {} refused: {}", body.txn_id(), reply.error().code);
    co_return error_response(reply.error());
  }
  log_->info("checkout {} {}: payable {} fen, new balance {}{}", body.txn_id(),
             reply->replayed ? "replayed" : "committed", reply->message.quote().payable_fen(),
             reply->message.new_balance(), held ? " (held at HQ first)" : "");
  if (!reply->replayed && on_committed_) on_committed_(reply->message);
  co_return json_response(200, reply->message);
}

void CheckoutApi::add_routes(Router& router) {
  // Every checkout route learns first whether HQ is reachable right now.
  auto online = [this] {
    if (hq_online_) checkout_.set_hq_online(hq_online_());
  };
  router.add("POST", "/v1/checkout/quote", [this, online](const ApiRequest& r) {
    online();
    return handle<v1::QuoteRequest>(
        r, [this](const v1::QuoteRequest& q) { return checkout_.quote(q); });
  });
  router.add_async("POST", "/v1/checkout/commit",
                   [this](const ApiRequest& r) { return commit(r); });
  router.add("POST", "/v1/refunds", [this, online](const ApiRequest& r) {
    online();
    return handle<v1::RefundRequest>(r, [this](const v1::RefundRequest& q) {
      auto reply = checkout_.refund(q);
      if (!reply) log_->info("refund refused: {}", reply.error().code);
      return reply;
    });
  });
  router.add("POST", "/v1/members", [this](const ApiRequest& r) {
    return handle<v1::RegisterMemberRequest>(r, [this](const v1::RegisterMemberRequest& q) {
      auto reply = checkout_.register_member(q);
      if (reply) {
        log_->info("member {} {}", reply->member().member_id(),
                   reply->created() ? "registered" : "already registered (same phone)");
      }
      return reply;
    });
  });
}

}  // namespace pma::api
