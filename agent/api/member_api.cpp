#include "agent/api/member_api.h"

#include <spdlog/spdlog.h>

#include "agent/api/json.h"
#include "agent/store/migrations.h"
#include "pma/error_codes.h"

namespace pma::api {

namespace {

std::string_view trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace

MemberApi::MemberApi(MemberApiContext context, std::shared_ptr<spdlog::logger> logger)
    : ctx_(std::move(context)),
      log_(std::move(logger)),
      started_(std::chrono::steady_clock::now()) {}

void MemberApi::add_routes(Router& router) {
  router.add("GET", "/v1/health", [this](const ApiRequest& r) { return health(r); });
  router.add("POST", "/v1/members/lookup", [this](const ApiRequest& r) { return lookup_route(r); });
  router.add("GET", "/v1/members/{id}", [this](const ApiRequest& r) { return get_member(r); });
}

ApiResponse MemberApi::health(const ApiRequest&) {
  pma::v1::HealthResponse response;
  auto count = ctx_.members.count();
  response.set_status(count ? "ok" : "degraded");
  response.set_version(ctx_.version);
  response.set_store_id(ctx_.store_id);
  response.set_terminal_id(ctx_.terminal_id);
  response.set_members(count.value_or(-1));
  response.set_schema_version(ctx_.db.user_version());
  response.set_uptime_seconds(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count());
  if (ctx_.sync_state) *response.mutable_sync() = ctx_.sync_state();
  if (ctx_.devices) {
    for (auto& device : ctx_.devices()) *response.add_devices() = std::move(device);
  }
  return json_response(count ? 200 : 503, response);
}

Result<pma::v1::LookupResponse> MemberApi::lookup(const pma::v1::LookupRequest& request) {
  codes::MemberCode code;
  switch (request.key_case()) {
    case pma::v1::LookupRequest::kCardNo:
      if (trim(request.card_no()).empty()) return fail(err::invalid_request, "cardNo is empty");
      code = {codes::CodeKind::card_number, request.card_no()};
      break;
    case pma::v1::LookupRequest::kPhone:
      code = {codes::CodeKind::phone, request.phone()};
      break;
    case pma::v1::LookupRequest::kCode:
      if (trim(request.code()).empty()) return fail(err::invalid_request, "code is empty");
      code = ctx_.lookup.classify_typed(request.code());
      break;
    case pma::v1::LookupRequest::KEY_NOT_SET:
      return fail(err::invalid_request, "give one of cardNo, phone or code");
  }
  return ctx_.lookup.resolve(code, ctx_.now());
}

ApiResponse MemberApi::lookup_route(const ApiRequest& request) {
  pma::v1::LookupRequest body;
  if (auto ok = parse_json(request.body, body); !ok) return error_response(ok.error());
  auto result = lookup(body);
  if (!result) {
    log_->info("lookup refused: {}", result.error().code);
    return error_response(result.error());
  }
  log_->debug("lookup by {} -> member {}", result->matched_by(), result->member().member_id());
  return json_response(200, *result);
}

ApiResponse MemberApi::get_member(const ApiRequest& request) {
  const std::string& id = request.params.at("id");
  auto member = ctx_.lookup.by_id(id, ctx_.now());
  if (!member) return error_response(member.error());
  return json_response(200, member->member());
}

}  // namespace pma::api
