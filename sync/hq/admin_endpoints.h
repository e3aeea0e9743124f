// The admin listener's endpoints as memberhq serves them: GET /metrics renders the Server's
// stats and metrics plus the database gauges (holds in force, conflicts) read at scrape time;
// GET /health answers 200 {"status":"ok",...} while the database answers, 503 otherwise. The
// handlers run on the io_context thread that owns the Server and the sinks, which must outlive
// them.
#pragma once

#include "pma/clock.h"
#include "sync/hq/admin_server.h"
#include "sync/hq/operations_reads.h"
#include "sync/hq/reservations.h"
#include "sync/hq/server.h"

namespace pma::hq {

AdminHandlers admin_endpoints(const Server& server, Reservations& reservations,
                              OperationsReads& reads, const pma::Clock& clock);

}  // namespace pma::hq
