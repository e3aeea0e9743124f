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

// Masks every mainland mobile number in `text`, however it is written: its 4th to 7th digits
// become '*' ("138****5678", "139-****-5678", "+86 139 **** 5678"). A number is a sequence of
// digit groups joined by up to 3 spaces, tabs, dashes or parentheses (and an optional leading
// "+") that pma::normalize_phone accepts: 11 digits 1[3-9]..., optionally after +86, 0086
// or 86. Other numbers (seqs, amounts, dates) stay as they are, except that a single run of 11
// or more digits keeps only its first 3 and last 4 digits. Pure.
std::string redact_phones(std::string_view text);

// Builds the process logger. Under systemd, structured journald records (PRIORITY from the
// level, SYSLOG_IDENTIFIER = name); otherwise timestamped lines on stderr. `extra` (optional) also
// receives every line, after redaction (tests use it to inspect what was logged).
std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& level,
                                            spdlog::sink_ptr extra = nullptr);

// Parses "trace".."error".
Result<spdlog::level::level_enum> parse_level(const std::string& level);

}  // namespace pma::log
