// Records the local API's answers a test receives, one JSON object per line
// ({"method", "target", "status", "body"}) in $PMA_API_ANSWERS_DIR/<pid>.jsonl, for the CTest
// step that validates them against agent/api/openapi.json. Without that variable: nothing.
// Thread-safe (a mutex around each appended line).
#pragma once

#include "api/http_client.h"

namespace pma::test {

// Makes `client` record its answers (when PMA_API_ANSWERS_DIR is set).
void record_answers(api::HttpClient& client);

}  // namespace pma::test
