#include "agent/api/status_page.h"

#include <string>

namespace pma::api {

ApiResponse status_page_response() {
  ApiResponse response{200, std::string(kStatusPageHtml), "text/html; charset=utf-8"};
  response.headers = {
      {"Cache-Control", "no-store"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
       "connect-src 'self'; img-src data:; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'none'"},
  };
  return response;
}

}  // namespace pma::api
