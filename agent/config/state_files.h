// The agent's state folder and the secrets in it (API token, phone-hash key): created on first
// start with tight modes, read on every start. Not thread-safe (start-up only).
#pragma once

#include <sys/types.h>

#include <string>

#include "agent/config/config.h"

namespace pma::config {

// Creates the folder (and parents) if missing and sets mode 0700 on it, also when it exists
// with a wider mode (the database inside would be readable by others). Errors: "state_dir".
Status ensure_state_dir(const std::string& dir);

// What to do with a secret file that exists but holds nothing (0 bytes or only whitespace):
// what a crash of an older memberd between creating and writing it left behind. Nothing can
// have been made with an empty secret (read_secret refuses it), so `regenerate` is as safe as
// a missing file; use `refuse` when data made with the lost secret may exist (the phone-hash
// key once the database exists: a new key would silently break every phone lookup).
enum class OnEmpty { refuse, regenerate };

// Reads a secret (trimmed) from `path`; if the file does not exist (or is empty and
// `on_empty` is regenerate), writes a new random one (32 bytes as 64 hex characters) with
// exactly `mode`, atomically: a temp file in the same folder, fchmod, write, fsync, link to
// `path` (never replacing a file another process created meanwhile), fsync of the folder. A
// kill at any point leaves either no `path` or the whole secret; leftover temp files
// ("<name>.tmp.XXXXXX") are removed by the next call. Errors: "secret_file" naming the
// path; a file that is empty (with `refuse`), short or unreadable is an error.
Result<std::string> read_or_create_secret(const std::string& path, mode_t mode,
                                          OnEmpty on_empty = OnEmpty::refuse);

// Writes `secret` plus a newline to a new file `path` atomically (as above). Errors:
// "secret_exists" if `path` exists (left untouched), "secret_file".
Status write_secret_file(const std::string& path, const std::string& secret, mode_t mode);

// Reads an existing secret. Errors: "secret_file".
Result<std::string> read_secret(const std::string& path);

// The config to use: the file given, else /etc/memberd/memberd.toml if it exists, else the
// built-in defaults; then `state_dir` (if not empty) overrides state.dir, and the paths that
// default into the state folder are resolved. `used` is set to the file read (or empty).
Result<Config> load_effective_config(const std::string& config_path, const std::string& state_dir,
                                     std::string* used = nullptr);

}  // namespace pma::config
