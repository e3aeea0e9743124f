// memberctl backup / restore: SQLite's online backup of the agent's database (memberd keeps
// serving) and a checked restore into a stopped agent's state folder.
#pragma once

#include <string>

#include "agent/config/config.h"

namespace pma::ctl {

int cmd_backup(const config::Config& config, const std::string& file, bool overwrite);
int cmd_restore(const config::Config& config, const std::string& file, bool force);

}  // namespace pma::ctl
