// HQ's PostgreSQL schema as numbered migrations, recorded in a schema_version table (one row
// per applied step), and the monthly partitions of the delta log. Ready for Citus (see
// docs/hq-postgresql.md): every primary key holds its table's distribution column. Run under
// an advisory lock, so nodes starting together migrate once. Thread-compatible.
#pragma once

#include <cstdint>

#include "drivers/postgres/connection.h"
#include "pma/error.h"

namespace pma::hq {

int latest_pg_schema_version();

// Brings the database to the latest version, each step in its own transaction. Errors:
// "schema_too_new" (a newer memberhq's schema: refused, nothing changed); "schema_migration"
// naming the failed step (rolled back; the database stays at the version before it).
Status migrate_pg(pg::Connection& db);

// Creates the delta log's partitions for the months around now_ms (one before, two after) that
// do not exist yet; deltas of other months go to the default partition. Idempotent.
Status ensure_delta_partitions(pg::Connection& db, std::int64_t now_ms);

}  // namespace pma::hq
