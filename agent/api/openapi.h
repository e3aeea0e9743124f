// The OpenAPI 3.1 document of the local API (agent/api/openapi.json, embedded at build time)
// and its route GET /v1/openapi.json. The document is constant; thread-safe.
#pragma once

#include <string_view>

#include "agent/api/router.h"

namespace pma::api {

// agent/api/openapi.json byte for byte (the same file the package installs).
std::string_view openapi_document();

// Adds GET /v1/openapi.json (the document) and GET /v1/events for a request that is not a
// WebSocket upgrade (400 invalid_request saying how to open the stream; the upgrade itself is
// served by HttpSession before routing), so that the router's table names every endpoint.
void add_openapi_routes(Router& router);

}  // namespace pma::api
