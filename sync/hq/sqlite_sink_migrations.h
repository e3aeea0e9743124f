// HQ's schema as numbered migrations keyed on PRAGMA user_version (drivers/sqlite's runner),
// like the till's agent/store/migrations.h. Versions 1-7 are the shapes earlier memberhq
// releases left their files in (they kept no user_version); such a file is recognised by its
// tables and brought forward without loss. Thread-compatible (one connection at a time).
#pragma once

#include <span>

#include "drivers/sqlite/database.h"
#include "drivers/sqlite/migrations.h"

namespace pma::hq {

// Every migration of HQ's file, oldest first.
std::span<const sqlite::Migration> sink_migrations();
int latest_sink_schema_version();

// The version an HQ file without user_version is at, judged by its tables and columns: the
// highest version whose every step's tables and columns are there (0: an empty file).
// Errors: "schema_unrecognised" for a file with tables that are not HQ's (a till's database).
Result<int> legacy_sink_version(sqlite::Database& db);

// Brings db up to target (-1: latest). Errors: "schema_too_new" for a file of a newer
// memberhq (refused, nothing changed); "schema_migration" naming the failed step (rolled back;
// the file stays at the version before it); "schema_unrecognised".
Status migrate_sink(sqlite::Database& db, int target = -1);

}  // namespace pma::hq
