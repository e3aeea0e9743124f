#include "agent/ctl/backup_commands.h"

#include <fmt/format.h>

#include <iostream>

#include "agent/ctl/commands.h"
#include "agent/ctl/progress_bar.h"
#include "agent/store/backup.h"
#include "agent/store/member_store.h"

namespace pma::ctl {

int cmd_backup(const config::Config& config, const std::string& file, bool overwrite) {
  store::OpenOptions options;
  options.busy_timeout_ms = static_cast<int>(config.database.busy_timeout_ms);
  // The database must exist: a backup never creates an empty agent.
  auto db = store::open_store(config.database_path(), options);
  if (!db) return report_error(db.error());
  ProgressBar bar("backing up");
  auto done =
      store::backup_database(**db, file, {config.store.id, config.store.terminal},
                             [&](const store::BackupProgress& p) {
                               bar.update(static_cast<std::uint64_t>(p.pages_done),
                                          static_cast<std::uint64_t>(p.pages_total), "pages");
                             },
                             {.overwrite = overwrite});
  bar.finish();
  if (!done) return report_error(done.error());
  std::cout << fmt::format("backed up {} ({:.1f} MB, schema {}) to {}\n", config.database_path(),
                           static_cast<double>(done->bytes) / 1e6, done->schema_version, file);
  return 0;
}

int cmd_restore(const config::Config& config, const std::string& file, bool force) {
  auto info = store::inspect_backup(file);
  if (!info) return report_error(info.error());
  std::cout << fmt::format(
      "backup of store {} terminal {}: {} members, {} ledger rows, schema {}\n",
      info->store_id.empty() ? "?" : info->store_id,
      info->terminal_id.empty() ? "?" : info->terminal_id, info->members, info->ledger_rows,
      info->schema_version);
  auto restored = store::restore_database(file, config.database_path(), config.store.id, force);
  if (!restored) {
    if (restored.error().code == "database_in_use") {
      std::cerr << "memberctl: stop memberd first (systemctl stop memberd)\n";
    }
    return report_error(restored.error());
  }
  std::cout << fmt::format(
      "restored into {}{}{}\n", config.database_path(),
      restored->forced ? " (store check overridden with --force)" : "",
      restored->previous_database.empty()
          ? ""
          : "; the previous database is kept as " + restored->previous_database);
  return 0;
}

}  // namespace pma::ctl
