#include "agent/api/openapi.h"

#include "agent/api/json.h"
#include "pma/error_codes.h"

namespace pma::api {

void add_openapi_routes(Router& router) {
  router.add("GET", "/v1/openapi.json", [](const ApiRequest&) {
    return ApiResponse{200, std::string(openapi_document()), "application/json"};
  });
  router.add("GET", "/v1/events", [](const ApiRequest&) {
    return error_response(err::invalid_request,
                          "GET /v1/events is a WebSocket: send 'Connection: Upgrade' and "
                          "'Upgrade: websocket' (a browser: new WebSocket(url))");
  });
}

}  // namespace pma::api
