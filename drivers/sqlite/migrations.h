// Numbered schema migrations keyed on PRAGMA user_version: each step runs in its own
// transaction together with the version it stamps, so a database is always at exactly one
// known version, and a step that fails leaves it at the one before. Thread-compatible.
#pragma once

#include <functional>
#include <span>
#include <string_view>

#include "drivers/sqlite/database.h"

namespace pma::sqlite {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // run first; may be empty
  // Then this, for a step SQL alone cannot say (a column added only where it is missing);
  // nullptr: none. Runs inside the step's transaction.
  Status (*apply)(Database& db) = nullptr;
};

struct MigrateOptions {
  // The version to stop at; -1: the last migration's.
  int target = -1;
  // The program named in schema_too_new's advice ("memberd", "memberhq").
  std::string_view program = "memberd";
  // For a database from before user_version was kept (user_version 0): the version its tables
  // show (0: nothing there yet). Unset: user_version 0 means an empty database.
  std::function<Result<int>(Database&)> legacy_version;
};

// Brings db from its version up to options.target, running the migrations (oldest first, each
// version once) after its version. Errors: "schema_too_new" for a database newer than the
// last migration (refused, not guessed at); "schema_migration" naming the step that failed
// (that step rolled back); what legacy_version returns.
Status migrate(Database& db, std::span<const Migration> migrations,
               const MigrateOptions& options = {});

}  // namespace pma::sqlite
