// Durable file steps shared by the till's state files (agent/config) and its backups
// (agent/store): an fsync on a path, and the folder whose entry a rename or link changes.
// Stateless; thread-safe.
#pragma once

#include <string>

namespace pma::files {

// fsync on a path (a file, or a folder after a rename or link in it); false if it cannot be
// opened or synced.
bool sync_path(const std::string& path);

// The folder holding path ("." for a bare file name).
std::string parent_folder(const std::string& path);

}  // namespace pma::files
