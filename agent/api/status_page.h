// The status page for store IT at GET / of the local API: one static HTML page with its script
// inline. It holds no data and so is served without the token (a browser that navigates cannot
// send one); the page asks for the token, keeps it in the tab's sessionStorage and fetches
// /v1/health and /metrics with it, then follows /v1/events to refresh: devices, print queues,
// the outbox and sync, recent errors, version. Constant data; thread-safe.
#pragma once

#include <string_view>

#include "agent/api/router.h"

namespace pma::api {

// The page's HTML (status_page_html.cpp).
extern const std::string_view kStatusPageHtml;

// 200 text/html with the page, no-store, and a Content-Security-Policy that allows only its own
// inline script and style and connections to this agent (no framing, no other origins).
ApiResponse status_page_response();

}  // namespace pma::api
