// Records the local API's answers a test receives, one JSON object per line
// ({"method", "target", "status", "body"}) in <dir>/<pid>.jsonl, for the CTest step that
// validates them against agent/api/openapi.json. <dir>: $PMA_API_ANSWERS_DIR, else
// $PMA_BUILD_DIR/api-answers (CTest sets PMA_BUILD_DIR); neither set: nothing is recorded.
// Thread-safe (a mutex around each appended line).
#pragma once

#include "agent/api/http_client.h"

namespace pma::test {

// Makes `client` record its answers (when PMA_API_ANSWERS_DIR is set).
void record_answers(api::HttpClient& client);

}  // namespace pma::test
