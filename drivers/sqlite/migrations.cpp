#include "drivers/sqlite/migrations.h"

#include <fmt/format.h>

namespace pma::sqlite {

namespace {

Status set_user_version(Database& db, int version) {
  return db.exec(fmt::format("PRAGMA user_version = {}", version));
}

}  // namespace

Status migrate(Database& db, std::span<const Migration> migrations, const MigrateOptions& options) {
  const int latest = migrations.empty() ? 0 : migrations.back().version;
  const int target = options.target < 0 ? latest : options.target;
  int current = db.user_version();
  if (current < 0) return std::unexpected(db.error("sqlite_error", "PRAGMA user_version"));
  if (current > latest) {
    return fail("schema_too_new",
                fmt::format("database '{}' has schema version {}, this build of {} knows up to "
                            "{}; upgrade {} or restore a matching backup",
                            db.path(), current, options.program, latest, options.program));
  }
  const bool legacy = current == 0 && options.legacy_version;
  if (legacy) {
    PMA_TRY_ASSIGN(auto found, options.legacy_version(db));
    current = found;
  }
  bool stamped = !legacy || current == 0;
  for (const Migration& m : migrations) {
    if (m.version <= current || m.version > target) continue;
    PMA_TRY_ASSIGN(auto tx, Transaction::begin(db));
    // Another process (memberhq erase beside the server) may have run this step since the
    // version was read: it holds the write lock now, so the version read here is the truth.
    if (const int now = db.user_version(); now >= m.version) {
      PMA_TRY(tx.commit());
      stamped = true;
      continue;
    }
    Status ok = m.sql.empty() ? Status{} : db.exec(m.sql);
    if (ok && m.apply != nullptr) ok = m.apply(db);
    if (ok) ok = set_user_version(db, m.version);
    if (ok) ok = tx.commit();
    if (!ok) {
      return fail("schema_migration", fmt::format("migration {} ({}) of '{}' failed: {}", m.version,
                                                  m.description, db.path(), ok.error().message));
    }
    stamped = true;
  }
  // A legacy database already at its version's shape records it, so the tables are not judged
  // again at the next open.
  if (!stamped) {
    PMA_TRY_ASSIGN(auto tx, Transaction::begin(db));
    PMA_TRY(set_user_version(db, current));
    PMA_TRY(tx.commit());
  }
  return {};
}

}  // namespace pma::sqlite
