// Fuzz target: memberd's TOML configuration from text (config::parse_config).
// Properties: no throw (toml++ reports syntax errors by exception; parse_config must catch
// them); a rejection has a snake_case config_* code and a message that starts with the origin;
// an accepted config validates.
#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

#include "agent/config/config.h"
#include "tests/fuzz/fuzz_check.h"

using pma::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string origin = "fuzz.toml";
  auto config = pma::config::parse_config(pma::fuzz::as_text(data, size), origin);
  if (!config) {
    pma::fuzz::check_error(config.error(), {}, "parse_config");
    check(config.error().code.starts_with("config_"),
          fmt::format("parse_config rejects with '{}', not a config_* code: {}",
                      config.error().code, config.error().message));
    check(config.error().message.starts_with(origin),
          fmt::format("the message does not name the file: {}", config.error().message));
    return 0;
  }
  auto valid = config->validate();
  check(valid.has_value(), fmt::format("an accepted config does not validate: {}",
                                       valid ? "" : valid.error().message));
  return 0;
}
