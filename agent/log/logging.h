// Logging for memberd and memberctl: spdlog with levels, journald-friendly lines, and a
// redacting sink so a mainland mobile number can never reach a log line in full.
// Thread-safe (spdlog's multi-threaded sinks).
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "pma/error.h"

namespace pma::log {

// Replaces every run of 11 digits that looks like a mainland mobile number (1[3-9]...) with
// its masked form ("138****5678"); +86/86-prefixed forms included. Pure.
std::string redact_phones(std::string_view text);

// Builds the process logger. Under systemd, structured journald records (PRIORITY from the
// level, SYSLOG_IDENTIFIER = name); otherwise timestamped lines on stderr. `extra` (optional) also receives every line,
// after redaction (tests use it to inspect what was logged).
std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& level,
                                            spdlog::sink_ptr extra = nullptr);

// Parses "trace".."error".
Result<spdlog::level::level_enum> parse_level(const std::string& level);

}  // namespace pma::log
