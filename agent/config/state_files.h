// The agent's state folder and the secrets in it (API token, phone-hash key): created on first
// start with tight modes, read on every start. Not thread-safe (start-up only).
#pragma once

#include <sys/types.h>

#include <string>

#include "config/config.h"

namespace pma::config {

// Creates the folder (and parents) with mode 0700 if missing. Errors: "state_dir".
Status ensure_state_dir(const std::string& dir);

// Reads a secret (trimmed) from `path`; if the file does not exist, writes a new random one
// (32 bytes as 64 hex characters) with `mode` first. Errors: "secret_file" naming the path;
// a file that exists but is empty or unreadable is an error, never silently replaced.
Result<std::string> read_or_create_secret(const std::string& path, mode_t mode);

// Reads an existing secret. Errors: "secret_file".
Result<std::string> read_secret(const std::string& path);

// The config to use: the file given, else /etc/memberd/memberd.toml if it exists, else the
// built-in defaults; then `state_dir` (if not empty) overrides state.dir, and the paths that
// default into the state folder are resolved. `used` is set to the file read (or empty).
Result<Config> load_effective_config(const std::string& config_path, const std::string& state_dir,
                                     std::string* used = nullptr);

}  // namespace pma::config
