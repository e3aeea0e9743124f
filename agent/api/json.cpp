#include "api/json.h"

#include <google/protobuf/util/json_util.h>

#include "pma/v1/api.pb.h"

namespace pma::api {

Status parse_json(std::string_view body, google::protobuf::Message& message) {
  std::size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return fail("bad_json", "request body is empty; expected a JSON object");
  }
  if (body[first] != '{') return fail("bad_json", "request body must be a JSON object");
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message, options);
  if (status.ok()) return {};
  std::string what(status.message());
  if (what.find("Cannot find field") != std::string::npos) {
    return fail("unknown_field", "unknown field in request: " + what);
  }
  return fail("bad_json", "request body is not valid JSON for this endpoint: " + what);
}

std::string to_json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

ApiResponse json_response(int status, const google::protobuf::Message& message) {
  return ApiResponse{status, to_json(message)};
}

ApiResponse error_response(int status, std::string_view code, std::string_view message) {
  pma::v1::ApiError error;
  error.set_code(std::string(code));
  error.set_message(std::string(message));
  return json_response(status, error);
}

int status_for(std::string_view code) {
  if (code == "missing_token" || code == "wrong_token") return 401;
  if (code == "unknown_member" || code == "not_found" || code == "member_not_found" ||
      code == "original_not_found") {
    return 404;
  }
  // The request was understood but a business rule refused it.
  if (code == "idempotency_conflict" || code.starts_with("coupon_") ||
      code == "insufficient_points" || code == "points_offline_limit" ||
      code == "needs_hq_online" || code == "member_conflict" || code == "quote_changed" ||
      code == "already_refunded" || code == "refund_exceeds_purchase" ||
      code.starts_with("points_") || code == "member_erased" ||
      code == "basket_total_exceeds_limit" || code == "hold_limit_reached") {
    return 409;
  }
  if (code == "origin_not_allowed") return 403;
  if (code == "body_too_large") return 413;
  if (code == "host_not_allowed") return 421;
  if (code == "header_too_large") return 431;
  if (code == "too_many_connections") return 503;
  if (code.starts_with("sqlite_") || code == "internal") return 500;
  return 400;
}

ApiResponse error_response(const Error& error) {
  return error_response(status_for(error.code), error.code, error.message);
}

}  // namespace pma::api
