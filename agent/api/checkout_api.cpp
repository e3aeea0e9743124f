#include "agent/api/checkout_api.h"

#include <spdlog/spdlog.h>

#include "agent/api/json.h"

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

CheckoutApi::CheckoutApi(checkout::CheckoutService& checkout,
                         checkout::OnlineFirstCheckout& commits,
                         std::function<checkout::Connectivity()> hq,
                         std::shared_ptr<spdlog::logger> logger)
    : checkout_(checkout), commits_(commits), hq_(std::move(hq)), log_(std::move(logger)) {}

checkout::Connectivity CheckoutApi::connectivity() const {
  return hq_ ? hq_() : checkout::Connectivity::offline;
}

boost::asio::awaitable<ApiResponse> CheckoutApi::commit(const ApiRequest& request) {
  v1::CommitRequest body;
  if (auto ok = parse_json(request.body, body); !ok) co_return error_response(ok.error());
  auto reply = co_await commits_.commit(std::move(body), connectivity());
  if (!reply) co_return error_response(reply.error());
  co_return json_response(200, reply->message);
}

void CheckoutApi::add_routes(Router& router) {
  router.add("POST", "/v1/checkout/quote", [this](const ApiRequest& r) {
    return handle<v1::QuoteRequest>(
        r, [this](const v1::QuoteRequest& q) { return checkout_.quote(q, connectivity()); });
  });
  router.add_async("POST", "/v1/checkout/commit",
                   [this](const ApiRequest& r) { return commit(r); });
  router.add("POST", "/v1/refunds", [this](const ApiRequest& r) {
    return handle<v1::RefundRequest>(r, [this](const v1::RefundRequest& q) {
      auto reply = checkout_.refund(q, connectivity());
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
