#include "api/member_api.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "api/json.h"
#include "pma/error_codes.h"
#include "pma/phone.h"
#include "store/migrations.h"

namespace pma::api {

namespace {

std::string rfc3339(std::int64_t unix_seconds) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(static_cast<std::time_t>(unix_seconds)));
}

std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

Result<pma::v1::LookupResponse> found(Result<std::optional<store::MemberRecord>> member,
                                      std::string_view matched_by, std::string_view what) {
  if (!member) return std::unexpected(member.error());
  if (!member->has_value()) {
    return fail(err::unknown_member, fmt::format("no member with this {}", what));
  }
  pma::v1::LookupResponse response;
  *response.mutable_member() = to_proto(**member);
  response.set_matched_by(std::string(matched_by));
  return response;
}

}  // namespace

pma::v1::Member to_proto(const store::MemberRecord& m) {
  pma::v1::Member out;
  out.set_member_id(m.member_id);
  out.set_card_no(m.card_no);
  out.set_phone_masked(m.phone_masked);
  out.set_name(m.name);
  out.set_birthday(m.birthday);
  out.set_tier(pma::v1::Tier_IsValid(m.tier) ? static_cast<pma::v1::Tier>(m.tier)
                                             : pma::v1::TIER_UNSPECIFIED);
  out.set_points(m.points);
  out.set_hq_version(m.hq_version);
  for (const auto& c : m.coupons) {
    auto* coupon = out.add_coupons();
    coupon->set_code(c.code);
    coupon->set_template_id(c.template_id);
    coupon->set_title(c.title);
    coupon->set_valid_until(rfc3339(c.valid_until));
  }
  return out;
}

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
  std::int64_t now = ctx_.now();
  switch (request.key_case()) {
    case pma::v1::LookupRequest::kCardNo: {
      std::string card = trim(request.card_no());
      if (card.empty()) return fail(err::invalid_request, "cardNo is empty");
      return found(ctx_.members.find_by_card(card, now), "card_no", "card number");
    }
    case pma::v1::LookupRequest::kPhone: {
      auto phone = pma::normalize_phone(request.phone());
      if (!phone) return std::unexpected(phone.error());
      return found(ctx_.members.find_by_phone(*phone, now), "phone", "phone number");
    }
    case pma::v1::LookupRequest::kCode: {
      std::string code = trim(request.code());
      if (code.empty()) return fail(err::invalid_request, "code is empty");
      if (ctx_.resolve_member_qr) {
        auto member_id = ctx_.resolve_member_qr(code);
        if (!member_id) return std::unexpected(member_id.error());
        if (*member_id) {
          return found(ctx_.members.find_by_id(**member_id, now), "member_qr", "member code");
        }
      }
      if (auto phone = pma::normalize_phone(code)) {
        auto by_phone = found(ctx_.members.find_by_phone(*phone, now), "phone", "phone number");
        if (by_phone || by_phone.error().code != err::unknown_member) return by_phone;
      }
      auto by_card = found(ctx_.members.find_by_card(code, now), "card_no", "card number");
      if (by_card || by_card.error().code != err::unknown_member) return by_card;
      auto by_id = found(ctx_.members.find_by_id(code, now), "member_id", "member id");
      if (by_id || by_id.error().code != err::unknown_member) return by_id;
      return fail(err::unknown_member, "no member with this card number, phone number or id");
    }
    case pma::v1::LookupRequest::KEY_NOT_SET:
      break;
  }
  return fail(err::invalid_request, "give one of cardNo, phone or code");
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
  auto member = found(ctx_.members.find_by_id(id, ctx_.now()), "member_id", "member id");
  if (!member) return error_response(member.error());
  return json_response(200, member->member());
}

}  // namespace pma::api
