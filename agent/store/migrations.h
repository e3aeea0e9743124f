// Versioned schema migrations keyed on PRAGMA user_version. Each version's SQL is applied in
// its own transaction, so a database is always at exactly one known version.
#pragma once

#include <span>
#include <string_view>

#include "agent/store/sqlite.h"
#include "drivers/sqlite/migrations.h"

namespace pma::store {

using sqlite::Migration;

// Every migration, oldest first. The latest schema is the last entry's version.
std::span<const Migration> migrations();
int latest_schema_version();

// Brings db from its current version up to target (default: latest). Refuses a database
// that is newer than this build knows ("schema_too_new") instead of guessing.
Status migrate(Database& db, int target = -1);

}  // namespace pma::store
