// The admin listener's endpoints as memberhq serves them: GET /metrics renders the Server's
// stats and metrics plus the database gauges (holds in force, conflicts) read at scrape time;
// GET /health answers 200 {"status":"ok",...} while the database answers, 503 otherwise. The
// handlers run on the io_context thread that owns the Server and the sinks, which must outlive
// them.
#pragma once

#include "hq/admin_server.h"
#include "hq/operations_reads.h"
#include "hq/reservations.h"
#include "hq/server.h"
#include "pma/clock.h"

namespace pma::hq {

AdminHandlers admin_endpoints(const Server& server, Reservations& reservations,
                              OperationsReads& reads, const pma::Clock& clock);

}  // namespace pma::hq
