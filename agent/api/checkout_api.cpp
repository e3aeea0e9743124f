#include "api/checkout_api.h"

#include <spdlog/spdlog.h>

#include "api/json.h"

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

}  // namespace

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
  router.add("POST", "/v1/checkout/commit", [this, online](const ApiRequest& r) {
    online();
    return handle<v1::CommitRequest>(r, [this](const v1::CommitRequest& c) {
      auto reply = checkout_.commit(c);
      if (reply) {
        log_->info("checkout {} {}: payable {} fen, new balance {}", c.txn_id(),
                   reply->replayed ? "replayed" : "committed", reply->message.quote().payable_fen(),
                   reply->message.new_balance());
        if (!reply->replayed && on_committed_) on_committed_(reply->message);
      } else {
        log_->info("checkout {} refused: {}", c.txn_id(), reply.error().code);
      }
      return reply;
    });
  });
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
