// memberhq's configuration file (TOML; every key is commented in
// packaging/memberhq.example.toml): the sync listener and its limits, the database, the TLS
// files, the admin listener (/metrics, /health), logging and `memberhq stores`. Unknown keys
// and values outside their range are refused with file:line: key. Pure (no I/O but reading
// the file in load_hq_config); thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pma/error.h"
#include "sync/hq/server.h"

namespace pma::hq {

// [admin]: the operations listener (Prometheus /metrics and /health), plain HTTP.
struct AdminConfig {
  bool enabled = true;               // admin.enabled
  std::string listen = "127.0.0.1";  // admin.listen: loopback unless allow_remote
  std::uint16_t port = 9444;         // admin.port; 0 picks a free port (logged)
  bool allow_remote = false;         // admin.allow_remote: needed for a non-loopback listen

  Status validate() const;
};

struct HqConfig {
  ServerConfig server;  // [server] and [tls]
  // [database] path: the SQLite file, or a postgresql:// (postgres://) connection URI.
  std::string database = "memberhq.db";
  // [database] synchronous: SQLite's synchronous for the HQ file (FULL or NORMAL).
  std::string synchronous = "FULL";
  AdminConfig admin;
  std::string log_level = "info";  // [log] level: trace, debug, info, warn, error, off
  // [stores] silent_after_hours: `memberhq stores` calls a terminal silent when its last
  // session attempt is older than this.
  std::int64_t silent_after_hours = 24;

  Status validate() const;
};

// The compiled-in defaults with the TLS files under ca/ (ca/ca.crt, ca/server.crt,
// ca/server.key), as `memberhq serve` has always used them.
HqConfig default_hq_config();

// Parses TOML text; origin names it in messages ("file:line: section.key: ..."). Errors:
// "config_syntax", "config_unknown_key", "config_bad_value", "config_invalid".
Result<HqConfig> parse_hq_config(std::string_view toml_text, const std::string& origin);
// Reads and parses a file. Errors: "config_unreadable" and those of parse_hq_config.
Result<HqConfig> load_hq_config(const std::string& path);

}  // namespace pma::hq
